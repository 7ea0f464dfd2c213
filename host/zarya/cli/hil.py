"""`zarya hil run SCENARIO`: one HIL scenario on the simulated board, a verdict per expectation and a plot."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from zarya.cli.progress import progress_bar
from zarya.errors import UsageError


def add_parser(sub) -> None:
    hil = sub.add_parser("hil", help="hardware-in-the-loop scenarios").add_subparsers(dest="hil_command", metavar="ACTION")
    p = hil.add_parser("run", help="run one scenario file against the simulated board")
    p.add_argument("scenario", help="a TOML scenario, e.g. hil/scenarios/05_latchup.toml")
    p.add_argument("--png", help="telemetry plot (default: beside the run's archive)")
    p.add_argument("--workdir", help="keep the archive and the board's flash here")
    p.set_defaults(run=run)


def run(args) -> int:
    from zarya.bench import Scenario, plot, report_text, run_scenario

    scenario = Scenario.load(args.scenario)
    if args.png and not Path(args.png).resolve().parent.is_dir():
        raise UsageError(f"--png {args.png}: no such directory {Path(args.png).parent}")
    if args.workdir and Path(args.workdir).exists() and not Path(args.workdir).is_dir():
        raise UsageError(f"--workdir {args.workdir}: not a directory")
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="zarya-hil-"))
    try:
        with progress_bar(scenario.name) as advance:
            result = run_scenario(scenario, workdir, lambda done, total: advance(int(done), int(total)))
    except BaseException:  # an error or Ctrl-C: a temporary directory nobody named is not left behind
        if not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        raise
    print(report_text(result))
    print(f"plot: {plot(result, Path(args.png) if args.png else workdir / 'telemetry.png')}  (archive: {workdir / 'archive.db'})")
    return 0 if result.ok else 1
