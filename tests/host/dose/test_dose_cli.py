"""`zarya dose integrate`: the shipped sample, JSON output, and bad files refused by line."""

import json
import math

import pytest

from zarya.cli import main
from zarya.dose.readers import read_dose_csv
from zarya.units import GY_S_PER_UGY_H

SAMPLE = "samples/cruise_3d.csv"


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def write(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_sample_file_report_in_json(capsys):
    code, out, _ = run(capsys, "dose", "integrate", SAMPLE, "--json")
    assert code == 0
    report = json.loads(out)
    # 3 days: GCR at about 0.48 mGy/day plus a solar particle event of a few mGy
    assert 5e-3 < report["absorbed_dose_gy"] < 8e-3
    assert 1.2 < report["mean_quality_factor"] < 3.82
    assert [round(g["duration_s"]) for g in report["gaps"]] == [7260]
    assert report["unknown_dose_estimate_gy"] > 0
    assert len(report["events"]) == 1 and 130_000 < report["events"][0]["start_s"] < 131_000


def test_text_report_names_totals_gaps_and_events(capsys):
    code, out, _ = run(capsys, "dose", "integrate", SAMPLE)
    assert code == 0
    assert "absorbed dose" in out and "mGy" in out
    assert "mean quality factor" in out
    assert "gaps               1" in out
    assert "events             1" in out


def test_dose_rate_file_integrates_exactly(tmp_path, capsys):
    path = write(tmp_path, "t_s,dose_rate_uGy_h\n0,36\n3600,36\n7200,72\n")
    code, out, _ = run(capsys, "dose", "integrate", path, "--json", "--max-gap-s", "4000")
    assert code == 0
    report = json.loads(out)
    assert report["absorbed_dose_gy"] == pytest.approx((36 + 54) * 1e-6)
    assert report["dose_equivalent_sv"] is None


def test_counter_file_unwraps_and_uses_metadata(tmp_path):
    path = write(tmp_path, "# gy_per_count = 2e-8\n# dead_time_s = 0\n# counter_bits = 16\n"
                           "t_s,counter\n0,65000\n60,65535\n120,464\n")
    series = read_dose_csv(path)
    assert series.t_s.tolist() == [60.0, 120.0]
    assert series.rate_gy_s.tolist() == pytest.approx([535 / 60 * 2e-8, 465 / 60 * 2e-8])


@pytest.mark.parametrize(("text", "message"), [
    ("t_s,dose_rate_uGy_h\n0,1\n60,abc\n", ":3: dose_rate_uGy_h is not a number: 'abc'"),
    ("t_s,dose_rate_uGy_h\n0,1\n60,1\n30,1\n", ":4: time does not increase strictly"),
    ("t_s,dose_rate_uGy_h\n0,1\n60,-5\n", ":3: value is negative"),
    ("t_s,dose_rate_uGy_h\n0,1\n60\n", ":3: 1 fields but the header has 2"),
    ("time,dose_rate_uGy_h\n0,1\n", ":1: no t_s column"),
    ("t_s,counts,dose_rate_uGy_h\n0,1,1\n", "need exactly one of"),
    ("t_s,counts\n0,1\n60,1e9\n", ":3: detector saturated"),
    ("t_s,counts,let_1_10,let_20_100\n0,1,1,1\n", "does not start where the previous bin ends"),
    ("# just a comment\n", "no header line"),
    ("t_s,dose_rate_uGy_h\n", "no data rows"),
])
def test_bad_file_is_refused_with_line_and_reason(tmp_path, capsys, text, message):
    code, out, err = run(capsys, "dose", "integrate", write(tmp_path, text))
    assert code == 1
    assert out == ""
    assert message in err


def test_missing_file_is_a_clear_error(capsys):
    code, _, err = run(capsys, "dose", "integrate", "no/such/file.csv")
    assert code == 1 and "cannot read" in err


def test_skip_bad_counts_instead_of_refusing(tmp_path, capsys):
    path = write(tmp_path, "t_s,dose_rate_uGy_h\n0,3600\n1,nan\n2,3600\n")
    code, out, _ = run(capsys, "dose", "integrate", path, "--json", "--skip-bad")
    report = json.loads(out)
    assert code == 0 and report["skipped_samples"] == 1
    assert report["absorbed_dose_gy"] == pytest.approx(2 * 3600 * GY_S_PER_UGY_H)
    assert not math.isnan(report["mean_dose_rate_gy_s"])


def test_version(capsys):
    with pytest.raises(SystemExit):
        main(["--version"])
    assert "zarya 0.1.0" in capsys.readouterr().out
