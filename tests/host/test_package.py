"""The package's shape holds: a curated public API, one error root, two backends with one API."""

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import zarya
from zarya.dose import api as dose_api
from zarya.errors import ZaryaError
from zarya.guidance import api as guidance_api

MODULES = sorted(m.name for m in pkgutil.walk_packages(zarya.__path__, "zarya.") if m.name != "zarya._native")


def test_every_public_name_resolves():
    for name in zarya.__all__:
        assert getattr(zarya, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        _ = zarya.nonsense


def test_importing_zarya_loads_nothing_heavy():
    code = "import sys, zarya; print(sorted(m for m in ('numpy', 'serial', 'matplotlib') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_every_error_the_package_defines_derives_from_the_root():
    errors = []
    for name in MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Exception) and cls.__module__ == name:
                errors.append(cls)
    assert len(errors) >= 10
    assert [cls.__qualname__ for cls in errors if not issubclass(cls, ZaryaError)] == []


@pytest.mark.parametrize(("family", "api"), [("dose", dose_api), ("guidance", guidance_api)])
def test_both_backends_export_the_shared_kernel_names(family, api):
    for backend in ("c", "python"):
        module = getattr(zarya.backends, family)(backend)
        assert list(module.__all__) == api.KERNELS
        assert all(callable(getattr(module, name)) for name in api.KERNELS)


@pytest.mark.parametrize("family", ["dose", "guidance"])
def test_neither_backend_imports_the_other(family):
    root = Path(zarya.__file__).parent / family
    for this, other in (("native", "mirror"), ("mirror", "native")):
        tree = ast.parse((root / f"{this}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert f"zarya.{family}.{other}" not in imported, f"{family}/{this}.py imports {other}"
