"""The scenario parser and the bench's registries agree: every registered field is accepted, nothing else."""

import pytest

from zarya.bench import Scenario, ScenarioError
from zarya.bench.actions import ACTIONS
from zarya.bench.checks import CHECKS

# a valid value for each field the parser checks against the dictionary or by type; 1 for the rest
SAMPLE = {"up": "true", "name": '"PING"', "event": '"BOOT"', "after_event": '"BOOT"', "field": '"boot_count"',
          "param": '"core.boot_count"', "codes": "[]", "sequence": "[]", "where": "{}", "after_where": "{}",
          "args": "{}", "stat": '"final"', "after": "0", "sensor": '"bus:v"', "kind": '"stuck"'}


def scenario_text(table: str, kind: str, name: str, fields: frozenset[str]) -> str:
    lines = ['name = "x"', "duration_s = 10"]
    if table == "expect":  # a timeline action for `after` to point at
        lines += ["[[timeline]]", 'action = "hang"', "at_s = 1"]
    lines += [f"[[{table}]]", f'{kind} = "{name}"']
    if table == "timeline":
        lines.append("at_s = 1")
    lines += [f"{field} = {SAMPLE.get(field, 1)}" for field in sorted(fields)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(("table", "kind", "registry"), [("timeline", "action", ACTIONS), ("expect", "check", CHECKS)])
def test_every_registered_entry_loads_with_all_its_fields_and_refuses_another(tmp_path, table, kind, registry):
    path = tmp_path / "s.toml"
    for name, entry in registry.items():
        path.write_text(scenario_text(table, kind, name, entry.fields))
        loaded = Scenario.load(path)
        assert (loaded.timeline if table == "timeline" else loaded.expect)[0][kind] == name
        path.write_text(scenario_text(table, kind, name, entry.fields | {"bogus_field"}))
        with pytest.raises(ScenarioError, match=f"{name}: unknown field\\(s\\) bogus_field"):
            Scenario.load(path)


def test_the_bench_offers_the_documented_actions_and_checks():
    assert {"spe", "latchup", "link", "hang", "brownout", "command", "forged_command", "replayed_command"} <= set(ACTIONS)
    assert {"event_count", "telemetry", "latency", "no_archive_gaps", "dose_vs_model", "commands_rejected"} <= set(CHECKS)
