"""Interoperability: packets the firmware builds in the MicroPython VM decode with the
independent spacepackets library to the same fields, and telecommands built with spacepackets
(plus the authentication fields) are accepted by the firmware."""

import binascii
import hashlib
import hmac
import json
import struct

from spacepackets.ecss import PusTc, PusTm

from tests.mpvm import ROOT, run_mp

CORE_APID = 0x100
DEV_KEY = hashlib.sha256(b"zarya development key - not for flight").digest()


def authenticated_tc(service: int, subtype: int, args: bytes, auth_seq: int, seq_count: int) -> bytes:
    """A TC built by spacepackets, with the security header and truncated HMAC added."""
    sec = struct.pack(">BI", 0, auth_seq)
    draft = PusTc(service=service, message_subtype=subtype, apid=CORE_APID, seq_count=seq_count,
                  app_data=sec + args + bytes(8)).pack()
    mac = hmac.new(DEV_KEY, draft[:-10], hashlib.sha256).digest()[:8]
    return PusTc(service=service, message_subtype=subtype, apid=CORE_APID, seq_count=seq_count, app_data=sec + args + mac).pack()


def run_board(tcs: list[bytes]) -> list[bytes]:
    code = (
        "import mp_helpers, json\n"
        "from core.app import App\n"
        "board = mp_helpers.MemBoard()\n"
        "app = App(board)\n"
        "app.start()\n"
        f"for hexed in {[t.hex() for t in tcs]!r}:\n"
        "    board.rx.extend(mp_helpers.frame(bytes.fromhex(hexed)))\n"
        "    app.step()\n"
        "print(json.dumps([p.hex() for p in board.frames()]))\n"
    )
    out = run_mp(f"sys.path.insert(0, {str(ROOT / 'tests' / 'firmware')!r})\n" + code, cwd_tmp=True)
    return [bytes.fromhex(h) for h in json.loads(out.strip().splitlines()[-1])]


def test_firmware_telemetry_decodes_with_spacepackets():
    tc = authenticated_tc(17, 1, b"", auth_seq=1, seq_count=77)
    packets = run_board([tc])
    decoded = [PusTm.unpack(p, timestamp_len=6) for p in packets]  # raises on a bad CRC or length
    kinds = [(t.service, t.message_subtype) for t in decoded]
    assert kinds[0] == (5, 1)  # BOOT event
    assert [k for k in kinds if k[0] in (1, 17)] == [(1, 1), (1, 3), (17, 2), (1, 7)]
    assert all(t.apid == CORE_APID for t in decoded)
    counts = [t.seq_count for t in decoded]
    assert counts == list(range(counts[0], counts[0] + len(counts)))
    acceptance = decoded[kinds.index((1, 1))]
    assert acceptance.source_data[:4] == tc[:4]  # the request ID names the TC (APID, count 77)


def test_spacepackets_telecommand_with_bad_mac_is_rejected_by_the_firmware():
    tc = bytearray(authenticated_tc(17, 1, b"", auth_seq=1, seq_count=1))
    tc[-4] ^= 0x01  # inside the MAC
    tc[-2:] = struct.pack(">H", binascii.crc_hqx(bytes(tc[:-2]), 0xFFFF))
    decoded = [PusTm.unpack(p, timestamp_len=6) for p in run_board([bytes(tc)])]
    failure = next(t for t in decoded if (t.service, t.message_subtype) == (1, 2))
    assert struct.unpack(">H", failure.source_data[4:6])[0] == 6  # bad MAC
    assert not any(t.service == 17 for t in decoded)
