"""Section 2 (time stamp, board time across resets) and section 6 (BOOT)."""

import pytest

from .client import COMMANDS, all_of, assert_completed, event, final, hk_sid, request_id

T = 800_000_000  # 2025-05-09T... since the 2000-01-01 epoch


def reboot(link, board, how):
    """Power cycle or commanded RESET; returns the packets from the reboot on (BOOT first)."""
    mark = link.mark()
    if how == "power_cycle":
        board.power_cycle()
    else:
        reset = COMMANDS["RESET"]
        assert_completed(link.command("ARM", reset["service"], reset["subtype"], reset["function"]))
        tc = link.tc("RESET")
        link.request(tc, event("BOOT"), timeout=3)
    pkts = link.wait(all_of(event("BOOT"), hk_sid(1), hk_sid(2), hk_sid(4)), mark=mark, timeout=3)
    boot = next(p for p in pkts if p.event_name == "BOOT")
    return link.packets[boot.rx_index:]


def last_before_boot(link, boot):
    last = {}
    for p in link.packets[:boot.rx_index]:
        last[p.apid] = p
    return last


def test_first_boot_event(link):
    boot = link.packets[0]
    assert boot.event_name == "BOOT" and boot.subtype == 1 and boot.apid == 0x100
    args = boot.event_args()
    assert args["boot_count"] == 1 and args["reset_cause"] == 0
    # a fresh board with an empty store starts at time 0 and count 0
    assert (boot.coarse, boot.seq_count) == (0, 0)


def test_set_time_and_cuc(link):
    tc = link.tc("SET_TIME", T)
    r = link.request(tc, all_of(final(request_id(tc)), event("TIME_SET")))
    assert_completed(r)
    accepted, _, done = r.reports()
    ev = r.events("TIME_SET")[0].event_args()
    assert ev == {"old_s": accepted.coarse, "new_s": T}
    assert done.coarse == T
    assert done.raw[13:17] == T.to_bytes(4, "big")  # CUC coarse right after the 7 header bytes
    # fine time: 1/65536 s; the time between two packets is the virtual time advanced
    link.advance(2.35)
    ping = link.command("PING")
    dt = ping.reports()[0].time - done.time
    assert 2.35 <= dt <= 2.35 + 0.4
    for p in link.since(done.rx_index):
        assert p.coarse >= T


def test_set_time_backwards_is_obeyed(link):
    assert_completed(link.command("SET_TIME", T))
    r = link.command("SET_TIME", 1000)
    assert r.events("TIME_SET") and r.events("TIME_SET")[0].event_args() == {"old_s": T, "new_s": 1000}
    assert r.reports()[-1].coarse == 1000


@pytest.mark.parametrize("how", ["power_cycle", "reset"])
def test_time_goes_on_after_reboot(link, board, how):
    assert_completed(link.command("SET_TIME", T))
    link.advance(2.5)
    pkts = reboot(link, board, how)
    newest = max(p.coarse for p in last_before_boot(link, pkts[0]).values())
    assert pkts[0].coarse == newest + 1
    assert all(p.coarse >= newest + 1 for p in pkts)


@pytest.mark.parametrize("how", ["power_cycle", "reset"])
def test_sequence_counts_go_on_after_reboot(link, board, how):
    link.advance(3.0)
    assert_completed(link.command("PING"))
    pkts = reboot(link, board, how)
    last = {apid: p.seq_count for apid, p in last_before_boot(link, pkts[0]).items()}
    first = {}
    for p in pkts:
        first.setdefault(p.apid, p.seq_count)
    assert set(first) == set(last)
    for apid in last:
        assert 1 <= (first[apid] - last[apid]) % 16384 < 8192, (hex(apid), last[apid], first[apid])


def test_last_packet_before_power_cut_is_stored(link, board):
    link.advance(2.0)
    ping = link.command("PING")
    assert_completed(ping)
    last = ping.reports()[-1]
    reboot(link, board, "power_cycle")
    tc = link.tc("STORE_REPLAY", 0, last.coarse)
    r = link.request(tc, event("STORE_REPLAY_DONE"), timeout=10)
    assert last.raw in {p.raw for p in r.packets}


def test_store_disabled_time_and_counts_go_on_from_the_last_stored_packet(link, board):
    assert_completed(link.command("SET_TIME", T))
    switch_off = link.command("PARAM_SET", 3, 0.0)
    assert_completed(switch_off)
    last_stored = switch_off.events("PARAM_SET")[0]  # sent (and stored) just before the store is switched off
    link.advance(2.0)
    pkts = reboot(link, board, "power_cycle")
    boot = pkts[0]
    assert boot.coarse == last_stored.coarse + 1 and boot.seq_count == (last_stored.seq_count + 1) % 16384


def test_power_cycle_is_unclean(link, board):
    link.advance(1.0)
    pkts = reboot(link, board, "power_cycle")
    args = pkts[0].event_args()
    assert args["boot_count"] == 2 and args["clean"] == 0
    unclean = [p for p in pkts if p.event_name == "UNCLEAN_REBOOT"]
    assert len(unclean) == 1 and unclean[0].subtype == 3 and unclean[0].event_args() == {"boot_count": 2}


def test_power_cycle_after_an_unended_run_is_reset_cause_unknown(link, board):
    link.advance(1.0)
    pkts = reboot(link, board, "power_cycle")
    assert pkts[0].event_args()["reset_cause"] == 3


def test_commanded_reset(link, board):
    link.advance(1.0)
    pkts = reboot(link, board, "reset")
    args = pkts[0].event_args()
    assert (args["boot_count"], args["reset_cause"], args["clean"]) == (2, 1, 1)
    assert not [p for p in pkts if p.event_name == "UNCLEAN_REBOOT"]


def test_reset_reports_before_reboot(link, board):
    reset = COMMANDS["RESET"]
    assert_completed(link.command("ARM", reset["service"], reset["subtype"], reset["function"]))
    tc = link.tc("RESET")
    r = link.request(tc, event("BOOT"), timeout=3)
    assert r.report_kinds() == [(1, 1), (1, 3), (1, 7)]
    boot = r.events("BOOT")
    assert len(boot) == 1 and boot[0].rx_index > r.reports()[-1].rx_index


def test_time_set_after_reboot_dates_the_gap(link, board):
    assert_completed(link.command("SET_TIME", T))
    link.advance(1.0)
    pkts = reboot(link, board, "power_cycle")
    board_now = pkts[-1].coarse
    r = link.command("SET_TIME", T + 100)
    ev = r.events("TIME_SET")[0].event_args()
    assert ev["new_s"] == T + 100 and board_now <= ev["old_s"] <= board_now + 2
