# CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR): the PUS packet
# error control field (ECSS-E-ST-70-41C, 7.4.3.2).  Check value: crc16(b"123456789") == 0x29B1.
import array

_TABLE = array.array("H", [0] * 256)
for _i in range(256):
    _c = _i << 8
    for _ in range(8):
        _c = ((_c << 1) ^ 0x1021) if _c & 0x8000 else (_c << 1)
    _TABLE[_i] = _c & 0xFFFF


def crc16(data, n=-1, crc=0xFFFF):
    """CRC of data[:n] (all of it when n < 0)."""
    if n < 0:
        n = len(data)
    table = _TABLE
    for i in range(n):
        crc = ((crc << 8) & 0xFF00) ^ table[((crc >> 8) ^ data[i]) & 0xFF]
    return crc
