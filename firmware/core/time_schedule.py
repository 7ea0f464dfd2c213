# ST[11] time-based schedule: telecommands released at a board time.  An embedded TC is
# authenticated when it is inserted (its own MAC and anti-replay number) and runs without a
# second check when released; the schedule is persisted, so it survives a reboot.
from core import store as store_mod

CAPACITY = 32
SCHEDULE_FULL = 12
MALFORMED = 3


class TimeSchedule:
    def __init__(self, store, dispatcher, clock, on_release, on_corrupt):
        self.store = store
        self.dispatcher = dispatcher
        self.clock = clock
        self.on_release = on_release
        saved, how = store.load("sched", [])
        if how in (store_mod.FROM_BACKUP, store_mod.DEFAULTS):
            on_corrupt(4, how)
        self.entries = [(int(e[0]), bytes.fromhex(e[1])) for e in saved]

    def _save(self):
        self.store.save("sched", [[t, tc.hex()] for t, tc in self.entries])

    def insert(self, args):
        release_s, tc = args
        if len(self.entries) >= CAPACITY:
            return SCHEDULE_FULL
        buf = bytearray(tc)
        if len(buf) < 16:
            return MALFORMED
        failure = self.dispatcher.authenticate(buf, len(buf))
        if failure:
            return failure
        self.entries.append((release_s, bytes(buf)))
        self.entries.sort(key=lambda e: e[0])
        self._save()
        return 0

    def reset(self, args):
        self.entries = []
        self._save()
        return 0

    def tick(self):
        if not self.entries or self.entries[0][0] > self.clock.time_s:
            return
        release_s, tc = self.entries.pop(0)
        self._save()
        buf = bytearray(tc)
        self.on_release(buf[7], buf[8])
        self.dispatcher.handle(buf, len(buf), preauthenticated=True)
