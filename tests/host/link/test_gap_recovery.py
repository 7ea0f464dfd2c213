"""Packets lost on the link are brought back by an ST[15] replay, across a reboot of the board too
(board time and sequence counts go on from the TM store), and what no replay can bring back is
recorded in the archive's gaps table: nothing is lost without a record."""

import time

APIDS = (0x100, 0x101, 0x102)


def wait_for(condition, board, seconds=20.0):
    """Let the board run (the replay is sent over main-loop passes) until `condition` holds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not condition():
        board.advance(1)
        time.sleep(0.05)
    return condition()


def boots(archive):
    return [(t, v) for t, v in archive.series("BOOT.boot_count")]


def test_a_reboot_during_a_link_drop_loses_no_packet(link, board):
    board.advance(20)
    board.set_link(False)
    board.advance(60)
    board.power_cycle()  # the board reboots while nobody hears it
    board.advance(60)
    board.set_link(True)
    board.advance(10)
    archive = link.archive
    first_boot = link.board_identity["boot_count"]
    assert wait_for(lambda: boots(archive) and boots(archive)[-1][1] == first_boot + 1
                    and not any(archive.sequence_gaps(a) for a in APIDS), board)
    t_boot, count = boots(archive)[-1]  # the reboot's BOOT event, brought back by the replay (the first
    # boot's is there too when the link was up before the board's first pass)
    assert count == first_boot + 1 and t_boot >= 80  # board time went on through the reboot
    assert archive.gaps() == [] and link.stats["gaps"] >= 1 and link.stats["gaps_unrecovered"] == 0
    uptimes = archive.series("core.uptime_s")
    assert [t for t, _ in uptimes] == sorted(t for t, _ in uptimes)
    assert any(u < 30 for t, u in uptimes if t > t_boot)  # the second boot's housekeeping is there


def test_packets_no_replay_can_bring_back_are_recorded_as_gaps(link, board):
    assert link.command("PARAM_SET", param_id=3, value=0).ok  # tm_store_enabled = 0: nothing kept on board
    board.advance(5)
    board.set_link(False)
    board.advance(40)
    board.set_link(True)
    board.advance(5)
    archive = link.archive
    holes = lambda: sum(missing for a in APIDS for _, missing in archive.sequence_gaps(a))  # noqa: E731
    recorded = lambda: sum(g[2] for g in archive.gaps())  # noqa: E731
    assert wait_for(lambda: holes() and recorded() == holes(), board)
    assert holes() >= 40 and link.stats["gaps_unrecovered"] == holes()
    for apid, after_seq, missing, from_s, to_s in archive.gaps():
        assert (after_seq, missing) in archive.sequence_gaps(apid) and to_s - from_s >= 40
