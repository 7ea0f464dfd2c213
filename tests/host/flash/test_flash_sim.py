"""Flashing the simulated board with mpremote's transport: build, deploy, verify, switch, reset,
and the faults: a link cut mid-deploy, a corrupted transfer, a firmware that fails to start."""

import json
import shutil
import threading
from pathlib import Path

import pytest
import serial

from zarya.flash import FlashError, build, flash, rollback, verify
from zarya.link.keys import development_key
from zarya.sim.board import SimulatedBoard
from zarya.sim.environment import Environment

FIRMWARE = Path(__file__).resolve().parents[3] / "firmware"


@pytest.fixture
def key(tmp_path):
    return development_key(tmp_path / "host")


@pytest.fixture
def sim(tmp_path):
    with SimulatedBoard(tmp_path / "board", environment=Environment(), boot_wall_s=5.0) as b:
        b.advance(2)
        yield b


def firmware_copy(tmp_path, version=None, broken=None) -> Path:
    src = tmp_path / f"fw-{version or 'ok'}"
    shutil.copytree(FIRMWARE, src)
    if version:
        text = (src / "dictionary.py").read_text().replace('VERSION = "0.1.0"', f'VERSION = "{version}"')
        (src / "dictionary.py").write_text(text)
    if broken:
        (src / "flight.py").write_text(broken)
    return src


def test_build_writes_a_manifest_with_hashes_and_mpy(tmp_path):
    manifest = build(tmp_path / "build")
    data = json.loads((tmp_path / "build" / "manifest.json").read_text())
    assert data["version"] == manifest.version and data["dict_hash"] == manifest.dict_hash
    assert "main.py" in data["files"] and "slot/core/app.mpy" in data["files"]
    assert (tmp_path / "build" / "slot" / "core" / "app.mpy").read_bytes()[:1] == b"M"


def test_flash_boots_the_new_slot_and_reflash_sends_nothing(sim, tmp_path, key):
    manifest = build(tmp_path / "build")
    first = flash(sim.port, tmp_path / "build", manifest, key)
    assert first.slot == "slot_a" and len(first.sent) == len(manifest.files) and not first.rolled_back
    state = json.loads(sim.read_file("slots.json"))
    assert state["active"] == "slot_a" and state["pending"]
    sim.advance(35)  # the slot confirms itself after 30 s of flight
    assert json.loads(sim.read_file("slots.json"))["pending"] is False
    second = flash(sim.port, tmp_path / "build", manifest, key)
    assert second.slot == "slot_b" and second.sent == [] and len(second.copied) > 20
    assert verify(sim.port, tmp_path / "build", manifest, key) == []


def test_corrupted_transfer_is_detected_and_resent(sim, tmp_path, key):
    manifest = build(tmp_path / "build")
    result = flash(sim.port, tmp_path / "build", manifest, key, corrupt_first={"slot/core/app.mpy"})
    assert result.resent_after_bad_hash == ["slot_a/core/app.mpy"] and not result.rolled_back


def test_link_cut_mid_deploy_keeps_the_old_firmware_and_a_second_flash_completes(sim, tmp_path, key):
    good = build(tmp_path / "good")
    flash(sim.port, tmp_path / "good", good, key)
    sim.advance(35)
    newer = build(tmp_path / "newer", firmware_copy(tmp_path, "0.1.1"))
    timer = threading.Timer(1.5, sim.set_link, (False,))
    timer.start()
    with pytest.raises(FlashError, match="stopped answering"):
        flash(sim.port, tmp_path / "newer", newer, key, deadline_s=6)
    serial.serial_for_url(sim.port, exclusive=True).close()  # the cut session let go of the port
    sim.set_link(True)
    assert json.loads(sim.read_file("slots.json"))["active"] == "slot_a"  # nothing switched
    result = flash(sim.port, tmp_path / "newer", newer, key)
    assert result.boot_version == "0.1.1" and not result.rolled_back


def test_firmware_that_raises_at_import_is_rolled_back(sim, tmp_path, key):
    good = build(tmp_path / "good")
    flash(sim.port, tmp_path / "good", good, key)
    sim.advance(35)
    bad = build(tmp_path / "bad", firmware_copy(tmp_path, "0.2.0-bad", broken="raise ImportError('broken build')\n"))
    result = flash(sim.port, tmp_path / "bad", bad, key)
    assert result.rolled_back and result.boot_version == "0.1.0"
    state = json.loads(sim.read_file("slots.json"))
    assert state["active"] == "slot_a" and state["rolled_back"] == "slot_b"


def test_rollback_command_returns_to_the_previous_slot(sim, tmp_path, key):
    manifest = build(tmp_path / "build")
    flash(sim.port, tmp_path / "build", manifest, key)
    sim.advance(35)
    flash(sim.port, tmp_path / "build", manifest, key)
    assert rollback(sim.port, key) == "slot_a"


def test_a_build_with_another_dictionary_is_refused_unless_forced(tmp_path, capsys):
    from zarya.cli import main

    src = firmware_copy(tmp_path)
    arm = '"doc": "How long an ARM'
    text = (src / "dictionary.py").read_text().replace(f'"default": 10,\n     {arm}', f'"default": 11,\n     {arm}')
    (src / "dictionary.py").write_text(text)
    import os

    os.environ["ZARYA_FIRMWARE"] = str(src)
    try:
        code = main(["flash", "--port", "/dev/null", "--build-dir", str(tmp_path / "b")])
    finally:
        del os.environ["ZARYA_FIRMWARE"]
    assert code == 1 and "differs from the host's" in capsys.readouterr().err


