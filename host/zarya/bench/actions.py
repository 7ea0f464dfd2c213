"""What a scenario's timeline can do to the board, its environment and its link.

Each action is registered under its TOML name with the fields its entry may carry, and is called
as function(bench, item) at the entry's at_s: `bench` holds the board, the environment, the link,
the run being recorded and the working directory.  Commands that the board must refuse record
their ST[1] failure code in run.rejections for the commands_rejected check.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from zarya.bench.registry import Registry
from zarya.link.keys import CommandKey
from zarya.sim.power import SensorFault
from zarya.sim.radiation import BeltPass, SolarParticleEvent
from zarya.units import HOUR_S, ugy_h_to_gy_s

ACTIONS = Registry()


@dataclass
class Bench:
    board: object  # zarya.sim.board.SimulatedBoard
    env: object  # zarya.sim.environment.Environment
    link: object  # zarya.link.client.LinkClient
    run: object  # zarya.bench.run.Run
    workdir: Path


# -- power and radiation environment ---------------------------------------------------------
@ACTIONS.register("fission_trip")
def fission_trip(b: Bench, item: dict) -> None:
    b.env.power.fission.state = "tripped"


@ACTIONS.register("fission_restart")
def fission_restart(b: Bench, item: dict) -> None:
    fission = b.env.power.fission
    fission.state, fission.changed_at_s = "restarting", b.env.power.t_s


@ACTIONS.register("latchup", "channel")
def latchup(b: Bench, item: dict) -> None:
    b.env.power.loads[item["channel"]].fault = "latchup"


@ACTIONS.register("short", "channel")
def short(b: Bench, item: dict) -> None:
    b.env.power.loads[item["channel"]].fault = "short"


@ACTIONS.register("clear_fault", "channel")
def clear_fault(b: Bench, item: dict) -> None:
    load = b.env.power.loads[item["channel"]]
    load.fault, load.latched = None, False


@ACTIONS.register("sensor_fault", "sensor", "kind", "value", "duration_s")
def sensor_fault(b: Bench, item: dict) -> None:
    until = b.env.power.t_s + item.get("duration_s", math.inf)
    b.env.power.sensor_faults[item["sensor"]] = SensorFault(item["kind"], item.get("value", 0.0), until)


@ACTIONS.register("battery_voltage_offset", "volts")
def battery_voltage_offset(b: Bench, item: dict) -> None:
    for name in ("battery:v", "bus:v"):
        b.env.power.sensor_faults[name] = SensorFault("bias", item["volts"])


@ACTIONS.register("spe", "peak_uGy_h", "rise_s", "decay_s")
def spe(b: Bench, item: dict) -> None:
    radiation = b.env.radiation
    radiation.spes.append(SolarParticleEvent(radiation.t_s, ugy_h_to_gy_s(item["peak_uGy_h"]), item.get("rise_s", 600),
                                             item.get("decay_s", HOUR_S)))


@ACTIONS.register("belt_pass", "dose_mgy", "duration_s")
def belt_pass(b: Bench, item: dict) -> None:
    radiation = b.env.radiation
    radiation.belts.append(BeltPass(radiation.t_s, item["duration_s"], item["dose_mgy"] * 1e-3))


# -- the board and its link ------------------------------------------------------------------
@ACTIONS.register("link", "up")
def link(b: Bench, item: dict) -> None:
    b.board.set_link(item["up"])


@ACTIONS.register("hang")
def hang(b: Bench, item: dict) -> None:
    b.board.hang()


@ACTIONS.register("brownout")
def brownout(b: Bench, item: dict) -> None:
    b.board.brownout_next_write()


@ACTIONS.register("power_cycle")
def power_cycle(b: Bench, item: dict) -> None:
    b.board.power_cycle()


# -- commands, good and hostile ---------------------------------------------------------------
@ACTIONS.register("command", "name", "args")
def command(b: Bench, item: dict) -> None:
    """A ground command; a hazardous one is armed, then fired."""
    hazardous = b.link.dictionary.commands[item["name"]]["hazardous"]
    fire = b.link.arm_and_fire if hazardous else b.link.command
    handle = fire(item["name"], **item.get("args", {}))
    if not handle.ok:
        b.run.rejections.append(handle.failure_code)


@ACTIONS.register("forged_command", "name", "args")
def forged_command(b: Bench, item: dict) -> None:
    """The command signed with a wrong key under the right key id."""
    good = b.link.key
    b.link.key = CommandKey(good.key_id, bytes(32), b.workdir / "forged.counter")
    try:
        b.run.rejections.append(b.link.command(item["name"], retries=0, **item.get("args", {})).failure_code)
    finally:
        b.link.key = good


@ACTIONS.register("replayed_command", "name", "args")
def replayed_command(b: Bench, item: dict) -> None:
    """A captured PING sent again after a newer command: the board must refuse it."""
    link = b.link
    first = link.command("PING")
    copy = link.send("PING")  # then the captured first packet again
    copy.done.wait(3)

    def auth_rejections() -> list:
        return [e for e in link.events if e.name == "AUTH_REJECTED"]

    before = len(auth_rejections())
    with link.write_lock:
        link._write(first.packet)
    deadline = time.time() + 3
    while time.time() < deadline and len(auth_rejections()) == before:
        time.sleep(0.02)
    new = auth_rejections()[before:]
    b.run.rejections.append(int(new[0].values["reason"]) if new else 0)  # the board's own code, 0 if accepted


@ACTIONS.register("unarmed_command", "name", "args")
def unarmed_command(b: Bench, item: dict) -> None:
    """A hazardous command sent without ARM."""
    b.run.rejections.append(b.link.command(item["name"], retries=0, **item.get("args", {})).failure_code)
