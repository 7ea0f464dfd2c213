# Helpers for firmware tests in the MicroPython VM: an in-memory board and a TC builder that
# follows docs/protocol.md (the host's zarya.link does the same in CPython).
import struct

import dictionary
from core import auth, cobs, packets
from core.crc16 import crc16


class MemBoard:
    """A board whose serial line is two byte buffers and whose ticks are set by the test."""

    storage_root = ""
    key_path = "keys.bin"
    accepts_dev_key = True
    tm_store_slots = 64

    def __init__(self):
        self.ticks = 0
        self.rx = bytearray()
        self.tx = bytearray()
        self.sensors = {}
        self.switches = {}
        self.fed = 0
        self.count = 0
        self.let = []

    def ticks_ms(self):
        return self.ticks

    @staticmethod
    def ticks_diff(a, b):
        half = 1 << 29
        return ((a - b + half) & ((1 << 30) - 1)) - half

    @staticmethod
    def ticks_add(a, d):
        return (a + d) & ((1 << 30) - 1)

    def serial_read_into(self, buf):
        if not self.rx:
            return 0
        n = min(len(buf), len(self.rx))
        buf[:n] = self.rx[:n]
        self.rx = self.rx[n:]
        return n

    def serial_write(self, data):
        self.tx.extend(data)

    def sensor(self, name, default=0.0):
        return self.sensors.get(name, default)

    def counter(self):
        return self.count

    def let_histogram(self):
        return self.let

    def switch(self, ch, on):
        self.switches[ch] = 1 if on else 0

    def watchdog_start(self):
        pass

    def watchdog_feed(self):
        self.fed += 1

    @staticmethod
    def reset_cause():
        return 0

    def idle(self):
        pass

    def finish(self, reason):
        self.finished = reason

    def frames(self):
        """Decoded packets written so far (and clear the line)."""
        out = []
        for frame in bytes(self.tx).split(b"\x00"):
            if frame:
                buf = bytearray(len(frame))
                n = cobs.decode_into(frame, len(frame), buf)
                out.append(bytes(buf[:n]))
        self.tx = bytearray()
        return out


def tc(service, subtype, args=b"", apid="core", seq_count=0, key_id=0, auth_seq=1, key=auth.DEV_KEY, mac_ok=True):
    """A complete authenticated TC packet."""
    body_len = packets.TC_SEC_LEN + auth.SEC_HEADER_LEN + len(args) + dictionary.MAC_LEN + packets.CRC_LEN
    head = struct.pack(">HHH", 0x1800 | dictionary.APIDS[apid], 0xC000 | seq_count, body_len - 1)
    head += struct.pack(">BBBH", 0x2F, service, subtype, 0) + struct.pack(">BI", key_id, auth_seq) + args
    mac = auth.hmac_sha256(key, head)[:dictionary.MAC_LEN]
    if not mac_ok:
        mac = bytes(b ^ 0xFF for b in mac)
    packet = head + mac
    crc = crc16(packet)
    return packet + struct.pack(">H", crc)


def frame(packet):
    out = bytearray()
    cobs.encode(packet, out)
    out.append(0)
    return bytes(out)


def tm_header(packet):
    """(apid, seq_count, service, subtype, time_s) of a TM packet."""
    w0, w1 = struct.unpack_from(">HH", packet, 0)
    return w0 & 0x7FF, w1 & 0x3FFF, packet[7], packet[8], struct.unpack_from(">I", packet, 13)[0]


def tm_data(packet):
    return packet[packets.PRIMARY_LEN + packets.TM_SEC_LEN:-2]


def boot_apps(sensors=None):
    """The full firmware (core, power manager, radiation monitor) on a MemBoard."""
    import gc

    from apps.power import PowerManager
    from apps.radmon import RadiationMonitor
    from core.app import App

    gc.collect()
    board = MemBoard()
    board.sensors = sensors or {"battery:v": 7.6, "bus:v": 7.6, "battery:i": 0.2, "solar:i": 1.0}
    app = App(board)
    power = PowerManager(app)
    radmon = RadiationMonitor(app, power.on_rad_alarm)
    radmon.start()
    power.start()
    app.start()
    board.frames()
    return board, app, radmon, power


def run(board, app, seconds, step_ms=100, cps=0.0, each=None):
    """Advance `seconds` in steps, feeding the GM counter at `cps` counts/s; returns the event
    and verification packets (housekeeping is dropped: the test heap is the Pico's)."""
    out = []
    acc = 0.0
    for _ in range(int(seconds * 1000 / step_ms)):
        board.ticks = (board.ticks + step_ms) & ((1 << 30) - 1)
        acc += cps * step_ms / 1000
        whole = int(acc)
        acc -= whole
        board.count = (board.count + whole) & 0xFFFFFFFF
        if each:
            each(board)
        app.step()
        out += [p for p in board.frames() if p[7] in (1, 5)]
    return out


def events(packets, name_id):
    return [tm_data(p) for p in packets if tm_header(p)[2] == 5 and struct.unpack(">H", tm_data(p)[:2])[0] == name_id]
