# Atomic, checksummed persistence, parameters and boot records, in the MicroPython VM.
import binascii
import json
import os
import struct

import dictionary
from apps.power import PowerManager
from apps.radmon import RadiationMonitor
from core import failures
from core.app import App
from core.boot import COMMANDED, POWER_ON, UNKNOWN, BootRecord
from core.params import Params
from core.records import DEFAULTS, FROM_BACKUP, RecordStore
from mp_helpers import MemBoard, events, tm_data, tm_header

FILES = {1: "params", 2: "boot", 9: "x"}


def watched():
    """A store that names "x" file 9 and records what it reports as corrupt."""
    seen = []
    return RecordStore("", None, FILES, lambda file_id, action: seen.append((file_id, action))), seen


def read_file(name):
    with open(name, "rb") as f:
        return f.read()


def write_file(name, data):
    with open(name, "wb") as f:
        f.write(data)


def record_fields(name):
    """(magic, generation, length, crc, payload) of a record file, by the layout records.py
    documents (written out here, not imported): b"ZRS1", u32 generation, u32 length, u32 crc32
    of the payload, big-endian, then the JSON payload."""
    raw = read_file(name)
    magic, gen, length, crc = struct.unpack(">4sIII", raw[:16])
    return magic, gen, length, crc, raw[16:]


def change_stored_digit(name, old, new):
    """Change one digit of the stored value in place: magic, generation and length stay right and
    the payload stays valid JSON (it now holds another number), so only the CRC can tell."""
    raw = read_file(name)
    i = raw.find(old, 16)
    assert i >= 16 and raw.find(old, i + 1) < 0
    raw = raw[:i] + new + raw[i + 1:]
    json.loads(raw[16:])  # still valid JSON
    write_file(name, raw)


def test_save_and_load_round_trip():
    s = RecordStore()
    s.save("x", {"a": 1, "b": [1, 2]})
    s2, seen = watched()
    assert s2.load("x", {}) == {"a": 1, "b": [1, 2]} and seen == [] and s2.faults == 0 and not s2.lost


def test_save_writes_the_documented_record_layout():
    s = RecordStore()
    s.save("x", {"v": 1})
    s.save("x", {"v": 2})
    for name, gen, value in (("x", 2, {"v": 2}), ("x.bak", 1, {"v": 1})):
        magic, got_gen, length, crc, payload = record_fields(name)
        assert magic == b"ZRS1" and got_gen == gen and length == len(payload)
        assert crc == binascii.crc32(payload) & 0xFFFFFFFF and json.loads(payload) == value
    assert "x.new" not in os.listdir()


def test_missing_file_gives_defaults_unreported():
    s, seen = watched()
    assert s.load("nothing", {"d": 1}) == {"d": 1} and s.load("x", {"d": 2}) == {"d": 2}
    assert seen == [] and s.faults == 0 and not s.lost


def test_valid_json_with_a_bad_crc_in_the_newest_copy_falls_back_to_previous():
    s = RecordStore()
    s.save("x", {"v": 1})
    s.save("x", {"v": 2})
    change_stored_digit("x", b"2", b"3")  # x now holds {"v": 3}: well-formed, wrong CRC
    assert json.loads(record_fields("x")[4]) == {"v": 3}
    s2, seen = watched()
    assert s2.load("x", {"d": 0}) == {"v": 1}
    assert seen == [(9, FROM_BACKUP)] and s2.faults == 1 and "x" in s2.lost


def test_valid_json_with_a_bad_crc_in_every_copy_gives_defaults():
    s = RecordStore()
    s.save("x", {"v": 1})
    s.save("x", {"v": 2})
    change_stored_digit("x", b"2", b"3")
    change_stored_digit("x.bak", b"1", b"4")
    s2, seen = watched()
    assert s2.load("x", {"d": 0}) == {"d": 0}
    assert seen == [(9, DEFAULTS)] and s2.faults == 1 and "x" in s2.lost


def test_corrupt_newest_copy_falls_back_to_previous():
    s = RecordStore()
    s.save("x", {"v": 1})
    s.save("x", {"v": 2})
    with open("x", "r+b") as f:
        f.seek(18)
        f.write(b"\xff")
    s2, seen = watched()
    assert s2.load("x", {}) == {"v": 1} and seen == [(9, FROM_BACKUP)] and s2.faults == 1


def test_write_torn_between_renames_keeps_the_new_copy():
    s = RecordStore()
    s.save("x", {"v": 1})
    s.save("x", {"v": 2})
    os.rename("x", "x.new")  # power lost after "x -> x.bak" and before "x.new -> x"
    s2, seen = watched()
    assert s2.load("x", {}) == {"v": 2} and seen == [(9, FROM_BACKUP)]


def test_truncated_write_of_new_copy_is_ignored():
    s = RecordStore()
    s.save("x", {"v": 1})
    with open("x.new", "wb") as f:
        f.write(b"ZRS1\x00\x00")  # power lost mid-write of the next copy
    s2, seen = watched()
    assert s2.load("x", {}) == {"v": 1} and seen == [(9, FROM_BACKUP)]


def test_every_copy_corrupt_gives_defaults():
    with open("x", "wb") as f:
        f.write(b"garbage that is long enough to have a header")
    s, seen = watched()
    assert s.load("x", {"d": 0}) == {"d": 0} and seen == [(9, DEFAULTS)] and s.faults == 1


def test_corrupt_record_missing_from_the_table_is_reported_as_file_0():
    with open("y", "wb") as f:
        f.write(b"garbage that is long enough to have a header")
    s, seen = watched()
    assert s.load("y", {}) == {} and seen == [(0, DEFAULTS)]


def test_corrupt_actions_are_the_store_corrupt_event_values():
    assert (FROM_BACKUP, DEFAULTS) == (1, 2)  # STORE_CORRUPT action: 1 previous copy, 2 defaults


def test_params_range_checked_persisted_and_unchanged_on_failure():
    p = Params(dictionary.PARAMS, RecordStore())
    assert p.get("arm_window_s") == 10
    assert p.set(1, 30) == 0
    assert p.set(1, 61) == failures.OUT_OF_RANGE and p.get("arm_window_s") == 30
    assert p.set(1, 5.5) == failures.OUT_OF_RANGE
    assert p.set(999, 1) == failures.UNKNOWN_PARAM
    assert Params(dictionary.PARAMS, RecordStore()).get("arm_window_s") == 30


def test_params_exactly_at_limits_are_accepted():
    p = Params(dictionary.PARAMS, RecordStore())
    assert p.set(1, 1) == 0 and p.set(1, 60) == 0


def test_corrupt_params_reported_and_defaults_used():
    with open("params", "wb") as f:
        f.write(b"ZRS1" + bytes(40))
    store, seen = watched()
    p = Params(dictionary.PARAMS, store)
    assert seen == [(1, DEFAULTS)] and p.get("arm_window_s") == 10


def test_boot_counter_and_unclean_reboot():
    b1 = BootRecord(RecordStore(), POWER_ON)
    assert b1.count == 1 and not b1.unclean
    b2 = BootRecord(RecordStore(), POWER_ON)  # no shutdown recorded: power lost or hang
    assert b2.count == 2 and b2.unclean and b2.cause == UNKNOWN
    b2.shutdown(COMMANDED)
    b3 = BootRecord(RecordStore(), POWER_ON)
    assert b3.count == 3 and not b3.unclean and b3.cause == COMMANDED


def test_corrupt_records_are_reported_once_each_at_boot_in_load_order():
    s = RecordStore()
    s.save("boot", {"count": 4, "clean": True, "next_cause": POWER_ON, "mode": 0})
    s.save("boot", {"count": 5, "clean": True, "next_cause": POWER_ON, "mode": 0})
    with open("boot", "r+b") as f:  # the newest copy torn: the previous one is used
        f.seek(18)
        f.write(b"\xff")
    for name in ("params", "replay", "sched", "radmon"):
        with open(name, "wb") as f:
            f.write(b"garbage that is long enough to have a header")
    board = MemBoard()
    app = App(board)
    power = PowerManager(app)
    RadiationMonitor(app, power.on_rad_alarm).start()
    power.start()
    app.start()
    packets = board.frames()
    reported = [(d[2], d[3]) for d in events(packets, dictionary_event_id("STORE_CORRUPT"))]
    assert reported == [(1, DEFAULTS), (2, FROM_BACKUP), (3, DEFAULTS), (4, DEFAULTS), (5, DEFAULTS)]
    kinds = [(tm_header(p)[2], tm_data(p)[1]) for p in packets if tm_header(p)[2] == 5]
    # the anti-replay record lost: the board fails closed (REPLAY_LOCKED, high), never open
    assert kinds == [(5, dictionary_event_id("BOOT"))] + [(5, dictionary_event_id("STORE_CORRUPT"))] * 5 + \
        [(5, dictionary_event_id("REPLAY_LOCKED"))]
    assert app.boot.count == 5 and app.store.faults == 5


def dictionary_event_id(name):
    for e in dictionary.EVENTS:
        if e["name"] == name:
            return e["id"]
    raise KeyError(name)
