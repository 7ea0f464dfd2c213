"""`zarya plan porkchop` and `zarya plan transfer`: launch windows and single transfers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from zarya.cli.progress import progress_bar
from zarya.dose.crew import window_crew_dose_sv
from zarya.errors import UsageError
from zarya.guidance.api import BODIES
from zarya.guidance.planner import best_transfers, parse_days, parse_range, parse_step, porkchop_window, transfer
from zarya.guidance.timescale import date_text, parse_date
from zarya.units import AU_KM


def add_parser(sub) -> None:
    plan = sub.add_parser("plan", help="launch windows and transfers").add_subparsers(dest="plan_command", metavar="ACTION")
    p = plan.add_parser("porkchop", help="best transfers over a launch window, and its porkchop plot")
    p.add_argument("--from", dest="origin", default="earth", choices=list(BODIES), help="departure body (default earth)")
    p.add_argument("--to", dest="target", default="mars", choices=list(BODIES), help="arrival body (default mars)")
    p.add_argument("--depart", required=True, help="departure dates START:END, e.g. 2026-09-01:2027-01-31 (UTC)")
    group = p.add_mutually_exclusive_group(required=True)
    group.add_argument("--tof", help="time of flight range in days, e.g. 120:400")
    group.add_argument("--arrive", help="arrival dates START:END")
    p.add_argument("--step", default="1d", help="grid step: 1d, 12h, 2 (days; default 1d)")
    p.add_argument("--png", help="write the porkchop plot here")
    p.add_argument("--json", action="store_true", help="print the best transfers as JSON")
    p.add_argument("--dose", action="store_true", help="add crew dose (cruise GCR + belt transit) to every cell")
    p.set_defaults(run=run_porkchop)
    t = plan.add_parser("transfer", help="one transfer in full")
    t.add_argument("--from", dest="origin", default="earth", choices=list(BODIES))
    t.add_argument("--to", dest="target", default="mars", choices=list(BODIES))
    t.add_argument("--depart", required=True, help="departure date (UTC), e.g. 2026-11-10")
    t.add_argument("--arrive", required=True, help="arrival date (UTC)")
    t.add_argument("--json", action="store_true")
    t.set_defaults(run=run_transfer)


def run_porkchop(args) -> int:
    if args.png and not Path(args.png).resolve().parent.is_dir():
        raise UsageError(f"--png {args.png}: no such directory {Path(args.png).parent}")
    depart = parse_range(args.depart, "--depart", parse_date)
    tof = parse_range(args.tof, "--tof", parse_days) if args.tof else None
    arrive = parse_range(args.arrive, "--arrive", parse_date) if args.arrive else None
    with progress_bar("porkchop", enabled=not args.json) as advance:
        window = porkchop_window(args.origin, args.target, depart, parse_step(args.step), tof_d=tof, arrive=arrive,
                                 progress=advance)
    best = best_transfers(window)
    dose_sv = window_crew_dose_sv(window) if args.dose else None
    if dose_sv is not None:
        dose_of = {b.label: float(dose_sv[np.searchsorted(window.grid.depart_jd, b.depart_jd),
                                          np.searchsorted(window.grid.arrive_jd, b.arrive_jd)]) for b in best}
    if args.json:
        out = {"cells": int(window.valid.sum()), "best": [b.as_dict() for b in best]}
        if dose_sv is not None:
            for b in out["best"]:
                b["crew_dose_eq_sv"] = dose_of[b["label"]]
        print(json.dumps(out, indent=2))
    else:
        g = window.grid
        print(f"{args.origin} -> {args.target}: {g.depart_jd.size} departures x {g.arrive_jd.size} arrivals, "
              f"{int(window.valid.sum())} transfers in range")
        print(f"  {'':18} {'depart':>10} {'arrive':>10} {'TOF d':>6} {'C3 km2/s2':>10} "
              f"{'vinf dep':>9} {'vinf arr':>9} {'DLA deg':>8}")
        for b in best:
            dose = f"  crew dose {dose_of[b.label] * 1e3:.0f} mSv" if dose_sv is not None else ""
            print(f"  {b.label:18} {date_text(b.depart_jd):>10} {date_text(b.arrive_jd):>10} {b.tof_d:6.0f} "
                  f"{b.c3_km2_s2:10.3f} {b.vinf_dep_km_s:9.3f} {b.vinf_arr_km_s:9.3f} {b.dla_deg:8.2f}{dose}")
        if not best:
            print("  no transfers in this window")
    if args.png:
        from zarya.guidance.plot import porkchop_png

        extra = (dose_sv * 1e3, "crew dose equivalent (mSv)", "mSv") if dose_sv is not None else None
        print(f"porkchop plot: {porkchop_png(window, best, args.png, extra_contours=extra)}")
    return 0


def run_transfer(args) -> int:
    info = transfer(args.origin, args.target, parse_date(args.depart), parse_date(args.arrive))
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    orbit = info["transfer_orbit"]
    print(f"{info['origin']} -> {info['target']}: depart {info['depart']}, arrive {info['arrive']} "
          f"({info['tof_d']:.1f} d, Type {'I' * info['type']})")
    print(f"  departure C3        {info['c3_km2_s2']:.3f} km2/s2  (v-inf {info['vinf_dep_km_s']:.3f} km/s, "
          f"DLA {info['dla_deg']:.2f} deg)")
    print(f"  arrival v-inf       {info['vinf_arr_km_s']:.3f} km/s")
    print(f"  transfer orbit      a = {orbit['a_km'] / AU_KM:.4f} au, e = {orbit['ecc']:.4f}, "
          f"i = {orbit['inc_deg']:.3f} deg, perihelion {orbit['perihelion_au']:.4f} au, "
          f"aphelion {orbit['aphelion_au']:.4f} au" if math.isfinite(orbit["aphelion_au"]) else "  hyperbolic transfer orbit")
    print("  v-inf at departure  [" + ", ".join(f"{x:.4f}" for x in info["vinf_dep_vector_km_s"]) + "] km/s (ecliptic J2000)")
    return 0
