"""Crew-dose figures and limits for mission planning.

Sources (cited in the report):
- MSL/RAD cruise: 0.48 mGy/day absorbed, 1.84 mSv/day dose equivalent; 0.66 +- 0.12 Sv for the
  two cruises of the shortest round trip, 180 days each way, no surface stay (Zeitlin et al.,
  Science 340:1080, 2013).  With a 500-day surface stay at the RAD surface rate (0.64 mSv/day,
  Hassler et al., Science 343, 2014): about 1.01 Sv.
- GCR dose rates are about 2x higher at solar minimum than at maximum; RAD flew near a weak
  maximum (REFERENCE.md; Guo et al. 2015).
- NASA-STD-3001 Vol. 1: career effective dose limit 600 mSv; 30-day limit for blood-forming
  organs 250 mGy-Eq.
- Solar cycle: cycle 25 began December 2019 (minimum) and peaked around late 2024; an 11-year
  cycle is assumed, activity a = 0.5 (1 - cos(2 pi phase)) with phase from the 2019.9 minimum
  (a model assumption).
"""

from __future__ import annotations

import math

import numpy as np

from zarya import backends
from zarya.sim.radiation import GCR_MEAN_Q, SOLAR_ACTIVITY_RAD, gcr_dose_rate_gy_s
from zarya.units import AU_KM, DAY_S, YEAR_D

RAD_DOSE_EQ_SV_DAY = 1.84e-3
RAD_ROUND_TRIP_SV = 0.66  # the two 180-day cruises only (Zeitlin et al. 2013)
CAREER_LIMIT_SV = 0.600
BFO_30DAY_LIMIT_GY_EQ = 0.250
CYCLE_25_MINIMUM_YEAR = 2019.9
CYCLE_YEARS = 11.0
JD_2000_JAN_1 = 2451544.5  # 2000-01-01 00:00, the origin of decimal years here
BELT_DOSE_GY = 1.0e-3  # one trapped-belt transit behind spacecraft shielding (an assumed figure)
BELT_QUALITY_FACTOR = 1.5  # mean Q of the trapped protons behind shielding (an assumption)


def solar_activity(year: float) -> float:
    """Modelled solar activity in [0, 1] (0 at minimum) for a decimal year."""
    phase = ((year - CYCLE_25_MINIMUM_YEAR) / CYCLE_YEARS) % 1.0
    return 0.5 * (1 - math.cos(2 * math.pi * phase))


def year_of_jd(jd: float) -> float:
    """Decimal year of a Julian date."""
    return 2000.0 + (jd - JD_2000_JAN_1) / YEAR_D


def rad_cruise_check(days: float = 360.0) -> float:
    """Dose equivalent (Sv) of `days` of cruise at the RAD-measured rate: 0.66 Sv for the 2 x 180 days."""
    return RAD_DOSE_EQ_SV_DAY * days


def dose_eq_rate_sv_s(jd, r_au) -> np.ndarray:
    """GCR dose-equivalent rate (Sv/s) at Julian dates jd and heliocentric distances r_au (arrays)."""
    year = year_of_jd(np.asarray(jd, dtype=float))
    activity = 0.5 * (1 - np.cos(2 * np.pi * (((year - CYCLE_25_MINIMUM_YEAR) / CYCLE_YEARS) % 1.0)))
    modulation = (2.0 - activity) / (2.0 - SOLAR_ACTIVITY_RAD)
    radial = 1 + 0.03 * np.maximum(0, np.asarray(r_au, dtype=float) - 1)
    return gcr_dose_rate_gy_s(SOLAR_ACTIVITY_RAD, 1.0) * GCR_MEAN_Q * modulation * radial


def porkchop_crew_dose_sv(depart_jd, arrive_jd, r_depart_au, r_arrive_au, belt_dose_eq_sv: float,
                          backend: str | None = None) -> np.ndarray:
    """Crew dose equivalent (Sv) of every cell: the cruise dose-equivalent rate at departure and at
    arrival (solar-cycle phase and distance) integrated over the time of flight by the dose
    kernel in one call for the whole grid, plus the belt transit.  Cells are laid end to end in
    one series, separated by gaps longer than max_gap_s so nothing is bridged between them."""
    dep = np.asarray(depart_jd, dtype=float).ravel()
    arr = np.asarray(arrive_jd, dtype=float).ravel()
    tof_s = (arr - dep) * DAY_S
    valid = tof_s > 0
    span = float(np.max(tof_s[valid])) if valid.any() else 1.0
    offsets = np.arange(dep.size) * 3.0 * span
    t = np.empty(2 * dep.size)
    t[0::2] = offsets
    t[1::2] = offsets + np.where(valid, tof_s, span * 1e-9)
    rate = np.empty_like(t)
    rate[0::2] = dose_eq_rate_sv_s(dep, np.asarray(r_depart_au).ravel())
    rate[1::2] = dose_eq_rate_sv_s(arr, np.asarray(r_arrive_au).ravel())
    cum = backends.dose(backend).integrate(t, rate, max_gap_s=1.5 * span).cumulative_gy
    cruise = cum[1::2] - cum[0::2]
    return np.where(valid, cruise + belt_dose_eq_sv, np.nan).reshape(np.shape(depart_jd))


def window_crew_dose_sv(window) -> np.ndarray:
    """Crew dose equivalent (Sv) of every cell of a porkchop window (zarya.guidance.planner.Window):
    cruise GCR at each end's solar-cycle phase and distance, plus one belt transit; NaN where the
    window has no transfer."""
    g = backends.guidance()
    grid = window.grid
    r_dep = np.array([np.linalg.norm(g.planet_state(grid.origin, jd)[0]) for jd in grid.depart_jd]) / AU_KM
    r_arr = np.array([np.linalg.norm(g.planet_state(grid.target, jd)[0]) for jd in grid.arrive_jd]) / AU_KM
    dep, arr = np.meshgrid(grid.depart_jd, grid.arrive_jd, indexing="ij")
    rd, ra = np.meshgrid(r_dep, r_arr, indexing="ij")
    dose = porkchop_crew_dose_sv(dep, arr, rd, ra, BELT_DOSE_GY * BELT_QUALITY_FACTOR)
    return np.where(window.valid, dose, np.nan)
