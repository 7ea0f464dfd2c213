"""The simulated board: the unchanged firmware in the MicroPython unix port behind a pseudo-terminal.

Two ptys and a relay: the VM's stdin/stdout is the slave of pty A; clients (the host
controller, pyserial, mpremote, a terminal) open the slave of pty B, exposed as the symlink
`<board dir>/tty`.  The relay copies bytes between the two masters, which is where the bench
drops the link or corrupts bytes.  Time and sensors reach the firmware over a Unix socket (the
side channel of firmware/board/sim.py), one exchange per main-loop pass:

- lockstep: `advance(seconds)` runs the board through exactly that much virtual time, as fast
  as it can; between calls the board keeps serving its serial line with zero-length steps, so
  commands are answered while virtual time stands still;
- paced: `run_paced(speed)` advances virtual time at `speed` times real time.

The board's flash is a LittleFS image file, `<board dir>/flash.img`, mounted at / inside the VM by
vmport.py (the board's port layer) in place of the host's file system, with an image of the
firmware tree read-only at /rom (what a board never flashed runs): nothing the board runs, nor
mpremote against its REPL, reaches the host's files.  Maintenance serves MicroPython's REPL
(vmmaint.py) as a Pico does, soft reset included.

The bench holds the watchdog contract of the RP2040 (8.388 s): if the board stops feeding it,
or stops answering (a hang), the VM is killed and restarted with reset cause "watchdog".  It also
holds the supply: when the modelled bus collapses (an empty pack with nothing else to carry the
loads) below BROWNOUT_V the board loses power, its load switches fall open, and it boots again
from power-on once the bus is back above POWER_GOOD_V.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import random
import select
import shutil
import signal
import socket
import subprocess
import tempfile
import termios
import threading
import time
import tty
from dataclasses import dataclass, field
from pathlib import Path

from zarya.errors import ZaryaError
from zarya.firmware import firmware_dir, micropython_exe

WATCHDOG_MS = 8388  # RP2040 maximum watchdog period
HEAP = "192K"  # RP2040 MicroPython heap
PORT_HEAP = 8 << 10  # given to the VM on top: the port layer (vmport.py, the ROM's mount), which a Pico keeps in flash
HANG_WALL_S = 3.0  # a board that does not answer an exchange for this long is hung
BOOT_WALL_S = 20.0  # ... except just after boot, when it builds its stores
MAX_SILENT_BOOTS = 6  # boots that hang before the side channel comes up, before giving up
EXIT_RESET, EXIT_MAINTENANCE, EXIT_BENCH_GONE = 3, 4, 5
EXIT_SOFT_RESET, EXIT_SOFT_RESET_RAW = 6, 7  # the REPL's soft reset (vmmaint.py): main.py / the raw REPL again
MAX_HELD = 4 << 20  # bytes the relay holds for a client that is not reading
CAUSE_POWER_ON, CAUSE_COMMANDED, CAUSE_WATCHDOG = 0, 1, 2
BROWNOUT_V = 3.0  # below this bus voltage the board's regulator drops out: the board is off ...
POWER_GOOD_V = 3.3  # ... until the bus is back above this, when it boots from power-on
FLASH_IMAGE = "flash.img"  # the board's flash in its directory: LittleFS, 4 KB blocks
FLASH_BYTES = 8 << 20  # more than a Pico's 1.4 MB: the simulator's telemetry store alone is 2.6 MB
VMPORT = Path(__file__).with_name("vm") / "vmport.py"  # the board's port layer: a MicroPython program (vm/ holds no host modules)
TOOL_HEAP = "4M"  # the bench's own VM for looking into an image (not the board)


class SimError(ZaryaError, RuntimeError):
    """The simulated board could not be started or driven."""


@dataclass
class BenchLog:
    """What happened to the board, as the bench saw it (truth for tests and reports)."""

    boots: list[tuple[float, int]] = field(default_factory=list)  # (virtual s, reset cause)
    watchdog_resets: list[float] = field(default_factory=list)  # virtual s
    exits: list[tuple[float, int]] = field(default_factory=list)  # (virtual s, exit code)
    brownouts: list[tuple[float, str]] = field(default_factory=list)  # (virtual s, file being written)
    bytes_dropped: int = 0
    bytes_corrupted: int = 0


class Relay(threading.Thread):
    """Copies bytes between the VM's pty and the client's pty, with link faults."""

    def __init__(self, vm_master: int, client_master: int, seed: int):
        super().__init__(daemon=True, name="zarya-sim-relay")
        self.vm_master, self.client_master = vm_master, client_master
        self.link_up = True
        self.downlink_up = True  # board -> client only: a link that loses the replies, not the commands
        self.corrupt_probability = 0.0
        self.rng = random.Random(seed)
        self.stopping = False
        self.log: BenchLog | None = None

    def run(self) -> None:
        """Never blocks the board: bytes for a client that does not read are held (up to
        MAX_HELD) and then dropped, as a USB device with no host reading would lose them."""
        os.set_blocking(self.client_master, False)
        os.set_blocking(self.vm_master, False)
        held = {self.client_master: bytearray(), self.vm_master: bytearray()}
        while not self.stopping:
            writers = [fd for fd, buf in held.items() if buf]
            try:
                readable, writable, _ = select.select([self.vm_master, self.client_master], writers, [], 0.05)
            except (OSError, ValueError):
                return
            for fd in readable:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    continue  # the other side is closed for now (VM restarting, no client)
                if not self.link_up or (fd == self.vm_master and not self.downlink_up):
                    if self.log:
                        self.log.bytes_dropped += len(data)
                    continue
                if self.corrupt_probability:
                    data = self._corrupt(data)
                out = held[self.client_master if fd == self.vm_master else self.vm_master]
                out += data
                if len(out) > MAX_HELD:
                    if self.log:
                        self.log.bytes_dropped += len(out) - MAX_HELD
                    del out[:len(out) - MAX_HELD]
            for fd in writable:
                try:
                    sent = os.write(fd, held[fd])
                except (BlockingIOError, OSError):
                    continue
                del held[fd][:sent]

    def _corrupt(self, data: bytes) -> bytes:
        out = bytearray(data)
        for i in range(len(out)):
            if self.rng.random() < self.corrupt_probability:
                out[i] ^= 1 << self.rng.randrange(8)
                if self.log:
                    self.log.bytes_corrupted += 1
        return bytes(out)


def raw_pty() -> tuple[int, int, str]:
    master, slave = os.openpty()
    tty.setraw(slave, termios.TCSANOW)  # no echo, no line editing: all 256 byte values pass
    return master, slave, os.ttyname(slave)


def heap_bytes(heap: str) -> int:
    """'192K' (or '1M', or bytes) as bytes, as the VM's -X heapsize reads it."""
    heap = heap.strip().upper()
    scale = {"K": 1 << 10, "M": 1 << 20}.get(heap[-1:], 1)
    return int(heap.rstrip("KM")) * scale


def flash_tool(image: str | Path, command: str, arg: str = "/") -> bytes:
    """Run one of the bench's tools on a flash image in a VM of its own (vmmaint.tool): `read`
    a file, `ls` a directory, `check` (mount and read every file), `format` a blank image,
    `import` a host directory.  Only `format` and `import` write, and only to an image no board runs."""
    env = dict(os.environ, ZARYA_VM="tool")
    proc = subprocess.run([micropython_exe(), "-X", f"heapsize={TOOL_HEAP}", str(VMPORT), str(image), command, arg],
                          capture_output=True, env=env, timeout=120)
    if proc.returncode == 2:
        raise FileNotFoundError(f"{arg}: not on the board's flash ({image})")
    if proc.returncode:
        raise SimError(f"flash image {image}: {command} {arg} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout


def read_flash_file(image: str | Path, path: str) -> bytes:
    """The content of `path` on a flash image (FileNotFoundError if it has none)."""
    return flash_tool(image, "read", path)


def list_flash(image: str | Path, path: str = "/") -> list[str]:
    """The names in a directory of a flash image; directories end with '/'."""
    return flash_tool(image, "ls", path).decode().splitlines()


def check_flash(image: str | Path) -> dict[str, int]:
    """Mount the image and read every file to its end: path -> size ('/dir/' -> -1).  SimError if
    the image does not mount or a file does not read."""
    files = {}
    for line in flash_tool(image, "check").decode().splitlines():
        path, _, size = line.partition(" ")
        files[path] = int(size) if size else -1
    return files


_roms: dict[str, Path] = {}  # firmware tree stamp -> its ROM image, in _rom_dir
_rom_dir: list[Path] = []
_roms_lock = threading.Lock()


def rom_image(firmware: Path) -> Path:
    """The firmware tree as a read-only LittleFS image (the board's ROM, mounted at /rom): built
    when the tree changes (any file's size or time), once per process and tree, in a private
    temporary directory."""
    files = sorted(p for p in firmware.rglob("*") if p.is_file() and "__pycache__" not in p.parts
                   and not any(part.startswith(".") for part in p.relative_to(firmware).parts))
    stamp = hashlib.sha256(str(firmware.resolve()).encode())
    total = 0
    for p in files:
        st = p.stat()
        total += st.st_size
        stamp.update(f"{p.relative_to(firmware)}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    key = stamp.hexdigest()[:20]
    with _roms_lock:
        if key in _roms and _roms[key].exists():
            return _roms[key]
        if not _rom_dir:
            _rom_dir.append(Path(tempfile.mkdtemp(prefix="zarya-rom-")))
            atexit.register(shutil.rmtree, _rom_dir[0], True)
        image = _rom_dir[0] / f"{key}.img"
        staging = image.with_suffix(".new")
        with open(staging, "wb") as f:
            f.truncate(max(1 << 20, -(-4 * total // 4096) * 4096))  # room for LittleFS's per-file blocks
        flash_tool(staging, "format", "rom")
        flash_tool(staging, "import", str(firmware.resolve()))
        staging.rename(image)
        _roms[key] = image
        return image


def create_flash(board_dir: Path) -> Path:
    """<board dir>/flash.img, formatted, if there is none yet.  A board directory from before the
    image (the firmware's files loose in it) has them imported, once; they stay where they were."""
    image = board_dir / FLASH_IMAGE
    if image.exists():
        return image
    staging = image.with_name(FLASH_IMAGE + ".new")
    with open(staging, "wb") as f:
        f.truncate(FLASH_BYTES)  # sparse: blocks cost disk only once written
    flash_tool(staging, "format")
    if any(p.name not in ("tty", staging.name) for p in board_dir.iterdir()):
        flash_tool(staging, "import", str(board_dir))
    staging.rename(image)
    return image


class SimulatedBoard:
    """A simulated board; use as a context manager so its processes and ptys are always cleaned up.

    `environment` (zarya.sim.environment.Environment or None) produces the sensor values for
    each step from the board's actuator states; `board_dir` holds the board's flash (flash.img)
    and persists across power cycles (a temporary directory by default).  read_file() and
    listdir() look into the flash from the host.
    """

    def __init__(self, board_dir: str | Path | None = None, environment=None, seed: int = 1,
                 heap: str = HEAP, firmware: str | Path | None = None, step_ms: int = 1000,
                 boot_wall_s: float = BOOT_WALL_S):
        self._tmp = None if board_dir else tempfile.TemporaryDirectory(prefix="zarya-board-")
        self.board_dir = Path(board_dir or self._tmp.name).resolve()
        self.board_dir.mkdir(parents=True, exist_ok=True)
        self.environment = environment
        self.seed = seed
        self.heap = heap
        self.firmware = Path(firmware) if firmware else firmware_dir()
        self.step_ms = step_ms
        self.boot_wall_s = boot_wall_s  # how long a boot may stay silent before it counts as a hang
        self.log = BenchLog()
        self.virtual_ms = 0
        self.proc: subprocess.Popen | None = None
        self.conn: socket.socket | None = None
        self.rx = b""
        self.last_reply: dict = {}
        self.last_sensors: dict | None = None  # the environment's last readings (a zero step reuses them)
        self.lock = threading.RLock()
        self.pending: dict = {}
        self.hang_next = False
        self.unpowered = False  # the bus collapsed: no board until it recovers
        self.eof = False
        self.booting = False
        self.repl: subprocess.Popen | None = None
        self.in_repl = threading.Event()
        self._idle_thread: threading.Thread | None = None
        self._idle_stop = threading.Event()
        self.paused = threading.Event()
        self.vm_master = self.vm_slave = self.client_master = self.client_slave = -1
        self.relay: Relay | None = None
        self.server: socket.socket | None = None
        self.closing = False

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> SimulatedBoard:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def port(self) -> str:
        """What a serial client opens (a symlink to the client pty, see docs/simulator.md)."""
        return str(self.board_dir / "tty")

    @property
    def flash_image(self) -> Path:
        """The board's flash: a LittleFS image (see vmport.py)."""
        return self.board_dir / FLASH_IMAGE

    def start(self) -> None:
        create_flash(self.board_dir)
        self.vm_master, self.vm_slave, _ = raw_pty()
        self.client_master, self.client_slave, client_path = raw_pty()
        link = self.board_dir / "tty"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(client_path)
        self.sock_path = str(Path(tempfile.mkdtemp(prefix="zarya-sock-")) / "bench.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.sock_path)
        self.server.listen(1)
        self.relay = Relay(self.vm_master, self.client_master, self.seed)
        self.relay.log = self.log
        self.relay.start()
        self._boot(CAUSE_POWER_ON)
        self._start_idle()

    def close(self) -> None:
        self.closing = True  # a REPL ending now boots nothing
        self._stop_idle()
        with self.lock:
            self._kill()
        if self.relay:
            self.relay.stopping = True
            self.relay.join(timeout=1)
        for fd in (self.vm_master, self.vm_slave, self.client_master, self.client_slave):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.vm_master = self.vm_slave = self.client_master = self.client_slave = -1
        if self.server:
            self.server.close()
            shutil.rmtree(Path(self.sock_path).parent, ignore_errors=True)
            self.server = None
        with contextlib.suppress(FileNotFoundError):
            (self.board_dir / "tty").unlink()
        if self._tmp:
            self._tmp.cleanup()
            self._tmp = None

    def _vm(self, mode: str, stderr, **env) -> subprocess.Popen:
        """The VM on the serial line, with the board's flash at / (vmport.py): mode "run" (main.py
        from the flash, or the firmware tree's on a board never flashed), "repl" or "raw"."""
        env = dict(os.environ, ZARYA_VM=mode, ZARYA_FLASH=str(self.flash_image), ZARYA_ROM=str(rom_image(self.firmware)),
                   **env)
        return subprocess.Popen([micropython_exe(), "-X", f"heapsize={heap_bytes(self.heap) + PORT_HEAP}", str(VMPORT)],
                                cwd=self.board_dir,
                                stdin=self.vm_slave, stdout=self.vm_slave, stderr=stderr, env=env,
                                start_new_session=True)

    def _boot(self, cause: int) -> None:
        self.proc = self._vm("run", subprocess.PIPE, ZARYA_SIM_SOCKET=self.sock_path, ZARYA_RESET_CAUSE=str(cause))
        self.conn = None
        deadline = time.monotonic() + self.boot_wall_s
        self.server.settimeout(0.1)
        while self.conn is None and time.monotonic() < deadline and self.proc.poll() is None:
            with contextlib.suppress(TimeoutError):
                self.conn, _ = self.server.accept()
        if self.conn is None:
            # Crashed or hung before its first pass.  The loader arms the watchdog before it imports
            # the slot, so the board resets 8.388 s later (and the loader counts the failed boot).
            err = self._stderr()
            self._kill()
            if len(self.log.watchdog_resets) < MAX_SILENT_BOOTS:
                self.virtual_ms += WATCHDOG_MS
                self.log.watchdog_resets.append(self.virtual_ms / 1000)
                return self._boot(CAUSE_WATCHDOG)
            raise SimError(f"the firmware did not start: {err or 'no output'}")
        self.conn.settimeout(self.boot_wall_s)
        self.rx = b""
        self.log.boots.append((self.virtual_ms / 1000, cause))
        self._read_reply()  # the board's hello: it waits for the first step
        self.booting = True

    def _stderr(self) -> str:
        if self.proc and self.proc.poll() is not None and self.proc.stderr:
            return self.proc.stderr.read().decode(errors="replace")[-2000:]
        return ""

    def _kill(self) -> None:
        repl, self.repl = self.repl, None  # first: its watcher must not boot anything after this
        if repl is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(repl.pid, signal.SIGKILL)
            repl.wait(timeout=5)
            self.in_repl.clear()
        if self.conn:
            with contextlib.suppress(OSError):
                self.conn.close()
            self.conn = None
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        if self.proc and self.proc.stderr:
            self.proc.stderr.close()

    # -- the side channel -------------------------------------------------------------------
    def _read_reply(self) -> dict | None:
        """The board's answer to the last step, or None if it stopped (exit or hang)."""
        while b"\n" not in self.rx:
            try:
                chunk = self.conn.recv(65536)
            except TimeoutError:
                return None
            except OSError:
                self.eof = True
                return None
            if not chunk:
                self.eof = True  # the VM closed its end: it is exiting, not hanging
                return None
            self.rx += chunk
        line, _, self.rx = self.rx.partition(b"\n")
        self.last_reply = json.loads(line)
        return self.last_reply

    def step(self, dt_ms: int) -> dict:
        """One exchange: advance the board by dt_ms and let it run one main-loop pass."""
        with self.lock:
            if self.unpowered:
                return self._unpowered_step(dt_ms)
            if self.in_repl.is_set() or self.conn is None:
                return self.last_reply  # in the REPL (maintenance) board time stands still
            sensors = {}
            if self.environment is not None and dt_ms == 0 and self.last_sensors is not None:
                sensors = self.last_sensors  # no time passed: the same readings, and no random draw used up
            elif self.environment is not None:
                sensors = self.last_sensors = self.environment.step(dt_ms / 1000, self.last_reply.get("switches", {}))
                if self.environment.power.bus_v < BROWNOUT_V:
                    self.virtual_ms += dt_ms
                    self.log.brownouts.append((self.virtual_ms / 1000, "bus collapsed"))
                    self.log.exits.append((self.virtual_ms / 1000, -9))
                    self._kill()
                    self.unpowered = True
                    self.last_reply = {**self.last_reply, "switches": {}}  # every load switch falls open
                    return self.last_reply
            message = {"dt_ms": dt_ms, **sensors, **self.pending}
            self.pending = {}
            if self.hang_next:
                message["hang"] = True
                self.hang_next = False
            self.virtual_ms += dt_ms
            try:
                self.conn.sendall((json.dumps(message) + "\n").encode())
            except OSError:
                self.eof = True
                return self._board_stopped()
            reply = self._read_reply()
            if self.booting:
                self.conn.settimeout(HANG_WALL_S)
                self.booting = False
            if reply is None:
                return self._board_stopped()
            if "flash_write" in reply:  # an armed brownout: the board is mid-write, remove power
                self.log.brownouts.append((self.virtual_ms / 1000, reply["flash_write"]))
                self.power_cycle()
                return self.last_reply
            if (reply["ticks"] - reply["fed"]) % (1 << 30) > WATCHDOG_MS:  # ticks wrap at 2^30 ms
                return self._watchdog_reset()
            return reply

    def _unpowered_step(self, dt_ms: int) -> dict:
        """The board is off: the environment goes on with every load off, until the bus recovers."""
        self.environment.step(dt_ms / 1000, {})
        self.virtual_ms += dt_ms
        if self.environment.power.bus_v >= POWER_GOOD_V:
            self.unpowered = False
            self._boot(CAUSE_POWER_ON)
        return self.last_reply

    def _board_stopped(self) -> dict:
        if self.eof and self.proc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        self.eof = False
        code = self.proc.poll() if self.proc else None
        if code is None:  # alive but silent: a hang.  The watchdog fires 8.388 s after the last feed.
            self.virtual_ms += WATCHDOG_MS
            return self._watchdog_reset()
        self.log.exits.append((self.virtual_ms / 1000, code))
        self._kill()
        if code == EXIT_RESET:
            self._boot(CAUSE_COMMANDED)
        elif code == EXIT_MAINTENANCE:
            self._start_repl()
        else:
            self._boot(CAUSE_POWER_ON)
        return self.last_reply

    def _start_repl(self, raw: bool = False) -> None:
        """Maintenance: MicroPython's REPL (friendly, raw, raw-paste) on the pty, on the board's
        flash (vmmaint.py).  A soft reset ends the VM: from the raw REPL the bench starts the raw
        REPL again (a Pico stays in it, without running main.py), otherwise it boots the flight
        software, as a Pico runs main.py after a soft reset."""
        repl = self._vm("raw" if raw else "repl", self.vm_slave)
        self.repl = repl
        self.in_repl.set()

        def watch() -> None:
            code = repl.wait()
            with self.lock:
                if self.repl is not repl or self.closing:  # killed by the bench: power cut, close
                    return
                self.repl = None
                if code == EXIT_SOFT_RESET_RAW:
                    self._start_repl(raw=True)
                    return
                self.in_repl.clear()
                self._boot(CAUSE_COMMANDED)

        threading.Thread(target=watch, daemon=True, name="zarya-sim-repl").start()

    def _watchdog_reset(self) -> dict:
        self.log.watchdog_resets.append(self.virtual_ms / 1000)
        self._kill()
        self._boot(CAUSE_WATCHDOG)
        return self.last_reply

    # -- driving time -----------------------------------------------------------------------
    def advance(self, seconds: float, step_ms: int | None = None) -> None:
        """Run the board through `seconds` of virtual time in steps of step_ms (lockstep)."""
        step_ms = step_ms or self.step_ms
        remaining = round(seconds * 1000)
        with self.lock:
            while remaining > 0:
                dt = min(step_ms, remaining)
                self.step(dt)
                remaining -= dt

    def run_paced(self, speed: float = 1.0, stop: threading.Event | None = None, step_ms: int = 100) -> None:
        """Advance virtual time at `speed` x real time until `stop` is set."""
        stop = stop or threading.Event()
        self._stop_idle()
        start_wall, start_virtual = time.monotonic(), self.virtual_ms
        while not stop.is_set():
            target = start_virtual + (time.monotonic() - start_wall) * speed * 1000
            if self.virtual_ms + step_ms <= target:
                self.step(step_ms)
            else:
                self.step(0)
                time.sleep(0.002)

    def _start_idle(self) -> None:
        """Between advance() calls, keep the board serving its serial line with zero steps."""
        self._idle_stop.clear()

        def idle() -> None:
            while not self._idle_stop.is_set():
                if self.lock.acquire(timeout=0.05):
                    try:
                        if self.conn is not None:
                            self.step(0)
                    except SimError:
                        return
                    finally:
                        self.lock.release()
                time.sleep(0.003)

        self._idle_thread = threading.Thread(target=idle, daemon=True, name="zarya-sim-idle")
        self._idle_thread.start()

    def _stop_idle(self) -> None:
        self._idle_stop.set()
        if self._idle_thread:
            self._idle_thread.join(timeout=2)
            self._idle_thread = None

    # -- the board's flash, from the host ------------------------------------------------------
    def read_file(self, path: str) -> bytes:
        """A file on the board's flash (relative to its root), as the flash holds it now: what the
        firmware wrote and flushed (FileNotFoundError if there is none).  Taken between two steps,
        so the flight software is not writing."""
        with self.lock:
            return read_flash_file(self.flash_image, path)

    def listdir(self, path: str = "/") -> list[str]:
        """The names in a directory of the board's flash; directories end with '/'."""
        with self.lock:
            return list_flash(self.flash_image, path)

    def check_flash(self) -> dict[str, int]:
        """The flash mounts and every file on it reads: path -> size (see check_flash())."""
        with self.lock:
            return check_flash(self.flash_image)

    # -- bench actions ------------------------------------------------------------------------
    def power_cycle(self) -> None:
        """Remove and restore power: the VM dies wherever it was (LittleFS too); the flash image stays."""
        with self.lock:
            self.log.exits.append((self.virtual_ms / 1000, -9))
            self._kill()
            self._boot(CAUSE_POWER_ON)

    def brownout_next_write(self) -> None:
        """Remove power in the middle of the board's next persistent write."""
        self.pending["brownout"] = True

    def hang(self) -> None:
        """Make the firmware hang at its next pass (an endless loop that stops feeding the watchdog)."""
        self.hang_next = True

    def set_link(self, up: bool) -> None:
        self.relay.link_up = up

    def set_downlink(self, up: bool) -> None:
        """Cut or restore only what the board sends (commands still reach it)."""
        self.relay.downlink_up = up

    def set_corruption(self, probability: float) -> None:
        """Flip a random bit in this fraction of the bytes crossing the link."""
        self.relay.corrupt_probability = probability

    @property
    def virtual_s(self) -> float:
        return self.virtual_ms / 1000

    @property
    def switches(self) -> dict:
        return dict(self.last_reply.get("switches", {}))
