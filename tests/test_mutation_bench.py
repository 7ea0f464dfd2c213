"""The mutation bench's own rules: which changes it makes, that its keys survive edits elsewhere,
that a sample is the same for a seed, and that the CI set is caught, spread and listed in full."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks import mutation

ROOT = Path(__file__).resolve().parents[1]


def test_python_mutants_change_operators_and_numbers_but_not_strings_comments_or_imports():
    source = 'import os\nx = a < 3  # b == c\ny = "d + e"\nz = f and True\n'
    got = {(m.line, m.old, m.new) for m in mutation.python_mutants("m.py", source)}
    assert got == {(2, "<", "<="), (2, "3", "4"), (2, "3", "2"), (4, "and", "or"), (4, "True", "False")}


def test_c_mutants_skip_comments_and_preprocessor_lines():
    source = "#define N 4\n/* a < b\n   c == d */\nint f(int x) { return x >= 1 && x != 0; } // e < f\n"
    got = sorted((m.line, m.old, m.new) for m in mutation.c_mutants("k.c", source))
    assert got == sorted([(4, ">=", ">"), (4, "1", "2"), (4, "1", "0"), (4, "&&", "||"), (4, "!=", "=="), (4, "0", "1")])


def test_a_mutant_applies_one_change_and_its_key_survives_an_edit_elsewhere():
    source = "a = 1\nb = c < d\n"
    (m,) = [m for m in mutation.python_mutants("m.py", source) if m.old == "<"]
    assert m.apply(source) == "a = 1\nb = c <= d\n"
    moved = "# a new first line\na = 1\nb = c < d\n"
    (m2,) = [m for m in mutation.python_mutants("m.py", moved) if m.old == "<"]
    assert m2.key == m.key and m2.line == 3


def test_a_sample_has_the_size_asked_is_the_same_for_a_seed_and_covers_every_module():
    mutants = {m.key: m for m in mutation.all_mutants()}
    first, again, other = (mutation.sample(mutants, 500, s) for s in (1, 1, 2))
    assert len(first) == 500 == len(set(first)) and first == again and first != other
    assert {mutants[k].path for k in first} == set(mutation.TARGETS)


def test_the_ci_set_matches_the_source_and_lists_no_equivalent():
    keys = json.loads((ROOT / "benchmarks" / "mutants_ci.json").read_text())
    mutants = {m.key: m for m in mutation.all_mutants()}
    assert 40 <= len(keys) == len(set(keys)) and all(k in mutants for k in keys)
    assert not set(keys) & set(mutation.equivalents())
    assert len({mutants[k].path for k in keys}) == len(mutation.TARGETS)  # every module in it


def test_every_equivalent_names_a_mutant_of_the_source_with_a_reason():
    mutants = {m.key for m in mutation.all_mutants()}
    for key, reason in mutation.equivalents().items():
        assert key in mutants, key
        assert len(reason) > 20, key


def test_the_ci_pick_spreads_over_modules_and_takes_only_quick_kills():
    mutants = {m.key: m for m in mutation.all_mutants()}
    by_path: dict[str, list[str]] = {}
    for k, m in mutants.items():
        by_path.setdefault(m.path, []).append(k)
    results = {}
    for path, keys in by_path.items():
        for i, k in enumerate(sorted(keys)[:3]):
            results[k] = {"key": k, "path": path, "outcome": ["killed", "survived", "timeout"][i], "seconds": 1.0 + i}
    picked = mutation.pick_quick_kills(results, mutants, 10)
    assert len(picked) == 10 and all(results[k]["outcome"] == "killed" for k in picked)
    assert len({mutants[k].path for k in picked}) == 10


@pytest.mark.parametrize("outcomes", [["killed"] * 9 + ["survived"], ["killed"] * 10])
def test_the_report_scores_killed_over_scored(outcomes, capsys):
    mutants = {m.key: m for m in mutation.all_mutants() if m.path == "firmware/core/cobs.py"}
    keys = sorted(set(mutants) - set(mutation.equivalents()))[:10]
    results = {k: {"key": k, "path": mutants[k].path, "line": mutants[k].line, "old": mutants[k].old,
                   "new": mutants[k].new, "anchor": mutants[k].anchor, "outcome": o} for k, o in zip(keys, outcomes, strict=True)}
    score = mutation.report(results, mutants, keys)
    assert score == outcomes.count("killed") / 10
    assert capsys.readouterr().out.count("survived: ") == outcomes.count("survived")


def test_cancelling_a_run_kills_what_it_started():
    # a timed-out pytest once left its MicroPython VM spinning for an hour
    import subprocess
    import time

    sandbox = mutation.Sandbox.__new__(mutation.Sandbox)
    sandbox.proc = subprocess.Popen(["sh", "-c", "sleep 60 & echo $!; wait"], stdout=subprocess.PIPE, text=True,
                                    start_new_session=True)
    child = int(sandbox.proc.stdout.readline())
    sandbox.cancel()
    sandbox.proc.wait(timeout=10)
    for _ in range(100):
        try:
            with open(f"/proc/{child}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    break  # dead, waiting to be reaped
        except FileNotFoundError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("the run's child outlived the cancel")
