"""Rules of the telemetry archive and of the link client, each pinned with exact values.

The archive: real SQLite files (an empty file is a new archive; a SQLite file that is not an
archive is refused, in either mode, and left as it was; an archive reopened keeps its packets),
and batch commits checked from a second connection, which sees committed packets only.  Its
clock is a fake one, so "committed after batch_s seconds" is exact.

The link client: packets are built as the board builds them (PUS-C TM, CRC) and fed to a
client that is not connected, through the same path as the reader thread (_on_packet), so
sequence tracking, gap recording and ST[1] routing are checked packet by packet; end-to-end
rules (ARM then fire) run against the simulated board over a real pseudo-terminal.
"""

import contextlib
import queue
import sqlite3
import struct
import time
import types

import pytest
from spacepackets.ecss import PusTm

from zarya.dictionary import load
from zarya.link import archive as archive_module
from zarya.link.archive import Archive, ArchiveError
from zarya.link.client import CommandHandle, LinkClient
from zarya.link.keys import development_key
from zarya.link.packets import Telemetry, decode_tm, pack_values


class FakeClock:
    """time.monotonic for the archive, moved by hand."""

    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    real = archive_module.time
    monkeypatch.setattr(archive_module, "time", types.SimpleNamespace(monotonic=fake, time=real.time))
    return fake


def hk(seq: int, apid: int = 0x100, t: float | None = None) -> Telemetry:
    """A housekeeping packet; its raw bytes are unique per (apid, seq, t)."""
    t = float(seq) if t is None else t
    raw = struct.pack(">HHd", apid, seq, t)
    return Telemetry(raw, apid, seq, 3, 25, t, "hk", "core", {"uptime_s": t, "tm_sent": seq}, {"uptime_s": "s"})


def committed(path) -> int:
    """Packets another process would see in the archive now."""
    db = sqlite3.connect(path)
    try:
        return db.execute("SELECT COUNT(*) FROM packets").fetchone()[0]
    finally:
        db.close()


def foreign_sqlite(path):
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT)")
    db.execute("INSERT INTO orders (item) VALUES ('tea')")
    db.commit()
    db.close()
    return path.read_bytes()


# -- the archive: files ------------------------------------------------------------------------
def test_an_empty_file_is_accepted_as_a_new_archive(tmp_path, clock):
    path = tmp_path / "new.db"
    path.write_bytes(b"")
    archive = Archive(path)
    assert archive.add(hk(1))
    archive.close()
    reread = Archive(path, create=False)
    assert reread.packet_count() == 1 and reread.series("core.tm_sent") == [(1.0, 1.0)]
    reread.close()


def test_an_empty_file_is_not_an_archive_to_read_and_is_left_empty(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    with pytest.raises(ArchiveError, match=r"empty\.db: not an archive \(not a SQLite file\)"):
        Archive(path, create=False)
    assert path.read_bytes() == b"" and sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


@pytest.mark.parametrize("create", [True, False])
def test_a_sqlite_file_that_is_not_an_archive_is_refused_and_left_as_it_was(tmp_path, create):
    path = tmp_path / "shop.db"
    before = foreign_sqlite(path)
    with pytest.raises(ArchiveError, match=r"shop\.db: a SQLite file, but not a Zarya archive \(tables: orders\)"):
        Archive(path, create=create)
    assert path.read_bytes() == before
    db = sqlite3.connect(path)
    assert [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["orders"]
    db.close()


@pytest.mark.parametrize("create", [True, False])
def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_was(tmp_path, create):
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are not the packets you are looking for\n")
    with pytest.raises(ArchiveError, match=r"notes\.db: not an archive \(not a SQLite file\)"):
        Archive(path, create=create)
    assert path.read_bytes() == b"these are not the packets you are looking for\n"


def test_a_missing_archive_is_refused_for_reading_and_not_created(tmp_path):
    with pytest.raises(ArchiveError, match=r"missing\.db: no such archive"):
        Archive(tmp_path / "missing.db", create=False)
    assert list(tmp_path.iterdir()) == []


def test_an_archive_reopened_keeps_its_packets_for_reading_and_for_recording(tmp_path, clock):
    path = tmp_path / "a.db"
    first = Archive(path)
    for seq in (1, 2, 3):
        assert first.add(hk(seq))
    first.close()
    reader = Archive(path, create=False)
    assert reader.packet_count() == 3 and reader.packet_count(apid=0x100, seq=2) == 1
    assert reader.series("core.tm_sent") == [(1.0, 1.0), (2.0, 2.0), (3.0, 3.0)]
    reader.close()
    again = Archive(path)  # the next pass records into the same archive
    assert not again.add(hk(3))  # already there: a replayed copy is stored once
    assert again.add(hk(4))
    again.close()
    assert committed(path) == 4


# -- the archive: batch commits -----------------------------------------------------------------
def test_a_batch_is_committed_when_it_holds_batch_n_packets(tmp_path, clock):
    path = tmp_path / "a.db"
    archive = Archive(path, batch_s=60.0, batch_n=3)
    archive.add(hk(1))
    archive.add(hk(2))
    assert committed(path) == 0  # two packets, the clock has not moved: not yet
    archive.add(hk(3))
    assert committed(path) == 3
    archive.add(hk(4))
    archive.add(hk(5))
    assert committed(path) == 3
    archive.add(hk(6))
    assert committed(path) == 6
    archive.add(hk(7))
    archive.flush()
    assert committed(path) == 7
    archive.close()


def test_a_batch_is_committed_when_it_is_batch_s_old(tmp_path, clock):
    path = tmp_path / "a.db"
    archive = Archive(path, batch_s=5.0, batch_n=1000)
    archive.add(hk(1))
    clock.now += 4.5
    archive.add(hk(2))
    assert committed(path) == 0  # 4.5 s since the last commit (the opening)
    clock.now += 0.5
    archive.add(hk(3))
    assert committed(path) == 3  # 5 s: the batch is due
    clock.now += 1.0
    archive.add(hk(4))
    assert committed(path) == 3  # the clock restarted at that commit
    clock.now += 4.0
    archive.add(hk(5))
    assert committed(path) == 5
    archive.close()


def test_a_replayed_copy_is_not_counted_in_a_batch(tmp_path, clock):
    path = tmp_path / "a.db"
    archive = Archive(path, batch_s=60.0, batch_n=2)
    assert archive.add(hk(1))
    assert not archive.add(hk(1), replayed=True)
    assert committed(path) == 0
    assert archive.add(hk(2))
    assert committed(path) == 2
    archive.close()


# -- the link client ----------------------------------------------------------------------------
D = load()
CORE = D.apid("core")
REPLAYED = D.failures.REPLAYED


def tm_packet(service: int, subtype: int, seq: int, t: float, data: bytes, apid: int = CORE) -> bytes:
    """A TM packet as the board sends it: PUS-C, CUC time (4 + 2 bytes), CRC."""
    stamp = struct.pack(">IH", int(t), round((t - int(t)) * 65536))
    return bytes(PusTm(service=service, message_subtype=subtype, timestamp=stamp, source_data=data, apid=apid,
                       seq_count=seq).pack())


def core_hk(seq: int, t: float) -> bytes:
    fields = D.hk_by_sid[1]["fields"]
    values = [int(t), int(t), 1, 0, 0, 0, 0, 0, 0, seq, 0, 0, 0, 0]
    return tm_packet(3, 25, seq, t, bytes([1]) + pack_values(fields, values))


def event(name: str, seq: int, t: float, *args) -> bytes:
    spec = next(e for e in D.module.EVENTS if e["name"] == name)
    return tm_packet(5, D.module.SEVERITY[spec["severity"]], seq, t,
                     struct.pack(">H", spec["id"]) + pack_values(spec["args"], list(args)))


def boot(seq: int, t: float, boot_count: int) -> bytes:
    return event("BOOT", seq, t, boot_count, 0, 1, D.hash32, b"test")


def report(subtype: int, request: int, code: int | None = None) -> Telemetry:
    """An ST[1] report (1 accepted, 2 rejected, 3 started, 7 completed, 8 failed), decoded."""
    data = struct.pack(">I", request) + (struct.pack(">H", code) if code is not None else b"")
    return decode_tm(D, tm_packet(1, subtype, 0, 1.0, data))


@pytest.fixture
def offline(tmp_path, clock):
    """A client that is not connected: packets are handed to it as its reader thread would."""
    archive = Archive(tmp_path / "archive.db")
    client = LinkClient("loop://", key=development_key(tmp_path / "host"), archive=archive, replay_gaps=False)
    yield client
    archive.close()


def test_a_new_boot_whose_board_time_went_on_keeps_the_sequence_history(offline):
    # the TM store carried board time and counts over the reboot: packets lost around it are a gap
    offline._on_packet(core_hk(5000, 100.0))
    offline._on_packet(boot(5003, 150.0, 2))  # 5001 and 5002 never arrived
    assert offline.boot_count == 2 and offline.stats["gaps"] == 1 and offline.stats["gaps_unrecovered"] == 2
    assert offline.archive.gaps() == [(CORE, 5000, 2, 100.0, 150.0)]
    assert offline.stats["replayed"] == 0


def test_a_new_boot_whose_board_time_restarted_starts_a_new_sequence_history(offline):
    offline._on_packet(core_hk(0, 500.0))
    offline._on_packet(boot(0, 2.0, 2))  # board time and counts restarted: a live packet, not a replay
    offline._on_packet(core_hk(1, 12.0))
    assert offline.stats["replayed"] == 0 and offline.stats["gaps"] == 0 and offline.stats["packets"] == 3
    assert offline.last_seq[CORE] == (1, 12.0)
    assert offline.archive.packet_count(replayed=1) == 0


def test_a_replayed_boot_event_of_an_old_boot_changes_nothing(offline):
    offline._on_packet(boot(7, 50.0, 3))
    offline._on_packet(core_hk(8, 60.0))
    offline._on_packet(boot(2, 10.0, 2))  # an older boot's event, brought back by a replay
    assert offline.boot_count == 3 and offline.last_seq[CORE] == (8, 60.0)
    assert offline.stats["replayed"] == 1 and offline.archive.packet_count(replayed=1) == 1


def test_a_gap_replay_asks_for_the_whole_span_and_records_only_what_stayed_missing(offline, monkeypatch):
    # seqs 11, 12 and 13 are lost between 100.25 s and 120.75 s; the board still holds 11 (105 s)
    # and 12 (120.5 s, inside the span's last second), not 13
    stored = {11: 105.0, 12: 120.5}
    asked = []
    downlink: queue.Queue = queue.Queue()

    def board_replay(name, **args):  # ST[15]: the stored packets with board time in [from_s, to_s]
        asked.append((name, args))
        sent = [seq for seq, t in stored.items() if args["from_s"] <= t <= args["to_s"]]
        for seq in sent:
            downlink.put(core_hk(seq, stored[seq]))
        downlink.put(event("STORE_REPLAY_DONE", 15, 121.0, args["from_s"], args["to_s"], len(sent)))
        handle = CommandHandle(name, b"", 0, REPLAYED)
        handle.state = "completed"
        return handle

    monkeypatch.setattr(offline, "command", board_replay)
    offline.replay_gaps = True
    offline._on_packet(core_hk(10, 100.25))
    offline._on_packet(core_hk(14, 120.75))  # the gap: the client asks for a replay (in a thread of its own)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not offline.archive.gaps():
        with contextlib.suppress(queue.Empty):
            offline._on_packet(downlink.get(timeout=0.01))  # what the reader thread would hand on
    assert asked == [("STORE_REPLAY", {"from_s": 100, "to_s": 121})]
    assert offline.replay_requests == [(100.25, 120.75)]
    assert offline.archive.gaps() == [(CORE, 10, 1, 100.25, 120.75)]
    assert offline.stats["gaps"] == 1 and offline.stats["gaps_unrecovered"] == 1 and offline.stats["replayed"] == 2
    assert offline.archive.sequence_counts(CORE, 100.0, 120.75) == {10, 11, 12, 14}


def handle_for(name: str = "PING", retried: bool = False) -> CommandHandle:
    handle = CommandHandle(name, b"", 1234, REPLAYED)
    handle.retried = retried
    return handle


def test_a_command_completed_is_ok_and_says_so():
    handle = handle_for()
    for subtype in (1, 3, 7):
        handle.on_report(report(subtype, 1234))
    assert handle.state == "completed" and handle.ok and handle.done.is_set()
    assert handle.describe() == "PING: completed"


def test_a_command_failed_says_why():
    handle = handle_for("PARAM_SET")
    handle.on_report(report(1, 1234))
    handle.on_report(report(8, 1234, 4))
    assert handle.state == "failed" and not handle.ok and handle.done.is_set()
    assert handle.describe() == "PARAM_SET: failed (4: argument out of range)"


def test_a_retry_refused_as_a_replay_means_the_first_copy_ran():
    handle = handle_for(retried=True)
    handle.on_report(report(2, 1234, REPLAYED))
    assert handle.state == "duplicate" and handle.ok and handle.done.is_set() and handle.accepted_evt.is_set()
    assert handle.describe() == ("PING: accepted by the board (its reports were lost; the retry was refused as a "
                                 "replay)")


@pytest.mark.parametrize(("subtype", "code"), [(2, 6), (8, REPLAYED), (8, 10)])
def test_a_retried_command_refused_for_another_reason_has_failed(subtype, code):
    handle = handle_for(retried=True)
    handle.on_report(report(subtype, 1234, code))
    assert handle.state == "failed" and not handle.ok
    assert handle.describe() == f"PING: failed ({code}: {D.failure(code)})"


def test_a_first_copy_refused_as_a_replay_has_failed():
    handle = handle_for()  # never re-sent: the anti-replay number was stale, nothing ran
    handle.on_report(report(2, 1234, REPLAYED))
    assert handle.state == "failed" and not handle.ok


def test_our_retry_bouncing_off_after_acceptance_is_ignored():
    handle = handle_for(retried=True)
    handle.on_report(report(1, 1234))
    handle.on_report(report(2, 1234, REPLAYED))
    assert handle.state == "accepted" and not handle.done.is_set()
    handle.on_report(report(7, 1234))
    assert handle.state == "completed" and handle.ok


def test_the_link_runs_at_115200_baud_by_default(link):
    assert link.baudrate == 115200 and link.port.baudrate == 115200  # docs/protocol.md: use 115200


def test_a_hazardous_command_runs_only_once_armed_for_it(link):
    refused = link.send("RAD_CLEAR_DOSE")
    assert refused.done.wait(3)
    assert refused.state == "failed" and refused.failure_code == 8  # hazardous command not armed
    fired = link.arm_and_fire("RAD_CLEAR_DOSE")
    assert fired.name == "RAD_CLEAR_DOSE" and fired.ok
    assert [r.name for r in fired.reports] == ["accepted", "started", "completed"]


def test_a_thread_using_a_closed_archive_gets_an_archive_error_and_a_second_close_is_harmless(tmp_path):
    # a gap replay outliving its client once queried the archive while the client's owner closed it
    from zarya.link.archive import Archive, ArchiveError

    archive = Archive(tmp_path / "a.db")
    archive.close()
    archive.close()
    with pytest.raises(ArchiveError, match="closed"):
        archive.sequence_counts(1, 0.0, 10.0)
