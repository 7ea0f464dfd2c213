# The radiation monitor: GM-tube counts -> dead-time-corrected absorbed dose rate -> dose and
# dose equivalent, rolling means and totals, storm alarms, sensor health.  The formulas are the
# host's (host/zarya/dose/mirror.py): trapezoid integration of the dose rate, ICRP 60 Q(L) over the LET
# bins, so the board's total equals the host's re-integration of the downlinked samples.
import array
import struct

import dictionary
from apps.dosimetry import NONPARALYZABLE, quality_factor, trapezoid_gy, true_rate
from core import failures

NOMINAL, ELEVATED, SPE_WATCH, STORM_SHELTER = 0, 1, 2, 3
OK, FAULT = 0, 1
STUCK, SATURATED, JUMP, GROUND_RESET = 1, 2, 3, 4
UGY_H = 1e-6 / 3600.0  # Gy/s per uGy/h
JUMP_FACTOR = 1e4  # a sample this many times the 1-h mean (and above the shelter level) is not physical


def zeros(n):
    """A float32 array of n zeros, built without a temporary list (heap is scarce)."""
    a = array.array("f")
    for _ in range(n):
        a.append(0.0)
    return a


class RadiationMonitor:
    def __init__(self, app, on_alarm):
        self.app = app
        self.on_alarm = on_alarm  # called with the new level (the power manager's shelter mode)
        self.board = app.board
        self.params = app.params
        edges = dictionary.LET_EDGES_KEV_UM
        self.let_mid = [(edges[i] * edges[i + 1]) ** 0.5 for i in range(len(edges) - 1)]
        self.let_q = [quality_factor(x) for x in self.let_mid]
        self.last_let = None
        self.last_counter = None
        self.last_ticks = 0
        self.rate_gy_s = 0.0
        self.have_rate = False
        self.quality = 1.0
        self.counts = 0
        self.sensor = OK
        self.fault_reason = 0
        self.zero_s = 0
        self.minute = zeros(60)  # dose per minute over the last hour (Gy)
        self.hour = zeros(720)  # dose per hour over the last 30 days (Gy)
        self.minute_i = 0
        self.hour_i = 0
        self.sec_in_minute = 0
        self.min_in_hour = 0
        self.minute_acc = 0.0
        self.last_minute_gy = 0.0
        self.level = NOMINAL
        self.pending_level = NOMINAL
        self.pending_s = 0
        self.since_persist = 0
        saved = app.store.load("radmon", {"total": 0.0, "total_eq": 0.0, "flagged": 0.0, "level": NOMINAL,
                                          "background": self.params.get("rad_background_uGy_h")})
        self.total_gy = saved["total"]
        self.total_eq_sv = saved["total_eq"]
        self.flagged_gy = saved["flagged"]
        self.level = saved["level"]  # STORM_SHELTER survives a reboot: only ground clears it
        self.background = saved["background"]
        self.sample_buf = bytearray(32)
        d = app.dispatcher
        d.register("RAD_ALL_CLEAR", self.all_clear)
        d.register("RAD_CLEAR_DOSE", self.clear_dose)
        d.register("RAD_SENSOR_RESET", self.sensor_reset)
        app.hk_providers[2] = self.housekeeping

    def start(self):
        self.task = self.app.add_task("radmon", 1000 * self.params.get("rad_sample_s"), self.sample)
        if self.level == STORM_SHELTER:
            self.on_alarm(self.level)

    # -- the 1 Hz (rad_sample_s) sample ------------------------------------------------------
    def sample(self):
        self.task.period_ms = 1000 * self.params.get("rad_sample_s")
        board = self.board
        now = self.app.clock.last_ticks
        counter = board.counter()
        if self.last_counter is None:
            self.last_counter, self.last_ticks = counter, now
            self.last_let = list(board.let_histogram()) or None
            return
        dt_s = board.ticks_diff(now, self.last_ticks) / 1000
        if dt_s <= 0:
            return
        delta = (counter - self.last_counter) & 0xFFFF  # the hardware counter wraps at 16 bits
        self.last_counter, self.last_ticks = counter, now
        self.counts = delta
        self._update_quality(board.let_histogram())
        n_cps = true_rate(delta / dt_s, self.params.get("rad_dead_time_s"), NONPARALYZABLE)
        prev_rate = self.rate_gy_s
        if n_cps is None:
            self._set_sensor(FAULT, SATURATED)
            rate = prev_rate
        else:
            rate = n_cps * self.params.get("rad_gy_per_count")
            self._check_health(delta, dt_s, rate)
        # downlinked as f32: integrate exactly what the host will re-integrate
        struct.pack_into(">f", self.sample_buf, 0, rate)
        rate = struct.unpack_from(">f", self.sample_buf, 0)[0]
        self.rate_gy_s = rate
        first = not self.have_rate  # like the host's integrator: the first sample adds no dose
        self.have_rate = True
        dose = 0.0 if first else trapezoid_gy(prev_rate, rate, dt_s)
        if self.sensor == OK:
            self.total_gy += dose
            self.total_eq_sv += dose * self.quality
            self._buckets(dose, dt_s)
            self._alarms(dt_s)
        else:
            self.flagged_gy += dose
        self._downlink_sample()
        self.since_persist += dt_s
        if self.since_persist >= self.params.get("rad_persist_s"):
            self.persist()

    def _update_quality(self, let):
        if not let or len(let) != len(self.let_mid) or self.last_let is None or len(self.last_let) != len(let):
            self.last_let = list(let) if let else None
            return
        dose = 0.0
        dose_eq = 0.0
        for i in range(len(let)):
            n = (let[i] - self.last_let[i]) & 0xFFFFFFFF
            d = n * self.let_mid[i]
            dose += d
            dose_eq += d * self.let_q[i]
            self.last_let[i] = let[i]
        if dose > 0:
            self.quality = dose_eq / dose

    def _check_health(self, delta, dt_s, rate):
        expected = self.background * UGY_H / self.params.get("rad_gy_per_count") * dt_s
        self.zero_s = self.zero_s + dt_s if delta == 0 and expected > 0 else 0
        if self.zero_s >= self.params.get("rad_stuck_s") and expected * self.zero_s / dt_s >= 20:
            self._set_sensor(FAULT, STUCK)
        elif rate > self.params.get("rad_shelter_uGy_h") * UGY_H and \
                rate > JUMP_FACTOR * max(self.mean_1h(), self.background * UGY_H):
            self._set_sensor(FAULT, JUMP)
        elif self.sensor == FAULT and self.fault_reason in (STUCK, SATURATED) and delta > 0:
            self._set_sensor(OK, self.fault_reason)

    def _set_sensor(self, state, reason):
        if state != self.sensor:
            self.sensor = state
            self.fault_reason = reason if state == FAULT else 0
            self.app.tm.event("RAD_SENSOR", state, reason)

    def _buckets(self, dose, dt_s):
        self.minute_acc += dose
        self.sec_in_minute += dt_s
        while self.sec_in_minute >= 60:
            self.sec_in_minute -= 60
            self.minute[self.minute_i] = self.minute_acc
            self.last_minute_gy = self.minute_acc
            self.minute_i = (self.minute_i + 1) % 60
            self.minute_acc = 0.0
            self.min_in_hour += 1
            if self.min_in_hour >= 60:
                self.min_in_hour = 0
                self.hour_i = (self.hour_i + 1) % 720
                self.hour[self.hour_i] = 0.0
            self.hour[self.hour_i] += self.last_minute_gy

    # -- alarms ------------------------------------------------------------------------------
    def mean_1min(self):
        """Gy/s over the last minute (the partial minute and the last complete one)."""
        span = 60 + self.sec_in_minute
        return (self.last_minute_gy + self.minute_acc) / span

    def mean_1h(self):
        return sum(self.minute) / 3600

    def mean_24h(self):
        total = 0.0
        for k in range(24):
            total += self.hour[(self.hour_i - k) % 720]
        return total / 86400

    def level_for(self, rate_uGy_h):
        p = self.params
        if rate_uGy_h >= p.get("rad_shelter_uGy_h"):
            return STORM_SHELTER
        if rate_uGy_h >= p.get("rad_watch_x") * self.background:
            return SPE_WATCH
        if rate_uGy_h >= p.get("rad_elevated_x") * self.background:
            return ELEVATED
        return NOMINAL

    def _threshold(self, level):
        p = self.params
        if level == STORM_SHELTER:
            return p.get("rad_shelter_uGy_h")
        if level == SPE_WATCH:
            return p.get("rad_watch_x") * self.background
        return p.get("rad_elevated_x") * self.background

    def _alarms(self, dt_s):
        rate = self.mean_1min() / UGY_H
        target = self.level_for(rate)
        if target < self.level:
            if self.level == STORM_SHELTER:
                target = STORM_SHELTER  # never left automatically
            elif rate >= self._threshold(self.level) * self.params.get("rad_hysteresis"):
                target = self.level  # hysteresis: stay until well below the threshold
            else:
                target = self.level - 1
        if target == self.level:
            self.pending_s = 0
            if self.level == NOMINAL:  # learn the background slowly (1-day time constant) in quiet times
                self.background += (rate - self.background) * min(1.0, dt_s / 86400)
            return
        if target != self.pending_level:
            self.pending_level, self.pending_s = target, 0
        self.pending_s += dt_s
        if self.pending_s >= self.params.get("rad_dwell_s") or target == STORM_SHELTER:
            self._set_level(target, rate)

    def _set_level(self, level, rate):
        old = self.level
        self.level = level
        self.pending_s = 0
        step = 1 if level > old else -1
        for passed in range(old, level, step):  # a jump is reported level by level, in order
            self.app.tm.event("RAD_ALARM", passed, passed + step, rate)
        self.persist()
        self.on_alarm(level)

    # -- commands ----------------------------------------------------------------------------
    def all_clear(self, args):
        """Leave the shelter: to the level the rate now calls for, from which the usual
        hysteresis and dwell take it down (refused while the rate still calls for the shelter)."""
        rate = self.mean_1min() / UGY_H
        level = self.level_for(rate)
        if level == STORM_SHELTER:
            return failures.WRONG_MODE
        if self.level == STORM_SHELTER:
            self._set_level(level, rate)
        return 0

    def clear_dose(self, args):
        old = self.total_gy
        self.total_gy = self.total_eq_sv = self.flagged_gy = 0.0
        for i in range(720):
            self.hour[i] = 0.0
        self.app.tm.event("RAD_DOSE_CLEARED", old)
        self.persist()
        return 0

    def sensor_reset(self, args):
        self.zero_s = 0
        self._set_sensor(OK, GROUND_RESET)
        return 0

    def persist(self):
        self.since_persist = 0
        self.app.store.save("radmon", {"total": self.total_gy, "total_eq": self.total_eq_sv, "flagged": self.flagged_gy,
                                       "level": self.level, "background": self.background})

    # -- telemetry ---------------------------------------------------------------------------
    def _downlink_sample(self):
        clock = self.app.clock
        self.app.tm.housekeeping(3, (clock.time_s, clock.ms, self.rate_gy_s, self.quality, self.counts & 0xFFFF,
                                     self.sensor, self.total_gy))

    def housekeeping(self):
        total_24h = self.mean_24h() * 86400
        total_30d = sum(self.hour)
        return (self.rate_gy_s / UGY_H, self.mean_1min() / UGY_H, self.mean_1h() / UGY_H, self.mean_24h() / UGY_H,
                self.total_gy, self.total_eq_sv, total_24h, total_30d, self.background, self.quality, self.level,
                self.sensor, self.counts, self.flagged_gy)
