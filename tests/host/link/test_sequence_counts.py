"""Sequence-count arithmetic shared by the link client (gap replay) and the archive (hole report)."""

import pytest

from zarya.link.packets import SEQ_MODULUS, missing_between


@pytest.mark.parametrize(("before", "after", "missing"), [
    (5, 6, 0),  # consecutive
    (5, 9, 3),
    (SEQ_MODULUS - 1, 0, 0),  # the 14-bit count wraps
    (SEQ_MODULUS - 3, 2, 4),  # wraps across a gap
    (10, 5, 0),  # an older packet (a replay), not a loss
    (7, 7, 0),  # a repeat
])
def test_missing_between(before, after, missing):
    assert missing_between(before, after) == missing


def test_sequence_counts_are_fourteen_bits():
    assert SEQ_MODULUS == 16384  # CCSDS 133.0-B-2, packet sequence count
