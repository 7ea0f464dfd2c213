"""Shared fixtures: a simulated board (real VM, real ptys) and a link client on it."""

import pytest

from zarya.link.archive import Archive
from zarya.link.client import LinkClient
from zarya.link.keys import development_key
from zarya.sim.board import SimulatedBoard
from zarya.sim.environment import Environment


@pytest.fixture
def board(tmp_path):
    with SimulatedBoard(tmp_path / "board", environment=Environment()) as b:
        yield b


@pytest.fixture
def link(board, tmp_path):
    archive = Archive(tmp_path / "archive.db")
    with LinkClient(board.port, key=development_key(tmp_path / "host"), archive=archive) as client:
        yield client
    archive.close()
