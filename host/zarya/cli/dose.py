"""`zarya dose integrate FILE`: total dose, dose equivalent, gaps and events of a dosimeter CSV."""

from __future__ import annotations

import json
import math

import numpy as np

from zarya.dose.readers import DETECTOR_DEFAULTS, read_dose_archive, read_dose_csv
from zarya.dose.report import EventThresholds, render_text, summarize
from zarya.units import ugy_h_to_gy_s


def add_parser(sub) -> None:
    dose = sub.add_parser("dose", help="integrate dosimeter data").add_subparsers(dest="dose_command", metavar="ACTION")
    p = dose.add_parser("integrate", help="total absorbed dose, dose equivalent, gaps and events of a CSV file",
                        description=__doc__)
    p.add_argument("file", help="CSV with t_s and one of dose_rate_uGy_h, counts, counter (+ optional let_<lo>_<hi>), "
                                "or a telemetry archive with --archive")
    p.add_argument("--archive", action="store_true", help="FILE is a SQLite telemetry archive (zarya tm/monitor --archive)")
    p.add_argument("--json", action="store_true", help="print the report as JSON (SI units)")
    p.add_argument("--max-gap-s", type=float, default=600.0,
                   help="intervals longer than this are gaps, not bridged (default 600 s)")
    p.add_argument("--skip-bad", action="store_true", help="skip and count bad samples instead of refusing the file")
    p.add_argument("--gy-per-count", type=float, help=f"detector calibration (default {DETECTOR_DEFAULTS['gy_per_count']:g})")
    p.add_argument("--dead-time-s", type=float, help=f"detector dead time (default {DETECTOR_DEFAULTS['dead_time_s']:g} s)")
    p.add_argument("--dead-time-model", choices=["nonparalyzable", "paralyzable"])
    p.add_argument("--counter-bits", type=int, choices=[16, 32], help="width of a `counter` column (default 16)")
    p.add_argument("--event-on-uGy-h", type=float, help="event threshold (default 3x the median rate)")
    p.add_argument("--event-off-uGy-h", type=float, help="event end threshold (default 2x the median rate)")
    p.add_argument("--event-min-s", type=float, default=900.0, help="shortest event kept (default 900 s)")
    p.set_defaults(run=run_integrate)


def run_integrate(args) -> int:
    if args.archive:
        series = read_dose_archive(args.file)
    else:
        series = read_dose_csv(args.file, gy_per_count=args.gy_per_count, dead_time_s=args.dead_time_s,
                               dead_time_model=args.dead_time_model, counter_bits=args.counter_bits)
    relative = EventThresholds.relative_to(series.rate_gy_s[np.isfinite(series.rate_gy_s)])
    on = ugy_h_to_gy_s(args.event_on_uGy_h) if args.event_on_uGy_h is not None else relative.on_gy_s
    off = ugy_h_to_gy_s(args.event_off_uGy_h) if args.event_off_uGy_h is not None else min(on, relative.off_gy_s)
    report = summarize(series, args.file, args.max_gap_s, "skip" if args.skip_bad else "raise",
                       EventThresholds(on, off, args.event_min_s))
    print(json.dumps(json_safe(report), indent=2) if args.json else render_text(report))
    return 0


def json_safe(value):
    """NaN and infinities become null: strict JSON has no such numbers."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value
