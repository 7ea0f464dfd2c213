# Persistent records: every write is atomic and checksummed.  save() writes NAME.new, renames
# the current copy to NAME.bak, then NAME.new to NAME; load() takes the valid copy with the
# highest generation among NAME, NAME.new and NAME.bak, so a write torn at any point (power
# removed mid-write) leaves a good copy.  Record: b"ZRS1", generation u32, length u32,
# crc32 u32 (binascii.crc32 of the payload), then the payload (JSON).
# What a load returned is never lost by a later cut, so a second cut gives old-or-new, never
# older: when the newest copy is a NAME.new left by a cut between its write and its renames,
# load() promotes it to NAME (the same renames) before anything else can truncate NAME.new;
# and save() never truncates NAME.new while it holds the newest copy.
# A corrupt record is reported by the store itself, as the STORE_CORRUPT event's (file, action):
# the file id from dictionary.STORE_FILES and the action FROM_BACKUP or DEFAULTS.  Separately,
# `lost` names the records whose newest *committed* copy (NAME) was corrupt or missing while
# older copies remained: an older copy or the default came back, which a torn write alone never
# causes (for the anti-replay record the caller must then fail closed).
import json
import os
import struct

import binascii

MAGIC = b"ZRS1"
HEADER = ">4sIII"
HEADER_LEN = 16
FROM_BACKUP, DEFAULTS = 1, 2  # STORE_CORRUPT actions: an older good copy was used / the defaults


def _read(path):
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError:
        return None
    if len(raw) < HEADER_LEN:
        return -1, None
    magic, gen, length, crc = struct.unpack_from(HEADER, raw, 0)
    payload = raw[HEADER_LEN:]
    if magic != MAGIC or length != len(payload) or binascii.crc32(payload) & 0xFFFFFFFF != crc:
        return -1, None
    try:
        return gen, json.loads(payload)
    except ValueError:
        return -1, None


def _remove(path):
    try:
        os.remove(path)
    except OSError:
        pass


class RecordStore:
    """Checksummed JSON records in files under `root`.  files: {file id: record name} (the
    dictionary's STORE_FILES); on_corrupt(file_id, action) is called by load() for a corrupt
    record (file id 0 for a name not in files)."""

    def __init__(self, root="", write_hook=None, files=None, on_corrupt=None):
        self.root = root
        self.write_hook = write_hook  # called between header and payload (the simulator's brownout point)
        self.files = files or {}
        self.on_corrupt = on_corrupt
        self.generation = {}
        self.lost = set()  # records whose newest committed copy was lost (see above)
        self.faults = 0

    def path(self, name):
        return self.root + name if not self.root else self.root + "/" + name

    def _recover(self, name):
        """Read every copy of `name`, promote a newest NAME.new; returns (best (gen, value,
        suffix) or None, a corrupt copy was seen).  Sets the generation and `lost`."""
        base = self.path(name)
        best = None
        seen_bad = False
        committed = False  # NAME or NAME.bak exists: the record was saved to the end before
        current = None  # NAME: None (absent), False (corrupt), True (good)
        for suffix in ("", ".new", ".bak"):
            got = _read(base + suffix)
            if got is None:
                continue
            if suffix != ".new":
                committed = True
            gen, value = got
            if suffix == "":
                current = gen >= 0
            if gen < 0:
                seen_bad = True
            elif best is None or gen > best[0]:
                best = (gen, value, suffix)
        if best is not None and best[2] == ".new":
            _promote(base, current)  # before any save can truncate NAME.new
        self.generation[name] = best[0] if best is not None else 0
        if committed and (best is None or best[2] == ".bak"):
            self.lost.add(name)
        else:
            self.lost.discard(name)
        return best, seen_bad

    def load(self, name, default):
        """The newest good copy of record `name`, or `default` if there is none.  Corruption is
        reported with on_corrupt: FROM_BACKUP when the newest copy was corrupt or torn mid-write
        and an older good one was used, DEFAULTS when no copy was good.  A record that was
        never saved (no file) is not corruption: its default comes back unreported."""
        best, seen_bad = self._recover(name)
        if seen_bad:
            self.faults += 1
        if best is None:
            value, action = default, DEFAULTS if seen_bad else 0
        else:
            value, action = best[1], FROM_BACKUP if best[2] or seen_bad else 0
        if action and self.on_corrupt is not None:
            file_id = 0
            for fid in self.files:
                if self.files[fid] == name:
                    file_id = fid
                    break
            self.on_corrupt(file_id, action)
        return value

    def save(self, name, value):
        base = self.path(name)
        if name not in self.generation:  # never loaded by this store: find the newest copy first
            self._recover(name)
        gen = self.generation[name] + 1
        payload = json.dumps(value).encode()
        with open(base + ".new", "wb") as f:
            f.write(struct.pack(HEADER, MAGIC, gen, len(payload), binascii.crc32(payload) & 0xFFFFFFFF))
            if self.write_hook is not None:
                f.flush()
                self.write_hook(name)
            f.write(payload)
        _promote(base)
        self.generation[name] = gen
        self.lost.discard(name)


def _promote(base, current=True):
    """NAME.new (complete) becomes NAME; a good current NAME (current True) becomes NAME.bak, a
    corrupt one (False) is dropped and an older NAME.bak kept.  A cut between any two steps
    leaves NAME.new or NAME holding the newest copy."""
    if current:
        _remove(base + ".bak")
        try:
            os.rename(base, base + ".bak")
        except OSError:
            pass
    elif current is not None:
        _remove(base)
    os.rename(base + ".new", base)
