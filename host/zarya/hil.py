"""HIL scenarios: a TOML file of initial conditions, a timeline of environment changes, faults
and commands, and expectations with numeric tolerances; run against the simulated board, each
expectation gets a verdict.  Errors in a scenario file name the line.

    name = "..."            duration_s = 600     step_ms = 100     seed = 1
    [initial]               battery_soc, battery_temp_c, solar_w, fission_w, bench_w, eclipse_period_s,
                            eclipse_fraction, params = {name = value}
    [[timeline]]            at_s = 10, action = ..., and the action's fields (ACTIONS below)
    [[expect]]              check = ..., and the check's fields (CHECKS below)
"""

from __future__ import annotations

import itertools
import math
import re
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from zarya.archive import Archive
from zarya.link.client import LinkClient
from zarya.link.keys import CommandKey, development_key
from zarya.sim.environment import Environment
from zarya.sim.power import Battery, FissionUnit, PowerEnvironment, SensorFault
from zarya.sim.process import SimulatedBoard
from zarya.sim.radiation import BeltPass, RadiationEnvironment, SolarParticleEvent

ACTIONS = {
    "fission_trip": set(), "fission_restart": set(), "latchup": {"channel"}, "short": {"channel"},
    "clear_fault": {"channel"}, "spe": {"peak_uGy_h", "rise_s", "decay_s"}, "link": {"up"}, "hang": set(),
    "brownout": set(), "sensor_fault": {"sensor", "kind", "value", "duration_s"}, "command": {"name", "args"},
    "forged_command": {"name", "args"}, "replayed_command": {"name", "args"}, "unarmed_command": {"name", "args"},
    "battery_voltage_offset": {"volts"}, "power_cycle": set(), "belt_pass": {"dose_mgy", "duration_s"},
}
CHECKS = {
    "event_count": {"event", "equals", "where"}, "telemetry": {"param", "stat", "min", "max"},
    "latency": {"after", "after_event", "after_where", "event", "max_s", "min_s", "where"},
    "watchdog_resets": {"equals"}, "boots": {"equals"},
    "no_archive_gaps": set(), "soc_vs_model": {"tol_pct"}, "channel_never_off": {"channel"},
    "commands_rejected": {"codes"},
    "event_spacing": {"event", "min_s"}, "dose_vs_model": {"rel_tol"}, "event_order": {"event", "field", "sequence"},
}


class ScenarioError(ValueError):
    """A scenario file that cannot be run: the message names the file and line."""


def _line_of(text: str, pattern: str, occurrence: int = 0) -> int:
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if re.search(pattern, line)]
    return hits[occurrence] if occurrence < len(hits) else 1


@dataclass
class Scenario:
    path: Path
    name: str
    duration_s: float
    step_ms: int
    seed: int
    initial: dict
    timeline: list[dict]
    expect: list[dict]
    full_only: bool = False

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        path = Path(path)
        text = path.read_text()
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ScenarioError(f"{path}: {err}") from None

        def fail(line: int, msg: str) -> ScenarioError:
            return ScenarioError(f"{path}:{line}: {msg}")

        for key in ("name", "duration_s"):
            if key not in data:
                raise fail(1, f"missing {key}")
        def check_entries(table: str, kind: str, known: dict, common: set) -> None:
            """Each [[table]] names a known `kind` and only that kind's fields."""
            for i, item in enumerate(data.get(table, [])):
                line = _line_of(text, rf"^\s*\[\[{table}\]\]", i)
                name = item.get(kind)
                if name not in known:
                    raise fail(line, f"unknown {kind} {name!r} (known: {', '.join(sorted(known))})")
                extra = set(item) - known[name] - common
                if extra:
                    raise fail(line, f"{name}: unknown field(s) {', '.join(sorted(extra))}")
                if table == "timeline" and (not isinstance(item.get("at_s"), (int, float))
                                            or not 0 <= item["at_s"] <= data["duration_s"]):
                    raise fail(line, f"at_s must be a number within the scenario's {data['duration_s']} s")

        check_entries("timeline", "action", ACTIONS, {"at_s", "action"})
        check_entries("expect", "check", CHECKS, {"check", "why"})
        return cls(path, data["name"], float(data["duration_s"]), int(data.get("step_ms", 1000)), int(data.get("seed", 1)),
                   data.get("initial", {}), sorted(data.get("timeline", []), key=lambda t: t["at_s"]),
                   data.get("expect", []), bool(data.get("full_only", False)))


@dataclass
class Verdict:
    check: str
    ok: bool
    detail: str


@dataclass
class Run:
    scenario: Scenario
    verdicts: list[Verdict] = field(default_factory=list)
    action_times: list[float] = field(default_factory=list)  # board virtual s of each timeline action
    archive: Archive | None = None
    events: list = field(default_factory=list)
    log: object = None
    truth_soc: list[tuple[float, float]] = field(default_factory=list)
    rejections: list[int] = field(default_factory=list)
    truth: dict = field(default_factory=dict)
    wall_s: float = 0.0

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.verdicts)


def build_environment(s: Scenario) -> Environment:
    ini = s.initial
    period, fraction = ini.get("eclipse_period_s"), ini.get("eclipse_fraction", 0.0)

    def lit(t: float) -> float:
        return 0.0 if period and (t % period) >= period * (1 - fraction) else 1.0

    fission = FissionUnit(rated_w=ini["fission_w"]) if ini.get("fission_w") else None
    power = PowerEnvironment(battery=Battery(soc=ini.get("battery_soc", 0.9), temp_c=ini.get("battery_temp_c", 20.0)),
                             solar_w_1au=ini.get("solar_w", 30.0), fission=fission, bench_w=ini.get("bench_w", 0.0),
                             illuminated_of_t=lit if period else None, seed=s.seed + 1)
    return Environment(RadiationEnvironment(seed=s.seed), power)


def run_scenario(s: Scenario, workdir: Path, progress=None) -> Run:
    env = build_environment(s)
    run = Run(s)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "archive.db").unlink(missing_ok=True)
    run.archive = Archive(workdir / "archive.db", batch_s=1.0)
    start = time.monotonic()
    with SimulatedBoard(workdir / "board", environment=env, seed=s.seed, step_ms=s.step_ms) as board, \
            LinkClient(board.port, key=development_key(workdir / "host"), archive=run.archive) as link:
        for name, value in s.initial.get("params", {}).items():
            if not link.command("PARAM_SET", param_id=link.dictionary.params[name]["id"], value=value).ok:
                raise ScenarioError(f"{s.path}: initial parameter {name} = {value} refused by the board")
        board.advance(s.step_ms / 1000)
        for item in s.timeline:
            if item["at_s"] > board.virtual_s:
                _advance(board, env, run, item["at_s"] - board.virtual_s, s.step_ms)
            run.action_times.append(board.virtual_s)
            _act(item, board, env, link, run, workdir)
            if progress:
                progress(board.virtual_s, s.duration_s)
        if s.duration_s > board.virtual_s:
            _advance(board, env, run, s.duration_s - board.virtual_s, s.step_ms)
        time.sleep(0.5)
        link.archive.flush()
        run.events = list(link.events)
        run.log = board.log
        run.truth = env.truth
    run.wall_s = time.monotonic() - start
    run.verdicts = [evaluate(e, run) for e in s.expect]
    return run


def _advance(board, env, run: Run, seconds: float, step_ms: int) -> None:
    chunk = max(step_ms / 1000, min(60.0, seconds))
    end = board.virtual_s + seconds
    while board.virtual_s < end - 1e-9:
        board.advance(min(chunk, end - board.virtual_s), step_ms)
        run.truth_soc.append((board.virtual_s, env.power.battery.soc))


def _act(item: dict, board, env: Environment, link: LinkClient, run: Run, workdir: Path) -> None:
    a = item["action"]
    p = env.power
    if a == "fission_trip":
        p.fission.state = "tripped"
    elif a == "fission_restart":
        p.fission.state, p.fission.changed_at_s = "restarting", p.t_s
    elif a in ("latchup", "short"):
        p.loads[item["channel"]].fault = a
    elif a == "clear_fault":
        p.loads[item["channel"]].fault = None
        p.loads[item["channel"]].latched = False
    elif a == "spe":
        env.radiation.spes.append(SolarParticleEvent(env.radiation.t_s, item["peak_uGy_h"] * 1e-6 / 3600,
                                                     item.get("rise_s", 600), item.get("decay_s", 3600)))
    elif a == "belt_pass":
        env.radiation.belts.append(BeltPass(env.radiation.t_s, item["duration_s"], item["dose_mgy"] * 1e-3))
    elif a == "link":
        board.set_link(item["up"])
    elif a == "hang":
        board.hang()
    elif a == "brownout":
        board.brownout_next_write()
    elif a == "power_cycle":
        board.power_cycle()
    elif a == "sensor_fault":
        until = p.t_s + item.get("duration_s", math.inf)
        p.sensor_faults[item["sensor"]] = SensorFault(item["kind"], item.get("value", 0.0), until)
    elif a == "battery_voltage_offset":
        for name in ("battery:v", "bus:v"):
            p.sensor_faults[name] = SensorFault("bias", item["volts"])
    elif a == "command":
        cmd = link.dictionary.commands[item["name"]]
        fire = link.arm_and_fire if cmd["hazardous"] else link.command
        handle = fire(item["name"], **item.get("args", {}))
        if not handle.ok:
            run.rejections.append(handle.failure_code)
    else:  # forged, replayed and unarmed commands: each must be refused by the board
        run.rejections.append(_hostile(a, item, link, workdir))


def _hostile(kind: str, item: dict, link: LinkClient, workdir: Path) -> int:
    args = item.get("args", {})
    if kind == "forged_command":
        good = link.key
        link.key = CommandKey(good.key_id, bytes(32), workdir / "forged.counter")
        try:
            return link.command(item["name"], retries=0, **args).failure_code
        finally:
            link.key = good
    if kind == "replayed_command":
        first = link.command("PING")
        copy = link.send("PING")  # then the captured first packet again
        copy.done.wait(3)
        before = len([e for e in link.events if e.name == "AUTH_REJECTED"])
        with link.write_lock:
            link._write(first.packet)
        deadline = time.time() + 3
        while time.time() < deadline and len([e for e in link.events if e.name == "AUTH_REJECTED"]) == before:
            time.sleep(0.02)
        return 7 if len([e for e in link.events if e.name == "AUTH_REJECTED"]) > before else 0
    return link.command(item["name"], retries=0, **args).failure_code  # unarmed hazardous


def _events(run: Run, name: str, where: dict | None = None) -> list:
    out = [e for e in run.events if e.name == name]
    for key, value in (where or {}).items():
        out = [e for e in out if e.values.get(key) == value]
    return out


def evaluate(e: dict, run: Run) -> Verdict:
    check = e["check"]
    why = f" ({e['why']})" if "why" in e else ""
    if check == "event_count":
        n = len(_events(run, e["event"], e.get("where")))
        return Verdict(check, n == e["equals"], f"{e['event']}{e.get('where', '')}: {n} (expected {e['equals']}){why}")
    if check == "telemetry":
        values = [v for _, v in run.archive.series(e["param"])]
        if not values:
            return Verdict(check, False, f"{e['param']}: no samples")
        stats = {"min": min, "max": max, "final": lambda v: v[-1], "mean": lambda v: sum(v) / len(v)}
        stat = stats[e.get("stat", "final")](values)
        ok = e.get("min", -math.inf) <= stat <= e.get("max", math.inf)
        return Verdict(check, ok, f"{e['param']} {e.get('stat', 'final')} = {stat:.4g} "
                                  f"(expected within [{e.get('min', '-inf')}, {e.get('max', 'inf')}]){why}")
    if check == "latency":
        if "after_event" in e:
            anchors = _events(run, e["after_event"], e.get("after_where"))
            if not anchors:
                return Verdict(check, False, f"no {e['after_event']} to measure from{why}")
            t0, label = anchors[0].board_time_s, e["after_event"]
        else:
            t0, label = _board_time(run, run.action_times[e["after"]]), f"timeline action {e['after']}"
        hits = [ev for ev in _events(run, e["event"], e.get("where")) if ev.board_time_s >= t0 - 1e-6]
        if not hits:
            return Verdict(check, False, f"no {e['event']} after {label}{why}")
        latency = hits[0].board_time_s - t0
        ok = e.get("min_s", -math.inf) <= latency <= e.get("max_s", math.inf)
        return Verdict(check, ok, f"{e['event']} {latency:.3f} s after {label} "
                                  f"(expected within [{e.get('min_s', 0)}, {e.get('max_s', 'inf')}] s){why}")
    if check == "watchdog_resets":
        n = len(run.log.watchdog_resets)
        return Verdict(check, n == e["equals"], f"watchdog resets: {n} (expected {e['equals']}){why}")
    if check == "boots":
        n = len(_events(run, "BOOT"))
        return Verdict(check, n == e["equals"], f"BOOT events: {n} (expected {e['equals']}){why}")
    if check == "no_archive_gaps":
        holes = {apid: run.archive.sequence_gaps(apid) for apid in (0x100, 0x101, 0x102)}
        holes = {k: v for k, v in holes.items() if v}
        return Verdict(check, not holes, f"sequence holes: {holes or 'none'}{why}")
    if check == "soc_vs_model":
        tm = run.archive.series("power.soc_pct")
        worst = 0.0
        for t_board, soc_pct in tm:
            truth = _truth_at(run, t_board)
            if truth is not None:
                worst = max(worst, abs(soc_pct - 100 * truth))
        return Verdict(check, worst <= e["tol_pct"], f"worst |SOC estimate - model| = {worst:.2f} % "
                                                     f"(limit {e['tol_pct']} %){why}")
    if check == "channel_never_off":
        offs = [v for _, v in run.archive.series("power.switches") if not (int(v) >> e["channel"]) & 1]
        return Verdict(check, not offs, f"channel {e['channel']} off in {len(offs)} reports{why}")
    if check == "commands_rejected":
        return Verdict(check, run.rejections == e["codes"], f"rejection codes {run.rejections} (expected {e['codes']}){why}")
    if check == "event_order":
        seq = [ev.values.get(e["field"]) for ev in _events(run, e["event"])]
        return Verdict(check, seq[:len(e["sequence"])] == e["sequence"], f"{e['event']}.{e['field']} sequence {seq} "
                                                                          f"(expected to start {e['sequence']}){why}")
    if check == "event_spacing":
        times = [ev.board_time_s for ev in _events(run, e["event"])]
        spacing = min((b - a for a, b in itertools.pairwise(times)), default=math.inf)
        return Verdict(check, spacing >= e["min_s"], f"{e['event']}: {len(times)} events, closest {spacing:.0f} s apart "
                                                      f"(at least {e['min_s']} s: no chatter){why}")
    if check == "dose_vs_model":
        board = run.archive.series("rad_sample.dose_total_gy")
        model = run.truth.get("dose_gy", 0.0)
        got = board[-1][1] if board else 0.0
        ok = model > 0 and abs(got - model) <= e["rel_tol"] * model
        return Verdict(check, ok, f"board {got * 1e3:.3f} mGy vs model {model * 1e3:.3f} mGy (tolerance {e['rel_tol']:.0%}){why}")
    raise ScenarioError(f"unhandled check {check}")


def _board_time(run: Run, virtual_s: float) -> float:
    """Board time of a virtual instant: board time = virtual time since the last boot here."""
    boots = [t for t, _ in run.log.boots if t <= virtual_s]
    return virtual_s - (boots[-1] if boots else 0.0)


def _truth_at(run: Run, board_t: float) -> float | None:
    for t, soc in run.truth_soc:
        if t >= board_t:
            return soc
    return None


def report_text(run: Run) -> str:
    lines = [f"{run.scenario.name}: {'PASS' if run.ok else 'FAIL'}  ({run.scenario.duration_s:.0f} s of board time "
             f"in {run.wall_s:.1f} s)"]
    lines += [f"  [{'ok' if v.ok else 'FAIL'}] {v.check}: {v.detail}" for v in run.verdicts]
    return "\n".join(lines)


def plot(run: Run, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(10, 7), dpi=90, sharex=True)
    for ax, names in zip(axes, (("power.battery_v", "power.bus_v"), ("power.soc_pct",), ("radmon.dose_rate_uGy_h",)),
                         strict=True):
        for name in names:
            rows = run.archive.series(name)
            if rows:
                ax.plot([r[0] for r in rows], [r[1] for r in rows], label=name, lw=0.8)
        ax.legend(fontsize=7)
    for t in run.action_times:
        for ax in axes:
            ax.axvline(t, color="gray", lw=0.5, ls="--")
    axes[-1].set_xlabel("board time (s)")
    axes[0].set_title(f"{run.scenario.name}: {'PASS' if run.ok else 'FAIL'}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
