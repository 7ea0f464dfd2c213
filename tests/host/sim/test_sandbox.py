"""The simulated board is a sandbox: its flash is a LittleFS image, and nothing the board runs, nor
an unmodified mpremote against its maintenance REPL, reaches the host's files.  mpremote behaves
as against a Pico: soft reset, fs ls/cp, exec, mount (and the working directory after it).  A
power cut in the middle of a write leaves an image that mounts."""

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import serial

from zarya.flash import enter_maintenance
from zarya.link.keys import development_key
from zarya.sim.board import FLASH_IMAGE, SimulatedBoard
from zarya.sim.environment import Environment

MPREMOTE = str(Path(sys.executable).with_name("mpremote"))


@pytest.fixture
def maint(tmp_path):
    """A board in maintenance (at its REPL), as zarya flash leaves it after ENTER_MAINTENANCE."""
    with SimulatedBoard(tmp_path / "board", environment=Environment()) as board:
        board.advance(2)
        assert enter_maintenance(board.port, development_key(tmp_path / "host"))
        yield board


def mpremote(board, *args, timeout=60):
    return subprocess.run([MPREMOTE, "connect", board.port, *args], capture_output=True, text=True, timeout=timeout)


def exec_ok(board, code, *before):
    proc = mpremote(board, *before, "exec", code)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_soft_reset_keeps_the_board_in_the_raw_repl_and_exits_0(maint):
    proc = mpremote(maint, "soft-reset")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # every command soft-resets first; the VM state is fresh after each, the flash is not
    assert exec_ok(maint, "x = 1\nprint(x + 1)") == "2\n"
    failed = mpremote(maint, "exec", "print(x)")
    assert failed.returncode == 1 and failed.stdout.startswith("Traceback (most recent call last):\n  File \"<stdin>\"")
    assert "NameError" in failed.stdout
    assert maint.in_repl.is_set() and maint.log.boots == [(0.0, 0)]  # never went back to flight


def test_the_working_directory_is_the_flash_root_and_fs_ls_shows_the_flash(maint, tmp_path):
    assert exec_ok(maint, "import os\nprint(os.getcwd())") == "/\n"
    listing = mpremote(maint, "fs", "ls", ":/")
    assert listing.returncode == 0
    names = {line.split()[-1] for line in listing.stdout.splitlines()[1:]}
    assert "boot" in names and "rom/" in names  # the firmware's records, the ROM's mount point
    assert not names & {"tty", FLASH_IMAGE, "board"}  # nothing of the board directory or the host
    assert set(maint.listdir()) == names - {"rom/"}


def test_fs_cp_to_an_absolute_host_path_lands_in_the_image(maint, tmp_path):
    src = tmp_path / "payload.txt"
    src.write_bytes(b"not for the host\n")
    target = tmp_path / "host-side" / "escape.txt"  # absolute, under this test's directory
    proc = mpremote(maint, "fs", "cp", str(src), f":{target}")
    assert proc.returncode == 1 and "No such file or directory" in proc.stderr  # its directories are the image's
    exec_ok(maint, f"import os\np = ''\nfor part in {str(target.parent)!r}.split('/')[1:]:\n"
                   "    p += '/' + part\n    os.mkdir(p)")
    proc = mpremote(maint, "fs", "cp", str(src), f":{target}")
    assert proc.returncode == 0, proc.stderr
    assert not target.exists() and not target.parent.exists()
    assert maint.read_file(str(target)) == b"not for the host\n"


def test_dot_dot_stops_at_the_root_of_the_flash(maint, tmp_path):
    src = tmp_path / "payload.txt"
    src.write_bytes(b"x")
    depth = "../" * (len(tmp_path.parts) + 3)
    for dest in (f":{depth}{tmp_path.relative_to('/')}/dotdot.txt", f":/rom/{depth}{tmp_path.relative_to('/')}/dotdot.txt",
                 f":/{depth}dotdot.txt"):
        proc = mpremote(maint, "fs", "cp", str(src), dest)
        assert proc.returncode == 1, proc.stdout  # LittleFS refuses '..' above its root (EINVAL)
    assert not list(tmp_path.rglob("dotdot.txt")) and not Path("/dotdot.txt").exists()
    # inside the flash '..' works as anywhere
    exec_ok(maint, "import os\nos.mkdir('d')")
    assert mpremote(maint, "fs", "cp", str(src), ":d/../inside.txt").returncode == 0
    assert maint.read_file("inside.txt") == b"x"


def test_host_symlinks_in_the_board_directory_are_not_the_boards(maint, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (maint.board_dir / "hostlink").symlink_to(outside)
    src = tmp_path / "payload.txt"
    src.write_bytes(b"x")
    assert mpremote(maint, "fs", "cp", str(src), ":hostlink/y.txt").returncode == 1
    assert mpremote(maint, "fs", "cp", str(src), ":/hostlink/y.txt").returncode == 1
    assert mpremote(maint, "fs", "cat", ":tty").returncode == 1  # the pty's symlink is not there either
    assert list(outside.iterdir()) == []


def test_the_rom_is_read_only(maint, tmp_path):
    src = tmp_path / "payload.txt"
    src.write_bytes(b"x")
    proc = mpremote(maint, "fs", "cp", str(src), ":/rom/flight.py")
    assert proc.returncode == 1 and "Read-only" in proc.stderr
    out = exec_ok(maint, "import os\nfor op in (lambda: os.remove('/rom/main.py'), lambda: os.mkdir('/rom/x')):\n"
                         "    try:\n        op()\n    except OSError as e:\n        print(e.errno)")
    assert out.split() == ["30", "30"]  # EROFS


def test_mount_then_the_working_directory_is_the_flash_root_again(maint, tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "here.txt").write_text("from the host")
    out = exec_ok(maint, "import os\nprint(os.getcwd(), open('here.txt').read())", "mount", str(local))
    assert out.splitlines()[-1] == "/remote from the host"  # mounted: what mpremote mount is for
    out = exec_ok(maint, "import os\nprint(os.getcwd())\nwith open('after.txt', 'w') as f:\n    f.write('z')", "resume")
    assert out == "/\n"
    assert maint.read_file("after.txt") == b"z" and not (local / "after.txt").exists()
    assert not (maint.board_dir / "after.txt").exists() and not Path("/after.txt").exists()
    out = exec_ok(maint, "import os\nprint(os.getcwd())", "mount", str(local), "umount")
    assert out.splitlines()[-1] == "/"


def test_friendly_repl_and_a_soft_reset_from_it_boots_the_flight_software(maint):
    port = serial.serial_for_url(maint.port, timeout=0.2, exclusive=True)
    try:
        port.write(b"\x03")
        time.sleep(0.2)
        port.read(port.in_waiting or 1)
        port.write(b"6 * 7\r")
        deadline = time.monotonic() + 5
        seen = b""
        while b"42" not in seen and time.monotonic() < deadline:
            seen += port.read(64)
        assert b"42" in seen
        port.write(b"\x04")  # Ctrl-D on an empty line: soft reset, main.py runs
        deadline = time.monotonic() + 10
        while len(maint.log.boots) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        seen += port.read(port.in_waiting or 1)
    finally:
        port.close()
    assert b"MPY: soft reboot\r\n" in seen
    assert not maint.in_repl.is_set() and len(maint.log.boots) == 2


def test_a_power_cut_during_a_write_leaves_an_image_that_mounts(maint, tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes(range(256)) * 1024)  # 256 KB: seconds of raw-paste writes
    copy = threading.Thread(target=mpremote, args=(maint, "fs", "cp", str(big), ":big.bin"))
    copy.start()
    time.sleep(1.5)
    maint.power_cycle()  # mid-copy: LittleFS interrupted between two block writes
    copy.join(60)
    files = maint.check_flash()
    assert "/boot" in files and files.get("/big.bin", 0) < len(big.read_bytes())
    maint.advance(3)
    assert maint.log.boots[-1][1] == 0 and not maint.in_repl.is_set()  # and the board flies again


def test_a_brownout_in_the_middle_of_a_store_write_leaves_an_image_that_mounts(board, link):
    assert link.command("PARAM_SET", param_id=1, value=20).ok
    board.brownout_next_write()
    link.send("PARAM_SET", param_id=1, value=30)
    deadline = time.monotonic() + 15
    while not board.log.brownouts and time.monotonic() < deadline:
        time.sleep(0.05)
    assert board.log.brownouts
    files = board.check_flash()  # the record torn between its header and its payload, on LittleFS
    assert "/params" in files and "/boot" in files
    board.advance(2)
    assert link.command("PARAM_GET", param_id=1).ok and link.latest["arm_window_s"].values["value"] == 20.0
