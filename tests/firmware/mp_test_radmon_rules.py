# The radiation monitor's rules, each at its exact edge, in the MicroPython VM.  The monitor is
# driven directly (a counter read and a sample at chosen instants, no main loop) except where the
# main loop is the point (housekeeping), and every expected value is computed here from the
# specification: the non-paralyzable dead-time model and the calibration (firmware/dictionary.py
# defaults), the f32 downlinked rate, trapezoid integration, the dwell/hysteresis/threshold rules
# of the alarm levels, the sensor-fault rules and the hour buckets of the 24-h and 30-day doses.
import struct

from mp_helpers import MemBoard, events, frame, tc, tm_data, tm_header

UGY_H = 1e-6 / 3600  # Gy/s per uGy/h
GY_PER_COUNT = 1e-8  # rad_gy_per_count default
TAU_S = 1e-4  # rad_dead_time_s default
BACKGROUND = 20.0  # rad_background_uGy_h default
ELEVATED_X, WATCH_X, SHELTER = 3.0, 10.0, 1000.0  # rad_elevated_x, rad_watch_x, rad_shelter_uGy_h
HYSTERESIS = 0.7  # rad_hysteresis
# parameter ids
RAD_SAMPLE_S, RAD_GY_PER_COUNT, RAD_BACKGROUND, RAD_DWELL_S, RAD_STUCK_S, RAD_PERSIST_S = 10, 11, 13, 17, 19, 20
# event ids, and their arguments as the dictionary documents them
RAD_ALARM, RAD_SENSOR = 20, 21
NOMINAL, ELEVATED, SPE_WATCH, STORM_SHELTER = 0, 1, 2, 3  # RAD_ALARM levels
OK, FAULT = 0, 1  # RAD_SENSOR state
STUCK, SATURATED, JUMP, GROUND_RESET = 1, 2, 3, 4  # RAD_SENSOR reason


def f32(x):
    return struct.unpack(">f", struct.pack(">f", x))[0]


def rate_of(counts, dt_s):
    """Gy/s of `counts` pulses read over dt_s: m / (1 - m tau) true counts/s, calibrated, as the
    f32 the sample downlinks."""
    m = counts / dt_s
    return f32(m / (1 - m * TAU_S) * GY_PER_COUNT)


def trapezoid(r0, r1, dt_s):
    return 0.5 * (r0 + r1) * dt_s


class Drive:
    """The monitor without the main loop: per sample, one counter read dt_s after the last one
    (its interval is the sample's), then the sample.  sid 3 is off unless `sid3`."""

    def __init__(self, sample_s, sid3=False, before=()):
        import gc

        from apps.radmon import RadiationMonitor
        from core.app import App

        gc.collect()
        self.board = MemBoard()
        self.app = App(self.board)
        for param_id, value in before:  # parameters the monitor reads when it is built
            self.app.params.set(param_id, value)
        self.on_alarm = []  # the levels handed to the power manager (not booted: the heap is the Pico's)
        self.rad = RadiationMonitor(self.app, self.on_alarm.append)
        self.rad.start()
        self.app.start()
        self.board.frames()
        self.app.params.set(RAD_SAMPLE_S, sample_s)
        self.app.hk_enabled[3] = sid3
        self.rad.count()  # the first read only takes the counter's reference
        self.alarms = []  # (old, new) of every RAD_ALARM, in order
        self.sensor = []  # (state, reason) of every RAD_SENSOR

    def sample(self, counts, dt_s):
        b = self.board
        b.ticks = b.ticks_add(b.ticks, int(dt_s * 1000))
        self.app.clock.last_ticks = b.ticks
        b.count = (b.count + counts) & 0xFFFFFFFF
        self.rad.count()
        self.rad.sample()
        self.collect()

    def collect(self):
        packets = self.board.frames()
        self.alarms += [tuple(e[2:4]) for e in events(packets, RAD_ALARM)]
        self.sensor += [tuple(e[2:4]) for e in events(packets, RAD_SENSOR)]


def counts_for(ugy_h, dt_s):
    """Whole pulses a tube counts over dt_s at a true rate of ugy_h (about)."""
    n = ugy_h * UGY_H / GY_PER_COUNT
    return int(n / (1 + n * TAU_S) * dt_s + 0.5)


def test_stuck_fault_at_exactly_rad_stuck_s_of_zero_counts_and_not_a_sample_before():
    d = Drive(1)
    d.app.params.set(RAD_STUCK_S, 60)  # its minimum; >= 20 counts expected over it (0.56 /s)
    for _ in range(3):
        d.sample(1, 1)
    for i in range(59):
        d.sample(0, 1)
        assert d.rad.sensor == OK, i + 1  # 59 s of zero counts: not yet
    d.sample(0, 1)  # the 60th second
    assert d.rad.sensor == FAULT and d.rad.fault_reason == STUCK and d.sensor == [(FAULT, STUCK)]
    d.sample(0, 1)
    assert d.sensor == [(FAULT, STUCK)]  # told once
    d.sample(1, 1)  # counts again: the fault clears itself
    assert d.rad.sensor == OK and d.sensor == [(FAULT, STUCK), (OK, STUCK)]


def test_stuck_fault_once_exactly_20_counts_were_expected_not_a_sample_before():
    # The background starts at 0.3125 uGy/h and the first (2700-s, dose-less) sample learns it
    # down by 2700 s / 1 day = 1/32: 0.302734375 uGy/h, frozen from then on by the shelter.  A
    # calibration that makes it exactly 1/4 count/s: once rad_stuck_s (60 s) has passed, silence is
    # a stuck tube when 20 counts were expected, after 80 s (19.75 after 79 s is not enough).
    bg = 0.3125 * (1 - 2700 / 86400)
    d = Drive(2700, before=((RAD_BACKGROUND, 0.3125),))
    d.app.params.set(RAD_GY_PER_COUNT, bg * UGY_H / 0.25)
    d.app.params.set(RAD_STUCK_S, 60)
    d.sample(5400000, 2700)
    d.sample(5400000, 2700)  # 2000 counts/s: some 3000 uGy/h, the shelter
    assert d.rad.level == STORM_SHELTER and d.rad.background == bg
    for i in range(79):
        d.sample(0, 1)
        assert d.rad.sensor == OK, i + 1
    d.sample(0, 1)
    assert d.rad.sensor == FAULT and d.rad.fault_reason == STUCK and d.sensor == [(FAULT, STUCK)]


def test_jump_fault_holds_until_ground_reset_and_its_dose_is_flagged():
    d = Drive(60)
    bg = counts_for(BACKGROUND, 60)
    r = [rate_of(bg, 60)]
    d.sample(bg, 60)  # the first sample adds no dose
    d.sample(bg, 60)
    r.append(rate_of(bg, 60))
    total = trapezoid(r[0], r[1], 60)
    assert abs(d.rad.total_gy - total) <= 1e-12 * total
    # 5000 counts/s for exactly a minute (JUMP_WITHIN_S): 3.6e5 uGy/h true, above the shelter
    # level and above 1e4 x the background within a minute: not physical
    d.sample(300000, 60)
    r.append(rate_of(300000, 60))
    assert r[-1] / UGY_H > 1e4 * BACKGROUND
    assert d.rad.sensor == FAULT and d.rad.fault_reason == JUMP and d.sensor == [(FAULT, JUMP)]
    for _ in range(3):  # the counts are plausible again: a jump fault stays until ground looks
        d.sample(bg, 60)
        r.append(rate_of(bg, 60))
        assert d.rad.sensor == FAULT and d.rad.fault_reason == JUMP
    assert d.sensor == [(FAULT, JUMP)] and d.rad.level == NOMINAL  # the fault drives no alarm
    flagged = sum(trapezoid(r[i - 1], r[i], 60) for i in range(2, len(r)))
    assert d.rad.total_gy == total and abs(d.rad.flagged_gy - flagged) <= 1e-12 * flagged
    assert d.rad.sensor_reset(()) == 0
    assert d.rad.sensor == OK and d.rad.fault_reason == 0
    d.collect()
    assert d.sensor == [(FAULT, JUMP), (OK, GROUND_RESET)]
    d.sample(bg, 60)
    r.append(rate_of(bg, 60))
    total += trapezoid(r[-2], r[-1], 60)
    assert abs(d.rad.total_gy - total) <= 1e-12 * total and abs(d.rad.flagged_gy - flagged) <= 1e-12 * flagged


def test_saturation_is_its_own_fault_its_lower_bound_flagged_and_the_alarm_sees_it():
    d = Drive(60)
    bg = counts_for(BACKGROUND, 60)
    r = [rate_of(bg, 60)]
    d.sample(bg, 60)
    d.sample(bg, 60)
    r.append(rate_of(bg, 60))
    total = trapezoid(r[0], r[1], 60)
    d.sample(540000, 60)  # 9000 counts/s measured: m tau = 0.9, beyond the 0.8 saturation limit
    m_sat = 0.8 / TAU_S  # the rate at the limit: a lower bound, corrected as such
    r.append(f32(m_sat / (1 - m_sat * TAU_S) * GY_PER_COUNT))
    assert abs(d.rad.rate_gy_s - r[2]) <= 1e-6 * r[2]
    assert d.rad.sensor == FAULT and d.rad.fault_reason == SATURATED and d.sensor == [(FAULT, SATURATED)]
    flagged = trapezoid(r[1], r[2], 60)
    assert d.rad.total_gy == total and abs(d.rad.flagged_gy - flagged) <= 1e-6 * flagged
    # the alarms and the means still see it: 7.2e5 uGy/h calls for the shelter at once
    assert d.rad.level == STORM_SHELTER and d.alarms == [(0, 1), (1, 2), (2, 3)] and d.on_alarm == [STORM_SHELTER]
    hk = d.rad.housekeeping()
    assert abs(hk[2] * UGY_H - (total + flagged) / 3600) <= 1e-6 * (total + flagged) / 3600
    assert hk[13] == d.rad.flagged_gy
    d.sample(bg, 60)  # counted again below the limit: trusted again
    assert d.rad.sensor == OK and d.sensor == [(FAULT, SATURATED), (OK, SATURATED)]


def test_a_jump_longer_than_a_minute_apart_is_physical():
    d = Drive(61)  # the same rise over a 61-s sample: not a jump (a large SPE rises that fast)
    bg = counts_for(BACKGROUND, 61)
    d.sample(bg, 61)
    d.sample(bg, 61)
    d.sample(305000, 61)
    assert d.rad.sensor == OK and d.rad.level == STORM_SHELTER


# With minute-aligned 60-s samples the 1-min mean of a sample is its trapezoid dose over 60 s:
# the mean of its rate and the previous one.
def test_levels_rise_and_fall_one_level_at_a_time_with_the_watch_hysteresis():
    d = Drive(60)
    bg = counts_for(BACKGROUND, 60)
    d.sample(bg, 60)
    d.sample(bg, 60)
    d.sample(bg, 60)
    assert d.rad.level == NOMINAL and d.alarms == []
    d.sample(counts_for(500, 60), 60)  # 1-min mean 260 uGy/h: over 10 x background, under 1000
    assert d.rad.level == SPE_WATCH and d.alarms == [(0, 1), (1, 2)]  # reported level by level
    d.sample(counts_for(170, 60), 60)  # 335 uGy/h
    d.sample(counts_for(170, 60), 60)  # 170: under the watch threshold (200) but above 0.7 x 200
    d.sample(counts_for(170, 60), 60)
    assert d.rad.level == SPE_WATCH and len(d.alarms) == 2  # hysteresis holds the watch
    d.sample(counts_for(100, 60), 60)  # 135 uGy/h: under 0.7 x 200, so down one level (dwell 60 s)
    assert d.rad.level == ELEVATED and d.alarms[2:] == [(2, 1)]
    d.sample(bg, 60)  # 60 uGy/h: under the elevated threshold but above 0.7 x 60
    assert d.rad.level == ELEVATED and len(d.alarms) == 3
    d.sample(bg, 60)  # 20 uGy/h
    assert d.rad.level == NOMINAL and d.alarms[3:] == [(1, 0)]
    d.sample(bg, 60)
    assert d.rad.level == NOMINAL and len(d.alarms) == 4
    assert d.on_alarm == [SPE_WATCH, ELEVATED, NOMINAL]  # the power manager told each new level


def test_watch_drops_straight_to_elevated_not_below_even_at_background():
    d = Drive(60)
    bg = counts_for(BACKGROUND, 60)
    d.sample(bg, 60)
    d.sample(bg, 60)
    d.sample(counts_for(500, 60), 60)
    d.sample(counts_for(500, 60), 60)
    assert d.rad.level == SPE_WATCH
    d.sample(0, 60)  # 250 uGy/h
    d.sample(0, 60)  # 0: NOMINAL is called for, but a level is left one at a time
    assert d.rad.level == ELEVATED and d.alarms == [(0, 1), (1, 2), (2, 1)]
    d.sample(bg, 60)
    assert d.rad.level == NOMINAL and d.alarms[3:] == [(1, 0)]


def test_an_interrupted_condition_restarts_the_dwell():
    d = Drive(60)
    d.app.params.set(RAD_DWELL_S, 61)  # more than one 60-s sample: the condition must hold two
    bg = counts_for(BACKGROUND, 60)
    d.sample(bg, 60)
    d.sample(bg, 60)
    d.sample(counts_for(110, 60), 60)  # 1-min mean 65 uGy/h: ELEVATED called for, 60 s of 61
    assert d.rad.level == NOMINAL
    d.sample(0, 60)  # 55 uGy/h: the condition is gone, its dwell with it
    d.sample(counts_for(140, 60), 60)  # 70 uGy/h: 60 s again, not 120
    assert d.rad.level == NOMINAL and d.alarms == []
    d.sample(counts_for(140, 60), 60)  # 140 uGy/h: 120 s >= 61
    assert d.rad.level == ELEVATED and d.alarms == [(0, 1)]


def storm_to_the_shelter():
    """A board of its own (freed on return, before the reboot's boots) into the shelter."""
    d = Drive(60)
    d.app.params.set(RAD_DWELL_S, 61)
    storm = counts_for(5000, 60)
    d.sample(storm, 60)
    d.sample(storm, 60)  # 5000 uGy/h: the shelter at once, no dwell
    assert d.rad.level == STORM_SHELTER and d.alarms == [(0, 1), (1, 2), (2, 3)]


def test_all_clear_after_a_reboot_leaves_a_fresh_dwell_to_the_next_level():
    storm_to_the_shelter()
    d = Drive(60)  # rebooted mid-storm: the shelter (and the parameters) persisted
    assert d.rad.level == STORM_SHELTER and d.app.params.get("rad_dwell_s") == 61
    assert d.on_alarm == [STORM_SHELTER]  # the power manager is told at boot
    d.sample(counts_for(150, 60), 60)  # no dose: the first sample of this boot
    d.sample(counts_for(150, 60), 60)  # 150 uGy/h
    d.sample(counts_for(BACKGROUND, 60), 60)  # 85 uGy/h: the level called for is ELEVATED
    assert d.rad.level == STORM_SHELTER and d.alarms == []
    assert d.rad.all_clear(()) == 0
    d.collect()
    assert d.rad.level == ELEVATED and d.alarms == [(3, 2), (2, 1)]
    d.sample(counts_for(BACKGROUND, 60), 60)  # 20 uGy/h: under 0.7 x 60, 60 s of the 61 s dwell
    assert d.rad.level == ELEVATED
    d.sample(counts_for(BACKGROUND, 60), 60)
    assert d.rad.level == NOMINAL and d.alarms[2:] == [(1, 0)]
    assert d.on_alarm == [STORM_SHELTER, ELEVATED, NOMINAL]


def rise_to_elevated():
    """A board of its own (freed on return) that entered ELEVATED after its 61-s dwell."""
    d = Drive(60)
    d.app.params.set(RAD_DWELL_S, 61)
    bg = counts_for(BACKGROUND, 60)
    d.sample(bg, 60)
    d.sample(counts_for(130, 60), 60)  # 75 uGy/h: 60 s of 61
    assert d.rad.level == NOMINAL
    d.sample(counts_for(130, 60), 60)
    assert d.rad.level == ELEVATED and d.alarms == [(0, 1)]


def test_a_level_restored_at_boot_is_left_after_the_full_dwell():
    rise_to_elevated()
    d = Drive(60)  # rebooted: ELEVATED persisted
    assert d.rad.level == ELEVATED
    d.sample(counts_for(BACKGROUND, 60), 60)  # no dose yet: NOMINAL called for, 60 s of 61
    assert d.rad.level == ELEVATED and d.alarms == []
    d.sample(counts_for(BACKGROUND, 60), 60)
    assert d.rad.level == NOMINAL and d.alarms == [(1, 0)] and d.on_alarm == [NOMINAL]


def test_a_count_read_at_an_unchanged_tick_loses_no_pulses():
    d = Drive(1)
    d.sample(3, 1)
    d.board.count += 5
    d.rad.count()  # no time has passed: nothing to correct over yet
    d.sample(4, 1)
    assert d.rad.counts == 9 and d.rad.sensor == OK
    n = 9 / (1 - 9 * TAU_S)
    assert abs(d.rad.rate_gy_s - n * GY_PER_COUNT) <= 1e-6 * n * GY_PER_COUNT


QUIET_HOURS = (5, 6, 701, 702)  # no counts: the sample ending at hour 6 (702) adds no dose


def hour_counts(h):
    """Counts of hour h (1-based): 18-22 uGy/h, a different dose every hour, and four quiet
    hours that put no dose in the oldest hour of the 30-day and 24-h windows at hour 725."""
    return 0 if h in QUIET_HOURS else 1800 + (h * 7919) % 400


def fly_hours(d, first, last, prev, starts):
    """Hourly samples for hours first..last; returns the last rate, the last sample's dose and,
    for each hour in `starts`, the dose of the samples from that hour on (trapezoid of the f32
    rates; the first sample of a boot adds none).  Sums, not a list: the heap is the Pico's."""
    sums = [0.0] * len(starts)
    dose = 0.0
    for h in range(first, last + 1):
        c = hour_counts(h)
        d.sample(c, 3600)
        r = rate_of(c, 3600)
        dose = 0.0 if prev is None else trapezoid(prev, r, 3600)
        prev = r
        for i in range(len(starts)):
            if h >= starts[i]:
                sums[i] += dose
    return prev, dose, sums


def test_24_h_and_30_day_doses_over_the_hour_buckets_wrap_at_720_hours_and_clear():
    # hourly samples for 725 h: the 720 hour buckets have wrapped, the current one is the 6th.
    # At a whole hour the current hour has just begun: the 24-h dose is the dose of the last 23
    # hours, the 30-day dose that of the last 719 (the hour before each adds no dose, so the
    # minute at which an hour bucket closes does not matter here).
    d = Drive(3600)
    d.app.params.set(RAD_PERSIST_S, 65535)
    d.app.params.set(RAD_STUCK_S, 65535)  # two quiet hours are not a stuck tube
    n = 725
    assert n - 23 - 1 in QUIET_HOURS and n - 23 in QUIET_HOURS and n - 720 in QUIET_HOURS and n - 719 in QUIET_HOURS
    prev, last, (total, month, day) = fly_hours(d, 1, n, None, (1, n - 718, n - 22))
    rad = d.rad
    assert rad.level == NOMINAL and rad.sensor == OK and d.alarms == [] and d.sensor == []
    hk = rad.housekeeping()
    assert abs(hk[4] - total) <= 1e-9 * total
    # the last hour's minutes make the 1-h mean; its last minute the 1-min mean
    assert abs(hk[2] * UGY_H - last / 3600) <= 1e-6 * last / 3600
    assert abs(hk[1] * UGY_H - last / 3600) <= 1e-6 * last / 3600
    assert abs(hk[6] - day) <= 2e-6 * day, (hk[6], day)
    assert abs(hk[3] * UGY_H - day / 86400) <= 2e-6 * day / 86400  # the 24-h mean: per second of a day
    assert abs(hk[7] - month) <= 2e-6 * month, (hk[7], month)
    assert rad.clear_dose(()) == 0
    hk = rad.housekeeping()
    assert hk[4] == 0.0 and hk[5] == 0.0 and hk[6] == 0.0 and hk[7] == 0.0  # every bucket cleared
    _, _, (since,) = fly_hours(d, n + 1, n + 2, prev, (n + 1,))
    hk = rad.housekeeping()
    assert abs(hk[4] - since) <= 1e-9 * since
    assert abs(hk[6] - since) <= 2e-6 * since and abs(hk[7] - since) <= 2e-6 * since


def test_24_h_and_30_day_doses_before_the_wrap():
    # 4 h of hourly samples: every bucket is inside both windows, so both doses are the total
    d = Drive(3600)
    _, _, (total,) = fly_hours(d, 1, 4, None, (1,))
    hk = d.rad.housekeeping()
    assert abs(hk[4] - total) <= 1e-9 * total
    assert abs(hk[6] - total) <= 2e-6 * total and abs(hk[7] - total) <= 2e-6 * total


def test_1_min_and_1_h_means_when_samples_straddle_minutes():
    # 90-s samples at a constant 1 count/s: every minute, whole or split between two samples,
    # holds 60 s of dose, so both means are the rate (the first sample adds no dose)
    d = Drive(90)
    r = rate_of(90, 90)
    for _ in range(43):  # 64.5 min: the 60 minutes before the last half minute are all full
        d.sample(90, 90)
    hk = d.rad.housekeeping()
    assert abs(hk[1] * UGY_H - r) <= 1e-6 * r and abs(hk[2] * UGY_H - r) <= 1e-6 * r, (hk[1], hk[2], r / UGY_H)
    assert abs(hk[4] - 42 * 90 * r) <= 1e-9 * 42 * 90 * r


def icrp60_q(let):
    """ICRP 60 Q(L), L in keV/um (written out here, not taken from the firmware)."""
    return 1.0 if let < 10 else (0.32 * let - 2.2 if let <= 100 else 300 / let**0.5)


def test_quality_factor_once_the_let_spectrum_appears_late_and_never_from_a_wrong_histogram():
    import dictionary

    edges = dictionary.LET_EDGES_KEV_UM
    bins = len(edges) - 1
    mid = [(edges[i] * edges[i + 1]) ** 0.5 for i in range(bins)]
    d = Drive(60)  # its first read found no LET histogram (the channel not up yet)
    d.sample(2400, 60)  # 24 uGy absorbed: more than the 20 uGy a quality factor is taken over
    d.board.let = [0] * bins  # the channel is up: this read is its reference
    d.sample(60, 60)
    d.board.let = [0] * (bins + 1)  # a malformed read (one bin too many), twice: not used
    d.board.let[bins] = 10**6
    d.sample(60, 60)
    d.sample(60, 60)
    assert d.rad.quality == 1.0
    d.board.let = [0] * bins  # a good read again: the new reference
    d.sample(60, 60)
    assert d.rad.quality == 1.0 and d.sensor == []
    d.board.let[3] = 1000  # 1000 particles at 0.75 keV/um, 100 at 23.7 keV/um
    d.board.let[9] = 100
    d.sample(60, 60)
    q = (1000 * mid[3] * icrp60_q(mid[3]) + 100 * mid[9] * icrp60_q(mid[9])) / (1000 * mid[3] + 100 * mid[9])
    assert abs(d.rad.quality - q) <= 1e-9 * q and q > 2.5, (d.rad.quality, q)
    # the dose equivalent: each sample's dose times the quality factor in force at it
    r1, r2 = rate_of(2400, 60), rate_of(60, 60)
    eq = trapezoid(r1, r2, 60) + 3 * trapezoid(r2, r2, 60) + trapezoid(r2, r2, 60) * q
    assert abs(d.rad.total_eq_sv - eq) <= 1e-9 * eq, (d.rad.total_eq_sv, eq)


def hk_reports(board, app, seconds, cps):
    """Run the main loop for `seconds` (1-s steps); per sid, the [3,25] reports sent, and the
    sid 3 reports' data."""
    n = {1: 0, 2: 0, 3: 0, 4: 0}
    sid3 = []
    acc = 0.0
    for _ in range(seconds):
        board.ticks += 1000
        acc += cps
        board.count += int(acc)
        acc -= int(acc)
        app.step()
        for p in board.frames():
            if tm_header(p)[2:4] == (3, 25):
                data = tm_data(p)
                n[data[0]] += 1
                if data[0] == 3:
                    sid3.append(struct.unpack(">IHffIBf", data[1:]))
    return n, sid3


def test_hk_disable_of_sid_3_stops_exactly_the_per_sample_reports():
    # the main loop this time (no power manager: the heap is the Pico's, so no sid 4 reports,
    # but its switch is there to be confused with sid 3's)
    d = Drive(2, sid3=True)
    board, app, rad = d.board, d.app, d.rad
    hk_reports(board, app, 10, 100)
    board.rx.extend(frame(tc(3, 6, b"\x03", auth_seq=1)))  # HK_DISABLE sid 3
    n, _ = hk_reports(board, app, 20, 100)
    assert n == {1: 2, 2: 2, 3: 0, 4: 0}, n  # sids 1 and 2 every 10 s
    board.rx.extend(frame(tc(3, 6, b"\x02", auth_seq=2)))  # HK_DISABLE sid 2
    board.rx.extend(frame(tc(3, 6, b"\x04", auth_seq=3)))  # HK_DISABLE sid 4
    board.rx.extend(frame(tc(3, 5, b"\x03", auth_seq=4)))  # HK_ENABLE sid 3
    n, sid3 = hk_reports(board, app, 20, 100)
    assert n == {1: 2, 2: 0, 3: 10, 4: 0}, n  # sid 3 at every 2-s sample, sid 2 off
    assert app.hk_enabled == {1: True, 2: False, 3: True, 4: False}
    m = 100 / (1 - 100 * TAU_S)
    rate = m * GY_PER_COUNT
    for i in range(len(sid3)):
        t_s, _, r, quality, counts, sensor, total = sid3[i]
        assert counts == 200 and sensor == OK and quality == 1.0 and abs(r - rate) <= 1e-6 * rate
        if i:  # one report per 2-s sample, its total 2 s of the constant rate on
            assert t_s - sid3[i - 1][0] == 2 and abs(total - sid3[i - 1][6] - 2 * rate) <= 1e-3 * 2 * rate
    assert sid3[-1][6] == f32(rad.total_gy)
