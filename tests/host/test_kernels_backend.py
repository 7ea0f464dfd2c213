"""The backend switch: ZARYA_BACKEND picks C or Python; a missing extension falls back once."""

import pytest

from zarya import kernels


def test_explicit_backends_are_the_two_modules():
    assert kernels.dose("c").__name__ == "zarya.native_dose"
    assert kernels.dose("python").__name__ == "zarya.dose"


def test_environment_selects_the_backend(monkeypatch):
    monkeypatch.setenv("ZARYA_BACKEND", "python")
    assert kernels.dose().__name__ == "zarya.dose"
    monkeypatch.setenv("ZARYA_BACKEND", "fortran")
    with pytest.raises(kernels.BackendError, match="ZARYA_BACKEND must be one of c, python"):
        kernels.dose()


def test_missing_extension_falls_back_with_one_warning(monkeypatch):
    monkeypatch.delenv("ZARYA_BACKEND", raising=False)
    monkeypatch.setattr(kernels, "native_available", lambda: False)
    monkeypatch.setattr(kernels, "_warned", False)
    with pytest.warns(RuntimeWarning, match="not built"):
        assert kernels.dose().__name__ == "zarya.dose"
    kernels.dose()  # no second warning (pytest would fail on an unexpected one only with -W error)
    assert kernels._warned


def test_asking_for_c_without_the_extension_is_an_error(monkeypatch):
    monkeypatch.setattr(kernels, "native_available", lambda: False)
    with pytest.raises(kernels.BackendError, match="not built"):
        kernels.dose("c")
