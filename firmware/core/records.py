# Persistent records: every write is atomic and checksummed.  save() writes NAME.new, renames
# the current copy to NAME.bak, then NAME.new to NAME; load() takes the valid copy with the
# highest generation among NAME, NAME.new and NAME.bak, so a write torn at any point (power
# removed mid-write) leaves a good copy.  Record: b"ZRS1", generation u32, length u32,
# crc32 u32 (binascii.crc32 of the payload), then the payload (JSON).
# A corrupt record is reported by the store itself, as the STORE_CORRUPT event's (file, action):
# the file id from dictionary.STORE_FILES and the action FROM_BACKUP or DEFAULTS.
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
        self.faults = 0

    def path(self, name):
        return self.root + name if not self.root else self.root + "/" + name

    def load(self, name, default):
        """The newest good copy of record `name`, or `default` if there is none.  Corruption is
        reported with on_corrupt: FROM_BACKUP when the newest copy was corrupt or torn mid-write
        and an older good one was used, DEFAULTS when no copy was good.  A record that was
        never saved (no file) is not corruption: its default comes back unreported."""
        base = self.path(name)
        best = None
        seen_bad = False
        for suffix in ("", ".new", ".bak"):
            got = _read(base + suffix)
            if got is None:
                continue
            gen, value = got
            if gen < 0:
                seen_bad = True
            elif best is None or gen > best[0]:
                best = (gen, value, suffix)
        if seen_bad:
            self.faults += 1
        if best is None:
            self.generation[name] = 0
            value, action = default, DEFAULTS if seen_bad else 0
        else:
            self.generation[name] = best[0]
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
        gen = self.generation.get(name, 0) + 1
        payload = json.dumps(value).encode()
        with open(base + ".new", "wb") as f:
            f.write(struct.pack(HEADER, MAGIC, gen, len(payload), binascii.crc32(payload) & 0xFFFFFFFF))
            if self.write_hook is not None:
                f.flush()
                self.write_hook(name)
            f.write(payload)
        _remove(base + ".bak")
        try:
            os.rename(base, base + ".bak")
        except OSError:
            pass
        os.rename(base + ".new", base)
        self.generation[name] = gen
