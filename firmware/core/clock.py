# The one clock: everything the firmware knows about time comes from board ticks.  Uptime and
# board time are kept as whole seconds plus a millisecond remainder, so they stay small ints
# (no heap allocation) and the ticks may wrap (2^30 ms on rp2) without harm.


class Clock:
    def __init__(self, board, time_s=0):
        self.board = board
        self.last_ticks = board.ticks_ms()
        self.ms = 0  # remainder below one second
        self.uptime_s = 0
        self.time_s = time_s  # board time, s since 2000-01-01 UTC

    def update(self):
        """Advance by the ticks elapsed since the last call; returns the ticks now."""
        now = self.board.ticks_ms()
        elapsed = self.board.ticks_diff(now, self.last_ticks)
        if elapsed > 0:
            self.last_ticks = now
            self.ms += elapsed
            while self.ms >= 1000:
                self.ms -= 1000
                self.uptime_s += 1
                self.time_s += 1
        return now

    def set_time(self, time_s):
        old = self.time_s
        self.time_s = time_s
        return old

    def fraction16(self):
        """The sub-second part of board time in 1/65536 s (the CUC fine field)."""
        return (self.ms << 16) // 1000
