"""What a scenario expects: each check is registered under its TOML name with the fields its
entry may carry, and is called as function(expectation, run) after the flight, giving a Verdict
that says what was measured against what was expected."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from zarya.bench.registry import Registry

CHECKS = Registry()


@dataclass
class Verdict:
    check: str
    ok: bool
    detail: str


def evaluate(expectation: dict, run) -> Verdict:
    name = expectation["check"]
    ok, detail = CHECKS[name].function(expectation, run)
    why = f" ({expectation['why']})" if "why" in expectation else ""
    return Verdict(name, ok, detail + why)


def events(run, name: str, where: dict | None = None) -> list:
    """The run's events called `name` whose values match every key of `where`."""
    out = [e for e in run.events if e.name == name]
    for key, value in (where or {}).items():
        out = [e for e in out if e.values.get(key) == value]
    return out


def board_time(run, virtual_s: float) -> float:
    """Board time of a virtual instant: board time = virtual time since the last boot here."""
    boots = [t for t, _ in run.log.boots if t <= virtual_s]
    return virtual_s - (boots[-1] if boots else 0.0)


def truth_soc_at(run, board_t: float) -> float | None:
    for t, soc in run.truth_soc:
        if t >= board_t:
            return soc
    return None


@CHECKS.register("event_count", "event", "equals", "where")
def event_count(e: dict, run) -> tuple[bool, str]:
    n = len(events(run, e["event"], e.get("where")))
    return n == e["equals"], f"{e['event']}{e.get('where', '')}: {n} (expected {e['equals']})"


@CHECKS.register("telemetry", "param", "stat", "min", "max")
def telemetry(e: dict, run) -> tuple[bool, str]:
    values = [v for _, v in run.archive.series(e["param"])]
    if not values:
        return False, f"{e['param']}: no samples"
    stats = {"min": min, "max": max, "final": lambda v: v[-1], "mean": lambda v: sum(v) / len(v)}
    stat = stats[e.get("stat", "final")](values)
    ok = e.get("min", -math.inf) <= stat <= e.get("max", math.inf)
    return ok, (f"{e['param']} {e.get('stat', 'final')} = {stat:.4g} "
                f"(expected within [{e.get('min', '-inf')}, {e.get('max', 'inf')}])")


@CHECKS.register("latency", "after", "after_event", "after_where", "event", "max_s", "min_s", "where")
def latency(e: dict, run) -> tuple[bool, str]:
    """Board time from a timeline action (after = its index) or an event to the first `event`."""
    if "after_event" in e:
        anchors = events(run, e["after_event"], e.get("after_where"))
        if not anchors:
            return False, f"no {e['after_event']} to measure from"
        t0, label = anchors[0].board_time_s, e["after_event"]
    else:
        t0, label = board_time(run, run.action_times[e["after"]]), f"timeline action {e['after']}"
    hits = [ev for ev in events(run, e["event"], e.get("where")) if ev.board_time_s >= t0 - 1e-6]
    if not hits:
        return False, f"no {e['event']} after {label}"
    seconds = hits[0].board_time_s - t0
    ok = e.get("min_s", -math.inf) <= seconds <= e.get("max_s", math.inf)
    return ok, (f"{e['event']} {seconds:.3f} s after {label} "
                f"(expected within [{e.get('min_s', 0)}, {e.get('max_s', 'inf')}] s)")


@CHECKS.register("watchdog_resets", "equals")
def watchdog_resets(e: dict, run) -> tuple[bool, str]:
    n = len(run.log.watchdog_resets)
    return n == e["equals"], f"watchdog resets: {n} (expected {e['equals']})"


@CHECKS.register("boots", "equals")
def boots(e: dict, run) -> tuple[bool, str]:
    n = len(events(run, "BOOT"))
    return n == e["equals"], f"BOOT events: {n} (expected {e['equals']})"


@CHECKS.register("no_archive_gaps")
def no_archive_gaps(e: dict, run) -> tuple[bool, str]:
    holes = {apid: run.archive.sequence_gaps(apid) for apid in run.apids}
    holes = {k: v for k, v in holes.items() if v}
    return not holes, f"sequence holes: {holes or 'none'}"


@CHECKS.register("soc_vs_model", "tol_pct")
def soc_vs_model(e: dict, run) -> tuple[bool, str]:
    worst = 0.0
    for t_board, soc_pct in run.archive.series("power.soc_pct"):
        truth = truth_soc_at(run, t_board)
        if truth is not None:
            worst = max(worst, abs(soc_pct - 100 * truth))
    return worst <= e["tol_pct"], f"worst |SOC estimate - model| = {worst:.2f} % (limit {e['tol_pct']} %)"


@CHECKS.register("channel_never_off", "channel")
def channel_never_off(e: dict, run) -> tuple[bool, str]:
    offs = [v for _, v in run.archive.series("power.switches") if not (int(v) >> e["channel"]) & 1]
    return not offs, f"channel {e['channel']} off in {len(offs)} reports"


@CHECKS.register("commands_rejected", "codes")
def commands_rejected(e: dict, run) -> tuple[bool, str]:
    return run.rejections == e["codes"], f"rejection codes {run.rejections} (expected {e['codes']})"


@CHECKS.register("event_order", "event", "field", "sequence")
def event_order(e: dict, run) -> tuple[bool, str]:
    seq = [ev.values.get(e["field"]) for ev in events(run, e["event"])]
    ok = seq[:len(e["sequence"])] == e["sequence"]
    return ok, f"{e['event']}.{e['field']} sequence {seq} (expected to start {e['sequence']})"


@CHECKS.register("event_spacing", "event", "min_s")
def event_spacing(e: dict, run) -> tuple[bool, str]:
    times = [ev.board_time_s for ev in events(run, e["event"])]
    spacing = min((b - a for a, b in itertools.pairwise(times)), default=math.inf)
    return spacing >= e["min_s"], (f"{e['event']}: {len(times)} events, closest {spacing:.0f} s apart "
                                   f"(at least {e['min_s']} s: no chatter)")


@CHECKS.register("dose_vs_model", "rel_tol")
def dose_vs_model(e: dict, run) -> tuple[bool, str]:
    board = run.archive.series("rad_sample.dose_total_gy")
    model = run.truth.get("dose_gy", 0.0)
    got = board[-1][1] if board else 0.0
    ok = model > 0 and abs(got - model) <= e["rel_tol"] * model
    return ok, f"board {got * 1e3:.3f} mGy vs model {model * 1e3:.3f} mGy (tolerance {e['rel_tol']:.0%})"
