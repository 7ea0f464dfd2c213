"""The HIL bench: scenario files flown on the simulated board, each expectation a verdict.

A scenario (TOML, `scenario`) gives initial conditions, a timeline of actions (`actions`: the
environment changes, faults and commands the bench can apply) and expectations (`checks`: what
must have happened, with tolerances).  `run` flies it through one shared `zarya.sim.flight.Flight`
and evaluates every expectation; `report` prints the verdicts and plots the telemetry.
"""

from zarya.bench.report import plot, report_text
from zarya.bench.run import Run, run_scenario
from zarya.bench.scenario import Scenario, ScenarioError

__all__ = ["Run", "Scenario", "ScenarioError", "plot", "report_text", "run_scenario"]
