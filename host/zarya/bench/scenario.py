"""A HIL scenario file: initial conditions, a timeline of actions, expectations; errors name the line.

    name = "..."            duration_s = 600     step_ms = 100     seed = 1     full_only = false
    [initial]               battery_soc, battery_temp_c, solar_w, fission_w, bench_w, eclipse_period_s,
                            eclipse_fraction, params = {name = value}
    [[timeline]]            at_s = 10, action = ..., and the action's fields (zarya.bench.actions)
    [[expect]]              check = ..., and the check's fields (zarya.bench.checks)
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from zarya.bench.actions import ACTIONS
from zarya.bench.checks import CHECKS
from zarya.bench.registry import Registry
from zarya.errors import ZaryaError

COMMAND_ACTIONS = {"command", "forged_command", "replayed_command", "unarmed_command"}
CHANNELS = 8  # the power environment's switched loads
# fields an entry must carry (the registry lists the ones it may carry)
REQUIRED = {
    "timeline": {"latchup": {"channel"}, "short": {"channel"}, "clear_fault": {"channel"}, "sensor_fault": {"sensor", "kind"},
                 "battery_voltage_offset": {"volts"}, "spe": {"peak_uGy_h"}, "belt_pass": {"dose_mgy", "duration_s"},
                 "link": {"up"}, **{name: {"name"} for name in COMMAND_ACTIONS}},
    "expect": {"event_count": {"event", "equals"}, "telemetry": {"param"}, "latency": {"event"},
               "watchdog_resets": {"equals"}, "boots": {"equals"}, "soc_vs_model": {"tol_pct"},
               "channel_never_off": {"channel"}, "commands_rejected": {"codes"},
               "event_order": {"event", "field", "sequence"}, "event_spacing": {"event", "min_s"},
               "dose_vs_model": {"rel_tol"}},
}


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


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
        try:
            text = path.read_text()
        except FileNotFoundError:
            raise ScenarioError(f"{path}: no such scenario file") from None
        except IsADirectoryError:
            raise ScenarioError(f"{path}: a directory, not a scenario file") from None
        except UnicodeDecodeError:
            raise ScenarioError(f"{path}: not a TOML scenario (not UTF-8 text)") from None
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ScenarioError(f"{path}: {err}") from None

        def fail(line: int, msg: str) -> ScenarioError:
            return ScenarioError(f"{path}:{line}: {msg}")

        def top_line(key: str) -> int:
            return _line_of(text, rf"^\s*{key}\s*=")

        for key in ("name", "duration_s"):
            if key not in data:
                raise fail(1, f"missing {key}")
        if not isinstance(data["name"], str) or not data["name"].strip():
            raise fail(top_line("name"), "name must be a non-empty string")
        if not _number(data["duration_s"]) or data["duration_s"] <= 0:
            raise fail(top_line("duration_s"), f"duration_s must be a number of seconds > 0, not {data['duration_s']!r}")
        step_ms = data.get("step_ms", 1000)
        if not _integer(step_ms) or not 0 < step_ms <= max(1000, data["duration_s"] * 1000):
            raise fail(top_line("step_ms"), f"step_ms must be a whole number of milliseconds > 0 and within the "
                                            f"scenario's duration, not {step_ms!r}")
        if not _integer(data.get("seed", 1)):
            raise fail(top_line("seed"), f"seed must be a whole number, not {data['seed']!r}")
        if not isinstance(data.get("full_only", False), bool):
            raise fail(top_line("full_only"), "full_only must be true or false")
        for table in ("timeline", "expect"):
            entries = data.get(table, [])
            if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
                raise fail(_line_of(text, rf"^\s*(\[+\s*)?{table}\b"),
                           f"{table} must be a list of [[{table}]] tables, not {type(entries).__name__}")
        initial = data.get("initial", {})
        if not isinstance(initial, dict):
            raise fail(top_line("initial"), "initial must be a table ([initial])")
        params = initial.get("params", {})
        dictionary = _dictionary()
        if not isinstance(params, dict):
            raise fail(top_line("params"), "initial params must be a table {name = value}")
        for name, value in params.items():
            if name not in dictionary.params:
                raise fail(top_line("params"), f"unknown parameter {name!r} (see firmware/dictionary.py PARAMS)")
            if not _number(value):
                raise fail(top_line("params"), f"parameter {name} must be a number, not {value!r}")
        for key, value in initial.items():
            if key != "params" and not _number(value):
                raise fail(top_line(key), f"initial {key} must be a number, not {value!r}")

        def check_entries(table: str, kind: str, known: Registry, common: set) -> None:
            """Each [[table]] names a known `kind` and only that kind's fields, with every field it needs."""
            for i, item in enumerate(data.get(table, [])):
                line = _line_of(text, rf"^\s*\[\[{table}\]\]", i)
                name = item.get(kind)
                if not isinstance(name, str) or name not in known:
                    raise fail(line, f"unknown {kind} {name!r} (known: {', '.join(sorted(known))})")
                extra = set(item) - known[name].fields - common
                if extra:
                    raise fail(line, f"{name}: unknown field(s) {', '.join(sorted(extra))}")
                missing = REQUIRED[table].get(name, set()) - set(item)
                if missing:
                    raise fail(line, f"{name}: missing field(s) {', '.join(sorted(missing))}")
                if table == "timeline" and (not _number(item.get("at_s"))
                                            or not 0 <= item["at_s"] <= data["duration_s"]):
                    raise fail(line, f"at_s must be a number within the scenario's {data['duration_s']} s")
                problem = _check_fields(table, name, item, dictionary, len(data.get("timeline", [])))
                if problem:
                    raise fail(line, f"{name}: {problem}")

        check_entries("timeline", "action", ACTIONS, {"at_s", "action"})
        check_entries("expect", "check", CHECKS, {"check", "why"})
        return cls(path, data["name"], float(data["duration_s"]), step_ms, data.get("seed", 1),
                   initial, sorted(data.get("timeline", []), key=lambda t: t["at_s"]),
                   data.get("expect", []), data.get("full_only", False))


def _dictionary():
    from zarya.dictionary import load

    return load()


def _archive_names(dictionary) -> set[str]:
    """The parameter names an archive records (zarya.link.archive: '<hk>.<field>', '<EVENT>.<arg>', ...)."""
    names = {f"{hk['name']}.{f[0]}" for hk in dictionary.module.HK for f in hk["fields"]}
    names |= {f"{e['name']}.{a[0]}" for e in dictionary.module.EVENTS for a in e["args"]}
    return names | {"verification.request_id", "verification.failure_code", "param.param_id", "param.value"}


def _check_fields(table: str, name: str, item: dict, dictionary, timeline_len: int) -> str | None:
    """What is wrong with an entry's field values, checked against the dictionary; None if nothing."""
    events = {e["name"]: {a[0] for a in e["args"]} for e in dictionary.module.EVENTS}
    if "channel" in item and (not _integer(item["channel"]) or not 0 <= item["channel"] < CHANNELS):
        return f"channel must be a whole number 0..{CHANNELS - 1}, not {item['channel']!r}"
    if table == "timeline":
        if name in COMMAND_ACTIONS:
            command = dictionary.commands.get(item["name"])
            if command is None:
                return f"unknown command {item['name']!r} (see `zarya cmd --list`)"
            args = item.get("args", {})
            if not isinstance(args, dict):
                return "args must be a table {name = value}"
            if name != "replayed_command":
                from zarya.link.packets import CommandError, check_args

                try:
                    check_args(command, args)
                except CommandError as err:
                    return str(err)
        if name == "link" and not isinstance(item["up"], bool):
            return "up must be true or false"
        for key in ("volts", "peak_uGy_h", "rise_s", "decay_s", "dose_mgy", "duration_s", "value"):
            if key in item and not _number(item[key]):
                return f"{key} must be a number, not {item[key]!r}"
        return None
    for event_key, where_key in (("event", "where"), ("after_event", "after_where")):
        if event_key not in item:
            continue
        event = item[event_key]
        if event not in events:
            return f"unknown event {event!r} (known: {', '.join(sorted(events))})"
        where = item.get(where_key, {})
        if not isinstance(where, dict):
            return f"{where_key} must be a table {{arg = value}}"
        unknown = set(where) - events[event]
        if unknown:
            has = ", ".join(sorted(events[event])) or "none"
            return f"{event} has no argument(s) {', '.join(sorted(unknown))} (it has {has})"
    if name == "event_order" and item["field"] not in events[item["event"]]:
        return f"{item['event']} has no argument {item['field']!r}"
    if name == "telemetry" and item["param"] not in _archive_names(dictionary):
        return f"unknown telemetry parameter {item['param']!r} (e.g. power.soc_pct, core.frames_bad)"
    if name == "telemetry" and item.get("stat", "final") not in ("min", "max", "final", "mean"):
        return f"stat must be min, max, final or mean, not {item['stat']!r}"
    if name == "latency":
        if "after" not in item and "after_event" not in item:
            return "give after (a timeline index) or after_event"
        if "after" in item and (not _integer(item["after"]) or not 0 <= item["after"] < timeline_len):
            return f"after must be a timeline index 0..{timeline_len - 1}, not {item['after']!r}"
    for key in ("equals", "tol_pct", "rel_tol", "min_s", "max_s", "min", "max"):
        if key in item and not _number(item[key]):
            return f"{key} must be a number, not {item[key]!r}"
    for key in ("codes", "sequence"):
        if key in item and not isinstance(item[key], list):
            return f"{key} must be a list"
    return None
