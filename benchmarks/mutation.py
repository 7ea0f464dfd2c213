"""Mutation testing of the flight-critical code: would the tests notice a wrong answer?

    python benchmarks/mutation.py --sample 500 --seed 1            # a seeded sample, resumable
    python benchmarks/mutation.py --list benchmarks/mutants_ci.json  # the fixed set CI runs
    python benchmarks/mutation.py --report                            # score per module, survivors
    python benchmarks/mutation.py --pick benchmarks/mutants_ci.json --sample 50  # the CI set, from the results

A mutant is one single-point change to the source: a comparison turned (< to <=, == to !=), an
arithmetic or bitwise operator swapped, `and` for `or`, a number off by one, True for False.
Python and MicroPython files are mutated token by token (the tokenizer skips strings and
comments); C files by the same operators on code lines.  Each mutant runs in a private copy of
the tree (so a checkout is never touched), a C mutant rebuilt with native/build_native.py under
ASan + UBSan as CI's sanitizer run does, against the tests that cover its module (TARGETS): killed if they fail, survived if
they pass, timeout if they hang.  Results are appended to a JSON-lines file, one per mutant, and
mutants already there are skipped, so a long run resumes where it stopped.  Mutants listed in
benchmarks/mutants_equivalent.json (with the reason each cannot change behaviour) are left out
of the score.  mutmut cannot do this: half the targets run inside the MicroPython VM and the C
kernels need a rebuild.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tokenize
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "build" / "mutation" / "results.jsonl"
EQUIVALENT = ROOT / "benchmarks" / "mutants_equivalent.json"
TIMEOUT_S = 300


@functools.cache
def sanitizer_env() -> dict[str, str]:
    """What .ci/sanitize sets: a memory error or undefined behaviour fails the run."""
    libs = [subprocess.run(["gcc", f"-print-file-name={lib}"], capture_output=True, text=True).stdout.strip()
            for lib in ("libasan.so", "libubsan.so")]
    return {"LD_PRELOAD": ":".join(libs), "ASAN_OPTIONS": "detect_leaks=0",
            "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1"}


# module -> the tests that cover it (a mutant is scored against these only: the default run's
# other tests could only kill more, so the score is a lower bound)
TARGETS = {
    "firmware/core/auth.py": ["tests/firmware/mp_test_core_rules.py", "tests/firmware/mp_test_app.py",
                              "tests/firmware/mp_test_hostile.py"],
    "firmware/core/dispatch.py": ["tests/firmware/mp_test_core_rules.py", "tests/firmware/mp_test_app.py",
                                  "tests/firmware/mp_test_hostile.py"],
    "firmware/core/cobs.py": ["tests/firmware/mp_test_codecs.py"],
    "firmware/core/crc16.py": ["tests/firmware/mp_test_codecs.py"],
    "firmware/core/records.py": ["tests/firmware/mp_test_core_rules.py", "tests/firmware/mp_test_persistence.py",
                                 "tests/firmware/mp_test_power_cuts.py"],
    "firmware/core/tm_storage.py": ["tests/firmware/mp_test_core_rules.py", "tests/firmware/mp_test_tm_storage.py"],
    "firmware/core/link.py": ["tests/firmware/mp_test_core_rules.py", "tests/firmware/mp_test_app.py",
                              "tests/firmware/mp_test_hostile.py"],
    "firmware/core/boot.py": ["tests/firmware/mp_test_core_rules.py", "tests/firmware/mp_test_persistence.py"],
    "firmware/apps/radmon.py": ["tests/firmware/mp_test_radmon_rules.py", "tests/firmware/mp_test_radmon.py",
                                "tests/firmware/mp_test_radmon_quality.py", "tests/firmware/mp_test_radmon_cadence.py"],
    "firmware/apps/power.py": ["tests/firmware/mp_test_power_rules.py", "tests/firmware/mp_test_power.py"],
    "host/zarya/dose/mirror.py": ["tests/host/dose"],
    "host/zarya/guidance/lambert.py": ["tests/host/guidance/test_guidance_rules.py", "tests/host/guidance/test_kepler_lambert.py",
                                       "tests/host/guidance/test_guidance_differential.py"],
    "host/zarya/guidance/kepler.py": ["tests/host/guidance/test_guidance_rules.py", "tests/host/guidance/test_kepler_lambert.py",
                                      "tests/host/guidance/test_kepler_reference.py"],
    "host/zarya/link/client.py": ["tests/host/link"],
    "host/zarya/link/archive.py": ["tests/host/link", "tests/host/sim/test_flight.py"],
    "native/dose.c": ["tests/host/dose"],
    "native/guidance.c": ["tests/host/guidance/test_guidance_rules.py", "tests/host/guidance/test_kepler_lambert.py",
                          "tests/host/guidance/test_guidance_differential.py"],
}

PY_SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "+": "-", "-": "+", "*": "/",
            "/": "*", "//": "/", "%": "//", "&": "|", "|": "&", "^": "&", "<<": ">>", ">>": "<<",
            "and": "or", "or": "and", "True": "False", "False": "True", "is": "is not", "in": "not in"}
C_SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "&&": "||", "||": "&&"}
C_TOKEN = re.compile(r"<=|>=|==|!=|&&|\|\||(?<![<>-])[<>](?![<>=])|(?<![\w.])\d+(?![\w.])")


@dataclass(frozen=True)
class Mutant:
    path: str
    line: int
    col: int
    old: str
    new: str
    anchor: str  # the line's text and its occurrence in the file: keys survive edits elsewhere

    @property
    def key(self) -> str:
        digest = hashlib.sha1(self.anchor.encode()).hexdigest()[:10]
        return f"{self.path}:{digest}:{self.col}:{self.old}->{self.new}"

    def apply(self, source: str) -> str:
        lines = source.splitlines(keepends=True)
        text = lines[self.line - 1]
        assert text[self.col:self.col + len(self.old)] == self.old, self.key
        lines[self.line - 1] = text[:self.col] + self.new + text[self.col + len(self.old):]
        return "".join(lines)


def number_mutations(text: str) -> list[str]:
    value = int(text, 16) if text.lower().startswith("0x") else int(text)
    return [str(value + 1)] + ([str(value - 1)] if value > 0 else [])


def anchors(source: str) -> list[str]:
    """Per line: its stripped text and how many identical lines came before it."""
    seen: Counter = Counter()
    out = [""]
    for line in source.splitlines():
        seen[line.strip()] += 1
        out.append(f"{line.strip()}#{seen[line.strip()]}")
    return out


def python_mutants(path: str, source: str) -> list[Mutant]:
    out = []
    anchor = anchors(source)
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        line_text = tok.line.lstrip()
        if line_text.startswith(("import ", "from ", "@", "assert ")):
            continue
        (row, col), text = tok.start, tok.string
        if tok.type in (tokenize.OP, tokenize.NAME) and text in PY_SWAPS:
            out.append(Mutant(path, row, col, text, PY_SWAPS[text], anchor[row]))
        elif tok.type == tokenize.NUMBER and re.fullmatch(r"0x[0-9a-fA-F]+|\d+", text):
            out += [Mutant(path, row, col, text, new, anchor[row]) for new in number_mutations(text)]
    return out


def c_mutants(path: str, source: str) -> list[Mutant]:
    out = []
    anchor = anchors(source)
    in_comment = False
    for row, line in enumerate(source.splitlines(), 1):
        code = line
        if in_comment:
            if "*/" not in code:
                continue
            code = " " * (code.index("*/") + 2) + code[code.index("*/") + 2:]
            in_comment = False
        if "/*" in code:
            start = code.index("/*")
            in_comment = "*/" not in code[start:]
            code = code[:start]
        if "//" in code:  # a line comment (the kernels hold no "//" in a string)
            code = code[:code.index("//")]
        stripped = code.strip()
        if not stripped or stripped.startswith("#") or ("[" in stripped and "]" in stripped and "=" not in stripped):
            continue
        for m in C_TOKEN.finditer(code):
            text = m.group()
            news = [C_SWAPS[text]] if text in C_SWAPS else number_mutations(text)
            out += [Mutant(path, row, m.start(), text, new, anchor[row]) for new in news]
    return out


def all_mutants() -> list[Mutant]:
    out = []
    for path in TARGETS:
        source = (ROOT / path).read_text()
        out += c_mutants(path, source) if path.endswith(".c") else python_mutants(path, source)
    return out


class Sandbox:
    """A private copy of the tree in which one mutant at a time is applied, tested and undone."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="zarya-mutation-"))
        ignore = shutil.ignore_patterns(".git", ".venv", "build", "__pycache__", ".pytest_cache", ".hypothesis",
                                        ".benchmarks", "typings", "*.egg-info", "mission-*")
        shutil.copytree(ROOT, self.dir / "tree", ignore=ignore)
        self.tree = self.dir / "tree"
        self.proc: subprocess.Popen | None = None
        self.package = self.tree / "host" / "zarya"
        if not self._rebuild():
            raise RuntimeError("the unmutated C kernels do not build: fix that before mutating them")
        self.native = {so.name: so.read_bytes() for so in self.package.glob("_native*.so")}  # restored after a C mutant

    def run(self, mutant: Mutant) -> tuple[str, float]:
        target = self.tree / mutant.path
        original = target.read_text()
        target.write_text(mutant.apply(original))
        start = time.monotonic()
        try:
            env = dict(os.environ, PYTHONPATH=f"{self.tree / 'host'}{os.pathsep}{self.tree}")
            if mutant.path.endswith(".c"):  # as CI runs the kernels' tests: under ASan + UBSan, -Werror
                if not self._rebuild(sanitize=True):
                    return "killed", time.monotonic() - start  # the compiler refused it
                env.update(sanitizer_env())
            cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                   "--hypothesis-seed=0", *TARGETS[mutant.path]]  # the same examples every run: never flaky
            # a session of its own: Ctrl-C stops the runner, which kills this run instead of scoring it
            self.proc = subprocess.Popen(cmd, cwd=self.tree, env=env, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, start_new_session=True)
            try:
                returncode = self.proc.wait(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.cancel()
                self.proc.wait()
                return "timeout", time.monotonic() - start
            return ("survived" if returncode == 0 else "killed"), time.monotonic() - start
        finally:
            target.write_text(original)
            if mutant.path.endswith(".c"):
                self._remove_native()
                for name, data in self.native.items():
                    (self.package / name).write_bytes(data)

    def _remove_native(self) -> None:
        for old in self.package.glob("_native*.so"):
            old.unlink()

    def _rebuild(self, sanitize: bool = False) -> bool:
        self._remove_native()
        proc = subprocess.run([sys.executable, "native/build_native.py", "--outdir", str(self.tree / "host"),
                               *(["--sanitize"] if sanitize else [])], cwd=self.tree, capture_output=True)
        return proc.returncode == 0

    def cancel(self) -> None:
        """Kill the test run and everything it started (a MicroPython VM left running would spin on)."""
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: the group is the run
            except ProcessLookupError:
                pass

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def load_results(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    return {r["key"]: r for r in map(json.loads, path.read_text().splitlines()) if r}


def equivalents() -> dict[str, str]:
    return json.loads(EQUIVALENT.read_text()) if EQUIVALENT.exists() else {}


def report(results: dict[str, dict], mutants: dict[str, Mutant], keys: list[str] | None = None) -> float:
    """Print the score per module and every survivor; returns the overall score (killed / scored).

    A mutant listed as equivalent counts as such (not scored) whether or not it was ever run."""
    equivalent = equivalents()
    per_module: dict[str, Counter] = defaultdict(Counter)
    survivors = []
    for key in keys if keys is not None else results:
        if key in equivalent and key in mutants:
            per_module[mutants[key].path]["equivalent"] += 1
        elif key in results:
            r = results[key]
            per_module[r["path"]][r["outcome"]] += 1
            survivors += [r] if r["outcome"] == "survived" else []
    total = Counter()
    print(f"{'module':34} {'killed':>7} {'survived':>9} {'timeout':>8} {'equiv':>6} {'score':>7}")
    for module in sorted(per_module):
        c = per_module[module]
        total.update(c)
        scored = c["killed"] + c["survived"] + c["timeout"]
        print(f"{module:34} {c['killed']:7} {c['survived']:9} {c['timeout']:8} {c['equivalent']:6} "
              f"{(c['killed'] + c['timeout']) / scored if scored else 1:7.1%}")
    scored = total["killed"] + total["survived"] + total["timeout"]
    score = (total["killed"] + total["timeout"]) / scored if scored else 1.0
    print(f"{'all':34} {total['killed']:7} {total['survived']:9} {total['timeout']:8} {total['equivalent']:6} "
          f"{score:7.1%}")
    sampled = scored + total["equivalent"]
    print(f"equivalent: {total['equivalent']} of {sampled} ({total['equivalent'] / sampled if sampled else 0:.1%})")
    for r in survivors:
        print(f"  survived: {r['path']}:{r['line']}: {r['old']} -> {r['new']}   in: {r['anchor'].rsplit('#', 1)[0]}")
    return score


def sample(mutants: dict[str, Mutant], n: int, seed: int) -> list[str]:
    """`n` mutants drawn with `seed`, each module's share in proportion to its mutants (largest
    remainders, at least one each)."""
    by_module = defaultdict(list)
    for key, m in mutants.items():
        by_module[m.path].append(key)
    quota = {path: n * len(keys) / len(mutants) for path, keys in by_module.items()}
    share = {path: max(1, int(q)) for path, q in quota.items()}  # never above a module's count: q <= len
    for path in sorted(quota, key=lambda p: quota[p] - int(quota[p]), reverse=True)[:max(0, n - sum(share.values()))]:
        share[path] += 1
    rng = random.Random(seed)
    return [key for path in sorted(by_module) for key in rng.sample(sorted(by_module[path]), share[path])]


def pick_quick_kills(results: dict[str, dict], mutants: dict[str, Mutant], n: int) -> list[str]:
    """`n` mutants the tests caught (not by timeout), spread over the modules, the quickest caught
    first: a fixed set for CI, cheap and never flaky."""
    by_module = defaultdict(list)
    equivalent = equivalents()
    for r in sorted(results.values(), key=lambda r: r["seconds"]):
        if r["outcome"] == "killed" and r["key"] in mutants and r["key"] not in equivalent:
            by_module[r["path"]].append(r["key"])
    keys: list[str] = []
    while len(keys) < n and any(by_module.values()):
        for module in sorted(by_module):
            if by_module[module] and len(keys) < n:
                keys.append(by_module[module].pop(0))
    return keys


def run_all(todo: list[str], mutants: dict[str, Mutant], results: Path, jobs: int) -> None:
    """Run `todo` over `jobs` private trees, appending each outcome to `results` as it lands."""
    sandboxes = [Sandbox() for _ in range(max(1, min(jobs, len(todo))))]
    free = list(sandboxes)
    lock = threading.Lock()
    done = 0
    stop = threading.Event()

    def one(key: str) -> None:
        nonlocal done
        if stop.is_set():
            return
        with lock:
            sandbox = free.pop()
        try:
            outcome, seconds = sandbox.run(mutants[key])
        finally:
            with lock:
                free.append(sandbox)
        if stop.is_set():
            return  # cut short by Ctrl-C: not an outcome
        record = {**asdict(mutants[key]), "key": key, "outcome": outcome, "seconds": round(seconds, 1)}
        with lock, results.open("a") as out:
            out.write(json.dumps(record) + "\n")
            done += 1
            print(f"[{done}/{len(todo)}] {outcome:8} {seconds:6.1f} s  {key}", file=sys.stderr, flush=True)

    pool = ThreadPoolExecutor(len(sandboxes))
    try:
        for future in [pool.submit(one, key) for key in todo]:
            future.result()
    except KeyboardInterrupt:
        stop.set()
        for sandbox in sandboxes:
            sandbox.cancel()
        print("interrupted: the results so far are kept; run again to resume", file=sys.stderr)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for sandbox in sandboxes:
            sandbox.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sample", type=int, help="score a seeded sample of this many mutants, spread over the modules")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--list", type=Path, help="a JSON list of mutant keys to score (the CI set)")
    p.add_argument("--results", type=Path, default=RESULTS, help=f"JSON-lines results, resumable (default {RESULTS})")
    p.add_argument("--report", action="store_true", help="only print the report of the results so far")
    p.add_argument("--require", type=float, help="exit 1 if the score is below this fraction")
    p.add_argument("--pick", type=Path, help="write a fixed set of --sample caught mutants from the results here (for CI)")
    p.add_argument("--jobs", type=int, default=1, help="mutants run at once, each in its own copy of the tree")
    args = p.parse_args(argv)
    mutants = {m.key: m for m in all_mutants()}
    if args.pick:
        keys = pick_quick_kills(load_results(args.results), mutants, args.sample or 50)
        args.pick.write_text(json.dumps(keys, indent=1) + "\n")
        print(f"{args.pick}: {len(keys)} mutants", file=sys.stderr)
        return 0
    if args.report:
        score = report(load_results(args.results), mutants)
        return 1 if args.require is not None and score < args.require else 0
    if args.list:
        keys = json.loads(args.list.read_text())
        missing = [k for k in keys if k not in mutants]
        if missing:
            print(f"{args.list}: {len(missing)} mutant(s) no longer match the source, e.g. {missing[0]}", file=sys.stderr)
            return 2
    else:
        keys = sample(mutants, args.sample or 500, args.seed)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # kill PID stops it as Ctrl-C does: nothing half-scored
    done = load_results(args.results)
    equivalent = equivalents()
    todo = [k for k in keys if k not in done and k not in equivalent]
    print(f"{len(mutants)} mutants in {len(TARGETS)} modules; {len(keys)} chosen, {len(keys) - len(todo)} already scored",
          file=sys.stderr)
    run_all(todo, mutants, args.results, args.jobs)
    score = report(load_results(args.results), mutants, keys)
    return 1 if args.require is not None and score < args.require else 0


if __name__ == "__main__":
    sys.exit(main())
