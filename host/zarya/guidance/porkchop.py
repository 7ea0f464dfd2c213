"""The porkchop grid: every departure date x arrival date transfer (mirror of porkchop() in C).

Each cell is the prograde zero-revolution Lambert transfer between the two planets' Standish
ephemeris states: departure C3 (km^2/s^2), departure v-infinity vector (km/s, ecliptic J2000),
its declination DLA (rad, in the J2000 equator frame, as launch-vehicle tables give it),
arrival v-infinity magnitude (km/s), time of flight (s) and transfer type (1: transfer angle
< 180 deg, 2: > 180 deg; 0 where there is no transfer and the values are NaN).
"""

from __future__ import annotations

import math

from zarya.guidance.api import GuidanceError, PorkchopGrid
from zarya.guidance.ephemeris import OBLIQUITY_J2000_RAD, planet_state
from zarya.guidance.lambert import lambert
from zarya.guidance.vectors import dot3, norm3
from zarya.units import DAY_S, MU_SUN_KM3_S2


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
