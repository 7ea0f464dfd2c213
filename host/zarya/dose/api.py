"""What both dose backends share: status codes, errors, result types and argument checks.

The mirror (zarya.dose.mirror) and the C wrapper (zarya.dose.native) implement KERNELS under
the same names; neither imports the other.  Argument checks that need no sample loop are made
here, once, before either backend runs.  Units: s, counts/s, Gy, Gy/s, Sv, keV/um in water.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from zarya.errors import ZaryaError

KERNELS = [
    "Integrator",
    "counts_to_dose_rate",
    "detect_events",
    "dose_equivalent",
    "integrate",
    "quality_factor",
    "rolling_dose",
    "true_rate",
    "unwrap_counter",
]

# Status codes, as in native/dose.h.
OK, SATURATED, NOTFINITE, NEGATIVE, NONMONOTONIC, RANGE, EDGES, ARG = range(8)
DEADTIME_MODELS = {"nonparalyzable": 0, "paralyzable": 1}
ON_BAD = {"raise": 0, "skip": 1}
GY_PER_KEV_UM_PER_CM2 = 1.602176634e-9  # 1 keV/um through 1 particle/cm^2 of water

_REASONS = {
    SATURATED: "detector saturated: dead-time correction has no solution (rate * dead time too high)",
    NOTFINITE: "value is not finite (NaN or infinite)",
    NEGATIVE: "value is negative (or an interval is not positive)",
    NONMONOTONIC: "time does not increase strictly",
    RANGE: "counter value outside [0, 2^bits)",
    EDGES: "LET bin edges must be positive, finite and strictly increasing",
}


class DoseInputError(ZaryaError, ValueError):
    """Bad input to a dose kernel: `index` names the first bad element (None for an argument)."""

    def __init__(self, code: int, index: int | None, what: str = "sample", detail: str = ""):
        self.code, self.index = code, index
        reason = detail or _REASONS.get(code, "bad argument")
        super().__init__(f"{what} {index}: {reason}" if index is not None else reason)


class SaturationError(DoseInputError):
    """The detector saw more than dead-time correction can recover."""


def fail(code: int, index: int | None, what: str = "sample", detail: str = "") -> DoseInputError:
    """The exception for a kernel status code (shared by both backends)."""
    cls = SaturationError if code == SATURATED else DoseInputError
    return cls(code, index, what, detail)


def check_choice(name: str, value: str, choices: dict[str, int]) -> int:
    if value not in choices:
        raise DoseInputError(ARG, None, detail=f"{name} must be one of {sorted(choices)}, not {value!r}")
    return choices[value]


@dataclass(frozen=True)
class Gap:
    """An interval longer than max_gap_s that integration did not bridge."""

    t_start_s: float
    t_end_s: float
    estimate_gy: float  # trapezoid over the gap: reported as unknown, never added to the total

    @property
    def duration_s(self) -> float:
        return self.t_end_s - self.t_start_s


@dataclass(frozen=True)
class Integration:
    """Dose integrated over a series (or the chunks fed so far)."""

    total_gy: float
    cumulative_gy: np.ndarray
    gaps: list[Gap] = field(default_factory=list)
    gap_s: float = 0.0
    unknown_gy: float = 0.0  # the estimate over the gaps
    n_skipped: int = 0


@dataclass(frozen=True)
class Unwrapped:
    """Per-sample increments of a wrapping hardware counter."""

    increments: np.ndarray  # int64, increments[0] == 0
    reset_indices: list[int]  # samples where the counter restarted from zero (reboot)

    @property
    def total_counts(self) -> int:
        return int(self.increments.sum())


@dataclass(frozen=True)
class DoseEquivalent:
    dose_gy: float
    dose_eq_sv: float

    @property
    def mean_quality_factor(self) -> float:
        return self.dose_eq_sv / self.dose_gy if self.dose_gy > 0 else math.nan


@dataclass(frozen=True)
class DoseEvent:
    """An elevated-dose event: rate >= on threshold until it falls below the off threshold."""

    start_s: float
    peak_s: float
    peak_rate_gy_s: float
    end_s: float
    dose_gy: float
    ongoing: bool  # the series ended inside the event


def check_same_length(name_a: str, a, name_b: str, b) -> None:
    if len(a) != len(b):
        raise fail(ARG, None, detail=f"{name_a} has {len(a)} samples but {name_b} has {len(b)}")



def check_gy_per_count(gy_per_count: float) -> None:
    if not (math.isfinite(gy_per_count) and gy_per_count > 0.0):
        raise fail(ARG, None, detail=f"gy_per_count must be a positive number, not {gy_per_count!r}")


def counter_max_step(bits: int, max_step: int | None) -> int:
    """The largest step read as a wrap (default half the counter range), checked with bits."""
    if max_step is None:
        max_step = 1 << (bits - 1) if 1 <= bits <= 62 else 0
    if not (1 <= bits <= 62) or max_step <= 0:
        raise fail(ARG, None, detail=f"need 1 <= bits <= 62 and max_step > 0 (bits={bits}, max_step={max_step})")
    return max_step


def check_max_gap(max_gap_s: float) -> None:
    if math.isnan(max_gap_s) or max_gap_s <= 0.0:
        raise fail(ARG, None, detail=f"max_gap_s must be > 0, not {max_gap_s!r}")


def check_bins(n_bins: int, n_edges: int, area_cm2: float) -> None:
    if not n_bins or not (math.isfinite(area_cm2) and area_cm2 > 0.0):
        raise fail(ARG, None, detail="need at least one bin and area_cm2 > 0")
    if n_edges != n_bins + 1:
        raise fail(ARG, None, detail=f"{n_bins} bins need {n_bins + 1} edges, not {n_edges}")


def check_window(window_s: float) -> None:
    if math.isnan(window_s) or window_s <= 0.0:
        raise fail(ARG, None, detail=f"window_s must be > 0, not {window_s!r}")


def check_event_rule(on_gy_s: float, off_gy_s: float, min_duration_s: float) -> None:
    if not (math.isfinite(on_gy_s) and math.isfinite(off_gy_s)) or off_gy_s > on_gy_s or not min_duration_s >= 0.0:
        raise fail(ARG, None, detail="need finite thresholds with off_gy_s <= on_gy_s, and min_duration_s >= 0")
