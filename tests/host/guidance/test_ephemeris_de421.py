"""planet_state (both backends) against JPL DE421, 1900-2049: the accuracy ephemeris.py states.

DE421 (the de421 package, read with jplephem) gives barycentric positions in the ICRF, equatorial.
Here the Sun's position is subtracted and the result rotated to the ecliptic with the obliquity
ephemeris.py uses (the ICRF-to-J2000 frame bias, about 0.02", is far below what is measured);
"earth" is compared with DE421's Earth-Moon barycentre.  Dates run every 10 days from 1900-01-01
to 2049-12-31 (DE421 covers 1900-2050).  Errors: the angle between the two heliocentric
directions, and the relative error in heliocentric distance.

ENVELOPE is the worst case measured here (daily sampling, the largest of the two backends) plus
about 5%; the test also fails when the measurement falls well below it, so that the figures
quoted in ephemeris.py's docstring are updated when the model changes.
"""

from __future__ import annotations

import functools
import math

import de421
import numpy as np
import pytest
from jplephem.ephem import Ephemeris

from zarya import backends
from zarya.guidance.api import BODIES
from zarya.guidance.ephemeris import OBLIQUITY_J2000_RAD

DATES_JD = np.arange(2415020.5, 2469807.5, 10.0)  # 1900-01-01 .. 2049-12-31, TDB
ARCSEC = math.pi / 180 / 3600
DE421_NAMES = {"earth": "earthmoon"}

# body: (angular error, arcsec; relative distance error), measured maxima 1900-2049 plus ~5%
ENVELOPE = {
    "mercury": (34.0, 4.0e-5),
    "venus": (30.0, 6.0e-5),
    "earth": (24.0, 5.5e-5),
    "mars": (106.0, 1.95e-4),
    "jupiter": (542.0, 8.85e-4),
    "saturn": (776.0, 1.97e-3),
    "uranus": (119.0, 5.6e-4),
    "neptune": (63.0, 3.75e-4),
}


@functools.cache
def de421_heliocentric_ecliptic(body: str) -> np.ndarray:
    """(N, 3) km: DE421 heliocentric positions at DATES_JD, ecliptic and equinox of J2000."""
    eph = Ephemeris(de421)
    equatorial = eph.position(DE421_NAMES.get(body, body), DATES_JD) - eph.position("sun", DATES_JD)
    c, s = math.cos(OBLIQUITY_J2000_RAD), math.sin(OBLIQUITY_J2000_RAD)
    x, y, z = equatorial
    return np.column_stack([x, c * y + s * z, -s * y + c * z])


def worst_errors(backend: str, body: str) -> tuple[float, float]:
    """Largest angular error (arcsec) and relative distance error of planet_state over DATES_JD."""
    g = backends.guidance(backend)
    mine = np.array([g.planet_state(body, jd)[0] for jd in DATES_JD])
    ref = de421_heliocentric_ecliptic(body)
    angle = np.arctan2(np.linalg.norm(np.cross(mine, ref), axis=1), np.einsum("ij,ij->i", mine, ref))
    distance = np.linalg.norm(mine, axis=1) / np.linalg.norm(ref, axis=1) - 1.0
    return float(angle.max() / ARCSEC), float(np.abs(distance).max())


@pytest.mark.parametrize("backend", ["c", "python"])
@pytest.mark.parametrize("body", list(BODIES))
def test_planet_state_within_measured_envelope_of_de421(backend, body):
    angle_max, distance_max = worst_errors(backend, body)
    angle_env, distance_env = ENVELOPE[body]
    assert angle_max <= angle_env, f"{body}: {angle_max:.1f} arcsec > {angle_env} arcsec"
    assert distance_max <= distance_env, f"{body}: relative distance error {distance_max:.3g} > {distance_env:.3g}"
    # the envelope (and the docstring of ephemeris.py quoting it) must not go stale
    assert angle_max >= 0.8 * angle_env and distance_max >= 0.8 * distance_env, (
        f"{body}: measured {angle_max:.1f} arcsec, {distance_max:.3g} relative: well inside the envelope; "
        "update ENVELOPE and ephemeris.py's docstring")
