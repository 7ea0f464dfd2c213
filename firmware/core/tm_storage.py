# ST[15] on-board storage, so telemetry survives a link loss (and a reboot) and can be replayed
# by time range.  A ring of SEGMENTS files (NAME.0 .. NAME.<SEGMENTS-1>), each written only by
# appending fixed-size slots: when the newest segment is full, the oldest is emptied and becomes
# the newest.  Appending is what a flash file system does cheaply; writing into the middle of one
# big ring file made LittleFS copy the file's tail on every packet (155 ms a packet in the VM, and
# the Pico's flash worn out within a mission).  Slot: u16 length, u32 store sequence number, then
# the packet; packets longer than a slot are not stored (counted).  At boot the newest segment is
# the one whose first slot has the highest sequence number, and its end is the file's size.
import os
import struct

SLOT = 160
SLOT_HEADER = 6
SEGMENTS = 16


class TmStorage:
    def __init__(self, path, slots, time_of):
        self.path = path
        self.seg_slots = max(1, slots // SEGMENTS)
        self.slots = self.seg_slots * SEGMENTS
        self.time_of = time_of
        self.buf = bytearray(SLOT)
        self.too_long = 0
        self.stored = 0
        self.seg = 0  # the segment being appended to
        self.fill = 0  # slots in it
        self.seq = 0  # next store sequence number
        self._find_head()
        self.f = open(self._name(self.seg), "r+b" if self.fill else "w+b")
        self.replay_from = self.replay_to = 0
        self.replay_seg = self.replay_left = 0
        self.replay_slot = 0
        self.replay_end_seq = 0
        self.replay_sent = 0  # packets sent by the current (or last) replay

    def _name(self, seg):
        return "%s.%d" % (self.path, seg)

    def _read_slot(self, f, slot, buf):
        """(length, store seq) of a whole slot read into buf, or None (past the end, torn)."""
        f.seek(slot * SLOT)
        n = f.readinto(buf)
        if n < SLOT_HEADER:
            return None
        length, seq = struct.unpack_from(">HI", buf, 0)
        if not length or SLOT_HEADER + length > n:
            return None
        return length, seq

    def _open(self, seg):
        try:
            return open(self._name(seg), "rb")
        except OSError:
            return None

    def _find_head(self):
        best = -1
        for seg in range(SEGMENTS):
            f = self._open(seg)
            if f is None:
                continue
            got = self._read_slot(f, 0, self.buf)
            f.close()
            if got is not None and got[1] >= best:
                best, self.seg = got[1], seg
        if best < 0:
            return
        f = self._open(self.seg)
        fill = 0
        while fill < self.seg_slots:  # whole slots from the start; a torn last one is written over
            got = self._read_slot(f, fill, self.buf)
            if got is None or got[1] != best + fill:
                break
            fill += 1
        f.close()
        self.fill, self.seq = fill, best + fill

    def put(self, packet, n):
        if n > SLOT - SLOT_HEADER:
            self.too_long += 1
            return
        if self.fill >= self.seg_slots:  # the oldest segment is emptied and becomes the newest
            self.f.close()
            self.seg = (self.seg + 1) % SEGMENTS
            self.fill = 0
            self.f = open(self._name(self.seg), "w+b")
        buf = self.buf
        struct.pack_into(">HI", buf, 0, n, self.seq)
        buf[SLOT_HEADER:SLOT_HEADER + n] = memoryview(packet)[:n]
        self.f.seek(self.fill * SLOT)
        self.f.write(memoryview(buf)[:SLOT_HEADER + n])
        self.f.flush()
        self.fill += 1
        self.seq += 1
        self.stored += 1

    def newest(self, apids):
        """(board time s, {apid: sequence count}) of the newest stored packets, walking back
        from the head until `apids` APIDs are seen (or the ring ends); (-1, {}) when the store is
        empty.  At boot this continues board time and the sequence counts where the last run
        stopped, so no two packets share a time range or a count across a reboot."""
        newest_s = -1
        seqs = {}
        seg, slot, seq = self.seg, self.fill, self.seq
        f = None
        for _ in range(self.slots):
            if slot == 0:
                if f is not None:
                    f.close()
                    f = None
                seg, slot = (seg - 1) % SEGMENTS, self.seg_slots
                if seg == self.seg:
                    break
            slot -= 1
            seq -= 1
            if f is None:
                f = self._open(seg)
                if f is None:
                    break
            got = self._read_slot(f, slot, self.buf)
            if got is None or got[1] != seq:
                break
            packet = memoryview(self.buf)[SLOT_HEADER:]
            if newest_s < 0:
                newest_s = self.time_of(packet)
            apid = ((packet[0] << 8) | packet[1]) & 0x7FF
            if apid not in seqs:
                seqs[apid] = ((packet[2] << 8) | packet[3]) & 0x3FFF
                if len(seqs) >= apids:
                    break
        if f is not None:
            f.close()
        return newest_s, seqs

    def start_replay(self, from_s, to_s):
        """Begin downlinking stored packets with board time in [from_s, to_s], oldest first."""
        self.replay_from, self.replay_to = from_s, to_s
        self.replay_seg = (self.seg + 1) % SEGMENTS  # the oldest segment
        self.replay_slot = 0
        self.replay_left = SEGMENTS
        self.replay_end_seq = self.seq  # what is stored from now on is live, not replayed
        self.replay_sent = 0

    def replay_step(self, count, send):
        """Send up to `count` matching packets with send(buffer, length); False when done."""
        f = self._open(self.replay_seg) if self.replay_left > 0 else None
        buf = self.buf
        try:
            while self.replay_left > 0 and count > 0:
                got = None if f is None else self._read_slot(f, self.replay_slot, buf)
                if got is None or self.replay_slot >= self.seg_slots or got[1] >= self.replay_end_seq:
                    if f is not None:
                        f.close()
                    self.replay_left -= 1
                    self.replay_seg = (self.replay_seg + 1) % SEGMENTS
                    self.replay_slot = 0
                    f = self._open(self.replay_seg) if self.replay_left > 0 else None
                    continue
                self.replay_slot += 1
                packet = memoryview(buf)[SLOT_HEADER:SLOT_HEADER + got[0]]
                if self.replay_from <= self.time_of(packet) <= self.replay_to:
                    send(packet, got[0])
                    self.replay_sent += 1
                    count -= 1
        finally:
            if f is not None:
                f.close()
        return self.replay_left > 0


def remove_legacy(path):
    """The single ring file of earlier firmware, if a board still holds it (its flash is freed)."""
    try:
        os.remove(path)
    except OSError:
        pass
