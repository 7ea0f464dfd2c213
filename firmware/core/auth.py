# Telecommand authentication in the spirit of CCSDS SDLS: a security header (key id u8,
# anti-replay sequence number u32) after the PUS secondary header and a truncated
# HMAC-SHA256 trailer before the CRC, computed over everything before the trailer.
import hashlib

from core import failures

# Development key (key id 0): for the simulated board and the bench only.  A flight board
# is provisioned with keys.bin and refuses key 0 (see KeyRing.flight).
DEV_KEY_ID = 0
DEV_KEY = hashlib.sha256(b"zarya development key - not for flight").digest()

SEC_HEADER_LEN = 5


def _pads(key):
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + bytes(64 - len(key))
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


def hmac_sha256(key, msg):
    inner_pad, outer_pad = _pads(key)
    return _hmac(inner_pad, outer_pad, msg)


def _hmac(inner_pad, outer_pad, msg):
    inner = hashlib.sha256(inner_pad)
    inner.update(msg)
    outer = hashlib.sha256(outer_pad)
    outer.update(inner.digest())
    return outer.digest()


def load_keys(path="keys.bin"):
    """Provisioned keys: records of key id (1 byte) + 32-byte key; {} if there is no file."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return {}
    return {raw[i]: raw[i + 1:i + 33] for i in range(0, len(raw) - 32, 33)}


class KeyRing:
    """Keys by id and the last accepted anti-replay number of each (persisted by the caller)."""

    def __init__(self, keys, last_seq, mac_len):
        self.pads = {}
        for key_id in keys:
            self.pads[key_id] = _pads(keys[key_id])
        self.last_seq = last_seq
        self.mac_len = mac_len

    def check(self, packet, n_before_crc, key_id, seq):
        """0 or the ST[1] failure code for the TC packet[:n_before_crc] (MAC included)."""
        pads = self.pads.get(key_id)
        if pads is None:
            return failures.UNKNOWN_KEY
        mac_at = n_before_crc - self.mac_len
        expected = _hmac(pads[0], pads[1], memoryview(packet)[:mac_at])
        diff = 0
        for i in range(self.mac_len):
            diff |= expected[i] ^ packet[mac_at + i]
        if diff:
            return failures.BAD_MAC
        if seq <= self.last_seq.get(key_id, -1):
            return failures.REPLAYED
        return 0

    def accept(self, key_id, seq):
        self.last_seq[key_id] = seq
