"""A HIL scenario file: initial conditions, a timeline of actions, expectations; errors name the line.

    name = "..."            duration_s = 600     step_ms = 100     seed = 1     full_only = false
    [initial]               battery_soc, battery_temp_c, solar_w, fission_w, bench_w, eclipse_period_s,
                            eclipse_fraction, params = {name = value}
    [[timeline]]            at_s = 10, action = ..., and the action's fields (zarya.bench.actions)
    [[expect]]              check = ..., and the check's fields (zarya.bench.checks)
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from zarya.bench.actions import ACTIONS
from zarya.bench.checks import CHECKS
from zarya.bench.registry import Registry
from zarya.errors import ZaryaError


class ScenarioError(ZaryaError, ValueError):
    """A scenario file that cannot be run: the message names the file and line."""


def _line_of(text: str, pattern: str, occurrence: int = 0) -> int:
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if re.search(pattern, line)]
    return hits[occurrence] if occurrence < len(hits) else 1


@dataclass
class Scenario:
    path: Path
    name: str
    duration_s: float
    step_ms: int
    seed: int
    initial: dict
    timeline: list[dict]
    expect: list[dict]
    full_only: bool = False

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        path = Path(path)
        text = path.read_text()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ScenarioError(f"{path}: {err}") from None

        def fail(line: int, msg: str) -> ScenarioError:
            return ScenarioError(f"{path}:{line}: {msg}")

        for key in ("name", "duration_s"):
            if key not in data:
                raise fail(1, f"missing {key}")

        def check_entries(table: str, kind: str, known: Registry, common: set) -> None:
            """Each [[table]] names a known `kind` and only that kind's fields."""
            for i, item in enumerate(data.get(table, [])):
                line = _line_of(text, rf"^\s*\[\[{table}\]\]", i)
                name = item.get(kind)
                if name not in known:
                    raise fail(line, f"unknown {kind} {name!r} (known: {', '.join(sorted(known))})")
                extra = set(item) - known[name].fields - common
                if extra:
                    raise fail(line, f"{name}: unknown field(s) {', '.join(sorted(extra))}")
                if table == "timeline" and (not isinstance(item.get("at_s"), (int, float))
                                            or not 0 <= item["at_s"] <= data["duration_s"]):
                    raise fail(line, f"at_s must be a number within the scenario's {data['duration_s']} s")

        check_entries("timeline", "action", ACTIONS, {"at_s", "action"})
        check_entries("expect", "check", CHECKS, {"check", "why"})
        return cls(path, data["name"], float(data["duration_s"]), int(data.get("step_ms", 1000)), int(data.get("seed", 1)),
                   data.get("initial", {}), sorted(data.get("timeline", []), key=lambda t: t["at_s"]),
                   data.get("expect", []), bool(data.get("full_only", False)))
