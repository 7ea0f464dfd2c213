# The radiation monitor at every sample cadence, against the dose it was given: a GM tube driven
# by a known true-rate profile (background, a solar particle event, a saturating burst) through the
# non-paralyzable dead-time response, and an LET spectrum with a known dose-weighted mean Q.
# The references here are the injected profile and ICRP 60's Q(L), written out independently of
# the firmware's own formulas.
import math
import os

from apps import radmon as rm
from mp_helpers import boot_apps

GY_PER_COUNT = 1e-8  # the firmware's default calibration
TAU_S = 1e-4  # the firmware's default dead time
UGY_H = 1e-6 / 3600
RAD_SAMPLE_S = 10  # parameter id of rad_sample_s


def spe_ugy_h(t_s, peak_ugy_h, onset_s=3 * 3600, rise_s=3600, decay_s=3 * 3600):
    """Background plus a linear-rise, exponential-decay event (uGy/h)."""
    rate = 20.0
    dt = t_s - onset_s
    if dt > 0:
        rate += peak_ugy_h * (dt / rise_s if dt < rise_s else math.exp(-(dt - rise_s) / decay_s))
    return rate


class Flight:
    """What a comparison needs, gathered sample by sample (a list of every sample would not fit
    the Pico-sized heap): the truth over the board's integration span, the worst rate error of the
    well-counted samples, and the saturated samples' rates against the truth."""

    def __init__(self):
        self.truth_gy = 0.0  # injected dose between the first and the last sample's midpoints
        self.busy = 0  # samples with enough counts for a 1 % rate comparison
        self.worst_rate_error = 0.0
        self.saturated = 0
        self.above_truth = 0  # saturated samples whose rate is above the truth: not a lower bound


def fresh_board_dir():
    """Each flight on a board of its own: the records of the last one (dose totals) stay behind."""
    global flights
    flights += 1
    os.mkdir(f"flight{flights}")
    os.chdir(f"flight{flights}")


flights = 0


def short(cadence_s, hours):
    """1 s sampling flies 20x more steps: its event starts after 30 min and the flight lasts 2 h
    (the same peak, rise and decay as at the other cadences)."""
    return (1800, 2) if cadence_s == 1 else (3 * 3600, hours)


def fly(cadence_s, step_s, hours, profile):
    """Drive the board through `profile` (t_s -> true uGy/h); returns the monitor and a Flight."""
    fresh_board_dir()
    board, app, rad, _ = boot_apps()
    app.params.set(RAD_SAMPLE_S, cadence_s)
    out = Flight()
    t = 0.0
    truth = 0.0  # Gy, the injected dose since t = 0
    history = [(0.0, 0.0)]  # (t, truth) over the last sample period, to place samples
    acc = 0.0
    first = None
    runs = rad.task.runs
    for _ in range(int(hours * 3600 / step_s)):
        n_cps = profile(t + step_s / 2) * UGY_H / GY_PER_COUNT  # true rate over the step
        truth += n_cps * GY_PER_COUNT * step_s
        t += step_s
        acc += n_cps / (1 + n_cps * TAU_S) * step_s  # what a non-paralyzable tube counts
        whole = int(acc)
        acc -= whole
        board.count = (board.count + whole) & 0xFFFFFFFF
        board.ticks = (board.ticks + int(step_s * 1000)) & ((1 << 30) - 1)
        history.append((t, truth))
        while len(history) > 2 and history[1][0] <= t - cadence_s - step_s:
            history.pop(0)
        app.step()
        board.frames()
        if rad.task.runs == runs or not rad.have_rate:
            continue
        runs = rad.task.runs
        at = truth_at(history, t - cadence_s / 2)  # a sample's rate sits mid-interval
        first = at if first is None else first
        out.truth_gy = at - first
        mean = (truth - truth_at(history, t - cadence_s)) / cadence_s
        if rad.sensor == rm.FAULT and rad.fault_reason == rm.SATURATED:
            out.saturated += 1
            out.above_truth += rad.rate_gy_s > mean
        elif rad.counts >= 2000:
            out.busy += 1
            out.worst_rate_error = max(out.worst_rate_error, abs(rad.rate_gy_s - mean) / mean)
    os.chdir("..")
    return rad, out


def truth_at(history, t):
    for (t0, c0), (t1, c1) in zip(history, history[1:]):  # noqa: B905, RUF007 (MicroPython: no strict=, no pairwise)
        if t0 <= t <= t1:
            return c0 + (c1 - c0) * (t - t0) / (t1 - t0)
    raise ValueError("time outside the kept history")


def check_dose_and_rate(cadence_s, step_s, hours, peak_ugy_h):
    onset_s, hours = short(cadence_s, hours)
    rad, f = fly(cadence_s, step_s, hours, lambda t: spe_ugy_h(t, peak_ugy_h, onset_s))
    assert f.saturated == 0 and rad.sensor == rm.OK, (cadence_s, f.saturated)
    assert abs(rad.total_gy - f.truth_gy) <= 0.01 * f.truth_gy, (cadence_s, rad.total_gy, f.truth_gy)
    assert f.busy and f.worst_rate_error <= 0.01, (cadence_s, f.busy, f.worst_rate_error)


def test_spe_dose_and_rate_at_1_s_sampling():
    check_dose_and_rate(1, 1, 8, 300e3)  # 300 mGy/h at the peak: 16-bit counts once aliased here


def test_spe_dose_and_rate_at_60_s_sampling():
    check_dose_and_rate(60, 60, 24, 300e3)


def test_spe_dose_and_rate_at_300_s_sampling():
    check_dose_and_rate(300, 60, 24, 300e3)


def test_spe_dose_and_rate_at_3600_s_sampling():
    check_dose_and_rate(3600, 60, 48, 300e3)


def test_onset_of_saturation_is_still_measured_at_every_cadence():
    # 1.2 Gy/h: n tau = 3.3, m tau = 0.77, just below the 0.8 saturation limit
    for cadence_s, step_s in ((1, 1), (60, 60), (300, 60), (3600, 60)):
        check_dose_and_rate(cadence_s, step_s, 30, 1.2e6)


def test_background_dose_at_3600_s_sampling():
    rad, f = fly(3600, 60, 96, lambda t: 20.0)
    assert abs(rad.total_gy - f.truth_gy) <= 0.01 * f.truth_gy, (rad.total_gy, f.truth_gy)


def check_saturation(cadence_s, step_s):
    """One flight (a function of its own, so its board is freed before the next one boots)."""
    onset_s, hours = short(cadence_s, 8)
    rad, f = fly(cadence_s, step_s, hours, lambda t: spe_ugy_h(t, 30e6, onset_s, rise_s=600, decay_s=600))
    assert f.saturated >= 1 and f.above_truth == 0, cadence_s  # 30 Gy/h: m tau = 0.99; a lower bound
    assert rad.flagged_gy > 0, cadence_s  # the lower-bound dose, not in the total


def test_saturation_is_flagged_at_every_cadence_and_its_dose_kept_apart():
    for cadence_s, step_s in ((1, 1), (60, 60), (300, 60), (3600, 60)):
        check_saturation(cadence_s, step_s)


def check_storm_alarm(cadence_s, step_s):
    onset_s, hours = short(cadence_s, 8)
    rad, f = fly(cadence_s, step_s, hours, lambda t: spe_ugy_h(t, 300e3, onset_s))
    assert rad.level == rm.STORM_SHELTER and rad.sensor == rm.OK, (cadence_s, rad.level, rad.sensor)


def test_a_300_mGy_h_storm_calls_for_the_shelter_at_every_cadence():
    # 300 mGy/h against the 1 mGy/h shelter level; a 300 s sample once filled one minute of the
    # rolling mean and left the others empty, so the alarm never rose at 300 and 3600 s
    for cadence_s, step_s in ((1, 1), (60, 60), (300, 60), (3600, 60)):
        check_storm_alarm(cadence_s, step_s)


def check_after_saturation(cadence_s, step_s):
    onset_s, hours = short(cadence_s, 8)
    rad, f = fly(cadence_s, step_s, hours, lambda t: spe_ugy_h(t, 30e6, onset_s, rise_s=600, decay_s=600))
    # the shelter is called for even when the storm's first sample is already saturated ...
    assert rad.level == rm.STORM_SHELTER, (cadence_s, rad.level)
    # ... and once the tube recovers it is trusted again: the event's tail below saturation
    # (about 0.27 Gy of the 7.5 Gy injected: 1.44 Gy/h decaying over 600 s) is in the total
    assert rad.sensor == rm.OK and rad.fault_reason == 0, (cadence_s, rad.sensor, rad.fault_reason)
    assert 0.02 * f.truth_gy < rad.total_gy < f.truth_gy, (cadence_s, rad.total_gy, f.truth_gy)


def test_after_saturation_the_alarm_holds_and_the_tube_is_trusted_again():
    for cadence_s, step_s in ((1, 1), (60, 60)):
        check_after_saturation(cadence_s, step_s)
