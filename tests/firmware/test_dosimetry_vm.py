"""The firmware's dosimetry formulas, run in the MicroPython VM, match the host kernels."""

import json

import pytest

from tests.mpvm import run_mp
from zarya import backends

CASES = [(0.0, 1e-4), (0.5, 1e-4), (1000.0, 1e-4), (3000.0, 1e-4), (2e5, 1e-6)]
LETS = [0.3, 9.99, 10.0, 55.0, 100.0, 100.5, 400.0, 5000.0]


def test_micropython_vm_is_micropython():
    out = run_mp("print(sys.implementation.name)")
    assert out.strip() == "micropython"


@pytest.mark.parametrize("model", ["nonparalyzable", "paralyzable"])
def test_firmware_dead_time_matches_host(model):
    code = (
        "from apps import dosimetry\n"
        f"model = dosimetry.{model.upper()}\n"
        f"print([repr(dosimetry.true_rate(m, tau, model)) for m, tau in {CASES!r}])\n"
    )
    board = [float(v) for v in json.loads(run_mp(code).replace("'", '"'))]
    host = [backends.dose().true_rate(m, tau, model) for m, tau in CASES]
    assert board == pytest.approx(host, rel=1e-12, abs=0)


def test_firmware_quality_factor_matches_host():
    out = run_mp(f"from apps import dosimetry\nprint([repr(dosimetry.quality_factor(x)) for x in {LETS!r}])")
    board = [float(v) for v in json.loads(out.replace("'", '"'))]
    assert board == [backends.dose().quality_factor(x) for x in LETS]


def test_firmware_reports_saturation_as_none():
    out = run_mp("from apps import dosimetry\nprint(dosimetry.true_rate(1e4, 1e-4, dosimetry.NONPARALYZABLE),"
                 " dosimetry.true_rate(4e3, 1e-4, dosimetry.PARALYZABLE))")
    assert out.split() == ["None", "None"]
