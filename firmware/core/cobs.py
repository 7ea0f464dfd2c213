# COBS framing (Cheshire & Baker, "Consistent Overhead Byte Stuffing", 1999): a frame is the
# COBS encoding of a packet followed by 0x00, so a receiver resynchronises at the next zero.


def encode(data, out):
    """COBS-encode `data` into bytearray `out` (cleared first), without the 0x00 delimiter."""
    out[:] = b""
    code_at = 0
    out.append(0)
    code = 1
    for b in data:
        if b == 0:
            out[code_at] = code
            code_at = len(out)
            out.append(0)
            code = 1
            continue
        out.append(b)
        code += 1
        if code == 0xFF:
            out[code_at] = code
            code_at = len(out)
            out.append(0)
            code = 1
    out[code_at] = code
    return out


def decode_into(frame, n, out):
    """Decode frame[:n] (no delimiter) into bytearray `out`; returns the decoded length, or -1 if
    the frame is not valid COBS, decodes to more than len(out) bytes or n exceeds len(frame).
    Every read stays inside frame[:n] and every write inside `out`: a hostile frame is refused,
    never an IndexError."""
    if n > len(frame):
        return -1
    limit = len(out)
    i = 0
    j = 0
    while i < n:
        code = frame[i]
        if code == 0:
            return -1
        i += 1
        end = i + code - 1
        if end > n or j + code - 1 > limit:
            return -1
        while i < end:
            b = frame[i]
            if b == 0:
                return -1
            out[j] = b
            j += 1
            i += 1
        if code != 0xFF and i < n:
            if j >= limit:
                return -1
            out[j] = 0
            j += 1
    return j
