"""The simulated board flies a large solar particle event at the missions' 60 s sampling and its
dose, peak dose rate and mean quality factor agree with the environment model that drove it.

Before the 32-bit counter, this event (300 mGy/h at its peak) read 44 mGy/h at the peak and a
total of 131 mGy against the model's 633 mGy: the 16-bit count of a 60 s sample wrapped.
"""

import numpy as np
import pytest

from zarya.sim.environment import Environment
from zarya.sim.flight import Flight
from zarya.sim.radiation import GCR_MEAN_Q, RadiationEnvironment, SolarParticleEvent
from zarya.units import HOUR_S, gy_s_to_ugy_h

PEAK_GY_S = 0.3 / HOUR_S  # 300 mGy/h
STEP_S = 60


@pytest.fixture(scope="module")
def flown(tmp_path_factory):
    spe = SolarParticleEvent(onset_s=2 * HOUR_S, peak_gy_s=PEAK_GY_S, rise_s=HOUR_S, decay_s=1.6 * HOUR_S)
    radiation = RadiationEnvironment(spes=[spe], seed=15, let_events_scale=5e11)  # a large LET detector
    env = Environment(radiation=radiation)
    with Flight(tmp_path_factory.mktemp("spe"), env, seed=15, step_ms=STEP_S * 1000) as flight:
        flight.set_params({"rad_sample_s": STEP_S})
        model_rates = []  # the model's mean dose rate over each step, Gy/s
        before = radiation.truth_dose_gy
        for _ in range(int(14 * HOUR_S / STEP_S)):
            flight.board.advance(STEP_S)
            model_rates.append((radiation.truth_dose_gy - before) / STEP_S)
            before = radiation.truth_dose_gy
        flight.drain()
        samples = flight.archive.series("rad_sample.dose_rate_gy_s")
        totals = flight.archive.series("rad_sample.dose_total_gy")
        qualities = flight.archive.series("rad_sample.quality")
        yield {"model_gy": radiation.truth_dose_gy, "model_rates": np.array(model_rates), "samples": samples,
               "board_gy": totals[-1][1], "quality": qualities, "spe": spe}


def test_board_dose_agrees_with_the_model_within_1_percent(flown):
    # the board integrates from its first rate sample (one step in): the model's first step is not in it
    model = flown["model_gy"] - flown["model_rates"][0] * STEP_S
    assert flown["board_gy"] == pytest.approx(model, rel=0.01)
    assert flown["board_gy"] > 0.6  # the event's own dose: 0.3 Gy/h x (0.5 h + 1.6 h)


def test_board_peak_dose_rate_agrees_with_the_model_within_1_percent(flown):
    board_peak = max(rate for _, rate in flown["samples"])
    model_peak = flown["model_rates"].max()
    assert gy_s_to_ugy_h(board_peak) == pytest.approx(gy_s_to_ugy_h(model_peak), rel=0.01)
    assert gy_s_to_ugy_h(model_peak) > 290e3  # uGy/h: the event's peak, not a wrapped count


def test_mean_quality_factor_follows_the_field(flown):
    spe = flown["spe"]
    quiet = [q for t, q in flown["quality"] if 1.2 * HOUR_S < t < spe.onset_s - 600]  # Q is first set at ~1 h
    storm = [q for t, q in flown["quality"] if spe.onset_s + 600 < t < spe.onset_s + 2 * HOUR_S]
    # quiet time: the GCR spectrum (mean Q 3.82, MSL/RAD); in the storm: protons, Q near 1.1
    assert np.mean(quiet) == pytest.approx(GCR_MEAN_Q, rel=0.02)
    assert np.mean(storm) == pytest.approx(1.1, rel=0.05)
