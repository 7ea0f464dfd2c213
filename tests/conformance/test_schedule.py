"""Section 4, ST[11]: time-tagged commands."""


from .client import COMMANDS, all_of, assert_completed, assert_refused, final, hk_sid, request_id

CLEAR = COMMANDS["RAD_CLEAR_DOSE"]


def now(link):
    link.advance(0.2)
    return int(link.board_time())


def insert(link, release, inner_name="PING", *args, inner_number=None, outer_number=None, **inner_kw):
    """SCHED_INSERT of one inner TC; by default the outer TC takes the lower number."""
    outer_n = link.next_number() if outer_number is None else outer_number
    inner_n = outer_n + 1 if inner_number is None else inner_number
    inner = link.tc(inner_name, *args, number=inner_n, **inner_kw)
    outer = link.tc("SCHED_INSERT", release, inner, number=outer_n)
    return inner, link.request(outer)


def released(link, mark):
    return [p for p in link.since(mark) if p.event_name == "SCHED_RELEASED"]


def test_insert_and_release(link):
    t = now(link)
    inner, r = insert(link, t + 3)
    assert_completed(r)
    assert link.hk(1)["sched_pending"] == 1
    mark = link.mark()
    rid = request_id(inner)
    pkts = link.wait(final(rid), mark=mark, timeout=6)
    rel = [p for p in pkts if p.event_name == "SCHED_RELEASED"]
    assert len(rel) == 1 and rel[0].event_args() == {"service": 17, "subtype": 1}
    assert rel[0].coarse == t + 3
    mine = [p for p in pkts if p.rx_index >= rel[0].rx_index and
            (p.kind == (17, 2) or (p.service == 1 and p.request_id == rid))]
    assert [p.kind for p in mine] == [(1, 1), (1, 3), (17, 2), (1, 7)]
    assert link.hk(1)["sched_pending"] == 0


def test_release_time_in_past_released_next_second(link):
    t = now(link)
    inner, r = insert(link, 0)
    assert_completed(r)
    mark = link.mark()
    link.wait(final(request_id(inner)), mark=mark, timeout=2)
    rel = released(link, mark)
    assert len(rel) == 1 and rel[0].coarse <= t + 2


def test_inner_bad_crc_completion_3(shared_link):
    t = now(shared_link)
    _, r = insert(shared_link, t + 3, corrupt_crc=True)
    assert_refused(r, "completion", 3)


def test_inner_bad_header_completion_3(shared_link):
    t = now(shared_link)
    _, r = insert(shared_link, t + 3, length_delta=1)
    assert_refused(r, "completion", 3)


def test_inner_bad_mac_completion_6(shared_link):
    t = now(shared_link)
    inner, r = insert(shared_link, t + 3, corrupt_mac=True)
    assert_refused(r, "completion", 6)
    ev = r.events("AUTH_REJECTED")
    assert len(ev) == 1 and ev[0].subtype == 4
    assert ev[0].event_args() == {"reason": 6, "key_id": 0, "seq": int.from_bytes(inner[12:16], "big")}
    mark = shared_link.mark()
    shared_link.advance(4.0)
    assert released(shared_link, mark) == []


def test_inner_replayed_number_completion_7(shared_link):
    assert_completed(shared_link.command("PING"))
    spent = shared_link.number
    t = now(shared_link)
    _, r = insert(shared_link, t + 3, inner_number=spent, outer_number=spent + 1)
    assert_refused(r, "completion", 7)


def test_inner_identical_to_a_live_tc_completion_7(shared_link):
    tc = shared_link.tc("PING")
    assert_completed(shared_link.request(tc))
    t = now(shared_link)
    outer = shared_link.tc("SCHED_INSERT", t + 3, tc)
    assert_refused(shared_link.request(outer), "completion", 7)


def test_an_inner_number_below_the_outer_one_is_refused(shared_link):
    # spec: the outer number is consumed at acceptance, the inner one just after: number the
    # outer TC first
    t = now(shared_link)
    inner_n = shared_link.next_number()
    outer_n = shared_link.next_number()
    _, r = insert(shared_link, t + 3, inner_number=inner_n, outer_number=outer_n)
    assert_refused(r, "completion", 7)


def test_numbering_outer_below_inner_accepted(shared_link):
    # "each must be above everything the key sent before each arrives": outer arrives (and is
    # consumed) first, the inner one is checked when [11,4] runs
    t = now(shared_link)
    n = shared_link.number
    _, r = insert(shared_link, t + 3, inner_number=n + 20, outer_number=n + 10)
    assert_completed(r)
    assert_completed(shared_link.command("SCHED_RESET"))


def test_inner_number_consumed_at_insert(shared_link):
    t = now(shared_link)
    n = shared_link.number
    _, r = insert(shared_link, t + 30, inner_number=n + 20, outer_number=n + 10)
    assert_completed(r)
    assert_refused(shared_link.command("PING", number=n + 15), "acceptance", 7)
    assert_refused(shared_link.command("PING", number=n + 20), "acceptance", 7)
    assert_completed(shared_link.command("PING", number=n + 21))
    assert_completed(shared_link.command("SCHED_RESET"))


def test_outer_number_spent_when_inner_refused(shared_link):
    t = now(shared_link)
    _, r = insert(shared_link, t + 3, corrupt_mac=True)
    assert_refused(r, "completion", 6)
    assert_refused(shared_link.request(r.tc), "acceptance", 7)


def test_reset_empties_schedule(link):
    t = now(link)
    for k in range(3):
        assert_completed(insert(link, t + 3 + k)[1])
    assert link.hk(1)["sched_pending"] == 3
    assert_completed(link.command("SCHED_RESET"))
    assert link.hk(1)["sched_pending"] == 0
    mark = link.mark()
    link.advance(6.0)
    assert released(link, mark) == []


def test_schedule_full_12(link):
    t = now(link)
    for _ in range(32):
        assert_completed(insert(link, t + 1000)[1])
    assert link.hk(1)["sched_pending"] == 32
    _, r = insert(link, t + 1000)
    # "12 when full": a failure of the insert when it runs
    assert_refused(r, "completion", 12)


def test_earliest_released_first(link):
    t = now(link)
    late, _ = insert(link, t + 4)
    early, _ = insert(link, t + 3)
    mark = link.mark()
    link.wait(all_of(final(request_id(late)), final(request_id(early))), mark=mark, timeout=8)
    finals = [p.request_id for p in link.since(mark) if p.kind == (1, 7)]
    assert finals == [request_id(early), request_id(late)]


def test_tcs_due_together_are_released_together_first_in_first_out(link):
    t = now(link)
    inners = [insert(link, t + 3)[0] for _ in range(3)]
    mark = link.mark()
    link.wait(all_of(*[final(request_id(i)) for i in inners]), mark=mark, timeout=8)
    assert [p.coarse for p in released(link, mark)] == [t + 3] * 3
    accepted = [p.request_id for p in link.since(mark) if p.kind == (1, 1)]
    assert accepted == [request_id(i) for i in inners]


def test_released_inner_checked_like_live_tc(link):
    # the insert checks only CRC/header/MAC/number; the rest comes at release ([1,2])
    t = now(link)
    bad_apid, r1 = insert(link, t + 3, apid=0x1FF)
    bad_args, r2 = insert(link, t + 4, "PING", app_data=b"\x00")
    assert_completed(r1)
    assert_completed(r2)
    mark = link.mark()
    link.wait(all_of(final(request_id(bad_apid)), final(request_id(bad_args))), mark=mark, timeout=8)
    got = {p.request_id: p.failure for p in link.since(mark) if p.kind == (1, 2)}
    assert got == {request_id(bad_apid): 1, request_id(bad_args): 3}


def test_released_hazardous_needs_arm(link):
    t = now(link)
    inner, r = insert(link, t + 3, "RAD_CLEAR_DOSE")
    assert_completed(r)
    mark = link.mark()
    pkts = link.wait(final(request_id(inner)), mark=mark, timeout=6)
    mine = [p for p in pkts if p.service == 1 and p.request_id == request_id(inner)]
    assert [(p.kind, p.failure) for p in mine] == [((1, 2), 8)]


def test_time_tagged_arm_arms_next_tc(link):
    t = now(link)
    inner, r = insert(link, t + 3, "ARM", CLEAR["service"], CLEAR["subtype"], CLEAR["function"])
    assert_completed(r)
    mark = link.mark()
    pkts = link.wait(final(request_id(inner)), mark=mark, timeout=6)
    assert [p.kind for p in pkts if p.service == 1 and p.request_id == request_id(inner)] == [(1, 1), (1, 3), (1, 7)]
    fire = link.tc("RAD_CLEAR_DOSE")
    assert_completed(link.request(fire))


def test_release_disarms(link):
    t = now(link)
    inner, r = insert(link, t + 3)
    assert_completed(r)
    link.advance(1.0)
    assert_completed(link.command("ARM", CLEAR["service"], CLEAR["subtype"], CLEAR["function"]))
    mark = link.mark()
    link.wait(final(request_id(inner)), mark=mark, timeout=6)
    assert_refused(link.command("RAD_CLEAR_DOSE"), "acceptance", 8)


def test_schedule_persisted_across_power_cycle(link, board):
    t = now(link)
    inner, r = insert(link, t + 5)
    assert_completed(r)
    link.advance(1.0)
    mark = link.mark()
    board.power_cycle()
    link.wait(hk_sid(1), mark=mark, timeout=3)
    pkts = link.wait(final(request_id(inner)), mark=mark, timeout=8)
    assert [p.kind for p in pkts if p.service == 1 and p.request_id == request_id(inner)] == [(1, 1), (1, 3), (1, 7)]
    assert [p.event_args() for p in pkts if p.event_name == "SCHED_RELEASED"] == [{"service": 17, "subtype": 1}]
