"""The board's running dose total equals the host's re-integration of the downlinked samples."""

import time

import numpy as np
import pytest

from zarya import backends
from zarya.sim.environment import Environment
from zarya.sim.radiation import RadiationEnvironment, SolarParticleEvent


@pytest.fixture
def board(tmp_path):
    from zarya.sim.board import SimulatedBoard

    spe = SolarParticleEvent(onset_s=1800, peak_gy_s=50e-6 / 3600, rise_s=600, decay_s=1800)
    env = Environment(radiation=RadiationEnvironment(spes=[spe], seed=11))
    with SimulatedBoard(tmp_path / "board", environment=env) as b:
        yield b


def test_board_total_matches_host_reintegration_over_two_hours(board, link):
    board.advance(2 * 3600)
    time.sleep(0.5)
    link.archive.flush()
    t = np.array([row[0] for row in link.archive.series("rad_sample.dose_rate_gy_s")])
    rate = np.array([row[1] for row in link.archive.series("rad_sample.dose_rate_gy_s")])
    board_total = link.archive.series("rad_sample.dose_total_gy")[-1][1]
    assert len(t) > 7000
    host = backends.dose("c").integrate(t - t[0], rate, max_gap_s=10.0)
    # the board integrates from its first sample; f32 telemetry limits agreement to ~1e-6
    assert host.total_gy == pytest.approx(board_total, rel=1e-5)
    assert host.gaps == []
    truth = board.environment.radiation.truth_dose_gy
    assert board_total == pytest.approx(truth, rel=0.05)  # Poisson counting over ~1e5 counts
