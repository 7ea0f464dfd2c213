# The dictionary's hash: SHA-256 of a canonical encoding that MicroPython and CPython produce
# byte for byte (dict keys sorted; floats as IEEE-754 single precision, the precision of the
# Pico's MicroPython, so a 32-bit board and a 64-bit host agree), so board and host agree.
import hashlib
import struct

PARTS = ("APIDS", "MAX_PACKET", "MAC_LEN", "SEVERITY", "FAILURES", "COMMANDS", "PARAMS", "HK", "EVENTS",
         "STORE_FILES", "CHANNELS", "LET_EDGES_KEV_UM")


def _encode(obj, out):
    # `out` is a hash object: the encoding is streamed into it, never held whole (heap is scarce)
    if obj is None:
        out.update(b"N")
    elif obj is True or obj is False:
        out.update(b"T" if obj else b"F")
    elif isinstance(obj, int):
        out.update(b"I" + str(obj).encode() + b";")
    elif isinstance(obj, float):
        out.update(b"F" + struct.pack(">f", obj))
    elif isinstance(obj, str):
        data = obj.encode()
        out.update(b"S" + str(len(data)).encode() + b":" + data)
    elif isinstance(obj, (tuple, list)):
        out.update(b"L" + str(len(obj)).encode() + b"[")
        for item in obj:
            _encode(item, out)
    elif isinstance(obj, dict):
        out.update(b"M" + str(len(obj)).encode() + b"{")
        for key in sorted(obj, key=str):
            _encode(key, out)
            _encode(obj[key], out)
    else:
        raise TypeError("dictionary holds a value that cannot be hashed: %r" % (obj,))


def dictionary_hash(module):
    """SHA-256 digest (32 bytes) of the dictionary module's interface parts."""
    h = hashlib.sha256()
    for name in PARTS:
        _encode(name, h)
        _encode(getattr(module, name), h)
    return h.digest()


def hash32(module):
    """The first four digest bytes as an integer: what the BOOT event carries."""
    return struct.unpack(">I", dictionary_hash(module)[:4])[0]


def trim(module):
    """Drop what only ground needs (documentation, failure texts) once the hash is known: on the
    board the dictionary is otherwise a fifth of the heap.  STORE_FILES stays: the record store
    names corrupt records by it."""
    for part in ("COMMANDS", "PARAMS", "HK", "EVENTS"):
        for entry in getattr(module, part):
            entry.pop("doc", None)
    module.FAILURES = {}
