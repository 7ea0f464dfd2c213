"""The dose kernels' rules at their edges, with exact values worked out by hand, on both backends.

Every rule runs on the C kernels and on the Python mirror by name (not through ZARYA_BACKEND),
so a fault in either is seen whichever backend the run selects.  Values are closed forms
computed here: a `bits`-bit counter wraps at 2**bits; a trapezoid is (a + b) / 2 * dt on
binary-exact numbers; a bin's LET is the geometric mean of its edges.  Inputs that are views
into a longer array (a slice of a numpy buffer, handed to C without a copy) check that a kernel
reads exactly n elements.  The C status codes of native/dose.h are checked through the C ABI
itself for the argument checks the Python wrapper makes before calling it.
"""

import math

import mpmath
import numpy as np
import pytest

from zarya import backends
from zarya._native import ffi, lib
from zarya.dose.api import ARG, EDGES, GY_PER_KEV_UM_PER_CM2, DoseInputError

BACKENDS = {"c": backends.dose("c"), "python": backends.dose("python")}
C, PY = BACKENDS["c"], BACKENDS["python"]
ZR_EARG = 7


@pytest.fixture(params=sorted(BACKENDS))
def k(request):
    return BACKENDS[request.param]


def view(values, extra):
    """`values` as a view into a longer float64 buffer whose next element is `extra`."""
    buf = np.array([*values, extra], dtype=np.float64)
    out = buf[: len(values)]
    assert out.base is buf and out.flags.c_contiguous
    return out


def view_after(extra, values):
    """`values` as a view into a float64 buffer whose element just before them is `extra`."""
    buf = np.array([extra, *values], dtype=np.float64)
    out = buf[1:]
    assert out.base is buf and out.flags.c_contiguous
    return out


# 1. Dead time ------------------------------------------------------------------------------------
@pytest.mark.parametrize("n_true", [9000, 9020, 9050, 9110, 9250])
def test_paralyzable_near_the_fold_matches_lambert_w_and_both_backends_agree_to_the_last_bit(n_true):
    # m = n exp(-n tau) with n tau in [0.9, 0.93]: the Newton solve works hardest here (the slope
    # (1 - x) exp(-x) is small).  The root is -W0(-m tau) / tau; the backends do the same operations
    # in the same order, so they agree exactly (mirror.py: "agree to the last bit").
    tau = 1e-4
    m = n_true * math.exp(-n_true * tau)
    with mpmath.workdps(40):
        exact = float(-mpmath.lambertw(-mpmath.mpf(m) * mpmath.mpf(tau)).real / mpmath.mpf(tau))
    c, py = C.true_rate(m, tau, "paralyzable"), PY.true_rate(m, tau, "paralyzable")
    assert c == py
    assert c == pytest.approx(exact, rel=1e-13)
    assert c == pytest.approx(n_true, rel=1e-12)


# 2. Counters -------------------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [1, 8, 16, 32])
def test_counter_readings_lie_in_zero_to_two_to_the_bits(k, bits):
    top = 2**bits - 1
    assert k.unwrap_counter([0, top], bits).increments.tolist() == [0, top]
    for raw, index in (([0, top + 1], 1), ([top + 1, 0], 0), ([-1, 0], 0), ([0, 0, -1], 2)):
        with pytest.raises(DoseInputError, match=f"sample {index}: counter value outside"):
            k.unwrap_counter(raw, bits)


def test_a_first_reading_out_of_range_is_refused_however_the_rest_looks(k):
    with pytest.raises(DoseInputError, match="sample 0: counter value outside"):
        k.unwrap_counter([70_000, 1, 2], 16)


def test_a_one_bit_counter_wraps_at_two(k):
    # max_step defaults to half the range, 1: every step down (1 -> 0) is a wrap of +1
    u = k.unwrap_counter([0, 1, 0, 1, 1, 0], 1)
    assert u.increments.tolist() == [0, 1, 1, 1, 0, 1]
    assert u.reset_indices == [] and u.total_counts == 4


def test_wrap_or_reset_is_decided_at_exactly_max_step(k):
    # 65000 -> 464 is a wrapped step of 464 + 65536 - 65000 = 1000 counts: a wrap at max_step 1000
    assert k.unwrap_counter([65_000, 464], 16, max_step=1000).increments.tolist() == [0, 1000]
    u = k.unwrap_counter([65_000, 465], 16, max_step=1000)  # 1001: a reset, the reading is the count
    assert u.increments.tolist() == [0, 465] and u.reset_indices == [1]


def test_the_first_increment_is_zero_whatever_the_first_reading(k):
    assert k.unwrap_counter([65_535, 65_535, 3], 16).increments.tolist() == [0, 0, 4]


# 3 and 4. Integration ----------------------------------------------------------------------------
def test_every_gap_is_counted_with_its_span_and_trapezoid_estimate(k):
    stream = k.Integrator(max_gap_s=100.0)
    res = stream.feed([0.0, 10.0, 1000.0, 1010.0, 2000.0, 2005.0], [1.0, 1.0, 3.0, 1.0, 5.0, 1.0])
    # bridged: 10 (0-10), (1 + 3) / 2 * 10 = 20 (1000-1010), (5 + 1) / 2 * 5 = 15 (2000-2005)
    # gaps: (1 + 3) / 2 * 990 = 1980 (10-1000), (1 + 5) / 2 * 990 = 2970 (1010-2000)
    assert res.cumulative_gy.tolist() == [0.0, 10.0, 10.0, 30.0, 30.0, 45.0]
    assert res.total_gy == 45.0
    assert [(g.t_start_s, g.t_end_s, g.estimate_gy) for g in res.gaps] == [(10.0, 1000.0, 1980.0),
                                                                           (1010.0, 2000.0, 2970.0)]
    assert (res.gap_s, res.unknown_gy) == (1980.0, 4950.0)
    assert stream.n_gaps == 2
    more = stream.feed([2200.0, 2210.0], [1.0, 3.0])  # (1 + 1) / 2 * 195 = 195 over 2005-2200
    assert [(g.t_start_s, g.t_end_s, g.estimate_gy) for g in more.gaps] == [(2005.0, 2200.0, 195.0)]
    assert (more.total_gy, more.gap_s, more.unknown_gy) == (65.0, 2175.0, 5145.0)
    assert (stream.n_gaps, stream.n_seen) == (3, 8)


def test_an_interval_of_exactly_max_gap_is_bridged(k):
    res = k.integrate([0.0, 100.0, 300.0], [1.0, 3.0, 1.0], max_gap_s=100.0)
    assert res.total_gy == 200.0 and res.cumulative_gy.tolist() == [0.0, 200.0, 200.0]
    assert [(g.t_start_s, g.t_end_s, g.estimate_gy) for g in res.gaps] == [(100.0, 300.0, 400.0)]


def test_a_repeated_time_is_refused_or_skipped_never_integrated(k):
    with pytest.raises(DoseInputError, match="sample 2: time does not increase strictly"):
        k.integrate([0.0, 4.0, 4.0, 8.0], [1.0, 1.0, 9.0, 1.0])
    res = k.integrate([0.0, 4.0, 4.0, 8.0], [1.0, 1.0, 9.0, 1.0], on_bad="skip")
    assert res.n_skipped == 1 and res.cumulative_gy.tolist() == [0.0, 4.0, 4.0, 8.0]


# 5. Dose equivalent ------------------------------------------------------------------------------
@pytest.mark.parametrize(("edges", "index"), [
    ([0.0, 1.0], 0),  # an edge must be positive: 0 is not
    ([-1.0, 1.0], 0),
    ([1.0, 5.0, 4.0], 2),  # the last edge is checked too
    ([1.0, 5.0, math.nan], 2),
    ([1.0, 5.0, math.inf], 2),
])
def test_bin_edges_must_be_positive_finite_and_increasing_to_the_last(k, edges, index):
    with pytest.raises(DoseInputError, match=f"edge {index}: LET bin edges") as err:
        k.dose_equivalent([1.0] * (len(edges) - 1), edges)
    assert err.value.code == EDGES


def test_dose_equivalent_reads_exactly_n_bins(k):
    # bins [1, 4) -> L = 2, Q = 1;  [4, 16) -> L = 8, Q = 1, no counts; the buffers go on past them
    res = k.dose_equivalent(view([1e6, 0.0], 5e5), view([1.0, 4.0, 16.0], 64.0))
    assert res.dose_gy == 1e6 * 2.0 * GY_PER_KEV_UM_PER_CM2
    assert res.dose_eq_sv == res.dose_gy


def test_the_first_bin_edge_is_compared_with_nothing_before_it(k):
    # the buffer holds 100 just before the edges: edge 0 has no predecessor, whatever lies there
    res = k.dose_equivalent([1e6], view_after(100.0, [1.0, 4.0]))
    assert res.dose_gy == 1e6 * 2.0 * GY_PER_KEV_UM_PER_CM2


# 6. Windows and events ---------------------------------------------------------------------------
def test_rolling_dose_reads_exactly_n_samples(k):
    t, cum = view([0.0, 1.0, 2.0, 3.0], math.nan), view([0.0, 1.0, 3.0, 6.0], math.nan)
    assert k.rolling_dose(t, cum, 2.0).tolist() == [0.0, 1.0, 3.0, 5.0]


def test_an_event_lasting_exactly_min_duration_is_kept(k):
    t = [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    rate = [0.0, 5.0, 5.0, 1.0, 0.0, 6.0, 2.0, 0.0]
    events = k.detect_events(t, rate, on_gy_s=5.0, off_gy_s=3.0, min_duration_s=2.0)
    # 1..3 lasts 2 s: kept, peak the first 5, dose 5 + 3;  5..6 lasts 1 s: dropped
    assert [(e.start_s, e.peak_s, e.peak_rate_gy_s, e.end_s, e.dose_gy, e.ongoing) for e in events] == [
        (1.0, 1.0, 5.0, 3.0, 8.0, False)]
    assert k.detect_events(t, rate, on_gy_s=5.0, off_gy_s=3.0, min_duration_s=2.5) == []


def test_an_ongoing_event_lasting_exactly_min_duration_is_kept(k):
    events = k.detect_events([0.0, 1.0, 2.0], [0.0, 5.0, 7.0], on_gy_s=5.0, off_gy_s=3.0, min_duration_s=1.0)
    assert [(e.start_s, e.peak_s, e.peak_rate_gy_s, e.end_s, e.dose_gy, e.ongoing) for e in events] == [
        (1.0, 2.0, 7.0, 2.0, 6.0, True)]


def test_events_of_any_length_count_by_default(k):
    events = k.detect_events([0.0, 1.0, 2.0], [0.0, 5.0, 0.0], on_gy_s=5.0, off_gy_s=3.0)
    assert [(e.start_s, e.end_s, e.dose_gy, e.ongoing) for e in events] == [(1.0, 2.0, 2.5, False)]


def test_event_detection_reads_exactly_n_samples(k):
    # after the 4 samples the buffers hold a time going back and a rate of 0, which neither the
    # time check nor the event (still ongoing at the last sample) may see
    t, rate = view([0.0, 1.0, 2.0, 3.0], -1.0), view([0.0, 5.0, 5.0, 5.0], 0.0)
    events = k.detect_events(t, rate, on_gy_s=5.0, off_gy_s=3.0)
    assert [(e.start_s, e.end_s, e.dose_gy, e.ongoing) for e in events] == [(1.0, 3.0, 10.0, True)]


# The C ABI (native/dose.h): argument checks the Python wrapper makes before calling, and
# outputs that may be NULL --------------------------------------------------------------------------
def c_doubles(values):
    return ffi.new("double[]", [float(v) for v in values])


@pytest.mark.parametrize(("max_gap_s", "on_bad"), [(math.nan, 0), (0.0, 0), (-1.0, 1), (10.0, 2), (10.0, -1)])
def test_c_integrator_feed_refuses_bad_arguments(max_gap_s, on_bad):
    state = ffi.new("zr_integrator *")
    lib.integrator_init(state)
    cumulative, gaps = ffi.new("double[2]"), ffi.new("double[6]")
    n_gaps, bad = ffi.new("size_t *", 99), ffi.new("size_t *")
    code = lib.integrator_feed(state, c_doubles([0, 1]), c_doubles([1, 1]), 2, max_gap_s, on_bad, cumulative, gaps,
                               n_gaps, bad)
    assert code == ZR_EARG and n_gaps[0] == 0
    assert (state.n_seen, state.has_last, state.total_gy) == (0, 0, 0.0)


def test_c_integrator_feed_takes_null_outputs():
    state = ffi.new("zr_integrator *")
    lib.integrator_init(state)
    n_gaps, bad = ffi.new("size_t *"), ffi.new("size_t *")
    code = lib.integrator_feed(state, c_doubles([0, 10, 1000]), c_doubles([1, 1, 3]), 3, 100.0, 0, ffi.NULL, ffi.NULL,
                               n_gaps, bad)
    assert code == 0 and n_gaps[0] == 1
    assert (state.total_gy, state.gap_s, state.gap_dose_gy, state.n_gaps, state.n_seen) == (10.0, 990.0, 1980.0, 1, 3)


@pytest.mark.parametrize("window_s", [math.nan, 0.0, -2.0])
def test_c_rolling_dose_refuses_a_window_that_is_not_positive(window_s):
    out, bad = ffi.new("double[3]"), ffi.new("size_t *")
    assert lib.rolling_dose(c_doubles([0, 1, 2]), c_doubles([0, 1, 2]), 3, window_s, out, bad) == ZR_EARG


@pytest.mark.parametrize(("on", "off", "min_duration"), [
    (math.nan, 1.0, 0.0), (2.0, math.inf, 0.0), (1.0, 2.0, 0.0), (2.0, 1.0, -1.0), (2.0, 1.0, math.nan)])
def test_c_detect_events_refuses_bad_rules_and_reports_no_event(on, off, min_duration):
    rows, n_events, bad = ffi.new("double[18]"), ffi.new("size_t *", 99), ffi.new("size_t *")
    code = lib.detect_events(c_doubles([0, 1, 2]), c_doubles([5, 5, 5]), 3, on, off, min_duration, rows, n_events, bad)
    assert code == ZR_EARG and n_events[0] == 0


def test_c_detect_events_on_bad_samples_reports_no_event():
    rows, n_events, bad = ffi.new("double[18]"), ffi.new("size_t *", 99), ffi.new("size_t *")
    code = lib.detect_events(c_doubles([0, 1, 1]), c_doubles([5, 5, 5]), 3, 2.0, 1.0, 0.0, rows, n_events, bad)
    assert (code, bad[0], n_events[0]) == (4, 2, 0)  # ZR_ENONMONOTONIC at sample 2


@pytest.mark.parametrize(("bits", "max_step"), [(0, 1), (63, 1), (16, 0), (16, -5)])
def test_c_unwrap_counter_refuses_bad_bits_and_max_step(bits, max_step):
    raw = ffi.new("int64_t[]", [1, 2])
    inc, reset, bad = ffi.new("int64_t[2]"), ffi.new("uint8_t[2]"), ffi.new("size_t *")
    assert lib.unwrap_counter(raw, 2, bits, max_step, inc, reset, bad) == ZR_EARG


def test_c_dose_equivalent_refuses_zero_bins_and_bad_area():
    dose, dose_eq, bad = ffi.new("double *"), ffi.new("double *"), ffi.new("size_t *")
    for n_bins, area in ((0, 1.0), (1, 0.0), (1, math.nan), (1, -1.0)):
        assert lib.dose_equivalent(c_doubles([1]), c_doubles([1, 2]), n_bins, area, dose, dose_eq, bad) == ZR_EARG
    assert lib.dose_equivalent(c_doubles([1]), c_doubles([1, 4]), 1, 1.0, dose, dose_eq, bad) == 0
    assert dose[0] == 2.0 * GY_PER_KEV_UM_PER_CM2


def test_the_python_checks_name_the_argument():
    with pytest.raises(DoseInputError, match="window_s must be > 0") as err:
        C.rolling_dose([0, 1], [0, 1], 0.0)
    assert err.value.code == ARG and err.value.index is None
