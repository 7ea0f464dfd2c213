"""Section 3: hazardous commands need ARM then fire, as the very next TC, within arm_window_s."""

from .client import COMMANDS, PARAMS, all_of, assert_completed, assert_refused, event, final, frame, request_id

CLEAR = COMMANDS["RAD_CLEAR_DOSE"]
FORCE_OFF = COMMANDS["LOAD_FORCE_OFF"]
SPARE = 7  # the spare load channel: safe to switch off


def arm(link, cmd=CLEAR):
    r = link.command("ARM", cmd["service"], cmd["subtype"], cmd["function"] or 0)
    assert_completed(r)
    return r


def fire_clear(link):
    tc = link.tc("RAD_CLEAR_DOSE")
    return link.request(tc, settle=0.3)


def test_clear_dose_is_hazardous():
    assert CLEAR["hazardous"] and FORCE_OFF["hazardous"] and not COMMANDS["ARM"]["hazardous"]


def test_without_arm_refused_8(shared_link):
    r = fire_clear(shared_link)
    assert_refused(r, "acceptance", 8)
    assert r.events("RAD_DOSE_CLEARED") == []


def test_arm_reports(shared_link):
    r = arm(shared_link)
    assert r.report_kinds() == [(1, 1), (1, 3), (1, 7)]
    assert r.of(17, 2) == []


def test_arm_then_fire_executes(shared_link):
    arm(shared_link)
    tc = shared_link.tc("RAD_CLEAR_DOSE")
    r = shared_link.request(tc, all_of(final(request_id(tc)), event("RAD_DOSE_CLEARED")))
    assert_completed(r)
    assert len(r.events("RAD_DOSE_CLEARED")) == 1
    assert shared_link.hk(2)["dose_total_gy"] == 0.0


def test_arm_then_fire_other_app(shared_link):
    arm(shared_link, FORCE_OFF)
    assert_completed(shared_link.command("LOAD_FORCE_OFF", SPARE, settle=0.3))


def test_arm_is_single_use(shared_link):
    arm(shared_link)
    assert_completed(fire_clear(shared_link))
    assert_refused(fire_clear(shared_link), "acceptance", 8)


def test_ping_in_between_disarms(shared_link):
    arm(shared_link)
    assert_completed(shared_link.command("PING"))
    assert_refused(fire_clear(shared_link), "acceptance", 8)
    # and it must be armed again
    arm(shared_link)
    assert_completed(fire_clear(shared_link))


def test_bad_crc_frame_in_between_disarms(shared_link):
    arm(shared_link)
    shared_link.send_packet(shared_link.tc("PING", corrupt_crc=True))
    shared_link.advance(0.5)
    assert_refused(fire_clear(shared_link), "acceptance", 8)


def test_bad_mac_tc_in_between_disarms(shared_link):
    arm(shared_link)
    assert_refused(shared_link.command("PING", corrupt_mac=True), "acceptance", 6)
    assert_refused(fire_clear(shared_link), "acceptance", 8)


def test_unknown_apid_tc_in_between_disarms(shared_link):
    arm(shared_link)
    assert_refused(shared_link.request(shared_link.raw_tc(0x1FF, 17, 1)), "acceptance", 1)
    assert_refused(fire_clear(shared_link), "acceptance", 8)


def test_empty_frame_in_between_does_not_disarm(shared_link):
    # an empty frame is ignored (section 1): it is not a frame that decodes to a packet
    arm(shared_link)
    shared_link.write(b"\x00\x00")
    shared_link.advance(0.3)
    assert_completed(fire_clear(shared_link))


def test_invalid_cobs_frame_in_between_does_not_disarm(shared_link):
    # only "a frame that decodes to a packet" disarms; invalid COBS does not decode
    arm(shared_link)
    shared_link.write(b"\x10\x41\x42\x00")
    shared_link.advance(0.3)
    assert_completed(fire_clear(shared_link))


def test_different_hazardous_command_refused_8(shared_link):
    arm(shared_link, CLEAR)
    r = shared_link.command("LOAD_FORCE_OFF", SPARE)
    assert_refused(r, "acceptance", 8)
    # firing a different command disarmed it: the armed one is refused too
    assert_refused(fire_clear(shared_link), "acceptance", 8)


def test_arm_wrong_function_refused_8(shared_link):
    shared_link.command("ARM", 8, 1, FORCE_OFF["function"])
    assert_refused(fire_clear(shared_link), "acceptance", 8)


def test_fire_within_window_executes(shared_link):
    arm(shared_link)
    shared_link.advance(PARAMS["arm_window_s"]["default"] - 1.0)
    assert_completed(fire_clear(shared_link))


def test_fire_after_window_refused_8(shared_link):
    arm(shared_link)
    shared_link.advance(PARAMS["arm_window_s"]["default"] + 1.0)
    assert_refused(fire_clear(shared_link), "acceptance", 8)


def test_arm_window_parameter(link):
    assert_completed(link.command("PARAM_SET", PARAMS["arm_window_s"]["id"], 2.0))
    arm(link)
    link.advance(3.0)
    assert_refused(fire_clear(link), "acceptance", 8)
    arm(link)
    link.advance(1.0)
    assert_completed(fire_clear(link))


def test_range_checked_before_arming(shared_link):
    # argument ranges (4) come before arming (8) in the acceptance checks
    assert_refused(shared_link.command("LOAD_FORCE_OFF", 9), "acceptance", 4)


def test_length_checked_before_arming(shared_link):
    assert_refused(shared_link.command("RAD_CLEAR_DOSE", app_data=b"\x00\x0b\x00"), "acceptance", 3)


def test_fire_refused_then_garbage_free_rearm(shared_link):
    # a refused fire does not leave the board armed for a later one
    arm(shared_link)
    shared_link.advance(11.0)
    assert_refused(fire_clear(shared_link), "acceptance", 8)
    assert_refused(fire_clear(shared_link), "acceptance", 8)
    arm(shared_link)
    assert_completed(fire_clear(shared_link))


def test_arm_and_fire_in_one_write(shared_link):
    cmd = CLEAR
    a = shared_link.tc("ARM", cmd["service"], cmd["subtype"], cmd["function"])
    f = shared_link.tc("RAD_CLEAR_DOSE")
    mark = shared_link.mark()
    shared_link.write(frame(a) + frame(f))
    pkts = shared_link.wait(final(request_id(f)), mark=mark)
    assert [p.kind for p in pkts if p.service == 1 and p.request_id == request_id(f)] == [(1, 1), (1, 3), (1, 7)]
