# Rules of the flight core pinned to docs/protocol.md and independent references, in the
# MicroPython VM: HMAC-SHA256 around the 64-byte block (RFC 4231, CPython's hmac), a fresh key
# ring, the KEYS_INVALID reasons, BOOT's boot count, reset cause and clean flag, the dispatcher's
# counters in core housekeeping, TC[8,1] without a function id, ARM of a command that is not an
# ST[8] function, RESYNC_REPLAY's own number, the link's largest frame and per-pass read budget,
# the record store's generations and copies, and the telemetry store's replay.  Packets are built
# here by the protocol's layout (section 2, 3), not by the firmware's helpers.
import binascii
import gc
import json
import os
import struct

import dictionary
from core import auth, boot, failures, packets
from core.app import App
from core.boot import BootRecord
from core.crc16 import crc16
from core.link import Link
from core.records import DEFAULTS, FROM_BACKUP, RecordStore
from core.tm_storage import TmStorage
from mp_helpers import MemBoard, frame, tm_data, tm_header

KEY1 = bytes(range(1, 33))
CORE = 0x100


def tc(service, subtype, args=b"", seq=1, key_id=0, key=auth.DEV_KEY, apid=CORE, count=0, source=0):
    """A TC by docs/protocol.md: primary header, PUS-C secondary header, security header
    (key id, anti-replay number), arguments, HMAC-SHA256 truncated to 8 bytes, CRC-16."""
    total = 6 + 5 + 5 + len(args) + 8 + 2
    head = struct.pack(">HHH", 0x1800 | apid, 0xC000 | count, total - 7)
    head += struct.pack(">BBBHBI", 0x2F, service, subtype, source, key_id, seq) + args
    packet = head + auth.hmac_sha256(key, head)[:8]
    return packet + struct.pack(">H", crc16(packet))


def arm(service, subtype, function, seq):
    return tc(8, 1, struct.pack(">HBBH", 1, service, subtype, function), seq=seq)


def fire(function, seq):
    return tc(8, 1, struct.pack(">H", function), seq=seq)


class FlightBoard(MemBoard):
    accepts_dev_key = False  # as the Pico


class WatchdogBoard(MemBoard):
    @staticmethod
    def reset_cause():
        return 2  # what board/pico.py reports after a watchdog reset


def boot_core(board):
    """The core alone on `board` (callers drop the previous boot first: the heap is the Pico's);
    returns the app and the packets it sent at boot."""
    gc.collect()
    app = App(board)
    app.start()
    return app, board.frames()


def send(app, *tcs):
    for p in tcs:
        app.board.rx.extend(frame(p))
    app.step()
    return app.board.frames()


def event_id(name):
    for e in dictionary.EVENTS:
        if e["name"] == name:
            return e["id"]
    raise KeyError(name)


def events_of(pkts, name):
    """(subtype, arguments) of every event `name` among the packets."""
    eid = event_id(name)
    return [(tm_header(p)[3], tm_data(p)[2:]) for p in pkts
            if tm_header(p)[2] == 5 and struct.unpack(">H", tm_data(p)[:2])[0] == eid]


def reports(pkts):
    """(subtype, request id, failure code or None) of every ST[1] report."""
    out = []
    for p in pkts:
        if tm_header(p)[2] == 1:
            d = tm_data(p)
            out.append((tm_header(p)[3], struct.unpack(">I", d[:4])[0], struct.unpack(">H", d[4:6])[0] if len(d) > 4 else None))
    return out


def code_of(pkts):
    for subtype, _, code in reports(pkts):
        if subtype in (2, 8):
            return code
    return None


def completed(pkts):
    return [r[0] for r in reports(pkts)] == [1, 3, 7]


def core_hk(pkts):
    """The first core housekeeping report ([3,25], sid 1), decoded by the dictionary's fields."""
    (structure,) = [s for s in dictionary.HK if s["sid"] == 1]
    fmt = ">B" + "".join({"u8": "B", "u16": "H", "u32": "I"}[f[1]] for f in structure["fields"])
    for p in pkts:
        if tm_header(p)[2:4] == (3, 25) and tm_data(p)[0] == 1:
            values = struct.unpack(fmt, tm_data(p))[1:]
            return {f[0]: values[i] for i, f in enumerate(structure["fields"])}
    raise AssertionError("no core housekeeping")


# -- authentication -----------------------------------------------------------------------------
def test_hmac_sha256_matches_rfc4231_and_cpython_around_the_block_size():
    unhex = binascii.unhexlify
    # RFC 4231 test case 1 (20-byte key) and test case 6 (131-byte key, longer than the block)
    assert auth.hmac_sha256(b"\x0b" * 20, b"Hi There") == \
        unhex("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
    assert auth.hmac_sha256(b"\xaa" * 131, b"Test Using Larger Than Block-Size Key - Hash Key First") == \
        unhex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    # keys of 63, 64 (exactly SHA-256's block: used as is) and 65 bytes (hashed first), against
    # CPython: hmac.new(bytes(range(1, n + 1)), b"zarya", hashlib.sha256).hexdigest()
    for n, want in ((63, "ee15bdfff34841ec9010e91a5664a1e8f22527e77e90e9a86accca9d398d902c"),
                    (64, "37ce8bf53f24dbedeb586dee3be40e2cf66f116e1beb90ce3c67341d504a5c1f"),
                    (65, "7fbe88c17eb8909e6dfb8f7a39fb00d33616f45d2a73c039465b608febb78eef")):
        assert auth.hmac_sha256(bytes(range(1, n + 1)), b"zarya") == unhex(want), n


def test_a_fresh_key_ring_is_unlocked_and_takes_any_first_number():
    # protocol.md section 3: any number, 0 included, for a key never used
    ring = auth.KeyRing({1: KEY1}, {}, dictionary.MAC_LEN)
    assert not ring.locked and not ring.any_locked() and ring.record() == {}
    for seq in (0, 3):
        p = tc(17, 1, seq=seq, key_id=1, key=KEY1)
        assert ring.check(p, len(p) - 2, 1, seq) == 0, seq
    locked = auth.KeyRing({1: KEY1}, {}, dictionary.MAC_LEN, True, 7)  # control: a lost record
    p = tc(17, 1, seq=0, key_id=1, key=KEY1)
    assert locked.check(p, len(p) - 2, 1, 0) == failures.REPLAY_LOST and locked.record() == {"locked": 1}


def test_keys_invalid_reason_is_1_when_missing_and_2_when_malformed():
    # protocol.md section 3: event KEYS_INVALID (reason 1 missing, 2 malformed), high severity [5,4]
    for content, reason in ((None, 1), (b"", 2), (b"\x01" + KEY1 + b"\x07", 2), (b"\x00" + KEY1, 2),
                            (b"\x01" + bytes(32), 2), (None, 1)):
        if content is None:
            try:
                os.remove("keys.bin")
            except OSError:
                pass
        else:
            with open("keys.bin", "wb") as f:
                f.write(content)
        app = None
        app, out = boot_core(FlightBoard())
        assert events_of(out, "KEYS_INVALID") == [(4, bytes([reason]))] and not app.keyring.pads, content


# -- boot records -------------------------------------------------------------------------------
def boot_event(out):
    """(boot count, reset cause, clean) of the one BOOT event (protocol.md section 6)."""
    ((subtype, data),) = events_of(out, "BOOT")
    count, cause, clean, _ = struct.unpack(">HBBI", data[:8])
    assert subtype == 1 and data[8:] == dictionary.VERSION.encode()
    return count, cause, clean


def test_boot_event_counts_boots_and_carries_the_reset_cause_codes_of_the_spec():
    # protocol.md section 6: reset cause u8: 0 power-on, 1 commanded, 2 watchdog, 3 unknown
    assert (boot.POWER_ON, boot.COMMANDED, boot.WATCHDOG, boot.UNKNOWN) == (0, 1, 2, 3)
    app, out = boot_core(MemBoard())
    assert boot_event(out) == (1, 0, 1) and not events_of(out, "UNCLEAN_REBOOT")  # first boot: clean
    send(app, arm(8, 1, 2, 1))
    assert completed(send(app, fire(2, 2))) and app.exit_reason == "reset"  # RESET: an orderly end
    app = None
    app, out = boot_core(MemBoard())
    assert boot_event(out) == (2, 1, 1)  # commanded
    app = None
    app, out = boot_core(MemBoard())  # the last run never ended in order
    assert boot_event(out) == (3, 3, 0) and events_of(out, "UNCLEAN_REBOOT") == [(3, struct.pack(">H", 3))]
    app = None
    app, out = boot_core(WatchdogBoard())  # reset by the watchdog (and again not in order)
    assert boot_event(out) == (4, 2, 0)
    send(app, arm(8, 1, 3, 3))
    assert completed(send(app, fire(3, 4))) and app.exit_reason == "maintenance"
    app = None
    app, out = boot_core(MemBoard())  # after maintenance, powered on again
    assert boot_event(out) == (5, 0, 1) and app.boot.count == 5


def test_a_boot_record_without_count_or_mode_is_read_as_the_default_record():
    # the default boot record is count 0, clean, next cause power-on, mode 0: a stored record
    # missing a field reads that field as in the default (one boot counted: 1; mode 0)
    RecordStore().save("boot", {"clean": True})
    b = BootRecord(RecordStore(), boot.POWER_ON)
    assert (b.count, b.mode, b.cause, b.unclean) == (1, 0, 0, False)
    assert RecordStore().load("boot", None) == {"count": 1, "clean": False, "next_cause": 0, "mode": 0}
    RecordStore().save("boot", {"count": 41, "clean": True, "next_cause": 0})
    b = BootRecord(RecordStore(), boot.POWER_ON)
    assert (b.count, b.mode) == (42, 0) and RecordStore().load("boot", None)["mode"] == 0
    RecordStore().save("boot", {"count": 7, "clean": True, "next_cause": 0, "mode": 3})
    b = BootRecord(RecordStore(), boot.POWER_ON)
    assert (b.count, b.mode) == (8, 3) and RecordStore().load("boot", None)["mode"] == 3  # kept


# -- dispatcher -----------------------------------------------------------------------------------
def test_core_housekeeping_counts_frames_from_zero():
    # protocol.md section 1: frames_ok counts the frames that decoded; frames_bad those not COBS
    # and those too short or with a bad header (counted in both); a bad CRC is crc_errors
    app, _ = boot_core(MemBoard())
    hk = core_hk(send(app, tc(3, 27, b"\x01", seq=1)))
    assert (hk["boot_count"], hk["frames_ok"], hk["frames_bad"], hk["crc_errors"], hk["auth_rejects"],
            hk["tc_accepted"], hk["tc_rejected"]) == (1, 1, 0, 0, 0, 1, 0), hk
    bad_crc = bytearray(tc(17, 1, seq=2))
    bad_crc[-1] ^= 1
    tm_type = bytearray(tc(17, 1, seq=3))
    tm_type[0] &= 0xEF  # type 0: a TM's primary header
    crc = crc16(tm_type, len(tm_type) - 2)
    tm_type[-2:] = bytes((crc >> 8, crc & 0xFF))
    app.board.rx.extend(b"\x05\x01\x02\x00" + frame(b"\x19\x00\xc0") + frame(bytes(bad_crc)) + frame(bytes(tm_type)))
    hk = core_hk(send(app, tc(3, 27, b"\x01", seq=4)))
    assert (hk["frames_ok"], hk["frames_bad"], hk["crc_errors"], hk["tc_accepted"]) == (5, 3, 1, 2), hk


def test_st8_1_without_a_function_id_is_malformed():
    # protocol.md section 4: [8,1] is function id (u16), then its arguments: without one the
    # arguments are malformed (3); [9,1] is no command (2); an unknown function is 13
    app, _ = boot_core(MemBoard())
    for seq, (service, subtype, args, code) in enumerate(((8, 1, b"", failures.BAD_LENGTH),
                                                          (8, 1, b"\x00", failures.BAD_LENGTH),
                                                          (9, 1, b"", failures.UNKNOWN_SERVICE),
                                                          (8, 1, b"\x00\x63", failures.UNKNOWN_FUNCTION)), 1):
        assert code_of(send(app, tc(service, subtype, args, seq=seq))) == code, (service, subtype, args)
    assert (failures.BAD_LENGTH, failures.UNKNOWN_SERVICE, failures.UNKNOWN_FUNCTION) == (3, 2, 13)


def test_arm_with_target_function_0_arms_a_command_that_is_not_an_st8_function():
    # protocol.md section 3: ARM(service, subtype, target_function), target_function 0 for a
    # command that is not an ST[8] function.  The flight dictionary has no such hazardous
    # command, so SCHED_RESET [11,3] is made hazardous in this board's command table.
    app, _ = boot_core(MemBoard())
    d = app.dispatcher
    key = ("core", 11, 3, None)
    cmd = dict(d.commands[key])
    cmd["hazardous"] = True
    d.commands[key] = cmd
    assert code_of(send(app, tc(11, 3, seq=1))) == failures.NOT_ARMED
    assert completed(send(app, arm(11, 3, 1, 2)))
    assert code_of(send(app, tc(11, 3, seq=3))) == failures.NOT_ARMED  # armed for function 1: not this
    assert completed(send(app, arm(11, 3, 0, 4)))
    assert completed(send(app, tc(11, 3, seq=5)))


def test_resync_replay_sets_the_key_to_its_own_number_above_the_floor():
    # protocol.md section 3: the key's last number becomes max(floor, its number)
    app, _ = boot_core(MemBoard())
    assert completed(send(app, tc(17, 1, seq=1))) and completed(send(app, tc(17, 1, seq=2)))
    with open("replay", "r+b") as f:  # the newest committed copy lost: the board locks
        f.seek(20)
        f.write(b"\xa5\x5a")
    app = None
    app, out = boot_core(MemBoard())
    ((_, data),) = events_of(out, "REPLAY_LOCKED")
    nonce = struct.unpack(">I", data)[0]
    assert code_of(send(app, tc(17, 1, seq=3))) == failures.REPLAY_LOST
    out = send(app, tc(8, 1, struct.pack(">HII", 4, nonce, 10), seq=7000))
    assert completed(out), reports(out)
    for seq in (11, 6999, 7000):
        assert code_of(send(app, tc(17, 1, seq=seq))) == failures.REPLAYED, seq
    assert completed(send(app, tc(17, 1, seq=7001)))


# -- link -----------------------------------------------------------------------------------------
def test_a_max_size_packet_with_the_longest_encoding_is_received_one_byte_more_is_not():
    with open("keys.bin", "wb") as f:  # key id 1: no zero byte in the security header
        f.write(b"\x01" + KEY1)
    app, _ = boot_core(MemBoard())
    for seq in range(0x01010101, 0x01010201):  # a MAC and CRC without a zero byte
        big = tc(17, 1, b"\x55" * 486, seq=seq, key_id=1, key=KEY1, count=1, source=0x0101)
        if big.find(b"\x00", 2) < 0:  # the only zero: the core APID's low byte
            break
    assert len(big) == dictionary.MAX_PACKET == 512
    # COBS: one code byte per zero-delimited block and one more per 254 zero-free bytes:
    # [02 19] [FF + 254] [FF + 254] [03 + 2] = 515, the longest valid encoding of 512 bytes
    assert len(frame(big)) == 515 + 1
    out = send(app, big)
    assert reports(out) == [(2, struct.unpack(">I", big[:4])[0], failures.BAD_LENGTH)], reports(out)  # PING takes no args
    assert (app.link.frames_ok, app.link.frames_bad) == (1, 0)
    seq += 1
    longer = tc(17, 1, b"\x55" * 487, seq=seq, key_id=1, key=KEY1, count=1, source=0x0101)
    out = send(app, longer)
    assert len(longer) == 513 and reports(out) == [] and (app.link.frames_ok, app.link.frames_bad) == (1, 1)
    assert completed(send(app, tc(17, 1, seq=seq + 1, key_id=1, key=KEY1)))  # and the link goes on


class Line:
    """A serial line holding `data`, counting the reads."""

    def __init__(self, data):
        self.data = bytearray(data)
        self.reads = 0

    def serial_read_into(self, buf):
        self.reads += 1
        n = min(len(buf), len(self.data))
        buf[:n] = self.data[:n]
        self.data = self.data[n:]
        return n


def test_a_pass_reads_at_most_8_chunks_and_stops_at_an_empty_line():
    payload = b"\x01" * 126 + b"\x00" + b"\x02" * 127
    one = frame(payload)
    assert len(one) == 256  # one chunk of the link's 256-byte reads
    line = Line(one * 9)
    link = Link(line, dictionary.MAX_PACKET)
    got = []
    link.poll(lambda buf, n: got.append(bytes(buf[:n])))
    assert got == [payload] * 8 and line.reads == 8  # 2048 bytes a pass
    link.poll(lambda buf, n: got.append(bytes(buf[:n])))
    assert got == [payload] * 9 and line.reads == 10  # the ninth frame, then the empty line ends the pass
    link.poll(lambda buf, n: got.append(bytes(buf[:n])))
    assert line.reads == 11 and link.frames_ok == 9 and link.frames_bad == 0  # an idle line: one read


# -- record store ---------------------------------------------------------------------------------
def write_record(name, gen, value, length_delta=0):
    """A record by the layout records.py documents: b"ZRS1", u32 generation, u32 length, u32
    crc32 of the payload, big-endian, then the JSON payload."""
    payload = json.dumps(value).encode()
    with open(name, "wb") as f:
        f.write(struct.pack(">4sIII", b"ZRS1", gen, len(payload) + length_delta, binascii.crc32(payload) & 0xFFFFFFFF))
        f.write(payload)


def read_record(name):
    """(generation, value) of a record file, by the same layout."""
    with open(name, "rb") as f:
        raw = f.read()
    magic, gen, length, crc = struct.unpack(">4sIII", raw[:16])
    assert magic == b"ZRS1" and length == len(raw) - 16 and crc == binascii.crc32(raw[16:]) & 0xFFFFFFFF
    return gen, json.loads(raw[16:])


def watched():
    seen = []
    return RecordStore("", None, {9: "x"}, lambda file_id, action: seen.append((file_id, action))), seen


def test_generations_count_saves_and_generation_0_is_a_good_copy():
    s = RecordStore()
    for v in (1, 2, 3):
        s.save("x", {"v": v})
    assert read_record("x") == (3, {"v": 3}) and read_record("x.bak") == (2, {"v": 2})
    write_record("y", 0, {"v": 0})  # generation 0 is a u32 like any other
    s, seen = watched()
    assert s.load("y", {}) == {"v": 0} and seen == [] and s.faults == 0 and not s.lost
    s.save("y", {"v": 1})
    assert read_record("y") == (1, {"v": 1}) and read_record("y.bak") == (0, {"v": 0})


def test_a_length_field_that_disagrees_with_the_payload_is_corrupt_even_with_a_good_crc():
    write_record("x.bak", 4, {"v": 4})
    write_record("x", 5, {"v": 5}, length_delta=1)
    s, seen = watched()
    assert s.load("x", {}) == {"v": 4} and seen == [(9, FROM_BACKUP)] and "x" in s.lost
    write_record("x.bak", 4, {"v": 4}, length_delta=-1)
    s, seen = watched()
    assert s.load("x", {"d": 0}) == {"d": 0} and seen == [(9, DEFAULTS)]


def test_a_promoted_new_copy_keeps_the_good_current_one_as_backup():
    # records.py: NAME.new (complete) becomes NAME; a good NAME becomes NAME.bak, an absent one
    # leaves NAME.bak as it is.  Power lost after NAME.new was written, before the renames:
    write_record("x", 0, {"v": 0})
    write_record("x.new", 1, {"v": 1})
    s, seen = watched()
    assert s.load("x", {}) == {"v": 1} and seen == [(9, FROM_BACKUP)]
    assert read_record("x") == (1, {"v": 1}) and read_record("x.bak") == (0, {"v": 0})
    assert "x.new" not in os.listdir()
    # power lost between "x -> x.bak" and "x.new -> x": the backup stays
    s = RecordStore()
    s.save("z", {"v": 1})
    s.save("z", {"v": 2})
    os.rename("z", "z.new")
    assert RecordStore().load("z", {}) == {"v": 2}
    assert read_record("z") == (2, {"v": 2}) and read_record("z.bak") == (1, {"v": 1})
    with open("z", "r+b") as f:  # and it is what a later corruption of the newest copy falls back to
        f.seek(18)
        f.write(b"\xff")
    assert RecordStore().load("z", {}) == {"v": 1}


# -- telemetry store ------------------------------------------------------------------------------
def stored(count, slots=64):
    """A store of `count` packets (16 segments of slots // 16), packet k at board time 10 + k;
    returns the store and the packets' bytes."""
    store = TmStorage("tm", slots, packets.tm_time)
    writer = packets.TmWriter(dictionary.MAX_PACKET)
    sent = []
    for k in range(count):
        n = writer.build(CORE + k % 3, 3, 25, 10 + k, 0, bytes([k + 1]) * (1 + k % 9))
        store.put(writer.buf, n)
        sent.append(bytes(writer.buf[:n]))
    return store, sent


def replay(store, from_s, to_s, per_step):
    out = []
    store.start_replay(from_s, to_s)
    while store.replay_step(per_step, lambda buf, n: out.append(bytes(buf[:n]))):
        pass
    return out


def test_replay_gives_every_packet_of_the_range_byte_for_byte_whatever_the_budget():
    # protocol.md section 4, ST[15]: the stored packets whose coarse time is in [from, to],
    # byte for byte as first sent, oldest first
    store, sent = stored(30)  # segments 0..7; the newest holds packets 28 and 29
    for per_step in (1, 2, 3, 100):
        assert replay(store, 0, 10 ** 6, per_step) == sent, per_step
    assert replay(store, 12, 14, 1) == sent[2:5]
    assert replay(store, 10, 10, 1) == sent[:1] and replay(store, 39, 39, 1) == sent[29:]
    assert replay(store, 40, 10 ** 6, 1) == [] and store.replay_sent == 0
    store.f.close()


def test_packets_stored_after_the_replay_started_are_not_replayed():
    # protocol.md section 4: the stream holds what was stored before the replay started
    store, sent = stored(30)
    writer = packets.TmWriter(dictionary.MAX_PACKET)
    store.start_replay(0, 10 ** 6)
    out = []
    for k in (30, 31):
        n = writer.build(CORE, 1, 1, 10 + k, 0, b"live")
        store.put(writer.buf, n)
    while store.replay_step(7, lambda buf, n: out.append(bytes(buf[:n]))):
        pass
    assert out == sent and store.replay_sent == 30
    store.f.close()
