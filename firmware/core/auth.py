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


KEY_RECORD = 33  # keys.bin: key id (1 byte) + 32-byte key
KEYS_MISSING, KEYS_MALFORMED = 1, 2  # KEYS_INVALID event reasons


def load_keys(path="keys.bin"):
    """(keys, fault): the provisioned keys {key id: key} and 0, or ({}, KEYS_MISSING) when there
    is no file, or ({}, KEYS_MALFORMED) when it is not a whole number of records (empty
    included) or any record is wrong: key id 0 (the development key's), a key id twice, the
    development key itself, a key of one repeated byte.  A damaged file gives no key at all, so
    it can never let the development key (or a truncated key) in."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return {}, KEYS_MISSING
    if not raw or len(raw) % KEY_RECORD:
        return {}, KEYS_MALFORMED
    keys = {}
    for i in range(0, len(raw), KEY_RECORD):
        key_id = raw[i]
        key = bytes(raw[i + 1:i + KEY_RECORD])
        if key_id == DEV_KEY_ID or key_id in keys or key == DEV_KEY or key == bytes([key[0]]) * 32:
            return {}, KEYS_MALFORMED
        keys[key_id] = key
    return keys, 0


# The anti-replay record ("replay" in the store): {"<key id>": last accepted number, ...}, plus
# "locked": 1 while the board fails closed.  If the newest committed copy of the record is lost
# (corrupt: the store could only give an older copy or nothing) the board cannot know which
# numbers were spent, so it locks: every key without a number refuses every TC with
# failures.REPLAY_LOST (and the REPLAY_LOCKED event carries the nonce of this boot).  The one
# way out is RESYNC_REPLAY(nonce, floor), MAC-checked with the key it re-sets and not checked
# against numbers (there are none): the key's last number becomes max(floor, the TC's number).
# The nonce (random, new at every boot, sent in REPLAY_LOCKED) makes a captured RESYNC_REPLAY
# useless later; once re-set, the key's numbers are checked as before (a replayed RESYNC is
# REPLAYED).  The lock is persisted until every key of the key ring is re-set.
def parse_replay(rec):
    """(last numbers {key id: n}, locked) of a stored anti-replay record, None if malformed."""
    try:
        return {int(k): int(rec[k]) for k in rec if k != "locked"}, bool(rec.get("locked", 0))
    except (ValueError, TypeError, AttributeError):
        return None


class KeyRing:
    """Keys by id and the last accepted anti-replay number of each (persisted by the caller).
    locked: the anti-replay record was lost, a key without a number accepts nothing but
    RESYNC_REPLAY carrying `nonce`."""

    def __init__(self, keys, last_seq, mac_len, locked=False, nonce=0):
        self.pads = {}
        for key_id in keys:
            self.pads[key_id] = _pads(keys[key_id])
        self.last_seq = last_seq
        self.mac_len = mac_len
        self.locked = locked
        self.nonce = nonce

    def any_locked(self):
        if self.locked:
            for k in self.pads:
                if k not in self.last_seq:
                    return True
        return False

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
        if self.locked and key_id not in self.last_seq:
            return failures.REPLAY_LOST
        if seq <= self.last_seq.get(key_id, -1):
            return failures.REPLAYED
        return 0

    def accept(self, key_id, seq):
        self.last_seq[key_id] = seq

    def record(self):
        """The anti-replay record to persist."""
        rec = {}
        for k in self.last_seq:
            rec[str(k)] = self.last_seq[k]
        if self.locked and (self.any_locked() or not self.pads):  # kept until a key ring is re-set
            rec["locked"] = 1
        return rec
