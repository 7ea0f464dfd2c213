"""The telemetry archive: every packet (raw bytes, decoded values, receive and board time) in SQLite.

WAL mode; packets are committed in batches (at most `batch_s` seconds or `batch_n` packets
old), so a crash of the host loses at most the last uncommitted batch and never corrupts the
file.  A packet is stored once: a replayed copy (ST[15]) is byte-identical and is ignored.
"""

from __future__ import annotations

import csv
import itertools
import sqlite3
import threading
import time
from pathlib import Path

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


class Archive:
    def __init__(self, path: str | Path, batch_s: float = 0.5, batch_n: int = 200):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level="DEFERRED")
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.lock = threading.Lock()
        self.batch_s, self.batch_n = batch_s, batch_n
        self.pending = 0
        self.last_commit = time.monotonic()

    def add(self, tm: Telemetry, replayed: bool = False) -> bool:
        """Store a packet; False if it was already there (a replayed copy)."""
        with self.lock:
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
        with self.lock:
            self.db.execute("INSERT INTO gaps VALUES (?,?,?,?,?,?)", (apid, after_seq, missing, from_time, to_time, time.time()))
            self._commit()

    def _commit(self) -> None:
        self.db.commit()
        self.pending = 0
        self.last_commit = time.monotonic()

    def flush(self) -> None:
        with self.lock:
            self._commit()

    def close(self) -> None:
        self.flush()
        self.db.close()

    # -- queries ----------------------------------------------------------------------------
    def series(self, name: str, t0: float = float("-inf"), t1: float = float("inf")) -> list[tuple[float, float]]:
        """(board time s, value) of a parameter such as 'core.tm_sent' or 'BOOT.boot_count'."""
        with self.lock:
            return self.db.execute("SELECT board_time, value FROM samples WHERE name = ? AND board_time BETWEEN ? AND ? "
                                   "ORDER BY board_time", (name, t0, t1)).fetchall()

    def names(self) -> list[str]:
        with self.lock:
            return [r[0] for r in self.db.execute("SELECT DISTINCT name FROM samples ORDER BY name")]

    def packet_count(self, **where) -> int:
        clause = " AND ".join(f"{k} = ?" for k in where) or "1"
        with self.lock:
            return self.db.execute(f"SELECT COUNT(*) FROM packets WHERE {clause}", tuple(where.values())).fetchone()[0]

    def gaps(self) -> list[tuple]:
        with self.lock:
            return self.db.execute("SELECT apid, after_seq, missing, from_time, to_time FROM gaps").fetchall()

    def sequence_gaps(self, apid: int) -> list[tuple[int, int]]:
        """(after_seq, missing) holes in the stored sequence counts of an APID, in board-time order."""
        with self.lock:
            seqs = [r[0] for r in self.db.execute("SELECT seq FROM packets WHERE apid = ? ORDER BY board_time, id", (apid,))]
        holes = []
        for a, b in itertools.pairwise(seqs):
            missing = missing_between(a, b)
            if missing:
                holes.append((a, missing))
        return holes

    def export_csv(self, path: str | Path, names: list[str], t0: float = float("-inf"), t1: float = float("inf")) -> int:
        rows = 0
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["board_time_s", "name", "value", "unit"])
            with self.lock:
                for name in names:
                    for row in self.db.execute("SELECT board_time, name, value, unit FROM samples WHERE name = ? AND "
                                               "board_time BETWEEN ? AND ? ORDER BY board_time", (name, t0, t1)):
                        writer.writerow(row)
                        rows += 1
        return rows
