# Values <-> bytes for command arguments, housekeeping fields and event arguments, from the
# dictionary's (name, type, ...) tuples.  Big-endian; "bytes" takes the rest of the data.
import struct

FORMATS = {"u8": "B", "u16": "H", "u32": "I", "i16": "h", "i32": "i", "f32": "f"}
SIZES = {"u8": 1, "u16": 2, "u32": 4, "i16": 2, "i32": 4, "f32": 4}


def fixed_format(spec):
    """struct format of the fixed-size fields of spec (a trailing "bytes" field excluded)."""
    return ">" + "".join(FORMATS[f[1]] for f in spec if f[1] != "bytes")


def unpack(spec, data, start, end):
    """Values of spec from data[start:end], or None if the length does not fit."""
    fmt = fixed_format(spec)
    size = struct.calcsize(fmt)
    has_rest = len(spec) > 0 and spec[-1][1] == "bytes"
    if end - start < size or (not has_rest and end - start != size):
        return None
    values = list(struct.unpack_from(fmt, data, start))
    if has_rest:
        values.append(bytes(data[start + size:end]))
    return values


def out_of_range(spec, values):
    """Index of the first value outside its (min, max), or -1."""
    for i in range(len(spec)):
        field = spec[i]
        if field[1] != "bytes" and len(field) > 4 and not field[3] <= values[i] <= field[4]:
            return i
    return -1


def pack(spec, values):
    """bytes of values laid out by spec."""
    fixed = [v for f, v in zip(spec, values) if f[1] != "bytes"]
    out = struct.pack(fixed_format(spec), *fixed)
    if spec and spec[-1][1] == "bytes":
        out += bytes(values[-1])
    return out
