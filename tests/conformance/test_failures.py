"""Sections 3 and 5: every failure code a client can provoke, with its stage; the order of checks."""

import hashlib
import hmac
import struct

import pytest

from .client import APIDS, MAC_LEN, assert_completed, assert_refused, build_tc, crc16, primary_header, request_id

CORE = APIDS["core"]


def resign(pkt: bytes, key: bytes) -> bytes:
    """Recompute MAC and CRC after editing the header of a built TC."""
    body = pkt[:-(MAC_LEN + 2)]
    signed = body + hmac.new(key, body, hashlib.sha256).digest()[:MAC_LEN]
    return signed + struct.pack(">H", crc16(signed))


def short_security_header(link) -> bytes:
    body = struct.pack(">BBBH", 0x2F, 17, 1, 0) + b"\x00\x00"  # key id and 1 byte of the number, no MAC
    pkt = primary_header(True, CORE, link.next_count(CORE), 6 + len(body) + 2 - 7) + body
    return pkt + struct.pack(">H", crc16(pkt))


# (case, builder, stage, code)
CASES = [
    ("unknown APID 0x1FF", lambda c: c.raw_tc(0x1FF, 17, 1), "acceptance", 1),
    ("unknown APID 0x103", lambda c: c.raw_tc(0x103, 17, 1), "acceptance", 1),
    ("unknown APID 0x000", lambda c: c.raw_tc(0x000, 17, 1), "acceptance", 1),
    ("unknown service", lambda c: c.raw_tc(CORE, 99, 1), "acceptance", 2),
    ("unknown subtype", lambda c: c.raw_tc(CORE, 17, 99), "acceptance", 2),
    ("ST[20] unknown subtype", lambda c: c.raw_tc(CORE, 20, 2), "acceptance", 2),
    ("PING with an argument", lambda c: c.raw_tc(CORE, 17, 1, b"\x00"), "acceptance", 3),
    ("SET_TIME 3 bytes", lambda c: c.raw_tc(CORE, 9, 128, b"\x00\x00\x01"), "acceptance", 3),
    ("ST[8] without function id", lambda c: c.raw_tc(CORE, 8, 1, b"\x00"), "acceptance", 3),
    ("ARM short", lambda c: c.tc("ARM", app_data=b"\x00\x01\x08\x01"), "acceptance", 3),
    ("no room for security header and MAC", short_security_header, "acceptance", 3),
    ("LOAD_SWITCH channel 8", lambda c: c.tc("LOAD_SWITCH", 8, 1), "acceptance", 4),
    ("LOAD_SWITCH on=2", lambda c: c.tc("LOAD_SWITCH", 3, 2), "acceptance", 4),
    ("unknown key id", lambda c: c.tc("PING", key_id=7), "acceptance", 5),
    ("bad MAC", lambda c: c.tc("PING", corrupt_mac=True), "acceptance", 6),
    ("wrong key for key id 0", lambda c: c.tc("PING", key=bytes(32)), "acceptance", 6),
    ("hazardous not armed", lambda c: c.tc("LOAD_FORCE_OFF", 7), "acceptance", 8),
    ("LOAD_SWITCH P0 off", lambda c: c.tc("LOAD_SWITCH", 0, 0), "completion", 9),
    ("unknown parameter", lambda c: c.tc("PARAM_GET", 999), "completion", 11),
    ("unknown function (core)", lambda c: c.raw_tc(CORE, 8, 1, struct.pack(">H", 99)), "acceptance", 13),
    ("another app's function at core", lambda c: c.raw_tc(CORE, 8, 1, struct.pack(">H", 11)), "acceptance", 13),
    ("core's ARM at the power APID", lambda c: c.raw_tc(APIDS["power"], 8, 1, struct.pack(">HBBH", 1, 8, 1, 11)),
     "acceptance", 13),
    ("unknown sid", lambda c: c.tc("HK_ONESHOT", 77), "completion", 14),
]


@pytest.mark.parametrize("build,stage,code", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_failure_code(shared_link, build, stage, code):
    r = shared_link.request(build(shared_link))
    assert_refused(r, stage, code)
    for p in r.reports():
        assert p.apid == CORE


def test_wrong_apid_for_a_command(shared_link):
    # spec: each command has one APID; the failure for another APID is not given (2 assumed:
    # the service/subtype is unknown there)
    assert_refused(shared_link.request(shared_link.raw_tc(APIDS["radmon"], 17, 1)), "acceptance", 2)


def test_resync_on_unlocked_key_9_at_acceptance(shared_link):
    assert_refused(shared_link.command("RESYNC_REPLAY", 0, 0), "acceptance", 9)


@pytest.mark.parametrize("reason,kw", [(5, {"key_id": 7}), (6, {"corrupt_mac": True})])
def test_auth_rejected_event(link, reason, kw):
    tc = link.tc("PING", **kw)
    number = int.from_bytes(tc[12:16], "big")
    r = link.request(tc)
    assert_refused(r, "acceptance", reason)
    ev = r.events("AUTH_REJECTED")
    assert len(ev) == 1 and ev[0].subtype == 4  # severity high
    assert ev[0].event_args() == {"reason": reason, "key_id": kw.get("key_id", 0), "seq": number}
    assert r.of(17, 2) == []
    assert link.hk(1)["auth_rejects"] == 1


def test_replayed_tc_refused_7(shared_link):
    link = shared_link
    tc = link.tc("PING")
    assert_completed(link.request(tc))
    r = link.request(tc)
    assert_refused(r, "acceptance", 7)
    ev = r.events("AUTH_REJECTED")
    assert len(ev) == 1 and ev[0].event_args() == {"reason": 7, "key_id": 0, "seq": int.from_bytes(tc[12:16], "big")}
    assert r.of(17, 2) == []


def test_numbers_need_not_be_consecutive_but_must_grow(shared_link):
    link = shared_link
    n = link.number + 10
    assert_completed(link.command("PING", number=n))
    assert_refused(link.command("PING", number=n), "acceptance", 7)
    assert_refused(link.command("PING", number=n - 1), "acceptance", 7)
    assert_completed(link.command("PING", number=n + 1000))
    assert_refused(link.command("PING", number=n + 1), "acceptance", 7)


def test_number_zero_accepted_on_unused_key(link):
    assert_completed(link.command("PING", number=0))


def test_number_persisted_across_power_cycle(link, board):
    assert_completed(link.command("PING", number=500))
    link.advance(1.0)
    board.power_cycle()
    link.advance(1.0)
    assert_refused(link.command("PING", number=400), "acceptance", 7)
    assert_completed(link.command("PING", number=501))


def test_number_spent_by_tc_refused_later(shared_link):
    # the number is consumed when MAC and number pass, before the arguments are checked
    link = shared_link
    n = link.number + 20
    assert_refused(link.command("PING", app_data=b"\x00", number=n), "acceptance", 3)
    assert_refused(link.command("PING", number=n), "acceptance", 7)
    assert_refused(link.command("LOAD_FORCE_OFF", 7, number=n + 10), "acceptance", 8)
    assert_refused(link.command("PING", number=n + 10), "acceptance", 7)
    assert_refused(link.command("HK_ONESHOT", 77, number=n + 20), "completion", 14)
    assert_refused(link.command("PING", number=n + 20), "acceptance", 7)


def test_number_not_spent_by_tc_refused_before_the_number_check(shared_link):
    link = shared_link
    n = link.number + 20
    assert_refused(link.request(link.raw_tc(0x1FF, 17, 1, number=n)), "acceptance", 1)
    assert_refused(link.command("PING", corrupt_mac=True, number=n + 1), "acceptance", 6)
    assert_refused(link.command("PING", key_id=7, number=n + 2), "acceptance", 5)
    assert_completed(link.command("PING", number=n))
    link.number = n + 2


# -- the order of the acceptance checks: APID (1), security length (3), key (5), MAC (6),
#    number (7), service/subtype/function (2, 13), argument length (3), ranges (4), arming (8)

def test_order_apid_before_mac(shared_link):
    link = shared_link
    assert_refused(link.request(link.raw_tc(0x1FF, 17, 1, corrupt_mac=True)), "acceptance", 1)


def test_order_security_length_before_key(shared_link):
    link = shared_link
    pkt = bytearray(short_security_header(link))
    pkt[11] = 7  # unknown key id, and still no room for number and MAC
    pkt = bytes(pkt[:-2]) + struct.pack(">H", crc16(bytes(pkt[:-2])))
    assert_refused(link.request(pkt), "acceptance", 3)


def test_order_key_before_mac(shared_link):
    link = shared_link
    assert_refused(link.command("PING", key_id=7, corrupt_mac=True), "acceptance", 5)


def test_order_mac_before_number(shared_link):
    link = shared_link
    tc = link.tc("PING")
    assert_completed(link.request(tc))
    assert_refused(link.command("PING", number=link.number, corrupt_mac=True), "acceptance", 6)


def test_order_number_before_service(shared_link):
    link = shared_link
    assert_completed(link.command("PING"))
    assert_refused(link.request(link.raw_tc(CORE, 99, 1, number=link.number - 1)), "acceptance", 7)


def test_order_service_before_length(shared_link):
    link = shared_link
    assert_refused(link.request(link.raw_tc(CORE, 17, 99, b"\x00\x01\x02")), "acceptance", 2)


def test_order_function_before_length(shared_link):
    link = shared_link
    assert_refused(link.request(link.raw_tc(CORE, 8, 1, struct.pack(">H", 99) + b"\x00")), "acceptance", 13)


def test_order_length_before_range(shared_link):
    link = shared_link
    assert_refused(link.command("LOAD_SWITCH", app_data=struct.pack(">HBBB", 20, 9, 1, 0)), "acceptance", 3)


def test_order_range_before_arming(shared_link):
    link = shared_link
    assert_refused(link.command("LOAD_FORCE_OFF", 9), "acceptance", 4)


def test_counters(link):
    link.command("PING")
    link.command("PING", corrupt_mac=True)
    link.command("HK_ONESHOT", 77)
    link.command("PING", key_id=3)
    h = link.hk(1)
    assert (h["tc_accepted"], h["tc_rejected"], h["auth_rejects"]) == (3, 2, 2)


# -- packets the board cannot trust get no report at all

def header_variant(link, edit):
    pkt = bytearray(link.tc("PING"))
    edit(pkt)
    return resign(bytes(pkt), link.key)


@pytest.mark.parametrize("edit", [
    lambda p: p.__setitem__(0, p[0] & ~0x10),        # type TM
    lambda p: p.__setitem__(0, p[0] | 0x20),         # version 1
    lambda p: p.__setitem__(0, p[0] & ~0x08),        # no secondary header
    lambda p: p.__setitem__(5, p[5] + 1),            # length field too long
    lambda p: p.__setitem__(5, p[5] - 1),            # length field too short
], ids=["type-tm", "version-1", "no-sec-header", "length+1", "length-1"])
def test_bad_header_no_report(shared_link, edit):
    link = shared_link
    pkt = header_variant(link, edit)
    mark = link.mark()
    link.send_packet(pkt)
    link.advance(1.0)
    assert [p for p in link.since(mark) if p.service == 1 or p.event_name == "AUTH_REJECTED"] == []
    assert_completed(link.command("PING"))


def test_bad_crc_no_report(shared_link):
    mark = shared_link.mark()
    shared_link.send_packet(shared_link.tc("PING", corrupt_crc=True))
    shared_link.advance(1.0)
    assert [p for p in shared_link.since(mark) if p.service == 1] == []


def test_development_key_is_key_0():
    pkt = build_tc(CORE, 17, 1, seq_count=0, number=1)
    key = hashlib.sha256(b"zarya development key - not for flight").digest()
    assert pkt[16:24] == hmac.new(key, pkt[:16], hashlib.sha256).digest()[:8]
    assert request_id(pkt) == 0x1900C000
