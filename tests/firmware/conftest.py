"""Firmware unit tests that run inside the MicroPython VM, driven by pytest.

Every `mp_test_*.py` file here is MicroPython: its `test_*` functions run in one VM process
(Pico-sized heap), each in a fresh working directory, and report back one JSON line each;
pytest shows them as ordinary test items.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.mpvm import FIRMWARE, HEAP, micropython_exe

HERE = __import__("pathlib").Path(__file__).resolve().parent
RUNNER = """
import sys, json, io, os
sys.path.insert(0, {firmware!r})
sys.path.insert(0, {tests!r})
mod = __import__({module!r})
for name in {names!r}:
    os.mkdir(name)
    os.chdir(name)
    try:
        getattr(mod, name)()
        print(json.dumps({{"test": name, "ok": True}}))
    except Exception as e:
        s = io.StringIO()
        sys.print_exception(e, s)
        print(json.dumps({{"test": name, "ok": False, "trace": s.getvalue()}}))
    os.chdir("..")
"""


class MpTestError(Exception):
    pass


def is_mp_test(path) -> bool:
    return path.name.startswith("mp_test_") and path.suffix == ".py"


def pytest_collect_file(parent, file_path):
    if is_mp_test(file_path) and not parent.session.isinitpath(file_path):
        return MpFile.from_parent(parent, path=file_path)
    return None


def pytest_pycollect_makemodule(module_path, parent):
    """A file named on the command line is collected here: keep it out of CPython's import."""
    if is_mp_test(module_path):
        return MpFile.from_parent(parent, path=module_path)
    return None


class MpFile(pytest.File):
    _results: dict | None = None
    _output = ""

    def test_names(self) -> list[str]:
        return re.findall(r"^def (test_\w+)\(", self.path.read_text(), re.M)

    def collect(self):
        for name in self.test_names():
            yield MpItem.from_parent(self, name=name)

    def results(self, tmp_dir) -> dict:
        if self._results is None:
            code = RUNNER.format(firmware=str(FIRMWARE), tests=str(HERE), module=self.path.stem, names=self.test_names())
            proc = subprocess.run([micropython_exe(), "-X", f"heapsize={HEAP}", "-c", code], cwd=tmp_dir,
                                  capture_output=True, text=True, timeout=600)
            self._output = proc.stdout + proc.stderr
            self._results = {}
            for line in proc.stdout.splitlines():
                if line.startswith("{") and '"test"' in line:
                    entry = json.loads(line)
                    self._results[entry["test"]] = entry
        return self._results


class MpItem(pytest.Item):
    def runtest(self):
        tmp = self.config._tmp_path_factory.mktemp(self.parent.path.stem)  # one VM run per file
        result = self.parent.results(tmp).get(self.name)
        if result is None:
            raise MpTestError(f"{self.name} did not report (the VM stopped):\n{self.parent._output[-3000:]}")
        if not result["ok"]:
            raise MpTestError(result["trace"])

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, MpTestError):
            return f"in the MicroPython VM:\n{excinfo.value}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"[micropython] {self.name}"
