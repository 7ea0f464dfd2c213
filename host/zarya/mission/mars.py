"""`zarya mission mars-2026`: guidance picks the transfer, the trajectory drives the environment,
the unchanged firmware flies it on the simulated board, the host commands and archives it, and
a report says what dose the crew took.

Model assumptions (all stated in the report): GCR from MSL/RAD scaled by solar activity and a
+3 %/au radial gradient; a trapped-belt transit on departure of BELT_DOSE_GY over 1.5 h (an
assumed figure for a fast transit behind spacecraft shielding); solar particle events drawn at
SPE_PER_YEAR with log-normal peaks (seeded), or a named large event; solar array 30 W at 1 au
scaled by 1/r^2, no eclipses in cruise.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from zarya import backends
from zarya.dose.crew import BELT_DOSE_GY, solar_activity, year_of_jd
from zarya.guidance.planner import best_transfers, porkchop_window
from zarya.guidance.timescale import parse_date, utc_datetime
from zarya.sim.environment import Environment
from zarya.sim.flight import Flight
from zarya.sim.power import PowerEnvironment
from zarya.sim.radiation import BeltPass, RadiationEnvironment, SolarParticleEvent
from zarya.units import AU_KM, DAY_S, HOUR_S, MU_SUN_KM3_S2, YEAR_D

SPE_PER_YEAR = 3.0
NAMED_EVENTS = {  # peak absorbed dose rate at 1 au behind shielding (assumed), rise, decay
    "large": SolarParticleEvent(onset_s=3 * DAY_S, peak_gy_s=4e-3 / HOUR_S, rise_s=3 * HOUR_S,
                                decay_s=10 * HOUR_S),
    "moderate": SolarParticleEvent(onset_s=3 * DAY_S, peak_gy_s=0.6e-3 / HOUR_S, rise_s=2 * HOUR_S,
                                   decay_s=8 * HOUR_S),
}
EPOCH_2000 = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
BELT_ONSET_S, BELT_DURATION_S = 1800, 5400  # the departure belt transit: 30 min after launch, 1.5 h long
ALARM_LEVELS = ("NOMINAL", "ELEVATED", "SPE_WATCH", "STORM_SHELTER")  # the radiation monitor's alarm levels
ALARM_STORM_SHELTER = ALARM_LEVELS.index("STORM_SHELTER")
ALL_CLEAR_AFTER_S = HOUR_S  # the operator's rule: 1 h below half the shelter threshold


@dataclass
class MissionConfig:
    depart: str | None = None  # UTC dates; None: the minimum-C3 transfer of the 2026 window
    arrive: str | None = None
    fast: bool = False
    fast_days: float = 8.0
    spe: str = "random"  # random, large, moderate, none
    seed: int = 2026
    out_dir: Path = Path("mission-mars-2026")
    step_s: int = 60


@dataclass
class Transfer:
    depart_jd: float
    arrive_jd: float
    c3_km2_s2: float
    vinf_arr_km_s: float
    r1_km: np.ndarray
    v1_km_s: np.ndarray
    window: object = None

    @property
    def tof_s(self) -> float:
        return (self.arrive_jd - self.depart_jd) * DAY_S


@dataclass
class FlightLog:
    shelter_s: float = 0.0
    all_clears: list[float] = field(default_factory=list)
    alarms: list[tuple[float, int]] = field(default_factory=list)
    wall_s: float = 0.0
    flown_s: float = 0.0


def pick_transfer(cfg: MissionConfig) -> Transfer:
    g = backends.guidance()
    window = None
    if cfg.depart and cfg.arrive:
        depart, arrive = parse_date(cfg.depart), parse_date(cfg.arrive)
    else:
        window = porkchop_window("earth", "mars", (parse_date("2026-09-01"), parse_date("2027-01-31")), 1.0,
                                 tof_d=(120, 400))
        best = min((b for b in best_transfers(window) if b.label.startswith("min C3")), key=lambda b: b.c3_km2_s2)
        depart, arrive = best.depart_jd, best.arrive_jd
    grid = g.porkchop("earth", "mars", [depart], [arrive])
    r1, _ = g.planet_state("earth", depart)
    r2, _ = g.planet_state("mars", arrive)
    sol = g.lambert(MU_SUN_KM3_S2, r1, r2, (arrive - depart) * DAY_S)[0]
    return Transfer(depart, arrive, float(grid.c3_km2_s2[0, 0]), float(grid.vinf_arr_km_s[0, 0]), r1, sol.v1_km_s, window)


def trajectory_r_au(transfer: Transfer, samples: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Times (s from departure) and heliocentric distances (au) along the transfer arc."""
    g = backends.guidance()
    t = np.linspace(0, transfer.tof_s, samples)
    r = np.array([np.linalg.norm(g.propagate_kepler(transfer.r1_km, transfer.v1_km_s, ti, MU_SUN_KM3_S2)[0]) for ti in t])
    return t, r / AU_KM


def build_environment(cfg: MissionConfig, transfer: Transfer, leg_s: float) -> tuple[Environment, list]:
    t, r = trajectory_r_au(transfer)

    def r_au(ts: float) -> float:
        return float(np.interp(ts, t, r))

    rng = np.random.default_rng(cfg.seed)
    if cfg.spe in NAMED_EVENTS:
        spes = [NAMED_EVENTS[cfg.spe]]
    elif cfg.spe == "random":
        n = rng.poisson(SPE_PER_YEAR * leg_s / (YEAR_D * DAY_S))
        spes = [SolarParticleEvent(onset_s=float(rng.uniform(0.5 * DAY_S, leg_s)),
                                   peak_gy_s=float(rng.lognormal(math.log(150e-6), 1.2)) / HOUR_S,
                                   rise_s=float(rng.uniform(1, 6)) * HOUR_S, decay_s=float(rng.uniform(6, 24)) * HOUR_S)
                for _ in range(n)]
    else:
        spes = []
    activity = solar_activity(year_of_jd(transfer.depart_jd))
    belt = BeltPass(BELT_ONSET_S, BELT_DURATION_S, BELT_DOSE_GY)
    radiation = RadiationEnvironment(solar_activity=activity, spes=spes, belts=[belt],
                                     r_au_of_t=r_au, seed=cfg.seed)
    power = PowerEnvironment(r_au_of_t=r_au, seed=cfg.seed + 1)
    return Environment(radiation, power), spes


def board_time_s(jd: float) -> int:
    return int((utc_datetime(jd) - EPOCH_2000).total_seconds())


def fly(cfg: MissionConfig, transfer: Transfer, progress=lambda done, total, note: None) -> tuple[FlightLog, dict]:
    """Fly the leg (or its first fast_days) on the simulated board; returns the log and truth."""
    leg_s = cfg.fast_days * DAY_S if cfg.fast else transfer.tof_s
    env, spes = build_environment(cfg, transfer, leg_s)
    log = FlightLog()
    with Flight(cfg.out_dir, env, cfg.seed, cfg.step_s * 1000, archive_batch_s=2.0, archive_batch_n=2000,
                fresh_board=True) as flight:
        board, link = flight.board, flight.link
        start_wall = time.monotonic()
        link.command("SET_TIME", time_s=board_time_s(transfer.depart_jd))
        flight.set_params({"rad_sample_s": cfg.step_s, "hk_rad_interval_s": 600, "hk_pwr_interval_s": 600,
                           "hk_core_interval_s": 3600, "pwr_period_ms": 1000})
        chunk_s = HOUR_S
        below_since = None
        while board.virtual_s < leg_s:
            board.advance(min(chunk_s, leg_s - board.virtual_s))
            rad = link.latest.get("radmon")
            alarm = int(rad.values["alarm"]) if rad else 0
            if alarm == ALARM_STORM_SHELTER:
                log.shelter_s += chunk_s
                mean = rad.values["mean_1min_uGy_h"]
                threshold = link.dictionary.params["rad_shelter_uGy_h"]["default"]
                below_since = (below_since or board.virtual_s) if mean < 0.5 * threshold else None
                if below_since is not None and board.virtual_s - below_since >= ALL_CLEAR_AFTER_S:
                    if link.command("RAD_ALL_CLEAR").ok:
                        log.all_clears.append(board.virtual_s)
                        below_since = None
            progress(board.virtual_s, leg_s, f"alarm level {alarm}")
        flight.drain()
        log.alarms = [(e.board_time_s, int(e.values["new"])) for e in link.events if e.name == "RAD_ALARM"]
        log.wall_s = time.monotonic() - start_wall
        log.flown_s = board.virtual_s
        truth = {**env.truth, "spes": spes, "stats": dict(link.stats), "boots": len(board.log.boots),
                 "watchdog_resets": len(board.log.watchdog_resets)}
    flight.archive.close()
    return log, truth
