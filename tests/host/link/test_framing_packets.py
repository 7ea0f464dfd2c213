"""Host framing and packets: COBS, TC construction checked against the dictionary, TM decoding."""

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zarya.dictionary import load
from zarya.link.framing import FrameReader, cobs_decode, cobs_encode, frame
from zarya.link.keys import development_key
from zarya.link.packets import CommandError, build_tc, check_args

D = load()


@given(st.binary(max_size=600))
def test_cobs_round_trip_has_no_zeros(data):
    enc = cobs_encode(data)
    assert 0 not in enc and cobs_decode(enc) == data


def test_frame_reader_resynchronises_after_garbage_and_counts_it():
    reader = FrameReader(512)
    good = frame(b"\x01\x00\x02")
    packets = reader.feed(b"\x05\x01\x00" + good[:3]) + reader.feed(good[3:] + b"\xff" * 2000 + b"\x00" + good)
    assert packets == [b"\x01\x00\x02", b"\x01\x00\x02"]
    assert reader.bad_frames == 2


def test_arguments_are_checked_before_anything_is_built(tmp_path):
    key = development_key(tmp_path)
    with pytest.raises(CommandError, match="interval_s = 0 s is out of range"):
        build_tc(D, key, "HK_SET_INTERVAL", {"sid": 1, "interval_s": 0}, 0, 1)
    with pytest.raises(CommandError, match="missing argument sid"):
        check_args(D.commands["HK_ENABLE"], {})
    with pytest.raises(CommandError, match="unknown argument"):
        check_args(D.commands["PING"], {"x": 1})
    with pytest.raises(CommandError, match="whole number"):
        check_args(D.commands["HK_ENABLE"], {"sid": 1.5})
    with pytest.raises(CommandError, match="unknown command 'FLY'"):
        build_tc(D, key, "FLY", {}, 0, 1)


def test_anti_replay_counter_is_persisted_and_never_reused(tmp_path):
    a = development_key(tmp_path)
    first = [a.next_seq() for _ in range(3)]
    b = development_key(tmp_path)  # a restarted host
    assert b.next_seq() == first[-1] + 1


def test_tc_layout_matches_the_protocol(tmp_path):
    tc = build_tc(D, development_key(tmp_path), "PARAM_SET", {"param_id": 1, "value": 20}, 5, 9)
    w0, w1, length = struct.unpack(">HHH", tc[:6])
    assert w0 == 0x1800 | 0x100 and w1 == 0xC005 and length == len(tc) - 7
    assert tc[6:11] == bytes([0x2F, 20, 3, 0, 0])
    assert tc[11:16] == b"\x00" + struct.pack(">I", 9)
    assert struct.unpack(">Hf", tc[16:22]) == (1, 20.0)
