"""What `zarya dose integrate` reports about a dose-rate series: totals, gaps, events."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from zarya import backends
from zarya.dose.api import DoseInputError
from zarya.dose.readers import DoseFileError, DoseSeries, line_of
from zarya.units import DAY_S, HOUR_S, gy_s_to_ugy_h


@dataclass(frozen=True)
class EventThresholds:
    """Elevated-dose event rule; defaults are relative to the median (background) rate."""

    on_gy_s: float
    off_gy_s: float
    min_duration_s: float = 900.0  # NOAA declares a radiation storm after 15 min above threshold

    @classmethod
    def relative_to(cls, rate_gy_s: np.ndarray, on_factor: float = 3.0, off_factor: float = 2.0) -> EventThresholds:
        background = float(np.median(rate_gy_s)) if len(rate_gy_s) else 0.0
        return cls(on_factor * background, off_factor * background)


def accepted(t_s: np.ndarray, rate_gy_s: np.ndarray) -> np.ndarray:
    """Mask of the samples an on_bad="skip" integration keeps (finite, rate >= 0, time rising)."""
    keep = np.isfinite(t_s) & np.isfinite(rate_gy_s) & (rate_gy_s >= 0)
    t_last = -math.inf
    for i in np.flatnonzero(keep):
        keep[i] = t_s[i] > t_last
        t_last = t_s[i] if keep[i] else t_last
    return keep


def summarize(series: DoseSeries, path, max_gap_s: float = math.inf, on_bad: str = "raise",
              thresholds: EventThresholds | None = None) -> dict:
    """Integrate `series` and return the report as plain data (SI units in the key names)."""
    k = backends.dose()
    try:
        absorbed = k.integrate(series.t_s, series.rate_gy_s, max_gap_s, on_bad)
        equivalent = None
        if series.quality is not None:
            equivalent = k.integrate(series.t_s, series.rate_gy_s * series.quality, max_gap_s, on_bad)
        keep = accepted(series.t_s, series.rate_gy_s) if on_bad == "skip" else slice(None)
        t_s, rate = series.t_s[keep], series.rate_gy_s[keep]
        thresholds = thresholds or EventThresholds.relative_to(rate)
        events = k.detect_events(t_s, rate, thresholds.on_gy_s, thresholds.off_gy_s, thresholds.min_duration_s)
        day_max = float(np.max(k.rolling_dose(t_s, absorbed.cumulative_gy[keep], DAY_S), initial=0.0))
    except DoseInputError as err:
        raise DoseFileError(path, line_of(err, series.lines), str(err).split(": ", 1)[-1]) from None
    span_s = float(series.t_s[-1] - series.t_s[0]) if len(series.t_s) else 0.0
    covered_s = span_s - absorbed.gap_s
    report = {
        "file": str(path),
        "source_column": series.source_column,
        "samples": len(series.t_s),
        "span_s": span_s,
        "absorbed_dose_gy": absorbed.total_gy,
        "mean_dose_rate_gy_s": absorbed.total_gy / covered_s if covered_s > 0 else math.nan,
        "max_24h_dose_gy": day_max,
        "dose_equivalent_sv": equivalent.total_gy if equivalent else None,
        "mean_quality_factor": equivalent.total_gy / absorbed.total_gy if equivalent and absorbed.total_gy else None,
        "gaps": [dict(asdict(g), duration_s=g.duration_s) for g in absorbed.gaps],
        "gap_s": absorbed.gap_s,
        "unknown_dose_estimate_gy": absorbed.unknown_gy,
        "skipped_samples": absorbed.n_skipped,
        "event_rule": asdict(thresholds),
        "events": [asdict(e) for e in events],
        "backend": k.__name__,
    }
    if series.source_column != "dose_rate_uGy_h":
        report["detector"] = series.detector
    return report


def dose_text(gy: float) -> str:
    """A dose for humans: uGy below 1 mGy, mGy below 1 Gy."""
    if abs(gy) < 1e-3:
        return f"{gy * 1e6:.3g} uGy"
    if abs(gy) < 1.0:
        return f"{gy * 1e3:.4g} mGy"
    return f"{gy:.4g} Gy"


def duration_text(s: float) -> str:
    if s >= 2 * DAY_S:
        return f"{s / DAY_S:.2f} d"
    if s >= HOUR_S:
        return f"{s / HOUR_S:.2f} h"
    return f"{s:.0f} s"


def render_text(report: dict) -> str:
    lines = [f"{report['file']}: {report['samples']} samples from {report['source_column']} "
             f"over {duration_text(report['span_s'])}"]
    lines.append(f"  absorbed dose      {dose_text(report['absorbed_dose_gy'])}"
                 f"  (mean {gy_s_to_ugy_h(report['mean_dose_rate_gy_s']):.3g} uGy/h, "
                 f"{report['mean_dose_rate_gy_s'] * DAY_S * 1e3:.3g} mGy/day)")
    lines.append(f"  worst 24 h         {dose_text(report['max_24h_dose_gy'])}")
    if report["dose_equivalent_sv"] is not None:
        sv = report["dose_equivalent_sv"]
        lines.append(f"  dose equivalent    {dose_text(sv).replace('Gy', 'Sv')}"
                     f"  (mean quality factor {report['mean_quality_factor']:.2f})")
    else:
        lines.append("  dose equivalent    not available (no LET columns)")
    gaps = report["gaps"]
    lines.append(f"  gaps               {len(gaps)}" + (
        f": {duration_text(report['gap_s'])} not bridged, about {dose_text(report['unknown_dose_estimate_gy'])}"
        " unknown (not in the total)" if gaps else ""))
    for g in gaps:
        lines.append(f"    t = {g['t_start_s']:.0f} .. {g['t_end_s']:.0f} s ({duration_text(g['duration_s'])})")
    if report["skipped_samples"]:
        lines.append(f"  skipped            {report['skipped_samples']} bad samples")
    rule = report["event_rule"]
    lines.append(f"  events             {len(report['events'])} (on >= {gy_s_to_ugy_h(rule['on_gy_s']):.3g} uGy/h, "
                 f"off < {gy_s_to_ugy_h(rule['off_gy_s']):.3g} uGy/h, >= {duration_text(rule['min_duration_s'])})")
    for e in report["events"]:
        lines.append(f"    t = {e['start_s']:.0f} .. {e['end_s']:.0f} s, peak {gy_s_to_ugy_h(e['peak_rate_gy_s']):.4g} uGy/h "
                     f"at {e['peak_s']:.0f} s, dose {dose_text(e['dose_gy'])}" + (" (ongoing)" if e["ongoing"] else ""))
    return "\n".join(lines)
