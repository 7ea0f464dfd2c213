"""The command/telemetry dictionary, read from firmware/dictionary.py (the one source of truth).

The file is plain data valid in CPython; it is loaded here as a module, and hashed with the very
same code the firmware uses (firmware/core/dicthash.py), so board and host cannot disagree.  The
ST[1] failure codes' names come from the firmware too (firmware/core/failures.py):
`dictionary.failures.REPLAYED`.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from zarya.firmware import firmware_dir


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class Dictionary:
    module: ModuleType
    hash32: int
    failures: ModuleType  # firmware/core/failures.py: one name per ST[1] failure code

    @property
    def version(self) -> str:
        return self.module.VERSION

    @functools.cached_property
    def commands(self) -> dict[str, dict]:
        return {c["name"]: c for c in self.module.COMMANDS}

    @functools.cached_property
    def params(self) -> dict[str, dict]:
        return {p["name"]: p for p in self.module.PARAMS}

    @functools.cached_property
    def events_by_id(self) -> dict[int, dict]:
        return {e["id"]: e for e in self.module.EVENTS}

    @functools.cached_property
    def hk_by_sid(self) -> dict[int, dict]:
        return {h["sid"]: h for h in self.module.HK}

    @functools.cached_property
    def apid_names(self) -> dict[int, str]:
        return {v: k for k, v in self.module.APIDS.items()}

    def apid(self, name: str) -> int:
        return self.module.APIDS[name]

    def failure(self, code: int) -> str:
        return self.module.FAILURES.get(code, f"failure code {code}")

    def severity_name(self, subtype: int) -> str:
        return {v: k for k, v in self.module.SEVERITY.items()}.get(subtype, "?")


@functools.cache
def load(directory: str | None = None) -> Dictionary:
    """The dictionary of firmware/ (or of `directory`), with its hash."""
    root = Path(directory) if directory else firmware_dir()
    module = _load(root / "dictionary.py", "zarya_firmware_dictionary")
    dicthash = _load(root / "core" / "dicthash.py", "zarya_firmware_dicthash")
    failures = _load(root / "core" / "failures.py", "zarya_firmware_failures")
    return Dictionary(module, dicthash.hash32(module), failures)
