"""The README's scripting example runs as printed."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_scripting_example_runs(tmp_path, monkeypatch, capsys):
    section = README.read_text().split("### Scripting", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "PING: completed"
    board_time_s, rate_ugy_h = eval(printed[1])
    assert 590 <= board_time_s <= 601 and 0 < rate_ugy_h < 100  # deep-space GCR: tens of uGy/h
    assert (tmp_path / "out" / "archive.db").exists()
