"""A ground client for the Zarya link, written from docs/protocol.md alone.

Everything protocol-related (COBS, CRC, CCSDS/PUS headers, TC signing, TM decoding, CUC time,
dictionary hash) is implemented here from the spec; the only project input is the published
dictionary (firmware/dictionary.py), read as data.
"""

from __future__ import annotations

import hashlib
import hmac
import runpy
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import serial

ROOT = Path(__file__).resolve().parents[2]
DICTIONARY_PATH = ROOT / "firmware" / "dictionary.py"

# --------------------------------------------------------------------------------------------
# Dictionary (data only)
# --------------------------------------------------------------------------------------------

D = runpy.run_path(str(DICTIONARY_PATH))
APIDS: dict = D["APIDS"]
MAX_PACKET: int = D["MAX_PACKET"]
MAC_LEN: int = D["MAC_LEN"]
COMMANDS = {c["name"]: c for c in D["COMMANDS"]}
PARAMS = {p["name"]: p for p in D["PARAMS"]}
PARAMS_BY_ID = {p["id"]: p for p in D["PARAMS"]}
HK = {h["sid"]: h for h in D["HK"]}
EVENTS = {e["name"]: e for e in D["EVENTS"]}
EVENTS_BY_ID = {e["id"]: e for e in D["EVENTS"]}
SEVERITY = D["SEVERITY"]

DEV_KEY = hashlib.sha256(b"zarya development key - not for flight").digest()
EPOCH_UNIX = 946684800  # 2000-01-01T00:00:00Z


# --------------------------------------------------------------------------------------------
# CRC-16/CCITT-FALSE and COBS (section 1, 2)
# --------------------------------------------------------------------------------------------

def crc16(data: bytes, crc: int = 0xFFFF) -> int:
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def cobs_encode(data: bytes) -> bytes:
    out = bytearray()
    block = bytearray()
    for b in data:
        if b == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(255)
                out += block
                block.clear()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


class CobsError(ValueError):
    pass


def cobs_decode(data: bytes) -> bytes:
    out = bytearray()
    i = 0
    n = len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise CobsError("zero byte inside frame")
        i += 1
        end = i + code - 1
        if end > n:
            raise CobsError("truncated block")
        chunk = data[i:end]
        if 0 in chunk:
            raise CobsError("zero byte inside frame")
        out += chunk
        i = end
        if code != 255 and i < n:
            out.append(0)
    return bytes(out)


def frame(packet: bytes) -> bytes:
    return cobs_encode(packet) + b"\x00"


# --------------------------------------------------------------------------------------------
# Typed values
# --------------------------------------------------------------------------------------------

FMT = {"u8": ">B", "u16": ">H", "u32": ">I", "i16": ">h", "i32": ">i", "f32": ">f"}


def pack_value(typ: str, value) -> bytes:
    if typ == "bytes":
        return bytes(value)
    return struct.pack(FMT[typ], value)


def unpack_fields(fields, data: bytes) -> tuple[dict, bytes]:
    """Decode (name, type, ...) tuples in order; returns (values, leftover bytes)."""
    out = {}
    off = 0
    for f in fields:
        name, typ = f[0], f[1]
        if typ == "bytes":
            out[name] = data[off:]
            off = len(data)
            continue
        size = struct.calcsize(FMT[typ])
        if off + size > len(data):
            raise ValueError(f"short data for field {name}")
        out[name] = struct.unpack_from(FMT[typ], data, off)[0]
        off += size
    return out, data[off:]


def fields_size(fields) -> int:
    return sum(struct.calcsize(FMT[f[1]]) for f in fields)


# --------------------------------------------------------------------------------------------
# Packets (section 2, 3)
# --------------------------------------------------------------------------------------------

def primary_header(is_tc: bool, apid: int, seq_count: int, data_len_field: int, seq_flags: int = 3) -> bytes:
    word0 = (0 << 13) | ((1 if is_tc else 0) << 12) | (1 << 11) | (apid & 0x7FF)
    word1 = (seq_flags << 14) | (seq_count & 0x3FFF)
    return struct.pack(">HHH", word0, word1, data_len_field)


def build_tc(apid: int, service: int, subtype: int, app_data: bytes = b"", *, seq_count: int = 0,
             key: bytes = DEV_KEY, key_id: int = 0, number: int = 1, source_id: int = 0,
             corrupt_crc: bool = False, corrupt_mac: bool = False, length_delta: int = 0,
             sec_flag_byte: int = 0x2F) -> bytes:
    """A complete signed TC: primary | TC sec | key id | number | app data | MAC | CRC."""
    body = struct.pack(">BBBH", sec_flag_byte, service, subtype, source_id)
    body += struct.pack(">BI", key_id, number) + app_data
    total = 6 + len(body) + MAC_LEN + 2
    head = primary_header(True, apid, seq_count, total - 7 + length_delta)
    signed = head + body
    mac = hmac.new(key, signed, hashlib.sha256).digest()[:MAC_LEN]
    if corrupt_mac:
        mac = bytes([mac[0] ^ 0x01]) + mac[1:]
    pkt = signed + mac
    crc = crc16(pkt)
    if corrupt_crc:
        crc ^= 0x0001
    return pkt + struct.pack(">H", crc)


def request_id(tc: bytes) -> int:
    return struct.unpack(">I", tc[:4])[0]


@dataclass
class TM:
    raw: bytes
    version: int
    type: int
    sec_flag: int
    apid: int
    seq_flags: int
    seq_count: int
    length_field: int
    pus_byte: int
    service: int
    subtype: int
    msg_counter: int
    dest_id: int
    coarse: int
    fine: int
    data: bytes
    crc: int
    crc_ok: bool
    rx_index: int = 0

    @property
    def time(self) -> float:
        return self.coarse + self.fine / 65536.0

    @property
    def kind(self) -> tuple[int, int]:
        return (self.service, self.subtype)

    # ST[1]
    @property
    def request_id(self) -> int:
        return struct.unpack_from(">I", self.data, 0)[0]

    @property
    def failure(self) -> int | None:
        if self.kind in ((1, 2), (1, 8)):
            return struct.unpack_from(">H", self.data, 4)[0]
        return None

    # ST[5]
    @property
    def event_id(self) -> int | None:
        return struct.unpack_from(">H", self.data, 0)[0] if self.service == 5 else None

    @property
    def event_name(self) -> str | None:
        if self.service != 5:
            return None
        ev = EVENTS_BY_ID.get(self.event_id)
        return ev["name"] if ev else None

    def event_args(self) -> dict:
        ev = EVENTS_BY_ID[self.event_id]
        values, rest = unpack_fields(ev["args"], self.data[2:])
        if rest:
            raise ValueError(f"{len(rest)} extra bytes in event {ev['name']}")
        return values

    # ST[3]
    @property
    def sid(self) -> int | None:
        return self.data[0] if self.kind == (3, 25) else None

    def hk_fields(self) -> dict:
        st = HK[self.data[0]]
        values, rest = unpack_fields(st["fields"], self.data[1:])
        if rest:
            raise ValueError(f"{len(rest)} extra bytes in HK sid {self.data[0]}")
        return values

    def __repr__(self) -> str:
        extra = ""
        if self.service == 1:
            extra = f" req={self.request_id:08x}" + (f" code={self.failure}" if self.failure else "")
        elif self.service == 5:
            extra = f" {self.event_name}"
        elif self.kind == (3, 25):
            extra = f" sid={self.sid}"
        return f"TM[{self.service},{self.subtype}] apid={self.apid:#x} seq={self.seq_count} t={self.coarse}.{self.fine}{extra}"


TM_HEADER = 6 + 13


def parse_tm(raw: bytes) -> TM:
    if len(raw) < TM_HEADER + 2:
        raise ValueError(f"short TM ({len(raw)} bytes)")
    w0, w1, ln = struct.unpack_from(">HHH", raw, 0)
    pus, svc, sub, cnt, dest, coarse, fine = struct.unpack_from(">BBBHHIH", raw, 6)
    crc = struct.unpack_from(">H", raw, len(raw) - 2)[0]
    return TM(raw=raw, version=w0 >> 13, type=(w0 >> 12) & 1, sec_flag=(w0 >> 11) & 1, apid=w0 & 0x7FF,
              seq_flags=w1 >> 14, seq_count=w1 & 0x3FFF, length_field=ln, pus_byte=pus, service=svc,
              subtype=sub, msg_counter=cnt, dest_id=dest, coarse=coarse, fine=fine,
              data=raw[TM_HEADER:-2], crc=crc, crc_ok=crc16(raw[:-2]) == crc)


# --------------------------------------------------------------------------------------------
# Dictionary hash (section 6)
# --------------------------------------------------------------------------------------------

HASH_PARTS = ("APIDS", "MAX_PACKET", "MAC_LEN", "SEVERITY", "FAILURES", "COMMANDS", "PARAMS", "HK",
              "EVENTS", "STORE_FILES", "CHANNELS", "LET_EDGES_KEV_UM")


def canon(value) -> bytes:
    if value is None:
        return b"N"
    if value is True:
        return b"T"
    if value is False:
        return b"F"
    if isinstance(value, int):
        return b"I" + str(value).encode() + b";"
    if isinstance(value, float):
        return b"F" + struct.pack(">f", value)
    if isinstance(value, str):
        b = value.encode("utf-8")
        return b"S" + str(len(b)).encode() + b":" + b
    if isinstance(value, (tuple, list)):
        return b"L" + str(len(value)).encode() + b"[" + b"".join(canon(v) for v in value)
    if isinstance(value, dict):
        out = b"M" + str(len(value)).encode() + b"{"
        for k in sorted(value, key=str):
            out += canon(k) + canon(value[k])
        return out
    raise TypeError(type(value))


def dictionary_hash(names_as: str = "string") -> int:
    h = hashlib.sha256()
    for name in HASH_PARTS:
        h.update(canon(name) if names_as == "string" else name.encode())
        h.update(canon(D[name]))
    return struct.unpack(">I", h.digest()[:4])[0]


# --------------------------------------------------------------------------------------------
# The link
# --------------------------------------------------------------------------------------------

@dataclass
class Result:
    tc: bytes
    rid: int
    packets: list[TM] = field(default_factory=list)

    def reports(self) -> list[TM]:
        return [p for p in self.packets if p.service == 1 and len(p.data) >= 4 and p.request_id == self.rid]

    def report_kinds(self) -> list[tuple[int, int]]:
        return [p.kind for p in self.reports()]

    def failure(self) -> tuple[tuple[int, int], int] | None:
        for p in self.reports():
            if p.kind in ((1, 2), (1, 8)):
                return p.kind, p.failure
        return None

    @property
    def completed(self) -> bool:
        return self.report_kinds() == [(1, 1), (1, 3), (1, 7)]

    def events(self, name: str | None = None) -> list[TM]:
        return [p for p in self.packets if p.service == 5 and (name is None or p.event_name == name)]

    def of(self, service: int, subtype: int) -> list[TM]:
        return [p for p in self.packets if p.kind == (service, subtype)]


# Conditions over the list of packets received since a mark ---------------------------------

def final(rid: int):
    """The TC's last ST[1] report ([1,2], [1,7] or [1,8]) has arrived."""
    return lambda pkts: any(p.service == 1 and p.subtype in (2, 7, 8) and len(p.data) >= 4
                            and p.request_id == rid for p in pkts)


def has(pred):
    return lambda pkts: any(pred(p) for p in pkts)


def event(name: str, **args):
    def pred(p: TM) -> bool:
        if p.service != 5 or p.event_name != name:
            return False
        got = p.event_args()
        return all(got[k] == v for k, v in args.items())
    return has(pred)


def kind(service: int, subtype: int):
    return has(lambda p: p.kind == (service, subtype))


def hk_sid(sid: int):
    return has(lambda p: p.kind == (3, 25) and p.sid == sid)


def all_of(*conds):
    return lambda pkts: all(c(pkts) for c in conds)


def never(pkts) -> bool:
    return False


class Link:
    """Serial link to a board (pyserial), reader thread, TC numbering, blocking request API."""

    def __init__(self, port: str, board=None, *, key: bytes = DEV_KEY, key_id: int = 0,
                 first_number: int = 1, step_s: float = 0.1, send_sync_zero: bool = True):
        self.board = board
        self.key = key
        self.key_id = key_id
        self.number = first_number - 1
        self.step_s = step_s
        self.tc_counts: dict[int, int] = {}
        self.ser = serial.Serial(port, 115200, timeout=0.02)
        self.raw = bytearray()  # everything ever received
        self.frames: list[bytes | None] = []  # decoded packets (None: bad COBS), empty frames dropped
        self.frame_spans: list[tuple[int, int]] = []  # (start, end) of each frame's bytes in self.raw
        self.packets: list[TM] = []
        self._buf = bytearray()
        self._buf_start = 0
        self._cv = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()
        if send_sync_zero:
            self.write(b"\x00")

    # -- io -------------------------------------------------------------------------------
    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.ser.close()

    def _reader(self) -> None:
        while not self._stop.is_set():
            try:
                chunk = self.ser.read(4096)
            except (serial.SerialException, OSError, TypeError):
                if self._stop.is_set():
                    return
                time.sleep(0.01)
                continue
            if not chunk:
                continue
            with self._cv:
                for b in chunk:
                    self.raw.append(b)
                    if b == 0:
                        body = bytes(self._buf)
                        start = self._buf_start
                        self._buf.clear()
                        self._buf_start = len(self.raw)
                        if not body:
                            continue
                        try:
                            pkt = cobs_decode(body)
                        except CobsError:
                            pkt = None
                        self.frames.append(pkt)
                        self.frame_spans.append((start, len(self.raw) - 1))
                        if pkt is not None:
                            try:
                                tm = parse_tm(pkt)
                            except ValueError:
                                continue
                            tm.rx_index = len(self.packets)
                            self.packets.append(tm)
                    else:
                        self._buf.append(b)
                self._cv.notify_all()

    def write(self, data: bytes) -> None:
        self.ser.write(data)
        self.ser.flush()

    def send_packet(self, packet: bytes) -> None:
        self.write(frame(packet))

    # -- TC building ------------------------------------------------------------------------
    def next_number(self) -> int:
        self.number += 1
        return self.number

    def next_count(self, apid: int) -> int:
        c = self.tc_counts.get(apid, 0)
        self.tc_counts[apid] = (c + 1) & 0x3FFF
        return c

    @staticmethod
    def encode_args(name: str, *args) -> bytes:
        cmd = COMMANDS[name]
        out = b""
        if cmd["function"] is not None:
            out += struct.pack(">H", cmd["function"])
        if len(args) != len(cmd["args"]):
            raise TypeError(f"{name} takes {len(cmd['args'])} arguments")
        for spec, value in zip(cmd["args"], args, strict=True):
            out += pack_value(spec[1], value)
        return out

    def tc(self, name: str, *args, number: int | None = None, apid: int | None = None,
           app_data: bytes | None = None, **kw) -> bytes:
        cmd = COMMANDS[name]
        apid = APIDS[cmd["apid"]] if apid is None else apid
        data = self.encode_args(name, *args) if app_data is None else app_data
        return self.raw_tc(apid, cmd["service"], cmd["subtype"], data, number=number, **kw)

    def raw_tc(self, apid: int, service: int, subtype: int, app_data: bytes = b"", *,
               number: int | None = None, **kw) -> bytes:
        kw.setdefault("key", self.key)
        kw.setdefault("key_id", self.key_id)
        if number is not None:
            self.number = max(self.number, number)  # never reuse a number by accident
        return build_tc(apid, service, subtype, app_data, seq_count=self.next_count(apid),
                        number=self.next_number() if number is None else number, **kw)

    # -- waiting --------------------------------------------------------------------------
    def mark(self) -> int:
        with self._cv:
            return len(self.packets)

    def since(self, mark: int) -> list[TM]:
        with self._cv:
            return list(self.packets[mark:])

    def wait(self, cond, *, mark: int | None = None, timeout: float = 5.0, settle: float = 0.0,
             real_timeout: float = 30.0) -> list[TM]:
        """Advance the board up to `timeout` virtual seconds until cond(packets since mark) holds;
        then keep collecting for `settle` more virtual seconds.  Returns the packets since mark."""
        mark = self.mark() if mark is None else mark
        advanced = 0.0
        deadline = time.monotonic() + real_timeout
        while True:
            last = advanced >= timeout - 1e-9 or time.monotonic() > deadline
            with self._cv:
                # a short pause for the relay to deliver; a longer one before giving up
                self._cv.wait_for(lambda: cond(self.packets[mark:]), timeout=0.25 if last else 0.008)
                found = cond(self.packets[mark:])
            if found or last:
                break
            if self.board is not None:
                self.board.advance(self.step_s, step_ms=round(self.step_s * 1000))
            advanced += self.step_s
        if found and settle > 0:
            self.advance(settle)
        return self.since(mark)

    def advance(self, seconds: float) -> None:
        """Advance virtual time (lockstep), then give the relay a moment to deliver the output."""
        if self.board is not None and seconds > 0:
            self.board.advance(seconds, step_ms=round(self.step_s * 1000))
        time.sleep(0.06)

    def request(self, tc: bytes, until=None, *, timeout: float = 5.0, settle: float = 0.0) -> Result:
        """Send a TC and collect its ST[1] reports and any other TM until `until` holds
        (default: the TC's final report [1,2]/[1,7]/[1,8])."""
        rid = request_id(tc)
        mark = self.mark()
        self.send_packet(tc)
        pkts = self.wait(until or final(rid), mark=mark, timeout=timeout, settle=settle)
        return Result(tc, rid, pkts)

    def command(self, name: str, *args, until=None, timeout: float = 5.0, settle: float = 0.0, **kw) -> Result:
        return self.request(self.tc(name, *args, **kw), until, timeout=timeout, settle=settle)

    # -- conveniences ---------------------------------------------------------------------
    def hk(self, sid: int) -> dict:
        tc = self.tc("HK_ONESHOT", sid)
        r = self.request(tc, all_of(final(request_id(tc)), hk_sid(sid)))
        assert r.completed, r.packets
        reports = [p for p in r.packets if p.kind == (3, 25) and p.sid == sid]
        return reports[-1].hk_fields()

    def get_param(self, pid: int) -> float:
        tc = self.tc("PARAM_GET", pid)
        r = self.request(tc, all_of(final(request_id(tc)), kind(20, 2)))
        assert r.completed, r.packets
        got_id, value = struct.unpack(">Hf", r.of(20, 2)[-1].data)
        assert got_id == pid
        return value

    def set_param(self, pid: int, value: float) -> Result:
        return self.command("PARAM_SET", pid, value)

    def board_time(self) -> float:
        """Time stamp of the newest packet received."""
        with self._cv:
            return self.packets[-1].time


def f32(x: float) -> float:
    """The value x takes once it travels as an IEEE-754 single."""
    return struct.unpack(">f", struct.pack(">f", x))[0]


def wellformed_problems(packets: list[TM]) -> list[str]:
    """Everything section 2/4 says about every TM packet, checked on a list of packets."""
    bad = []
    for p in packets:
        why = []
        if not p.crc_ok:
            why.append("CRC")
        if (p.version, p.type, p.sec_flag, p.seq_flags) != (0, 0, 1, 3):
            why.append(f"primary header {(p.version, p.type, p.sec_flag, p.seq_flags)}")
        if p.length_field != len(p.raw) - 7:
            why.append("length field")
        if len(p.raw) > MAX_PACKET:
            why.append("longer than MAX_PACKET")
        if p.pus_byte != 0x20:
            why.append(f"PUS byte {p.pus_byte:#x}")
        if p.dest_id != 0:
            why.append("destination id")
        if p.apid not in APIDS.values():
            why.append("apid")
        if p.service == 1:
            want = 6 if p.subtype in (2, 8) else 4
            if p.subtype not in (1, 2, 3, 7, 8) or len(p.data) != want or p.apid != APIDS["core"]:
                why.append("ST[1] report")
        elif p.service == 5:
            ev = EVENTS_BY_ID.get(p.event_id)
            if ev is None:
                why.append("unknown event")
            else:
                if p.subtype != SEVERITY[ev["severity"]]:
                    why.append(f"severity subtype {p.subtype} for {ev['name']}")
                try:
                    p.event_args()
                except ValueError as e:
                    why.append(str(e))
            if p.apid != APIDS["core"]:
                why.append("event apid")
        elif p.kind == (3, 25):
            st = HK.get(p.sid)
            if st is None:
                why.append("unknown sid")
            else:
                if len(p.data) != 1 + fields_size(st["fields"]):
                    why.append(f"HK sid {p.sid} size {len(p.data)}")
                if p.apid != APIDS[st["apid"]]:
                    why.append("HK apid")
        elif p.kind == (17, 2):
            if p.data or p.apid != APIDS["core"]:
                why.append("TM[17,2]")
        elif p.kind == (20, 2):
            if len(p.data) != 6 or p.apid != APIDS["core"]:
                why.append("TM[20,2]")
        else:
            why.append("unexpected service/subtype")
        if why:
            bad.append(f"{p!r}: {', '.join(why)}")
    return bad


# -- assertions shared by the tests ------------------------------------------------------------

ACCEPTANCE = [(1, 2)]
COMPLETION = [(1, 1), (1, 3), (1, 8)]


def assert_refused(r: Result, stage: str, code: int) -> None:
    """stage 'acceptance': only [1,2] with code; 'completion': [1,1], [1,3], [1,8] with code."""
    want = ACCEPTANCE if stage == "acceptance" else COMPLETION
    assert (r.report_kinds(), r.failure()[1] if r.failure() else None) == (want, code), r.packets


def assert_completed(r: Result) -> None:
    assert r.report_kinds() == [(1, 1), (1, 3), (1, 7)], r.packets
