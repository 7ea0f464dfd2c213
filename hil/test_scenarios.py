"""Every scenario in hil/scenarios/, each expectation a verdict; a failing run leaves its plot."""

from pathlib import Path

import pytest

from zarya.bench import Scenario, plot, report_text, run_scenario

SCENARIOS = sorted((Path(__file__).parent / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path, tmp_path, full, real_board):
    scenario = Scenario.load(path)
    if real_board:
        pytest.skip("real-board bench mode (sensor injection over the link) is not implemented yet")
    if scenario.full_only and not full:
        pytest.skip("long scenario: run with --full")
    run = run_scenario(scenario, tmp_path)
    if not run.ok:
        plot(run, tmp_path / "telemetry.png")
    assert run.ok, report_text(run) + f"\n(plot: {tmp_path / 'telemetry.png'})"
