"""Kepler propagation and Lambert against textbook vectors and against each other."""

import math

import numpy as np
import pytest

from zarya import backends
from zarya.guidance.api import GuidanceError

g = backends.guidance()
MU_EARTH = 398600.4418


def test_vallado_example_2_4_kepler():
    # Vallado, Fundamentals of Astrodynamics and Applications (4th ed.), Example 2-4
    r, v = g.propagate_kepler([1131.340, -2282.343, 6672.423], [-5.64305, 4.30333, 2.42879], 40 * 60, MU_EARTH)
    assert r == pytest.approx([-4219.7527, 4363.0292, -3958.7666], abs=1e-3)
    assert v == pytest.approx([3.689866, -1.916735, -6.112511], abs=1e-6)


def test_curtis_example_3_7_kepler():
    # Curtis, Orbital Mechanics for Engineering Students, Example 3.7 (5 significant figures,
    # hand-rounded intermediate values: agreement to 1e-3 relative)
    r, v = g.propagate_kepler([7000, -12124, 0], [2.6679, 4.6210, 0], 3600, 398600)
    assert r[:2] == pytest.approx([-3297.8, 7413.4], rel=1e-3)
    assert v[:2] == pytest.approx([-8.2977, -0.96309], rel=2e-3)


def test_curtis_example_5_2_lambert():
    # Curtis, Example 5.2
    (v1, v2, revs), = g.lambert(398600, [5000, 10000, 2100], [-14600, 2500, 7000], 3600)
    assert v1 == pytest.approx([-5.9925, 1.9254, 3.2456], abs=1e-4)
    assert v2 == pytest.approx([-3.3125, -4.1966, -0.38529], abs=1e-4)
    assert revs == 0


def test_vallado_example_7_5_lambert():
    # Vallado (4th ed.), Example 7-5, short way
    (v1, v2, _), = g.lambert(MU_EARTH, [15945.34, 0, 0], [12214.83899, 10249.46731, 0], 76 * 60)
    assert v1 == pytest.approx([2.058913, 2.915965, 0], abs=1e-6)
    assert v2 == pytest.approx([-3.451565, 0.910315, 0], abs=1e-6)


def energy_and_momentum(r, v, mu):
    return np.dot(v, v) / 2 - mu / np.linalg.norm(r), np.cross(r, v)


@pytest.mark.parametrize("v0", [[0, 7.5, 1.0], [0, 10.6, 0.5], [0, 10.6905, 0.0], [0, 10.6906, 0], [0, 14.0, 2.0]])
def test_propagation_conserves_energy_and_momentum_on_every_conic(v0):
    r0 = [7000.0, 0, 0]  # v0 spans ellipse, near-parabolic (escape 10.6905 km/s) and hyperbola
    e0, h0 = energy_and_momentum(r0, v0, MU_EARTH)
    for dt in (-86400.0, -600.0, 600.0, 86400.0):
        r, v = g.propagate_kepler(r0, v0, dt, MU_EARTH)
        e1, h1 = energy_and_momentum(r, v, MU_EARTH)
        assert e1 == pytest.approx(e0, rel=1e-9, abs=1e-9)
        assert h1 == pytest.approx(h0, rel=1e-10, abs=1e-6)
        back, _vback = g.propagate_kepler(r, v, -dt, MU_EARTH)
        assert back == pytest.approx(r0, abs=1e-5)


def test_many_revolutions_return_to_the_start():
    r0, v0 = [7000.0, 0, 0], [0, 8.0, 1.0]
    a = 1 / (2 / 7000 - 65 / MU_EARTH)
    period = 2 * math.pi * math.sqrt(a**3 / MU_EARTH)
    r, _v = g.propagate_kepler(r0, v0, 10000 * period, MU_EARTH)
    assert r == pytest.approx(r0, abs=1e-3)


def test_elements_round_trip_every_kind_of_orbit():
    cases = [(9000, 0.1, 0.5, 1.0, 2.0, 3.0), (7000, 0.0, 0.3, 1.0, 0.0, 2.0), (8000, 0.2, 0.0, 0.0, 1.0, 0.5),
             (7000, 0.0, 0.0, 0.0, 0.0, 4.0), (14000, 1.0, 0.4, 1.0, 1.0, 1.0), (20000, 2.5, 2.0, 3.0, 0.5, 0.3),
             (9000, 0.3, math.pi, 0.0, 1.0, 1.0)]
    for p, e, i, raan, argp, nu in cases:
        r, v = g.elements_to_state(p, e, i, raan, argp, nu, MU_EARTH)
        el = g.state_to_elements(r, v, MU_EARTH)
        r2, v2 = g.elements_to_state(el.p_km, el.ecc, el.inc_rad, el.raan_rad, el.argp_rad, el.nu_rad, MU_EARTH)
        assert r2 == pytest.approx(r, rel=1e-10, abs=1e-6), (p, e, i)
        assert v2 == pytest.approx(v, rel=1e-10, abs=1e-9), (p, e, i)
        assert el.p_km == pytest.approx(p) and el.ecc == pytest.approx(e, abs=1e-10)


def test_lambert_multi_revolution_solutions_all_reach_r2():
    r1, r2, tof = [7000.0, 0, 0], [0, 8000.0, 100.0], 2.5 * 86400
    sols = g.lambert(MU_EARTH, r1, r2, tof, prograde=True, max_revs=20)
    assert [s.revs for s in sols][:3] == [0, 1, 1]
    assert len(sols) > 5 and len(sols) % 2 == 1
    for s in sols:
        r, _ = g.propagate_kepler(r1, s.v1_km_s, tof, MU_EARTH)
        assert r == pytest.approx(r2, abs=1e-4)


def test_retrograde_lambert_goes_the_other_way():
    r1, r2 = [7000.0, 0, 0], [0, 8000.0, 0]
    pro = g.lambert(MU_EARTH, r1, r2, 3000)[0]
    retro = g.lambert(MU_EARTH, r1, r2, 3000, prograde=False)[0]
    assert np.cross(r1, pro.v1_km_s)[2] > 0 > np.cross(r1, retro.v1_km_s)[2]
    r, _ = g.propagate_kepler(r1, retro.v1_km_s, 3000, MU_EARTH)
    assert r == pytest.approx(r2, abs=1e-5)


@pytest.mark.parametrize(("r2", "tof", "match"), [
    ([14000.0, 0, 0], 3000, "parallel"),
    ([-14000.0, 0, 0], 3000, "parallel"),
    ([0, 8000.0, 0], 0.0, "time of flight must be > 0"),
    ([0, 8000.0, 0], -5.0, "time of flight must be > 0"),
    ([0, math.nan, 0], 3000, "not finite"),
])
def test_lambert_degenerate_input_is_refused(r2, tof, match):
    with pytest.raises(GuidanceError, match=match):
        g.lambert(MU_EARTH, [7000.0, 0, 0], r2, tof)


def test_lambert_batch_reports_per_problem_status():
    r1 = [[7000.0, 0, 0]] * 3
    r2 = [[0, 8000.0, 0], [14000.0, 0, 0], [0, 9000.0, 0]]
    v1, v2, status = g.lambert_batch(MU_EARTH, r1, r2, [3000, 3000, -1])
    assert status.tolist() == [0, 23, 22]
    assert np.isfinite(v1[0]).all() and np.isnan(v1[1]).all() and np.isnan(v2[2]).all()
    assert v1[0] == pytest.approx(g.lambert(MU_EARTH, r1[0], r2[0], 3000)[0].v1_km_s)
