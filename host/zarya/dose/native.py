"""Dose integration on the C kernels (native/dose.c): the API of zarya.dose.mirror, name for name.

Inputs are taken as contiguous float64 (or int64) arrays and handed to C without a Python
loop; types, errors and argument checks are zarya.dose.api's.
"""

from __future__ import annotations

import math

import numpy as np

from zarya._native import ffi, lib
from zarya.dose import api
from zarya.dose.api import fail

__all__ = api.KERNELS


def f64(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def ptr(array: np.ndarray, ctype: str = "double[]"):
    return ffi.from_buffer(ctype, array)


def raise_on(code: int, bad_index, what: str = "sample") -> None:
    if code:
        raise fail(code, None if code == api.ARG else int(bad_index[0]), what)


def true_rate(m_cps: float, tau_s: float, model: str = "nonparalyzable") -> float:
    n_cps = ffi.new("double *")
    code = lib.true_rate(float(m_cps), float(tau_s), api.check_choice("model", model, api.DEADTIME_MODELS), n_cps)
    if code:
        raise fail(code, None)
    return n_cps[0]


def counts_to_dose_rate(counts, interval_s, tau_s: float, model: str, gy_per_count: float) -> np.ndarray:
    c, dt = f64(counts), f64(interval_s)
    api.check_same_length("counts", c, "interval_s", dt)
    api.check_gy_per_count(gy_per_count)
    out = np.empty_like(c)
    bad = ffi.new("size_t *")
    code = lib.counts_to_dose_rate(
        ptr(c), ptr(dt), c.size, float(tau_s), api.check_choice("model", model, api.DEADTIME_MODELS),
        float(gy_per_count), ptr(out), bad,
    )
    raise_on(code, bad)
    return out


def unwrap_counter(raw, bits: int, max_step: int | None = None) -> api.Unwrapped:
    max_step = api.counter_max_step(bits, max_step)
    values = np.ascontiguousarray(raw, dtype=np.int64)
    increments = np.empty_like(values)
    resets = np.empty(values.size, dtype=np.uint8)
    bad = ffi.new("size_t *")
    code = lib.unwrap_counter(
        ptr(values, "int64_t[]"), values.size, bits, max_step, ptr(increments, "int64_t[]"),
        ptr(resets, "uint8_t[]"), bad,
    )
    raise_on(code, bad)
    return api.Unwrapped(increments, np.flatnonzero(resets).tolist())


class Integrator:
    """Streaming trapezoid integration (see zarya.dose.Integrator): state in a C struct."""

    def __init__(self, max_gap_s: float = math.inf, on_bad: str = "raise"):
        api.check_max_gap(max_gap_s)
        self.max_gap_s = float(max_gap_s)
        self._on_bad = api.check_choice("on_bad", on_bad, api.ON_BAD)
        self._state = ffi.new("zr_integrator *")
        lib.integrator_init(self._state)

    def __getattr__(self, name: str):
        if name in ("t_last_s", "rate_last", "n_seen", "n_skipped", "n_gaps", "total_gy", "gap_s", "gap_dose_gy"):
            return getattr(self._state, name)
        if name == "has_last":
            return bool(self._state.has_last)
        raise AttributeError(name)

    def feed(self, t_s, rate_gy_s) -> api.Integration:
        t, rate = f64(t_s), f64(rate_gy_s)
        api.check_same_length("t_s", t, "rate_gy_s", rate)
        cumulative = np.empty_like(t)
        gap_rows = np.empty(3 * t.size)
        n_gaps, bad = ffi.new("size_t *"), ffi.new("size_t *")
        code = lib.integrator_feed(
            self._state, ptr(t), ptr(rate), t.size, self.max_gap_s, self._on_bad,
            ptr(cumulative), ptr(gap_rows), n_gaps, bad,
        )
        raise_on(code, bad)
        gaps = [api.Gap(*row) for row in gap_rows[: 3 * n_gaps[0]].reshape(-1, 3).tolist()]
        s = self._state
        return api.Integration(s.total_gy, cumulative, gaps, s.gap_s, s.gap_dose_gy, s.n_skipped)


def integrate(t_s, rate_gy_s, max_gap_s: float = math.inf, on_bad: str = "raise") -> api.Integration:
    return Integrator(max_gap_s, on_bad).feed(t_s, rate_gy_s)


def quality_factor(let_kev_um: float) -> float:
    """ICRP 60 quality factor Q(L) for unrestricted LET L in water (keV/um)."""
    return lib.quality_factor(float(let_kev_um))


def dose_equivalent(counts, edges_kev_um, area_cm2: float = 1.0) -> api.DoseEquivalent:
    c, edges = f64(counts), f64(edges_kev_um)
    api.check_bins(c.size, edges.size, float(area_cm2))
    dose, dose_eq, bad = ffi.new("double *"), ffi.new("double *"), ffi.new("size_t *")
    code = lib.dose_equivalent(ptr(c), ptr(edges), c.size, float(area_cm2), dose, dose_eq, bad)
    raise_on(code, bad, "edge" if code == api.EDGES else "bin")
    return api.DoseEquivalent(dose[0], dose_eq[0])


def rolling_dose(t_s, cumulative_gy, window_s: float) -> np.ndarray:
    t, cum = f64(t_s), f64(cumulative_gy)
    api.check_same_length("t_s", t, "cumulative_gy", cum)
    api.check_window(window_s)
    out = np.empty_like(t)
    bad = ffi.new("size_t *")
    raise_on(lib.rolling_dose(ptr(t), ptr(cum), t.size, float(window_s), ptr(out), bad), bad)
    return out


def detect_events(t_s, rate_gy_s, on_gy_s: float, off_gy_s: float, min_duration_s: float = 0.0) -> list[api.DoseEvent]:
    api.check_event_rule(on_gy_s, off_gy_s, min_duration_s)
    t, rate = f64(t_s), f64(rate_gy_s)
    api.check_same_length("t_s", t, "rate_gy_s", rate)
    rows = np.empty(6 * t.size)
    n_events, bad = ffi.new("size_t *"), ffi.new("size_t *")
    code = lib.detect_events(
        ptr(t), ptr(rate), t.size, float(on_gy_s), float(off_gy_s), float(min_duration_s), ptr(rows), n_events, bad
    )
    raise_on(code, bad)
    return [api.DoseEvent(*row[:5], bool(row[5])) for row in rows[: 6 * n_events[0]].reshape(-1, 6).tolist()]
