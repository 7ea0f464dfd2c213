"""Two-body conics: classical elements <-> state, and universal-variable Kepler propagation.

Mirror of elements_to_state, state_to_elements and propagate_kepler in native/guidance.c.
Elements use the semi-latus rectum p_km so that every conic (ellipse, parabola, hyperbola) has
one parametrisation; a_km is inf for a parabola and negative for a hyperbola.  For an equatorial
orbit raan = 0 and argp is the longitude of periapsis; for a circular inclined orbit argp = 0
and nu is the argument of latitude; for a circular equatorial orbit nu is the true longitude.
"""

from __future__ import annotations

import math

import numpy as np

from zarya.guidance.api import CONIC, NOCONVERGE, NOTFINITE, Elements, GuidanceError, vec3
from zarya.guidance.ephemeris import perifocal_to_frame
from zarya.guidance.vectors import cross3, dot3, finite3, norm3

ZMAX = 4e4  # bound on |alpha| chi^2 in the iteration: sqrt(4e4) = 200 in cosh, far from overflow
DBL_EPSILON = 2.220446049250313e-16  # 2^-52
# Stop tests on the residual F of the universal Kepler equation, in ulps of F's scale (the sum of
# the magnitudes of its terms): converged when |F| is within RESIDUAL_ULPS of it, or when the
# step has stopped shrinking (rounding noise decides it) and |F| is within NOISE_ULPS.  Rounding
# in the Stumpff functions just past |z| = 0.1 leaves up to ~16 ulps of noise in F; where a step
# grows far from the root (seen in test_kepler_reference's sweeps), |F| is 2^42 ulps or more.
# A test on the step alone never passes when the noise in F moves chi by more than its tolerance.
RESIDUAL_ULPS = 4.0
NOISE_ULPS = 1024.0




def elements_to_state(p_km: float, ecc: float, inc_rad: float, raan_rad: float, argp_rad: float,
                      nu_rad: float, mu_km3_s2: float) -> tuple[np.ndarray, np.ndarray]:
    """Position (km) and velocity (km/s) on the conic with these classical elements."""
    values = [float(x) for x in (p_km, ecc, inc_rad, raan_rad, argp_rad, nu_rad, mu_km3_s2)]
    if not all(math.isfinite(x) for x in values):
        raise GuidanceError(NOTFINITE)
    p_km, ecc, inc_rad, raan_rad, argp_rad, nu_rad, mu_km3_s2 = values
    denom = 1.0 + ecc * math.cos(nu_rad)
    if p_km <= 0.0 or ecc < 0.0 or mu_km3_s2 <= 0.0 or denom <= 0.0:
        raise GuidanceError(CONIC)
    r = p_km / denom
    vs = math.sqrt(mu_km3_s2 / p_km)
    rv = perifocal_to_frame(r * math.cos(nu_rad), r * math.sin(nu_rad), raan_rad, inc_rad, argp_rad)
    vv = perifocal_to_frame(-vs * math.sin(nu_rad), vs * (ecc + math.cos(nu_rad)), raan_rad, inc_rad, argp_rad)
    return np.array(rv), np.array(vv)


def wrap_2pi(angle: float) -> float:
    w = math.fmod(angle, 2.0 * math.pi)
    return w + 2.0 * math.pi if w < 0.0 else w


def angle_about(a, b, h) -> float:
    """Signed angle from a to b about the unit normal h, in [0, 2 pi)."""
    return wrap_2pi(math.atan2(dot3(cross3(a, b), h), dot3(a, b)))


def state_to_elements(r_km, v_km_s, mu_km3_s2: float) -> Elements:
    """Classical elements of the conic through (r, v); angles in rad."""
    tol = 1e-11
    r_km, v_km_s, mu_km3_s2 = vec3(r_km, "r_km"), vec3(v_km_s, "v_km_s"), float(mu_km3_s2)
    if not (finite3(r_km) and finite3(v_km_s) and math.isfinite(mu_km3_s2)):
        raise GuidanceError(NOTFINITE)
    h = cross3(r_km, v_km_s)
    rn, hn = norm3(r_km), norm3(h)
    if mu_km3_s2 <= 0.0 or rn == 0.0 or hn <= tol * rn * norm3(v_km_s):
        raise GuidanceError(CONIC, "rectilinear or degenerate state: no orbit plane")
    v2, rv = dot3(v_km_s, v_km_s), dot3(r_km, v_km_s)
    e_vec = [((v2 - mu_km3_s2 / rn) * r_km[k] - rv * v_km_s[k]) / mu_km3_s2 for k in range(3)]
    hhat = [h[k] / hn for k in range(3)]
    node = [-h[1], h[0], 0.0]
    ecc, nn = norm3(e_vec), norm3(node)
    p = hn * hn / mu_km3_s2
    a = math.inf if abs(1.0 - ecc) < tol else p / (1.0 - ecc * ecc)
    inc = math.acos(max(-1.0, min(1.0, h[2] / hn)))
    equatorial = nn < tol * hn
    circular = ecc < tol
    raan = argp = 0.0
    xhat = [1.0, 0.0, 0.0]
    if not equatorial:
        raan = wrap_2pi(math.atan2(node[1], node[0]))
        if circular:
            nu = angle_about(node, r_km, hhat)
        else:
            argp = angle_about(node, e_vec, hhat)
            nu = angle_about(e_vec, r_km, hhat)
    elif not circular:
        argp = angle_about(xhat, e_vec, hhat)
        nu = angle_about(e_vec, r_km, hhat)
    else:
        nu = angle_about(xhat, r_km, hhat)
    return Elements(p, a, ecc, inc, raan, argp, nu)


def stumpff(z: float) -> tuple[float, float]:
    """Stumpff functions C(z), S(z); series near zero where the closed forms cancel."""
    if z > 0.1:
        sz = math.sqrt(z)
        return (1.0 - math.cos(sz)) / z, (sz - math.sin(sz)) / (sz * sz * sz)
    if z < -0.1:
        sz = math.sqrt(-z)
        return (math.cosh(sz) - 1.0) / (-z), (math.sinh(sz) - sz) / (sz * sz * sz)
    c = 1.0 / 2.0 + z * (-1.0 / 24.0 + z * (1.0 / 720.0 + z * (-1.0 / 40320.0 +
        z * (1.0 / 3628800.0 + z * (-1.0 / 479001600.0)))))
    s = 1.0 / 6.0 + z * (-1.0 / 120.0 + z * (1.0 / 5040.0 + z * (-1.0 / 362880.0 +
        z * (1.0 / 39916800.0 + z * (-1.0 / 6227020800.0)))))
    return c, s


def propagate_kepler(r0_km, v0_km_s, dt_s: float, mu_km3_s2: float) -> tuple[np.ndarray, np.ndarray]:
    """State after dt_s (either sign) on any conic, by the universal variable chi solved with
    Laguerre-Conway iterations; elliptic dt is first reduced modulo the period, so many
    revolutions cost nothing and lose no precision."""
    r0_km, v0_km_s, dt_s, mu_km3_s2 = vec3(r0_km, "r0_km"), vec3(v0_km_s, "v0_km_s"), float(dt_s), float(mu_km3_s2)
    if not (finite3(r0_km) and finite3(v0_km_s) and math.isfinite(dt_s) and math.isfinite(mu_km3_s2)):
        raise GuidanceError(NOTFINITE)
    r0 = norm3(r0_km)
    if mu_km3_s2 <= 0.0 or r0 == 0.0:
        raise GuidanceError(CONIC)
    sqmu = math.sqrt(mu_km3_s2)
    sigma0 = dot3(r0_km, v0_km_s) / sqmu
    alpha = 2.0 / r0 - dot3(v0_km_s, v0_km_s) / mu_km3_s2
    if alpha > 0.0:
        dt_s = math.fmod(dt_s, 2.0 * math.pi / math.sqrt(mu_km3_s2 * alpha * alpha * alpha))
    chi = sqmu * dt_s / r0
    if alpha > 1e-12 / r0:
        chi = sqmu * dt_s * alpha
    elif alpha < -1e-12 / r0:
        a = 1.0 / alpha
        sgn = -1.0 if dt_s < 0.0 else 1.0
        try:
            guess = sgn * math.sqrt(-a) * math.log((-2.0 * mu_km3_s2 * alpha * dt_s) / (
                dot3(r0_km, v0_km_s) + sgn * math.sqrt(-mu_km3_s2 * a) * (1.0 - r0 * alpha)))
        except (ValueError, ZeroDivisionError):
            guess = math.nan
        if math.isfinite(guess):
            chi = guess
    # keep |alpha| chi^2 <= ZMAX so cosh and sinh never overflow
    if abs(alpha) * chi * chi > ZMAX:
        chi = math.copysign(math.sqrt(ZMAX / abs(alpha)), chi)
    converged = False
    last = math.inf
    for _ in range(100):
        z = alpha * chi * chi
        c, s = stumpff(z)
        u2 = chi * chi * c
        u3 = chi * chi * chi * s
        u1 = chi * (1.0 - z * s)
        u0 = 1.0 - z * c
        F = r0 * u1 + sigma0 * u2 + u3 - sqmu * dt_s
        scale = abs(r0 * u1) + abs(sigma0 * u2) + abs(u3) + abs(sqmu * dt_s)
        if abs(F) <= RESIDUAL_ULPS * DBL_EPSILON * scale:
            converged = True
            break
        dF = r0 * u0 + sigma0 * u1 + u2
        ddF = (1.0 - alpha * r0) * u1 + sigma0 * u0
        disc = math.sqrt(abs(16.0 * dF * dF - 20.0 * F * ddF))
        dchi = 5.0 * F / (dF + math.copysign(disc, dF))
        if abs(dchi) >= last and abs(F) <= NOISE_ULPS * DBL_EPSILON * scale:
            converged = True
            break
        last = abs(dchi)
        chi -= dchi
        if abs(alpha) * chi * chi > ZMAX:
            chi = math.copysign(math.sqrt(ZMAX / abs(alpha)), chi)
    if not converged:
        raise GuidanceError(NOCONVERGE, "Kepler propagation did not converge")
    z = alpha * chi * chi
    c, s = stumpff(z)
    u2 = chi * chi * c
    u1 = chi * (1.0 - z * s)
    u0 = 1.0 - z * c
    r = r0 * u0 + sigma0 * u1 + u2
    f = 1.0 - u2 / r0
    g = (r0 * u1 + sigma0 * u2) / sqmu
    fdot = -sqmu * u1 / (r * r0)
    gdot = 1.0 - u2 / r
    return (np.array([f * r0_km[k] + g * v0_km_s[k] for k in range(3)]),
            np.array([fdot * r0_km[k] + gdot * v0_km_s[k] for k in range(3)]))
