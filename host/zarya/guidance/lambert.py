"""Lambert's problem by Izzo's algorithm: the mirror of lambert() in native/guidance.c.

D. Izzo, "Revisiting Lambert's problem", Celestial Mechanics and Dynamical Astronomy 121
(2015) 1-15.  Householder iterations on the non-dimensional time of flight T(x), using the
Lagrange, Battin-series and Lancaster expressions of T where each is accurate.  Returns every
solution up to max_revs revolutions: the zero-revolution one first, then for each N the left
and right branches.
"""

from __future__ import annotations

import math

import numpy as np

from zarya.guidance.api import CONIC, NOCONVERGE, NOTFINITE, PLANE, TOF, GuidanceError, LambertSolution, vec3
from zarya.guidance.vectors import cross3, finite3, norm3


def hypergeometric_f(z: float, tol: float) -> float:
    sj = cj = err = 1.0
    j = 0
    while err > tol and j < 1000:
        cj1 = cj * (3.0 + j) * (1.0 + j) / (2.5 + j) * z / (j + 1)
        sj += cj1
        err = abs(cj1)
        cj = cj1
        j += 1
    return sj


def x2tof2(x: float, N: int, lam: float) -> float:
    a = 1.0 / (1.0 - x * x)
    if a > 0.0:
        alfa = 2.0 * math.acos(x)
        beta = 2.0 * math.asin(math.sqrt(lam * lam / a))
        if lam < 0.0:
            beta = -beta
        return a * math.sqrt(a) * ((alfa - math.sin(alfa)) - (beta - math.sin(beta)) + 2.0 * math.pi * N) / 2.0
    alfa = 2.0 * math.acosh(x)
    beta = 2.0 * math.asinh(math.sqrt(-lam * lam / a))
    if lam < 0.0:
        beta = -beta
    return -a * math.sqrt(-a) * ((beta - math.sinh(beta)) - (alfa - math.sinh(alfa))) / 2.0


def x2tof(x: float, N: int, lam: float) -> float:
    dist = abs(x - 1.0)
    if 0.01 < dist < 0.2:
        return x2tof2(x, N, lam)
    K = lam * lam
    E = x * x - 1.0
    rho = abs(E)
    z = math.sqrt(1.0 + K * E)
    if dist < 0.01:
        eta = z - lam * x
        s1 = 0.5 * (1.0 - lam - x * eta)
        q = 4.0 / 3.0 * hypergeometric_f(s1, 1e-11)
        return (eta * eta * eta * q + 4.0 * lam * eta) / 2.0 + N * math.pi / math.pow(rho, 1.5)
    y = math.sqrt(rho)
    g = x * z - lam * E
    d = N * math.pi + math.acos(g) if E < 0.0 else math.log(y * (z - lam * x) + g)
    return (x - lam * z - d / y) / E


def dtdx(x: float, T: float, lam: float) -> tuple[float, float, float]:
    l2 = lam * lam
    l3 = l2 * lam
    umx2 = 1.0 - x * x
    y = math.sqrt(1.0 - l2 * umx2)
    y2 = y * y
    y3 = y2 * y
    dT = 1.0 / umx2 * (3.0 * T * x - 2.0 + 2.0 * l3 * x / y)
    ddT = 1.0 / umx2 * (3.0 * T + 5.0 * x * dT + 2.0 * (1.0 - l2) * l3 / y3)
    dddT = 1.0 / umx2 * (7.0 * x * ddT + 8.0 * dT - 6.0 * (1.0 - l2) * l2 * l3 * x / y3 / y2)
    return dT, ddT, dddT


def householder(T: float, x: float, N: int, lam: float, eps: float, iter_max: int) -> float | None:
    """x with T(x) = T, or None when the iterations do not converge."""
    err = 1.0
    it = 0
    try:
        while err > eps and it < iter_max:
            tof = x2tof(x, N, lam)
            dT, ddT, dddT = dtdx(x, tof, lam)
            delta = tof - T
            dT2 = dT * dT
            xnew = x - delta * (dT2 - delta * ddT / 2.0) / (dT * (dT2 - delta * ddT) + dddT * delta * delta / 6.0)
            err = abs(x - xnew)
            x = xnew
            it += 1
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    return None if err > eps or not math.isfinite(x) else x


def lambert_velocities(x, lam, gamma, rho, sigma, R1, R2, ir1, ir2, it1, it2) -> tuple[np.ndarray, np.ndarray]:
    y = math.sqrt(1.0 - lam * lam + lam * lam * x * x)
    vr1 = gamma * ((lam * y - x) - rho * (lam * y + x)) / R1
    vr2 = -gamma * ((lam * y - x) + rho * (lam * y + x)) / R2
    vt = gamma * sigma * (y + lam * x)
    vt1, vt2 = vt / R1, vt / R2
    return (np.array([vr1 * ir1[k] + vt1 * it1[k] for k in range(3)]),
            np.array([vr2 * ir2[k] + vt2 * it2[k] for k in range(3)]))


def lambert(mu_km3_s2: float, r1_km, r2_km, tof_s: float, prograde: bool = True, max_revs: int = 0) -> list[LambertSolution]:
    """Transfers from r1 to r2 (km) in tof_s (s) about a body of mu (km^3/s^2)."""
    r1, r2, tof_s, mu = vec3(r1_km, "r1_km"), vec3(r2_km, "r2_km"), float(tof_s), float(mu_km3_s2)
    if not (finite3(r1) and finite3(r2) and math.isfinite(tof_s) and math.isfinite(mu)):
        raise GuidanceError(NOTFINITE)
    if tof_s <= 0.0:
        raise GuidanceError(TOF, f"time of flight must be > 0, not {tof_s} s")
    if mu <= 0.0 or max_revs < 0:
        raise GuidanceError(CONIC, "need mu > 0 and max_revs >= 0")
    try:
        return solve(mu, r1, r2, tof_s, prograde, max_revs)
    except GuidanceError:
        raise
    except (ValueError, ZeroDivisionError, OverflowError):  # C gets NaN or inf here and reports the same
        raise GuidanceError(NOCONVERGE, "Lambert iterations did not converge") from None


def finite_solution(v1: np.ndarray, v2: np.ndarray) -> bool:
    return bool(np.isfinite(v1).all() and np.isfinite(v2).all())


def solve(mu: float, r1: list[float], r2: list[float], tof_s: float, prograde: bool, max_revs: int) -> list[LambertSolution]:
    """Izzo's geometry and iterations for validated input."""
    c_vec = [r2[k] - r1[k] for k in range(3)]
    c, R1, R2 = norm3(c_vec), norm3(r1), norm3(r2)
    s = (c + R1 + R2) / 2.0
    ir1 = [r1[k] / R1 for k in range(3)]
    ir2 = [r2[k] / R2 for k in range(3)]
    ih = cross3(ir1, ir2)
    hn = norm3(ih)
    if not hn > 1e-12:
        raise GuidanceError(PLANE)
    ih = [ih[k] / hn for k in range(3)]
    lambda2 = max(0.0, 1.0 - c / s)  # rounding can make c / s exceed 1 at 180 deg
    lam = math.sqrt(lambda2)
    if ih[2] < 0.0:
        lam = -lam
        it1, it2 = cross3(ir1, ih), cross3(ir2, ih)
    else:
        it1, it2 = cross3(ih, ir1), cross3(ih, ir2)
    n1, n2 = norm3(it1), norm3(it2)
    it1 = [it1[k] / n1 for k in range(3)]
    it2 = [it2[k] / n2 for k in range(3)]
    if not prograde:
        lam = -lam
        it1 = [-it1[k] for k in range(3)]
        it2 = [-it2[k] for k in range(3)]
    lambda3 = lam * lambda2
    T = math.sqrt(2.0 * mu / s / s / s) * tof_s

    n_max = int(T / math.pi)
    T00 = math.acos(lam) + lam * math.sqrt(1.0 - lambda2)
    T0 = T00 + n_max * math.pi
    T1 = 2.0 / 3.0 * (1.0 - lambda3)
    if max_revs > 0 and n_max > 0 and T < T0:
        t_min, x_old, x_new = T0, 0.0, 0.0
        it = 0
        while True:
            dT, ddT, dddT = dtdx(x_old, t_min, lam)
            if dT != 0.0:
                x_new = x_old - dT * ddT / (ddT * ddT - dT * dddT / 2.0)
            if abs(x_old - x_new) < 1e-13 or it > 12:
                break
            t_min = x2tof(x_new, n_max, lam)
            x_old = x_new
            it += 1
        if t_min > T:
            n_max -= 1
    n_max = min(n_max, max_revs)

    gamma = math.sqrt(mu * s / 2.0)
    rho = (R1 - R2) / c
    sigma = math.sqrt(max(0.0, 1.0 - rho * rho))  # rounding can push |rho| past 1
    if T >= T00:
        x0 = -(T - T00) / (T - T00 + 4.0)
    elif T <= T1:
        x0 = T1 * (T1 - T) / (2.0 / 5.0 * (1.0 - lambda2 * lambda3) * T) + 1.0
    else:
        x0 = math.pow(T / T00, 0.69314718055994529 / math.log(T1 / T00)) - 1.0
    x0 = householder(T, x0, 0, lam, 1e-5, 15)
    if x0 is None:
        raise GuidanceError(NOCONVERGE, "Lambert iterations did not converge")
    geometry = (lam, gamma, rho, sigma, R1, R2, ir1, ir2, it1, it2)
    v1, v2 = lambert_velocities(x0, *geometry)
    if not finite_solution(v1, v2):
        raise GuidanceError(NOCONVERGE, "Lambert iterations did not converge")
    solutions = [LambertSolution(v1, v2, 0)]
    for i in range(1, n_max + 1):
        tmp = math.pow((i * math.pi + math.pi) / (8.0 * T), 2.0 / 3.0)
        left = (tmp - 1.0) / (tmp + 1.0)
        tmp = math.pow((8.0 * T) / (i * math.pi), 2.0 / 3.0)
        right = (tmp - 1.0) / (tmp + 1.0)
        for guess in (left, right):
            x = householder(T, guess, i, lam, 1e-8, 15)
            if x is None:
                continue
            v1, v2 = lambert_velocities(x, *geometry)
            if finite_solution(v1, v2):
                solutions.append(LambertSolution(v1, v2, i))
    return solutions


def lambert_batch(mu_km3_s2: float, r1_km, r2_km, tof_s, prograde: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Zero-revolution solutions of n problems (r1, r2 as [n, 3]): v1, v2 ([n, 3], NaN where a
    problem fails) and each problem's status code (0 = solved)."""
    r1, r2 = np.asarray(r1_km, float).reshape(-1, 3), np.asarray(r2_km, float).reshape(-1, 3)
    tof = np.asarray(tof_s, float).ravel()
    v1 = np.full_like(r1, np.nan)
    v2 = np.full_like(r2, np.nan)
    status = np.zeros(len(tof), dtype=np.int32)
    for i in range(len(tof)):
        try:
            sol = lambert(mu_km3_s2, r1[i], r2[i], tof[i], prograde, 0)[0]
        except GuidanceError as err:
            status[i] = err.code
            continue
        v1[i], v2[i] = sol.v1_km_s, sol.v2_km_s
    return v1, v2, status
