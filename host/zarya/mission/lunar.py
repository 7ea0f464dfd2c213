"""`zarya mission lunar-night`: a lunar surface station through a 354-hour night (REFERENCE.md:
about 354 h, 14.77 days) on its battery and a fission power unit that trips mid-night and
restarts; the firmware's shed ladder, critical bus and source management are what keep it up.

Assumptions: a 40 W-class fission unit (scaled from NASA's 1 kWe KRUSTY/Kilopower demonstrator to
this bench's load set), tripping at mid-night and restarting over 10 min; no solar power; the
battery starts the night full at 10 C; lunar-surface GCR at half the free-space rate (the Moon
blocks half the sky; an assumption).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zarya.link.archive import Archive
from zarya.mission.report import _series, html_page, plot_events, plot_power
from zarya.sim.environment import Environment
from zarya.sim.flight import Flight
from zarya.sim.power import Battery, FissionUnit, PowerEnvironment
from zarya.sim.radiation import RadiationEnvironment
from zarya.units import HOUR_S

NIGHT_S = 354 * HOUR_S
FISSION_W = 24.0
ASSUMPTIONS = [
    "Lunar night: about 354 h (REFERENCE.md).",
    "Fission unit: 24 W at the bus for this bench's 22.5 W of loads (scaled from the 1 kWe KRUSTY/Kilopower "
    "test of 2018; NASA FSP targets >= 40 kWe), tripping at mid-night and restarting over 10 min (assumption).",
    "Battery: 2S2P 18650 NMC pack, one-RC model, full at dusk, 10 C (REFERENCE.md battery model).",
    "Radiation: GCR at half the free-space MSL/RAD rate on the surface (assumption).",
]


@dataclass
class LunarConfig:
    fast: bool = False
    fast_hours: float = 24.0
    seed: int = 1969
    out_dir: Path = Path("mission-lunar-night")
    step_s: int = 10


def fly(cfg: LunarConfig, progress=lambda done, total: None) -> dict:
    duration = cfg.fast_hours * HOUR_S if cfg.fast else NIGHT_S
    trip_at = duration / 2
    fission = FissionUnit(rated_w=FISSION_W, restart_s=600)
    power = PowerEnvironment(battery=Battery(soc=1.0, temp_c=10.0), solar_w_1au=0.0, fission=fission, seed=cfg.seed)
    radiation = RadiationEnvironment(seed=cfg.seed)
    radiation.solar_activity = 2.0 - 0.5 * (2.0 - radiation.solar_activity)  # half the free-space rate
    env = Environment(radiation, power)
    with Flight(cfg.out_dir, env, cfg.seed, cfg.step_s * 1000, archive_batch_s=2.0, archive_batch_n=2000) as flight:
        board = flight.board
        start = time.monotonic()
        flight.set_params({"pwr_period_ms": 1000, "hk_pwr_interval_s": 300, "rad_sample_s": 300,
                           "hk_rad_interval_s": 3600})
        tripped = restarted = False
        while board.virtual_s < duration:
            board.advance(min(HOUR_S, duration - board.virtual_s))
            if not tripped and board.virtual_s >= trip_at:
                fission.state, tripped = "tripped", True
            elif tripped and not restarted and board.virtual_s >= trip_at + 3 * HOUR_S:
                fission.state, fission.changed_at_s, restarted = "restarting", power.t_s, True
            progress(board.virtual_s, duration)
        flight.drain()
        events = list(flight.link.events)
        wall = time.monotonic() - start
    flight.archive.close()
    return {"duration_h": duration / HOUR_S, "events": events, "wall_s": wall, "truth_soc_end": power.battery.soc,
            "trip_h": trip_at / HOUR_S}


def report(cfg: LunarConfig, flight: dict) -> Path:
    archive = Archive(cfg.out_dir / "archive.db")
    _, soc = _series(archive, "power.soc_pct")
    _, switches = _series(archive, "power.switches")
    events = flight["events"]
    sheds = [e for e in events if e.name == "PWR_SHED"]
    sources = [e for e in events if e.name == "PWR_SOURCE"]
    critical_off = int(np.sum([(int(v) & 0b11) != 0b11 for v in switches]))
    summary = {
        "night_h": flight["duration_h"], "fast": cfg.fast, "soc_at_dawn_pct": float(soc[-1]) if len(soc) else None,
        "soc_min_pct": float(soc.min()) if len(soc) else None, "model_soc_at_dawn_pct": 100 * flight["truth_soc_end"],
        "shed_events": [(round(e.board_time_s / HOUR_S, 2), int(e.values["level"])) for e in sheds],
        "source_events": [(round(e.board_time_s / HOUR_S, 2), int(e.values["source"]), int(e.values["ok"])) for e in sources],
        "critical_bus_off_reports": critical_off, "fission_trip_h": flight["trip_h"], "wall_time_s": flight["wall_s"],
    }
    rows = [
        ("Night flown", f"{summary['night_h']:.0f} h" + (" (fast run)" if cfg.fast else "")),
        ("SOC at dawn", f"{summary['soc_at_dawn_pct']:.1f} % (battery model {summary['model_soc_at_dawn_pct']:.1f} %); "
                        f"minimum {summary['soc_min_pct']:.1f} %"),
        ("Critical bus", "never off" if not critical_off else f"OFF in {critical_off} reports"),
        ("Fission trip", f"at {summary['fission_trip_h']:.0f} h; source events (h, source, ok): {summary['source_events']}"),
        ("Shed ladder", f"{len(sheds)} steps (h, level): {summary['shed_events'][:12]}"),
    ]
    images = [(plot_power(archive, cfg.out_dir / "power.png", "Lunar night: SOC, sources, load channels"),
               "Battery, fission unit and load channels"),
              (plot_events(archive, cfg.out_dir / "events.png"), "Events on a timeline")]
    archive.close()
    return html_page(cfg.out_dir, "Zarya: a lunar surface station through the night", rows, images, ASSUMPTIONS, summary)
