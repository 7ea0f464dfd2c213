# The power manager: measurements, state of charge, battery modes with hysteresis and dwell,
# the load-shed ladder, safe mode with reasons, per-channel latch-up protection, source
# management, the storm-shelter power mode and the ground watchdog.  Channels and their
# priority classes are in dictionary.CHANNELS (P0 critical .. P4 comfort).
import dictionary
from core import failures

CRITICAL, SAFE, NORMAL, FULL = 0, 1, 2, 3
NONE, LOW_BATTERY, GROUND_COMMAND, SYSTEM_FAULT = 0, 1, 2, 3
REPOWER_MS = 400  # wait at least this long before re-powering a tripped channel
LATCH_ALPHA = 0.7  # current filter: a 4x over-current crosses the limit in one sample
SOURCES = ("solar", "fission", "bench")
SOURCE_MIN_A = 0.05  # a source delivering less than this is not there
# cell OCV (V) against SOC for the OCV correction after rest (NMC, 14 points)
OCV_SOC = (0.0, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 0.95, 0.98, 1.0)
OCV_CELL_V = (3.20, 3.45, 3.55, 3.63, 3.68, 3.72, 3.76, 3.82, 3.88, 3.95, 4.05, 4.11, 4.16, 4.19)
CELLS_IN_SERIES = 2
REST_A = 0.05
MIN_PLAUSIBLE_V = 1.0
PACK_R_OHM = 0.038  # 2S2P of 18650s: R0 + R1 = 20 + 18 mOhm per cell at 25 C
REST_S = 1800


def soc_from_ocv(cell_v):
    if cell_v <= OCV_CELL_V[0]:
        return 0.0
    for i in range(1, len(OCV_CELL_V)):
        if cell_v <= OCV_CELL_V[i]:
            f = (cell_v - OCV_CELL_V[i - 1]) / (OCV_CELL_V[i] - OCV_CELL_V[i - 1])
            return OCV_SOC[i - 1] + f * (OCV_SOC[i] - OCV_SOC[i - 1])
    return 1.0


class PowerManager:
    def __init__(self, app):
        self.app = app
        self.board = app.board
        self.params = app.params
        self.priority = [c[1] for c in dictionary.CHANNELS]
        n = len(self.priority)
        self.want = [True] * n  # what ground or the defaults asked for
        self.on = [False] * n  # what is applied
        self.filtered_a = [0.0] * n
        self.tripped_at = [None] * n  # uptime ms when a trip switched the channel off
        self.trip_times: list = [[] for _ in range(n)]
        self.latched = [False] * n
        self.trips_total = 0
        self.mode = NORMAL
        self.safe_reason = NONE
        self.pending_mode = NORMAL
        self.pending_s = 0.0
        self.shed_level = 0
        self.shelter = False
        self.soc = None
        self.rest_s = 0.0
        self.meas = {}
        self.source_ok = [True, True, True]
        self.source_seen = [False, False, False]
        self.source_since = [0.0, 0.0, 0.0]
        self.source_hold = False
        self.last_ground_s = 0
        self.ground_wdt_fired = False
        self.t_s = 0.0
        self.last_ticks = None
        d = app.dispatcher
        d.register("LOAD_SWITCH", self.cmd_switch)
        d.register("LOAD_FORCE_OFF", self.cmd_force_off)
        d.register("SAFE_ENTER", self.cmd_safe_enter)
        d.register("SAFE_EXIT", self.cmd_safe_exit)
        d.register("SHELTER_ENTER", lambda args: self.set_shelter(True) or 0)
        d.register("LATCH_CLEAR", self.cmd_latch_clear)
        app.hk_providers[4] = self.housekeeping
        app.dispatcher.on_accepted = self.ground_contact

    def start(self):
        self.task = self.app.add_task("power", self.params.get("pwr_period_ms"), self.sample)
        self.apply()

    def ground_contact(self):
        self.last_ground_s = self.app.clock.uptime_s
        self.ground_wdt_fired = False

    # -- the sample --------------------------------------------------------------------------
    def sample(self):
        board = self.board
        now = self.app.clock.last_ticks
        dt = 0.0 if self.last_ticks is None else board.ticks_diff(now, self.last_ticks) / 1000
        self.last_ticks = now
        self.t_s += dt
        self.task.period_ms = max(20, self.params.get("pwr_period_ms") // (4 if self.shelter else 1))
        m = self.meas
        m["bus_v"] = board.sensor("bus:v")
        m["battery_v"] = board.sensor("battery:v")
        m["battery_a"] = board.sensor("battery:i")
        m["temp_c"] = board.sensor("battery:temp_c", 20.0)
        for i, name in enumerate(SOURCES):
            m[name] = board.sensor(name + ":i")
        if m["battery_v"] < MIN_PLAUSIBLE_V:  # no battery measurement yet (or the monitor failed)
            self.apply()
            return
        self._soc(dt)
        self._latchup(now)
        self._sources(dt)
        self._battery_mode(dt)
        self._shed()
        self._ground_watchdog()
        self.apply()

    def _soc(self, dt):
        capacity = self.params.get("pwr_capacity_ah")
        current = self.meas["battery_a"]
        cell_v = (self.meas["battery_v"] + current * PACK_R_OHM) / CELLS_IN_SERIES  # OCV: add back the I R drop
        if self.soc is None:
            self.soc = soc_from_ocv(cell_v)
            return
        self.soc = min(1.0, max(0.0, self.soc - current * dt / 3600 / capacity))
        self.rest_s = self.rest_s + dt if abs(current) < REST_A else 0.0
        if self.rest_s >= REST_S:  # after a long rest the terminal voltage is the OCV
            self.soc = soc_from_ocv(cell_v)
            self.rest_s = 0.0

    def _latchup(self, now):
        limit = self.params.get("pwr_latch_limit_a")
        window_ms = 1000 * self.params.get("pwr_latch_window_s")
        board = self.board
        for ch in range(len(self.on)):
            tripped = self.tripped_at[ch]
            if tripped is not None:
                if board.ticks_diff(now, tripped) >= REPOWER_MS and not self.latched[ch]:
                    self.tripped_at[ch] = None  # re-power (apply() switches it back on)
                    self.filtered_a[ch] = 0.0
                continue
            if not self.on[ch]:
                self.filtered_a[ch] = 0.0
                continue
            current = board.sensor("ch%d:i" % ch)
            f = self.filtered_a[ch] = self.filtered_a[ch] + LATCH_ALPHA * (current - self.filtered_a[ch])
            if f <= limit:
                continue
            times = [t for t in self.trip_times[ch] if board.ticks_diff(now, t) < window_ms]
            times.append(now)
            self.trip_times[ch] = times
            self.trips_total += 1
            self.tripped_at[ch] = now
            self.latched[ch] = len(times) >= self.params.get("pwr_latch_trips")
            self.board.switch(ch, False)  # off now, not at the end of the pass
            self.on[ch] = False
            self.app.tm.event("PWR_LATCHUP", ch, current, len(times), 1 if self.latched[ch] else 0)

    def _sources(self, dt):
        stable = self.params.get("pwr_source_stable_s")
        for i, name in enumerate(SOURCES):
            present = self.meas[name] >= SOURCE_MIN_A
            if present and not self.source_seen[i]:
                self.source_seen[i] = True  # a source counts once it has been seen delivering
            if not self.source_seen[i]:
                continue
            if self.source_ok[i] and not present:
                self.source_ok[i] = False
                self.source_since[i] = 0.0
                self.app.tm.event("PWR_SOURCE", i, 0)
            elif not self.source_ok[i]:
                self.source_since[i] = self.source_since[i] + dt if present else 0.0
                if self.source_since[i] >= stable:
                    self.source_ok[i] = True
                    self.app.tm.event("PWR_SOURCE", i, 1)
        # while a source that is not the sun is down, hold the comfort and payload loads off
        self.source_hold = not (self.source_ok[1] and self.source_ok[2])

    def _battery_mode(self, dt):
        p = self.params
        mv = self.meas["battery_v"] * 1000
        target = self.mode
        if mv < p.get("pwr_critical_mv"):
            target = CRITICAL
        elif mv < p.get("pwr_safe_mv"):
            target = SAFE if self.mode != CRITICAL or mv > p.get("pwr_critical_mv") + 100 else CRITICAL
        elif self.mode in (CRITICAL, SAFE):
            if self.safe_reason in (NONE, LOW_BATTERY) and mv > p.get("pwr_normal_mv"):
                target = NORMAL  # only LOW_BATTERY recovers by itself
        elif mv > p.get("pwr_full_mv"):
            target = FULL
        elif self.mode == FULL and mv < p.get("pwr_full_mv") - 200:
            target = NORMAL
        if target == self.mode:
            self.pending_s = 0.0
            return
        if target != self.pending_mode:
            self.pending_mode, self.pending_s = target, 0.0
        self.pending_s += dt
        if self.pending_s >= p.get("pwr_dwell_s"):
            reason = LOW_BATTERY if target in (CRITICAL, SAFE) else NONE
            self.set_mode(target, reason)

    def set_mode(self, mode, reason):
        old = self.mode
        self.mode = mode
        self.safe_reason = reason if mode in (CRITICAL, SAFE) else NONE
        self.pending_s = 0.0
        self.app.tm.event("PWR_MODE", old, mode, reason)

    def _shed(self):
        if self.soc is None:
            return
        soc_pct = self.soc * 100
        top = self.params.get("pwr_shed_soc_pct")
        level = self.shed_level
        # level k sheds P4..P(5-k); move one step per pass, each once per crossing
        if level < 4 and soc_pct < top - 15 * level:
            level += 1
        elif level > 0 and soc_pct > top - 15 * (level - 1) + 5:
            level -= 1
        if level != self.shed_level:
            self.shed_level = level
            self.app.tm.event("PWR_SHED", level, soc_pct)

    def _ground_watchdog(self):
        if self.ground_wdt_fired:
            return
        if self.app.clock.uptime_s - self.last_ground_s >= self.params.get("pwr_ground_wdt_s"):
            comms = 4
            self.ground_wdt_fired = True
            self.tripped_at[comms] = self.app.clock.last_ticks  # off now, back after REPOWER_MS
            self.board.switch(comms, False)
            self.on[comms] = False
            self.app.tm.event("PWR_GROUND_WDT", comms)

    # -- outputs -----------------------------------------------------------------------------
    def allowed(self, ch):
        prio = self.priority[ch]
        if prio == 0:
            return True
        if self.latched[ch] or self.tripped_at[ch] is not None:
            return False
        if self.mode == CRITICAL:
            return False
        if self.mode == SAFE and prio >= 2:
            return prio == 2 and self.shelter  # shelter keeps thermal and comms even in SAFE
        if self.shelter:
            return prio <= 2
        if self.source_hold and prio >= 3:
            return False
        if self.shed_level and prio >= 5 - self.shed_level:
            return False
        return True

    def apply(self):
        for ch in range(len(self.on)):
            state = self.want[ch] and self.allowed(ch)
            if self.priority[ch] == 0:
                state = self.want[ch]
            if state != self.on[ch]:
                self.on[ch] = state
                self.board.switch(ch, state)

    def set_shelter(self, on):
        if on != self.shelter:
            self.shelter = on
            self.app.tm.event("PWR_SHELTER", 1 if on else 0)
            self.apply()

    def on_rad_alarm(self, level):
        """The radiation monitor's level: shelter at STORM_SHELTER (3), left only on all-clear."""
        if level == 3:
            self.set_shelter(True)
        elif level == 0 and self.shelter:
            self.set_shelter(False)

    # -- commands ----------------------------------------------------------------------------
    def cmd_switch(self, args):
        ch, on = args
        if not on and self.priority[ch] <= 1:
            return failures.WRONG_MODE  # life support and critical loads: LOAD_FORCE_OFF (hazardous)
        if on and not self.allowed(ch):
            return failures.WRONG_MODE  # e.g. payload in SAFE or in the storm shelter
        self.want[ch] = bool(on)
        self.apply()
        return 0

    def cmd_force_off(self, args):
        self.want[args[0]] = False
        self.apply()
        return 0

    def cmd_safe_enter(self, args):
        if self.mode not in (CRITICAL, SAFE):
            self.set_mode(SAFE, GROUND_COMMAND)
            self.apply()
        return 0

    def cmd_safe_exit(self, args):
        if self.mode == CRITICAL or self.meas.get("battery_v", 0) * 1000 < self.params.get("pwr_safe_mv"):
            return failures.WRONG_MODE
        if self.mode == SAFE:
            self.set_mode(NORMAL, NONE)
            self.apply()
        return 0

    def cmd_latch_clear(self, args):
        ch = args[0]
        self.latched[ch] = False
        self.tripped_at[ch] = None
        self.trip_times[ch] = []
        self.apply()
        return 0

    # -- telemetry ---------------------------------------------------------------------------
    def housekeeping(self):
        m = self.meas
        soc = self.soc if self.soc is not None else 0.0
        current = m.get("battery_a", 0.0)
        tte_h = soc * self.params.get("pwr_capacity_ah") / current if current > 0.01 else 9999.0
        switches = 0
        latched = 0
        for ch in range(len(self.on)):
            switches |= (1 << ch) if self.on[ch] else 0
            latched |= (1 << ch) if self.latched[ch] else 0
        sources = (1 if self.source_ok[0] else 0) | (2 if self.source_ok[1] else 0) | (4 if self.source_ok[2] else 0)
        return (m.get("bus_v", 0.0), m.get("battery_v", 0.0), current, m.get("temp_c", 0.0), soc * 100, tte_h,
                m.get("solar", 0.0), m.get("fission", 0.0), self.mode, self.safe_reason, self.shed_level,
                1 if self.shelter else 0, switches, latched, self.trips_total & 0xFFFF, sources)
