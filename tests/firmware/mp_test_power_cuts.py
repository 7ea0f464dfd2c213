# Power cuts during persistent writes, in the MicroPython VM, by fault injection inside one VM:
# the record store's open/write/remove/rename are wrapped so that power "goes" after exactly k
# flash operations (a truncating open, each byte written, each remove, each rename is one
# operation), the write stopping mid-buffer.  After a cut the board "reboots": a new store
# loads the record.  For every record the firmware persists (its real contents, captured from
# a running board):
#   - single cuts at every operation of a save,
#   - double cuts: every pair with the first cut around a commit point (the truncating open, the
#     end of the header, the last payload bytes, the remove and the renames) and the second
#     anywhere in the next boot (load, with any promotion, then the next save), plus a seeded
#     sample of other pairs,
# and the result must be old-or-new: what the last boot loaded or what was being saved, never
# an older copy, never a corrupt one (so the dose never steps back, the boot count never repeats
# and a spent anti-replay number never comes back).
import json
import os
import random

from apps.power import PowerManager  # noqa: F401  (compiled first, while the heap is whole)
from apps.radmon import RadiationMonitor  # noqa: F401
from core import records
from core.app import App  # noqa: F401
from core.boot import POWER_ON, BootRecord
from core.records import RecordStore
from mp_helpers import boot_apps, frame, tc

SUFFIXES = ("", ".new", ".bak")
COUNTS = {"single": 0, "double": 0, "boot sequences": 0, "went back": 0, "corrupt": 0}
FAILS = []  # the first few failures
FAILED = [0]  # and how many there were


def fail(message):
    FAILED[0] += 1
    if len(FAILS) < 3:
        FAILS.append(message)


class Cut(Exception):
    pass


class Power:
    def __init__(self):
        self.ops = 0
        self.cut_at = -1  # no cut

    def op(self):
        if self.ops == self.cut_at:
            raise Cut()
        self.ops += 1

    def arm(self, cut_at):
        self.ops = 0
        self.cut_at = cut_at


POWER = Power()
REAL_OPEN = open
REAL_OS = os


class CutFile:
    def __init__(self, f):
        self.f = f

    def write(self, data):
        p = POWER
        room = len(data) if p.cut_at < 0 else p.cut_at - p.ops
        if room < len(data):
            if room > 0:
                self.f.write(data[:room])
            p.ops = p.cut_at
            raise Cut()
        p.ops += len(data)
        return self.f.write(data)

    def read(self, *args):
        return self.f.read(*args)

    def flush(self):
        self.f.flush()

    def close(self):
        self.f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.f.close()


def cut_open(path, mode="r"):
    if "w" in mode or "a" in mode or "+" in mode:
        POWER.op()  # the truncating open
    return CutFile(REAL_OPEN(path, mode))


class CutOs:
    @staticmethod
    def remove(path):
        POWER.op()
        REAL_OS.remove(path)

    @staticmethod
    def rename(a, b):
        POWER.op()
        REAL_OS.rename(a, b)


def install():
    records.open = cut_open
    records.os = CutOs


def uninstall():
    records.open = REAL_OPEN
    records.os = REAL_OS
    POWER.arm(-1)


# -- files --------------------------------------------------------------------------------------
def clean(name):
    for s in SUFFIXES:
        try:
            REAL_OS.remove(name + s)
        except OSError:
            pass


def snapshot(name):
    snap = []
    for s in SUFFIXES:
        try:
            with REAL_OPEN(name + s, "rb") as f:
                snap.append(f.read())
        except OSError:
            snap.append(None)
    return snap


def restore(name, snap):
    clean(name)
    for s, data in zip(SUFFIXES, snap):
        if data is not None:
            with REAL_OPEN(name + s, "wb") as f:
                f.write(data)


def quiet_store():
    return RecordStore("", None, {}, None)


# -- the records the firmware persists, as a running board writes them --------------------------
CAPTURED = {}


def captured_records():
    """{name: value} of every record a booted board with the applications has persisted."""
    if not CAPTURED:
        CAPTURED.update(capture())
    return CAPTURED


def capture():
    import struct

    os.mkdir("capture")
    os.chdir("capture")
    try:
        board, app, radmon, power = boot_apps()
        board.rx.extend(frame(tc(20, 3, struct.pack(">Hf", 11, 2.5e-8), auth_seq=1)))
        board.rx.extend(frame(tc(11, 4, struct.pack(">I", 5000) + tc(17, 1, auth_seq=3), auth_seq=2)))
        board.rx.extend(frame(tc(11, 4, struct.pack(">I", 6000) + tc(17, 128, auth_seq=5), auth_seq=4)))
        app.step()
        radmon.total_gy = 0.00123
        radmon.total_eq_sv = 0.0021
        radmon.persist()
        app.boot.shutdown()
        store = quiet_store()
        got = {}
        for name in ("params", "boot", "replay", "sched", "radmon"):
            got[name] = store.load(name, None)
            assert got[name] is not None, name
        return got
    finally:
        os.chdir("..")


def four_values(name, base):
    """Four successive, distinct contents of record `name`, in the order they are saved."""
    out = []
    for i in range(4):
        if name == "boot":
            v = dict(base)
            v["count"] = 10 + i
        elif name == "replay":
            v = dict(base)
            v["0"] = 100 + i
        elif name == "params":
            v = dict(base)
            v["1"] = 10 + i
            v["11"] = 1e-8 * (i + 1)
        elif name == "sched":
            v = (list(base) * 3)[:i]
        else:  # radmon: the dose only grows
            v = dict(base)
            v["total"] = base["total"] * (i + 1)
            v["total_eq"] = base["total_eq"] * (i + 1)
        out.append(json.loads(json.dumps(v)))
    return out


def which(values, got):
    for i in range(len(values)):
        if values[i] == got:
            return i
    COUNTS["corrupt"] += 1
    raise AssertionError("loaded a value that was never saved: %r" % (got,))


def prepare(name, values):
    """NAME holds values[1], NAME.bak values[0]: a record saved twice."""
    uninstall()
    clean(name)
    s = quiet_store()
    s.save(name, values[0])
    s.save(name, values[1])
    install()


def boot_load(name):
    return quiet_store().load(name, None)


def save_ops(name, values):
    """Flash operations of one uncut save of values[2] after the record was saved twice."""
    prepare(name, values)
    s = quiet_store()
    s.load(name, None)
    POWER.arm(-1)
    POWER.ops = 0
    s.save(name, values[2])
    return POWER.ops


def run_boot(name, value, cut_at):
    """One boot that loads record `name` and saves `value`, power cut after `cut_at` operations
    (-1: none); returns what the load gave (None if the cut came first)."""
    POWER.arm(cut_at)
    loaded = None
    try:
        s = quiet_store()
        loaded = s.load(name, None)
        s.save(name, value)
    except Cut:
        pass
    POWER.cut_at = -1  # (ops stays: the operations this boot did)
    return loaded


def check_old_or_new(name, values, old, new, got):
    """old, new, got: indices into values (old: what the last boot loaded).  A failure is
    counted and kept (the tests assert there is none at their end, so a run measures them all)."""
    if got != old and got != new:
        COUNTS["went back" if got < old else "corrupt"] += 1
        fail("%s: loaded copy %d after a cut between %d and %d" % (name, got, old, new))
    elif name == "radmon" and values[got]["total"] < values[old]["total"]:
        fail("radmon: the dose stepped back")


def no_failures(tried):
    failed = FAILED[0]
    fails = FAILS[:]
    del FAILS[:]
    FAILED[0] = 0
    assert not failed, "%d of %d went wrong, e.g. %s" % (failed, tried, fails)


# -- the tests ------------------------------------------------------------------------------------
def test_single_cut_at_every_operation_of_every_record():
    recs = captured_records()
    try:
        for name in recs:
            values = four_values(name, recs[name])
            total = save_ops(name, values)
            for cut in range(total + 1):
                prepare(name, values)
                assert which(values, boot_load(name)) == 1
                run_boot(name, values[2], cut if cut < total else -1)
                got = which(values, boot_load(name))
                check_old_or_new(name, values, 1, 2, got)
                if cut == total:
                    assert got == 2
                COUNTS["single"] += 1
                # and the store keeps working after the cut
                assert run_boot(name, values[3], -1) == values[got]
                assert which(values, boot_load(name)) == 3
    finally:
        uninstall()
    no_failures(COUNTS["single"])


def double_cuts(name, values, pairs_of):
    """Cut a save at each first point pairs_of(total) gives, then the next boot at each second
    point pairs_of.seconds(first, total) gives; returns the number of pairs tried."""
    before = COUNTS["double"]
    total1 = save_ops(name, values)
    for c1 in pairs_of(total1):
        prepare(name, values)
        run_boot(name, values[2], c1)
        snap = snapshot(name)
        uninstall()
        loaded1 = which(values, boot_load(name))  # what the next boot loads, uncut
        restore(name, snap)
        check_old_or_new(name, values, 1, 2, loaded1)
        install()
        POWER.arm(-1)
        run_boot(name, values[3], -1)
        total2 = POWER.ops  # operations of that boot: load (and any promotion) and save
        for c2 in pairs_of.seconds(c1, total2):
            uninstall()
            restore(name, snap)
            install()
            got_at_boot = run_boot(name, values[3], c2)
            if got_at_boot is not None and which(values, got_at_boot) != loaded1:
                fail("%s: a boot loaded %d, an uncut boot %d" % (name, which(values, got_at_boot), loaded1))
            got = which(values, boot_load(name))
            check_old_or_new(name, values, loaded1, 3, got)
            COUNTS["double"] += 1
    return COUNTS["double"] - before


class AroundCommits:
    """First cut around the commit points, second cut anywhere."""

    def __call__(self, total):
        points = set()
        for c in (0, 1, 2, records.HEADER_LEN - 1, records.HEADER_LEN, records.HEADER_LEN + 1):
            points.add(c)
        for back in range(6):
            points.add(total - back)
        return sorted(c for c in points if 0 <= c < total)

    @staticmethod
    def seconds(c1, total2):
        return range(total2 + 1)


class Sampled:
    """A seeded sample of other pairs (generated as they are used: the heap of a board that
    has booted the applications has no room for long lists)."""

    def __init__(self, seed, n):
        self.seed = seed
        self.n = n

    def __call__(self, total):
        random.seed(self.seed)
        for _ in range(self.n):
            yield random.getrandbits(16) % total

    @staticmethod
    def seconds(c1, total2):
        return (random.getrandbits(16) % (total2 + 1),)


def test_double_cuts_around_every_commit_point():
    recs = captured_records()
    tried = 0
    try:
        for name in recs:
            tried += double_cuts(name, four_values(name, recs[name]), AroundCommits())
    finally:
        uninstall()
    no_failures(tried)


def test_double_cuts_seeded_sample():
    recs = captured_records()
    tried = 0
    try:
        for name in recs:
            tried += double_cuts(name, four_values(name, recs[name]), Sampled(16 + len(name), 800))
    finally:
        uninstall()
    no_failures(tried)


class WatchedStore(RecordStore):
    """Records what each load returned."""

    loads = []

    def load(self, name, default):
        value = RecordStore.load(self, name, default)
        WatchedStore.loads.append(value)
        return value


def test_boot_count_never_repeats_through_cut_boots():
    # boots one after the other, each cut somewhere in its boot-record load and save (or not):
    # the count a boot computes is always above what the previous boot loaded, and the counts
    # of boots that completed (and announced themselves) strictly increase
    rng_seed = 7
    random.seed(rng_seed)
    uninstall()
    clean("boot")
    BootRecord(RecordStore(), POWER_ON)
    install()
    announced = [1]
    last_loaded = 0
    per_boot = 0
    try:
        for _ in range(600):
            if per_boot == 0:
                POWER.arm(-1)
                WatchedStore.loads = []
                BootRecord(WatchedStore(), POWER_ON)
                per_boot = POWER.ops
            cut = random.getrandbits(16) % per_boot if random.getrandbits(2) else -1  # a quarter complete
            POWER.arm(cut if cut >= 0 else -1)
            WatchedStore.loads = []
            try:
                b = BootRecord(WatchedStore(), POWER_ON)
                announced.append(b.count)
                if announced[-1] <= announced[-2]:
                    fail("boot: count %d announced after %d" % (announced[-1], announced[-2]))
            except Cut:
                pass
            if WatchedStore.loads:
                loaded = WatchedStore.loads[0]["count"]
                if loaded < last_loaded:
                    COUNTS["went back"] += 1
                    fail("boot: loaded count %d after %d" % (loaded, last_loaded))
                last_loaded = max(loaded, last_loaded)
            COUNTS["boot sequences"] += 1
    finally:
        uninstall()
    assert len(announced) > 50
    no_failures(600)


def test_zz_counts():
    print("power cuts: single %d, double %d, cut boots %d; went back %d, corrupt %d" % (
        COUNTS["single"], COUNTS["double"], COUNTS["boot sequences"], COUNTS["went back"], COUNTS["corrupt"]))
    assert COUNTS["went back"] == 0 and COUNTS["corrupt"] == 0 and COUNTS["single"] > 500 and COUNTS["double"] > 2000
