"""The telemetry archive: every packet (raw bytes, decoded values, receive and board time) in SQLite.

WAL mode; packets are committed in batches (at most `batch_s` seconds or `batch_n` packets
old), so a crash of the host loses at most the last uncommitted batch and never corrupts the
file.  A packet is stored once: a replayed copy (ST[15]) is byte-identical and is ignored.

`Archive(path)` opens or creates an archive to record into; `Archive(path, create=False)` opens
an existing one for reading and refuses (ArchiveError) a missing file, a file that is not SQLite
or a SQLite file that is not a Zarya archive, without creating or changing anything.  Every
SQLite failure reaches the caller as an ArchiveError naming the file.
"""

from __future__ import annotations

import contextlib
import csv
import itertools
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

from zarya.errors import ZaryaError
from zarya.link.packets import Telemetry, missing_between

SCHEMA = """
CREATE TABLE IF NOT EXISTS packets (
    id INTEGER PRIMARY KEY, rx_time REAL NOT NULL, board_time REAL NOT NULL, apid INTEGER NOT NULL,
    seq INTEGER NOT NULL, service INTEGER NOT NULL, subtype INTEGER NOT NULL, kind TEXT NOT NULL,
    name TEXT NOT NULL, severity TEXT NOT NULL, replayed INTEGER NOT NULL, raw BLOB NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS samples (
    packet_id INTEGER NOT NULL REFERENCES packets(id), board_time REAL NOT NULL, name TEXT NOT NULL,
    value REAL NOT NULL, unit TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS gaps (
    apid INTEGER NOT NULL, after_seq INTEGER NOT NULL, missing INTEGER NOT NULL,
    from_time REAL NOT NULL, to_time REAL NOT NULL, recorded REAL NOT NULL);
CREATE INDEX IF NOT EXISTS samples_by_name ON samples(name, board_time);
CREATE INDEX IF NOT EXISTS packets_by_time ON packets(board_time);
"""
SQLITE_MAGIC = b"SQLite format 3\x00"
TABLES = {"packets", "samples", "gaps"}


class ArchiveError(ZaryaError, RuntimeError):
    """An archive that cannot be opened, read or written: the message names the file."""


def _check_file(path: Path, create: bool) -> bool:
    """True if `path` holds a SQLite database; refuses what cannot be an archive."""
    if path.is_dir():
        raise ArchiveError(f"{path}: a directory, not an archive")
    if not path.exists():
        if not create:
            raise ArchiveError(f"{path}: no such archive")
        if not path.parent.is_dir():
            raise ArchiveError(f"{path}: no such directory {path.parent}")
        return False
    with open(path, "rb") as f:
        head = f.read(len(SQLITE_MAGIC))
    if not head and create:
        return False  # an empty file: a new archive may go there
    if head != SQLITE_MAGIC:
        raise ArchiveError(f"{path}: not an archive (not a SQLite file)")
    return True


class Archive:
    def __init__(self, path: str | Path, batch_s: float = 0.5, batch_n: int = 200, create: bool = True):
        self.path = Path(path)
        existing = _check_file(self.path, create)
        self.db = None
        try:
            if create:
                self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level="DEFERRED")
            else:  # mode=rw: never creates the file, and closing leaves no -wal/-shm behind
                uri = "file:" + urllib.parse.quote(str(self.path.resolve())) + "?mode=rw"
                self.db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level="DEFERRED")
            if existing:
                tables = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
                if (tables or not create) and not TABLES <= tables:
                    raise ArchiveError(f"{self.path}: a SQLite file, but not a Zarya archive "
                                       f"(tables: {', '.join(sorted(tables)) or 'none'})")
            if create:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
        except (sqlite3.Error, ArchiveError) as err:
            if self.db is not None:
                self.db.close()
            if isinstance(err, ArchiveError):
                raise
            raise ArchiveError(f"{self.path}: cannot open the archive: {err}") from None
        self.lock = threading.Lock()
        self.closed = False
        self.batch_s, self.batch_n = batch_s, batch_n
        self.pending = 0
        self.last_commit = time.monotonic()

    @contextlib.contextmanager
    def _sql(self) -> Iterator[None]:
        """Hold the lock; a SQLite failure becomes an ArchiveError naming the file."""
        with self.lock:
            try:
                yield
            except sqlite3.Error as err:
                raise ArchiveError(f"{self.path}: {err}") from None

    def add(self, tm: Telemetry, replayed: bool = False) -> bool:
        """Store a packet; False if it was already there (a replayed copy)."""
        with self._sql():
            cur = self.db.execute(
                "INSERT OR IGNORE INTO packets (rx_time, board_time, apid, seq, service, subtype, kind, name, severity, "
                "replayed, raw) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (time.time(), tm.board_time_s, tm.apid, tm.seq_count, tm.service, tm.subtype, tm.kind, tm.name,
                 tm.severity, int(replayed), tm.raw))
            if cur.rowcount == 0:
                return False
            prefix = f"{tm.name}." if tm.kind in ("hk", "event") else f"{tm.kind}."
            rows = [(cur.lastrowid, tm.board_time_s, prefix + k, float(v), tm.units.get(k, ""))
                    for k, v in tm.values.items() if isinstance(v, (int, float))]
            self.db.executemany("INSERT INTO samples VALUES (?,?,?,?,?)", rows)
            self.pending += 1
            if self.pending >= self.batch_n or time.monotonic() - self.last_commit >= self.batch_s:
                self._commit()
            return True

    def record_gap(self, apid: int, after_seq: int, missing: int, from_time: float, to_time: float) -> None:
        with self._sql():
            self.db.execute("INSERT INTO gaps VALUES (?,?,?,?,?,?)", (apid, after_seq, missing, from_time, to_time, time.time()))
            self._commit()

    def _commit(self) -> None:
        self.db.commit()
        self.pending = 0
        self.last_commit = time.monotonic()

    def flush(self) -> None:
        with self._sql():
            self._commit()

    def close(self) -> None:
        """Commit and close, holding the lock: a thread still using the archive (a gap replay
        outliving its client) gets an ArchiveError, never a closed connection mid-query."""
        with self._sql():
            if not self.closed:
                self.closed = True
                self._commit()
                self.db.close()

    # -- queries ----------------------------------------------------------------------------
    def series(self, name: str, t0: float = float("-inf"), t1: float = float("inf")) -> list[tuple[float, float]]:
        """(board time s, value) of a parameter such as 'core.tm_sent' or 'BOOT.boot_count'."""
        with self._sql():
            return self.db.execute("SELECT board_time, value FROM samples WHERE name = ? AND board_time BETWEEN ? AND ? "
                                   "ORDER BY board_time", (name, t0, t1)).fetchall()

    def names(self) -> list[str]:
        with self._sql():
            return [r[0] for r in self.db.execute("SELECT DISTINCT name FROM samples ORDER BY name")]

    def packet_count(self, **where) -> int:
        clause = " AND ".join(f"{k} = ?" for k in where) or "1"
        with self._sql():
            return self.db.execute(f"SELECT COUNT(*) FROM packets WHERE {clause}", tuple(where.values())).fetchone()[0]

    def gaps(self) -> list[tuple]:
        with self._sql():
            return self.db.execute("SELECT apid, after_seq, missing, from_time, to_time FROM gaps").fetchall()

    def sequence_counts(self, apid: int, t0: float, t1: float) -> set[int]:
        """The sequence counts of the packets of an APID stored with board time in [t0, t1]."""
        with self._sql():
            return {r[0] for r in self.db.execute("SELECT seq FROM packets WHERE apid = ? AND board_time BETWEEN ? AND ?",
                                                  (apid, t0, t1))}

    def sequence_gaps(self, apid: int) -> list[tuple[int, int]]:
        """(after_seq, missing) holes in the stored sequence counts of an APID, in board-time order."""
        with self._sql():
            # within one second of board time, by count (a count wraps far less often than that)
            seqs = [r[0] for r in self.db.execute("SELECT seq FROM packets WHERE apid = ? ORDER BY board_time, seq", (apid,))]
        holes = []
        for a, b in itertools.pairwise(seqs):
            missing = missing_between(a, b)
            if missing:
                holes.append((a, missing))
        return holes

    def export_csv(self, path: str | Path, names: list[str], t0: float = float("-inf"), t1: float = float("inf")) -> int:
        """Write the samples of `names` to a CSV file; read first, so a failure leaves no file behind."""
        with self._sql():
            rows = [row for name in names
                    for row in self.db.execute("SELECT board_time, name, value, unit FROM samples WHERE name = ? AND "
                                               "board_time BETWEEN ? AND ? ORDER BY board_time", (name, t0, t1))]
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["board_time_s", "name", "value", "unit"])
            writer.writerows(rows)
        return len(rows)
