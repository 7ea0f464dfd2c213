"""What both guidance backends share: status codes, errors, body names, result types, argument checks.

The mirror (zarya.guidance.mirror) and the C wrapper (zarya.guidance.native) implement KERNELS
under the same names; neither imports the other.  Units: km, s, km/s, km^3/s^2, rad; Julian
dates in TDB days.  Frame: heliocentric ecliptic and equinox of J2000.  The status codes match
native/guidance.h.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from zarya.errors import ZaryaError

KERNELS = [
    "Elements",
    "LambertSolution",
    "PorkchopGrid",
    "elements_to_state",
    "lambert",
    "lambert_batch",
    "planet_state",
    "porkchop",
    "propagate_kepler",
    "state_to_elements",
]

BODIES = {"mercury": 1, "venus": 2, "earth": 3, "mars": 4, "jupiter": 5, "saturn": 6, "uranus": 7, "neptune": 8}

OK, BODY, NOTFINITE, TOF, PLANE, NOCONVERGE, CONIC = 0, 20, 21, 22, 23, 24, 25
_REASONS = {
    BODY: "unknown body",
    NOTFINITE: "input is not finite (NaN or infinite)",
    TOF: "time of flight must be > 0",
    PLANE: "r1 and r2 are parallel: the transfer plane is undefined",
    NOCONVERGE: "iteration did not converge",
    CONIC: "not a valid orbit (check p > 0, e >= 0, mu > 0, true anomaly inside the asymptotes)",
}


class GuidanceError(ZaryaError, ValueError):
    """Bad input to a guidance kernel, or a kernel that found no solution."""

    def __init__(self, code: int, detail: str = ""):
        self.code = code
        super().__init__(detail or _REASONS.get(code, f"guidance error {code}"))


def body_id(body: str | int) -> int:
    """The table index (1 Mercury .. 8 Neptune) of a body name or index."""
    if isinstance(body, str):
        if body.lower() not in BODIES:
            raise GuidanceError(BODY, f"unknown body {body!r}: choose from {', '.join(BODIES)}")
        return BODIES[body.lower()]
    if not 1 <= int(body) <= len(BODIES):
        raise GuidanceError(BODY, f"unknown body {body!r}: ids are 1..{len(BODIES)}")
    return int(body)


def body_name(body: str | int) -> str:
    return next(name for name, i in BODIES.items() if i == body_id(body))


def vec3(values, name: str) -> list[float]:
    """A 3-vector as a list of floats, or a clear error."""
    out = [float(v) for v in values]
    if len(out) != 3:
        raise GuidanceError(NOTFINITE, f"{name} must have 3 components, not {len(out)}")
    return out


class Elements(NamedTuple):
    """Classical elements of a conic: semi-latus rectum p_km (every conic), a_km (inf for a
    parabola, negative for a hyperbola), eccentricity and angles in rad."""

    p_km: float
    a_km: float
    ecc: float
    inc_rad: float
    raan_rad: float
    argp_rad: float
    nu_rad: float


class LambertSolution(NamedTuple):
    v1_km_s: np.ndarray
    v2_km_s: np.ndarray
    revs: int


def check_dates(depart_jd, arrive_jd) -> tuple[np.ndarray, np.ndarray]:
    dep, arr = np.asarray(depart_jd, float).ravel(), np.asarray(arrive_jd, float).ravel()
    if not (np.all(np.isfinite(dep)) and np.all(np.isfinite(arr))):
        raise GuidanceError(NOTFINITE, "departure and arrival dates must be finite Julian dates")
    return dep, arr


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
