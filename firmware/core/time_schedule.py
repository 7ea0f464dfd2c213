# ST[11] time-based schedule: telecommands released at a board time.  An embedded TC is
# checked when it is inserted (a whole TC with a good CRC; its own MAC and anti-replay number,
# consumed then) and runs without a second authentication when released (ARM still applies); the schedule is persisted, so it survives a reboot.
from core import failures, packets

CAPACITY = 32


class TimeSchedule:
    def __init__(self, store, dispatcher, clock, on_release):
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock
        self.on_release = on_release
        saved = store.load("sched", [])
        self.entries = [(int(e[0]), bytes.fromhex(e[1])) for e in saved]

    def _save(self):
        self.store.save("sched", [[t, tc.hex()] for t, tc in self.entries])

    def insert(self, args):
        release_s, tc = args
        if len(self.entries) >= CAPACITY:
            return failures.SCHEDULE_FULL
        buf = bytearray(tc)
        if len(buf) < 16 or packets.parse_tc(buf, len(buf))[0] != packets.TC_OK:
            return failures.BAD_LENGTH  # too short, a bad CRC or a malformed header: refused now, not at release
        failure = self.dispatcher.authenticate(buf, len(buf))
        if failure:
            return failure
        i = len(self.entries)
        while i and self.entries[i - 1][0] > release_s:  # after those due at the same time: first in, first out
            i -= 1
        self.entries.insert(i, (release_s, bytes(buf)))
        self._save()
        return 0

    def reset(self, args):
        self.entries = []
        self._save()
        return 0

    def tick(self):
        """Release every TC that is due, earliest first (those due at once in insertion order)."""
        while self.entries and self.entries[0][0] <= self.clock.time_s:
            release_s, tc = self.entries.pop(0)
            self._save()
            buf = bytearray(tc)
            self.on_release(buf[7], buf[8])
            self.dispatcher.handle(buf, len(buf), preauthenticated=True)
