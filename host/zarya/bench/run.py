"""Fly a scenario on the simulated board and judge it: the environment from [initial], the
timeline applied at its board times, every expectation evaluated after the flight."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from zarya.bench.actions import ACTIONS, Bench
from zarya.bench.checks import Verdict, evaluate
from zarya.bench.scenario import Scenario, ScenarioError
from zarya.link.archive import Archive
from zarya.sim.environment import Environment
from zarya.sim.flight import Flight, FlightError
from zarya.sim.power import Battery, FissionUnit, PowerEnvironment
from zarya.sim.radiation import RadiationEnvironment

ADVANCE_CHUNK_S = 60.0  # virtual time flown between samples of the battery model's truth


@dataclass
class Run:
    """A flown scenario: what the bench did and saw, and the verdicts."""

    scenario: Scenario
    verdicts: list[Verdict] = field(default_factory=list)
    action_times: list[float] = field(default_factory=list)  # virtual s of each timeline action
    archive: Archive | None = None
    apids: tuple[int, ...] = ()
    events: list = field(default_factory=list)
    log: object = None  # the board's zarya.sim.board.BenchLog
    truth_soc: list[tuple[float, float]] = field(default_factory=list)  # (virtual s, battery model SOC)
    rejections: list[int] = field(default_factory=list)  # ST[1] failure codes of refused commands
    truth: dict = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)


def build_environment(s: Scenario) -> Environment:
    ini = s.initial
    period, fraction = ini.get("eclipse_period_s"), ini.get("eclipse_fraction", 0.0)

    def lit(t: float) -> float:
        return 0.0 if period and (t % period) >= period * (1 - fraction) else 1.0

    fission = FissionUnit(rated_w=ini["fission_w"]) if ini.get("fission_w") else None
    power = PowerEnvironment(battery=Battery(soc=ini.get("battery_soc", 0.9), temp_c=ini.get("battery_temp_c", 20.0)),
                             solar_w_1au=ini.get("solar_w", 30.0), fission=fission, bench_w=ini.get("bench_w", 0.0),
                             illuminated_of_t=lit if period else None, seed=s.seed + 1)
    return Environment(RadiationEnvironment(seed=s.seed), power)


def run_scenario(s: Scenario, workdir: Path, progress=None) -> Run:
    env = build_environment(s)
    run = Run(s)
    start = time.monotonic()
    with Flight(workdir, env, s.seed, s.step_ms) as flight:
        board, link = flight.board, flight.link
        run.archive, run.apids = flight.archive, tuple(link.dictionary.module.APIDS.values())
        try:
            flight.set_params(s.initial.get("params", {}))
        except FlightError as err:
            raise ScenarioError(f"{s.path}: initial {err}") from None
        board.advance(s.step_ms / 1000)
        bench = Bench(board, env, link, run, workdir)
        for item in s.timeline:
            if item["at_s"] > board.virtual_s:
                _advance(board, env, run, item["at_s"] - board.virtual_s, s.step_ms)
            run.action_times.append(board.virtual_s)
            ACTIONS[item["action"]].function(bench, item)
            if progress:
                progress(board.virtual_s, s.duration_s)
        if s.duration_s > board.virtual_s:
            _advance(board, env, run, s.duration_s - board.virtual_s, s.step_ms)
        flight.drain()
        run.events = list(link.events)
        run.log = board.log
        run.truth = env.truth
    run.wall_s = time.monotonic() - start
    run.verdicts = [evaluate(e, run) for e in s.expect]
    return run


def _advance(board, env, run: Run, seconds: float, step_ms: int) -> None:
    chunk = max(step_ms / 1000, min(ADVANCE_CHUNK_S, seconds))
    end = board.virtual_s + seconds
    while board.virtual_s < end - 1e-9:
        board.advance(min(chunk, end - board.virtual_s), step_ms)
        run.truth_soc.append((board.virtual_s, env.power.battery.soc))
