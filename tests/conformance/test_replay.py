"""Section 4, ST[15]: stored telemetry replayed byte for byte."""

from .client import PARAMS, assert_completed, event, final, request_id


def replay(link, from_s, to_s, timeout=10.0):
    tc = link.tc("STORE_REPLAY", from_s, to_s)
    r = link.request(tc, event("STORE_REPLAY_DONE"), timeout=timeout)
    assert_completed(r)
    done_report = r.reports()[-1]
    done = r.events("STORE_REPLAY_DONE")
    assert len(done) == 1
    # the replayed packets: after the [1,7], before DONE, excluding live housekeeping
    # (a replayed packet is older than what the client already holds)
    replayed = [p for p in r.packets if done_report.rx_index < p.rx_index < done[0].rx_index
                and p.time <= to_s + 1]
    return r, replayed, done[0]


def test_lost_packets_replayed_byte_for_byte(link, board):
    link.advance(2.0)
    before = link.since(0)
    board.set_link(False)
    link.advance(4.0)
    board.set_link(True)
    ping = link.command("PING")
    assert_completed(ping)
    up = ping.reports()[0]
    lost_window_end = up.coarse - 1
    received = [p for p in link.packets[:up.rx_index] if p.coarse <= lost_window_end]
    _, replayed, done = replay(link, 0, lost_window_end)

    # oldest first
    assert [p.time for p in replayed] == sorted(p.time for p in replayed)
    assert all(0 <= p.coarse <= lost_window_end for p in replayed)
    assert done.event_args() == {"from_s": 0, "to_s": lost_window_end, "sent": len(replayed)}
    # everything received in the window comes back byte for byte
    replayed_raw = [p.raw for p in replayed]
    for p in received:
        assert p.raw in replayed_raw, p
    # and the rest fills exactly the gaps of each APID's sequence counts
    lost = [p for p in replayed if p.raw not in {q.raw for q in received}]
    assert len(lost) >= 6  # sid 3 and sid 4 of 3 whole seconds at least
    assert all(p.coarse > before[-1].coarse - 1 for p in lost)
    for apid in (0x100, 0x101, 0x102):
        counts = sorted(p.seq_count for p in received + lost if p.apid == apid)
        assert counts == list(range(counts[0], counts[0] + len(counts))), hex(apid)
    assert all(p.crc_ok for p in replayed)


def test_replay_reports_come_first(link):
    link.advance(2.0)
    tc = link.tc("STORE_REPLAY", 0, 1)
    r = link.request(tc, event("STORE_REPLAY_DONE"))
    kinds = [p.kind for p in r.packets if (p.service == 1 and p.request_id == request_id(tc))
             or p.event_name == "STORE_REPLAY_DONE"]
    assert kinds == [(1, 1), (1, 3), (1, 7), (5, 1)]


def test_empty_range(link):
    link.advance(1.0)
    _, replayed, done = replay(link, 500, 600)
    assert replayed == [] and done.event_args() == {"from_s": 500, "to_s": 600, "sent": 0}


def test_new_replay_replaces_running_one(link):
    assert_completed(link.command("PARAM_SET", PARAMS["replay_per_tick"]["id"], 1.0))
    link.advance(3.0)
    first = link.tc("STORE_REPLAY", 0, 1000)
    second = link.tc("STORE_REPLAY", 0, 0)
    mark = link.mark()
    link.send_packet(first)
    link.wait(final(request_id(first)), mark=mark)
    link.request(second, event("STORE_REPLAY_DONE"))
    link.advance(8.0)
    dones = [p.event_args() for p in link.since(mark) if p.event_name == "STORE_REPLAY_DONE"]
    assert [(d["from_s"], d["to_s"]) for d in dones] == [(0, 0)]
