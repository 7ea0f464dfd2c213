"""Fixtures: a simulated board (a black box on a pty) and the spec-only client on its port.

`board`/`link` are fresh for each test; `shared_link` is one board per test module, for tests
that leave no state behind (refusals, reads), to keep the suite fast.
"""

import pytest

from zarya.sim.board import SimulatedBoard
from zarya.sim.environment import Environment

from .client import Link, hk_sid


def open_link(board) -> Link:
    client = Link(board.port, board)
    # the boot burst: BOOT and the first housekeeping reports
    client.wait(hk_sid(1), mark=0, timeout=2.0)
    return client


@pytest.fixture
def board(tmp_path):
    with SimulatedBoard(tmp_path / "board", environment=Environment()) as b:
        yield b


def close_link(client: Link) -> None:
    client.close()
    # section 2: every packet ends with a CRC over everything before it
    bad = [p for p in client.packets if not p.crc_ok]
    assert not bad, f"packets with a bad CRC: {bad}"
    assert None not in client.frames, "the board sent a frame that is not valid COBS"


@pytest.fixture
def link(board):
    client = open_link(board)
    yield client
    close_link(client)


@pytest.fixture(scope="module")
def shared_board(tmp_path_factory):
    with SimulatedBoard(tmp_path_factory.mktemp("shared") / "board", environment=Environment()) as b:
        yield b


@pytest.fixture(scope="module")
def shared_link(shared_board):
    client = open_link(shared_board)
    yield client
    close_link(client)
