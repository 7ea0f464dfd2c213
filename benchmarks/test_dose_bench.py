"""Cumulative dose integration on a 10^7-sample series: C kernel against numpy's own
expression, the Python mirror (10^6 samples, scaled) and a plain copy of the input bytes."""

import numpy as np
import pytest

from benchmarks.conftest import ratio, record
from zarya import backends

N = 10_000_000
N_MIRROR = 1_000_000

ratio("C integrate vs numpy expression", "dose.c_integrate", "dose.numpy_expression", 2.0)
ratio("C integrate vs Python mirror", "dose.c_integrate", "dose.python_mirror", 50.0)
ratio("C integrate vs memory copy (>= 0.5 means within 2x)", "dose.c_integrate", "dose.memcpy_inputs", 0.5)


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(7)
    return np.cumsum(rng.uniform(0.5, 1.5, N)), rng.exponential(5.6e-9, N)


def test_c_integrate(benchmark, series):
    t, rate = series
    result = benchmark(backends.dose("c").integrate, t, rate)
    assert result.cumulative_gy.size == N
    record("dose.c_integrate", benchmark)


def test_numpy_expression(benchmark, series):
    t, y = series
    result = benchmark(lambda: np.cumsum((y[1:] + y[:-1]) * np.diff(t)) / 2)
    assert result[-1] == pytest.approx(backends.dose("c").integrate(t, y).total_gy, rel=1e-9)
    record("dose.numpy_expression", benchmark)


def test_python_mirror(benchmark, series):
    t, rate = series[0][:N_MIRROR], series[1][:N_MIRROR]
    benchmark.pedantic(backends.dose("python").integrate, (t, rate), rounds=3, iterations=1)
    record("dose.python_mirror", benchmark, scale=N / N_MIRROR)


def test_memcpy_inputs(benchmark, series):
    """The bandwidth limit: copy the bytes the kernel reads (t and rate) into new arrays."""
    t, rate = series
    benchmark(lambda: (t.copy(), rate.copy()))
    record("dose.memcpy_inputs", benchmark)
