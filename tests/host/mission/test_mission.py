"""`zarya mission mars-2026 --fast`, and the crew-dose model against the MSL/RAD figures."""

import json

import pytest

from zarya import backends
from zarya.cli import main
from zarya.dose.crew import RAD_ROUND_TRIP_SV, rad_cruise_check
from zarya.sim.radiation import GCR_MEAN_Q, SOLAR_ACTIVITY_RAD, gcr_dose_rate_gy_s


def test_cruise_dose_at_the_rad_rate_reproduces_the_published_figures():
    # Zeitlin et al. 2013: 0.48 +- 0.08 mGy/day, 1.84 +- 0.33 mSv/day, 0.66 +- 0.12 Sv for 2 x 180 days
    absorbed_mgy_day = gcr_dose_rate_gy_s(SOLAR_ACTIVITY_RAD, 1.0) * 86400 * 1e3
    assert absorbed_mgy_day == pytest.approx(0.48, abs=1e-9)
    assert absorbed_mgy_day * GCR_MEAN_Q == pytest.approx(1.84, abs=0.33)
    assert rad_cruise_check(360) == pytest.approx(RAD_ROUND_TRIP_SV, abs=0.12)


def test_solar_minimum_doubles_the_gcr_rate_of_solar_maximum():
    assert gcr_dose_rate_gy_s(0.0) / gcr_dose_rate_gy_s(1.0) == pytest.approx(2.0)


def test_fast_mission_flies_and_reports(tmp_path, capsys, monkeypatch):
    asked = []  # the report must use the backend ZARYA_BACKEND selects, never a hard-coded one
    select = backends.dose
    monkeypatch.setattr(backends, "dose", lambda backend=None: asked.append(backend) or select(backend))
    out = tmp_path / "report"
    code = main(["mission", "mars-2026", "--fast", "--days", "1", "--spe", "none", "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out
    assert "report:" in printed and "crew dose" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["transfer"]["depart"].startswith("2026-1")
    assert summary["board_host_relative_difference"] < 1e-5  # board total vs the host's C re-integration
    assert summary["board_dose_gy"] == pytest.approx(summary["model_truth_dose_gy"], rel=0.05)
    assert summary["board_reboots"] == 0 and summary["gaps"] == 0
    for name in ("report.html", "dose.png", "power.png", "events.png", "transfer.png", "porkchop.png"):
        assert (out / name).stat().st_size > 1000
    assert "data:image/png;base64," in (out / "report.html").read_text()
    assert asked and set(asked) == {None}


def test_porkchop_crew_dose_is_the_same_on_both_backends():
    import numpy as np

    from zarya.dose.crew import porkchop_crew_dose_sv

    dep, arr = np.meshgrid(2461300.5 + np.arange(5.0) * 10, 2461500.5 + np.arange(4.0) * 30, indexing="ij")
    r1, r2 = np.full(dep.shape, 1.0), np.full(dep.shape, 1.5)
    c = porkchop_crew_dose_sv(dep, arr, r1, r2, 1.5e-3, backend="c")
    py = porkchop_crew_dose_sv(dep, arr, r1, r2, 1.5e-3, backend="python")
    assert np.array_equal(c, py)
    # a 200-day cruise near the RAD rate: about 1.8 mSv/day plus the belt transit
    assert c[0, 0] == pytest.approx(200 * 1.84e-3 + 1.5e-3, rel=0.2)


def test_plan_porkchop_with_dose_reports_crew_dose(capsys):
    code = main(["plan", "porkchop", "--depart", "2026-10-15:2026-11-15", "--tof", "200:320", "--step", "3d",
                 "--json", "--dose"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and all(0.3 < b["crew_dose_eq_sv"] < 0.7 for b in out["best"])


def test_dose_integrate_reads_the_mission_archive(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["mission", "mars-2026", "--fast", "--days", "0.5", "--spe", "none", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    capsys.readouterr()
    assert main(["dose", "integrate", str(out / "archive.db"), "--archive", "--json", "--max-gap-s", "200"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["absorbed_dose_gy"] == pytest.approx(summary["host_reintegrated_dose_gy"], rel=1e-9)
    assert report["mean_quality_factor"] > 1.0


def test_fast_lunar_night_keeps_the_critical_bus_and_reports_soc_at_dawn(tmp_path, capsys):
    out = tmp_path / "lunar"
    assert main(["mission", "lunar-night", "--fast", "--days", "0.5", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["critical_bus_off_reports"] == 0
    assert summary["soc_at_dawn_pct"] == pytest.approx(summary["model_soc_at_dawn_pct"], abs=5.0)
    assert any(ok == 0 for _, source, ok in summary["source_events"] if source == 1)  # the trip was detected
    assert (out / "report.html").stat().st_size > 10000
