"""`zarya dose integrate`: the shipped sample, JSON output, and bad files refused by line."""

import csv
import functools
import json
import math
import re

import numpy as np
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


@functools.cache
def expected_sample_report() -> dict:
    """The sample's report computed here from the CSV with numpy alone (no zarya.dose code), by
    the definitions the reader, integrator and report document (readers.py, mirror.py, report.py
    docstrings; README "Dose integration"; REFERENCE.md for dead time and Q(L)):
    - `counts` are counts since the previous sample, over the time since the previous sample
      (the first row, which has no previous sample, takes the next interval);
    - measured rate m = counts / interval, true rate n = m / (1 - m tau) (non-paralyzable, the
      model the file's header names), dose rate = n * gy_per_count;
    - each sample's mean quality factor is the dose-weighted ICRP 60 Q over its LET bins, a bin
      at the geometric mean L of its edges carrying dose proportional to counts * L (same area
      and Gy per keV/um factor for every bin, so they cancel);
      Q(L) = 1 (L < 10), 0.32 L - 2.2 (10 <= L <= 100), 300 / sqrt(L) (L > 100);
    - dose = trapezoid rule over intervals <= --max-gap-s (default 600 s); a longer interval is
      a gap whose trapezoid is reported as unknown and not added; dose equivalent the same on
      rate * Q;
    - worst 24 h: the largest rise of the cumulative dose (linear between samples) over any
      trailing 86400 s window;
    - events: on at rate >= 3 x median rate, ending at the first later sample < 2 x median,
      kept if it lasts >= 900 s; its dose is the trapezoid from its start to its end sample.
    """
    meta, header, rows = {}, None, []
    with open(SAMPLE, newline="") as f:
        for row in csv.reader(f):
            if row[0].startswith("#"):
                key, sep, value = row[0].lstrip("#").partition("=")
                if sep:
                    meta[key.strip()] = value.strip()
            elif header is None:
                header = row
            else:
                rows.append([float(x) for x in row])
    data = np.array(rows)
    t = data[:, header.index("t_s")]
    counts = data[:, header.index("counts")]
    let_columns = [i for i, name in enumerate(header) if name.startswith("let_")]
    lo = np.array([float(header[i].split("_")[1]) for i in let_columns])
    hi = np.array([float(header[i].split("_")[2]) for i in let_columns])
    assert meta["dead_time_model"] == "nonparalyzable" and (lo[1:] == hi[:-1]).all()
    tau, gy_per_count = float(meta["dead_time_s"]), float(meta["gy_per_count"])

    interval = np.diff(t, prepend=t[0] - (t[1] - t[0]))
    measured = counts / interval
    rate = measured / (1.0 - measured * tau) * gy_per_count
    let = np.sqrt(lo * hi)
    q_of_let = np.where(let < 10, 1.0, np.where(let <= 100, 0.32 * let - 2.2, 300 / np.sqrt(let)))
    dose_weight = data[:, let_columns] * let
    assert (dose_weight.sum(axis=1) > 0).all()  # no empty spectrum (the reader's fallback unused)
    quality = (dose_weight * q_of_let).sum(axis=1) / dose_weight.sum(axis=1)

    dt = np.diff(t)
    bridged = dt <= 600.0
    area = 0.5 * (rate[1:] + rate[:-1]) * dt
    area_eq = 0.5 * (rate[1:] * quality[1:] + rate[:-1] * quality[:-1]) * dt
    cumulative = np.concatenate([[0.0], np.cumsum(np.where(bridged, area, 0.0))])
    absorbed, gap_s = area[bridged].sum(), dt[~bridged].sum()

    on, off = 3 * np.median(rate), 2 * np.median(rate)
    events, i = [], 0
    while i < len(t):
        if rate[i] < on:
            i += 1
            continue
        below = np.flatnonzero(rate[i + 1:] < off)
        end = i + 1 + int(below[0]) if below.size else len(t) - 1
        if t[end] - t[i] >= 900.0:
            events.append((i, end))
        i = end
    assert len(events) == 1  # later noise crosses `on` but falls back under `off` within 900 s
    start, end = events[0]
    assert end < len(t) - 1 or rate[end] < off  # not ongoing
    peak = start + int(np.argmax(rate[start:end + 1]))
    return {
        "samples": len(t),
        "span_s": t[-1] - t[0],
        "absorbed_dose_gy": absorbed,
        "dose_equivalent_sv": area_eq[bridged].sum(),
        "mean_quality_factor": area_eq[bridged].sum() / absorbed,
        "mean_dose_rate_gy_s": absorbed / (t[-1] - t[0] - gap_s),
        "max_24h_dose_gy": np.max(cumulative - np.interp(t - 86400.0, t, cumulative)),
        "gaps": [(a, b, e) for a, b, e in zip(t[:-1][~bridged], t[1:][~bridged], area[~bridged], strict=True)],
        "gap_s": gap_s,
        "event_rule": (on, off),
        "event": {"start_s": t[start], "peak_s": t[peak], "peak_rate_gy_s": rate[peak], "end_s": t[end],
                  "dose_gy": np.trapezoid(rate[start:end + 1], t[start:end + 1])},
    }


# The same definitions computed in another order (numpy sums vs a running sum over 4200
# samples) differ by round-off only: at most ~n * 2^-53 = 5e-13 relative, measured 3e-15.  1e-9
# leaves room for that and for the C and Python backends, yet catches any change of definition:
# the smallest physical effects in this file are the dead-time correction (m tau = 5e-5 in the
# background, 2.4e-3 at the event peak: 1e-4 of the total dose) and the 60 s vs 7260 s interval
# of the first sample after the gap (3e-5 of the total), both thousands of times the tolerance.
REL = 1e-9


def test_sample_file_report_in_json(capsys):
    code, out, _ = run(capsys, "dose", "integrate", SAMPLE, "--json")
    assert code == 0
    report = json.loads(out)
    want = expected_sample_report()
    assert report["samples"] == want["samples"] == 4200 and report["span_s"] == want["span_s"]
    for key in ("absorbed_dose_gy", "dose_equivalent_sv", "mean_quality_factor", "mean_dose_rate_gy_s",
                "max_24h_dose_gy", "gap_s"):
        assert report[key] == pytest.approx(want[key], rel=REL), key
    # plausibility of the computation above (not the pin): 3 days of GCR at RAD's 0.48 mGy/day
    # (Zeitlin et al. 2013) plus an SPE of about 5 mGy; Q between protons' ~1 and GCR's 3.82
    assert 6.2e-3 < want["absorbed_dose_gy"] < 6.3e-3 and 1.68 < want["mean_quality_factor"] < 1.70
    assert [(g["t_start_s"], g["t_end_s"]) for g in report["gaps"]] == [g[:2] for g in want["gaps"]] \
        == [(99960.0, 107220.0)]
    assert report["gaps"][0]["duration_s"] == 7260.0
    assert report["gaps"][0]["estimate_gy"] == pytest.approx(want["gaps"][0][2], rel=REL)
    assert report["unknown_dose_estimate_gy"] == pytest.approx(want["gaps"][0][2], rel=REL)
    assert (report["event_rule"]["on_gy_s"], report["event_rule"]["off_gy_s"]) == pytest.approx(want["event_rule"], rel=REL)
    assert report["event_rule"]["min_duration_s"] == 900.0
    assert len(report["events"]) == 1
    event, want_event = report["events"][0], want["event"]
    # event boundaries are sample times: exact
    assert (event["start_s"], event["peak_s"], event["end_s"]) == \
        (want_event["start_s"], want_event["peak_s"], want_event["end_s"]) == (130260.0, 133800.0, 193860.0)
    assert event["peak_rate_gy_s"] == pytest.approx(want_event["peak_rate_gy_s"], rel=REL)
    assert event["dose_gy"] == pytest.approx(want_event["dose_gy"], rel=REL)
    assert event["ongoing"] is False
    assert report["detector"] == {"gy_per_count": 1e-8, "dead_time_s": 1e-4, "dead_time_model": "nonparalyzable",
                                  "counter_bits": 16}


GY = {"uGy": 1e-6, "mGy": 1e-3, "Gy": 1.0, "uSv": 1e-6, "mSv": 1e-3, "Sv": 1.0}


def printed(pattern: str, out: str) -> tuple[str, ...]:
    match = re.search(pattern, out)
    assert match, f"{pattern!r} not in:\n{out}"
    return match.groups()


def shows(text: str, value: float, fmt: str) -> bool:
    """The printed number `text` is `value` rounded as the report formats it (e.g. '.4g'): a
    tolerance of half a unit in the last printed digit, and no more."""
    return float(text) == float(format(value, fmt))


def test_text_report_names_totals_gaps_and_events(capsys):
    code, out, _ = run(capsys, "dose", "integrate", SAMPLE)
    assert code == 0
    _, json_out, _ = run(capsys, "dose", "integrate", SAMPLE, "--json")
    report, want = json.loads(json_out), expected_sample_report()
    assert "absorbed dose" in out and "mGy" in out
    assert "mean quality factor" in out
    assert "gaps               1" in out
    assert "events             1" in out
    assert printed(r"(\d+) samples from counts over ([\d.]+) d", out) == ("4200", "3.00")

    number, unit, per_h, per_day = printed(r"absorbed dose +([\d.]+) (\w+)  \(mean ([\d.]+) uGy/h, ([\d.]+) mGy/day\)", out)
    # the printed total (4 significant digits) is the JSON's and the independent value, rounded
    assert shows(number, report["absorbed_dose_gy"] / GY[unit], ".4g")
    assert shows(number, want["absorbed_dose_gy"] / GY[unit], ".4g") and (number, unit) == ("6.249", "mGy")
    assert shows(per_h, want["mean_dose_rate_gy_s"] / GY_S_PER_UGY_H, ".3g")
    assert shows(per_day, want["mean_dose_rate_gy_s"] * 86400 * 1e3, ".3g")

    number, unit = printed(r"worst 24 h +([\d.]+) (\w+)", out)
    assert shows(number, report["max_24h_dose_gy"] / GY[unit], ".4g")
    assert shows(number, want["max_24h_dose_gy"] / GY[unit], ".4g")

    number, unit, q = printed(r"dose equivalent +([\d.]+) (\w+)  \(mean quality factor ([\d.]+)\)", out)
    assert shows(number, report["dose_equivalent_sv"] / GY[unit], ".4g")
    assert shows(number, want["dose_equivalent_sv"] / GY[unit], ".4g")
    assert shows(q, report["mean_quality_factor"], ".2f") and shows(q, want["mean_quality_factor"], ".2f")

    hours, number, unit = printed(r"gaps +1: ([\d.]+) h not bridged, about ([\d.]+) (\w+) unknown", out)
    assert shows(hours, want["gap_s"] / 3600, ".2f") and hours == "2.02"
    assert shows(number, want["gaps"][0][2] / GY[unit], ".3g")
    assert printed(r"t = (\d+) \.\. (\d+) s \(2\.02 h\)", out) == ("99960", "107220")

    e = want["event"]
    start, end, peak, peak_s, number, unit = printed(
        r"t = (\d+) \.\. (\d+) s, peak ([\d.]+) uGy/h at (\d+) s, dose ([\d.]+) (\w+)", out)
    assert (float(start), float(end), float(peak_s)) == (e["start_s"], e["end_s"], e["peak_s"])
    assert shows(peak, e["peak_rate_gy_s"] / GY_S_PER_UGY_H, ".4g")
    assert shows(number, e["dose_gy"] / GY[unit], ".4g") and shows(number, report["events"][0]["dose_gy"] / GY[unit], ".4g")


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
