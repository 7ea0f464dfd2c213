# The radiation monitor: GM-tube counts -> dead-time-corrected absorbed dose rate -> dose and
# dose equivalent, rolling means and totals, storm alarms, sensor health.  The formulas are the
# host's (host/zarya/dose/mirror.py): trapezoid integration of the dose rate, ICRP 60 Q(L) over the LET
# bins, so the board's total equals the host's re-integration of the downlinked samples.
#
# Two tasks.  Every COUNT_PERIOD_MS the counter is read (32 bits, wraps and resets detected) and
# its counts are dead-time corrected over that short interval, so a rate that changes within a
# long sample period is still corrected at its own level; the LET spectrum is accumulated too.
# Every rad_sample_s the corrected counts become the sample's dose rate.  The tube is saturated
# when the measured rate m gives m * tau >= SATURATION_BUSY: the rate is then a lower bound
# (corrected at the saturation limit), flagged, and its dose kept apart from the total; the
# alarms and the rolling means still see it (a lower bound far above the shelter level calls for
# the shelter), so the first good sample after it is not taken for an impossible jump.
# The mean quality factor is the dose-weighted mean Q(L) of the LET spectrum (ICRP 60), taken
# over the particles of Q_DOSE_GY of absorbed dose: about an hour of deep-space background, a
# second in a large storm.  A ratio over so many particles, not over one sample's few, which
# would weight the rare high-LET particles by count instead of by dose; and over dose, not time,
# so that a storm's low-LET protons set Q within seconds of its onset.
import array
import struct

import dictionary
from apps.dosimetry import NONPARALYZABLE, quality_factor, trapezoid_gy, true_rate
from core import failures

NOMINAL, ELEVATED, SPE_WATCH, STORM_SHELTER = 0, 1, 2, 3
OK, FAULT = 0, 1
STUCK, SATURATED, JUMP, GROUND_RESET = 1, 2, 3, 4
UGY_H = 1e-6 / 3600.0  # Gy/s per uGy/h
COUNTER_MASK = 0xFFFFFFFF  # the pulse counter is 32 bits
COUNTER_HALF = 0x80000000  # a step back of more than this is a counter reset, not a wrap
COUNT_PERIOD_MS = 1000  # dead-time correction interval
SATURATION_BUSY = 0.8  # m * tau at which the tube counts as saturated (non-paralyzable model)
Q_DOSE_GY = 20e-6  # absorbed dose whose LET spectrum gives each mean quality factor
JUMP_FACTOR = 1e4  # a sample this many times the 1-h mean (and above the shelter level) ...
JUMP_WITHIN_S = 60  # ... within a minute is not physical (over an hour, a large SPE can rise that much)


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
        self.true_counts = 0.0  # dead-time-corrected counts since the last sample
        self.raw_counts = 0  # counted pulses since the last sample
        self.counted_s = 0.0  # time they were counted over (s)
        self.saturated = False  # the tube saturated at some point since the last sample
        self.let_dose = 0.0  # LET spectrum since the last quality update: sum of n * L
        self.let_dose_eq = 0.0  # ... and of n * L * Q(L)
        self.q_dose_gy = 0.0  # absorbed dose counted meanwhile
        self.rate_gy_s = 0.0
        self.have_rate = False
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
        self.since_persist = 0.0
        saved = app.store.load("radmon", {"total": 0.0, "total_eq": 0.0, "flagged": 0.0, "level": NOMINAL,
                                          "background": self.params.get("rad_background_uGy_h"), "q": 1.0})
        self.total_gy = saved["total"]
        self.total_eq_sv = saved["total_eq"]
        self.flagged_gy = saved["flagged"]
        self.level = saved["level"]  # STORM_SHELTER survives a reboot: only ground clears it
        self.background = saved["background"]
        self.quality = saved.get("q", 1.0)  # the last interval's mean Q, until a new interval completes
        self.sample_buf = bytearray(32)
        d = app.dispatcher
        d.register("RAD_ALL_CLEAR", self.all_clear)
        d.register("RAD_CLEAR_DOSE", self.clear_dose)
        d.register("RAD_SENSOR_RESET", self.sensor_reset)
        app.hk_providers[2] = self.housekeeping

    def start(self):
        self.app.add_task("radmon-count", COUNT_PERIOD_MS, self.count)
        self.task = self.app.add_task("radmon", 1000 * self.params.get("rad_sample_s"), self.sample)
        if self.level == STORM_SHELTER:
            self.on_alarm(self.level)

    # -- counting (every COUNT_PERIOD_MS) and the rad_sample_s sample -------------------------
    def count(self):
        """Read the counter and the LET spectrum; accumulate dead-time-corrected counts."""
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
        delta = (counter - self.last_counter) & COUNTER_MASK
        if delta >= COUNTER_HALF:  # stepped back by more than a wrap can: the counter restarted from 0
            delta = counter
        self.last_counter, self.last_ticks = counter, now
        tau = self.params.get("rad_dead_time_s")
        m_cps = delta / dt_s
        if m_cps * tau >= SATURATION_BUSY:
            self.saturated = True
            m_cps = SATURATION_BUSY / tau  # what the tube can tell: at least the rate at its limit
        true_counts = true_rate(m_cps, tau, NONPARALYZABLE) * dt_s
        self.true_counts += true_counts
        self.raw_counts += delta
        self.counted_s += dt_s
        self.q_dose_gy += true_counts * self.params.get("rad_gy_per_count")
        self._update_quality(board.let_histogram())

    def sample(self):
        self.task.period_ms = 1000 * self.params.get("rad_sample_s")
        dt_s = self.counted_s
        if dt_s <= 0:
            return
        delta = self.raw_counts
        self.counts = delta
        rate = self.true_counts / dt_s * self.params.get("rad_gy_per_count")
        saturated = self.saturated
        self.true_counts, self.raw_counts, self.counted_s, self.saturated = 0.0, 0, 0.0, False
        prev_rate = self.rate_gy_s
        if saturated:
            self._set_sensor(FAULT, SATURATED)  # the rate is a lower bound, its dose flagged
        else:
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
        else:
            self.flagged_gy += dose
        if self.sensor == OK or saturated:  # a saturated tube's lower bound still drives the alarms
            self._buckets(dose, dt_s)
            self._alarms(dt_s)
        self._downlink_sample()
        self.since_persist += dt_s
        if self.since_persist >= self.params.get("rad_persist_s"):
            self.persist()

    def _update_quality(self, let):
        """Add the LET counts since the last read; once Q_DOSE_GY has been absorbed, their
        dose-weighted mean Q becomes the quality factor."""
        if not let or len(let) != len(self.let_mid) or self.last_let is None or len(self.last_let) != len(let):
            self.last_let = list(let) if let else None
            return
        for i in range(len(let)):
            d = ((let[i] - self.last_let[i]) & COUNTER_MASK) * self.let_mid[i]
            self.let_dose += d
            self.let_dose_eq += d * self.let_q[i]
            self.last_let[i] = let[i]
        if self.q_dose_gy >= Q_DOSE_GY and self.let_dose > 0:
            self.quality = self.let_dose_eq / self.let_dose
            self.let_dose = self.let_dose_eq = self.q_dose_gy = 0.0

    def _check_health(self, delta, dt_s, rate):
        expected = self.background * UGY_H / self.params.get("rad_gy_per_count") * dt_s
        self.zero_s = self.zero_s + dt_s if delta == 0 and expected > 0 else 0
        if self.zero_s >= self.params.get("rad_stuck_s") and expected * self.zero_s / dt_s >= 20:
            self._set_sensor(FAULT, STUCK)
        elif dt_s <= JUMP_WITHIN_S and rate > self.params.get("rad_shelter_uGy_h") * UGY_H and \
                rate > JUMP_FACTOR * max(self.mean_1h(), self.background * UGY_H):
            self._set_sensor(FAULT, JUMP)
        elif self.sensor == FAULT and self.fault_reason in (STUCK, SATURATED) and delta > 0:
            self._set_sensor(OK, self.fault_reason)

    def _set_sensor(self, state, reason):
        """A change of state is an event; so is a new fault reason (saturation is always told)."""
        if state != self.sensor or (state == FAULT and reason != self.fault_reason):
            self.sensor = state
            self.fault_reason = reason if state == FAULT else 0
            self.app.tm.event("RAD_SENSOR", state, reason)

    def _buckets(self, dose, dt_s):
        """Spread a sample's dose evenly over the minutes it spans (a 300 s sample fills five
        minutes, so the last minute's mean is its rate, not zero)."""
        left = dt_s
        while left > 0:
            part = min(left, 60 - self.sec_in_minute)
            self.minute_acc += dose * part / dt_s
            self.sec_in_minute += part
            left -= part
            if self.sec_in_minute < 60:
                break
            self.sec_in_minute = 0
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
        self.since_persist = 0.0
        self.app.store.save("radmon", {"total": self.total_gy, "total_eq": self.total_eq_sv, "flagged": self.flagged_gy,
                                       "level": self.level, "background": self.background, "q": self.quality})

    # -- telemetry ---------------------------------------------------------------------------
    def _downlink_sample(self):
        if not self.app.hk_enabled[3]:  # HK_DISABLE sid 3 stops the per-sample reports
            return
        clock = self.app.clock
        self.app.tm.housekeeping(3, (clock.time_s, clock.ms, self.rate_gy_s, self.quality, self.counts,
                                     self.sensor, self.total_gy))

    def housekeeping(self):
        total_24h = self.mean_24h() * 86400
        total_30d = sum(self.hour)
        return (self.rate_gy_s / UGY_H, self.mean_1min() / UGY_H, self.mean_1h() / UGY_H, self.mean_24h() / UGY_H,
                self.total_gy, self.total_eq_sv, total_24h, total_30d, self.background, self.quality, self.level,
                self.sensor, self.counts, self.flagged_gy)
