# The dictionary's hash: SHA-256 of a canonical encoding that MicroPython and CPython produce
# byte for byte (floats as IEEE-754 bytes, dict keys sorted), so board and host agree.
import hashlib
import struct

PARTS = ("APIDS", "MAX_PACKET", "MAC_LEN", "SEVERITY", "FAILURES", "COMMANDS", "PARAMS", "HK", "EVENTS",
         "STORE_FILES")


def _encode(obj, out):
    if obj is None:
        out.extend(b"N")
    elif obj is True or obj is False:
        out.extend(b"T" if obj else b"F")
    elif isinstance(obj, int):
        out.extend(b"I" + str(obj).encode() + b";")
    elif isinstance(obj, float):
        out.extend(b"D" + struct.pack(">d", obj))
    elif isinstance(obj, str):
        data = obj.encode()
        out.extend(b"S" + str(len(data)).encode() + b":" + data)
    elif isinstance(obj, (tuple, list)):
        out.extend(b"L" + str(len(obj)).encode() + b"[")
        for item in obj:
            _encode(item, out)
    elif isinstance(obj, dict):
        out.extend(b"M" + str(len(obj)).encode() + b"{")
        for key in sorted(obj, key=str):
            _encode(key, out)
            _encode(obj[key], out)
    else:
        raise TypeError("dictionary holds a value that cannot be hashed: %r" % (obj,))


def dictionary_hash(module):
    """SHA-256 digest (32 bytes) of the dictionary module's interface parts."""
    out = bytearray()
    for name in PARTS:
        _encode(name, out)
        _encode(getattr(module, name), out)
    return hashlib.sha256(out).digest()


def hash32(module):
    """The first four digest bytes as an integer: what the BOOT event carries."""
    return struct.unpack(">I", dictionary_hash(module)[:4])[0]
