"""Every `zarya` subcommand given bad input: one line on stderr naming the problem, a non-zero exit,
no traceback, and nothing written (no output file, archive, key or build directory created).

Most cases run in-process (zarya.cli.main, in a scratch directory whose whole tree is compared
before and after); Ctrl-C is a real SIGINT to a `zarya` subprocess, which must print
`zarya CMD: interrupted` and exit 130 after its cleanup (the simulated board stopped, a temporary
HIL directory removed)."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zarya.cli import main
from zarya.link.archive import Archive
from zarya.link.keys import DEV_KEY

ROOT = Path(__file__).resolve().parents[3]
ZARYA = Path(sys.executable).with_name("zarya")
SAMPLE_CSV = ROOT / "samples" / "cruise_3d.csv"
GOOD_SCENARIO = 'name = "ok"\nduration_s = 10\nstep_ms = 1000\n'


def key_json(key_id, key: bytes) -> str:
    return json.dumps({"key_id": key_id, "key": key.hex()})


# name -> content of the files each case may use (made before the snapshot of the directory)
FILES = {
    "junk.bin": b"\xff\xfe garbage \x00\x01\x02" * 50,
    "bad.csv": b"t_s,foo\n0,1\n",
    "other.db": None,  # a SQLite file that is not an archive (made below)
    "corrupt.db": b"SQLite format 3\x00" + b"\x13\x37" * 2000,
    "good.db": None,  # an empty Zarya archive (made below)
    "id300.key": key_json(300, bytes(range(32))).encode(),
    "dev.key": key_json(1, DEV_KEY).encode(),
    "step0.toml": (GOOD_SCENARIO.replace("step_ms = 1000", "step_ms = 0")).encode(),
    "negative.toml": GOOD_SCENARIO.replace("duration_s = 10", "duration_s = -5").encode(),
    "timeline_not_list.toml": (GOOD_SCENARIO + "timeline = 5\n").encode(),
    "unknown_command.toml": (GOOD_SCENARIO + '[[timeline]]\nat_s = 1\naction = "command"\nname = "FIRE_EVERYTHING"\n').encode(),
    "unknown_event.toml": (GOOD_SCENARIO + '[[expect]]\ncheck = "event_count"\nevent = "NO_SUCH_EVENT"\nequals = 0\n').encode(),
    "good.toml": GOOD_SCENARIO.encode(),
}

CASES = [  # (argv, what stderr must say)
    (["dose", "integrate", "missing.csv"], "missing.csv: cannot read"),
    (["dose", "integrate", "junk.bin"], "junk.bin: cannot read"),
    (["dose", "integrate", "bad.csv"], "need exactly one of"),
    (["dose", "integrate", "--archive", "missing.db"], "no such archive"),
    (["dose", "integrate", "--archive", "junk.bin"], "not an archive (not a SQLite file)"),
    (["dose", "integrate", "--archive", "other.db"], "not a Zarya archive"),
    (["dose", "integrate", "--archive", "corrupt.db"], "corrupt.db: cannot open the archive"),
    (["dose", "integrate", str(SAMPLE_CSV), "--max-gap-s", "-5"], "max_gap_s must be > 0"),
    (["plan", "transfer", "--depart", "someday", "--arrive", "2027-01-01"], "not a date: 'someday'"),
    (["plan", "porkchop", "--depart", "2026-09-01:2026-01-01", "--tof", "100:200"], "is empty"),
    (["plan", "porkchop", "--depart", "2026-09-01:2026-09-02", "--tof", "100:200", "--png", "/nonexistent/p.png"],
     "no such directory"),
    (["sim", "--speed", "0"], "--speed must be a number > 0"),
    (["sim", "--speed", "nan"], "--speed must be a number > 0"),
    (["sim", "--board-dir", "junk.bin"], "not a directory"),
    (["cmd", "/dev/nonexistent", "PING"], "cannot open /dev/nonexistent"),
    (["cmd", "/dev/nonexistent", "PING", "--archive", "new.db"], "cannot open /dev/nonexistent"),
    (["cmd", "/dev/nonexistent", "FIRE_EVERYTHING"], "unknown command 'FIRE_EVERYTHING'"),
    (["cmd", "/dev/nonexistent", "PARAM_SET", "param_id=99999999", "value=1"], "param_id = 99999999 is out of range"),
    (["cmd", "/dev/nonexistent", "PING", "--key", "id300.key"], "key id must be 1..255"),
    (["cmd", "/dev/nonexistent", "PING", "--key", "junk.bin"], "not a Zarya key file"),
    (["cmd", "/dev/nonexistent", "PING", "--timeout", "-1"], "must be > 0"),
    (["tm", "/dev/nonexistent", "--archive", "new.db"], "cannot open /dev/nonexistent"),
    (["tm", "/dev/nonexistent", "--count", "-1"], "must be >= 0"),
    (["monitor", "/dev/nonexistent"], "cannot open /dev/nonexistent"),
    (["keys", "new", "k.key", "--key-id", "300"], "key id must be a whole number 1..255"),
    (["keys", "new", "/nonexistent/dir/k.key"], "no such directory"),
    (["keys", "new", "junk.bin"], "exists: refusing to overwrite"),
    (["archive", "query", "missing.db"], "missing.db: no such archive"),
    (["archive", "query", "junk.bin"], "not an archive (not a SQLite file)"),
    (["archive", "query", "other.db"], "not a Zarya archive"),
    (["archive", "query", "corrupt.db"], "cannot open the archive"),
    (["archive", "query", "good.db", "no.such_param"], "no parameter no.such_param"),
    (["archive", "export", "good.db", "out.csv", "no.such_param"], "no parameter no.such_param"),
    (["archive", "export", "missing.db", "out.csv", "core.tm_sent"], "no such archive"),
    (["hil", "run", "missing.toml"], "no such scenario file"),
    (["hil", "run", "junk.bin"], "not UTF-8"),
    (["hil", "run", "step0.toml"], "step_ms must be a whole number of milliseconds > 0"),
    (["hil", "run", "negative.toml"], "duration_s must be a number of seconds > 0"),
    (["hil", "run", "timeline_not_list.toml"], "timeline must be a list"),
    (["hil", "run", "unknown_command.toml"], "unknown command 'FIRE_EVERYTHING'"),
    (["hil", "run", "unknown_event.toml"], "unknown event 'NO_SUCH_EVENT'"),
    (["hil", "run", "good.toml", "--png", "/nonexistent/t.png"], "no such directory"),
    (["flash", "--port", "/dev/nonexistent", "--dev-key"], "/dev/nonexistent: no such port"),
    (["flash", "--port", "/dev/null"], "a flight build needs its command key"),
    (["flash", "--port", "/dev/null", "--key", "missing.key"], "no such key file"),
    (["flash", "--port", "/dev/null", "--key", "dev.key"], "holds the development key"),
    (["flash", "--port", "/dev/null", "--dev-key"], "cannot open /dev/null as a serial port"),
    (["flash", "--port", "/dev/null", "--key", "dev.key", "--dev-key"], "not allowed with argument"),
    (["mission", "mars-2026", "--fast", "--days", "-1"], "--days must be a number of days > 0"),
    (["mission", "lunar-night", "--fast", "--days", "0"], "--days must be a number of days > 0"),
    (["mission", "mars-2026", "--fast", "--out", "junk.bin"], "not a directory"),
    (["mission", "mars-2026", "--fast", "--depart", "someday", "--arrive", "2027-09-01"], "not a date: 'someday'"),
]


def tree(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_size if p.is_file() else -1) for p in sorted(root.rglob("*"))}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad-input")
    for name, content in FILES.items():
        path = d / name
        if content is not None:
            path.write_bytes(content)
    db = sqlite3.connect(d / "other.db")
    db.execute("CREATE TABLE notes (text TEXT)")
    db.commit()
    db.close()
    Archive(d / "good.db").close()
    for name in ("id300.key", "dev.key"):
        (d / name).chmod(0o600)
    return d


def test_the_table_covers_every_subcommand():
    from zarya.cli import build_parser

    names = set(build_parser()._subparsers._group_actions[0].choices)
    assert names == {argv[0] for argv, _ in CASES} | {"mission"}


@pytest.mark.parametrize(("argv", "message"), CASES, ids=[" ".join(a[:4]) for a, _ in CASES])
def test_bad_input_gets_one_line_and_writes_nothing(workdir, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("ZARYA_HOME", str(workdir / ".zarya-home"))
    before = tree(workdir)
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's usage errors
        code = stop.code
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code not in (0, None), err
    assert "Traceback" not in err
    assert len(lines) == 1 and lines[0].startswith(f"zarya {argv[0]}") and message in lines[0], err
    after = {k: v for k, v in tree(workdir).items() if not k.startswith(".zarya-home")}
    assert after == before, "something was written"


def wait_for(predicate, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def interrupt(argv: list[str], ready, tmp_path: Path, settle_s: float = 1.0) -> tuple[int, str]:
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"), ZARYA_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    (tmp_path / "tmp").mkdir()
    out_path = tmp_path / "stdout.txt"
    with open(out_path, "w") as out:
        proc = subprocess.Popen([str(ZARYA), *argv], cwd=tmp_path, stdout=out, stderr=subprocess.PIPE, env=env,
                                text=True)
        try:
            assert wait_for(lambda: ready(out_path) or proc.poll() is not None, 40), "never got going"
            assert proc.poll() is None, proc.stderr.read()
            time.sleep(settle_s)
            proc.send_signal(signal.SIGINT)
            err = proc.communicate(timeout=30)[1]
        finally:
            if proc.poll() is None:
                proc.kill()
    return proc.returncode, err


def test_ctrl_c_during_a_mission_is_one_line_and_exit_130(tmp_path):
    code, err = interrupt(["mission", "mars-2026", "--fast", "--out", str(tmp_path / "m")],
                          lambda out: "2/4" in out.read_text(), tmp_path)
    assert "Traceback" not in err and err.strip().splitlines() == ["zarya mission: interrupted"], err
    assert code == 130


def test_ctrl_c_during_a_hil_run_is_one_line_exit_130_and_leaves_no_temporary_directory(tmp_path):
    scenario = ROOT / "hil" / "scenarios" / "01_nominal_eclipse.toml"

    def flying(_out) -> bool:
        return any(p.name == "archive.db" for p in (tmp_path / "tmp").glob("zarya-hil-*/*"))

    code, err = interrupt(["hil", "run", str(scenario)], flying, tmp_path)
    assert "Traceback" not in err and err.strip().splitlines() == ["zarya hil: interrupted"], err
    assert code == 130
    assert not list((tmp_path / "tmp").glob("zarya-hil-*"))  # the run's temporary directory is gone
