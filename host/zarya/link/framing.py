"""COBS framing with a 0x00 delimiter (docs/protocol.md, section 1)."""

from __future__ import annotations


def cobs_encode(data: bytes) -> bytes:
    out = bytearray(b"\x00")
    code_at, code = 0, 1
    for b in data:
        if b == 0:
            out[code_at] = code
            code_at, code = len(out), 1
            out.append(0)
            continue
        out.append(b)
        code += 1
        if code == 0xFF:
            out[code_at] = code
            code_at, code = len(out), 1
            out.append(0)
    out[code_at] = code
    return bytes(out)


def cobs_decode(frame: bytes) -> bytes | None:
    """The decoded packet, or None if `frame` is not valid COBS."""
    out = bytearray()
    i, n = 0, len(frame)
    while i < n:
        code = frame[i]
        if code == 0 or i + code > n:
            return None
        block = frame[i + 1:i + code]
        if 0 in block:
            return None
        out += block
        i += code
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)


def frame(packet: bytes) -> bytes:
    return cobs_encode(packet) + b"\x00"


class FrameReader:
    """Splits a byte stream into packets; counts frames that are not valid COBS or too long."""

    def __init__(self, max_packet: int = 512):
        self.buf = bytearray()
        self.max_frame = max_packet + max_packet // 254 + 2
        self.bad_frames = 0
        self.overflow = False

    def feed(self, data: bytes) -> list[bytes]:
        """The packets completed by `data`."""
        packets = []
        self.buf += data
        while (end := self.buf.find(0)) >= 0:
            raw = bytes(self.buf[:end])
            del self.buf[:end + 1]
            if self.overflow:
                self.bad_frames += 1
                self.overflow = False
            elif raw:
                packet = cobs_decode(raw) if len(raw) <= self.max_frame else None
                if packet is None:
                    self.bad_frames += 1
                else:
                    packets.append(packet)
        if len(self.buf) > self.max_frame:
            self.overflow = True
            self.buf.clear()
        return packets
