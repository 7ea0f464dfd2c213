"""`zarya sim`: fly the unchanged firmware on a laptop, behind a pseudo-terminal."""

from __future__ import annotations

import math
import signal
import threading
from pathlib import Path

from zarya.errors import UsageError
from zarya.sim.board import SimulatedBoard
from zarya.sim.environment import Environment
from zarya.sim.power import PowerEnvironment
from zarya.sim.radiation import RadiationEnvironment


def add_parser(sub) -> None:
    p = sub.add_parser("sim", help="run the simulated board (firmware in the MicroPython VM) on a pty")
    p.add_argument("--board-dir", help="the board's flash: parameters, dose totals and boot records live here "
                                       "(default: a temporary board, gone when the simulator stops)")
    p.add_argument("--speed", type=float, default=1.0, help="virtual seconds per wall second (default 1)")
    p.add_argument("--seed", type=int, default=1, help="seed of the environment models (default 1)")
    p.add_argument("--heap", default="192K", help="MicroPython heap (default 192K, as on the RP2040)")
    p.set_defaults(run=run)


def run(args) -> int:
    if not (math.isfinite(args.speed) and args.speed > 0):
        raise UsageError(f"--speed must be a number > 0, not {args.speed}")
    if args.board_dir and Path(args.board_dir).exists() and not Path(args.board_dir).is_dir():
        raise UsageError(f"--board-dir {args.board_dir}: not a directory")
    env = Environment(RadiationEnvironment(seed=args.seed), PowerEnvironment(seed=args.seed + 1))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SimulatedBoard(args.board_dir, environment=env, seed=args.seed, heap=args.heap) as board:
        print(f"simulated board on {board.port}  (flash: {board.board_dir}; speed x{args.speed:g}; Ctrl-C stops)",
              flush=True)
        try:
            board.run_paced(args.speed, stop)
        except KeyboardInterrupt:
            pass
        print(f"stopped after {board.virtual_s:.1f} s of board time; boots: {len(board.log.boots)}, "
              f"watchdog resets: {len(board.log.watchdog_resets)}")
    return 0
