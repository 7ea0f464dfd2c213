# The power manager's rules pinned to exact values: OCV table, I R correction, coulomb
# counting, mode thresholds and dwell, the shed ladder's levels, latch-up, sources, the storm
# shelter, the ground watchdog and the housekeeping report.  Events and housekeeping are
# decoded against the dictionary's definitions; expected values are worked out here from the
# parameter defaults (dictionary.PARAMS) and the documented tables.
import struct

import dictionary
from apps import power as pm
from core import codec, failures
from mp_helpers import boot_apps, frame, run, tc, tm_data, tm_header

# Codes of the PWR_MODE event (dictionary.EVENTS): mode 0 CRITICAL, 1 SAFE, 2 NORMAL, 3 FULL;
# reason 0 none, 1 LOW_BATTERY, 2 GROUND_COMMAND.
CRITICAL, SAFE, NORMAL, FULL = 0, 1, 2, 3
NONE, LOW_BATTERY, GROUND_COMMAND = 0, 1, 2
CH = {}
for _i, _c in enumerate(dictionary.CHANNELS):
    CH[_c[0]] = _i
PRIO = [c[1] for c in dictionary.CHANNELS]
ALL = list(range(len(dictionary.CHANNELS)))
PACK_R = 0.038  # 2S2P pack resistance (Ohm) of the OCV correction
CAPACITY_AH = 6.7  # pwr_capacity_ah default
SEQ = [0]


def sensors(v=7.9, i=0.2, more=None):
    """7.9 V at 0.2 A: NORMAL, SOC about 80 % (nothing shed)."""
    s = {"battery:v": v, "bus:v": v, "battery:i": i, "solar:i": 1.0}
    if more:
        for k in more:
            s[k] = more[k]
    return s


def spec(table, name):
    for entry in table:
        if entry["name"] == name:
            return entry
    raise KeyError(name)


def decoded(packets, name):
    """Arguments of every `name` event in packets, decoded by the dictionary's definition."""
    ev = spec(dictionary.EVENTS, name)
    out = []
    for p in packets:
        if tm_header(p)[2] == 5:
            data = tm_data(p)
            if struct.unpack(">H", data[:2])[0] == ev["id"]:
                out.append(tuple(codec.unpack(ev["args"], data, 2, len(data))))
    return out


def command(board, app, name, *args):
    """Send one authenticated TC and run one pass without advancing time (no task is due, so
    no power sample runs); returns the packets it produced."""
    cmd = spec(dictionary.COMMANDS, name)
    data = b"" if cmd["function"] is None else struct.pack(">H", cmd["function"])
    data += codec.pack(cmd["args"], args)
    SEQ[0] += 1
    board.rx.extend(frame(tc(cmd["service"], cmd["subtype"], data, apid=cmd["apid"], auth_seq=SEQ[0])))
    app.step()
    return board.frames()


def completion(packets):
    """(subtype, failure code) of the ST[1] completion reports (7 success, 8 failure)."""
    out = []
    for p in packets:
        h = tm_header(p)
        if h[2] == 1 and h[3] in (7, 8):
            data = tm_data(p)
            out.append((h[3], struct.unpack(">H", data[4:6])[0] if len(data) >= 6 else 0))
    return out


def housekeeping(board, app):
    """The power housekeeping structure, asked for by HK_ONESHOT, as a field-name dict."""
    hk = spec(dictionary.HK, "power")
    for p in command(board, app, "HK_ONESHOT", hk["sid"]):
        h = tm_header(p)
        data = tm_data(p)
        if h[2] == 3 and h[3] == 25 and data[0] == hk["sid"]:
            values = codec.unpack(hk["fields"], data, 1, len(data))
            out = {}
            for i in range(len(values)):
                out[hk["fields"][i][0]] = values[i]
            return out
    raise AssertionError("no power housekeeping report")


def powered(board):
    return [ch for ch in ALL if board.switches.get(ch) == 1]


def close(a, b, tol=1e-6):
    return abs(a - b) <= tol * max(1.0, abs(b))


def modes(packets):
    return decoded(packets, "PWR_MODE")


def log_switches(board):
    """Record every switch command the board gets from now on."""
    calls = []
    switch = board.switch

    def logged(ch, on):
        calls.append((ch, 1 if on else 0))
        switch(ch, on)

    board.switch = logged
    return calls


# -- state of charge ---------------------------------------------------------------------------
def test_ocv_soc_is_linear_between_the_table_points_and_clamped_outside():
    # (cell V, SOC): table points are exact, mid-segment values interpolate their two neighbours
    assert pm.soc_from_ocv(3.0) == 0.0 and pm.soc_from_ocv(3.20) == 0.0
    assert close(pm.soc_from_ocv(3.325), 0.0 + 0.5 * (0.05 - 0.0))  # half way 3.20 .. 3.45
    assert close(pm.soc_from_ocv(3.70), 0.30 + 0.5 * (0.40 - 0.30))  # half way 3.68 .. 3.72
    assert close(pm.soc_from_ocv(3.76), 0.50)
    assert close(pm.soc_from_ocv(4.08), 0.90 + 0.5 * (0.95 - 0.90))  # half way 4.05 .. 4.11
    assert pm.soc_from_ocv(4.19) == 1.0 and pm.soc_from_ocv(4.5) == 1.0


def test_first_soc_estimate_adds_back_the_ir_drop_of_the_discharge_current():
    # 7.324 V at 2 A discharge: OCV = (7.324 + 2 * 0.038) / 2 = 3.70 V a cell, half way between
    # 3.68 V (30 %) and 3.72 V (40 %): 35 %; time to empty = 0.35 * 6.7 Ah / 2 A
    board, app, _, _ = boot_apps(sensors(7.324, 2.0))
    run(board, app, 0.1)
    hk = housekeeping(board, app)
    cell = (7.324 + 2.0 * PACK_R) / 2
    soc = 0.30 + (cell - 3.68) / (3.72 - 3.68) * (0.40 - 0.30)
    assert close(soc, 0.35)
    assert close(hk["soc_pct"], soc * 100, 1e-5)
    assert close(hk["tte_h"], soc * CAPACITY_AH / 2.0, 1e-5)


def test_coulomb_counting_removes_current_times_time_over_capacity():
    board, app, _, _ = boot_apps(sensors(7.5, 1.8))
    app.params.set(spec(dictionary.PARAMS, "pwr_capacity_ah")["id"], 0.5)
    run(board, app, 1, step_ms=1000)
    before = housekeeping(board, app)["soc_pct"]
    run(board, app, 100, step_ms=1000)  # 1.8 A for 100 s from 0.5 Ah: 0.05 Ah, 10 % of SOC
    after = housekeeping(board, app)["soc_pct"]
    assert close(before - after, 100 * 1.8 * 100 / 3600 / 0.5, 1e-5)


# -- battery modes -----------------------------------------------------------------------------
def test_mode_change_happens_on_the_sample_where_the_condition_has_held_pwr_dwell_s():
    board, app, _, _ = boot_apps(sensors())
    run(board, app, 2, step_ms=1000)
    board.sensors["battery:v"] = 7.0  # below pwr_safe_mv (7100)
    assert modes(run(board, app, 9, step_ms=1000)) == []  # held 9 s of the 10 s dwell
    assert modes(run(board, app, 1, step_ms=1000)) == [(NORMAL, SAFE, LOW_BATTERY)]


def test_exactly_pwr_critical_mv_is_safe_not_critical():
    board, app, _, _ = boot_apps(sensors())
    run(board, app, 2, step_ms=1000)
    board.sensors["battery:v"] = 6.4  # 6400 mV = pwr_critical_mv: not below it
    assert modes(run(board, app, 15, step_ms=1000)) == [(NORMAL, SAFE, LOW_BATTERY)]


def test_critical_is_left_for_safe_only_above_critical_plus_100_mv():
    board, app, _, power = boot_apps(sensors())
    run(board, app, 2, step_ms=1000)
    board.sensors["battery:v"] = 6.3
    assert modes(run(board, app, 10, step_ms=1000)) == [(NORMAL, CRITICAL, LOW_BATTERY)]
    assert powered(board) == [ch for ch in ALL if PRIO[ch] == 0]  # CRITICAL: only the P0 loads
    board.sensors["battery:v"] = 6.5  # 6500 mV: not above 6400 + 100
    assert modes(run(board, app, 20, step_ms=1000)) == []
    board.sensors["battery:v"] = 6.5005
    assert modes(run(board, app, 9, step_ms=1000)) == []
    assert modes(run(board, app, 1, step_ms=1000)) == [(CRITICAL, SAFE, LOW_BATTERY)]
    assert power.mode == SAFE


def test_low_battery_safe_recovers_only_strictly_above_pwr_normal_mv():
    board, app, _, _ = boot_apps(sensors())
    run(board, app, 2, step_ms=1000)
    board.sensors["battery:v"] = 7.0
    assert modes(run(board, app, 10, step_ms=1000)) == [(NORMAL, SAFE, LOW_BATTERY)]
    hk = housekeeping(board, app)
    assert hk["mode"] == SAFE and hk["safe_reason"] == LOW_BATTERY
    board.sensors["battery:v"] = 7.2  # between pwr_safe_mv and pwr_normal_mv: stays SAFE
    assert modes(run(board, app, 15, step_ms=1000)) == []
    board.sensors["battery:v"] = 7.3  # exactly pwr_normal_mv: not above it
    assert modes(run(board, app, 15, step_ms=1000)) == []
    board.sensors["battery:v"] = 7.3005
    assert modes(run(board, app, 10, step_ms=1000)) == [(SAFE, NORMAL, NONE)]
    hk = housekeeping(board, app)
    assert hk["mode"] == NORMAL and hk["safe_reason"] == NONE


def test_full_is_left_only_200_mv_below_pwr_full_mv():
    board, app, _, _ = boot_apps(sensors())
    run(board, app, 2, step_ms=1000)
    board.sensors["battery:v"] = 8.25  # above pwr_full_mv (8200)
    assert modes(run(board, app, 10, step_ms=1000)) == [(NORMAL, FULL, NONE)]
    board.sensors["battery:v"] = 8.1  # inside the 200 mV band
    assert modes(run(board, app, 15, step_ms=1000)) == []
    board.sensors["battery:v"] = 8.0  # exactly 8200 - 200: not below it
    assert modes(run(board, app, 15, step_ms=1000)) == []
    board.sensors["battery:v"] = 7.9995
    assert modes(run(board, app, 10, step_ms=1000)) == [(FULL, NORMAL, NONE)]


def test_ground_safe_mode_stays_until_safe_exit_which_is_refused_below_pwr_safe_mv():
    board, app, _, _ = boot_apps(sensors())
    run(board, app, 2, step_ms=1000)
    packets = command(board, app, "SAFE_ENTER")
    assert completion(packets) == [(7, 0)] and modes(packets) == [(NORMAL, SAFE, GROUND_COMMAND)]
    board.sensors["battery:v"] = 7.6  # above pwr_normal_mv: a ground SAFE does not end by itself
    assert modes(run(board, app, 20, step_ms=1000)) == []
    hk = housekeeping(board, app)
    assert hk["mode"] == SAFE and hk["safe_reason"] == GROUND_COMMAND
    board.sensors["battery:v"] = 7.095  # 7095 mV, below pwr_safe_mv
    run(board, app, 2, step_ms=1000)
    packets = command(board, app, "SAFE_EXIT")
    assert completion(packets) == [(8, failures.WRONG_MODE)] and modes(packets) == []
    board.sensors["battery:v"] = 7.1  # exactly pwr_safe_mv: not below it
    run(board, app, 2, step_ms=1000)
    packets = command(board, app, "SAFE_EXIT")
    assert completion(packets) == [(7, 0)] and modes(packets) == [(SAFE, NORMAL, NONE)]


# -- shed ladder (pwr_shed_soc_pct 60: shed below 60, 45, 30, 15 %, restored 5 % above) ---------
def shed_board():
    board, app, _, power = boot_apps(sensors(7.9, 0.0))  # no current: the SOC stays where it is put
    run(board, app, 1)
    return board, app, power


def sheds(board, app, passes):
    return decoded(run(board, app, passes / 10), "PWR_SHED")


def shed_from(level):
    """Channels the ladder keeps off at this level: P4 at 1, then P3, P2, P1; never P0."""
    return [ch for ch in ALL if level and PRIO[ch] >= 5 - level]


def test_shed_ladder_sheds_one_level_a_pass_strictly_below_each_threshold():
    board, app, power = shed_board()
    assert sheds(board, app, 3) == []
    power.soc = 0.60  # exactly 60 %: not below
    assert sheds(board, app, 3) == []
    power.soc = 0.45  # below 60, exactly at the next threshold
    assert [e[0] for e in sheds(board, app, 3)] == [1]
    assert [ch for ch in ALL if ch not in powered(board)] == shed_from(1)
    power.soc = 0.15
    got = sheds(board, app, 1) + sheds(board, app, 1)
    assert [e[0] for e in got] == [2, 3] and close(got[0][1], 15.0)
    assert sheds(board, app, 3) == []  # exactly 15 %: not below the last threshold
    assert [ch for ch in ALL if ch not in powered(board)] == shed_from(3)
    power.soc = 0.1
    assert [e[0] for e in sheds(board, app, 3)] == [4]
    assert [ch for ch in ALL if ch not in powered(board)] == shed_from(4)
    assert powered(board) == [ch for ch in ALL if PRIO[ch] == 0]


def test_shed_ladder_restores_each_level_only_above_its_threshold_plus_5_pct():
    board, app, power = shed_board()
    power.soc = 0.0
    assert [e[0] for e in sheds(board, app, 6)] == [1, 2, 3, 4]
    # level k is restored above 60 - 15 (k - 1) + 5: 20, 35, 50, 65 %
    for bound, level in ((20, 4), (35, 3), (50, 2), (65, 1)):
        power.soc = bound / 100
        assert sheds(board, app, 3) == [], bound
        power.soc = (bound + 0.5) / 100
        got = sheds(board, app, 3)
        assert len(got) == 1 and got[0][0] == level - 1 and close(got[0][1], bound + 0.5, 1e-5), (bound, got)
        assert [ch for ch in ALL if ch not in powered(board)] == shed_from(level - 1)
    assert power.shed_level == 0 and powered(board) == ALL


def test_shed_ladder_follows_pwr_shed_soc_pct_and_stops_at_level_4():
    board, app, power = shed_board()
    app.params.set(spec(dictionary.PARAMS, "pwr_shed_soc_pct")["id"], 80)  # shed below 80, 65, 50, 35 %
    power.soc = 0.65
    assert [e[0] for e in sheds(board, app, 3)] == [1]
    power.soc = 0.10  # below 80 - 60 as well: there is no level past P1
    assert [e[0] for e in sheds(board, app, 6)] == [2, 3, 4]
    hk = housekeeping(board, app)
    assert hk["shed_level"] == 4 and hk["switches"] == sum(1 << ch for ch in ALL if PRIO[ch] == 0)
    power.soc = 0.40  # level 4 is restored above 80 - 45 + 5 = 40 %
    assert sheds(board, app, 3) == []
    power.soc = 0.405
    assert [e[0] for e in sheds(board, app, 3)] == [3]


# -- latch-up protection -----------------------------------------------------------------------
def test_steady_current_just_below_the_limit_never_trips():
    board, app, _, power = boot_apps(sensors())
    run(board, app, 1)
    board.sensors["ch5:i"] = 2.4  # pwr_latch_limit_a 2.5
    packets = run(board, app, 3)
    assert decoded(packets, "PWR_LATCHUP") == [] and board.switches[5] == 1 and power.trips_total == 0
    assert close(power.filtered_a[5], 2.4, 1e-6)  # the filter settles on the current


def test_over_current_trips_when_the_filtered_current_crosses_the_limit():
    board, app, _, _ = boot_apps(sensors())
    run(board, app, 1)
    board.sensors["ch3:i"] = 3.0  # filtered: 0.7 * 3.0 = 2.1, then 2.1 + 0.7 * 0.9 = 2.73 > 2.5
    assert decoded(run(board, app, 0.1), "PWR_LATCHUP") == []
    got = decoded(run(board, app, 0.1), "PWR_LATCHUP")
    assert len(got) == 1 and got[0][0] == 3 and close(got[0][1], 3.0) and got[0][2:] == (1, 0)
    assert board.switches[3] == 0


def test_persistent_short_reports_each_trip_latches_on_the_third_and_latch_clear_restores():
    board, app, _, power = boot_apps(sensors())
    run(board, app, 1)
    board.sensors["ch3:i"] = 5.0
    got = decoded(run(board, app, 3), "PWR_LATCHUP")
    assert [(e[0], e[2], e[3]) for e in got] == [(3, 1, 0), (3, 2, 0), (3, 3, 1)]  # pwr_latch_trips 3
    assert close(got[0][1], 5.0)
    hk = housekeeping(board, app)
    assert hk["latched"] == 1 << 3 and hk["trips_total"] == 3 and not hk["switches"] & (1 << 3)
    board.sensors["ch3:i"] = 0.1
    packets = command(board, app, "LATCH_CLEAR", 3)
    assert completion(packets) == [(7, 0)] and board.switches[3] == 1
    run(board, app, 1)
    hk = housekeeping(board, app)
    assert hk["latched"] == 0 and hk["switches"] & (1 << 3) and power.trips_total == 3


def test_latchup_on_a_p0_channel_power_cycles_it_in_the_same_pass():
    board, app, _, power = boot_apps(sensors())
    run(board, app, 1)
    calls = log_switches(board)
    board.sensors["ch0:i"] = 5.0
    got = decoded(run(board, app, 0.1), "PWR_LATCHUP")
    assert [(e[0], e[2], e[3]) for e in got] == [(0, 1, 0)]
    assert calls == [(0, 0), (0, 1)] and board.switches[0] == 1 and power.on[0]


# -- sources -----------------------------------------------------------------------------------
def test_source_at_exactly_the_minimum_counts_and_its_loss_holds_p3_and_p4_only():
    board, app, _, _ = boot_apps(sensors(more={"fission:i": 0.05}))  # SOURCE_MIN_A: present
    run(board, app, 2, step_ms=1000)
    board.sensors["fission:i"] = 0.0
    assert decoded(run(board, app, 1, step_ms=1000), "PWR_SOURCE") == [(1, 0)]
    assert powered(board) == [ch for ch in ALL if PRIO[ch] <= 2]  # thermal and comms stay on
    board.sensors["fission:i"] = 0.05
    assert decoded(run(board, app, 59, step_ms=1000), "PWR_SOURCE") == []  # pwr_source_stable_s 60
    assert decoded(run(board, app, 1, step_ms=1000), "PWR_SOURCE") == [(1, 1)]
    assert powered(board) == ALL


# -- storm shelter -----------------------------------------------------------------------------
def test_storm_shelter_keeps_thermal_and_comms_even_in_safe_and_is_left_only_on_all_clear():
    board, app, _, power = boot_apps(sensors())
    run(board, app, 1)
    command(board, app, "SAFE_ENTER")
    assert powered(board) == [ch for ch in ALL if PRIO[ch] <= 1]
    power.on_rad_alarm(3)  # STORM_SHELTER
    assert decoded(board.frames(), "PWR_SHELTER") == [(1,)]
    assert powered(board) == [ch for ch in ALL if PRIO[ch] <= 2]
    run(board, app, 1)
    assert powered(board) == [ch for ch in ALL if PRIO[ch] <= 2] and housekeeping(board, app)["shelter"] == 1
    for level in (2, 1):  # SPE_WATCH, ELEVATED: still sheltering
        power.on_rad_alarm(level)
        assert decoded(board.frames(), "PWR_SHELTER") == [] and power.shelter
    power.on_rad_alarm(0)  # all-clear
    assert decoded(board.frames(), "PWR_SHELTER") == [(0,)] and not power.shelter
    assert powered(board) == [ch for ch in ALL if PRIO[ch] <= 1]  # back to plain SAFE


def test_storm_shelter_in_normal_mode_sheds_payload_and_comfort():
    board, app, _, power = boot_apps(sensors())
    run(board, app, 1)
    power.on_rad_alarm(3)
    assert decoded(board.frames(), "PWR_SHELTER") == [(1,)]
    run(board, app, 1)
    assert powered(board) == [ch for ch in ALL if PRIO[ch] <= 2]
    power.on_rad_alarm(0)
    assert decoded(board.frames(), "PWR_SHELTER") == [(0,)]
    assert powered(board) == ALL


# -- ground watchdog ---------------------------------------------------------------------------
def test_ground_watchdog_fires_pwr_ground_wdt_s_after_the_last_contact_and_cycles_comms_once():
    board, app, _, power = boot_apps(sensors())
    app.params.set(spec(dictionary.PARAMS, "pwr_ground_wdt_s")["id"], 600)
    calls = log_switches(board)
    run(board, app, 100, step_ms=1000)
    assert completion(command(board, app, "PING")) == [(7, 0)] and app.clock.uptime_s == 100  # contact at 100 s
    assert decoded(run(board, app, 599, step_ms=1000), "PWR_GROUND_WDT") == []
    assert decoded(run(board, app, 1, step_ms=1000), "PWR_GROUND_WDT") == [(CH["comms"],)]
    assert board.switches[CH["comms"]] == 0 and not power.on[CH["comms"]]
    run(board, app, 1, step_ms=1000)  # back after REPOWER_MS
    assert board.switches[CH["comms"]] == 1 and power.on[CH["comms"]]
    assert calls == [(CH["comms"], 0), (CH["comms"], 1)]  # one off, one on, nothing else touched


# -- housekeeping ------------------------------------------------------------------------------
def test_housekeeping_report_carries_the_measurements_and_the_state():
    more = {"bus:v": 7.8, "battery:temp_c": 25.0, "solar:i": 1.5, "fission:i": 3.0}
    board, app, _, _ = boot_apps(sensors(7.444, 2.0, more))  # OCV (7.444 + 0.076) / 2 = 3.76 V: 50 %
    run(board, app, 0.1)
    hk = housekeeping(board, app)
    soc = 0.50
    assert close(hk["bus_v"], 7.8) and close(hk["battery_v"], 7.444) and close(hk["battery_a"], 2.0)
    assert close(hk["battery_temp_c"], 25.0) and close(hk["solar_a"], 1.5) and close(hk["fission_a"], 3.0)
    assert close(hk["soc_pct"], soc * 100, 1e-5) and close(hk["tte_h"], soc * CAPACITY_AH / 2.0, 1e-5)
    assert (hk["mode"], hk["safe_reason"], hk["shed_level"], hk["shelter"]) == (NORMAL, NONE, 1, 0)  # 50 % < 60 %
    assert hk["switches"] == sum(1 << ch for ch in ALL if PRIO[ch] < 4)
    assert (hk["latched"], hk["trips_total"], hk["sources_ok"]) == (0, 0, 0b111)
    board.sensors["fission:i"] = 0.0
    run(board, app, 0.1)
    hk = housekeeping(board, app)
    assert hk["sources_ok"] == 0b101 and hk["switches"] == sum(1 << ch for ch in ALL if PRIO[ch] < 3)
    board.sensors["solar:i"] = 0.0
    run(board, app, 0.1)
    assert housekeeping(board, app)["sources_ok"] == 0b100
