"""Link fuzz bench: hostile bytes into the simulated board's serial line, counted stage by stage.

    python benchmarks/fuzz_link.py --frames 1000000 --seed 1 [--batch 2000] [--json out.json]

A standing check, not a timed unit test (tests/host/link/test_fuzz_short.py runs 10^4 frames).
The unchanged firmware runs in the MicroPython VM behind its pty (zarya.sim.board.SimulatedBoard,
driven here in zero-length lockstep steps, so its virtual time stands still and only the input
does anything); raw bytes go in through pyserial.  Each input ("frame") is one of:

- random: random bytes (a few with embedded 0x00, which the board sees as several frames);
- mutated: a valid TC with bits flipped, bytes inserted, deleted or overwritten, before or after
  COBS encoding;
- truncated: a valid TC cut short, before or after COBS encoding;
- overlong: frames longer than the board's receive buffer, and frames that are valid COBS but
  decode to MAX_PACKET+1 .. MAX_PACKET+3 bytes (the decode overrun fixed in firmware/core/cobs.py);
- CRC-valid garbage: random headers and data with a correct length field and CRC-16, and mutated
  TCs whose CRC was recomputed, so they reach the dispatcher and die at its checks or at the MAC;
- replayed: an exact copy of an earlier accepted TC;
- authenticated (at least 10 %): signed with the development key and a fresh anti-replay number
  (each one higher than the last), naming a command of the dictionary with fuzzed arguments:
  in range, out of range, too short, too long, or with a random function/subtype, so they reach
  the command handlers.  Never generated: hazardous commands (RESET, ENTER_MAINTENANCE,
  RAD_CLEAR_DOSE, LOAD_FORCE_OFF; they also need ARM), and PARAM_SET of tm_store_enabled (the
  bench switches the ST[15] store off at the start, so that STORE_REPLAY cannot replay old ST[1]
  reports into the accounting: what it held then is replayed once at the start and ignored when
  replayed again); a random header that lands on an excluded command is redrawn.

The host models the board's receive path (firmware/core/link.py, cobs.py and packets.parse_tc)
to say where each frame must die; every frame that reaches the dispatcher is matched, by request
ID and order, to the ST[1] report the board sent for it (acceptance or rejection with its code,
then completion).  After each batch a signed HK_ONESHOT of the core structure (sid 1) returns the
board's own counters, and their change over the batch is compared with what was sent:
frames_ok, frames_bad (framing + short/length/not-a-TC), crc_errors, auth_rejects (= AUTH_REJECTED
events), tc_accepted and tc_rejected (= ST[1] acceptance and rejection reports).

Reboots (boots after the first, watchdog resets) and hangs (a batch whose closing command is not
answered) must be 0.  A batch that reboots the board is bisected down to the one input that does
it, which is reported (hex) rather than fixed.
"""

from __future__ import annotations

import argparse
import binascii
import collections
import hashlib
import hmac
import json
import random
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import serial

from zarya.dictionary import load as load_dictionary
from zarya.link.framing import FrameReader, cobs_decode, cobs_encode
from zarya.link.keys import DEV_KEY, DEV_KEY_ID
from zarya.link.packets import BadPacketError, decode_tm
from zarya.sim.board import SimulatedBoard

DICT = load_dictionary()
MOD = DICT.module
FAIL = DICT.failures
MAX_PACKET = MOD.MAX_PACKET
MAC_LEN = MOD.MAC_LEN
RX_LEN = MAX_PACKET + MAX_PACKET // 254 + 2  # the board's receive buffer (firmware/core/link.py)
PRIMARY_LEN, TC_SEC_LEN, CRC_LEN, SEC_HEADER_LEN, PUS_VERSION = 6, 5, 2, 5, 2
SEQ_MODULUS = 1 << 14
EXCLUDED = {"RESET", "ENTER_MAINTENANCE"}  # reboot / leave the flight loop; hazardous anyway
NO_STORE_PARAM = DICT.params["tm_store_enabled"]["id"]
AUTH_CODES = {FAIL.UNKNOWN_KEY, FAIL.BAD_MAC, FAIL.REPLAYED} | ({FAIL.REPLAY_LOST} if hasattr(FAIL, "REPLAY_LOST") else set())
KINDS = ("random", "mutated", "truncated", "overlong", "crc_garbage", "replayed", "authenticated")
WEIGHTS = (0.29, 0.20, 0.14, 0.04, 0.17, 0.03, 0.13)  # an accepted TC costs the board ~3 ms (its anti-replay write)
TM_DATA = PRIMARY_LEN + 13  # where a TM packet's source data starts (firmware/core/packets.py)
EVENT_NAMES = {e["id"]: e["name"] for e in MOD.EVENTS}
VERIFICATION = {1: "accepted", 2: "rejected", 3: "started", 7: "completed", 8: "failed"}
SYNC_TIMEOUT_S = 30.0  # wall seconds a batch may take to be answered before it counts as a hang
FORMATS = {"u8": "B", "u16": "H", "u32": "I", "i16": "h", "i32": "i", "f32": "f"}
RANGES = {"u8": (0, 255), "u16": (0, 65535), "u32": (0, 2**32 - 1), "i16": (-32768, 32767), "i32": (-2**31, 2**31 - 1)}


def crc16(data: bytes) -> int:
    return binascii.crc_hqx(data, 0xFFFF)  # CRC-16/CCITT-FALSE, as firmware/core/crc16.py


def frame_of(packet: bytes) -> bytes:
    return cobs_encode(packet) + b"\x00"


def model(segment: bytes) -> tuple[str, bytes | None]:
    """Where the board stops a frame (the bytes between two 0x00): its receive path, in order."""
    if len(segment) > RX_LEN:
        return "framing", None  # longer than the receive buffer: dropped whole
    packet = cobs_decode(segment)
    if packet is None or len(packet) > MAX_PACKET:
        return "framing", None
    n = len(packet)
    if n < PRIMARY_LEN + TC_SEC_LEN + CRC_LEN:
        return "short", packet
    word0, _, length = struct.unpack_from(">HHH", packet, 0)
    if length + 1 + PRIMARY_LEN != n:
        return "length", packet
    if crc16(packet[:-2]) != struct.unpack(">H", packet[-2:])[0]:
        return "crc", packet
    if (word0 >> 13) != 0 or not (word0 >> 12) & 1 or not (word0 >> 11) & 1 or (packet[6] >> 4) != PUS_VERSION:
        return "not_tc", packet
    return "dispatch", packet


@dataclass
class Frame:
    kind: str
    data: bytes  # bytes on the line, delimiter included
    fresh: bool = False  # signed with a new anti-replay number: must pass authentication


@dataclass
class Totals:
    inputs: dict = field(default_factory=collections.Counter)  # generated, by kind
    stages: dict = field(default_factory=collections.Counter)  # where frames died (model + reports)
    codes: dict = field(default_factory=collections.Counter)  # ST[1] rejection codes
    executed: dict = field(default_factory=collections.Counter)  # completed / failed(code)
    events: dict = field(default_factory=collections.Counter)
    frames: int = 0  # frames the board saw (non-empty segments), batches' closing commands excluded
    bytes: int = 0
    authenticated: int = 0  # fresh signed TCs (reach the command checks and handlers)
    passed_auth: int = 0
    counter_mismatches: list = field(default_factory=list)
    accounting_errors: list = field(default_factory=list)
    reboots: int = 0
    watchdog_resets: int = 0
    hangs: int = 0
    culprits: list = field(default_factory=list)
    batches: int = 0
    batches_compared: int = 0
    rebooted_inputs: int = 0  # inputs of batches that rebooted the board (not accounted stage by stage)


class Generator:
    """Seeded inputs; keeps the anti-replay number and the TC sequence count."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.auth_seq = 0
        self.tc_seq = 0
        self.accepted: collections.deque = collections.deque(maxlen=256)  # recent fresh TCs, for replays
        self.commands = [c for c in MOD.COMMANDS if not c["hazardous"] and c["name"] not in EXCLUDED]
        self.excluded = {(MOD.APIDS[c["apid"]], c["service"], c["subtype"], c["function"])
                         for c in MOD.COMMANDS if c["hazardous"] or c["name"] in EXCLUDED}
        self.apids = sorted(MOD.APIDS.values())

    # -- packets ---------------------------------------------------------------------------
    def next_seq_count(self) -> int:
        self.tc_seq = (self.tc_seq + 1) % SEQ_MODULUS
        return self.tc_seq

    def tc(self, apid: int, service: int, subtype: int, data: bytes, key_id: int = DEV_KEY_ID, key: bytes = DEV_KEY,
           auth_seq: int | None = None) -> bytes:
        """A signed PUS-C TC: primary header, secondary header, security header, data, MAC, CRC."""
        if auth_seq is None:
            self.auth_seq += 1
            auth_seq = self.auth_seq
        body = struct.pack(">BI", key_id, auth_seq) + data
        n = PRIMARY_LEN + TC_SEC_LEN + len(body) + MAC_LEN + CRC_LEN
        head = struct.pack(">HHH", 0x1800 | apid, 0xC000 | self.next_seq_count(), n - PRIMARY_LEN - 1)
        head += struct.pack(">BBBH", PUS_VERSION << 4 | 0xF, service, subtype, 0)
        unsigned = head + body
        mac = hmac.new(key, unsigned, hashlib.sha256).digest()[:MAC_LEN]
        signed = unsigned + mac
        return signed + struct.pack(">H", crc16(signed))

    def command_tc(self, name: str, values: tuple, auth_seq: int | None = None) -> bytes:
        c = DICT.commands[name]
        data = struct.pack(">H", c["function"]) if c["function"] is not None else b""
        data += struct.pack(">" + "".join(FORMATS[a[1]] for a in c["args"] if a[1] != "bytes"),
                            *[v for a, v in zip(c["args"], values, strict=False) if a[1] != "bytes"])
        if c["args"] and c["args"][-1][1] == "bytes":
            data += values[-1]
        return self.tc(MOD.APIDS[c["apid"]], c["service"], c["subtype"], data, auth_seq=auth_seq)

    def fuzz_value(self, spec) -> object:
        name, kind, _, lo, hi = spec
        r = self.rng.random()
        if kind == "bytes":
            return self.rng.randbytes(self.rng.choice((0, 1, 8, 15, 16, 40, 120)))
        if kind == "f32":
            choices = (lo, hi, 0.0, -1.0, 1e30, -1e30, float("inf"), float("nan"), self.rng.uniform(-1e6, 1e6))
            return self.rng.choice(choices) if r < 0.5 else self.rng.uniform(max(lo, -1e9), min(hi, 1e9))
        tlo, thi = RANGES[kind]
        if r < 0.6:
            value = self.rng.randint(max(lo, tlo), min(hi, thi))  # in range
        elif r < 0.8:
            value = self.rng.choice((lo, hi, max(lo - 1, tlo), min(hi + 1, thi), tlo, thi))  # the edges
        else:
            value = self.rng.randint(tlo, thi)
        if name == "param_id" and value == NO_STORE_PARAM:
            value += 1
        return value

    def authenticated(self) -> bytes:
        """A fresh signed TC naming a command (or a near miss) with fuzzed arguments."""
        rng = self.rng
        c = rng.choice(self.commands)
        r = rng.random()
        if r < 0.75:
            values = tuple(self.fuzz_value(a) for a in c["args"])
            if c["name"] == "SCHED_INSERT" and rng.random() < 0.3:  # a signed inner TC, numbered after the outer
                outer = self.auth_seq + 1
                self.auth_seq += 1
                values = (values[0], self.command_tc("PING", ()))
                return self.command_tc(c["name"], values, auth_seq=outer)
            return self.command_tc(c["name"], values)
        apid, service, subtype = MOD.APIDS[c["apid"]], c["service"], c["subtype"]
        function = c["function"]
        data = self.rng.randbytes(rng.choice((0, 1, 2, 3, 5, 9, 17)))
        if r < 0.85:  # right header, data of a random length
            pass
        elif r < 0.93:  # an unknown function or subtype
            if function is not None:
                function = rng.randrange(65536)
            else:
                subtype = rng.randrange(256)
        else:  # a random APID (most unknown)
            apid = rng.choice((rng.randrange(2048), *self.apids))
        if function is not None:
            data = struct.pack(">H", function) + data
        if (apid, service, subtype, function if service == 8 and subtype == 1 else None) in self.excluded or (
                service == 8 and subtype == 1 and len(data) >= 2
                and (apid, 8, 1, struct.unpack(">H", data[:2])[0]) in self.excluded):
            return self.authenticated()  # never anything that could reset the board or leave the loop
        return self.tc(apid, service, subtype, data)

    def valid_packet(self) -> bytes:
        """A well-formed TC to mutate (its anti-replay number is spent: mutated copies fail the MAC)."""
        return self.command_tc("PING", ()) if self.rng.random() < 0.3 else self.authenticated()

    def mutate(self, data: bytes) -> bytes:
        """`data` changed (never left as it was)."""
        out = self._mutate(data)
        while out == data:
            out = self._mutate(data)
        return out

    def _mutate(self, data: bytes) -> bytes:
        out = bytearray(data)
        for _ in range(self.rng.choice((1, 1, 1, 2, 3, 8))):
            op = self.rng.random()
            i = self.rng.randrange(len(out)) if out else 0
            if op < 0.5 and out:
                out[i] ^= 1 << self.rng.randrange(8)
            elif op < 0.7 and out:
                out[i] = self.rng.randrange(256)
            elif op < 0.85:
                out[i:i] = self.rng.randbytes(self.rng.choice((1, 2, 7)))
            elif out:
                del out[i:i + self.rng.choice((1, 2, 5))]
        return bytes(out)

    def crc_valid(self, packet: bytes) -> bytes:
        """Fix the length field and the CRC of `packet` (at least a primary header long)."""
        packet = bytearray(packet[:-2] if len(packet) > 8 else packet.ljust(8, b"\x01")[:6])
        packet[4:6] = struct.pack(">H", len(packet) + 2 - PRIMARY_LEN - 1)
        return bytes(packet) + struct.pack(">H", crc16(bytes(packet)))

    # -- inputs ------------------------------------------------------------------------------
    def next(self) -> Frame:
        rng = self.rng
        kind = rng.choices(KINDS, WEIGHTS)[0]
        if kind == "replayed" and not self.accepted:
            kind = "authenticated"
        if kind == "random":
            data = rng.randbytes(rng.choice((1, 2, 5, 13, 20, 40, 100, rng.randrange(1, 600))))
            if rng.random() < 0.8:
                data = data.replace(b"\x00", b"\x01")  # one frame; the rest are bursts of several
            return Frame(kind, data + b"\x00")
        if kind == "mutated":
            packet = self.valid_packet()
            if rng.random() < 0.5:
                return Frame(kind, frame_of(self.mutate(packet) or b"\x01"))
            original = cobs_encode(packet)
            encoded = self.mutate(original)
            while original in encoded.split(b"\x00"):  # an inserted 0x00 before or after it left the TC whole
                encoded = self.mutate(original)
            return Frame(kind, encoded + b"\x00")
        if kind == "truncated":
            packet = self.valid_packet()
            if rng.random() < 0.5:
                return Frame(kind, frame_of(packet[:rng.randrange(1, len(packet))]))
            encoded = cobs_encode(packet)
            return Frame(kind, encoded[:rng.randrange(1, len(encoded))] + b"\x00")
        if kind == "overlong":
            r = rng.random()
            if r < 0.4:  # longer than the receive buffer
                data = rng.randbytes(rng.randrange(RX_LEN + 1, 3 * RX_LEN)).replace(b"\x00", b"\x02")
                return Frame(kind, data + b"\x00")
            if r < 0.7:  # valid COBS decoding to MAX_PACKET+1 .. +3 bytes (fits the receive buffer)
                size = MAX_PACKET + rng.randint(1, 3)
                packet = bytes(size) if rng.random() < 0.5 else rng.randbytes(size)
                encoded = cobs_encode(packet)
                if len(encoded) > RX_LEN:  # too many non-zero runs: fall back to all zeros
                    encoded = cobs_encode(bytes(size))
                return Frame(kind, encoded + b"\x00")
            # right at the edges: a TC-looking packet of MAX_PACKET-2 .. MAX_PACKET+3 bytes
            size = MAX_PACKET + rng.randint(-2, 3)
            packet = self.crc_valid(self.tc(rng.choice(self.apids), 17, 1, b"", auth_seq=rng.randrange(2**32))[:11]
                                    + rng.randbytes(size - 11))
            return Frame(kind, frame_of(packet))
        if kind == "crc_garbage":
            r = rng.random()
            if r < 0.4:  # a mutated signed TC with its length and CRC made good again (and still not the TC)
                packet = self.valid_packet()
                garbage = self.crc_valid(self.mutate(packet))
                while garbage[:-2] == packet[:-2]:
                    garbage = self.crc_valid(self.mutate(packet))
                return Frame(kind, frame_of(garbage))
            if r < 0.7:  # a TC header, random data
                head = struct.pack(">HH", 0x1800 | rng.choice((rng.randrange(2048), *self.apids)), 0xC000 | rng.randrange(16384))
                head += b"\x00\x00" + bytes([PUS_VERSION << 4 | rng.randrange(16), rng.randrange(256), rng.randrange(256)])
                return Frame(kind, frame_of(self.crc_valid(head + rng.randbytes(rng.randrange(2, 60)))))
            return Frame(kind, frame_of(self.crc_valid(rng.randbytes(rng.randrange(6, 80)))))
        if kind == "replayed":
            return Frame(kind, frame_of(rng.choice(self.accepted)))
        packet = self.authenticated()
        self.accepted.append(packet)
        return Frame(kind, frame_of(packet), fresh=True)


class Bench:
    """The board, its line, the TM reader and the per-batch accounting."""

    def __init__(self, board: SimulatedBoard, gen: Generator, totals: Totals, log=print):
        self.board, self.gen, self.totals, self.log = board, gen, totals, log
        self.port = serial.serial_for_url(board.port, timeout=0, write_timeout=10)
        self.reader = FrameReader(MAX_PACKET)
        self.stale: set[bytes] = set()  # packets in the ST[15] store before it was switched off
        self.collect_stale = False
        self.hk: tuple | None = None
        self.boots = len(board.log.boots)
        self.watchdog = len(board.log.watchdog_resets)

    def close(self) -> None:
        self.port.close()

    # -- the line ----------------------------------------------------------------------------
    def write(self, data: bytes) -> None:
        for i in range(0, len(data), 65536):
            self.port.write(data[i:i + 65536])

    def read(self) -> list:
        """(kind, name, values) of each new TM packet: ST[1] reports, events and core HK are decoded,
        by hand for speed (the CRC checked), the rest only counted."""
        out = []
        data = self.port.read(1 << 20)
        if not data:
            return out
        for raw in self.reader.feed(data):
            if raw in self.stale:
                continue  # an ST[15] replay of a packet stored before the store was switched off
            if self.collect_stale:
                self.stale.add(raw)
            if len(raw) < TM_DATA + 2 or crc16(raw[:-2]) != struct.unpack(">H", raw[-2:])[0]:
                self.totals.accounting_errors.append(f"undecodable TM {raw.hex()}")
                continue
            service, subtype, body = raw[7], raw[8], raw[TM_DATA:-2]
            if service == 1 and len(body) >= 4:
                values = {"request_id": struct.unpack(">I", body[:4])[0]}
                if len(body) >= 6:
                    values["failure_code"] = struct.unpack(">H", body[4:6])[0]
                out.append(("verification", subtype, values))
            elif service == 5 and len(body) >= 2:
                out.append(("event", EVENT_NAMES.get(struct.unpack(">H", body[:2])[0], "?"), None))
            elif service == 3 and subtype == 25 and body[:1] == b"\x01":
                try:
                    out.append(("hk", "core", decode_tm(DICT, raw).values))
                except BadPacketError:
                    self.totals.accounting_errors.append(f"undecodable HK {raw.hex()}")
        return out

    def rebooted(self) -> bool:
        log = self.board.log
        return len(log.boots) != self.boots or len(log.watchdog_resets) != self.watchdog

    def settle_reboot(self) -> None:
        log = self.board.log
        self.totals.reboots += len(log.boots) - self.boots
        self.totals.watchdog_resets += len(log.watchdog_resets) - self.watchdog
        self.boots, self.watchdog = len(log.boots), len(log.watchdog_resets)
        self.hk = None

    # -- one batch ---------------------------------------------------------------------------
    def run_batch(self, frames: list[Frame], account: bool = True) -> str:
        """Send frames and a closing HK_ONESHOT(1); 'ok', 'reboot' or 'hang'."""
        gen = self.gen
        expected = collections.Counter()
        pending: dict[int, collections.deque] = collections.defaultdict(collections.deque)
        outcome: list = []  # per frame reaching the dispatcher: [frame, report state]
        segments = 0
        for f in frames:
            for segment in f.data.split(b"\x00")[:-1]:
                if not segment:
                    continue
                segments += 1
                stage, packet = model(segment)
                expected[stage] += 1
                if stage != "framing":
                    expected["frames_ok"] += 1
                if stage == "dispatch":
                    entry = [f, None, None]
                    pending[struct.unpack(">I", packet[:4])[0]].append(entry)
                    outcome.append(entry)
        sync = gen.command_tc("HK_ONESHOT", (1,))
        sync_rid = struct.unpack(">I", sync[:4])[0]
        data = b"\x00" + b"".join(f.data for f in frames) + frame_of(sync)
        self.write(data)
        reports = collections.Counter()
        events = collections.Counter()
        hk = None
        sync_started = done = False
        last: dict[int, list] = {}
        errors: list[str] = []
        deadline = time.monotonic() + SYNC_TIMEOUT_S + len(data) / 20000
        while not done:
            self.board.step(0)
            if self.rebooted():
                self.settle_reboot()
                self.drain()
                return "reboot"
            if time.monotonic() > deadline:
                self.totals.hangs += 1
                return "hang"
            for kind, name, values in self.read():
                if kind == "event":
                    events[name] += 1
                elif kind == "hk" and sync_started:
                    hk = values
                elif kind == "verification":
                    rid, subtype = values["request_id"], name
                    if subtype in (1, 2):
                        reports[VERIFICATION[subtype]] += 1
                        queue = pending.get(rid)
                        if queue:
                            entry = queue.popleft()
                            entry[1] = "accepted" if subtype == 1 else ("rejected", values.get("failure_code"))
                            last[rid] = entry
                        elif rid == sync_rid:
                            last.pop(rid, None)  # what follows with this ID is the closing command's
                            if subtype == 2:
                                errors.append(f"the batch's closing HK_ONESHOT was refused: {values}")
                                done = True
                        else:
                            errors.append(f"ST[1] {VERIFICATION[subtype]} {values} for request {rid:08x}, which no "
                                          "frame reaching the dispatcher carried")
                    elif rid in last:
                        if subtype == 7:
                            last[rid][2] = "completed"
                        elif subtype == 8:
                            last[rid][2] = ("failed", values.get("failure_code"))
                    elif rid == sync_rid:
                        sync_started |= subtype == 3
                        if subtype == 7:
                            done = True
                        elif subtype == 8:
                            errors.append(f"the batch's closing HK_ONESHOT failed: {values}")
                            done = True
        if not account:
            self.hk = hk
            return "ok"
        t = self.totals
        t.accounting_errors += errors
        t.batches += 1
        t.frames += segments
        t.bytes += len(data)
        for f in frames:
            t.inputs[f.kind] += 1
            t.authenticated += f.fresh
        for stage in ("framing", "short", "length", "crc", "not_tc"):
            t.stages[stage] += expected[stage]
        for name, n in events.items():
            t.events[name] += n
        for entry in outcome:
            f, verdict, final = entry
            if verdict is None:
                t.accounting_errors.append(f"no ST[1] report for a {f.kind} frame {f.data.hex()}")
                continue
            if verdict == "accepted":
                t.passed_auth += 1
                t.stages["executed"] += 1
                t.executed[final if isinstance(final, str) else f"failed({final[1] if final else '?'})"] += 1
                if not f.fresh:
                    t.accounting_errors.append(f"a {f.kind} frame was ACCEPTED: {f.data.hex()}")
                continue
            code = verdict[1]
            t.codes[code] += 1
            if code in AUTH_CODES:
                t.stages["auth"] += 1
                if f.fresh:
                    t.accounting_errors.append(f"a freshly signed TC failed authentication ({code}): {f.data.hex()}")
            elif f.fresh:
                t.passed_auth += 1
                t.stages["rejected after auth"] += 1
            else:
                t.stages["rejected before auth"] += 1
        if hk is None:
            t.accounting_errors.append("no core housekeeping from the batch's closing HK_ONESHOT")
        elif self.hk is not None:
            self.compare(self.hk, hk, expected, reports, events)
        self.hk = hk
        return "ok"

    def compare(self, before: dict, after: dict, expected: collections.Counter, reports, events) -> None:
        """The board's counters moved by what was sent (the closing command included)."""

        def delta(name: str, bits: int = 16) -> int:
            return (after[name] - before[name]) % (1 << bits)

        want = {
            "frames_ok": (expected["frames_ok"] + 1, 32),
            "frames_bad": ((expected["framing"] + expected["short"] + expected["length"] + expected["not_tc"]) % 65536, 16),
            "crc_errors": (expected["crc"] % 65536, 16),
            "auth_rejects": (events["AUTH_REJECTED"] % 65536, 16),
            "tc_accepted": (reports["accepted"] % 65536, 16),
            "tc_rejected": (reports["rejected"] % 65536, 16),
        }
        self.totals.batches_compared += 1
        for name, (value, bits) in want.items():
            got = delta(name, bits)
            if got != value % (1 << bits):
                self.totals.counter_mismatches.append(f"batch {self.totals.batches}: {name} +{got}, sent {value}")

    def drain(self) -> None:
        """Let the board run and read until the line is quiet (after a reboot, a replay)."""
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < 0.5:
            self.board.step(0)
            if self.read():
                quiet_since = time.monotonic()

    # -- reboots ---------------------------------------------------------------------------
    def isolate(self, frames: list[Frame]) -> list[Frame]:
        """The smallest run of inputs found (by halving) that still reboots the board."""
        while len(frames) > 1:
            half = len(frames) // 2
            for part in (frames[:half], frames[half:]):
                self.resync()
                if self.run_batch(part, account=False) == "reboot":
                    frames = part
                    break
            else:
                return frames  # neither half alone: it takes both
        return frames

    def resync(self) -> None:
        """A fresh baseline of the counters (after a reboot or an isolation)."""
        for _ in range(3):
            if self.run_batch([], account=False) == "ok":
                return
        raise RuntimeError("the board does not answer after a reboot")

    def command(self, name: str, values: tuple, timeout_s: float = 20.0) -> None:
        """Send one signed command and step the board until it completes."""
        packet = self.gen.command_tc(name, values)
        rid = struct.unpack(">I", packet[:4])[0]
        self.write(b"\x00" + frame_of(packet))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            self.board.step(0)
            for kind, subtype, values_ in self.read():
                if kind == "verification" and values_["request_id"] == rid and subtype in (2, 7, 8):
                    if subtype != 7:
                        raise RuntimeError(f"{name} refused by the board: {values_}")
                    return
        raise RuntimeError(f"the board did not answer {name}")

    def setup(self) -> None:
        """Switch the ST[15] store off, then replay all it holds (the boot's packets, some sent before
        this bench opened the line) and note every packet: later replays of them are ignored."""
        self.collect_stale = True
        self.drain()
        self.command("PARAM_SET", (NO_STORE_PARAM, 0.0))
        self.command("STORE_REPLAY", (0, 2**32 - 1))
        self.drain()
        self.collect_stale = False
        self.resync()


def run(frames: int, seed: int = 1, batch: int = 2000, log=print, board_dir: str | None = None,
        firmware: str | None = None) -> dict:
    """Fuzz the simulated board (running `firmware`, default the checkout's) with `frames` inputs;
    the report as a dict (see print_report)."""
    totals = Totals()
    gen = Generator(seed)
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="zarya-fuzz-") as tmp:
        with SimulatedBoard(board_dir or Path(tmp) / "board", environment=None, seed=seed,
                            firmware=firmware) as board, board.lock:
            bench = Bench(board, gen, totals, log)  # holding the lock: the idle thread stays out, we step
            try:
                bench.setup()
                fuzz_start = time.monotonic()
                sent = 0
                next_log = time.monotonic() + 10
                while sent < frames:
                    chunk = [gen.next() for _ in range(min(batch, frames - sent))]
                    sent += len(chunk)
                    verdict = bench.run_batch(chunk)
                    if verdict == "reboot":
                        totals.rebooted_inputs += len(chunk)
                        log(f"reboot in batch {totals.batches + 1}: isolating the input ...")
                        bench.resync()
                        if len(totals.culprits) < 3:
                            found = bench.isolate(chunk)
                            totals.culprits.append([{"kind": f.kind, "length": len(f.data), "hex": f.data.hex()}
                                                    for f in found])
                            log(f"  the board reboots on: {totals.culprits[-1]}")
                        bench.resync()
                    elif verdict == "hang":
                        log(f"hang in batch {totals.batches + 1}")
                        bench.resync()
                    if time.monotonic() > next_log:
                        rate = sent / (time.monotonic() - fuzz_start)
                        log(f"  {sent} frames, {rate:.0f} frames/s")
                        next_log = time.monotonic() + 30
                wall = time.monotonic() - fuzz_start
                bench.settle_reboot()
            finally:
                bench.close()
    return report(totals, frames, seed, wall, time.monotonic() - start)


def report(t: Totals, frames: int, seed: int, wall: float, total_wall: float) -> dict:
    return {
        "inputs": frames, "seed": seed, "frames_seen_by_board": t.frames, "bytes": t.bytes,
        "wall_s": round(wall, 1), "frames_per_s": round(frames / wall, 1) if wall else 0.0,
        "bytes_per_s": round(t.bytes / wall) if wall else 0, "total_wall_s": round(total_wall, 1),
        "inputs_by_kind": dict(t.inputs),
        "authenticated": t.authenticated, "authenticated_fraction": round(t.authenticated / frames, 3) if frames else 0,
        "passed_auth": t.passed_auth,
        "stages": {k: t.stages[k] for k in ("framing", "short", "length", "crc", "not_tc", "rejected before auth",
                                            "auth", "rejected after auth", "executed")},
        "rejection_codes": {f"{c} {DICT.failure(c)}": n for c, n in sorted(t.codes.items())},
        "executed": dict(t.executed), "events": dict(t.events),
        "reboots": t.reboots, "watchdog_resets": t.watchdog_resets, "hangs": t.hangs, "reboot_inputs": t.culprits,
        "inputs_in_batches_that_rebooted": t.rebooted_inputs,
        "batches": t.batches, "batches_compared": t.batches_compared,
        "counters_match": not t.counter_mismatches and t.batches_compared > 0,
        "counter_mismatches": t.counter_mismatches[:20], "accounting_errors": t.accounting_errors[:20],
        "accounting_error_count": len(t.accounting_errors),
    }


def print_report(r: dict, out=sys.stdout) -> None:
    p = lambda *a: print(*a, file=out)  # noqa: E731
    p(f"link fuzz: {r['inputs']} inputs ({r['frames_seen_by_board']} frames as the board splits them, "
      f"{r['bytes'] / 1e6:.1f} MB), seed {r['seed']}: {r['wall_s']} s, {r['frames_per_s']:.0f} frames/s")
    p("  inputs: " + ", ".join(f"{k} {v}" for k, v in sorted(r["inputs_by_kind"].items())))
    p(f"  authenticated with fresh numbers: {r['authenticated']} ({100 * r['authenticated_fraction']:.1f} %), "
      f"{r['passed_auth']} passed authentication")
    p("  died at: " + ", ".join(f"{k} {v}" for k, v in r["stages"].items()))
    p("  ST[1] rejections: " + (", ".join(f"{k}: {v}" for k, v in r["rejection_codes"].items()) or "none"))
    p("  executed: " + (", ".join(f"{k} {v}" for k, v in sorted(r["executed"].items())) or "none"))
    p(f"  reboots {r['reboots']}, watchdog resets {r['watchdog_resets']}, hangs {r['hangs']}"
      + (f" ({r['inputs_in_batches_that_rebooted']} inputs in batches that rebooted, not accounted)"
         if r["inputs_in_batches_that_rebooted"] else ""))
    for culprit in r["reboot_inputs"]:
        p(f"    reboot input: {culprit}")
    p(f"  board counters (frames_ok, frames_bad, crc_errors, auth_rejects, tc_accepted, tc_rejected) match what was "
      f"sent in {r['batches_compared']} batches: {'yes' if r['counters_match'] else 'NO'}")
    for m in r["counter_mismatches"]:
        p(f"    {m}")
    if r["accounting_error_count"]:
        p(f"  accounting errors: {r['accounting_error_count']}")
        for e in r["accounting_errors"]:
            p(f"    {e[:300]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=1_000_000, help="inputs to send (default 10^6)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=2000, help="inputs between two counter checks (default 2000)")
    parser.add_argument("--json", help="also write the report here")
    parser.add_argument("--firmware", help="firmware directory to run (default: the checkout's firmware/)")
    args = parser.parse_args(argv)
    r = run(args.frames, args.seed, args.batch, log=lambda m: print(m, file=sys.stderr, flush=True),
            firmware=args.firmware)
    print_report(r)
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=2))
    ok = (r["reboots"] == 0 and r["watchdog_resets"] == 0 and r["hangs"] == 0 and r["counters_match"]
          and r["accounting_error_count"] == 0 and r["authenticated_fraction"] >= 0.10)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
