"""Lambert solves per second (C batch, Python mirror, pykep 3, lamberthub) and the wall time of
the 2026 Earth-Mars porkchop at 1-day resolution, in one run."""

import numpy as np
import pytest

from benchmarks.conftest import ratio, record
from benchmarks.peers import import_lamberthub, import_pykep
from zarya import backends
from zarya.guidance.planner import porkchop_window
from zarya.guidance.timescale import parse_date
from zarya.units import DAY_S, MU_SUN_KM3_S2

N = 100_000  # problems per batch; slower solvers run a slice and are scaled to N
N_PEER = 20_000
N_MIRROR = 2_000

ratio("C lambert_batch vs pykep 3 (per solve)", "lambert.c_batch", "lambert.pykep", 3.0)
ratio("C lambert_batch vs lamberthub izzo2015 (per solve)", "lambert.c_batch", "lambert.lamberthub", 1.0)
ratio("C lambert_batch vs Python mirror (per solve)", "lambert.c_batch", "lambert.python_mirror", 100.0)
ratio("2026 porkchop, 1-day grid: under 1 s (ratio 1 s / time)", "porkchop.2026_1day", "porkchop.one_second", 1.0)


@pytest.fixture(scope="module")
def problems():
    """Earth-Mars transfers across the 2026 window: realistic heliocentric geometry."""
    g = backends.guidance("c")
    rng = np.random.default_rng(3)
    dep = parse_date("2026-09-01") + rng.uniform(0, 150, N)
    tof_d = rng.uniform(120, 400, N)
    r1 = np.array([g.planet_state("earth", jd)[0] for jd in dep[:1000]])
    r2 = np.array([g.planet_state("mars", jd)[0] for jd in (dep + tof_d)[:1000]])
    return np.tile(r1, (N // 1000, 1)), np.tile(r2, (N // 1000, 1)), tof_d * DAY_S


def test_c_batch(benchmark, problems):
    r1, r2, tof = problems
    _v1, _, status = benchmark(backends.guidance("c").lambert_batch, MU_SUN_KM3_S2, r1, r2, tof)
    assert (status == 0).mean() > 0.99
    record("lambert.c_batch", benchmark)


def test_python_mirror(benchmark, problems):
    r1, r2, tof = (a[:N_MIRROR] for a in problems)
    benchmark.pedantic(backends.guidance("python").lambert_batch, (MU_SUN_KM3_S2, r1, r2, tof), rounds=3, iterations=1)
    record("lambert.python_mirror", benchmark, scale=N / N_MIRROR)


def test_pykep(benchmark, problems):
    pk, why = import_pykep()
    if pk is None:
        pytest.skip(why)
    r1, r2, tof = (a[:N_PEER].tolist() for a in problems)

    def solve_all():
        return [pk.lambert_problem(r0=a, r1=b, tof=t, mu=MU_SUN_KM3_S2).v0[0] for a, b, t in zip(r1, r2, tof, strict=True)]

    v1 = benchmark.pedantic(solve_all, rounds=3, iterations=1)
    ours = backends.guidance("c").lambert_batch(MU_SUN_KM3_S2, problems[0][:50], problems[1][:50], problems[2][:50])[0]
    np.testing.assert_allclose(np.array(v1[:50]), ours, rtol=1e-8)
    record("lambert.pykep", benchmark, scale=N / N_PEER)


def test_lamberthub(benchmark, problems):
    izzo2015, why = import_lamberthub()
    if izzo2015 is None:
        pytest.skip(why)
    r1, r2, tof = (a[:N_PEER] for a in problems)
    izzo2015(MU_SUN_KM3_S2, r1[0], r2[0], tof[0])  # numba compiles on the first call

    def solve_all():
        return [izzo2015(MU_SUN_KM3_S2, r1[i], r2[i], tof[i])[0] for i in range(N_PEER)]

    v1 = benchmark.pedantic(solve_all, rounds=3, iterations=1)
    ours = backends.guidance("c").lambert_batch(MU_SUN_KM3_S2, r1[:50], r2[:50], tof[:50])[0]
    np.testing.assert_allclose(np.array(v1[:50]), ours, rtol=1e-6)
    record("lambert.lamberthub", benchmark, scale=N / N_PEER)


def test_porkchop_2026_one_day(benchmark):
    depart = (parse_date("2026-09-01"), parse_date("2027-01-31"))
    window = benchmark.pedantic(porkchop_window, ("earth", "mars", depart, 1.0), {"tof_d": (120, 400), "backend": "c"},
                                rounds=5, iterations=1)
    assert window.valid.sum() > 40_000
    record("porkchop.2026_1day", benchmark)
    from benchmarks.conftest import MEDIANS_S

    MEDIANS_S["porkchop.one_second"] = 1.0
