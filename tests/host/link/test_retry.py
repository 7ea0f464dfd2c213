"""The link client's own retry path: replies lost, the command re-sent, executed exactly once."""

import threading
import time

from zarya.dictionary import load

CORE_HK = 1


def tc_accepted(link) -> int:
    """The board's count of accepted telecommands (core housekeeping), read now."""
    handle = link.command("HK_ONESHOT", sid=CORE_HK)
    assert handle.ok
    deadline = time.time() + 5
    while time.time() < deadline and link.latest["core"].seq_count == seen.get("seq", -1):
        time.sleep(0.02)
    seen["seq"] = link.latest["core"].seq_count
    return int(link.latest["core"].values["tc_accepted"])


seen: dict = {}


def test_a_command_whose_replies_are_lost_is_retried_and_runs_exactly_once(link, board):
    link.replay_gaps = False  # no STORE_REPLAY of the lost reports: only the retry path speaks
    before = tc_accepted(link)
    board.set_downlink(False)  # the board hears every copy; the host hears nothing back
    result = {}
    worker = threading.Thread(target=lambda: result.update(h=link.command("PING", timeout_s=0.7, retries=3)))
    worker.start()
    time.sleep(1.6)  # the client has re-sent the same packet at least twice by now
    board.set_downlink(True)
    worker.join(10)
    handle = result["h"]
    # the re-sent copy bounced off as a replay of an executed command: known done, never run twice
    assert handle.retried and handle.state == "duplicate" and handle.failure_code == load().failures.REPLAYED
    after = tc_accepted(link)
    assert after - before == 2  # the PING once, and the HK_ONESHOT that reads the count
