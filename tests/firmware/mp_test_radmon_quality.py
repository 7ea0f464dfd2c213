# The radiation monitor's mean quality factor at every sample cadence, against an LET spectrum
# with a known dose-weighted mean Q; the reference is ICRP 60's Q(L), written out here.
import math

from mp_helpers import boot_apps

RAD_SAMPLE_S = 10  # parameter id of rad_sample_s


# ICRP 60 Q(L), L in keV/um (written out here, not taken from the firmware)
def icrp60_q(let):
    return 1.0 if let < 10 else (0.32 * let - 2.2 if let <= 100 else 300 / math.sqrt(let))


def injected_spectrum():
    """Events per hour in each of the dictionary's LET bins: a GCR-like spectrum whose dose
    fractions go as L^-0.27, and its dose-weighted mean Q at the bin midpoints."""
    import dictionary

    edges = dictionary.LET_EDGES_KEV_UM
    mids = [math.sqrt(edges[i] * edges[i + 1]) for i in range(len(edges) - 1)]
    dose_frac = [m ** -0.27 for m in mids]
    per_hour = [2e4 * f / m for f, m in zip(dose_frac, mids)]  # noqa: B905  (events/h: dose / LET; MicroPython zip)
    q = sum(f * icrp60_q(m) for f, m in zip(dose_frac, mids)) / sum(dose_frac)  # noqa: B905
    return per_hour, q


def check_quality(cadence_s, step_s):
    per_hour, q_injected = injected_spectrum()
    board, app, rad, _ = boot_apps()
    app.params.set(RAD_SAMPLE_S, cadence_s)
    board.let = [0] * len(per_hour)
    acc = [0.0] * len(per_hour)
    gm = 0.0
    for _ in range(int(4 * 3600 / step_s)):
        for i in range(len(per_hour)):
            acc[i] += per_hour[i] * step_s / 3600
            whole = int(acc[i])
            acc[i] -= whole
            board.let[i] += whole
        gm += 0.556 * step_s  # 20 uGy/h of absorbed dose: about one quality factor an hour
        board.count += int(gm)
        gm -= int(gm)
        board.ticks += step_s * 1000
        app.step()
        board.frames()
    assert abs(rad.quality - q_injected) <= 0.02 * q_injected, (cadence_s, rad.quality, q_injected)
    assert q_injected > 3.0  # high-LET particles are rare but carry the dose equivalent
    return rad.quality, q_injected


def test_mean_quality_factor_is_dose_weighted_at_1_s_sampling():
    check_quality(1, 1)


def test_mean_quality_factor_is_dose_weighted_at_60_s_sampling():
    check_quality(60, 60)


def test_mean_quality_factor_is_dose_weighted_at_3600_s_sampling():
    check_quality(3600, 60)
