"""Command keys and the anti-replay counter, kept per board on the host.

A key file (`zarya keys new`, mode 0600) is JSON: {"key_id": 1, "key": "<64 hex digits>"}.
The counter file beside it holds the next anti-replay number; it is advanced on disk *before*
a command goes out, so a host that crashes never reuses a number.  The simulated board uses
the development key (id 0), clearly marked as such.

Secrets (key files, keys.bin) are written by `write_private`: created under a temporary name
with mode 0600 from the first instant (O_CREAT | O_EXCL), written, fsynced, then moved into
place without replacing anything, so no other user can ever open a copy of the key.
"""

from __future__ import annotations

import contextlib
import errno
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


def write_private(path: str | Path, data: bytes) -> Path:
    """Create `path` holding `data`, readable by its owner only (mode 0600), atomically.

    The bytes go to a temporary file in the same directory, opened with O_CREAT | O_EXCL and
    mode 0600 (and fchmod'ed to exactly 0600, whatever the umask), fsynced, then linked into
    place: the file is never visible under `path` half-written or with wider permissions, and
    an existing `path` is never replaced (KeyFileError)."""
    path = Path(path)
    if path.exists() or path.is_symlink():
        raise KeyFileError(f"{path} exists: refusing to overwrite a key")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, path)  # atomic, and fails if `path` appeared meanwhile
        except FileExistsError:
            raise KeyFileError(f"{path} exists: refusing to overwrite a key") from None
        except OSError as err:  # a file system without hard links
            if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
                raise
            if path.exists():
                raise KeyFileError(f"{path} exists: refusing to overwrite a key") from None
            os.rename(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    with contextlib.suppress(OSError):  # the new directory entry itself survives a crash
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def check_key_id(key_id: int) -> int:
    if isinstance(key_id, bool) or not isinstance(key_id, int) or not 1 <= key_id <= 255:
        raise KeyFileError(f"key id must be a whole number 1..255 (0 is the development key), not {key_id!r}")
    return key_id


def keys_bin_path(path: str | Path) -> Path:
    """Where `zarya keys new` puts the keys.bin that goes with key file `path`."""
    return Path(path).with_suffix(".keys.bin")


def new_key_file(path: str | Path, key_id: int = 1) -> Path:
    """A new random key in `path` (JSON, mode 0600)."""
    check_key_id(key_id)
    data = json.dumps({"key_id": key_id, "key": secrets.token_hex(32)}).encode()
    return write_private(path, data)


def load_key_file(path: str | Path) -> CommandKey:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
        key = bytes.fromhex(data["key"])
        key_id = data["key_id"]
    except FileNotFoundError:
        raise KeyFileError(f"{path}: no such key file (create one with `zarya keys new FILE`)") from None
    except IsADirectoryError:
        raise KeyFileError(f"{path}: a directory, not a key file") from None
    except (ValueError, KeyError, TypeError, AttributeError) as err:  # UnicodeDecodeError is a ValueError
        raise KeyFileError(f"{path}: not a Zarya key file ({type(err).__name__}: {err})") from None
    if isinstance(key_id, bool) or not isinstance(key_id, int) or not 1 <= key_id <= 255:
        raise KeyFileError(f"{path}: key id must be 1..255 (0 is the development key), not {key_id!r}")
    if len(key) != 32:
        raise KeyFileError(f"{path}: the key must be 32 bytes, not {len(key)}")
    if key == DEV_KEY:
        raise KeyFileError(f"{path}: holds the development key, which is public; create a key with `zarya keys new`")
    if key == bytes([key[0]]) * 32:
        raise KeyFileError(f"{path}: a key of one repeated byte is no key (a board refuses it); create one with "
                           "`zarya keys new`")
    if path.stat().st_mode & 0o077:
        raise KeyFileError(f"{path}: readable by others; chmod 600 it")
    return CommandKey(key_id, key, path.with_suffix(".counter"))


def keys_bin(key: CommandKey) -> bytes:
    """The board-side keys.bin record for this key (provisioned when flashing)."""
    return bytes([key.key_id]) + key.key
