"""One switch for the whole package: which backend runs the numeric kernels.

`ZARYA_BACKEND=c` (default) uses the C kernels in zarya._native; `ZARYA_BACKEND=python` uses
the pure-Python mirrors.  If the C extension is missing, the default falls back to Python with
one warning; asking for `c` explicitly when it is missing is an error.  Tests call either
backend by name: `backends.dose("python")`, `backends.dose("c")`.
"""

from __future__ import annotations

import importlib
import os
import warnings
from types import ModuleType

from zarya.errors import ZaryaError

BACKENDS = ("c", "python")
_MODULES = {
    "dose": {"c": "zarya.dose.native", "python": "zarya.dose.mirror"},
    "guidance": {"c": "zarya.guidance.native", "python": "zarya.guidance.mirror"},
}
_warned = False


class BackendError(ZaryaError, RuntimeError):
    """The requested backend cannot be used."""


def selected() -> str:
    """The backend ZARYA_BACKEND asks for (default c)."""
    name = os.environ.get("ZARYA_BACKEND", "c").strip().lower() or "c"
    if name not in BACKENDS:
        raise BackendError(f"ZARYA_BACKEND must be one of {', '.join(BACKENDS)}, not {name!r}")
    return name


def native_available() -> bool:
    try:
        importlib.import_module("zarya._native")
    except ImportError:
        return False
    return True


def _load(kernel: str, backend: str | None) -> ModuleType:
    global _warned
    explicit = backend is not None or "ZARYA_BACKEND" in os.environ
    name = backend or selected()
    if name not in BACKENDS:
        raise BackendError(f"backend must be one of {', '.join(BACKENDS)}, not {name!r}")
    if name == "c" and not native_available():
        if explicit:
            raise BackendError("the C kernels (zarya._native) are not built: reinstall with `pip install -e .`")
        if not _warned:
            warnings.warn(
                "zarya._native is not built; using the pure-Python kernels (slow). "
                "Reinstall with `pip install -e .` to build them.",
                RuntimeWarning,
                stacklevel=3,
            )
            _warned = True
        name = "python"
    return importlib.import_module(_MODULES[kernel][name])


def dose(backend: str | None = None) -> ModuleType:
    """The dose kernels (zarya.dose.api.KERNELS) of `backend`, or of the selected one."""
    return _load("dose", backend)


def guidance(backend: str | None = None) -> ModuleType:
    """The guidance kernels (zarya.guidance.api.KERNELS) of `backend`, or of the selected one."""
    return _load("guidance", backend)
