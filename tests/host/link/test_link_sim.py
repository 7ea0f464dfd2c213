"""The link client against the firmware on the simulated board, over a real pseudo-terminal."""

import dataclasses
import struct
import time

import pytest

from zarya.dictionary import load
from zarya.link.client import DictionaryMismatchError, LinkClient
from zarya.link.keys import CommandKey, development_key
from zarya.link.packets import CommandError


def test_board_identity_matches_the_host_dictionary(link):
    assert link.board_identity["dict_hash"] == load().hash32
    assert link.board_identity["version"] == load().version


def test_commands_are_verified_through_completion(link):
    handle = link.command("PING")
    assert handle.ok and [r.name for r in handle.reports] == ["accepted", "started", "completed"]


def test_bad_arguments_are_refused_before_sending(link):
    sent = link.tc_seq
    with pytest.raises(CommandError):
        link.send("PARAM_SET", param_id=1, value="abc")
    assert link.tc_seq == sent


def test_board_range_check_failure_is_reported_with_its_meaning(link):
    handle = link.command("PARAM_SET", param_id=1, value=99)
    assert handle.state == "failed" and handle.failure_code == 4 and "out of range" in handle.failure


def test_forged_mac_and_replayed_packet_are_rejected_by_the_board(link, tmp_path):
    forged_key = CommandKey(0, bytes(32), tmp_path / "forged.counter")
    good_key = link.key
    link.key = forged_key
    forged = link.command("PING")
    assert forged.failure_code == 6
    link.key = good_key
    handle = link.command("PING")
    again = link.send("PING")  # build a new one, then resend the old bytes: a replay
    again.done.wait(2)
    replay = link.pending[again.request_id]
    before = len(link.events)
    with link.write_lock:
        link._write(handle.packet)
    deadline = time.time() + 5
    while time.time() < deadline and not [e for e in link.events[before:] if e.name == "AUTH_REJECTED"]:
        time.sleep(0.02)
    refused = [e for e in link.events[before:] if e.name == "AUTH_REJECTED"]
    # the captured copy is refused as a replay: its own anti-replay number, reason "replayed"
    assert [int(e.values["reason"]) for e in refused] == [link.dictionary.failures.REPLAYED]
    assert refused[0].values["seq"] == struct.unpack(">I", handle.packet[12:16])[0]  # after the key id (docs/protocol.md)
    assert replay.ok


def test_retry_never_executes_a_command_twice(link, board):
    board.set_link(False)  # the first copy is lost on the way
    handle = link.send("HK_ONESHOT", sid=1)
    board.set_link(True)
    handle.retried = True
    with link.write_lock:
        link._write(handle.packet)
    assert handle.done.wait(3) and handle.ok
    with link.write_lock:
        link._write(handle.packet)  # a late duplicate of the same command
    time.sleep(0.3)
    oneshots = [r for r in handle.reports if r.name == "completed"]
    assert len(oneshots) == 1


def test_housekeeping_is_archived_and_queryable(link, board):
    board.advance(35)
    time.sleep(0.4)
    link.archive.flush()
    series = link.archive.series("core.uptime_s")
    assert len(series) >= 3 and series[-1][1] >= 30


def test_link_cut_and_restored_leaves_no_archive_gap(link, board):
    board.advance(20)
    board.set_link(False)
    board.advance(120)
    board.set_link(True)
    board.advance(20)
    import time

    deadline = time.time() + 5
    while time.time() < deadline and link.archive.sequence_gaps(0x100):
        time.sleep(0.1)
    assert link.stats["gaps"] >= 1 and link.stats["replayed"] > 0
    assert link.archive.sequence_gaps(0x100) == []


def test_mismatched_dictionary_is_refused(board, tmp_path, monkeypatch):
    d = load()
    wrong = dataclasses.replace(d, hash32=d.hash32 ^ 1)
    with pytest.raises(DictionaryMismatchError, match="differs from the host"):
        LinkClient(board.port, dictionary=wrong, key=development_key(tmp_path)).connect()
