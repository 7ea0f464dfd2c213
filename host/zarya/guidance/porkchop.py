"""The porkchop grid: every departure date x arrival date transfer (mirror of porkchop() in C).

Each cell is the prograde zero-revolution Lambert transfer between the two planets' Standish
ephemeris states: departure C3 (km^2/s^2), departure v-infinity vector (km/s, ecliptic J2000),
its declination DLA (rad, in the J2000 equator frame, as launch-vehicle tables give it),
arrival v-infinity magnitude (km/s), time of flight (s) and transfer type (1: transfer angle
< 180 deg, 2: > 180 deg; 0 where there is no transfer and the values are NaN).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from zarya.guidance.common import DAY_S, MU_SUN_KM3_S2, NOTFINITE, OBLIQUITY_J2000_RAD, GuidanceError, body_id, dot3, norm3
from zarya.guidance.ephemeris import planet_state
from zarya.guidance.lambert import lambert


@dataclass(frozen=True)
class PorkchopGrid:
    origin: int
    target: int
    depart_jd: np.ndarray  # (n_dep,) TDB
    arrive_jd: np.ndarray  # (n_arr,) TDB
    c3_km2_s2: np.ndarray  # (n_dep, n_arr)
    vinf_dep_km_s: np.ndarray  # (n_dep, n_arr, 3)
    dla_rad: np.ndarray
    vinf_arr_km_s: np.ndarray
    tof_s: np.ndarray
    transfer_type: np.ndarray  # int8

    @classmethod
    def empty(cls, origin: str | int, target: str | int, depart_jd, arrive_jd) -> PorkchopGrid:
        """A grid for these bodies and dates (checked), its cells for a backend to fill."""
        dep, arr = check_dates(depart_jd, arrive_jd)
        shape = (dep.size, arr.size)
        return cls(body_id(origin), body_id(target), dep, arr, np.empty(shape), np.empty((*shape, 3)), np.empty(shape),
                   np.empty(shape), np.empty(shape), np.zeros(shape, dtype=np.int8))


def porkchop_cell(rd, vd, ra, va, tof_s: float) -> tuple[float, list[float], float, float, int]:
    """One cell: c3, v-infinity vector at departure, DLA, arrival v-infinity, type."""
    nan = math.nan
    if not tof_s > 0.0:
        return nan, [nan, nan, nan], nan, nan, 0
    try:
        v1, v2, _ = lambert(MU_SUN_KM3_S2, rd, ra, tof_s, True, 0)[0]
    except GuidanceError:
        return nan, [nan, nan, nan], nan, nan, 0
    vinf_dep = [float(v1[k] - vd[k]) for k in range(3)]
    dv_arr = [float(v2[k] - va[k]) for k in range(3)]
    c3 = dot3(vinf_dep, vinf_dep)
    z_eq = math.sin(OBLIQUITY_J2000_RAD) * vinf_dep[1] + math.cos(OBLIQUITY_J2000_RAD) * vinf_dep[2]
    dla = math.asin(z_eq / math.sqrt(c3))
    kind = 1 if rd[0] * ra[1] - rd[1] * ra[0] >= 0.0 else 2
    return c3, vinf_dep, dla, norm3(dv_arr), kind


def check_dates(depart_jd, arrive_jd) -> tuple[np.ndarray, np.ndarray]:
    dep, arr = np.asarray(depart_jd, float).ravel(), np.asarray(arrive_jd, float).ravel()
    if not (np.all(np.isfinite(dep)) and np.all(np.isfinite(arr))):
        raise GuidanceError(NOTFINITE, "departure and arrival dates must be finite Julian dates")
    return dep, arr


def porkchop(origin: str | int, target: str | int, depart_jd, arrive_jd, n_threads: int = 0) -> PorkchopGrid:
    """The grid for departures depart_jd x arrivals arrive_jd (TDB Julian dates).
    n_threads is accepted for the C backend's sake; the mirror runs on one thread."""
    g = PorkchopGrid.empty(origin, target, depart_jd, arrive_jd)
    arrivals = [[x.tolist() for x in planet_state(g.target, jd)] for jd in g.arrive_jd.tolist()]
    for i, jd_dep in enumerate(g.depart_jd.tolist()):
        rd, vd = (x.tolist() for x in planet_state(g.origin, jd_dep))
        for j, jd_arr in enumerate(g.arrive_jd.tolist()):
            g.tof_s[i, j] = tof = (jd_arr - jd_dep) * DAY_S
            g.c3_km2_s2[i, j], g.vinf_dep_km_s[i, j], g.dla_rad[i, j], g.vinf_arr_km_s[i, j], g.transfer_type[i, j] = \
                porkchop_cell(rd, vd, *arrivals[j], tof)
    return g
