"""Sections 2, 3, 4, 7: a PING end to end, packet layout, CRC, the spec's example."""

import hashlib
import hmac
import struct

from .client import DEV_KEY, assert_completed, build_tc, cobs_decode, cobs_encode, crc16, request_id, wellformed_problems


def test_crc_check_value():
    assert crc16(b"123456789") == 0x29B1


def test_cobs_roundtrip():
    for data in (b"", b"\x00", b"\x00\x00", b"\x11\x22\x00\x33", bytes(range(1, 256)), bytes(600)):
        enc = cobs_encode(data)
        assert 0 not in enc and cobs_decode(enc) == data
    assert cobs_encode(b"\x11\x22\x00\x33") == b"\x03\x11\x22\x02\x33"


def test_example_layout():
    pkt = build_tc(0x100, 17, 1, b"", seq_count=0, key=DEV_KEY, key_id=0, number=1)
    assert len(pkt) == 26
    assert pkt[:16] == bytes.fromhex("1900C0000013" "2F11010000" "0000000001")
    assert pkt[16:24] == hmac.new(DEV_KEY, pkt[:16], hashlib.sha256).digest()[:8]
    assert struct.unpack(">H", pkt[24:])[0] == crc16(pkt[:24])
    assert request_id(pkt) == 0x1900C000


def test_example_ping_on_board(link):
    pkt = build_tc(0x100, 17, 1, b"", seq_count=0, number=1)
    link.number = 1
    r = link.request(pkt)
    core = [p for p in r.packets if p.service in (1, 17)]
    assert [p.kind for p in core] == [(1, 1), (1, 3), (17, 2), (1, 7)]
    assert all(p.request_id == 0x1900C000 for p in core if p.service == 1)


def test_ping_reports(link):
    tc = link.tc("PING")
    r = link.request(tc, settle=0.5)
    rid = struct.unpack(">I", tc[:4])[0]
    mine = [p for p in r.packets if p.service == 17 or (p.service == 1 and p.request_id == rid)]
    assert [p.kind for p in mine] == [(1, 1), (1, 3), (17, 2), (1, 7)]
    for p in mine:
        assert p.apid == 0x100 and p.crc_ok
        if p.service == 1:
            assert p.data == tc[:4]
    # per-APID sequence counts of core go up by one from report to report
    counts = [p.seq_count for p in mine]
    assert counts == list(range(counts[0], counts[0] + 4))


def test_every_packet_wellformed(link, board):
    for name, args in (("PING", ()), ("IDENTIFY", ()), ("PARAM_GET", (1,)), ("HK_ONESHOT", (1,)),
                       ("HK_ONESHOT", (2,)), ("HK_ONESHOT", (4,)), ("PARAM_SET", (99, 1.0)),
                       ("SET_TIME", (1000,))):
        link.command(name, *args)
    link.command("PING", corrupt_mac=True)
    link.advance(3.0)
    assert len(link.packets) > 30
    assert wellformed_problems(link.packets) == []
    # message type counter: one counter for all services, +1 per packet
    mtc = [p.msg_counter for p in link.packets]
    assert mtc == list(range(mtc[0], mtc[0] + len(mtc)))


def test_per_apid_sequence_counts_contiguous(link):
    link.command("PING")
    link.advance(3.0)
    by_apid = {}
    for p in link.packets:
        by_apid.setdefault(p.apid, []).append(p.seq_count)
    assert set(by_apid) == {0x100, 0x101, 0x102}
    for counts in by_apid.values():
        assert counts == list(range(counts[0], counts[0] + len(counts)))


def test_request_id_is_first_four_bytes_for_other_apids(link):
    # RAD_SENSOR_RESET goes to the radiation monitor's APID; its reports still come from core
    tc = link.tc("RAD_SENSOR_RESET")
    r = link.request(tc)
    assert_completed(r)
    assert tc[:2] == b"\x19\x01"
    assert all(p.data[:4] == tc[:4] and p.apid == 0x100 for p in r.reports())


def test_source_id_not_checked(link):
    assert_completed(link.command("PING", source_id=0x1234))

