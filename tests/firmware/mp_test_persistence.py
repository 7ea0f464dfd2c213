# Atomic, checksummed persistence, parameters and boot records, in the MicroPython VM.
import os

import dictionary
from core import store as store_mod
from core.boot import COMMANDED, POWER_ON, UNKNOWN, BootRecord
from core.params import Params
from core.store import Store


def noop(*a):
    pass


def test_save_and_load_round_trip():
    s = Store()
    s.save("x", {"a": 1, "b": [1, 2]})
    value, how = Store().load("x", {})
    assert value == {"a": 1, "b": [1, 2]} and how == store_mod.LOADED


def test_missing_file_gives_defaults_as_fresh():
    assert Store().load("nothing", {"d": 1}) == ({"d": 1}, store_mod.FRESH)


def test_corrupt_newest_copy_falls_back_to_previous():
    s = Store()
    s.save("x", {"v": 1})
    s.save("x", {"v": 2})
    with open("x", "r+b") as f:
        f.seek(18)
        f.write(b"\xff")
    s2 = Store()
    value, how = s2.load("x", {})
    assert value == {"v": 1} and how == store_mod.FROM_BACKUP and s2.faults == 1


def test_write_torn_between_renames_keeps_the_new_copy():
    s = Store()
    s.save("x", {"v": 1})
    s.save("x", {"v": 2})
    os.rename("x", "x.new")  # power lost after "x -> x.bak" and before "x.new -> x"
    value, how = Store().load("x", {})
    assert value == {"v": 2} and how == store_mod.FROM_BACKUP


def test_truncated_write_of_new_copy_is_ignored():
    s = Store()
    s.save("x", {"v": 1})
    with open("x.new", "wb") as f:
        f.write(b"ZRS1\x00\x00")  # power lost mid-write of the next copy
    assert Store().load("x", {}) == ({"v": 1}, store_mod.FROM_BACKUP)


def test_every_copy_corrupt_gives_defaults():
    with open("x", "wb") as f:
        f.write(b"garbage that is long enough to have a header")
    assert Store().load("x", {"d": 0}) == ({"d": 0}, store_mod.DEFAULTS)


def test_params_range_checked_persisted_and_unchanged_on_failure():
    p = Params(dictionary.PARAMS, Store(), noop)
    assert p.get("arm_window_s") == 10
    assert p.set(1, 30) == 0
    assert p.set(1, 61) == 4 and p.get("arm_window_s") == 30
    assert p.set(1, 5.5) == 4
    assert p.set(999, 1) == 11
    assert Params(dictionary.PARAMS, Store(), noop).get("arm_window_s") == 30


def test_params_exactly_at_limits_are_accepted():
    p = Params(dictionary.PARAMS, Store(), noop)
    assert p.set(1, 1) == 0 and p.set(1, 60) == 0


def test_corrupt_params_reported_and_defaults_used():
    seen = []
    with open("params", "wb") as f:
        f.write(b"ZRS1" + bytes(40))
    p = Params(dictionary.PARAMS, Store(), lambda f, a: seen.append((f, a)))
    assert seen == [(1, 2)] and p.get("arm_window_s") == 10


def test_boot_counter_and_unclean_reboot():
    b1 = BootRecord(Store(), POWER_ON, noop)
    assert b1.count == 1 and not b1.unclean
    b2 = BootRecord(Store(), POWER_ON, noop)  # no shutdown recorded: power lost or hang
    assert b2.count == 2 and b2.unclean and b2.cause == UNKNOWN
    b2.shutdown(COMMANDED)
    b3 = BootRecord(Store(), POWER_ON, noop)
    assert b3.count == 3 and not b3.unclean and b3.cause == COMMANDED
