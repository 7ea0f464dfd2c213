"""Section 4, ST[3]: housekeeping structures, one-shot, enable/disable, interval, sid 3, unknown sids."""

import itertools

import pytest

from .client import APIDS, HK, PARAMS, all_of, assert_completed, assert_refused, fields_size, final, hk_sid, request_id


def oneshot(link, sid):
    tc = link.tc("HK_ONESHOT", sid)
    r = link.request(tc, all_of(final(request_id(tc)), hk_sid(sid)))
    assert_completed(r)
    reports = [p for p in r.packets if p.kind == (3, 25) and p.sid == sid and p.rx_index >= r.reports()[0].rx_index]
    assert len(reports) >= 1
    return reports[0]


def sids_between(link, mark, sid):
    return [p for p in link.since(mark) if p.kind == (3, 25) and p.sid == sid]


@pytest.mark.parametrize("sid", [1, 2, 4])
def test_oneshot_layout(shared_link, sid):
    p = oneshot(shared_link, sid)
    st = HK[sid]
    assert p.apid == APIDS[st["apid"]]
    assert len(p.data) == 1 + fields_size(st["fields"])
    values = p.hk_fields()
    assert list(values) == [f[0] for f in st["fields"]]


def test_core_fields(link):
    link.command("PING")
    p = oneshot(link, 1)
    v = p.hk_fields()
    assert v["time_s"] == p.coarse
    assert v["boot_count"] == 1
    assert 0 <= v["uptime_s"] <= p.coarse + 1
    assert v["tc_accepted"] == 2  # PING and this HK_ONESHOT
    assert v["tc_rejected"] == 0
    assert v["frames_ok"] == 2
    assert (v["frames_bad"], v["crc_errors"], v["auth_rejects"]) == (0, 0, 0)
    assert v["sched_pending"] == 0 and v["store_faults"] == 0


def test_radmon_fields(shared_link):
    v = oneshot(shared_link, 2).hk_fields()
    assert v["alarm"] in (0, 1, 2, 3)
    assert v["sensor_state"] in (0, 1)
    assert 0.0 <= v["quality"] <= 1.0
    assert v["background_uGy_h"] == pytest.approx(PARAMS["rad_background_uGy_h"]["default"], rel=0.05)
    assert v["dose_total_gy"] >= 0.0


def test_power_fields(shared_link):
    v = oneshot(shared_link, 4).hk_fields()
    assert v["mode"] in (0, 1, 2, 3)
    assert 5.0 < v["battery_v"] < 9.0
    assert 0.0 <= v["soc_pct"] <= 100.0
    assert 0 <= v["switches"] <= 255 and 0 <= v["latched"] <= 255


def test_rad_sample_fields(link):
    link.advance(2.0)
    samples = [p for p in link.packets if p.kind == (3, 25) and p.sid == 3]
    assert samples
    for p in samples:
        assert p.apid == APIDS["radmon"]
        v = p.hk_fields()
        assert 0 <= v["t_ms"] < 1000
        assert v["sensor_state"] in (0, 1)


def test_periodic_default_intervals(link):
    link.advance(21.0)
    for sid, param in ((1, "hk_core_interval_s"), (2, "hk_rad_interval_s"), (4, "hk_pwr_interval_s"),
                       (3, "rad_sample_s")):
        times = [p.coarse for p in link.packets if p.kind == (3, 25) and p.sid == sid]
        gaps = {b - a for a, b in itertools.pairwise(times)}
        assert gaps == {PARAMS[param]["default"]}, (sid, times)


@pytest.mark.parametrize("sid", [4, 3])  # periodic, and rad_sample (sent at each dosimeter sample)
def test_disable_enable(link, sid):
    assert_completed(link.command("HK_DISABLE", sid))
    mark = link.mark()
    link.advance(3.0)
    assert sids_between(link, mark, sid) == []
    assert_completed(link.command("HK_ENABLE", sid))
    mark = link.mark()
    link.advance(2.0)
    assert len(sids_between(link, mark, sid)) >= 1


def test_disable_not_persisted(link, board):
    assert_completed(link.command("HK_DISABLE", 4))
    link.advance(1.0)
    mark = link.mark()
    board.power_cycle()
    link.wait(hk_sid(4), mark=mark, timeout=3.0)
    link.advance(2.0)
    assert len(sids_between(link, mark, 4)) >= 2


def test_set_interval(link):
    assert_completed(link.command("HK_SET_INTERVAL", 4, 3))
    mark = link.mark()
    link.advance(10.0)
    times = [p.coarse for p in sids_between(link, mark, 4)]
    assert len(times) >= 3
    assert {b - a for a, b in itertools.pairwise(times)} == {3}
    # persisted, and it is the structure's interval parameter
    assert link.get_param(PARAMS["hk_pwr_interval_s"]["id"]) == 3.0


def test_oneshot_of_disabled_structure(link):
    assert_completed(link.command("HK_DISABLE", 2))
    oneshot(link, 2)


def test_sid3_oneshot_refused(shared_link):
    # "refused with 14"; the spec gives no stage for sid 3: assumed completion like any sid failure
    r = shared_link.command("HK_ONESHOT", 3)
    assert_refused(r, "completion", 14)


def test_sid3_set_interval_refused(shared_link):
    r = shared_link.command("HK_SET_INTERVAL", 3, 5)
    assert_refused(r, "completion", 14)


@pytest.mark.parametrize("name,args", [("HK_ENABLE", (9,)), ("HK_DISABLE", (9,)), ("HK_ONESHOT", (9,)),
                                       ("HK_SET_INTERVAL", (9, 5)), ("HK_ONESHOT", (255,))])
def test_unknown_sid_is_completion_failure_14(shared_link, name, args):
    assert_refused(shared_link.command(name, *args), "completion", 14)


def test_sid_zero_out_of_argument_range(shared_link):
    # sid's dictionary range is 1..255: 0 fails the range check at acceptance
    assert_refused(shared_link.command("HK_ONESHOT", 0), "acceptance", 4)


def test_interval_zero_out_of_range(shared_link):
    assert_refused(shared_link.command("HK_SET_INTERVAL", 4, 0), "acceptance", 4)
