"""Section 4, ST[20]: get/set, integer vs f32, ranges, NaN, unknown ids, persistence."""

import math
import struct

import pytest

from .client import PARAMS, PARAMS_BY_ID, all_of, assert_completed, assert_refused, event, f32, final, kind, request_id


def pid(name):
    return PARAMS[name]["id"]


def test_get_reports(shared_link):
    tc = shared_link.tc("PARAM_GET", pid("arm_window_s"))
    r = shared_link.request(tc, all_of(final(request_id(tc)), kind(20, 2)))
    mine = [p for p in r.packets if p.kind == (20, 2) or (p.service == 1 and p.request_id == r.rid)]
    assert [p.kind for p in mine] == [(1, 1), (1, 3), (20, 2), (1, 7)]
    answer = r.of(20, 2)[0]
    assert answer.apid == 0x100
    assert answer.data == struct.pack(">Hf", 1, 10.0)


def test_every_default(link):
    for p in PARAMS_BY_ID.values():
        assert link.get_param(p["id"]) == f32(p["default"]), p["name"]


@pytest.mark.parametrize("name,value", [("rad_dwell_s", 30.0), ("tm_store_enabled", 0.0),
                                        ("rad_elevated_x", 2.5), ("rad_gy_per_count", 2e-8),
                                        ("pwr_ground_wdt_s", 1000000.0)])
def test_set_then_get(link, name, value):
    tc = link.tc("PARAM_SET", pid(name), value)
    r = link.request(tc, all_of(final(request_id(tc)), event("PARAM_SET")))
    assert_completed(r)
    ev = r.events("PARAM_SET")
    assert len(ev) == 1 and ev[0].event_args() == {"param_id": pid(name), "value": f32(value)}
    assert link.get_param(pid(name)) == f32(value)


def test_set_persisted_across_power_cycle(link, board):
    assert_completed(link.command("PARAM_SET", pid("rad_dwell_s"), 42.0))
    link.advance(1.0)
    board.power_cycle()
    link.advance(1.0)
    assert link.get_param(pid("rad_dwell_s")) == 42.0


def refused_unchanged(link, name, value, stage, code):
    before = link.get_param(pid(name))
    mark = link.mark()
    r = link.command("PARAM_SET", pid(name), value)
    assert_refused(r, stage, code)
    assert not any(p.event_name == "PARAM_SET" for p in link.since(mark))
    assert link.get_param(pid(name)) == before


@pytest.mark.parametrize("name,value", [("arm_window_s", 61.0), ("arm_window_s", 0.0), ("arm_window_s", -1.0),
                                        ("tm_store_enabled", 2.0), ("rad_elevated_x", 1.0),
                                        ("rad_gy_per_count", 0.0), ("pwr_safe_mv", 9001.0)])
def test_out_of_range_completion_4(shared_link, name, value):
    refused_unchanged(shared_link, name, value, "completion", 4)


@pytest.mark.parametrize("name,value", [("arm_window_s", 10.5), ("rad_dwell_s", 0.25), ("tm_store_enabled", 0.5)])
def test_non_integral_for_integer_completion_4(shared_link, name, value):
    refused_unchanged(shared_link, name, value, "completion", 4)


def test_integral_value_for_f32_accepted(link):
    assert_completed(link.command("PARAM_SET", pid("rad_elevated_x"), 4.0))
    assert link.get_param(pid("rad_elevated_x")) == 4.0


@pytest.mark.parametrize("raw", [struct.pack(">f", math.nan), struct.pack(">f", math.inf),
                                 struct.pack(">f", -math.inf), bytes.fromhex("7f7fffff"),
                                 bytes.fromhex("ff7fffff"), bytes.fromhex("7fc00001")])
def test_nan_inf_beyond_limit_acceptance_4(shared_link, raw):
    # f32 max (3.4028235e38) is beyond +-3.4e38: refused at acceptance too
    before = shared_link.get_param(pid("rad_elevated_x"))
    data = struct.pack(">H", pid("rad_elevated_x")) + raw
    assert_refused(shared_link.command("PARAM_SET", app_data=data), "acceptance", 4)
    assert shared_link.get_param(pid("rad_elevated_x")) == before


def test_unknown_id_set_completion_11(shared_link):
    assert_refused(shared_link.command("PARAM_SET", 99, 1.0), "completion", 11)


def test_unknown_id_get_completion_11(shared_link):
    assert_refused(shared_link.command("PARAM_GET", 99), "completion", 11)


def test_param_id_zero_out_of_argument_range(shared_link):
    # param_id's dictionary range is 1..65535
    assert_refused(shared_link.command("PARAM_GET", 0), "acceptance", 4)


def test_nan_for_unknown_id_is_acceptance_failure(shared_link):
    # acceptance (4) comes before execution (11)
    data = struct.pack(">H", 99) + struct.pack(">f", math.nan)
    assert_refused(shared_link.command("PARAM_SET", app_data=data), "acceptance", 4)


@pytest.mark.parametrize("data", [b"\x00\x01", b"\x00\x01\x41\x20\x00\x00\x00"])
def test_bad_length_acceptance_3(shared_link, data):
    assert_refused(shared_link.command("PARAM_SET", app_data=data), "acceptance", 3)
