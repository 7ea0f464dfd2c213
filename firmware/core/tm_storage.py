# ST[15] on-board storage: a ring of fixed-size slots in one file, so telemetry survives a
# link loss (and a reboot) and can be replayed by time range.  Slot: u16 length, then the
# packet; packets longer than a slot are not stored (counted).  The ring's head is found at
# boot from the slots' store sequence numbers (u32 after the length).
import struct

SLOT = 160
SLOT_HEADER = 6
INDEX_EVERY = 64


class TmStorage:
    def __init__(self, path, slots, time_of):
        self.path = path
        self.slots = slots
        self.time_of = time_of
        self.buf = bytearray(SLOT)
        self.too_long = 0
        self.stored = 0
        self.head = 0  # next slot to write
        self.seq = 0  # next store sequence number
        try:
            self.f = open(path, "r+b")
        except OSError:
            self.f = open(path, "w+b")
        self._find_head()
        self.replay_from = self.replay_to = 0
        self.replay_slot = -1
        self.replay_left = 0
        self.replay_end_seq = 0
        self.replay_sent = 0  # packets sent by the current (or last) replay

    def _find_head(self):
        """Head and next sequence number: from the index file written every INDEX_EVERY puts,
        then forward over the few slots written since; a full scan if there is no index."""
        try:
            with open(self.path + ".idx", "rb") as f:
                head, seq = struct.unpack(">II", f.read(8))
        except (OSError, ValueError):
            return self._scan()
        f = self.f
        hdr = bytearray(SLOT_HEADER)
        for _ in range(INDEX_EVERY + 1):
            f.seek(head * SLOT)
            if f.readinto(hdr) < SLOT_HEADER:
                break
            length, slot_seq = struct.unpack(">HI", hdr)
            if not length or slot_seq != seq:
                break
            head = (head + 1) % self.slots
            seq += 1
        self.head, self.seq = head, seq

    def _scan(self):
        best_seq = -1
        f = self.f
        chunk = bytearray(SLOT * 16)
        f.seek(0)
        for base in range(0, self.slots, 16):
            n = f.readinto(chunk)
            if not n:
                break
            for k in range((n + SLOT - 1) // SLOT):  # the file's last slot may be written in part
                if k * SLOT + SLOT_HEADER > n:
                    break
                length, seq = struct.unpack_from(">HI", chunk, k * SLOT)
                if length and seq > best_seq:
                    best_seq = seq
                    self.head = (base + k + 1) % self.slots
        self.seq = best_seq + 1

    def put(self, packet, n):
        if n > SLOT - SLOT_HEADER:
            self.too_long += 1
            return
        buf = self.buf
        struct.pack_into(">HI", buf, 0, n, self.seq)
        buf[SLOT_HEADER:SLOT_HEADER + n] = memoryview(packet)[:n]
        self.f.seek(self.head * SLOT)
        self.f.write(memoryview(buf)[:SLOT_HEADER + n])
        self.f.flush()
        self.head = (self.head + 1) % self.slots
        self.seq += 1
        self.stored += 1
        if self.seq % INDEX_EVERY == 0:
            with open(self.path + ".idx", "wb") as idx:
                idx.write(struct.pack(">II", self.head, self.seq))

    def newest(self, apids):
        """(board time s, {apid: sequence count}) of the newest stored packets, walking back
        from the head until `apids` APIDs are seen (or the ring ends); (-1, {}) when the store is
        empty.  At boot this continues board time and the sequence counts where the last run
        stopped, so no two packets share a time range or a count across a reboot."""
        f = self.f
        head = memoryview(self.buf)[:SLOT_HEADER + 18]
        newest_s = -1
        seqs = {}
        slot, seq = self.head, self.seq
        for _ in range(self.slots):
            slot = (slot - 1) % self.slots
            seq -= 1
            f.seek(slot * SLOT)
            if f.readinto(head) < len(head):
                break
            length, slot_seq = struct.unpack_from(">HI", head, 0)
            if not length or slot_seq != seq:
                break
            packet = head[SLOT_HEADER:]
            if newest_s < 0:
                newest_s = self.time_of(packet)
            apid = ((packet[0] << 8) | packet[1]) & 0x7FF
            if apid not in seqs:
                seqs[apid] = ((packet[2] << 8) | packet[3]) & 0x3FFF
                if len(seqs) >= apids:
                    break
        return newest_s, seqs

    def start_replay(self, from_s, to_s):
        """Begin downlinking stored packets with board time in [from_s, to_s], oldest first."""
        self.replay_from, self.replay_to = from_s, to_s
        self.replay_slot = self.head
        self.replay_left = self.slots
        self.replay_end_seq = self.seq  # what is stored from now on is live, not replayed
        self.replay_sent = 0

    def replay_step(self, count, send):
        """Send up to `count` matching packets with send(buffer, length); False when done."""
        f = self.f
        buf = self.buf
        while self.replay_left > 0 and count > 0:
            slot = self.replay_slot
            self.replay_slot = (slot + 1) % self.slots
            self.replay_left -= 1
            f.seek(slot * SLOT)
            n = f.readinto(buf)
            if not n or n < SLOT_HEADER:
                continue
            length, seq = struct.unpack_from(">HI", buf, 0)
            if not length or SLOT_HEADER + length > n or seq >= self.replay_end_seq:
                continue
            packet = memoryview(buf)[SLOT_HEADER:SLOT_HEADER + length]
            if self.replay_from <= self.time_of(packet) <= self.replay_to:
                send(packet, length)
                self.replay_sent += 1
                count -= 1
        return self.replay_left > 0
