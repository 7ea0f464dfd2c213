"""Planet positions and velocities from JPL's approximate Keplerian elements (mirror of planet_state).

Source: E. M. Standish, "Keplerian Elements for Approximate Positions of the Major Planets",
JPL Solar System Dynamics (https://ssd.jpl.nasa.gov/planets/approx_pos.html), Table 1, valid
1800 AD - 2050 AD, mean ecliptic and equinox of J2000.  Table 1 has no perturbation terms (the
b, c, s, f terms for Jupiter..Neptune belong to the 3000 BC - 3000 AD fit of Tables 2a/2b).
"earth" is the Earth-Moon barycentre (within about 4700 km of Earth).  Velocities are the
two-body velocities on the osculating ellipse, with the table's mean motion.

Accuracy.  Standish states, as worst cases over 1800-2050: Mercury 15", Venus 20", Earth-Moon
barycentre 20", Mars 40", Jupiter 400", Saturn 600", Uranus 50", Neptune 10" (longitude), and
1000, 4000, 6000, 25000, 6e5, 1.5e6, 1e6, 2e5 km (distance).  Measured here against JPL DE421,
1900-2049, sampled daily (tests/host/guidance/test_ephemeris_de421.py), the worst heliocentric
errors are larger:

                 direction  longitude  latitude   distance
    Mercury         32"        32"       3.9"     2.1e3 km  (3.8e-5 relative)
    Venus           28"        28"       1.7"     6.2e3 km  (5.7e-5)
    Earth-Moon      23"        23"       4.3"     7.8e3 km  (5.2e-5)
    Mars           101"       101"       2.8"    3.84e4 km  (1.9e-4)
    Jupiter        516"       516"        11"    6.41e5 km  (8.4e-4)
    Saturn         739"       739"        30"    2.81e6 km  (1.9e-3)
    Uranus         113"       113"       3.8"    1.55e6 km  (5.3e-4)
    Neptune         60"        60"       1.6"    1.61e6 km  (3.5e-4)

The error is almost all along the orbit, and periodic (years to decades): the planets' mutual
perturbations, which mean elements with linear rates do not follow.
"""

from __future__ import annotations

import math

import numpy as np

from zarya.guidance.api import NOTFINITE, GuidanceError, body_id
from zarya.guidance.timescale import CENTURY_D, J2000_JD
from zarya.units import AU_KM, DAY_S

DEG = math.pi / 180.0
OBLIQUITY_J2000_RAD = 23.43928 * DEG  # as used with Standish's table

# a (au), e, I (deg), L (deg), long. perihelion (deg), long. node (deg); then rates per century
STANDISH_T1 = [
    [0.38709927, 0.20563593, 7.00497902, 252.25032350, 77.45779628, 48.33076593,
     0.00000037, 0.00001906, -0.00594749, 149472.67411175, 0.16047689, -0.12534081],
    [0.72333566, 0.00677672, 3.39467605, 181.97909950, 131.60246718, 76.67984255,
     0.00000390, -0.00004107, -0.00078890, 58517.81538729, 0.00268329, -0.27769418],
    [1.00000261, 0.01671123, -0.00001531, 100.46457166, 102.93768193, 0.0,
     0.00000562, -0.00004392, -0.01294668, 35999.37244981, 0.32327364, 0.0],
    [1.52371034, 0.09339410, 1.84969142, -4.55343205, -23.94362959, 49.55953891,
     0.00001847, 0.00007882, -0.00813131, 19140.30268499, 0.44441088, -0.29257343],
    [5.20288700, 0.04838624, 1.30439695, 34.39644051, 14.72847983, 100.47390909,
     -0.00011607, -0.00013253, -0.00183714, 3034.74612775, 0.21252668, 0.20469106],
    [9.53667594, 0.05386179, 2.48599187, 49.95424423, 92.59887831, 113.66242448,
     -0.00125060, -0.00050991, 0.00193609, 1222.49362201, -0.41897216, -0.28867794],
    [19.18916464, 0.04725744, 0.77263783, 313.23810451, 170.95427630, 74.01692503,
     -0.00196176, -0.00004397, -0.00242939, 428.48202785, 0.40805281, 0.04240589],
    [30.06992276, 0.00859048, 1.77004347, -55.12002969, 44.96476227, 131.78422574,
     0.00026291, 0.00005105, 0.00035372, 218.45945325, -0.32241464, -0.00508664],
]


def perifocal_to_frame(xp: float, yp: float, raan: float, inc: float, argp: float) -> list[float]:
    """Rotate an orbital-plane vector (perifocal x, y) into the reference frame."""
    co, so, ci, si, cw, sw = math.cos(raan), math.sin(raan), math.cos(inc), math.sin(inc), math.cos(argp), math.sin(argp)
    return [
        (co * cw - so * sw * ci) * xp + (-co * sw - so * cw * ci) * yp,
        (so * cw + co * sw * ci) * xp + (-so * sw + co * cw * ci) * yp,
        (sw * si) * xp + (cw * si) * yp,
    ]


def planet_state(body: str | int, jd_tdb: float) -> tuple[np.ndarray, np.ndarray]:
    """Heliocentric ecliptic J2000 position (km) and velocity (km/s) of `body` at jd_tdb."""
    el = STANDISH_T1[body_id(body) - 1]
    jd_tdb = float(jd_tdb)
    if not math.isfinite(jd_tdb):
        raise GuidanceError(NOTFINITE, f"jd_tdb is not finite: {jd_tdb}")
    T = (jd_tdb - J2000_JD) / CENTURY_D
    a = (el[0] + el[6] * T) * AU_KM
    e = el[1] + el[7] * T
    inc = (el[2] + el[8] * T) * DEG
    L = el[3] + el[9] * T
    varpi = el[4] + el[10] * T
    raan = (el[5] + el[11] * T) * DEG
    argp = varpi * DEG - raan
    M = math.fmod(L - varpi, 360.0)
    if M > 180.0:
        M -= 360.0
    elif M < -180.0:
        M += 360.0
    M *= DEG
    E = M + e * math.sin(M)
    for _ in range(50):
        dE = (E - e * math.sin(E) - M) / (1.0 - e * math.cos(E))
        E -= dE
        if abs(dE) < 1e-15:
            break
    n = (el[9] - el[10]) * DEG / (CENTURY_D * DAY_S)
    E_dot = n / (1.0 - e * math.cos(E))
    b = a * math.sqrt(1.0 - e * e)
    r = perifocal_to_frame(a * (math.cos(E) - e), b * math.sin(E), raan, inc, argp)
    v = perifocal_to_frame(-a * math.sin(E) * E_dot, b * math.cos(E) * E_dot, raan, inc, argp)
    return np.array(r), np.array(v)
