"""Benchmark bookkeeping: each benchmark records its median time; the summary prints ratios.

Run with `pytest benchmarks/ --benchmark-only`.  Ratios say how many times faster the first
named entry is than the second, per the same amount of work (scaled where a slow peer runs a
smaller input).
"""

from __future__ import annotations

import pytest

MEDIANS_S: dict[str, float] = {}
RATIOS: list[tuple[str, str, str, float]] = []  # (label, fast, slow, target)


def record(name: str, benchmark, scale: float = 1.0) -> None:
    """Store the median of a finished benchmark, times `scale` (work ratio to the reference size)."""
    if benchmark.stats is not None:
        MEDIANS_S[name] = benchmark.stats.stats.median * scale


def ratio(label: str, fast: str, slow: str, target: float) -> None:
    """Declare a ratio to report: slow/fast should be >= target (target < 1: fast/slow <= 1/target)."""
    RATIOS.append((label, fast, slow, target))


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter):
    if not MEDIANS_S:
        return
    tr = terminalreporter
    tr.section("zarya benchmark ratios")
    for name, median in sorted(MEDIANS_S.items()):
        tr.write_line(f"  {name:<40} {median * 1e3:10.3f} ms (median)")
    for label, fast, slow, target in RATIOS:
        if fast not in MEDIANS_S or slow not in MEDIANS_S:
            tr.write_line(f"  {label}: not measured ({fast} or {slow} missing)")
            continue
        got = MEDIANS_S[slow] / MEDIANS_S[fast]
        verdict = "meets" if got >= target else "MISSES"
        tr.write_line(f"  {label}: {got:.2f}x  ({verdict} target {target:g}x)")
