"""Telecommands out and telemetry in, on the spacepackets library (CCSDS + PUS-C), plus what no
library does: the SDLS-style authentication fields and decoding against the Zarya dictionary."""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib
import hmac
import math
import struct
from dataclasses import dataclass, field

from spacepackets.ecss import PusTc, PusTm

from zarya.dictionary import Dictionary
from zarya.errors import ZaryaError
from zarya.link.keys import CommandKey

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # board time epoch (docs/protocol.md)
TIMESTAMP_LEN = 6
FORMATS = {"u8": "B", "u16": "H", "u32": "I", "i16": "h", "i32": "i", "f32": "f"}
INTEGER_TYPES = {"u8", "u16", "u32", "i16", "i32"}
SEQ_MODULUS = 1 << 14  # CCSDS packet sequence counts are 14 bits


class CommandError(ZaryaError, ValueError):
    """A command that cannot be sent: unknown, or arguments that fail the dictionary's checks."""


def pack_values(spec, values) -> bytes:
    fixed = [(f, v) for f, v in zip(spec, values, strict=True) if f[1] != "bytes"]
    out = struct.pack(">" + "".join(FORMATS[f[1]] for f, _ in fixed), *[v for _, v in fixed])
    if spec and spec[-1][1] == "bytes":
        out += bytes(values[-1])
    return out


def unpack_values(spec, data: bytes) -> dict:
    fmt = ">" + "".join(FORMATS[f[1]] for f in spec if f[1] != "bytes")
    size = struct.calcsize(fmt)
    values = struct.unpack_from(fmt, data, 0) if size <= len(data) else ()
    out = {f[0]: v for f, v in zip([f for f in spec if f[1] != "bytes"], values, strict=False)}
    if spec and spec[-1][1] == "bytes":
        out[spec[-1][0]] = data[size:]
    return out


def check_args(command: dict, args: dict) -> list:
    """The argument values in order, converted and checked (type, range, units in messages)."""
    spec = command["args"]
    names = [a[0] for a in spec]
    unknown = set(args) - set(names)
    if unknown:
        raise CommandError(f"{command['name']}: unknown argument(s) {', '.join(sorted(unknown))}; "
                           f"it takes {', '.join(names) or 'none'}")
    values = []
    for name, kind, unit, lo, hi in spec:
        if name not in args:
            raise CommandError(f"{command['name']}: missing argument {name} ({kind}{', ' + unit if unit else ''})")
        raw = args[name]
        if kind == "bytes":
            values.append(bytes(raw))
            continue
        try:
            value = float(raw)
        except (TypeError, ValueError):
            raise CommandError(f"{command['name']}: {name} is not a number: {raw!r}") from None
        if kind in INTEGER_TYPES:
            if not value.is_integer():
                raise CommandError(f"{command['name']}: {name} must be a whole number, not {raw!r}")
            value = int(value)
        if not (math.isfinite(value) and lo <= value <= hi):
            raise CommandError(f"{command['name']}: {name} = {raw} {unit} is out of range [{lo}, {hi}]".replace("  ", " "))
        values.append(value)
    return values


def build_tc(dictionary: Dictionary, key: CommandKey, name: str, args: dict, seq_count: int, auth_seq: int) -> bytes:
    """A complete authenticated TC packet for dictionary command `name`."""
    command = dictionary.commands.get(name)
    if command is None:
        raise CommandError(f"unknown command {name!r} (see `zarya cmd --list`)")
    values = check_args(command, args)
    payload = b""
    if command["function"] is not None:
        payload = struct.pack(">H", command["function"])
    payload += pack_values(command["args"], values)
    return authenticate(dictionary, key, command["service"], command["subtype"], dictionary.apid(command["apid"]),
                        payload, seq_count, auth_seq)


def authenticate(dictionary: Dictionary, key: CommandKey, service: int, subtype: int, apid: int, payload: bytes,
                 seq_count: int, auth_seq: int) -> bytes:
    sec = struct.pack(">BI", key.key_id, auth_seq)
    mac_len = dictionary.module.MAC_LEN

    def packet(mac: bytes) -> bytes:
        return PusTc(service=service, message_subtype=subtype, apid=apid, seq_count=seq_count % SEQ_MODULUS,
                     app_data=sec + payload + mac).pack()

    draft = packet(bytes(mac_len))
    mac = hmac.new(key.key, draft[:-(mac_len + 2)], hashlib.sha256).digest()[:mac_len]
    return packet(mac)


@dataclass
class Telemetry:
    """One decoded TM packet."""

    raw: bytes
    apid: int
    seq_count: int
    service: int
    subtype: int
    board_time_s: float  # since 2000-01-01 UTC
    kind: str  # hk, event, verification, pong, param, other
    name: str = ""
    values: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    severity: str = ""

    @property
    def board_datetime(self) -> dt.datetime:
        return EPOCH + dt.timedelta(seconds=self.board_time_s)

    def as_dict(self) -> dict:
        values = {k: (v.hex() if isinstance(v, bytes) else v) for k, v in self.values.items()}
        return {"apid": self.apid, "seq": self.seq_count, "service": self.service, "subtype": self.subtype,
                "board_time_s": self.board_time_s, "kind": self.kind, "name": self.name, "severity": self.severity,
                "values": values, "units": self.units}


class BadPacketError(ZaryaError, ValueError):
    pass


def decode_tm(dictionary: Dictionary, raw: bytes) -> Telemetry:
    """Decode a TM packet; raises BadPacketError (CRC, length) for the caller to count and drop."""
    if len(raw) < 6 + 7 + TIMESTAMP_LEN + 2 or binascii.crc_hqx(raw[:-2], 0xFFFF) != struct.unpack(">H", raw[-2:])[0]:
        raise BadPacketError("bad CRC or too short")
    try:
        tm = PusTm.unpack(raw, timestamp_len=TIMESTAMP_LEN)
    except Exception as err:
        raise BadPacketError(str(err)) from None
    coarse, fine = struct.unpack(">IH", tm.timestamp)
    t = Telemetry(raw, tm.apid, tm.seq_count, tm.service, tm.message_subtype, coarse + fine / 65536, "other")
    data = tm.source_data
    if tm.service == 3 and tm.message_subtype == 25 and data:
        hk = dictionary.hk_by_sid.get(data[0])
        if hk:
            t.kind, t.name = "hk", hk["name"]
            t.values = unpack_values(hk["fields"], data[1:])
            t.units = {f[0]: f[2] for f in hk["fields"] if f[2]}
    elif tm.service == 5 and len(data) >= 2:
        event = dictionary.events_by_id.get(struct.unpack(">H", data[:2])[0])
        t.kind, t.severity = "event", dictionary.severity_name(tm.message_subtype)
        if event:
            t.name = event["name"]
            t.values = unpack_values(event["args"], data[2:])
            t.units = {a[0]: a[2] for a in event["args"] if a[2]}
    elif tm.service == 1 and len(data) >= 4:
        t.kind = "verification"
        t.name = {1: "accepted", 2: "rejected", 3: "started", 5: "progress", 7: "completed", 8: "failed"}.get(
            tm.message_subtype, "?")
        t.values = {"request_id": struct.unpack(">I", data[:4])[0]}
        if len(data) >= 6:
            code = struct.unpack(">H", data[4:6])[0]
            t.values.update(failure_code=code, failure=dictionary.failure(code))
    elif tm.service == 17:
        t.kind, t.name = "pong", "alive"
    elif tm.service == 20 and tm.message_subtype == 2 and len(data) >= 6:
        pid, value = struct.unpack(">Hf", data[:6])
        name = next((p["name"] for p in dictionary.params.values() if p["id"] == pid), str(pid))
        t.kind, t.name, t.values = "param", name, {"param_id": pid, "value": value}
    return t


def missing_between(seq_before: int, seq_after: int) -> int:
    """Packets missing between two sequence counts of one APID: 0 when they are consecutive, and 0
    when the step back is more than half the counter's range (an older packet, not a loss)."""
    missing = (seq_after - seq_before - 1) % SEQ_MODULUS
    return missing if missing < SEQ_MODULUS // 2 else 0


def request_id(tc: bytes) -> int:
    return struct.unpack(">I", tc[:4])[0]
