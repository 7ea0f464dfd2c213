"""Flight builds: `zarya flash` installs the key of --key as the board's keys.bin (and refuses to
flash without a key unless told --dev-key, which warns); the board then takes commands signed with
that key, and a development build removes it again.  On the simulated board, which accepts the
development key by design, `zarya cmd` without --key says once on stderr that it uses that key."""

import pytest

from zarya.cli import main
from zarya.flash import build
from zarya.link.client import LinkClient, LinkError
from zarya.link.keys import load_key_file, new_key_file
from zarya.sim.board import SimulatedBoard
from zarya.sim.environment import Environment


@pytest.fixture
def sim(tmp_path, monkeypatch):
    monkeypatch.setenv("ZARYA_HOME", str(tmp_path / "home"))
    monkeypatch.setattr("zarya.link.keys.DEFAULT_DIR", tmp_path / "home")
    with SimulatedBoard(tmp_path / "board", environment=Environment(), boot_wall_s=5.0) as b:
        b.advance(2)
        yield b


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_flight_build_installs_the_key_and_the_board_takes_commands_signed_with_it(sim, tmp_path, capsys):
    flight = new_key_file(tmp_path / "flight.key", 5)
    build_dir = str(tmp_path / "build")
    code, out, err = run(capsys, "flash", "--port", sim.port, "--key", str(flight), "--build-dir", build_dir)
    assert code == 0, err
    assert "a flight build: keys.bin holds flight key 5" in out
    assert "runs a development build" in err  # stopped with the development key, and said so
    assert "DEVELOPMENT BUILD" not in err

    code, out, err = run(capsys, "cmd", sim.port, "PING", "--key", str(flight))
    assert code == 0 and "PING: completed" in out and "DEVELOPMENT" not in err, err

    other = load_key_file(new_key_file(tmp_path / "other.key", 5))  # same id, another key: refused
    with pytest.raises(LinkError, match="refused IDENTIFY"):
        LinkClient(sim.port, key=other, identify_timeout_s=3).connect()

    manifest = build(tmp_path / "build")
    from zarya.flash import verify

    assert verify(sim.port, tmp_path / "build", manifest, load_key_file(flight)) == []  # keys.bin included

    # the simulated board accepts the development key by design: cmd says so, once
    code, out, err = run(capsys, "cmd", sim.port, "PING")
    assert code == 0 and err.count("DEVELOPMENT key") == 1, err

    # a development build takes the flight key off the board again, with a warning
    code, out, err = run(capsys, "flash", "--port", sim.port, "--dev-key", "--build-dir", build_dir)
    assert code == 0 and err.count("WARNING: DEVELOPMENT BUILD") == 1 and "a DEVELOPMENT build" in out, err
    with pytest.raises(LinkError, match="refused IDENTIFY"):
        LinkClient(sim.port, key=load_key_file(flight), identify_timeout_s=3).connect()


def test_flash_without_a_key_refuses_and_builds_nothing(sim, tmp_path, capsys):
    code, _out, err = run(capsys, "flash", "--port", sim.port, "--build-dir", str(tmp_path / "build"))
    assert code == 1 and "zarya keys new" in err and "--dev-key" in err
    assert not (tmp_path / "build").exists()
