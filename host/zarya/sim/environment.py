"""The environment the simulated board lives in: radiation and power, stepped in lockstep."""

from __future__ import annotations

from dataclasses import dataclass, field

from zarya.sim.power import PowerEnvironment
from zarya.sim.radiation import RadiationEnvironment


@dataclass
class Environment:
    radiation: RadiationEnvironment = field(default_factory=RadiationEnvironment)
    power: PowerEnvironment = field(default_factory=PowerEnvironment)

    def step(self, dt_s: float, switches: dict) -> dict:
        """The step message's sensor part for dt_s, given the board's switch states."""
        rad = self.radiation.step(dt_s)
        return {"sensors": self.power.step(dt_s, switches), "counter": rad["counter"], "let": rad["let"]}

    @property
    def truth(self) -> dict:
        r = self.radiation
        return {**self.power.truth, "dose_gy": r.truth_dose_gy, "dose_eq_sv": r.truth_dose_eq_sv}
