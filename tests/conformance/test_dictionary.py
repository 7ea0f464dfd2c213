"""Section 6: dictionary hash, BOOT and IDENTITY."""

import struct

from .client import all_of, assert_completed, canon, dictionary_hash, event, final, request_id


def test_canonical_encoding_rules():
    assert canon(None) == b"N"
    assert canon(True) == b"T" and canon(False) == b"F"
    assert canon(-12) == b"I-12;"
    assert canon(1.5) == b"F" + struct.pack(">f", 1.5)
    assert canon("é") == b"S2:\xc3\xa9"
    assert canon((1, "a")) == b"L2[I1;S1:a"
    assert canon({10: None, 2: True}) == b"M2{I10;NI2;T"  # keys sorted by str(): "10" < "2"


def test_boot_hash_matches_dictionary(link):
    boot = link.packets[0]
    assert boot.event_name == "BOOT"
    assert boot.event_args()["dict_hash"] == dictionary_hash()


def test_identity(link):
    tc = link.tc("IDENTIFY")
    r = link.request(tc, all_of(final(request_id(tc)), event("IDENTITY")))
    assert_completed(r)
    ident = r.events("IDENTITY")
    assert len(ident) == 1 and ident[0].subtype == 1
    args = ident[0].event_args()
    boot = link.packets[0].event_args()
    assert args == {"dict_hash": dictionary_hash(), "boot_count": boot["boot_count"], "version": boot["version"]}
