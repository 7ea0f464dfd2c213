"""Dose integration: the pure-Python mirror of native/dose.c.

Units: time in s, count rates in counts/s, absorbed dose in Gy, absorbed dose rate in Gy/s,
dose equivalent in Sv, LET in keV/um in water.  Function names, argument order and the order
of floating-point operations follow native/dose.c, so the two backends agree to the last bit
wherever libm and Python's math agree.  Call the backend picked by ZARYA_BACKEND through
`zarya.backends.dose()`; call this module directly to run the mirror.  Types, errors and
argument checks are zarya.dose.api's.
"""

from __future__ import annotations

import math

import numpy as np

from zarya.dose.api import (
    DEADTIME_MODELS,
    EDGES,
    GY_PER_KEV_UM_PER_CM2,
    KERNELS,
    NEGATIVE,
    NONMONOTONIC,
    NOTFINITE,
    OK,
    ON_BAD,
    RANGE,
    SATURATED,
    DoseEquivalent,
    DoseEvent,
    DoseInputError,
    Gap,
    Integration,
    Unwrapped,
    check_bins,
    check_choice,
    check_event_rule,
    check_gy_per_count,
    check_max_gap,
    check_same_length,
    check_window,
    counter_max_step,
    fail,
)

__all__ = KERNELS


def as_floats(values) -> list[float]:
    return values.tolist() if hasattr(values, "tolist") else [float(v) for v in values]


# 1. Count rate to dose rate -------------------------------------------------------------


def _paralyzable_rate(m_cps: float, tau_s: float) -> float:
    y = m_cps * tau_s
    if y > math.exp(-1.0):
        raise fail(SATURATED, None)
    x = y
    for _ in range(200):
        e = math.exp(-x)
        slope = (1.0 - x) * e
        if slope <= 0.0:
            break
        dx = (x * e - y) / slope
        x -= dx
        if abs(dx) <= 1e-15 * x:
            break
    return x / tau_s


def true_rate(m_cps: float, tau_s: float, model: str = "nonparalyzable") -> float:
    """True count rate (counts/s) from the measured rate m_cps with dead time tau_s (s).

    Non-paralyzable: n = m / (1 - m tau).  Paralyzable: the lower-branch root of
    m = n exp(-n tau).  Raises SaturationError where no finite root exists.
    """
    m_cps, tau_s = float(m_cps), float(tau_s)
    if not (math.isfinite(m_cps) and math.isfinite(tau_s)):
        raise fail(NOTFINITE, None)
    if m_cps < 0.0 or tau_s < 0.0:
        raise fail(NEGATIVE, None)
    code = check_choice("model", model, DEADTIME_MODELS)
    if tau_s == 0.0 or m_cps == 0.0:
        return m_cps
    if code == DEADTIME_MODELS["paralyzable"]:
        return _paralyzable_rate(m_cps, tau_s)
    busy = m_cps * tau_s
    if busy >= 1.0:
        raise fail(SATURATED, None)
    return m_cps / (1.0 - busy)


def counts_to_dose_rate(counts, interval_s, tau_s: float, model: str, gy_per_count: float) -> np.ndarray:
    """Absorbed dose rate (Gy/s) per sample: counts over interval_s (s), dead-time corrected,
    times the calibration gy_per_count (Gy per true count)."""
    check_gy_per_count(gy_per_count)
    check_choice("model", model, DEADTIME_MODELS)
    counts, interval_s = as_floats(counts), as_floats(interval_s)
    check_same_length("counts", counts, "interval_s", interval_s)
    out = []
    for i, (c, dt) in enumerate(zip(counts, interval_s, strict=True)):
        if not math.isfinite(dt):
            raise fail(NOTFINITE, i)
        if dt <= 0.0:
            raise fail(NEGATIVE, i)
        try:
            out.append(true_rate(c / dt, tau_s, model) * gy_per_count)
        except DoseInputError as err:
            raise fail(err.code, i) from None
    return np.array(out, dtype=float)


# 2. Counters ----------------------------------------------------------------------------


def unwrap_counter(raw, bits: int, max_step: int | None = None) -> Unwrapped:
    """Increments of a cumulative `bits`-bit counter.  A step down is a wrap when the wrapped
    step is <= max_step (default half the counter range), else a reset: the counter restarted
    from zero, so the increment is the new reading and no negative step is counted."""
    max_step = counter_max_step(bits, max_step)
    modulus = 1 << bits
    values = [int(v) for v in raw]
    increments = [0] * len(values)
    resets = []
    for i, value in enumerate(values):
        if value < 0 or value >= modulus:
            raise fail(RANGE, i)
        if i == 0:
            continue
        step = value - values[i - 1]
        if step >= 0:
            increments[i] = step
        elif step + modulus <= max_step:
            increments[i] = step + modulus
        else:
            increments[i] = value
            resets.append(i)
    return Unwrapped(np.array(increments, dtype=np.int64), resets)


# 3 and 4. Integration, whole and streaming -----------------------------------------------


class Integrator:
    """Streaming trapezoid integration of a dose-rate series (Gy/s over s).

    Feeding a series in chunks gives bit-for-bit the result of feeding it whole.  Intervals
    longer than max_gap_s are not bridged: they become Gaps whose dose is unknown.  Bad samples
    (NaN, negative rate, time not increasing) raise naming the global index, or with
    on_bad="skip" are skipped and counted.  After a raise the state holds the samples before
    the bad one.
    """

    def __init__(self, max_gap_s: float = math.inf, on_bad: str = "raise"):
        check_max_gap(max_gap_s)
        self.max_gap_s = float(max_gap_s)
        self.skip_bad = check_choice("on_bad", on_bad, ON_BAD) == ON_BAD["skip"]
        self.t_last_s = 0.0
        self.rate_last = 0.0
        self.has_last = False
        self.n_seen = 0
        self.n_skipped = 0
        self.n_gaps = 0
        self.total_gy = 0.0
        self.gap_s = 0.0
        self.gap_dose_gy = 0.0

    def _sample_error(self, t: float, rate: float) -> int:
        if not (math.isfinite(t) and math.isfinite(rate)):
            return NOTFINITE
        if rate < 0.0:
            return NEGATIVE
        if self.has_last and not t > self.t_last_s:
            return NONMONOTONIC
        return OK

    def feed(self, t_s, rate_gy_s) -> Integration:
        """Add a chunk; returns its cumulative dose (Gy, running total) and the gaps it closed."""
        times, rates = as_floats(t_s), as_floats(rate_gy_s)
        check_same_length("t_s", times, "rate_gy_s", rates)
        cumulative = [0.0] * len(times)
        gaps = []
        for i, (t, rate) in enumerate(zip(times, rates, strict=True)):
            err = self._sample_error(t, rate)
            if err:
                if not self.skip_bad:
                    index = self.n_seen + i
                    self.n_seen += i
                    raise fail(err, index)
                self.n_skipped += 1
                cumulative[i] = self.total_gy
                continue
            if self.has_last:
                dt = t - self.t_last_s
                area = 0.5 * (rate + self.rate_last) * dt
                if dt > self.max_gap_s:
                    self.gap_s += dt
                    self.gap_dose_gy += area
                    self.n_gaps += 1
                    gaps.append(Gap(self.t_last_s, t, area))
                else:
                    self.total_gy += area
            self.t_last_s = t
            self.rate_last = rate
            self.has_last = True
            cumulative[i] = self.total_gy
        self.n_seen += len(times)
        return self.summary(np.array(cumulative, dtype=float), gaps)

    def summary(self, cumulative_gy: np.ndarray, gaps: list[Gap]) -> Integration:
        return Integration(self.total_gy, cumulative_gy, gaps, self.gap_s, self.gap_dose_gy, self.n_skipped)


def integrate(t_s, rate_gy_s, max_gap_s: float = math.inf, on_bad: str = "raise") -> Integration:
    """Trapezoid integral of dose rate (Gy/s) over time (s); see Integrator for the rules."""
    return Integrator(max_gap_s, on_bad).feed(t_s, rate_gy_s)


# 5. Dose equivalent ---------------------------------------------------------------------


def quality_factor(let_kev_um: float) -> float:
    """ICRP 60 quality factor Q(L) for unrestricted LET L in water (keV/um)."""
    if let_kev_um < 10.0:
        return 1.0
    if let_kev_um <= 100.0:
        return 0.32 * let_kev_um - 2.2
    return 300.0 / math.sqrt(let_kev_um)


def dose_equivalent(counts, edges_kev_um, area_cm2: float = 1.0) -> DoseEquivalent:
    """Dose (Gy) and dose equivalent (Sv) of an LET histogram: counts[i] particles through
    area_cm2 in bin [edges[i], edges[i+1]) keV/um, each bin at the geometric mean of its edges."""
    counts, edges = as_floats(counts), as_floats(edges_kev_um)
    check_bins(len(counts), len(edges), area_cm2)
    for i, edge in enumerate(edges):
        if not math.isfinite(edge) or edge <= 0.0 or (i > 0 and not edge > edges[i - 1]):
            raise fail(EDGES, i, what="edge")
    dose = 0.0
    dose_eq = 0.0
    for i, c in enumerate(counts):
        if not math.isfinite(c):
            raise fail(NOTFINITE, i, what="bin")
        if c < 0.0:
            raise fail(NEGATIVE, i, what="bin")
        let = math.sqrt(edges[i] * edges[i + 1])
        bin_dose = c / area_cm2 * let * GY_PER_KEV_UM_PER_CM2
        dose += bin_dose
        dose_eq += quality_factor(let) * bin_dose
    return DoseEquivalent(dose, dose_eq)


# 6. Windows and events ------------------------------------------------------------------


def check_times(times: list[float]) -> None:
    for i, t in enumerate(times):
        if not math.isfinite(t):
            raise fail(NOTFINITE, i)
        if i > 0 and not t > times[i - 1]:
            raise fail(NONMONOTONIC, i)


def rolling_dose(t_s, cumulative_gy, window_s: float) -> np.ndarray:
    """Dose (Gy) in the trailing window (t_i - window_s, t_i] of a cumulative dose series,
    interpolating the cumulative dose linearly; before a full window, the dose since the start."""
    check_window(window_s)
    times, cum = as_floats(t_s), as_floats(cumulative_gy)
    check_same_length("t_s", times, "cumulative_gy", cum)
    check_times(times)
    out = [0.0] * len(times)
    j = 0
    for i, t in enumerate(times):
        start = t - window_s
        if start <= times[0]:
            out[i] = cum[i] - cum[0]
            continue
        while times[j + 1] <= start:
            j += 1
        frac = (start - times[j]) / (times[j + 1] - times[j])
        at_start = cum[j] + (cum[j + 1] - cum[j]) * frac
        out[i] = cum[i] - at_start
    return np.array(out, dtype=float)


def detect_events(t_s, rate_gy_s, on_gy_s: float, off_gy_s: float, min_duration_s: float = 0.0) -> list[DoseEvent]:
    """Elevated-dose events with hysteresis: an event starts at a sample with rate >= on_gy_s
    and ends at the first later sample with rate < off_gy_s; shorter than min_duration_s, dropped."""
    check_event_rule(on_gy_s, off_gy_s, min_duration_s)
    times, rates = as_floats(t_s), as_floats(rate_gy_s)
    check_same_length("t_s", times, "rate_gy_s", rates)
    check_times(times)
    for i, r in enumerate(rates):
        if not math.isfinite(r):
            raise fail(NOTFINITE, i)
        if r < 0.0:
            raise fail(NEGATIVE, i)

    def event(start: int, peak: int, end: int, dose: float, ongoing: bool) -> DoseEvent:
        return DoseEvent(times[start], times[peak], rates[peak], times[end], dose, ongoing)

    events = []
    inside = False
    start = peak = 0
    dose = 0.0
    for i, r in enumerate(rates):
        if not inside:
            if r >= on_gy_s:
                inside = True
                start = peak = i
                dose = 0.0
            continue
        dose += 0.5 * (r + rates[i - 1]) * (times[i] - times[i - 1])
        if r > rates[peak]:
            peak = i
        if r < off_gy_s:
            inside = False
            if times[i] - times[start] >= min_duration_s:
                events.append(event(start, peak, i, dose, False))
    if inside and times[-1] - times[start] >= min_duration_s:
        events.append(event(start, peak, len(rates) - 1, dose, True))
    return events
