"""The shared flight set-up: parameters set in order, a refusal named, the archive drained."""

import pytest

from zarya.sim.environment import Environment
from zarya.sim.flight import Flight, FlightError


def test_parameters_are_set_and_a_refused_one_is_named(tmp_path):
    with Flight(tmp_path, Environment(), seed=1, step_ms=1000) as flight:
        flight.set_params({"hk_rad_interval_s": 5})
        with pytest.raises(FlightError, match="rad_sample_s = 0 refused by the board"):
            flight.set_params({"rad_sample_s": 0})
        flight.board.advance(32)
        flight.drain()
        times = [t for t, _ in flight.archive.series("radmon.alarm")]
        assert [round(b - a) for a, b in zip(times[-3:-1], times[-2:], strict=True)] == [5, 5]  # the new period
    assert (tmp_path / "archive.db").exists() and (tmp_path / "board").is_dir()
