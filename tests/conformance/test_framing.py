"""Section 1: framing (COBS, 0x00 delimiters, bad and empty frames)."""

from .client import assert_completed, frame


def counters(link):
    h = link.hk(1)
    return {k: h[k] for k in ("frames_ok", "frames_bad", "crc_errors")}


def test_board_sends_zero_before_boot_frame(link):
    assert link.raw[0] == 0x00
    first = link.frames[0]
    assert first is not None
    assert link.packets[0].raw == first and link.packets[0].event_name == "BOOT"
    assert link.frame_spans[0][0] == 1  # BOOT's COBS bytes start right after that 0x00


def test_zero_before_boot_frame_after_power_cycle(link, board):
    link.advance(1.0)
    mark = link.mark()
    board.power_cycle()
    pkts = link.wait(lambda ps: any(p.event_name == "BOOT" for p in ps), mark=mark, timeout=3)
    boot = next(p for p in pkts if p.event_name == "BOOT")
    idx = next(i for i, f in enumerate(link.frames) if f == boot.raw)
    start = link.frame_spans[idx][0]
    # the previous frame's delimiter, then the boot 0x00: BOOT arrives as a frame of its own
    assert bytes(link.raw[start - 2:start]) == b"\x00\x00"


def test_empty_frames_ignored_and_not_counted(link):
    before = counters(link)
    link.write(b"\x00\x00\x00\x00")
    link.advance(0.3)
    assert_completed(link.command("PING"))
    after = counters(link)
    assert after["frames_bad"] == before["frames_bad"]
    assert after["crc_errors"] == before["crc_errors"]
    # only the PING and the second HK_ONESHOT were frames
    assert after["frames_ok"] - before["frames_ok"] == 2


def test_garbage_then_zero_is_one_bad_frame_and_next_tc_works(link):
    before = counters(link)
    link.write(b"\x10\x41\x42\x43")  # half a frame left on the line (not valid COBS)
    link.write(b"\x00")  # the client's own 0x00 before its first frame
    r = link.command("PING")
    assert_completed(r)
    assert len(r.of(17, 2)) == 1
    assert counters(link)["frames_bad"] == before["frames_bad"] + 1


def test_garbage_glued_to_a_frame_is_one_bad_frame_and_next_tc_works(link):
    before = counters(link)
    swallowed = link.tc("PING")
    link.write(b"\xff\x13\x37" + frame(swallowed))  # 0xFF block needs 254 bytes: invalid COBS
    link.advance(0.5)
    assert not [p for p in link.packets if p.service == 1 and p.request_id == int.from_bytes(swallowed[:4], "big")]
    assert_completed(link.command("PING"))
    assert counters(link)["frames_bad"] == before["frames_bad"] + 1


def test_oversize_frame_is_bad(link):
    before = counters(link)
    link.write(b"\x01" * 600 + b"\x00")  # valid COBS of 599 zero bytes > MAX_PACKET
    link.advance(0.3)
    link.write(frame(bytes(513)))
    link.advance(0.3)
    assert_completed(link.command("PING"))
    assert counters(link)["frames_bad"] == before["frames_bad"] + 2


def test_bad_crc_counted_without_report(link):
    before = counters(link)
    bad = link.tc("PING", corrupt_crc=True)
    mark = link.mark()
    link.send_packet(bad)
    link.advance(1.0)
    assert [p for p in link.since(mark) if p.service == 1] == []
    after = counters(link)
    assert after["crc_errors"] == before["crc_errors"] + 1
    assert after["frames_bad"] == before["frames_bad"]


def test_max_packet_boundary(link):
    # a 512-byte TC is a frame (it gets a report: PING takes no arguments, so 3); a 513-byte one
    # is dropped as a bad frame even where its COBS encoding (514 bytes, zeros inside) is no
    # longer than that of some 512-byte packets
    biggest = link.tc("PING", app_data=bytes(512 - 26))
    assert len(biggest) == 512
    r = link.request(biggest)
    assert r.report_kinds() == [(1, 2)] and r.failure()[1] == 3
    before = counters(link)
    too_big = link.tc("PING", app_data=bytes(513 - 26))
    assert len(frame(too_big)) - 1 == 514
    mark = link.mark()
    link.send_packet(too_big)
    link.advance(0.5)
    assert [p for p in link.since(mark) if p.service == 1] == []
    assert counters(link)["frames_bad"] == before["frames_bad"] + 1
