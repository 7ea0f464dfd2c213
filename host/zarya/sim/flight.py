"""One flight on the simulated board, set up the one way the bench and the missions share.

    with Flight(out_dir, environment, seed=1, step_ms=1000) as flight:
        flight.set_params({"rad_sample_s": 60})
        flight.board.advance(3600)
        ...
        flight.drain()
        events = list(flight.link.events)

`out_dir` receives a fresh telemetry archive (archive.db), the board's flash (board/) and the
host's anti-replay counter (host/); the link uses the development key, as the simulated board
accepts it.  `drain()` waits until the board has nothing more to send (stored telemetry still
being replayed included) and commits the archive.  Leaving the block closes link and board;
the archive stays open for queries until `close()` or the archive's own close.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

from zarya.errors import ZaryaError
from zarya.link.archive import Archive
from zarya.link.client import LinkClient
from zarya.link.keys import development_key
from zarya.sim.board import SimulatedBoard

QUIET_S = 0.5  # drain: the link is done when no packet arrived for this long
DRAIN_LIMIT_S = 60.0  # ... or after this long in all


class FlightError(ZaryaError, RuntimeError):
    """The flight could not be set up as asked (a parameter refused by the board)."""


class Flight:
    def __init__(self, out_dir: str | Path, environment, seed: int, step_ms: int, *, archive_batch_s: float = 1.0,
                 archive_batch_n: int = 200, fresh_board: bool = False):
        self.out_dir = Path(out_dir)
        self.environment = environment
        self.seed, self.step_ms = seed, step_ms
        self.archive_batch_s, self.archive_batch_n = archive_batch_s, archive_batch_n
        self.fresh_board = fresh_board
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> Flight:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        archive_path = self.out_dir / "archive.db"
        archive_path.unlink(missing_ok=True)
        self.archive = Archive(archive_path, batch_s=self.archive_batch_s, batch_n=self.archive_batch_n)
        board_dir = self.out_dir / "board"
        if self.fresh_board and board_dir.exists():
            for f in board_dir.iterdir():
                if f.is_file() or f.is_symlink():
                    f.unlink()
        with self._stack as stack:
            self.board = stack.enter_context(SimulatedBoard(board_dir, environment=self.environment, seed=self.seed,
                                                            step_ms=self.step_ms))
            self.link = stack.enter_context(LinkClient(self.board.port, key=development_key(self.out_dir / "host"),
                                                       archive=self.archive))
            self._stack = stack.pop_all()
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def set_params(self, values: dict[str, float]) -> None:
        """PARAM_SET each name = value, in order; a refusal is a FlightError naming it."""
        for name, value in values.items():
            handle = self.link.command("PARAM_SET", param_id=self.link.dictionary.params[name]["id"], value=value)
            if not handle.ok:
                raise FlightError(f"parameter {name} = {value} refused by the board: {handle.failure}")

    def drain(self) -> None:
        """Wait until the link has been quiet for QUIET_S (replays finished), then commit the archive."""
        start = last_change = time.monotonic()
        seen = self.link.stats["packets"]
        while time.monotonic() - last_change < QUIET_S and time.monotonic() - start < DRAIN_LIMIT_S:
            time.sleep(0.05)
            if self.link.stats["packets"] != seen:
                seen, last_change = self.link.stats["packets"], time.monotonic()
        self.archive.flush()
