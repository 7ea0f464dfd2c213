"""The simulated board and the host link, measured:
- lockstep speed: simulated seconds per wall second, full firmware plus models, 1 s ticks, and
  at the cruise step (60 s) that the 180-day run uses; the projected wall time of 180 days;
- the board's heap in use (after collection) and its high-water mark from core HK;
- command round trip (PING) median and p99 against the simulated board;
- telemetry packets per second the host decodes and archives (peer: the same packets decoded by
  spacepackets alone, without archiving)."""

import statistics
import time

import pytest
from spacepackets.ecss import PusTm

from benchmarks.conftest import MEDIANS_S, ratio, record
from zarya.dictionary import load
from zarya.link.archive import Archive
from zarya.link.client import LinkClient
from zarya.link.keys import development_key
from zarya.link.packets import decode_tm
from zarya.sim.board import SimulatedBoard
from zarya.sim.environment import Environment

ratio("decode + archive vs spacepackets decode alone (>= 0.1)", "link.decode_archive_per_packet",
      "link.spacepackets_decode_per_packet", 0.1)


@pytest.fixture(scope="module")
def board(tmp_path_factory):
    with SimulatedBoard(tmp_path_factory.mktemp("bench-board"), environment=Environment()) as b:
        yield b


@pytest.fixture(scope="module")
def key(tmp_path_factory):
    """One host key (and anti-replay counter) for every client of the module's board."""
    return development_key(tmp_path_factory.mktemp("host-key"))


@pytest.fixture(scope="module")
def packets(board, key):
    """Five minutes of the board's telemetry, as raw packets."""
    with LinkClient(board.port, key=key) as link:
        inbox = link.subscribe()
        board.advance(300)
        time.sleep(0.5)
        out = []
        while not inbox.empty():
            out.append(inbox.get().raw)
    return out


def test_lockstep_speed_1s_ticks(benchmark, board):
    benchmark.pedantic(board.advance, (600,), {"step_ms": 1000}, rounds=3, iterations=1)
    record("sim.600s_at_1s_ticks", benchmark)
    print(f"\nlockstep at 1 s ticks: {600 / benchmark.stats.stats.median:.0f} simulated s per wall s")


def test_lockstep_speed_cruise_step(benchmark, board):
    benchmark.pedantic(board.advance, (86400,), {"step_ms": 60000}, rounds=3, iterations=1)
    record("sim.1day_at_60s_ticks", benchmark)
    per_day = benchmark.stats.stats.median
    print(f"\ncruise step: {86400 / per_day:.0f} simulated s per wall s; 180 days in {180 * per_day:.0f} s")
    MEDIANS_S["sim.180days_projected"] = 180 * per_day


def test_ping_round_trip(benchmark, board, key):
    with LinkClient(board.port, key=key) as link:
        rtts = sorted(benchmark.pedantic(lambda: [link.ping_rtt_s() for _ in range(200)], rounds=1, iterations=1))
        heap = link.command("HK_ONESHOT", sid=1)
        time.sleep(0.2)
        core = link.latest["core"].values
    median, p99 = statistics.median(rtts), rtts[int(0.99 * len(rtts)) - 1]
    MEDIANS_S["link.ping_median"], MEDIANS_S["link.ping_p99"] = median, p99
    print(f"\nping round trip: median {median * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms; board heap free "
          f"{core['heap_free_b']} B of 192 KiB")
    assert heap.ok


def test_decode_and_archive_throughput(benchmark, packets, tmp_path):
    dictionary = load()
    archive = Archive(tmp_path / "bench.db", batch_n=500)

    def decode_and_archive():
        for raw in packets:
            archive.add(decode_tm(dictionary, raw))
        archive.db.execute("DELETE FROM samples")
        archive.db.execute("DELETE FROM packets")

    benchmark.pedantic(decode_and_archive, rounds=3, iterations=1)
    record("link.decode_archive_per_packet", benchmark, scale=1 / len(packets))
    print(f"\nhost decodes and archives {len(packets) / benchmark.stats.stats.median:.0f} packets/s")


def test_spacepackets_decode_alone(benchmark, packets):
    benchmark.pedantic(lambda: [PusTm.unpack(p, timestamp_len=6) for p in packets], rounds=3, iterations=1)
    record("link.spacepackets_decode_per_packet", benchmark, scale=1 / len(packets))
