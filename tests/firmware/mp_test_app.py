# The flight core end to end on an in-memory board, in the MicroPython VM: telecommands in,
# verification reports, events and housekeeping out.
import gc
import struct

import dictionary
from core import failures
from core.app import App
from mp_helpers import MemBoard, frame, tc, tm_data, tm_header


def boot():
    board = MemBoard()
    app = App(board)
    app.start()
    board.frames()
    return board, app


def send(board, app, *packets):
    for p in packets:
        board.rx.extend(frame(p))
    app.step()
    return [(tm_header(p), tm_data(p)) for p in board.frames()]


def kinds(out):
    """(service, subtype) of each packet, periodic housekeeping left out."""
    return [(h[2], h[3]) for h, _ in out if (h[2], h[3]) != (3, 25)]


def failure_code(out):
    for h, data in out:
        if h[2] == 1 and h[3] in (2, 8):
            return struct.unpack(">H", data[4:6])[0]
    return None


def test_boot_event_carries_version_and_dictionary_hash():
    board = MemBoard()
    app = App(board)
    app.start()
    (h, data), = [(tm_header(p), tm_data(p)) for p in board.frames()]
    assert (h[2], h[3]) == (5, 1) and struct.unpack(">H", data[:2])[0] == 1
    assert data[-5:] == dictionary.VERSION.encode()


def test_ping_is_accepted_started_completed_and_answered():
    board, app = boot()
    out = send(board, app, tc(17, 1, auth_seq=1))
    assert kinds(out) == [(1, 1), (1, 3), (17, 2), (1, 7)]


def test_bad_mac_replay_and_unknown_key_are_rejected_with_security_events():
    board, app = boot()
    assert failure_code(send(board, app, tc(17, 1, auth_seq=5, mac_ok=False))) == failures.BAD_MAC
    assert kinds(send(board, app, tc(17, 1, auth_seq=5)))[-1] == (1, 7)
    out = send(board, app, tc(17, 1, auth_seq=5))
    assert failure_code(out) == failures.REPLAYED and (5, 4) in kinds(out)
    assert failure_code(send(board, app, tc(17, 1, auth_seq=9, key_id=7))) == failures.UNKNOWN_KEY
    assert app.dispatcher.auth_rejects == 3


def test_anti_replay_number_survives_a_reboot():
    board, app = boot()
    send(board, app, tc(17, 1, auth_seq=40))
    board2, app2 = boot()
    assert failure_code(send(board2, app2, tc(17, 1, auth_seq=40))) == failures.REPLAYED


def test_hazardous_command_needs_arm_then_fire_within_the_window():
    board, app = boot()
    reset = struct.pack(">H", 2)
    assert failure_code(send(board, app, tc(8, 1, reset, auth_seq=1))) == failures.NOT_ARMED and app.running
    send(board, app, tc(8, 1, struct.pack(">HBBH", 1, 8, 1, 2), auth_seq=2))
    board.ticks += 11000  # arm_window_s is 10 s
    app.step()
    board.frames()
    assert failure_code(send(board, app, tc(8, 1, reset, auth_seq=3))) == failures.NOT_ARMED and app.running
    send(board, app, tc(8, 1, struct.pack(">HBBH", 1, 8, 1, 2), auth_seq=4))
    out = send(board, app, tc(8, 1, reset, auth_seq=5))
    assert kinds(out)[-1] == (1, 7) and not app.running and app.exit_reason == "reset"


def test_out_of_range_parameter_is_rejected_with_a_reason_and_changes_nothing():
    board, app = boot()
    out = send(board, app, tc(20, 3, struct.pack(">Hf", 1, 99.0), auth_seq=2))
    assert failure_code(out) == failures.OUT_OF_RANGE and app.params.get("arm_window_s") == 10
    out = send(board, app, tc(20, 3, struct.pack(">Hf", 1, 20.0), auth_seq=3))
    assert kinds(out)[-1] == (1, 7) and app.params.get("arm_window_s") == 20


def test_malformed_arguments_and_unknown_commands_are_refused():
    board, app = boot()
    assert failure_code(send(board, app, tc(3, 31, b"\x01", auth_seq=1))) == failures.BAD_LENGTH
    assert failure_code(send(board, app, tc(42, 1, auth_seq=2))) == failures.UNKNOWN_SERVICE
    assert failure_code(send(board, app, tc(8, 1, struct.pack(">H", 999), auth_seq=3))) == failures.UNKNOWN_FUNCTION
    assert failure_code(send(board, app, tc(3, 5, b"\x09", auth_seq=4))) == failures.UNKNOWN_HK


def test_garbage_and_oversized_frames_are_counted_and_the_link_recovers():
    board, app = boot()
    board.rx.extend(b"\x05\x01\x02\x00")  # invalid COBS
    board.rx.extend(b"\x01" * 2000 + b"\x00")  # longer than any packet
    good = bytearray(tc(17, 1, auth_seq=1))
    bad_crc = bytearray(good)
    bad_crc[-1] ^= 0xFF
    out = send(board, app, bytes(bad_crc), tc(17, 1, auth_seq=2))
    for _ in range(3):  # the link reads a bounded amount per pass
        app.step()
        out += [(tm_header(p), tm_data(p)) for p in board.frames()]
    assert app.link.frames_bad == 2 and app.dispatcher.crc_errors == 1
    assert kinds(out) == [(1, 1), (1, 3), (17, 2), (1, 7)]


def test_set_time_stamps_telemetry_and_emits_an_event():
    board, app = boot()
    out = send(board, app, tc(9, 128, struct.pack(">I", 800000000), auth_seq=1))
    assert (5, 1) in kinds(out) and out[-1][0][4] == 800000000


def test_housekeeping_interval_is_settable_and_persisted():
    board, app = boot()
    send(board, app, tc(3, 31, struct.pack(">BH", 1, 2), auth_seq=1))
    reports = 0
    for _ in range(10):
        board.ticks += 1000
        app.step()
        reports += sum(1 for p in board.frames() if tm_header(p)[2:4] == (3, 25))
    assert reports == 5
    assert App(MemBoard()).params.get("hk_core_interval_s") == 2


def test_scheduled_command_is_released_at_its_board_time():
    board, app = boot()
    inner = tc(17, 1, auth_seq=2)
    out = send(board, app, tc(11, 4, struct.pack(">I", 5) + inner, auth_seq=1))
    assert kinds(out)[-1] == (1, 7) and len(app.schedule.entries) == 1
    seen = []
    for _ in range(7):
        board.ticks += 1000
        app.step()
        seen += [tm_header(p)[2:4] for p in board.frames()]
    assert (17, 2) in seen and (5, 1) in seen and not app.schedule.entries


def test_stored_telemetry_is_replayed_by_time_range():
    board, app = boot()
    for _ in range(30):
        board.ticks += 1000
        app.step()
    live = [p for p in board.frames() if tm_header(p)[2:4] == (3, 25)]
    board.rx.extend(frame(tc(15, 9, struct.pack(">II", 0, 100), auth_seq=1)))
    app.step()
    app.step()
    replayed = [p for p in board.frames() if tm_header(p)[2:4] == (3, 25)]
    assert len(live) == 3 and replayed == live  # the same bytes, sequence counts and times
    board.rx.extend(frame(tc(15, 9, struct.pack(">II", 11, 11), auth_seq=2)))
    app.step()
    assert [tm_header(p)[4] for p in board.frames() if tm_header(p)[2:4] == (3, 25)] == [11]


def test_idle_main_loop_allocates_nothing_per_pass():
    board, app = boot()
    for _ in range(5):
        app.step()
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for _ in range(100):
        board.ticks += 10
        app.step()
    used = gc.mem_alloc() - before
    gc.enable()
    print("bytes allocated per idle pass:", used / 100)
    assert used == 0, used
