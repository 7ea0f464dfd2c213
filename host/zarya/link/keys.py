"""Command keys and the anti-replay counter, kept per board on the host.

A key file (`zarya keys new`, mode 0600) is JSON: {"key_id": 1, "key": "<64 hex digits>"}.
The counter file beside it holds the next anti-replay number; it is advanced on disk *before*
a command goes out, so a host that crashes never reuses a number.  The simulated board uses
the development key (id 0), clearly marked as such.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from zarya.errors import ZaryaError

DEV_KEY_ID = 0
DEV_KEY = hashlib.sha256(b"zarya development key - not for flight").digest()
DEFAULT_DIR = Path(os.environ.get("ZARYA_HOME", Path.home() / ".zarya"))


class KeyFileError(ZaryaError, ValueError):
    """A key file that cannot be used."""


@dataclass
class CommandKey:
    key_id: int
    key: bytes
    counter_path: Path
    development: bool = False

    def __post_init__(self):
        self._lock = threading.Lock()

    def next_seq(self) -> int:
        """The next anti-replay number, persisted before it is used."""
        with self._lock:
            try:
                current = int(self.counter_path.read_text().strip() or 0)
            except FileNotFoundError:
                current = 0
            except ValueError:
                raise KeyFileError(f"{self.counter_path}: not a number") from None
            nxt = current + 1
            tmp = self.counter_path.with_suffix(".tmp")
            tmp.write_text(str(nxt))
            os.replace(tmp, self.counter_path)
            return nxt


def development_key(state_dir: Path | None = None) -> CommandKey:
    state = Path(state_dir or DEFAULT_DIR)
    state.mkdir(parents=True, exist_ok=True)
    return CommandKey(DEV_KEY_ID, DEV_KEY, state / "dev-key.counter", development=True)


def new_key_file(path: str | Path, key_id: int = 1) -> Path:
    path = Path(path)
    if path.exists():
        raise KeyFileError(f"{path} exists: refusing to overwrite a key")
    if not 1 <= key_id <= 255:
        raise KeyFileError(f"key id must be 1..255 (0 is the development key), not {key_id}")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"key_id": key_id, "key": secrets.token_hex(32)}, f)
    return path


def load_key_file(path: str | Path) -> CommandKey:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        key = bytes.fromhex(data["key"])
        key_id = int(data["key_id"])
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such key file (create one with `zarya keys new`)") from None
    except (ValueError, KeyError, TypeError) as err:
        raise KeyFileError(f"{path}: not a Zarya key file ({err})") from None
    if len(key) != 32:
        raise KeyFileError(f"{path}: the key must be 32 bytes, not {len(key)}")
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"{path}: readable by others; chmod 600 it")
    return CommandKey(key_id, key, path.with_suffix(".counter"))


def keys_bin(key: CommandKey) -> bytes:
    """The board-side keys.bin record for this key (provisioned when flashing)."""
    return bytes([key.key_id]) + key.key
