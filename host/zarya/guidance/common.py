"""Constants, body names, status codes and vector helpers shared by the guidance kernels.

Units: km, s, km/s, km^3/s^2, rad; Julian dates in TDB days.  Frame: heliocentric ecliptic
and equinox of J2000.  The status codes match native/guidance.h.
"""

from __future__ import annotations

import math

PI = 3.14159265358979323846
DEG = PI / 180.0
AU_KM = 149597870.7  # IAU 2012 Resolution B2
DAY_S = 86400.0
J2000_JD = 2451545.0
CENTURY_D = 36525.0
MU_SUN_KM3_S2 = 1.32712440018e11  # JPL DE405 heliocentric gravitational parameter
OBLIQUITY_J2000_RAD = 23.43928 * DEG  # as used with Standish's table

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


class GuidanceError(ValueError):
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


def dot3(a, b) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def norm3(a) -> float:
    return math.sqrt(dot3(a, a))


def cross3(a, b) -> list[float]:
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def finite3(a) -> bool:
    return math.isfinite(a[0]) and math.isfinite(a[1]) and math.isfinite(a[2])


def vec3(values, name: str) -> list[float]:
    """A 3-vector as a list of floats, or a clear error."""
    out = [float(v) for v in values]
    if len(out) != 3:
        raise GuidanceError(NOTFINITE, f"{name} must have 3 components, not {len(out)}")
    return out
