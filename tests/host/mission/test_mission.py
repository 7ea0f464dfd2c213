"""`zarya mission mars-2026 --fast`, and the crew-dose model against the MSL/RAD figures."""

import base64
import json

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from zarya import backends
from zarya.cli import main
from zarya.dose.crew import BELT_DOSE_GY, BELT_QUALITY_FACTOR, RAD_ROUND_TRIP_SV, dose_eq_rate_sv_s, rad_cruise_check
from zarya.sim.radiation import GCR_MEAN_Q, SOLAR_ACTIVITY_RAD, gcr_dose_rate_gy_s
from zarya.units import AU_KM, DAY_S


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
    assert summary["board_dose_gy"] == pytest.approx(summary["model_truth_dose_gy"], rel=0.02)
    # the board's dose equivalent against the model's (GCR Q 3.82, belt protons Q 1.1): the first
    # hour flies at Q 1 until the first LET interval completes, a few per cent of a one-day leg
    model_q = summary["model_truth_dose_equivalent_sv"] / summary["model_truth_dose_gy"]
    assert summary["mean_quality_factor"] == pytest.approx(model_q, rel=0.05)
    assert summary["dose_equivalent_flown_sv"] == pytest.approx(summary["model_truth_dose_equivalent_sv"], rel=0.05)
    assert summary["board_reboots"] == 0 and summary["gaps"] == 0
    page = (out / "report.html").read_text()
    for name in ("dose.png", "power.png", "events.png", "transfer.png", "porkchop.png"):
        image = plt.imread(out / name)  # a real PNG, drawn on (not one flat colour), and embedded in the page
        assert image.shape[0] >= 300 and image.shape[1] >= 500 and image[..., :3].std() > 0.05, name
        assert base64.b64encode((out / name).read_bytes()).decode() in page, name
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
    assert code == 0 and len(out["best"]) == 3
    g = backends.guidance()
    for b in out["best"]:  # by hand: the GCR dose-equivalent rate at each end, trapezoid over the flight, plus the belt
        r_dep = np.linalg.norm(g.planet_state("earth", b["depart_jd_tdb"])[0]) / AU_KM
        r_arr = np.linalg.norm(g.planet_state("mars", b["arrive_jd_tdb"])[0]) / AU_KM
        rates = dose_eq_rate_sv_s(np.array([b["depart_jd_tdb"], b["arrive_jd_tdb"]]), np.array([r_dep, r_arr]))
        by_hand = 0.5 * rates.sum() * b["tof_d"] * DAY_S + BELT_DOSE_GY * BELT_QUALITY_FACTOR
        assert b["crew_dose_eq_sv"] == pytest.approx(by_hand, rel=1e-9)
        assert b["crew_dose_eq_sv"] == pytest.approx(b["tof_d"] * 1.84e-3, rel=0.25)  # MSL/RAD: 1.84 mSv/day


def test_dose_integrate_reads_the_mission_archive(tmp_path, capsys):
    out = tmp_path / "m"
    assert main(["mission", "mars-2026", "--fast", "--days", "0.5", "--spe", "none", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    capsys.readouterr()
    assert main(["dose", "integrate", str(out / "archive.db"), "--archive", "--json", "--max-gap-s", "200"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["absorbed_dose_gy"] == pytest.approx(summary["host_reintegrated_dose_gy"], rel=1e-9)
    assert report["mean_quality_factor"] == pytest.approx(summary["mean_quality_factor"], rel=1e-9)


def test_fast_lunar_night_keeps_the_critical_bus_and_reports_soc_at_dawn(tmp_path, capsys):
    out = tmp_path / "lunar"
    assert main(["mission", "lunar-night", "--fast", "--days", "0.5", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["critical_bus_off_reports"] == 0
    assert summary["soc_at_dawn_pct"] == pytest.approx(summary["model_soc_at_dawn_pct"], abs=5.0)
    assert any(ok == 0 for _, source, ok in summary["source_events"] if source == 1)  # the trip was detected
    assert (out / "report.html").stat().st_size > 10000
