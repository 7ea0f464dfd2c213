"""C kernels against the Python mirror on hypothesis-generated input.

Tolerance: the two do the same floating-point operations in the same order (the C is built
with -ffp-contract=off), so results agree to 1e-12 relative (in practice bit for bit); the
errors they raise agree in type and message.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zarya import backends
from zarya.dose.api import DoseInputError

C, PY = backends.dose("c"), backends.dose("python")
RTOL = 1e-12

finite = st.floats(min_value=0.0, max_value=1e3, allow_nan=False)
rates = st.floats(min_value=0.0, max_value=1e-3, allow_nan=False)
maybe_bad = st.one_of(rates, st.just(math.nan), st.just(-1e-9), st.just(math.inf))


def both(fn_name, *args, **kwargs):
    """Call the kernel on both backends; return both results, or assert they fail alike."""
    out = []
    for backend in (C, PY):
        try:
            out.append(getattr(backend, fn_name)(*args, **kwargs))
        except DoseInputError as err:
            out.append(err)
    c, py = out
    if isinstance(c, Exception) or isinstance(py, Exception):
        assert type(c) is type(py) and str(c) == str(py), (c, py)
        return None
    return c, py


@st.composite
def series(draw, bad=False, min_size=0):
    n = draw(st.integers(min_size, 60))
    steps = draw(st.lists(st.floats(1e-3, 500.0), min_size=n, max_size=n))
    t = (draw(st.floats(-1e6, 1e6)) + np.cumsum(steps)).tolist()
    rate = draw(st.lists(maybe_bad if bad else rates, min_size=n, max_size=n))
    if bad and n > 2 and draw(st.booleans()):
        i = draw(st.integers(1, n - 1))
        t[i] = t[i - 1] - draw(st.floats(0.0, 10.0))
    return t, rate


@given(st.floats(0.0, 2e4), st.floats(0.0, 1e-3), st.sampled_from(["nonparalyzable", "paralyzable"]))
def test_true_rate_agrees(m, tau, model):
    got = both("true_rate", m, tau, model)
    if got:
        assert got[0] == pytest.approx(got[1], rel=RTOL)


@given(st.lists(st.tuples(st.floats(0, 1e5), st.floats(1e-3, 100)), max_size=40), st.floats(0, 1e-4),
       st.sampled_from(["nonparalyzable", "paralyzable"]))
def test_counts_to_dose_rate_agrees(rows, tau, model):
    counts = [c for c, _ in rows]
    dt = [d for _, d in rows]
    got = both("counts_to_dose_rate", counts, dt, tau, model, 1e-8)
    if got:
        np.testing.assert_allclose(got[0], got[1], rtol=RTOL)


@given(st.sampled_from([16, 32]), st.data())
def test_unwrap_counter_agrees(bits, data):
    raw = data.draw(st.lists(st.integers(0, 2**bits - 1), max_size=50))
    max_step = data.draw(st.one_of(st.none(), st.integers(1, 2**bits)))
    got = both("unwrap_counter", raw, bits, max_step)
    assert got is not None
    assert got[0].increments.tolist() == got[1].increments.tolist()
    assert got[0].reset_indices == got[1].reset_indices
    assert all(v >= 0 for v in got[0].increments.tolist())


@settings(max_examples=200)
@given(series(bad=True), st.sampled_from([math.inf, 50.0, 200.0]), st.sampled_from(["raise", "skip"]))
def test_integrate_agrees_including_bad_input(s, max_gap, on_bad):
    got = both("integrate", *s, max_gap_s=max_gap, on_bad=on_bad)
    if got:
        c, py = got
        assert c.total_gy == pytest.approx(py.total_gy, rel=RTOL, abs=0)
        np.testing.assert_allclose(c.cumulative_gy, py.cumulative_gy, rtol=RTOL, atol=0)
        assert (c.gaps, c.n_skipped) == (py.gaps, py.n_skipped)
        assert c.unknown_gy == pytest.approx(py.unknown_gy, rel=RTOL)


@given(series(), st.data())
def test_streaming_agrees_with_whole_on_both_backends(s, data):
    t, rate = s
    cut = data.draw(st.integers(0, len(t)))
    for k in (C, PY):
        stream = k.Integrator(max_gap_s=100.0)
        stream.feed(t[:cut], rate[:cut])
        stream.feed(t[cut:], rate[cut:])
        assert stream.total_gy == k.integrate(t, rate, max_gap_s=100.0).total_gy


@given(st.floats(0.0, 1e5))
def test_quality_factor_agrees(let):
    assert C.quality_factor(let) == PY.quality_factor(let)


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=16), st.floats(0.01, 10), st.floats(0.01, 100.0))
def test_dose_equivalent_agrees(counts, first_edge, area):
    edges = (first_edge * np.geomspace(1, 1e5, len(counts) + 1)).tolist()
    got = both("dose_equivalent", counts, edges, area)
    assert got is not None
    assert got[0].dose_gy == pytest.approx(got[1].dose_gy, rel=RTOL)
    assert got[0].dose_eq_sv == pytest.approx(got[1].dose_eq_sv, rel=RTOL)


@given(series(min_size=1), st.floats(1.0, 5000.0))
def test_rolling_dose_agrees(s, window):
    t, rate = s
    cumulative = PY.integrate(t, rate).cumulative_gy
    got = both("rolling_dose", t, cumulative, window)
    assert got is not None
    np.testing.assert_allclose(got[0], got[1], rtol=RTOL, atol=1e-18)


@given(series(bad=True), st.floats(0.0, 1e-3), st.floats(0.0, 1.0), st.floats(0.0, 1000.0))
def test_detect_events_agrees(s, on, off_fraction, min_duration):
    got = both("detect_events", *s, on, on * off_fraction, min_duration)
    if got:
        assert len(got[0]) == len(got[1])
        for a, b in zip(*got, strict=True):
            assert (a.start_s, a.peak_s, a.end_s, a.ongoing) == (b.start_s, b.peak_s, b.end_s, b.ongoing)
            assert a.dose_gy == pytest.approx(b.dose_gy, rel=RTOL)
