"""Hand-calculated vectors for the dose kernels, on the backend ZARYA_BACKEND selects."""

import math

import numpy as np
import pytest

from zarya import backends
from zarya.dose.api import DoseInputError, SaturationError

k = backends.dose()


# 1. Dead time and calibration
def test_nonparalyzable_true_rate_is_m_over_one_minus_m_tau():
    assert k.true_rate(1000.0, 1e-4) == pytest.approx(1000.0 / 0.9, rel=1e-15)


def test_paralyzable_true_rate_inverts_m_equals_n_exp_minus_n_tau():
    m = 2000.0 * math.exp(-0.2)  # n = 2000 counts/s, tau = 100 us
    assert k.true_rate(m, 1e-4, "paralyzable") == pytest.approx(2000.0, rel=1e-12)


def test_paralyzable_takes_the_lower_branch_near_saturation():
    tau = 1e-4
    n = 0.9 / tau  # x = 0.9, below the fold at x = 1
    assert k.true_rate(n * math.exp(-0.9), tau, "paralyzable") == pytest.approx(n, rel=1e-6)


@pytest.mark.parametrize(("m", "model"), [(1e4, "nonparalyzable"), (2e4, "nonparalyzable"), (3700.0, "paralyzable")])
def test_saturation_is_reported_not_clipped(m, model):
    with pytest.raises(SaturationError, match="saturated"):
        k.true_rate(m, 1e-4, model)


def test_zero_dead_time_leaves_rate_unchanged():
    assert k.true_rate(123.0, 0.0, "paralyzable") == 123.0


def test_counts_to_dose_rate_applies_dead_time_then_calibration():
    rate = k.counts_to_dose_rate([60.0, 0.0], [60.0, 60.0], 1e-4, "nonparalyzable", 1e-8)
    assert rate[0] == pytest.approx(1.0 / (1 - 1e-4) * 1e-8, rel=1e-15)
    assert rate[1] == 0.0


def test_counts_to_dose_rate_names_the_saturated_sample():
    with pytest.raises(SaturationError, match="sample 2"):
        k.counts_to_dose_rate([1, 1, 600_000], [60, 60, 60], 1e-4, "nonparalyzable", 1e-8)


def test_counts_to_dose_rate_refuses_zero_interval_and_bad_model():
    with pytest.raises(DoseInputError, match="sample 1"):
        k.counts_to_dose_rate([1, 1], [60, 0], 1e-4, "nonparalyzable", 1e-8)
    with pytest.raises(DoseInputError, match="model must be one of"):
        k.counts_to_dose_rate([1], [1], 1e-4, "sometimes", 1e-8)


# 2. Counters
def test_16_bit_wrap_is_unwrapped():
    u = k.unwrap_counter([65530, 4, 20], 16)
    assert u.increments.tolist() == [0, 10, 16]
    assert u.reset_indices == []
    assert u.total_counts == 26


def test_32_bit_wrap_is_unwrapped():
    u = k.unwrap_counter([2**32 - 1, 5], 32)
    assert u.increments.tolist() == [0, 6]


def test_counter_reset_is_not_a_negative_step():
    u = k.unwrap_counter([40_000, 40_100, 7, 9], 16, max_step=1000)
    assert u.increments.tolist() == [0, 100, 7, 2]
    assert u.reset_indices == [2]


def test_step_down_within_half_the_range_is_a_wrap_by_default():
    assert k.unwrap_counter([40_100, 7], 16).increments.tolist() == [0, 7 + 65536 - 40_100]


def test_counter_value_out_of_range_is_named():
    with pytest.raises(DoseInputError, match=r"sample 1: counter value outside"):
        k.unwrap_counter([1, 70_000], 16)


# 3. Integration
def test_trapezoid_over_irregular_samples():
    res = k.integrate([0.0, 10.0, 30.0], [1.0, 3.0, 5.0])
    assert res.cumulative_gy.tolist() == [0.0, 20.0, 100.0]
    assert res.total_gy == 100.0


def test_gap_longer_than_max_is_reported_and_not_bridged():
    res = k.integrate([0, 10, 1000, 1010], [1, 1, 1, 1], max_gap_s=100)
    assert res.total_gy == 20.0
    assert res.gap_s == 990.0
    assert res.unknown_gy == 990.0
    assert [(g.t_start_s, g.t_end_s, g.duration_s) for g in res.gaps] == [(10.0, 1000.0, 990.0)]


def test_all_gap_series_has_zero_known_dose_and_all_unknown():
    res = k.integrate([0, 1000, 2000], [2, 2, 2], max_gap_s=10)
    assert res.total_gy == 0.0
    assert res.unknown_gy == 4000.0
    assert len(res.gaps) == 2


@pytest.mark.parametrize(("t", "rate", "index"), [
    ([0, 1, 2], [1, math.nan, 1], 1),
    ([0, 1, 2], [1, 1, -1e-9], 2),
    ([0, 5, 5], [1, 1, 1], 2),
    ([0, 5, 4], [1, 1, 1], 2),
    ([math.inf, 1], [1, 1], 0),
])
def test_bad_samples_are_refused_naming_the_first(t, rate, index):
    with pytest.raises(DoseInputError, match=f"sample {index}:"):
        k.integrate(t, rate)


def test_bad_samples_can_be_skipped_and_counted():
    res = k.integrate([0, 1, 2, 1.5, 3], [1, math.nan, 1, 1, 1], on_bad="skip")
    assert res.n_skipped == 2
    assert res.total_gy == 3.0
    assert res.cumulative_gy.tolist() == [0.0, 0.0, 2.0, 2.0, 3.0]


def test_empty_and_single_sample_series_integrate_to_zero():
    assert k.integrate([], []).total_gy == 0.0
    assert k.integrate([5.0], [1.0]).cumulative_gy.tolist() == [0.0]


# 4. Streaming
def test_chunks_give_exactly_the_whole_series():
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.1, 50, 1000))
    rate = rng.exponential(1e-8, 1000)
    whole = k.integrate(t, rate, max_gap_s=40)
    stream = k.Integrator(max_gap_s=40)
    parts = [stream.feed(t[a:b], rate[a:b]) for a, b in [(0, 1), (1, 1), (1, 333), (333, 1000)]]
    assert stream.total_gy == whole.total_gy
    assert np.array_equal(np.concatenate([p.cumulative_gy for p in parts]), whole.cumulative_gy)
    assert [g for p in parts for g in p.gaps] == whole.gaps
    assert stream.n_seen == 1000


def test_streaming_error_names_the_global_index():
    stream = k.Integrator()
    stream.feed([0, 1], [1, 1])
    with pytest.raises(DoseInputError, match="sample 3:"):
        stream.feed([2, 2], [1, 1])
    assert stream.total_gy == 2.0


# 5. Dose equivalent
@pytest.mark.parametrize(("let", "q"), [(0.5, 1.0), (9.999, 1.0), (10.0, 1.0), (50.0, 13.8), (100.0, 29.8), (400.0, 15.0)])
def test_icrp60_quality_factor(let, q):
    assert k.quality_factor(let) == pytest.approx(q, rel=1e-12)


def test_dose_equivalent_of_a_two_bin_spectrum():
    # bins [1, 4) -> L = 2, Q = 1;  [100, 400) -> L = 200, Q = 300/sqrt(200)
    res = k.dose_equivalent([1e6, 0.0, 1e4], [1.0, 4.0, 100.0, 400.0], area_cm2=2.0)
    d1 = 1e6 / 2 * 2.0 * 1.602176634e-9
    d3 = 1e4 / 2 * 200.0 * 1.602176634e-9
    assert res.dose_gy == pytest.approx(d1 + d3, rel=1e-14)
    assert res.dose_eq_sv == pytest.approx(d1 + 300 / math.sqrt(200) * d3, rel=1e-14)
    assert res.mean_quality_factor == pytest.approx(res.dose_eq_sv / res.dose_gy)


def test_dose_equivalent_refuses_bad_edges_and_counts():
    with pytest.raises(DoseInputError, match="edge 2"):
        k.dose_equivalent([1, 1], [1, 5, 5])
    with pytest.raises(DoseInputError, match="bin 1"):
        k.dose_equivalent([1, -1], [1, 5, 6])
    with pytest.raises(DoseInputError, match="2 bins need 3 edges"):
        k.dose_equivalent([1, 1], [1, 5])


# 6. Windows and events
def test_rolling_dose_over_a_window():
    t = np.arange(11.0)
    assert k.rolling_dose(t, t * 2, 3.0).tolist() == [0, 2, 4, 6, 6, 6, 6, 6, 6, 6, 6]


def test_rolling_dose_interpolates_inside_a_sample_interval():
    out = k.rolling_dose([0.0, 10.0, 20.0], [0.0, 10.0, 30.0], 15.0)
    assert out.tolist() == [0.0, 10.0, 30.0 - 5.0]


def test_events_with_hysteresis_minimum_duration_and_ongoing():
    t = np.arange(12.0) * 100
    rate = np.array([1, 5, 9, 4, 4, 1, 6, 1, 1, 5, 7, 6], dtype=float)
    events = k.detect_events(t, rate, on_gy_s=5.0, off_gy_s=3.0, min_duration_s=150.0)
    # 1..5 lasts 400 s; 6..7 lasts 100 s (dropped); 9.. runs to the end (ongoing)
    assert [(e.start_s, e.peak_s, e.end_s, e.ongoing) for e in events] == [
        (100.0, 200.0, 500.0, False), (900.0, 1000.0, 1100.0, True)]
    assert events[0].peak_rate_gy_s == 9.0
    assert events[0].dose_gy == pytest.approx(100 * (7 + 6.5 + 4 + 2.5))


def test_event_thresholds_are_checked():
    with pytest.raises(DoseInputError, match="off_gy_s <= on_gy_s"):
        k.detect_events([0, 1], [1, 1], on_gy_s=1.0, off_gy_s=2.0)
