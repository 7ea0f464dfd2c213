"""Scenario files: every shipped one loads; bad ones are refused with the line and the reason."""

from pathlib import Path

import pytest

from zarya.bench import Scenario, ScenarioError

ROOT = Path(__file__).resolve().parents[3]


def test_every_shipped_scenario_loads():
    scenarios = [Scenario.load(p) for p in sorted((ROOT / "hil" / "scenarios").glob("*.toml"))]
    assert len(scenarios) >= 10 and all(s.expect for s in scenarios)


@pytest.mark.parametrize(("text", "message"), [
    ('name = "x"\nduration_s = 10\n\n[[timeline]]\nat_s = 1\naction = "explode"\n', ":4: unknown action 'explode'"),
    ('name = "x"\nduration_s = 10\n[[timeline]]\nat_s = 99\naction = "hang"\n', ":3: at_s must be a number within"),
    ('name = "x"\nduration_s = 10\n[[expect]]\ncheck = "boots"\nequal = 1\n', ":3: boots: unknown field(s) equal"),
    ('name = "x"\nduration_s = 10\n[[expect]]\ncheck = "vibes"\n', ":3: unknown check 'vibes'"),
    ('name = "x"\nduration_s = = 10\n', "line 2"),
    ('duration_s = 10\n', "missing name"),
])
def test_bad_scenario_names_the_line(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=None) as info:
        Scenario.load(path)
    assert message in str(info.value)
