# Hostile input, in the MicroPython VM: oversized frames, forged, replayed and unknown-key
# commands, rollback of the anti-replay record (reboot, corruption), the development key on a
# flight-configured board with every malformed keys.bin, and hazardous commands around
# arm-then-fire (no ARM, anything in between, another target, expiry by the millisecond,
# time-tagged nesting).  Every hostile attempt is counted with how often its command ran (a
# wrapper around each handler); the last test prints the counts.  (Kept compact: the file's
# bytecode shares the Pico-sized heap with the firmware.)
import gc
import os
import struct

import dictionary
from apps.power import PowerManager  # noqa: F401  (compiled first, while the heap is whole)
from apps.radmon import RadiationMonitor  # noqa: F401
from core import auth, failures
from core.app import App
from core.crc16 import crc16
from mp_helpers import MemBoard, boot_apps, frame, tc, tm_data, tm_header

TALLY = {}  # label -> [hostile attempts, executions]
DOSE, RESET, MAINT, FORCE_OFF = 11, 2, 3, 21
NAMES = {DOSE: "RAD_CLEAR_DOSE", FORCE_OFF: "LOAD_FORCE_OFF", RESET: "RESET", MAINT: "ENTER_MAINTENANCE"}
KEY1 = bytes(range(1, 33))
FORGED, REPLAY, LOST, KEYS, ARMING = "forged or unknown key", "replay / rollback", "lost replay record", \
    "dev key, flight board", "arm then fire"


class Runs:
    """Counts every run of every command handler of a booted app."""

    def __init__(self, app):
        self.n = {}
        h = app.dispatcher.handlers
        for name in list(h):
            h[name] = self._wrap(name, h[name])

    def _wrap(self, name, fn):
        def run(args):
            self.n[name] = self.n.get(name, 0) + 1
            return fn(args)
        return run

    def get(self, name):
        return self.n.get(name, 0)


class FlightBoard(MemBoard):
    accepts_dev_key = False  # as the Pico


class Seq:
    def __init__(self, start=0):
        self.n = start

    def __call__(self):
        self.n += 1
        return self.n


def send(board, app, *packets):
    for p in packets:
        board.rx.extend(frame(p))
    app.step()
    app.step()
    return [(tm_header(p), tm_data(p)) for p in board.frames()]


def code_of(out):
    for h, data in out:
        if h[2] == 1 and h[3] in (2, 8):
            return struct.unpack(">H", data[4:6])[0]
    return None


def ok(out):
    return any(h[2:4] == (1, 7) for h, _ in out)


def events_in(out, name):
    eid = [e["id"] for e in dictionary.EVENTS if e["name"] == name][0]
    return [d for h, d in out if h[2] == 5 and struct.unpack(">H", d[:2])[0] == eid]


def tally(label, attempts, ran):
    t = TALLY.setdefault(label, [0, 0])
    t[0] += attempts
    t[1] += ran


def hostile(label, board, app, runs, packet, target, code, before=()):
    """Send `before` (anything), then the hostile `packet` carrying command `target`: refused
    with `code`, never run."""
    for p in before:
        send(board, app, p)
    n = runs.get(target)
    out = send(board, app, packet)
    ran = runs.get(target) - n
    tally(label, 1, ran)
    assert ran == 0 and code_of(out) == code, (label, target, ran, code_of(out), code)
    return out


def fire(fn, seq):
    return tc(8, 1, struct.pack(">H", fn) + (b"\x02" if fn == FORCE_OFF else b""),
              apid={DOSE: "radmon", FORCE_OFF: "power"}.get(fn, "core"), auth_seq=seq)


def arm(fn, seq, service=8, subtype=1):
    return tc(8, 1, struct.pack(">HBBH", 1, service, subtype, fn), auth_seq=seq)


def ping(seq, **kw):
    return tc(17, 1, auth_seq=seq, **kw)


def resync(nonce, floor, seq, key=auth.DEV_KEY):
    return tc(8, 1, struct.pack(">HII", 4, nonce, floor), auth_seq=seq, key=key)


def boot():
    """The full firmware on a MemBoard, on the flash of the previous boot (callers drop their
    references to the previous boot first: the heap is the Pico's).  boot_core() is lighter."""
    board, app = boot_apps()[:2]
    return board, app, Runs(app)


def boot_core(board_class=MemBoard):
    """The core alone: the board, the app, what it sent at boot and the handler counts."""
    gc.collect()
    board = board_class()
    app = App(board)
    app.start()
    return board, app, [(tm_header(p), tm_data(p)) for p in board.frames()], Runs(app)


def corrupt(path):
    try:
        with open(path, "r+b") as f:
            f.seek(20)
            f.write(b"\xa5\x5a")
    except OSError:
        pass


def nonce_of(out):
    (data,) = events_in(out, "REPLAY_LOCKED")
    return struct.unpack(">I", data[2:6])[0]


# -- framing -----------------------------------------------------------------------------------
def test_oversized_frames_are_counted_dropped_and_the_link_recovers():
    board, app, runs = boot()
    frames = [b"\x01" * k for k in (514, 515, 516, 517, 600)]  # 513, 514, 515 bytes decoded; then overflows
    frames.append((b"\xff" + b"\x55" * 254) * 2 + b"\x06" + b"\x55" * 5)  # 516 bytes, 513 decoded, no zeros
    for f in frames:
        board.rx.extend(f + b"\x00")
        app.step()
        app.step()
    tally("oversized frames", len(frames), 0)
    assert app.link.frames_bad == len(frames) and ok(send(board, app, ping(1))) and runs.get("PING") == 1


# -- authentication ------------------------------------------------------------------------------
def test_forged_and_unknown_key_commands_never_run():
    board, app, runs = boot()
    hostile(FORGED, board, app, runs, ping(1, mac_ok=False), "PING", failures.BAD_MAC)
    hostile(FORGED, board, app, runs, ping(2, key=bytes(32)), "PING", failures.BAD_MAC)
    hostile(FORGED, board, app, runs, ping(4, key_id=9, key=KEY1), "PING", failures.UNKNOWN_KEY)
    good = arm(DOSE, 1000)
    for i in range(12, len(good) - 2):  # every single-bit change of number, arguments, MAC (CRC made good)
        for bit in range(8):
            forged = bytearray(good)
            forged[i] ^= 1 << bit
            crc = crc16(forged, len(forged) - 2)
            forged[-2:] = bytes((crc >> 8, crc & 0xFF))
            hostile(FORGED, board, app, runs, bytes(forged), "ARM", failures.BAD_MAC)
    assert ok(send(board, app, good)) and runs.get("ARM") == 1


def test_replay_and_rollback_after_reboot_never_run():
    board, app, _, runs = boot_core()
    for seq in range(1, 6):
        assert ok(send(board, app, ping(seq)))
    for seq in (5, 3, 1):
        hostile(REPLAY, board, app, runs, ping(seq), "PING", failures.REPLAYED)
    board = app = runs = None
    board, app, _, runs = boot_core()  # reboot on the same flash
    for seq in range(1, 6):
        hostile(REPLAY, board, app, runs, ping(seq), "PING", failures.REPLAYED)
    assert ok(send(board, app, ping(6)))


def test_rollback_after_corruption_of_the_newest_replay_copy_fails_closed():
    board, app, _, runs = boot_core()
    for seq in range(1, 6):
        assert ok(send(board, app, ping(seq)))
    corrupt("replay")  # the newest copy; replay.bak still holds 4
    board = app = runs = None
    board, app, _, runs = boot_core()
    for seq in (5, 4, 1, 1000):
        out = hostile(REPLAY, board, app, runs, ping(seq), "PING", failures.REPLAY_LOST)
        assert events_in(out, "REPLAY_LOCKED")


def test_lost_replay_record_fails_closed_until_resync_with_the_boot_nonce():
    board, app, _, runs = boot_core()
    for seq in range(1, 6):
        assert ok(send(board, app, ping(seq)))
    captured_arm = arm(DOSE, 6)
    assert ok(send(board, app, captured_arm))
    for suffix in ("", ".new", ".bak"):
        corrupt("replay" + suffix)
    board = app = runs = None
    stale = nonce_of(boot_core()[2])
    board, app, out, runs = boot_core()  # still locked after another reboot, with a new nonce
    nonce = nonce_of(out)
    assert nonce != stale and (5, 4) in [h[2:4] for h, _ in out]  # a high-severity event
    for seq in (1, 5, 6, 7, 1000):
        hostile(LOST, board, app, runs, ping(seq), "PING", failures.REPLAY_LOST)
    hostile(LOST, board, app, runs, captured_arm, "ARM", failures.REPLAY_LOST)
    hostile(LOST, board, app, runs, resync(stale, 0, 1001), "RESYNC_REPLAY", failures.REPLAY_LOST)
    hostile(LOST, board, app, runs, resync(nonce, 0, 1002, key=bytes(32)), "RESYNC_REPLAY", failures.BAD_MAC)
    good = resync(nonce, 5000, 1003)
    assert ok(send(board, app, good))
    hostile(LOST, board, app, runs, good, "RESYNC_REPLAY", failures.REPLAYED)
    for seq in (6, 1004, 5000):
        hostile(LOST, board, app, runs, ping(seq), "PING", failures.REPLAYED)
    assert ok(send(board, app, ping(5001)))
    board = app = runs = None
    board, app, _, runs = boot_core()  # the resync is persisted: unlocked, with the floor
    hostile(LOST, board, app, runs, ping(5001), "PING", failures.REPLAYED)
    assert ok(send(board, app, ping(5002)))


def test_resync_of_one_key_leaves_the_others_locked_and_needs_a_lock():
    board, app, _, runs = boot_core()
    assert code_of(send(board, app, resync(0, 100, 1))) == failures.WRONG_MODE  # nothing lost: refused
    with open("keys.bin", "wb") as f:
        f.write(b"\x01" + KEY1)
    board = app = runs = None
    board, app, _, runs = boot_core()
    assert ok(send(board, app, ping(2))) and ok(send(board, app, ping(1, key_id=1, key=KEY1)))
    for suffix in ("", ".new", ".bak"):
        corrupt("replay" + suffix)
    board = app = runs = None
    board, app, out, runs = boot_core()
    assert ok(send(board, app, resync(nonce_of(out), 10, 3)))  # key 0
    hostile(LOST, board, app, runs, ping(2, key_id=1, key=KEY1), "PING", failures.REPLAY_LOST)
    board = app = runs = None
    board, app, _, runs = boot_core()
    hostile(LOST, board, app, runs, ping(50, key_id=1, key=KEY1), "PING", failures.REPLAY_LOST)
    assert ok(send(board, app, ping(11)))
    # lost while the board had no key at all: still locked once it has its keys again
    for suffix in ("", ".new", ".bak"):
        corrupt("replay" + suffix)
    os.rename("keys.bin", "keys.off")
    board = app = runs = None
    boot_core(FlightBoard)
    os.rename("keys.off", "keys.bin")
    board, app, _, runs = boot_core()
    for key_id, key in ((0, auth.DEV_KEY), (1, KEY1)):
        hostile(LOST, board, app, runs, ping(99, key_id=key_id, key=key), "PING", failures.REPLAY_LOST)


# -- keys ----------------------------------------------------------------------------------------
def test_flight_board_with_missing_or_malformed_keys_accepts_no_key():
    rec = b"\x01" + KEY1
    variants = (None, b"", b"\x01", rec[:-1], rec + b"\x07", rec + rec[:-1].replace(b"\x01", b"\x02", 1),
                b"\x00" + KEY1, rec + b"\x01" + bytes(reversed(KEY1)), b"\x01" + auth.DEV_KEY, b"\x01" + bytes(32))
    seq = Seq()
    for content in variants:  # missing, empty, id only, truncated, + 1 byte, 2 records - 1 byte,
        try:  # key id 0, a key id twice, the development key as id 1, an all-zero key
            os.remove("keys.bin")
        except OSError:
            pass
        if content is not None:
            with open("keys.bin", "wb") as f:
                f.write(content)
        board = app = runs = None
        board, app, out, runs = boot_core(FlightBoard)
        assert events_in(out, "KEYS_INVALID") and not app.keyring.pads, content
        hostile(KEYS, board, app, runs, ping(seq()), "PING", failures.UNKNOWN_KEY)
        hostile(KEYS, board, app, runs, arm(DOSE, seq()), "ARM", failures.UNKNOWN_KEY)
        hostile(KEYS, board, app, runs, ping(seq(), key_id=1, key=KEY1), "PING", failures.UNKNOWN_KEY)
    with open("keys.bin", "wb") as f:  # a good file: its keys, never the development key
        f.write(rec + b"\x02" + bytes(reversed(KEY1)))
    board = app = runs = None
    board, app, out, runs = boot_core(FlightBoard)
    assert not events_in(out, "KEYS_INVALID") and sorted(app.keyring.pads) == [1, 2]
    hostile(KEYS, board, app, runs, ping(seq()), "PING", failures.UNKNOWN_KEY)
    assert ok(send(board, app, ping(seq(), key_id=1, key=KEY1)))
    os.remove("keys.bin")  # the simulated board needs no key file: the development key, no event
    board = app = runs = None
    board, app, out, runs = boot_core()
    assert not events_in(out, "KEYS_INVALID") and list(app.keyring.pads) == [0]


# -- arm then fire --------------------------------------------------------------------------------
def test_hazardous_commands_without_arm_never_run():
    board, app, runs = boot()
    for seq, fn in enumerate((DOSE, FORCE_OFF, RESET, MAINT)):
        hostile(ARMING, board, app, runs, fire(fn, seq + 1), NAMES[fn], failures.NOT_ARMED)
    assert app.running


def test_arm_then_anything_then_fire_never_runs():
    board, app, runs = boot()
    nxt = Seq(100)
    used = ping(nxt())
    send(board, app, used)
    bad_crc = bytearray(ping(nxt()))
    bad_crc[-1] ^= 0xFF
    short = bytearray(ping(nxt()))
    short[5] -= 1  # the length field disagrees with the frame
    between = (
        lambda: ping(nxt()),  # a good PING
        lambda: ping(nxt(), mac_ok=False),
        lambda: ping(nxt(), key_id=9, key=KEY1),
        lambda: used,  # replayed
        lambda: bytes(bad_crc),
        lambda: bytes(short),
        lambda: tc(42, 1, auth_seq=nxt()),  # unknown service
        lambda: tc(20, 3, struct.pack(">Hf", 1, 99.0), auth_seq=nxt()),  # out of range
        lambda: tc(17, 1, apid="radmon", auth_seq=nxt()),  # PING to the wrong APID
        lambda: arm(FORCE_OFF, nxt()),  # ARM for another target
    )
    for make in between:
        first = arm(DOSE, nxt())
        middle = make()
        hostile(ARMING, board, app, runs, fire(DOSE, nxt()), NAMES[DOSE], failures.NOT_ARMED, (first, middle))
    # a time-tagged release in between disarms too
    outer = nxt()
    assert ok(send(board, app, tc(11, 4, struct.pack(">I", 3) + ping(nxt()), auth_seq=outer)))
    send(board, app, arm(DOSE, nxt()))
    for _ in range(40):  # the PING is released at board time 3 s, the ARM (at 0 s) would last until 10 s
        board.ticks += 100
        app.step()
    board.frames()
    assert not app.schedule.entries
    hostile(ARMING, board, app, runs, fire(DOSE, nxt()), NAMES[DOSE], failures.NOT_ARMED)
    send(board, app, arm(DOSE, nxt()))  # control: ARM then fire at once runs
    assert ok(send(board, app, fire(DOSE, nxt()))) and runs.get(NAMES[DOSE]) == 1


def test_arm_for_one_hazardous_command_does_not_fire_another():
    board, app, runs = boot()
    nxt = Seq()
    for armed, fired in ((DOSE, FORCE_OFF), (FORCE_OFF, DOSE), (RESET, MAINT), (MAINT, RESET), (DOSE, RESET)):
        first = arm(armed, nxt())
        hostile(ARMING, board, app, runs, fire(fired, nxt()), NAMES[fired], failures.NOT_ARMED, (first,))
        # and the armed one, after the refused one, is not armed any more
        hostile(ARMING, board, app, runs, fire(armed, nxt()), NAMES[armed], failures.NOT_ARMED)
    for service, subtype in ((17, 1), (8, 2), (11, 1)):  # the right function, wrong service or subtype
        first = arm(DOSE, nxt(), service, subtype)
        hostile(ARMING, board, app, runs, fire(DOSE, nxt()), NAMES[DOSE], failures.NOT_ARMED, (first,))
    assert app.running


def test_arm_expires_by_the_millisecond():
    board, app, runs = boot()
    nxt = Seq()
    for late_ms in (10001, 10500, 10900, 10999, 11000, 60000):
        board.ticks = (board.ticks // 1000 + 1) * 1000  # ARM at a whole second of uptime
        send(board, app, arm(DOSE, nxt()))
        armed_at = board.ticks
        board.ticks = armed_at + late_ms - 1
        app.step()
        board.frames()
        board.ticks = armed_at + late_ms
        hostile(ARMING, board, app, runs, fire(DOSE, nxt()), NAMES[DOSE], failures.NOT_ARMED)
    send(board, app, arm(DOSE, nxt()))  # control: 10 000 ms after ARM still fires
    board.ticks += 10000
    assert ok(send(board, app, fire(DOSE, nxt()))) and runs.get(NAMES[DOSE]) == 1


def test_time_tagged_nesting_never_fires_hazardous_commands():
    board, app, runs = boot()
    nxt = Seq()

    def insert(release_s, inner, seq):
        return tc(11, 4, struct.pack(">I", release_s) + inner, auth_seq=seq)

    # ARM, then the hazardous command time-tagged: the insert disarms, the release is not armed
    send(board, app, arm(DOSE, nxt()))
    outer = nxt()
    assert ok(send(board, app, insert(2, fire(DOSE, nxt()), outer)))
    # an insert whose time-tagged command inserts a hazardous command (that one's number is
    # checked when the inner insert is released: above everything sent before then)
    outer = nxt()
    inner = nxt()
    assert ok(send(board, app, insert(3, insert(4, fire(RESET, 10000), inner), outer)))
    # a time-tagged ARM for one target, a different target time-tagged after it
    outer = nxt()
    assert ok(send(board, app, insert(6, arm(FORCE_OFF, nxt()), outer)))
    outer = nxt()
    assert ok(send(board, app, insert(7, fire(DOSE, nxt()), outer)))
    # forged and replayed time-tagged commands are refused at insert
    outer = nxt()
    forged = tc(8, 1, struct.pack(">H", DOSE), apid="radmon", auth_seq=nxt(), mac_ok=False)
    assert code_of(send(board, app, insert(8, forged, outer))) == failures.BAD_MAC
    assert code_of(send(board, app, insert(8, fire(DOSE, 2), nxt()))) == failures.REPLAYED
    refused = []
    for _ in range(100):
        board.ticks += 100
        app.step()
        refused += [struct.unpack(">H", tm_data(p)[4:6])[0] for p in board.frames() if tm_header(p)[2:4] == (1, 2)]
    ran = runs.get(NAMES[DOSE]) + runs.get(NAMES[RESET])
    tally("time-tagged nesting", 5, ran)
    assert not app.schedule.entries and ran == 0 and app.running
    assert refused == [failures.NOT_ARMED] * 3, refused


def test_zz_counts():
    attempts = executed = 0
    for label in TALLY:
        attempts += TALLY[label][0]
        executed += TALLY[label][1]
        print("hostile:", label, "attempts", TALLY[label][0], "executed", TALLY[label][1])
    print("hostile: total attempts", attempts, "executed", executed)
    assert attempts >= 250 and executed == 0
