"""The guidance kernels on both backends against references that share no code with them.

References: textbook examples (Vallado, Fundamentals of Astrodynamics and Applications, 4th ed.;
Curtis, Orbital Mechanics for Engineering Students), closed forms (the conventions kepler.py
documents for circular, equatorial, parabolic and hyperbolic conics; Euler's parabolic time of
flight) and mpmath at 40-50 digits written here: state -> elements from the vector formulas,
propagation by Kepler's equation in the classical anomalies (not the universal variable), and
Lambert's problem in Bate-Mueller-White universal variables (not Izzo's x).  Every number quoted
from a book was recomputed here in mpmath; where the book's rounding shows, the tolerance says so.

Also: the edges of the documented tolerances (ecc or the node vector exactly at tol), the edges of
the first-guess regimes of propagate_kepler, inputs that must be refused with the documented code,
and the C entry points' own contracts (checked through cffi).
"""

from __future__ import annotations

import functools
import math

import mpmath
import numpy as np
import pytest

from zarya import backends
from zarya.guidance import kepler, lambert
from zarya.guidance.api import BODY, CONIC, NOTFINITE, PLANE, TOF, GuidanceError

BACKENDS = ["c", "python"]
MU_EARTH = 398600.4418
TWO_PI = 2.0 * math.pi


@pytest.fixture(params=BACKENDS)
def g(request):
    return backends.guidance(request.param)


# ---- mpmath references ------------------------------------------------------------------------

def mp_vec(x):
    return [mpmath.mpf(float(c)) for c in x]


def mp_dot(a, b):
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def mp_cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


def mp_elements(r, v, mu, dps=40):
    """p, a, e, i, raan, argp, nu of a non-circular, non-equatorial conic (Vallado's RV2COE)."""
    with mpmath.workdps(dps):
        r, v, mu = mp_vec(r), mp_vec(v), mpmath.mpf(mu)
        h = mp_cross(r, v)
        n = [-h[1], h[0], mpmath.mpf(0)]
        rn, hn, nn = mpmath.norm(r), mpmath.norm(h), mpmath.norm(n)
        e_vec = [((mp_dot(v, v) - mu / rn) * r[k] - mp_dot(r, v) * v[k]) / mu for k in range(3)]
        e = mpmath.norm(e_vec)
        p = hn**2 / mu
        raan = mpmath.atan2(n[1], n[0]) % (2 * mpmath.pi)
        argp = mpmath.acos(mp_dot(n, e_vec) / (nn * e))
        argp = argp if e_vec[2] >= 0 else 2 * mpmath.pi - argp
        nu = mpmath.acos(mp_dot(e_vec, r) / (e * rn))
        nu = nu if mp_dot(r, v) >= 0 else 2 * mpmath.pi - nu
        out = (p, p / (1 - e * e), e, mpmath.acos(h[2] / hn), raan, argp, nu)
        return [float(x) for x in out]


def solve_increasing(f, df, lo, hi, x):
    """Root of an increasing f in [lo, hi]: Newton from x, bisection when a step leaves the bracket."""
    tol = mpmath.mpf(10) ** (8 - mpmath.mp.dps)
    for _ in range(3000):
        fx = f(x)
        if fx == 0:
            return x
        lo, hi = (x, hi) if fx < 0 else (lo, x)
        xn = x - fx / df(x)
        if not lo < xn < hi:
            xn = (lo + hi) / 2
        if abs(xn - x) <= tol * max(1, abs(xn)):
            return xn
        x = xn
    raise AssertionError("reference root did not converge")


def mp_propagate(r0, v0, dt, mu, dps=50):
    """State after dt from Kepler's equation (ellipse) or its hyperbolic form, at dps digits,
    written from the eccentric (hyperbolic) anomaly in the perifocal frame."""
    with mpmath.workdps(dps):
        r, v, mu, dt = mp_vec(r0), mp_vec(v0), mpmath.mpf(mu), mpmath.mpf(dt)
        h = mp_cross(r, v)
        rn, hn = mpmath.norm(r), mpmath.norm(h)
        e_vec = [((mp_dot(v, v) - mu / rn) * r[k] - mp_dot(r, v) * v[k]) / mu for k in range(3)]
        e = mpmath.norm(e_vec)
        P = [x / e for x in e_vec]
        Q = [x / hn for x in mp_cross(h, P)]
        p = hn**2 / mu
        nu0 = mpmath.atan2(mp_dot(r, Q), mp_dot(r, P))
        a = p / (1 - e * e)
        if e < 1:
            n = mpmath.sqrt(mu / a**3)
            E0 = 2 * mpmath.atan(mpmath.sqrt((1 - e) / (1 + e)) * mpmath.tan(nu0 / 2))
            M = E0 - e * mpmath.sin(E0) + n * dt
            M -= 2 * mpmath.pi * mpmath.floor((M + mpmath.pi) / (2 * mpmath.pi))
            E = solve_increasing(lambda x: x - e * mpmath.sin(x) - M, lambda x: 1 - e * mpmath.cos(x),
                                 -mpmath.pi, mpmath.pi, M)
            rr = a * (1 - e * mpmath.cos(E))
            xp, yp = a * (mpmath.cos(E) - e), a * mpmath.sqrt(1 - e * e) * mpmath.sin(E)
            k = mpmath.sqrt(mu * a) / rr
            vxp, vyp = -k * mpmath.sin(E), k * mpmath.sqrt(1 - e * e) * mpmath.cos(E)
        else:
            n = mpmath.sqrt(mu / (-a) ** 3)
            H0 = 2 * mpmath.atanh(mpmath.sqrt((e - 1) / (e + 1)) * mpmath.tan(nu0 / 2))
            M = e * mpmath.sinh(H0) - H0 + n * dt
            bound = mpmath.asinh(abs(M) / (e - 1)) + 1
            H = solve_increasing(lambda x: e * mpmath.sinh(x) - x - M, lambda x: e * mpmath.cosh(x) - 1,
                                 -bound, bound, mpmath.asinh(M / e))
            rr = -a * (e * mpmath.cosh(H) - 1)
            xp, yp = -a * (e - mpmath.cosh(H)), -a * mpmath.sqrt(e * e - 1) * mpmath.sinh(H)
            k = mpmath.sqrt(-mu * a) / rr
            vxp, vyp = -k * mpmath.sinh(H), k * mpmath.sqrt(e * e - 1) * mpmath.cosh(H)
        pos = [xp * P[k] + yp * Q[k] for k in range(3)]
        vel = [vxp * P[k] + vyp * Q[k] for k in range(3)]
        return np.array([float(x) for x in pos]), np.array([float(x) for x in vel])


def mp_stumpff(z):
    if z > 0:
        s = mpmath.sqrt(z)
        return (1 - mpmath.cos(s)) / z, (s - mpmath.sin(s)) / s**3
    if z < 0:
        s = mpmath.sqrt(-z)
        return (mpmath.cosh(s) - 1) / (-z), (mpmath.sinh(s) - s) / s**3
    return mpmath.mpf(1) / 2, mpmath.mpf(1) / 6


class UniversalLambert:
    """Lambert's problem in universal variables (Bate, Mueller & White; Curtis algorithm 5.2), with
    the N-revolution transfers on z in (4 pi^2 N^2, 4 pi^2 (N+1)^2)."""

    def __init__(self, r1, r2, mu, prograde=True, dps=40):
        self.dps = dps
        with mpmath.workdps(dps):
            self.r1, self.r2, self.mu = mp_vec(r1), mp_vec(r2), mpmath.mpf(mu)
            self.R1, self.R2 = mpmath.norm(self.r1), mpmath.norm(self.r2)
            theta = mpmath.acos(mp_dot(self.r1, self.r2) / (self.R1 * self.R2))
            if (mp_cross(self.r1, self.r2)[2] < 0) == prograde:
                theta = 2 * mpmath.pi - theta
            self.A = mpmath.sin(theta) * mpmath.sqrt(self.R1 * self.R2 / (1 - mpmath.cos(theta)))

    def _y(self, z):
        C, S = mp_stumpff(z)
        return self.R1 + self.R2 + self.A * (z * S - 1) / mpmath.sqrt(C), C, S

    def tof(self, z):
        y, C, S = self._y(z)
        return ((y / C) ** 1.5 * S + self.A * mpmath.sqrt(y)) / mpmath.sqrt(self.mu)

    def min_tof(self, N):
        """The shortest time of flight with N whole revolutions (golden-section search on z)."""
        with mpmath.workdps(self.dps):
            lo, hi = (2 * mpmath.pi * N) ** 2, (2 * mpmath.pi * (N + 1)) ** 2
            lo, hi = lo + (hi - lo) * mpmath.mpf("1e-6"), hi - (hi - lo) * mpmath.mpf("1e-6")
            k = (mpmath.sqrt(5) - 1) / 2
            for _ in range(90):
                c1, c2 = hi - k * (hi - lo), lo + k * (hi - lo)
                if self.tof(c1) < self.tof(c2):
                    hi = c2
                else:
                    lo = c1
            return float(self.tof((lo + hi) / 2))

    def velocities(self, z):
        y, _, _ = self._y(z)
        f, gg, gdot = 1 - y / self.R1, self.A * mpmath.sqrt(y / self.mu), 1 - y / self.R2
        v1 = [(self.r2[k] - f * self.r1[k]) / gg for k in range(3)]
        v2 = [(gdot * self.r2[k] - self.r1[k]) / gg for k in range(3)]
        return np.array([float(x) for x in v1]), np.array([float(x) for x in v2])

    def zero_rev(self, tof):
        """The zero-revolution solution: t(z) increases from 0 (where y = 0) to infinity (4 pi^2)."""
        with mpmath.workdps(self.dps):
            tof = mpmath.mpf(tof)

            def residual(z):  # t -> 0 as y -> 0+: continue it by 0 where y <= 0
                return (self.tof(z) if self._y(z)[0] > 0 else 0) - tof

            lo, hi = mpmath.mpf(-1), 4 * mpmath.pi**2 * (1 - mpmath.mpf("1e-12"))
            while residual(lo) > 0:
                lo *= 2
            for _ in range(30):  # bisection first: Illinois then converges fast and stays inside
                mid = (lo + hi) / 2
                lo, hi = (mid, hi) if residual(mid) < 0 else (lo, mid)
            z = mpmath.findroot(residual, (lo, hi), solver="illinois")
            assert lo <= z <= hi and self._y(z)[0] > 0
            return self.velocities(z)


@functools.cache
def lambert_reference(r1: tuple, r2: tuple, mu: float, tof: float, prograde: bool = True):
    return UniversalLambert(r1, r2, mu, prograde).zero_rev(tof)


@functools.cache
def propagation_reference(r0: tuple, v0: tuple, dt: float, mu: float, dps: int = 50):
    return mp_propagate(r0, v0, dt, mu, dps)


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b)) / np.linalg.norm(b))


# ---- state_to_elements -------------------------------------------------------------------------

VALLADO_R = [6524.834, 6862.875, 6448.296]
VALLADO_V = [4.901327, 5.533756, -1.976341]


def test_vallado_example_2_5_state_to_elements(g):
    el = g.state_to_elements(VALLADO_R, VALLADO_V, MU_EARTH)
    deg = math.degrees
    # the book's values (its p and a carry the rounding of its intermediate steps: 8e-3 km)
    assert el.p_km == pytest.approx(11067.790, abs=1e-2)
    assert el.a_km == pytest.approx(36127.343, abs=1e-2)
    assert el.ecc == pytest.approx(0.832853, abs=1e-6)
    assert deg(el.inc_rad) == pytest.approx(87.870, abs=1e-3)
    assert deg(el.raan_rad) == pytest.approx(227.898, abs=1e-3)
    assert deg(el.argp_rad) == pytest.approx(53.38, abs=1e-2)
    assert deg(el.nu_rad) == pytest.approx(92.335, abs=1e-3)
    # and the same formulas at 40 digits
    assert list(el) == pytest.approx(mp_elements(VALLADO_R, VALLADO_V, MU_EARTH), rel=1e-13, abs=0)


@pytest.mark.parametrize("seed", range(2))
def test_state_to_elements_matches_40_digits_on_general_conics(g, seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        r = rng.uniform(-4e4, 4e4, 3)
        v = rng.uniform(-9.0, 9.0, 3)
        if np.linalg.norm(r) < 6000:
            continue
        want = mp_elements(r, v, MU_EARTH)
        got = g.state_to_elements(r, v, MU_EARTH)
        assert list(got) == pytest.approx(want, rel=1e-10, abs=1e-10), (r, v)


def circular_speed(r, mu=MU_EARTH):
    return math.sqrt(mu / r)


# (state, expected elements) where the conventions of kepler.py decide the undefined angles:
# equatorial -> raan = 0, argp = longitude of periapsis; circular inclined -> argp = 0, nu =
# argument of latitude; circular equatorial -> nu = true longitude; all angles about h, in [0, 2 pi).
VC = circular_speed(7000.0)
SPECIAL = {
    "equatorial prograde ellipse: argp is the longitude of periapsis": (
        [0.0, 7000.0, 0.0], [-1.2 * VC, 0.0, 0.0], (7000.0 * 1.44, 7000.0 / (2 - 1.44), 0.44, 0.0, 0.0, math.pi / 2, 0.0)),
    "equatorial retrograde ellipse: angles measured about h = -z": (
        [0.0, 7000.0, 0.0], [1.2 * VC, 0.0, 0.0], (7000.0 * 1.44, 7000.0 / (2 - 1.44), 0.44, math.pi, 0.0, 3 * math.pi / 2, 0.0)),
    "circular equatorial: nu is the true longitude": (
        [-7000.0 / math.sqrt(2), -7000.0 / math.sqrt(2), 0.0], [VC / math.sqrt(2), -VC / math.sqrt(2), 0.0],
        (7000.0, 7000.0, 0.0, 0.0, 0.0, 0.0, 5 * math.pi / 4)),
    "circular polar: raan from the node, nu from the node": (
        [0.0, -7000.0, 0.0], [0.0, 0.0, VC], (7000.0, 7000.0, 0.0, math.pi / 2, 3 * math.pi / 2, 0.0, 0.0)),
}


@pytest.mark.parametrize("name", list(SPECIAL))
def test_special_conics_follow_the_documented_conventions(g, name):
    r, v, want = SPECIAL[name]
    el = g.state_to_elements(r, v, MU_EARTH)
    assert list(el) == pytest.approx(list(want), rel=1e-12, abs=1e-12)
    assert all(0.0 <= x < TWO_PI for x in el[4:])


def test_circular_inclined_orbit_gives_argp_zero_and_the_argument_of_latitude(g):
    # i = 60 deg, raan = 100 deg, argument of latitude u = 250 deg, built by hand
    i, raan, u = math.radians(60), math.radians(100), math.radians(250)
    node = np.array([math.cos(raan), math.sin(raan), 0.0])
    w = np.array([math.sin(raan) * math.sin(i), -math.cos(raan) * math.sin(i), math.cos(i)])  # orbit normal
    along = np.cross(w, node)
    r = 7000.0 * (math.cos(u) * node + math.sin(u) * along)
    v = VC * (-math.sin(u) * node + math.cos(u) * along)
    el = g.state_to_elements(r, v, MU_EARTH)
    assert el.ecc < 1e-11
    assert [el.p_km, el.a_km] == pytest.approx([7000.0, 7000.0], rel=1e-12, abs=0)
    assert [el.inc_rad, el.raan_rad, el.argp_rad, el.nu_rad] == pytest.approx([i, raan, 0.0, u], abs=1e-12)


def test_parabola_has_infinite_a_and_hyperbola_negative_a(g):
    r = [7000.0, 0.0, 0.0]
    par = g.state_to_elements(r, [0.0, math.sqrt(2 * MU_EARTH / 7000.0), 0.0], MU_EARTH)
    assert par.a_km == math.inf
    assert par.ecc == pytest.approx(1.0, abs=1e-15) and par.p_km == pytest.approx(14000.0, rel=1e-14)
    # hyperbola at periapsis: e = r v^2 / mu - 1, p = r (1 + e), a = r / (1 - e) < 0
    for speed in (11.0, 15.0, 40.0):
        e = 7000.0 * speed**2 / MU_EARTH - 1
        hyp = g.state_to_elements(r, [0.0, speed, 0.0], MU_EARTH)
        assert [hyp.p_km, hyp.a_km, hyp.ecc] == pytest.approx([7000.0 * (1 + e), 7000.0 / (1 - e), e], rel=1e-13, abs=0)
        assert [hyp.raan_rad, hyp.argp_rad, hyp.nu_rad] == [0.0, 0.0, 0.0]


def test_true_anomaly_just_below_two_pi_stays_below_two_pi(g):
    # a point 1e-9 rad before periapsis on an inclined ellipse: nu = 2 pi - 1e-9, not -1e-9
    p, e, nu = 9000.0, 0.3, -1e-9
    rr = p / (1 + e * math.cos(nu))
    vs = math.sqrt(MU_EARTH / p)
    ci, si = math.cos(0.7), math.sin(0.7)
    P, Q = np.array([1.0, 0.0, 0.0]), np.array([0.0, ci, si])  # raan = 0, argp = 0, i = 0.7
    r = rr * (math.cos(nu) * P + math.sin(nu) * Q)
    v = vs * (-math.sin(nu) * P + (e + math.cos(nu)) * Q)
    el = g.state_to_elements(r, v, MU_EARTH)
    assert el.nu_rad == pytest.approx(TWO_PI - 1e-9, abs=1e-12) and el.nu_rad < TWO_PI
    assert el.inc_rad == pytest.approx(0.7, abs=1e-13)
    assert el.argp_rad < 1e-12 or el.argp_rad > TWO_PI - 1e-12


def test_eccentricity_exactly_at_tolerance_is_not_circular(g):
    """kepler.py: circular means ecc < 1e-11.  Units where the eccentricity vector is exactly
    (-1e-11, 0, 0): r = (1, 0, 0), |v|^2 = 99999999999, mu = 1e11 (the orbit's apoapsis)."""
    v = [0.0, 316227.76601367566, 1.0]
    assert (0.0 + v[1] * v[1]) + v[2] * v[2] == 99999999999.0
    el = g.state_to_elements([1.0, 0.0, 0.0], v, 1e11)
    assert el.ecc == 1e-11
    assert el.raan_rad == 0.0  # node along +x
    assert el.argp_rad == pytest.approx(math.pi, abs=1e-15)  # periapsis opposite r: at apoapsis
    assert el.nu_rad == pytest.approx(math.pi, abs=1e-15)


def test_node_vector_exactly_at_tolerance_is_still_inclined(g):
    """kepler.py: equatorial means |node| < 1e-11 |h|.  r = (1, 0, 0), v = (0, 1, -1e-11): h =
    (0, 1e-11, 1) so |node| = 1e-11 = tol |h| exactly; the ascending node is on -x."""
    el = g.state_to_elements([1.0, 0.0, 0.0], [0.0, 1.0, -1e-11], 1.5)
    assert [el.p_km, el.a_km, el.ecc] == pytest.approx([2 / 3, 0.75, 1 / 3], rel=1e-15, abs=0)
    assert el.raan_rad == pytest.approx(math.pi, abs=1e-15)
    assert el.argp_rad == pytest.approx(0.0, abs=1e-15)  # periapsis at the node (-x)
    assert el.nu_rad == pytest.approx(math.pi, abs=1e-15)


@pytest.mark.parametrize(("r", "v", "mu", "code"), [
    ([7000.0, 0, 0], [7.0, 0, 0], MU_EARTH, CONIC),  # rectilinear
    ([0.0, 0, 0], [0, 7.0, 0], MU_EARTH, CONIC),
    ([7000.0, 0, 0], [0, 7.0, 0], 0.0, CONIC),
    ([7000.0, 0, 0], [0, 7.0, 0], -MU_EARTH, CONIC),
    ([math.nan, 0, 0], [0, 7.0, 0], MU_EARTH, NOTFINITE),
    ([7000.0, 0, 0], [0, math.inf, 0], MU_EARTH, NOTFINITE),
    ([7000.0, 0, 0], [0, 7.0, 0], math.nan, NOTFINITE),
])
def test_state_to_elements_refuses(g, r, v, mu, code):
    with pytest.raises(GuidanceError) as err:
        g.state_to_elements(r, v, mu)
    assert err.value.code == code


@pytest.mark.parametrize("bad", range(7))
def test_elements_to_state_refuses_any_non_finite_element(g, bad):
    args = [9000.0, 0.1, 0.5, 1.0, 2.0, 3.0, MU_EARTH]
    args[bad] = math.nan
    with pytest.raises(GuidanceError) as err:
        g.elements_to_state(*args)
    assert err.value.code == NOTFINITE


# ---- propagate_kepler --------------------------------------------------------------------------

def test_vallado_example_2_4_and_curtis_example_3_7_propagation(g):
    # Vallado (4th ed.) Example 2-4: 40 min on an ellipse; the book's values hold to its last digit
    r0, v0 = (1131.340, -2282.343, 6672.423), (-5.64305, 4.30333, 2.42879)
    r, v = g.propagate_kepler(r0, v0, 40 * 60, MU_EARTH)
    assert r == pytest.approx([-4219.7527, 4363.0292, -3958.7666], abs=1e-4)
    assert v == pytest.approx([3.689866, -1.916735, -6.112511], abs=1e-6)
    r_ref, v_ref = propagation_reference(r0, v0, 2400.0, MU_EARTH)
    assert rel(r, r_ref) < 1e-13 and rel(v, v_ref) < 1e-13
    # Curtis Example 3.7 (mu = 398600): the book rounds its intermediate chi, so its v_y is
    # -0.96309 where 50 digits give -0.964045
    r0, v0 = (7000.0, -12124.0, 0.0), (2.6679, 4.6210, 0.0)
    r, v = g.propagate_kepler(r0, v0, 3600, 398600.0)
    assert r[:2] == pytest.approx([-3297.8, 7413.4], abs=0.1)
    assert v[:2] == pytest.approx([-8.2977, -0.96309], abs=1.5e-3)
    r_ref, v_ref = propagation_reference(r0, v0, 3600.0, 398600.0)
    assert rel(r, r_ref) < 1e-13 and rel(v, v_ref) < 1e-13


def hyperbola(ar, cos_fpa, r0=7000.0, mu=MU_EARTH):
    """A state at r0 on the x axis with alpha r0 = ar (< 0: hyperbola) and the velocity at
    angle acos(cos_fpa) from the radial direction."""
    v = math.sqrt((2 - ar) * mu / r0)
    return [r0, 0.0, 0.0], [v * cos_fpa, v * math.sqrt(1 - cos_fpa**2), 0.0]


TU = math.sqrt(7000.0**3 / MU_EARTH)  # s


@pytest.mark.parametrize(("ar", "cos_fpa", "dt_tu"), [
    (-3.0, -0.9, 1e3),  # inbound at 16.9 km/s, 10.7 days: through periapsis and out
    (-3.0, 0.0, 1e2),
    (-3.0, 0.0, -1e3),
    (-10.0, 0.9, -1e2),
    (-1.0, -0.999, 1e5),
    (-30.0, 0.0, 1e5),
])
def test_hyperbolic_propagation_matches_50_digits(g, ar, cos_fpa, dt_tu):
    r0, v0 = hyperbola(ar, cos_fpa)
    r, v = g.propagate_kepler(r0, v0, dt_tu * TU, MU_EARTH)
    r_ref, v_ref = propagation_reference(tuple(r0), tuple(v0), dt_tu * TU, MU_EARTH)
    assert rel(r, r_ref) < 1e-11 and rel(v, v_ref) < 1e-11


@pytest.mark.parametrize(("cos_fpa", "dt"), [(-(1 - 1e-5), 1e4), (-(1 - 1e-5), 1e6), (1 - 1e-5, -1e4), (1 - 1e-5, -1e6)])
def test_fast_nearly_radial_hyperbola_through_a_close_periapsis(g, cos_fpa, dt):
    """76 km/s at 7000 km, 0.26 deg off radial (periapsis 7 km from the centre), propagated through
    periapsis: the terms of the Kepler residual nearly cancel there, which tests its stop rule."""
    r0, v0 = hyperbola(-100.0, cos_fpa)
    r, v = g.propagate_kepler(r0, v0, dt, MU_EARTH)
    r_ref, v_ref = propagation_reference(tuple(r0), tuple(v0), dt, MU_EARTH)
    assert rel(r, r_ref) < 1e-10 and rel(v, v_ref) < 1e-10


MU_SUN = 1.32712440018e11
HELIOCENTRIC = {  # (r km, v km/s, dt s, tolerance): start states from elements_to_state, dt within a period
    "comet a = 970 au, e = 0.9992, 30 000 years on": (
        [-363159041.6334028, 17053942.35652037, -367091645.85772336],
        [-7.815262780520806, -5.520264371246682, -20.524984296301312], 958175381153.2563, 1e-8),
    "comet e = 0.999993, 300 000 years back": (
        [-3169418.4913240727, -16975722.95287076, 9801036.843055023],
        [-110.86803278415263, -32.39658297852502, 5.082506675999298], -9480348277423.072, 1e-10),
    "near-circular orbit at 0.12 au, 5 days back": (
        [-13333477.05565277, 9550762.737959284, -6826447.715543278],
        [-31.53619673302834, 14.731663235223916, 78.95653157294132], -436025.46538363217, 1e-13),
}


@pytest.mark.parametrize("name", list(HELIOCENTRIC))
def test_heliocentric_ellipses_match_50_digits(g, name):
    """The first guess of an elliptic propagation is within a revolution of the answer (dt is
    reduced modulo the period): from dozens of revolutions away, Laguerre-Conway can cycle."""
    r0, v0, dt, tol = HELIOCENTRIC[name]
    r, v = g.propagate_kepler(r0, v0, dt, MU_SUN)
    r_ref, v_ref = propagation_reference(tuple(r0), tuple(v0), dt, MU_SUN)
    assert rel(r, r_ref) < tol and rel(v, v_ref) < tol


@pytest.mark.parametrize("dt_tu", [1e-6, -1e-6, 1e-5, -1e-5])
@pytest.mark.parametrize(("ar", "cos_fpa"), [(-10.0, 0.999), (-10.0, -0.999), (-300.0, 0.999), (-300.0, -0.999)])
def test_short_steps_on_nearly_radial_hyperbolas(g, ar, cos_fpa, dt_tu):
    r0, v0 = hyperbola(ar, cos_fpa)
    r, v = g.propagate_kepler(r0, v0, dt_tu * TU, MU_EARTH)
    r_ref, v_ref = propagation_reference(tuple(r0), tuple(v0), dt_tu * TU, MU_EARTH)
    assert rel(r, r_ref) < 1e-12 and rel(v, v_ref) < 1e-12


def test_nearly_parabolic_hyperbola_far_out(g):
    """alpha r0 = -2^-45 (inside the band |alpha| r0 < 1e-12 where the first guess is the
    parabolic one), exactly representable: r = (1, 0, 0), |v|^2 = 2 + 2^-45, mu = 1.  After
    dt = 1e86 the hyperbolic anomaly is about 150 (cosh 150 = 7e64)."""
    v0 = [0.0, 1 - 2.0**-23, 1 + 2.0**-23]  # squares and their sum exact
    assert v0[1] * v0[1] + v0[2] * v0[2] == 2 + 2.0**-45
    r, v = g.propagate_kepler([1.0, 0.0, 0.0], v0, 1e86, 1.0)
    r_ref, v_ref = propagation_reference((1.0, 0.0, 0.0), tuple(v0), 1e86, 1.0, dps=120)
    assert rel(r, r_ref) < 1e-12 and rel(v, v_ref) < 1e-8


@pytest.mark.parametrize("dt", [1e9, 1e12, 1e15, -1e15])
def test_nearly_parabolic_hyperbola_just_outside_the_parabolic_guess_band(g, dt):
    """alpha r0 = -2^-37 = -7.3e-12 exactly (r = (1, 0, 0), v = (0, 1 - 2^-19, 1 + 2^-19),
    mu = 1): just outside |alpha| r0 < 1e-12, so the first guess is the hyperbolic one, and long
    steps converge.  The velocity's transverse part comes from a cancellation, hence 1e-10."""
    v0 = [0.0, 1 - 2.0**-19, 1 + 2.0**-19]
    assert 2.0 - (v0[1] * v0[1] + v0[2] * v0[2]) == -(2.0**-37)
    r, v = g.propagate_kepler([1.0, 0.0, 0.0], v0, dt, 1.0)
    r_ref, v_ref = propagation_reference((1.0, 0.0, 0.0), tuple(v0), dt, 1.0, dps=60)
    assert rel(r, r_ref) < 1e-13 and rel(v, v_ref) < 1e-10


# r0 = 1e-12 * 2^53 km: then 1e-12 / r0 = 2^-53 exactly, and with mu = 398600 these speeds give
# alpha = 2 / r0 - v^2 / mu = -1e-12 / r0 exactly: the edge of the hyperbolic first guess
EDGE_R0 = 1e-12 * 2.0**53
EDGE_V_HYPERBOLIC = 9.40781481127056


def test_alpha_exactly_at_the_hyperbolic_guess_edge(g):
    r0 = math.sqrt(EDGE_R0 * EDGE_R0)
    assert 2.0 / r0 - (EDGE_V_HYPERBOLIC * EDGE_V_HYPERBOLIC) / 398600.0 == -1e-12 / r0
    for dt in (1.0, 1e3, -1e6):
        r, v = g.propagate_kepler([EDGE_R0, 0, 0], [0, EDGE_V_HYPERBOLIC, 0], dt, 398600.0)
        r_ref, v_ref = propagation_reference((EDGE_R0, 0, 0), (0, EDGE_V_HYPERBOLIC, 0), dt, 398600.0)
        assert rel(r, r_ref) < 1e-11 and rel(v, v_ref) < 1e-11


@pytest.mark.parametrize("dt", [1e-300, -1e-100, 1e-60, 1e-20])
@pytest.mark.parametrize("speed", [EDGE_V_HYPERBOLIC, 7.0, math.sqrt(2 * 398600.0 / EDGE_R0)])
def test_short_steps_at_the_parabolic_edge(g, speed, dt):
    """A step of dt from r0 moves the state by v0 dt (and the velocity by -mu r0 dt / r0^3): at
    alpha = -1e-12/r0 exactly, on an ellipse and on the numerical parabola."""
    r0, v0 = np.array([EDGE_R0, 0.0, 0.0]), np.array([0.0, speed, 0.0])
    r, v = g.propagate_kepler(r0, v0, dt, 398600.0)
    accel = -398600.0 / EDGE_R0**2
    np.testing.assert_allclose(r, r0 + v0 * dt + np.array([accel * dt * dt / 2, 0, 0]), rtol=1e-12, atol=0)
    np.testing.assert_allclose(v, v0 + np.array([accel * dt, 0, 0]), rtol=1e-12, atol=1e-300)


SERIES_Z = [0.1, -0.1, 0.0999999, -0.0999999, 0.05, -0.05, 1e-3, -1e-3, 0.0]
CLOSED_FORM_Z = [0.100001, -0.100001, 0.2, -0.2, 1.0, -1.0, 30.0, -30.0, 1000.0, -1000.0]


@pytest.mark.parametrize(("z", "rel"), [(z, 4e-16) for z in SERIES_Z] + [(z, 3e-14) for z in CLOSED_FORM_Z])
def test_stumpff_to_the_last_bits(z, rel):
    """|z| <= 0.1: the Taylor series, good to an ulp or two; beyond, the closed forms, which lose a
    few bits to cancellation just past |z| = 0.1."""
    c, s = kepler.stumpff(z)
    with mpmath.workdps(40):
        c_ref, s_ref = mp_stumpff(mpmath.mpf(z))
    assert c == pytest.approx(float(c_ref), rel=rel, abs=0)
    assert s == pytest.approx(float(s_ref), rel=rel, abs=0)


@pytest.mark.parametrize(("mu", "r0"), [(0.0, [7000.0, 0, 0]), (-1.0, [7000.0, 0, 0]), (MU_EARTH, [0.0, 0, 0])])
def test_propagate_refuses_no_orbit(g, mu, r0):
    with pytest.raises(GuidanceError) as err:
        g.propagate_kepler(r0, [0, 7.0, 0], 60.0, mu)
    assert err.value.code == CONIC


# ---- Lambert -----------------------------------------------------------------------------------

def test_curtis_example_5_2_lambert(g):
    # Curtis, Example 5.2 (mu = 398600): the book's 5 significant figures
    (v1, v2, revs), = g.lambert(398600.0, [5000, 10000, 2100], [-14600, 2500, 7000], 3600)
    assert v1 == pytest.approx([-5.9925, 1.9254, 3.2456], abs=1e-4)
    assert v2 == pytest.approx([-3.3125, -4.1966, -0.38529], abs=1e-4)
    ref = lambert_reference((5000, 10000, 2100), (-14600, 2500, 7000), 398600.0, 3600.0)
    assert rel(v1, ref[0]) < 1e-12 and rel(v2, ref[1]) < 1e-12
    assert revs == 0


def euler_parabolic_tof(r1, r2, mu, long_way):
    """Euler's equation: the parabolic transfer time sqrt(2/mu)/3 (s^1.5 -/+ (s - c)^1.5)."""
    with mpmath.workdps(40):
        r1, r2 = mp_vec(r1), mp_vec(r2)
        c = mpmath.norm([b - a for a, b in zip(r1, r2, strict=True)])
        s = (mpmath.norm(r1) + mpmath.norm(r2) + c) / 2
        sign = 1 if long_way else -1
        return float(mpmath.sqrt(2 / mpmath.mpf(mu)) / 3 * (s**1.5 + sign * (s - c) ** 1.5))


@pytest.mark.parametrize("factor", [1 - 1e-12, 1 + 1e-12])
@pytest.mark.parametrize(("r2", "prograde"), [
    ([-3000.0, 9000.0, 1500.0], True),
    ([-3000.0, 9000.0, 1500.0], False),
    ([2000.0, -20000.0, 0.0], True),
    ([6000.0, 500.0, 0.0], True),
])
def test_lambert_in_the_parabolic_time_is_a_parabola(g, r2, prograde, factor):
    """Within 1e-12 of Euler's parabolic time of flight the transfer has (almost) zero energy:
    |v| = sqrt(2 mu / r) at both ends to 1e-11 (x = 1, where the kernels use Battin's series).
    (Exactly at Euler's time the first guess is x = 1, where dtdx divides 0 by 0: not here.)"""
    r1 = [7000.0, 0.0, 0.0]
    long_way = (np.cross(r1, r2)[2] < 0) == prograde
    tof = factor * euler_parabolic_tof(r1, r2, MU_EARTH, long_way)
    (v1, v2, _), = g.lambert(MU_EARTH, r1, r2, tof, prograde)
    assert np.linalg.norm(v1) == pytest.approx(math.sqrt(2 * MU_EARTH / 7000.0), rel=1e-11, abs=0)
    assert np.linalg.norm(v2) == pytest.approx(math.sqrt(2 * MU_EARTH / np.linalg.norm(r2)), rel=1e-11, abs=0)
    ref = lambert_reference(tuple(r1), tuple(r2), MU_EARTH, tof, prograde)
    assert rel(v1, ref[0]) < 1e-11 and rel(v2, ref[1]) < 1e-11


@pytest.mark.parametrize("factor", [0.995, 0.999, 1.001, 1.005])
@pytest.mark.parametrize(("r2", "prograde"), [
    ([-3000.0, 9000.0, 1500.0], True),
    ([-3000.0, 9000.0, 1500.0], False),
    ([2000.0, -20000.0, 0.0], True),
])
def test_lambert_near_the_parabolic_time(g, r2, prograde, factor):
    """Within 0.5 % of the parabolic time (|x - 1| < 0.01: Battin's series) the solution is as
    accurate as elsewhere: 1e-13."""
    r1 = [7000.0, 0.0, 0.0]
    long_way = (np.cross(r1, r2)[2] < 0) == prograde
    tof = factor * euler_parabolic_tof(r1, r2, MU_EARTH, long_way)
    (v1, v2, _), = g.lambert(MU_EARTH, r1, r2, tof, prograde)
    ref = lambert_reference(tuple(r1), tuple(r2), MU_EARTH, tof, prograde)
    assert rel(v1, ref[0]) < 1e-13 and rel(v2, ref[1]) < 1e-13


@pytest.mark.parametrize("factor", [1.05, 1.2])
@pytest.mark.parametrize("angle", [1e-4, 3e-5])
def test_short_hop_at_about_escape_speed(g, angle, factor):
    """r2 0.2-0.7 km along the circle from r1 (lambda = 0.99999...), 5-20 % slower than the
    parabola: x between 0 and 1, far from the first guess's usual range.  The chord is known to
    1e-12 relative only, hence 1e-9."""
    r1, r2 = (7000.0, 0.0, 0.0), (7000.0 * math.cos(angle), 7000.0 * math.sin(angle), 0.0)
    tof = factor * euler_parabolic_tof(r1, r2, MU_EARTH, False)
    (v1, v2, _), = g.lambert(MU_EARTH, r1, r2, tof)
    ref = lambert_reference(r1, r2, MU_EARTH, tof)
    assert rel(v1, ref[0]) < 1e-9 and rel(v2, ref[1]) < 1e-9


def nearly_full_circle(gap_rad, R=7000.0):
    """r1 and r2 on a circle of radius R, r2 gap_rad short of a full prograde revolution."""
    th = TWO_PI - gap_rad
    return [R, 0.0, 0.0], [R * math.cos(th), R * math.sin(th), 0.0]


@functools.cache
def min_tof_near_full_circle(n: int) -> float:
    r1, r2 = nearly_full_circle(0.002)
    return UniversalLambert(r1, r2, MU_EARTH, dps=30).min_tof(n)


@pytest.mark.parametrize(("T_nondim", "max_revs"), [(6.0, 1), (9.2, 2), (12.4, 3), (12.4, 5)])
def test_multi_revolution_solutions_exist_just_above_the_minimum_time(g, T_nondim, max_revs):
    """lambda = -0.999 (r2 0.002 rad short of a full circle): the minimum times of flight of the
    N-revolution transfers, from the universal variable, decide how many solutions there are."""
    r1, r2 = nearly_full_circle(0.002)
    s = (7000.0 + 7000.0 + math.dist(r1, r2)) / 2
    tof = T_nondim / math.sqrt(2 * MU_EARTH / s**3)
    fits = [n for n in range(1, max_revs + 1) if min_tof_near_full_circle(n) < tof]
    expected = [0] + [n for n in fits for _ in range(2)]
    sols = g.lambert(MU_EARTH, r1, r2, tof, True, max_revs)
    assert [s.revs for s in sols] == expected
    assert len(expected) == 2 * math.floor(T_nondim / math.pi) + 1  # every N up to T / pi fits here
    for sol in sols:
        r, v = mp_propagate(r1, sol.v1_km_s, tof, MU_EARTH, dps=40)
        assert rel(r, r2) < 1e-8 and rel(v, sol.v2_km_s) < 1e-8


@pytest.mark.parametrize("T_nondim", [3.3, 4.0, 5.5])
def test_no_multi_revolution_solution_below_the_minimum_time(g, T_nondim):
    """lambda = -0.99 (r2 0.0201 rad short of a full circle): the one-revolution transfers need
    T >= 5.745 (universal variable), so below it max_revs = 1 gives the direct transfer only."""
    gap = 2 * math.asin((1 - 0.99**2) / (1 + 0.99**2))  # chord 2 R (1 - l^2) / (1 + l^2)
    r1, r2 = nearly_full_circle(gap)
    s = (14000.0 + math.dist(r1, r2)) / 2
    tof = T_nondim / math.sqrt(2 * MU_EARTH / s**3)
    assert UniversalLambert(r1, r2, MU_EARTH, dps=30).min_tof(1) > 1.03 * tof
    sols = g.lambert(MU_EARTH, r1, r2, tof, True, 1)
    assert [sol.revs for sol in sols] == [0]
    ref = lambert_reference(tuple(r1), tuple(r2), MU_EARTH, tof)
    assert rel(sols[0].v1_km_s, ref[0]) < 1e-10 and rel(sols[0].v2_km_s, ref[1]) < 1e-10


def test_vallado_example_7_5_lambert_both_ways(g):
    r1, r2, tof = [15945.34, 0.0, 0.0], [12214.83899, 10249.46731, 0.0], 76 * 60
    (v1, v2, _), = g.lambert(MU_EARTH, r1, r2, tof)
    assert v1 == pytest.approx([2.058913, 2.915965, 0], abs=1e-6)
    assert v2 == pytest.approx([-3.451565, 0.910315, 0], abs=1e-6)
    ref = lambert_reference(tuple(r1), tuple(r2), MU_EARTH, tof)
    assert rel(v1, ref[0]) < 1e-12 and rel(v2, ref[1]) < 1e-12
    (w1, w2, _), = g.lambert(MU_EARTH, r1, r2, tof, prograde=False)
    ref = lambert_reference(tuple(r1), tuple(r2), MU_EARTH, tof, False)
    assert rel(w1, ref[0]) < 1e-12 and rel(w2, ref[1]) < 1e-12


@pytest.mark.parametrize(("args", "code"), [
    ((MU_EARTH, [math.nan, 0, 0], [0, 8000.0, 0], 3000.0), NOTFINITE),
    ((MU_EARTH, [7000.0, 0, 0], [0, 8000.0, math.inf], 3000.0), NOTFINITE),
    ((MU_EARTH, [7000.0, 0, 0], [0, 8000.0, 0], math.nan), NOTFINITE),
    ((MU_EARTH, [7000.0, 0, 0], [0, 8000.0, 0], math.inf), NOTFINITE),
    ((math.nan, [7000.0, 0, 0], [0, 8000.0, 0], 3000.0), NOTFINITE),
    ((math.inf, [7000.0, 0, 0], [0, 8000.0, 0], 3000.0), NOTFINITE),
    ((0.0, [7000.0, 0, 0], [0, 8000.0, 0], 3000.0), CONIC),
    ((-MU_EARTH, [7000.0, 0, 0], [0, 8000.0, 0], 3000.0), CONIC),
    ((MU_EARTH, [7000.0, 0, 0], [0, 8000.0, 0], 0.0), TOF),
    ((MU_EARTH, [7000.0, 0, 0], [7000.0, 0, 0], 3000.0), PLANE),
])
def test_lambert_refuses(g, args, code):
    with pytest.raises(GuidanceError) as err:
        g.lambert(*args)
    assert err.value.code == code


def test_lambert_batch_is_lambert_row_by_row(g):
    rng = np.random.default_rng(11)
    n = 40
    r1 = rng.uniform(-2e4, 2e4, (n, 3))
    r2 = rng.uniform(-2e4, 2e4, (n, 3))
    tof = rng.uniform(600, 4e4, n)
    r2[7] = 2 * r1[7]  # parallel: PLANE
    tof[19] = -1.0  # TOF
    r1[23, 1] = math.nan  # NOTFINITE
    v1, v2, status = g.lambert_batch(MU_EARTH, r1, r2, tof)
    assert v1.shape == v2.shape == (n, 3) and status.shape == (n,)
    for i in range(n):
        try:
            (w1, w2, _), = g.lambert(MU_EARTH, r1[i], r2[i], tof[i])
        except GuidanceError as err:
            assert status[i] == err.code and np.isnan(v1[i]).all() and np.isnan(v2[i]).all()
            continue
        assert status[i] == 0
        assert np.array_equal(v1[i], w1) and np.array_equal(v2[i], w2)
    assert status[[7, 19, 23]].tolist() == [PLANE, TOF, NOTFINITE]


# ---- the C entry points' own contracts (through cffi) ------------------------------------------

def test_c_planet_state_refuses_unknown_body_ids():
    from zarya._native import ffi, lib
    r, v = ffi.new("double[3]"), ffi.new("double[3]")
    for body in (0, -1, 9, 100):
        assert lib.planet_state(body, 2451545.0, r, v) == BODY
    for body in range(1, 9):
        assert lib.planet_state(body, 2451545.0, r, v) == 0


def test_c_lambert_reports_no_solutions_on_error():
    from zarya._native import ffi, lib
    r1, r2 = ffi.new("double[3]", [7000.0, 0, 0]), ffi.new("double[3]", [0, 8000.0, 0])
    v1, v2, revs, n = ffi.new("double[3]"), ffi.new("double[3]"), ffi.new("int[1]"), ffi.new("size_t *", 99)
    assert lib.lambert(MU_EARTH, r1, r2, 0.0, 1, 0, v1, v2, revs, n) == TOF
    assert n[0] == 0


def test_c_porkchop_to_and_from_mercury():
    g = backends.guidance("c")
    grid = g.porkchop("mercury", "venus", [2461000.5, 2461010.5], [2461100.5, 2461130.5])
    assert np.isfinite(grid.c3_km2_s2).all()
    grid = g.porkchop("venus", "mercury", [2461000.5], [2461100.5])
    assert np.isfinite(grid.c3_km2_s2).all()


def mp_x2tof(x, n_revs, lam, dps=40):
    """Izzo's non-dimensional time of flight from Lancaster-Blanchard's closed form, at 40 digits:
    the reference for the mirror's series branch near x = 1, where it computes something else."""
    with mpmath.workdps(dps):
        x, lam = mpmath.mpf(x), mpmath.mpf(lam)
        a = 1 / (1 - x * x)
        if a > 0:
            alfa = 2 * mpmath.acos(x)
            beta = 2 * mpmath.asin(mpmath.sqrt(lam * lam / a)) * (-1 if lam < 0 else 1)
            return float(a * mpmath.sqrt(a) * ((alfa - mpmath.sin(alfa)) - (beta - mpmath.sin(beta))
                                               + 2 * mpmath.pi * n_revs) / 2)
        alfa = 2 * mpmath.acosh(x)
        beta = 2 * mpmath.asinh(mpmath.sqrt(-lam * lam / a)) * (-1 if lam < 0 else 1)
        return float(-a * mpmath.sqrt(-a) * ((beta - mpmath.sinh(beta)) - (alfa - mpmath.sinh(alfa))) / 2)


@pytest.mark.parametrize("n_revs", [0, 1, 3])
@pytest.mark.parametrize("lam", [-0.7, -0.2, 0.3, 0.9])
@pytest.mark.parametrize("x", [0.991, 0.995, 0.9995])
def test_the_mirrors_series_branch_near_x_1_matches_the_closed_form_for_every_revolution_count(x, lam, n_revs):
    # |x - 1| < 0.01 takes Battin's hypergeometric series plus N pi / rho^1.5 for the revolutions;
    # an elliptic x there with N >= 1 is a very long multi-revolution transfer
    assert lambert.x2tof(x, n_revs, lam) == pytest.approx(mp_x2tof(x, n_revs, lam), rel=1e-9, abs=0)
