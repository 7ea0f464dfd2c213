"""`zarya mission mars-2026`: fly a crewed Mars transit on the simulated board and write a report."""

from __future__ import annotations

import math
from pathlib import Path

from zarya.cli.progress import progress_bar
from zarya.errors import UsageError
from zarya.units import DAY_S


def add_parser(sub) -> None:
    p = sub.add_parser("mission", help="fly a mission scenario end to end on the simulated board")
    p.add_argument("scenario", choices=["mars-2026", "lunar-night"],
                   help="mars-2026: the late-2026 Earth-Mars transit; lunar-night: 354 h on battery and fission")
    p.add_argument("--fast", action="store_true", help="fly only the first days of the leg (demos, CI) and project the rest")
    p.add_argument("--days", type=float, default=None, help="days flown with --fast (default 8; lunar night 1)")
    p.add_argument("--depart", help="departure date (UTC); default: the minimum-C3 transfer of the window")
    p.add_argument("--arrive", help="arrival date (UTC)")
    p.add_argument("--spe", default="random", choices=["random", "large", "moderate", "none"],
                   help="solar particle events: a seeded random draw (default) or a named event")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--out", help="report directory (default mission-<scenario>)")
    p.set_defaults(run=run)


def check_args(args) -> None:
    """Refuse bad values before anything is flown or written."""
    if args.days is not None and not (math.isfinite(args.days) and args.days > 0):
        raise UsageError(f"--days must be a number of days > 0, not {args.days:g}")
    if args.days is not None and not args.fast:
        raise UsageError("--days goes with --fast (the days flown before the rest is projected)")
    out = Path(args.out) if args.out else None
    if out is not None and out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: not a directory")
    if out is not None and not out.exists() and not out.resolve().parent.is_dir():
        raise UsageError(f"--out {out}: no such directory {out.parent}")


def run(args) -> int:
    check_args(args)
    if args.scenario == "lunar-night":
        return run_lunar(args)
    from zarya.mission.mars import MissionConfig, fly, pick_transfer
    from zarya.mission.report import plots, summarize, write_html

    if bool(args.depart) != bool(args.arrive):
        raise UsageError("give both --depart and --arrive, or neither")
    cfg = MissionConfig(args.depart, args.arrive, args.fast, args.days or 8.0, args.spe, args.seed,
                        Path(args.out or "mission-mars-2026"))
    print("1/4 guidance: choosing the transfer ...", flush=True)
    transfer = pick_transfer(cfg)
    print(f"    {transfer.tof_s / DAY_S:.0f}-day transfer, C3 {transfer.c3_km2_s2:.2f} km2/s2", flush=True)
    print("2/4 flying the firmware on the simulated board (lockstep) ...", flush=True)
    with progress_bar("flight") as advance:
        log, truth = fly(cfg, transfer, lambda done, total, note: advance(int(done), int(total)))
    print(f"    {log.flown_s / DAY_S:.1f} days flown in {log.wall_s:.0f} s; alarms: {len(log.alarms)}", flush=True)
    print("3/4 summarising (host re-integration with the C kernels) ...", flush=True)
    summary = summarize(cfg.out_dir, transfer, log, truth, cfg.fast)
    print("4/4 plotting ...", flush=True)
    report = write_html(cfg.out_dir, summary, plots(cfg.out_dir, transfer, summary))
    print(f"crew dose: leg {summary['leg_dose_equivalent_sv'] * 1e3:.0f} mSv, both cruises (no surface stay) "
          f"{summary['round_trip_dose_equivalent_sv'] * 1e3:.0f} mSv "
          f"({100 * summary['round_trip_fraction_of_career_limit']:.0f} % of the 600 mSv career limit); "
          f"board vs host dose differ by {summary['board_host_relative_difference']:.1e}")
    print(f"report: {report.resolve()}")
    return 0


def run_lunar(args) -> int:
    from zarya.mission.lunar import LunarConfig, fly, report

    cfg = LunarConfig(args.fast, 24.0 * (args.days or 1.0), args.seed, Path(args.out or "mission-lunar-night"))
    print("1/2 flying the night on the simulated board (lockstep) ...", flush=True)
    with progress_bar("night") as advance:
        flight = fly(cfg, lambda done, total: advance(int(done), int(total)))
    print("2/2 report ...", flush=True)
    path = report(cfg, flight)
    import json

    summary = json.loads((cfg.out_dir / "summary.json").read_text())
    print(f"SOC at dawn {summary['soc_at_dawn_pct']:.1f} %, critical bus "
          f"{'never off' if not summary['critical_bus_off_reports'] else 'OFF'}, {len(summary['shed_events'])} shed steps")
    print(f"report: {path.resolve()}")
    return 0
