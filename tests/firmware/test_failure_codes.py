"""ST[1] failure codes are named once, in firmware/core/failures.py: every name is a code of
dictionary.FAILURES and every code has exactly one name, the host reads the same names, and no
firmware module passes, returns or compares a failure code as a bare integer (CPython)."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

import pytest

from tests.mpvm import FIRMWARE
from zarya.dictionary import load as load_dictionary

NAMED_HERE = {"core/failures.py", "dictionary.py"}  # where the codes are defined (names, texts)
# the codes on the link: the values must never change (ground software and archives decode them)
ON_THE_LINK = {
    "UNKNOWN_APID": 1, "UNKNOWN_SERVICE": 2, "BAD_LENGTH": 3, "OUT_OF_RANGE": 4, "UNKNOWN_KEY": 5, "BAD_MAC": 6,
    "REPLAYED": 7, "NOT_ARMED": 8, "WRONG_MODE": 9, "EXEC_FAILED": 10, "UNKNOWN_PARAM": 11, "SCHEDULE_FULL": 12,
    "UNKNOWN_FUNCTION": 13, "UNKNOWN_HK": 14, "REPLAY_LOST": 15,
}
OLD_ALIASES = {"MALFORMED", "REPLAY", "NOT_ALLOWED"}  # names the modules used to give the codes themselves
FAIL_CALLS = {"_fail", "fail", "reject", "_reject"}  # every argument that is an integer is a failure code
CODE_NAMES = {"failure", "failure_code"}  # variables that hold a failure code
BARE_CALL = re.compile(r"\b(?:_?fail|_?reject)\(\s*(?:[^,()]+,\s*)*[1-9]\d*\s*[,)]")  # e.g. reject(7 / _fail(rid, 7)


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def failure_names() -> dict[str, int]:
    module = _load(FIRMWARE / "core" / "failures.py", "zarya_test_failures")
    return {k: v for k, v in vars(module).items() if k.isupper()}


def firmware_sources() -> dict[str, str]:
    return {p.relative_to(FIRMWARE).as_posix(): p.read_text() for p in sorted(FIRMWARE.rglob("*.py"))
            if p.relative_to(FIRMWARE).as_posix() not in NAMED_HERE}


def test_every_name_is_a_code_of_the_dictionary():
    failures = load_dictionary().module.FAILURES
    names = failure_names()
    assert names, "no failure names in core/failures.py"
    for name, code in names.items():
        assert type(code) is int and code in failures, f"{name} = {code!r} is not a code of dictionary.FAILURES"


def test_every_code_has_exactly_one_name():
    by_code: dict[int, list[str]] = {}
    for name, code in failure_names().items():
        by_code.setdefault(code, []).append(name)
    for code in load_dictionary().module.FAILURES:
        assert len(by_code.get(code, [])) == 1, f"failure code {code} has names {by_code.get(code, [])}"


def test_the_codes_on_the_link_are_unchanged():
    assert failure_names() == ON_THE_LINK


def test_the_host_reads_the_same_names():
    dictionary = load_dictionary()
    for name, code in ON_THE_LINK.items():
        assert getattr(dictionary.failures, name) == code
    assert dictionary.failure(dictionary.failures.REPLAYED).startswith("replayed")


def _int(node) -> int | None:
    """The value of a non-zero integer literal (0 is success, never a failure code)."""
    if isinstance(node, ast.Constant) and type(node.value) is int and node.value != 0:
        return node.value
    return None


def _name(node) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _returns_named_failure(fn) -> bool:
    return any(isinstance(n, ast.Return) and isinstance(n.value, ast.Attribute) and _name(n.value.value) == "failures"
               for n in ast.walk(fn))


def bare_codes(path: str, source: str, handlers: set[str] | None = None) -> list[str]:
    """Where `source` uses a bare integer as a failure code: in a call of a fail/reject function,
    as the code of a _report, returned from a command handler or from a function that returns
    named codes, assigned to or compared with a failure-code variable, or a module constant that
    gives a failure code its own name."""
    tree = ast.parse(source, path)
    handlers = set(handlers or ()) | registered_handlers({path: source})
    found = []

    def where(node, what):
        found.append(f"{path}:{node.lineno}: {what}")

    for node in tree.body:
        if isinstance(node, ast.Assign) and _int(node.value) is not None:
            for target in node.targets:
                if isinstance(target, ast.Name) and (target.id in ON_THE_LINK or target.id in OLD_ALIASES):
                    where(node, f"{target.id} = {node.value.value} (use core.failures)")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = _name(node.func)
            args = list(node.args) + [k.value for k in node.keywords]
            if callee in FAIL_CALLS:
                for arg in args:
                    if _int(arg) is not None:
                        where(node, f"{callee}(... {arg.value} ...)")
            if callee == "_report" and len(node.args) >= 3 and _int(node.args[2]) is not None:
                where(node, f"_report(..., {node.args[2].value})")
        elif isinstance(node, ast.FunctionDef):
            if node.name in handlers or _returns_named_failure(node):
                for sub in ast.walk(node):
                    if isinstance(sub, ast.Return) and _int(sub.value) is not None:
                        where(sub, f"{node.name} returns {sub.value.value}")
        elif isinstance(node, ast.Assign) and _int(node.value) is not None:
            for target in node.targets:
                if _name(target) in CODE_NAMES:
                    where(node, f"{_name(target)} = {node.value.value}")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_name(s) in CODE_NAMES for s in sides) and any(_int(s) is not None for s in sides):
                where(node, "failure code compared with a bare integer")
    for lineno, line in enumerate(source.splitlines(), 1):
        if BARE_CALL.search(line.split("#")[0]):
            found.append(f"{path}:{lineno}: {line.strip()}")
    return found


def registered_handlers(sources: dict[str, str]) -> set[str]:
    """Names of the functions whose result is a failure code: the command handlers (register("NAME",
    fn), handlers[...] = fn, and what a registered lambda returns the result of), what is assigned to
    `failure`, and what those return directly."""
    trees = [ast.parse(source, path) for path, source in sources.items()]
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) == "register" and len(node.args) == 2 and \
                    isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                fn = node.args[1]
                if isinstance(fn, ast.Lambda) and isinstance(fn.body, ast.Call):  # lambda args: self.f(...)
                    fn = fn.body.func
                if _name(fn):
                    names.add(_name(fn))
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
                if _name(node.targets[0].value) == "handlers" and _name(node.value):
                    names.add(_name(node.value))
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
                if any(_name(t) in CODE_NAMES for t in node.targets) and _name(node.value.func):
                    names.add(_name(node.value.func))
    while True:  # what a failure-returning function returns from a call is a failure code too
        more = {_name(r.value.func) for tree in trees for fn in ast.walk(tree)
                if isinstance(fn, ast.FunctionDef) and fn.name in names
                for r in ast.walk(fn) if isinstance(r, ast.Return) and isinstance(r.value, ast.Call)} - {None}
        if more <= names:
            return names
        names |= more


def test_no_firmware_module_uses_a_bare_failure_code():
    sources = firmware_sources()
    assert "core/dispatch.py" in sources and "apps/power.py" in sources
    handlers = registered_handlers(sources)
    assert {"_set_time", "insert", "cmd_switch", "all_clear", "_arm", "_hk_enable", "check", "authenticate"} <= handlers
    found = [f for path, source in sources.items() for f in bare_codes(path, source, handlers)]
    assert found == [], "failure codes as bare integers (use core.failures):\n" + "\n".join(found)


@pytest.mark.parametrize("snippet", [
    "def handle(self, rid):\n    return self._fail(rid, 7)\n",
    "def f(self):\n    self.reject(7)\n",
    "def f(self, rid):\n    self._report(8, rid, 10)\n",
    "def all_clear(self, args):\n    return 9\n\n\ndef setup(d, m):\n    d.register('RAD_ALL_CLEAR', m.all_clear)\n",
    "def check(p):\n    if p:\n        return failures.OUT_OF_RANGE\n    return 11\n",
    "def f(self, failure):\n    return failure == 7\n",
    "def f(self):\n    failure = 10\n    return failure\n",
    "NOT_ALLOWED = 9\n",
    "UNKNOWN_HK = 14\n",
])
def test_the_check_catches_bare_codes(snippet):
    assert bare_codes("snippet.py", snippet)


def test_the_check_lets_named_codes_and_success_through():
    snippet = ("from core import failures\n\n\ndef h(self, rid, args):\n    if args:\n"
               "        return self._fail(rid, failures.REPLAYED)\n    self._report(7, rid)\n    return 0\n")
    assert bare_codes("snippet.py", snippet) == []
