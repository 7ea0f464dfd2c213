"""The backend switch: ZARYA_BACKEND picks C or Python; a missing extension falls back once."""

import warnings

import pytest

from zarya import backends


def test_explicit_backends_are_the_two_modules():
    assert backends.dose("c").__name__ == "zarya.dose.native"
    assert backends.dose("python").__name__ == "zarya.dose.mirror"


def test_environment_selects_the_backend(monkeypatch):
    monkeypatch.setenv("ZARYA_BACKEND", "python")
    assert backends.dose().__name__ == "zarya.dose.mirror"
    monkeypatch.setenv("ZARYA_BACKEND", "fortran")
    with pytest.raises(backends.BackendError, match="ZARYA_BACKEND must be one of c, python"):
        backends.dose()


def test_missing_extension_falls_back_with_one_warning(monkeypatch):
    monkeypatch.delenv("ZARYA_BACKEND", raising=False)
    monkeypatch.setattr(backends, "native_available", lambda: False)
    monkeypatch.setattr(backends, "_warned", False)
    with pytest.warns(RuntimeWarning, match="not built") as first:
        assert backends.dose().__name__ == "zarya.dose.mirror"
    assert len(first) == 1
    with warnings.catch_warnings(record=True) as again:
        warnings.simplefilter("always")
        backends.dose()
        backends.guidance()
    assert again == []  # one warning per process, not one per call


def test_asking_for_c_without_the_extension_is_an_error(monkeypatch):
    monkeypatch.setattr(backends, "native_available", lambda: False)
    with pytest.raises(backends.BackendError, match="not built"):
        backends.dose("c")
