# COBS, CRC-16 and packet layout, in the MicroPython VM.
import struct

import dictionary
from core import cobs, codec, packets
from core.crc16 import crc16
from mp_helpers import tc


def roundtrip(data):
    enc = bytearray()
    cobs.encode(data, enc)
    assert enc.find(b"\x00") < 0
    out = bytearray(len(data) + 2)
    n = cobs.decode_into(enc, len(enc), out)
    assert bytes(out[:n]) == bytes(data), (data, enc, out[:n])


def test_cobs_round_trips_zeros_runs_and_254_byte_blocks():
    for data in (b"", b"\x00", b"\x00\x00", b"\x11\x22\x00\x33", bytes(range(1, 255)), bytes(range(256)) * 2,
                 b"\x01" * 253, b"\x01" * 254, b"\x01" * 255, b"\x00" * 300):
        roundtrip(data)


def test_cobs_known_vectors():
    # Wikipedia COBS examples
    for raw, enc in ((b"\x00", b"\x01\x01"), (b"\x00\x00", b"\x01\x01\x01"), (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
                     (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01")):
        out = bytearray()
        assert bytes(cobs.encode(raw, out)) == enc


def test_cobs_rejects_zero_and_overrun():
    out = bytearray(16)
    assert cobs.decode_into(b"\x03\x11\x00", 3, out) == -1
    assert cobs.decode_into(b"\x05\x11\x22", 3, out) == -1


def test_cobs_decode_never_writes_past_the_packet_buffer():
    # a frame that decodes to 1, 2, 3 or many bytes more than MAX_PACKET is refused, not an
    # IndexError (one such unauthenticated frame used to reboot the board)
    out = bytearray(dictionary.MAX_PACKET)
    for overrun in (1, 2, 3, 10, 200, 1000):
        f = b"\x01" * (512 + overrun + 1)  # zeros only: 512 + overrun of them
        assert cobs.decode_into(f, len(f), out) == -1, overrun
        f = (b"\xff" + b"\x55" * 254) * 3 + b"\x01" * (512 - 3 * 254 + overrun + 1)  # 0xFF blocks, then zeros
        assert cobs.decode_into(f, len(f), out) == -1, overrun
        if overrun < 250:
            f = (b"\xff" + b"\x55" * 254) * 2 + bytes([5 + overrun]) + b"\x55" * (4 + overrun)  # ends in data
            assert cobs.decode_into(f, len(f), out) == -1, overrun
    f = b"\x01" * 513  # exactly MAX_PACKET zeros fit
    assert cobs.decode_into(f, len(f), out) == 512 and out == bytearray(512)
    enc = bytearray()
    cobs.encode(bytes(range(256)) * 2, enc)
    assert cobs.decode_into(enc, len(enc), out) == 512 and bytes(out) == bytes(range(256)) * 2


def test_cobs_decode_never_reads_past_the_frame():
    out = bytearray(16)
    assert cobs.decode_into(b"\x05\x01\x02", 3, out) == -1  # a block longer than the frame
    assert cobs.decode_into(b"\x02\x01", 3, out) == -1  # n beyond the buffer: refused, not IndexError
    assert cobs.decode_into(b"\x03\x01\x02\x07", 3, out) == 2  # only frame[:n] is read
    assert cobs.decode_into(b"\x02\x01\x00", 2, out) == 1 and cobs.decode_into(b"", 0, out) == 0


def test_crc16_ccitt_false_check_value():
    assert crc16(b"123456789") == 0x29B1
    assert crc16(b"") == 0xFFFF


def test_parse_tc_checks_length_crc_and_type():
    pkt = bytearray(tc(17, 1))
    status, apid, _, service, subtype, _ = packets.parse_tc(pkt, len(pkt))
    assert (status, apid, service, subtype) == (packets.TC_OK, dictionary.APIDS["core"], 17, 1)
    bad = bytearray(pkt)
    bad[-1] ^= 1
    assert packets.parse_tc(bad, len(bad))[0] == packets.TC_CRC
    assert packets.parse_tc(pkt, len(pkt) - 1)[0] == packets.TC_LENGTH
    assert packets.parse_tc(pkt, 5)[0] == packets.TC_SHORT


def test_tm_writer_counts_per_apid_and_stamps_time():
    w = packets.TmWriter(64)
    n1 = w.build(0x100, 3, 25, 1234, 0x8000, b"\x01\x02")
    first = bytes(w.buf[:n1])
    n2 = w.build(0x100, 3, 25, 1235, 0, b"")
    assert struct.unpack_from(">H", w.buf, 2)[0] & 0x3FFF == 1
    assert packets.tm_time(first) == 1234
    assert crc16(first, n1 - 2) == struct.unpack_from(">H", first, n1 - 2)[0]
    assert n2 == packets.PRIMARY_LEN + packets.TM_SEC_LEN + 2


def test_tm_writer_refuses_oversized_packets():
    w = packets.TmWriter(32)
    try:
        w.build(0x100, 3, 25, 0, 0, bytes(40))
    except ValueError as e:
        assert "MAX_PACKET" in str(e)
    else:
        raise AssertionError("no error")


def test_codec_unpacks_checks_length_and_range():
    spec = (("sid", "u8", "", 1, 255), ("interval_s", "u16", "s", 1, 65535))
    data = b"\x01\x00\x0a"
    assert codec.unpack(spec, data, 0, 3) == [1, 10]
    assert codec.unpack(spec, data, 0, 2) is None
    assert codec.out_of_range(spec, [0, 10]) == 0
    rest = (("release_s", "u32", "s", 0, 2**32 - 1), ("tc", "bytes", "", 0, 0))
    assert codec.unpack(rest, b"\x00\x00\x00\x05abc", 0, 7) == [5, b"abc"]
    assert codec.pack(rest, [5, b"abc"]) == b"\x00\x00\x00\x05abc"
