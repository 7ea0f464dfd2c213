# The ST[15] telemetry store, in the MicroPython VM: what was put survives a reopen (a reboot)
# whatever the number of packets, the head is found again, the newest packet continues board time
# and sequence counts, and a replay gives back every stored packet of a time range, oldest first.
from core import packets
from core.tm_storage import SLOT_HEADER, TmStorage

APIDS = (0x100, 0x101, 0x102)


def fill(path, count, slots=256):
    """`count` packets, round-robin over the three APIDs, packet k at board time 10 + k."""
    store = TmStorage(path, slots, packets.tm_time)
    writer = packets.TmWriter(512)
    for k in range(count):
        n = writer.build(APIDS[k % 3], 3, 25, 10 + k, 0, bytes([k & 0xFF]) * (1 + k % 7))
        store.put(writer.buf, n)
    return store


def expected_newest(count):
    """Board time of the last packet and the count of each APID's last one."""
    return 10 + count - 1, {APIDS[a]: (count - 1 - a) // 3 for a in range(3) if count > a}


def test_every_count_of_packets_survives_a_reopen():
    # the file's last slot is written only in part (header and packet, not all 160 bytes): a
    # scan that read whole slots lost it, and a reboot then wrote its successor over it
    for count in range(1, 140):  # across segment ends (16 slots each here) and a wrap of the ring
        path = "s%d" % count
        before = fill(path, count, slots=128)
        after = TmStorage(path, 128, packets.tm_time)
        assert (after.seg, after.fill, after.seq) == (before.seg, before.fill, before.seq), (count, after.seq)
        newest_s, seqs = after.newest(3)
        want_s, want_seqs = expected_newest(count)
        assert newest_s == want_s and seqs == {a: want_seqs[a] for a in seqs} and len(seqs) == min(count, 3), \
            (count, newest_s, seqs)
        before.f.close()
        after.f.close()


def test_a_wrapped_ring_gives_the_newest_and_replays_the_kept_range():
    store = fill("w", 300, slots=64)  # 300 packets into 16 segments of 4 slots: the last 64 are kept
    reopened = TmStorage("w", 64, packets.tm_time)
    assert reopened.newest(3) == expected_newest(300)
    sent = []
    reopened.start_replay(0, 10 ** 6)
    while reopened.replay_step(10, lambda buf, n: sent.append(packets.tm_time(buf))):
        pass
    assert sent == list(range(10 + 300 - 64, 10 + 300)) and reopened.replay_sent == 64
    store.f.close()
    reopened.f.close()


def test_an_empty_store_has_no_newest():
    assert TmStorage("e", 16, packets.tm_time).newest(3) == (-1, {})


def test_a_packet_too_long_for_a_slot_is_counted_not_stored():
    store = TmStorage("l", 16, packets.tm_time)
    writer = packets.TmWriter(512)
    n = writer.build(APIDS[0], 3, 25, 5, 0, bytes(160 - SLOT_HEADER))
    store.put(writer.buf, n)
    assert store.too_long == 1 and store.stored == 0 and store.newest(3) == (-1, {})


def test_a_torn_last_slot_is_written_over_and_the_rest_kept():
    store = fill("t", 10, slots=64)  # 16 segments of 4: the newest holds packets 8 and 9
    store.f.close()
    name = "t.%d" % store.seg
    with open(name, "rb") as f:
        data = f.read()
    with open(name, "wb") as f:
        f.write(data[:-3])  # a power cut in the middle of packet 9's write
    reopened = TmStorage("t", 64, packets.tm_time)
    assert reopened.seq == 9 and reopened.newest(3)[0] == 10 + 8
    sent = []
    reopened.start_replay(0, 10 ** 6)
    while reopened.replay_step(4, lambda buf, n: sent.append(packets.tm_time(buf))):
        pass
    assert sent == list(range(10, 10 + 9))
