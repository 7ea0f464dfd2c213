# CCSDS Space Packets (CCSDS 133.0-B-2) carrying PUS-C telecommands and telemetry
# (ECSS-E-ST-70-41C) with the PUS packet error control CRC-16/CCITT-FALSE.
#
#   primary header (6): version 0 | type (TM 0, TC 1) | sec-hdr flag 1 | APID (11 bits)
#                       sequence flags 0b11 | sequence count (14 bits) | data length - 1
#   TC secondary (5):   PUS version 2 << 4 | ack flags, service, subtype, source id (u16)
#   TM secondary (13):  PUS version 2 << 4 | time ref status 0, service, subtype,
#                       message type counter (u16), destination id (u16),
#                       time: CUC, implicit P-field, 4 coarse bytes (s since 2000-01-01 UTC,
#                       the mission epoch: small ints on a 32-bit port until 2034)
#                       + 2 fine bytes (1/65536 s)
#   packet error control (2): CRC over everything before it
import struct

from core.crc16 import crc16

PRIMARY_LEN = 6
TC_SEC_LEN = 5
TM_SEC_LEN = 13
CRC_LEN = 2
PUS_VERSION = 2
SEQ_UNSEGMENTED = 3

# TC parse results
TC_OK = 0
TC_SHORT = 1  # shorter than the headers
TC_LENGTH = 2  # data length field disagrees with the frame
TC_CRC = 3
TC_NOT_TC = 4  # version, type or secondary-header flag wrong


def parse_tc(buf, n):
    """Check a received packet buf[:n]; returns (status, apid, seq_count, service, subtype,
    source_id).  The application data is buf[PRIMARY_LEN + TC_SEC_LEN : n - CRC_LEN]."""
    if n < PRIMARY_LEN + TC_SEC_LEN + CRC_LEN:
        return TC_SHORT, 0, 0, 0, 0, 0
    word0, word1, length = struct.unpack_from(">HHH", buf, 0)
    if length + 1 + PRIMARY_LEN != n:
        return TC_LENGTH, 0, 0, 0, 0, 0
    if crc16(buf, n - CRC_LEN) != (buf[n - 2] << 8 | buf[n - 1]):
        return TC_CRC, 0, 0, 0, 0, 0
    if (word0 >> 13) != 0 or not (word0 >> 12) & 1 or not (word0 >> 11) & 1 or (buf[6] >> 4) != PUS_VERSION:
        return TC_NOT_TC, 0, 0, 0, 0, 0
    return TC_OK, word0 & 0x7FF, word1 & 0x3FFF, buf[7], buf[8], buf[9] << 8 | buf[10]


def request_id(buf):
    """The PUS request ID of a TC: its first four primary-header bytes (for ST[1] reports)."""
    return struct.unpack_from(">I", buf, 0)[0]


class TmWriter:
    """Builds TM packets into one preallocated buffer; keeps a sequence count per APID and a
    message type counter per (service, subtype)."""

    def __init__(self, max_packet):
        self.buf = bytearray(max_packet)
        self.seq = {}
        self.msg_counter = 0

    def build(self, apid, service, subtype, time_s, time_frac, data, n_data=-1):
        """Packet bytes in self.buf[:returned length]; data[:n_data] is the application data."""
        if n_data < 0:
            n_data = len(data)
        n = PRIMARY_LEN + TM_SEC_LEN + n_data + CRC_LEN
        if n > len(self.buf):
            raise ValueError("TM packet of %d bytes exceeds MAX_PACKET" % n)
        buf = self.buf
        count = self.seq.get(apid, 0)
        self.seq[apid] = (count + 1) & 0x3FFF
        self.msg_counter = (self.msg_counter + 1) & 0xFFFF
        struct.pack_into(">HHH", buf, 0, 0x0800 | (apid & 0x7FF), (SEQ_UNSEGMENTED << 14) | count, n - PRIMARY_LEN - 1)
        struct.pack_into(">BBBHHIH", buf, PRIMARY_LEN, PUS_VERSION << 4, service, subtype, self.msg_counter, 0,
                         time_s & 0xFFFFFFFF, time_frac & 0xFFFF)
        start = PRIMARY_LEN + TM_SEC_LEN
        buf[start:start + n_data] = data[:n_data] if n_data != len(data) else data
        crc = crc16(buf, n - CRC_LEN)
        buf[n - 2] = crc >> 8
        buf[n - 1] = crc & 0xFF
        return n


def tm_time(buf):
    """Board time (s) of a TM packet."""
    return struct.unpack_from(">I", buf, PRIMARY_LEN + 7)[0]
