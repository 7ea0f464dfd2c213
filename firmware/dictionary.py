# The Zarya command and telemetry dictionary: the one source of truth for APIDs, commands,
# parameters, housekeeping structures, events and failure codes.  Plain data, valid in
# MicroPython and CPython: the firmware imports it, the host reads it (zarya.dictionary), and
# both hash it the same way (core/dicthash.py) so a mismatched board is refused.
#
# Types (all big-endian): u8 u16 u32 i16 i32 f32; "bytes" takes the rest of the packet.
# Argument and field tuples are (name, type, unit, min, max) / (name, type, unit).

VERSION = "0.1.0"

APIDS = {"core": 0x100, "radmon": 0x101, "power": 0x102}

# Sizes of the link (bytes): the largest packet either side sends or accepts.
MAX_PACKET = 512
MAC_LEN = 8  # truncated HMAC-SHA256, in the TC trailer

# ST[5] severities: TM[5, severity]
SEVERITY = {"info": 1, "low": 2, "medium": 3, "high": 4}

# ST[1] failure codes, carried in TM[1,2] (acceptance) and TM[1,8] (completion) reports
FAILURES = {
    1: "unknown APID",
    2: "unknown service or subtype",
    3: "bad length or malformed arguments",
    4: "argument out of range",
    5: "unknown key id",
    6: "bad MAC",
    7: "replayed or stale anti-replay sequence number",
    8: "hazardous command not armed (or arm expired)",
    9: "not allowed in the current mode",
    10: "execution failed",
    11: "unknown parameter",
    12: "schedule full",
    13: "unknown function",
    14: "unknown housekeeping structure",
    15: "anti-replay state lost: refused until RESYNC_REPLAY with the REPLAY_LOCKED nonce",
}

# Commands.  ST[8] functions share service 8 subtype 1 and are told apart by `function`
# (the first u16 of the application data).  Hazardous commands need ARM first.
COMMANDS = (
    {"name": "PING", "apid": "core", "service": 17, "subtype": 1, "function": None, "args": (),
     "hazardous": False, "doc": "Are-you-alive test: answered by TM[17,2]."},
    {"name": "IDENTIFY", "apid": "core", "service": 17, "subtype": 128, "function": None, "args": (),
     "hazardous": False, "doc": "Report version, dictionary hash and boot count (event IDENTITY)."},
    {"name": "SET_TIME", "apid": "core", "service": 9, "subtype": 128, "function": None,
     "args": (("time_s", "u32", "s", 0, 4294967295),),
     "hazardous": False, "doc": "Set board time (s since 2000-01-01 UTC, the mission epoch; mission-specific subtype)."},
    {"name": "HK_ENABLE", "apid": "core", "service": 3, "subtype": 5, "function": None,
     "args": (("sid", "u8", "", 1, 255),), "hazardous": False, "doc": "Enable periodic reports of a structure."},
    {"name": "HK_DISABLE", "apid": "core", "service": 3, "subtype": 6, "function": None,
     "args": (("sid", "u8", "", 1, 255),), "hazardous": False, "doc": "Disable periodic reports of a structure."},
    {"name": "HK_ONESHOT", "apid": "core", "service": 3, "subtype": 27, "function": None,
     "args": (("sid", "u8", "", 1, 255),), "hazardous": False, "doc": "Report a structure once, now."},
    {"name": "HK_SET_INTERVAL", "apid": "core", "service": 3, "subtype": 31, "function": None,
     "args": (("sid", "u8", "", 1, 255), ("interval_s", "u16", "s", 1, 65535)),
     "hazardous": False, "doc": "Set a structure's collection interval (persisted)."},
    {"name": "PARAM_GET", "apid": "core", "service": 20, "subtype": 1, "function": None,
     "args": (("param_id", "u16", "", 1, 65535),), "hazardous": False, "doc": "Report a parameter (TM[20,2])."},
    {"name": "PARAM_SET", "apid": "core", "service": 20, "subtype": 3, "function": None,
     "args": (("param_id", "u16", "", 1, 65535), ("value", "f32", "", -3.4e38, 3.4e38)),
     "hazardous": False, "doc": "Set a parameter: range-checked against PARAMS, persisted."},
    {"name": "SCHED_INSERT", "apid": "core", "service": 11, "subtype": 4, "function": None,
     "args": (("release_s", "u32", "s", 0, 4294967295), ("tc", "bytes", "", 0, 0)),
     "hazardous": False, "doc": "Release the embedded, separately authenticated TC at board time release_s."},
    {"name": "SCHED_RESET", "apid": "core", "service": 11, "subtype": 3, "function": None, "args": (),
     "hazardous": False, "doc": "Delete every scheduled command."},
    {"name": "STORE_REPLAY", "apid": "core", "service": 15, "subtype": 9, "function": None,
     "args": (("from_s", "u32", "s", 0, 4294967295), ("to_s", "u32", "s", 0, 4294967295)),
     "hazardous": False, "doc": "Downlink stored telemetry with board time in [from_s, to_s]."},
    {"name": "ARM", "apid": "core", "service": 8, "subtype": 1, "function": 1,
     "args": (("service", "u8", "", 0, 255), ("subtype", "u8", "", 0, 255), ("target_function", "u16", "", 0, 65535)),
     "hazardous": False, "doc": "Arm one hazardous command for arm_window_s."},
    {"name": "RAD_ALL_CLEAR", "apid": "radmon", "service": 8, "subtype": 1, "function": 10, "args": (),
     "hazardous": False, "doc": "Ground all-clear: leave STORM_SHELTER (refused while the rate is still above it)."},
    {"name": "RAD_CLEAR_DOSE", "apid": "radmon", "service": 8, "subtype": 1, "function": 11, "args": (),
     "hazardous": True, "doc": "Zero the stored dose totals (new crew or detector)."},
    {"name": "RAD_SENSOR_RESET", "apid": "radmon", "service": 8, "subtype": 1, "function": 12, "args": (),
     "hazardous": False, "doc": "Clear a sensor FAULT after inspection."},
    {"name": "LOAD_SWITCH", "apid": "power", "service": 8, "subtype": 1, "function": 20,
     "args": (("channel", "u8", "", 0, 7), ("on", "u8", "", 0, 1)), "hazardous": False,
     "doc": "Switch a load channel; P0/P1 cannot be switched off this way (LOAD_FORCE_OFF)."},
    {"name": "LOAD_FORCE_OFF", "apid": "power", "service": 8, "subtype": 1, "function": 21,
     "args": (("channel", "u8", "", 0, 7),), "hazardous": True, "doc": "Switch off any channel, life support included."},
    {"name": "SAFE_ENTER", "apid": "power", "service": 8, "subtype": 1, "function": 22, "args": (),
     "hazardous": False, "doc": "Enter safe mode (reason GROUND_COMMAND)."},
    {"name": "SAFE_EXIT", "apid": "power", "service": 8, "subtype": 1, "function": 23, "args": (),
     "hazardous": False, "doc": "Leave safe mode (refused while the battery is still low)."},
    {"name": "SHELTER_ENTER", "apid": "power", "service": 8, "subtype": 1, "function": 24, "args": (),
     "hazardous": False, "doc": "Storm-shelter power mode by ground command."},
    {"name": "LATCH_CLEAR", "apid": "power", "service": 8, "subtype": 1, "function": 25,
     "args": (("channel", "u8", "", 0, 7),), "hazardous": False, "doc": "Clear a latched-off channel's fault."},
    {"name": "RESET", "apid": "core", "service": 8, "subtype": 1, "function": 2, "args": (),
     "hazardous": True, "doc": "Orderly reset of the board."},
    {"name": "ENTER_MAINTENANCE", "apid": "core", "service": 8, "subtype": 1, "function": 3, "args": (),
     "hazardous": True, "doc": "Stop the flight loop, restore Ctrl-C and return to the REPL (for flashing)."},
    {"name": "RESYNC_REPLAY", "apid": "core", "service": 8, "subtype": 1, "function": 4,
     "args": (("nonce", "u32", "", 0, 4294967295), ("floor", "u32", "", 0, 4294967295)),
     "hazardous": False,
     "doc": "After REPLAY_LOCKED: re-set the signing key's anti-replay number to max(floor, this TC's number); "
            "accepted only with this boot's nonce, signed by that key (its number is not checked)."},
)

# Parameters (ST[20]): range-checked and persisted.  HK intervals are parameters too.
PARAMS = (
    {"id": 1, "name": "arm_window_s", "type": "u16", "unit": "s", "min": 1, "max": 60, "default": 10,
     "doc": "How long an ARM stays valid."},
    {"id": 5, "name": "hk_rad_interval_s", "type": "u16", "unit": "s", "min": 1, "max": 65535, "default": 10,
     "doc": "Collection interval of the radiation housekeeping structure (sid 2)."},
    {"id": 6, "name": "hk_pwr_interval_s", "type": "u16", "unit": "s", "min": 1, "max": 65535, "default": 1,
     "doc": "Collection interval of the power housekeeping structure (sid 4)."},
    {"id": 2, "name": "hk_core_interval_s", "type": "u16", "unit": "s", "min": 1, "max": 65535, "default": 10,
     "doc": "Collection interval of the core housekeeping structure (sid 1)."},
    {"id": 3, "name": "tm_store_enabled", "type": "u8", "unit": "", "min": 0, "max": 1, "default": 1,
     "doc": "Keep downlinked telemetry in the ST[15] store for replay."},
    {"id": 10, "name": "rad_sample_s", "type": "u16", "unit": "s", "min": 1, "max": 3600, "default": 1,
     "doc": "Dosimeter sample period (raise it in quiet cruise)."},
    {"id": 11, "name": "rad_gy_per_count", "type": "f32", "unit": "Gy", "min": 1e-12, "max": 1e-3, "default": 1e-8,
     "doc": "Detector calibration: absorbed dose per true count."},
    {"id": 12, "name": "rad_dead_time_s", "type": "f32", "unit": "s", "min": 0.0, "max": 0.01, "default": 1e-4,
     "doc": "GM tube dead time (non-paralyzable correction)."},
    {"id": 13, "name": "rad_background_uGy_h", "type": "f32", "unit": "uGy/h", "min": 0.1, "max": 1000.0, "default": 20.0,
     "doc": "Starting background (MSL/RAD cruise: 0.48 mGy/day = 20 uGy/h); learnt in NOMINAL."},
    {"id": 14, "name": "rad_elevated_x", "type": "f32", "unit": "", "min": 1.1, "max": 100.0, "default": 3.0,
     "doc": "ELEVATED above this multiple of the background (1-min mean)."},
    {"id": 15, "name": "rad_watch_x", "type": "f32", "unit": "", "min": 1.5, "max": 1000.0, "default": 10.0,
     "doc": "SPE_WATCH above this multiple of the background."},
    {"id": 16, "name": "rad_shelter_uGy_h", "type": "f32", "unit": "uGy/h", "min": 10.0, "max": 1e6, "default": 1000.0,
     "doc": "STORM_SHELTER above this absolute rate (1-min mean)."},
    {"id": 17, "name": "rad_dwell_s", "type": "u16", "unit": "s", "min": 0, "max": 3600, "default": 60,
     "doc": "A level is entered or left only after its condition held this long."},
    {"id": 18, "name": "rad_hysteresis", "type": "f32", "unit": "", "min": 0.1, "max": 1.0, "default": 0.7,
     "doc": "A level is left when the rate falls below this fraction of its threshold."},
    {"id": 19, "name": "rad_stuck_s", "type": "u16", "unit": "s", "min": 60, "max": 65535, "default": 1800,
     "doc": "Zero counts this long while >= 20 are expected: sensor FAULT."},
    {"id": 20, "name": "rad_persist_s", "type": "u16", "unit": "s", "min": 10, "max": 65535, "default": 600,
     "doc": "Dose totals are persisted at this period (and on every alarm change)."},
    {"id": 30, "name": "pwr_period_ms", "type": "u16", "unit": "ms", "min": 20, "max": 5000, "default": 100,
     "doc": "Power manager sample period (latch-up detection latency)."},
    {"id": 31, "name": "pwr_capacity_ah", "type": "f32", "unit": "Ah", "min": 0.1, "max": 1000.0, "default": 6.7,
     "doc": "Battery capacity (2S2P of 3.35 Ah cells)."},
    {"id": 32, "name": "pwr_safe_mv", "type": "u16", "unit": "mV", "min": 5000, "max": 9000, "default": 7100,
     "doc": "SAFE (LOW_BATTERY) below this battery voltage held for pwr_dwell_s."},
    {"id": 33, "name": "pwr_normal_mv", "type": "u16", "unit": "mV", "min": 5000, "max": 9000, "default": 7300,
     "doc": "LOW_BATTERY safe mode recovers above this voltage held for pwr_dwell_s."},
    {"id": 34, "name": "pwr_critical_mv", "type": "u16", "unit": "mV", "min": 5000, "max": 9000, "default": 6400,
     "doc": "CRITICAL below this voltage."},
    {"id": 35, "name": "pwr_full_mv", "type": "u16", "unit": "mV", "min": 5000, "max": 9000, "default": 8200,
     "doc": "FULL above this voltage."},
    {"id": 36, "name": "pwr_dwell_s", "type": "u16", "unit": "s", "min": 0, "max": 600, "default": 10,
     "doc": "Battery-mode changes need their condition for this long."},
    {"id": 37, "name": "pwr_shed_soc_pct", "type": "u8", "unit": "%", "min": 5, "max": 95, "default": 60,
     "doc": "P4 is shed below this SOC, then P3, P2, P1 every 15 % lower; restored 5 % above."},
    {"id": 38, "name": "pwr_latch_limit_a", "type": "f32", "unit": "A", "min": 0.05, "max": 20.0, "default": 2.5,
     "doc": "Channel current limit (filtered) for latch-up protection."},
    {"id": 39, "name": "pwr_latch_trips", "type": "u8", "unit": "", "min": 1, "max": 20, "default": 3,
     "doc": "Trips within pwr_latch_window_s that leave a channel latched off."},
    {"id": 40, "name": "pwr_latch_window_s", "type": "u16", "unit": "s", "min": 1, "max": 3600, "default": 60,
     "doc": "Window for counting latch-up trips."},
    {"id": 41, "name": "pwr_source_stable_s", "type": "u16", "unit": "s", "min": 0, "max": 7200, "default": 60,
     "doc": "A recovered source must hold this long before shed loads come back."},
    {"id": 42, "name": "pwr_ground_wdt_s", "type": "u32", "unit": "s", "min": 600, "max": 2592000, "default": 172800,
     "doc": "No ground contact this long: power-cycle the comms channel once (GomSpace default 48 h)."},
    {"id": 4, "name": "replay_per_tick", "type": "u16", "unit": "", "min": 1, "max": 1000, "default": 50,
     "doc": "Stored packets sent per main-loop pass during a replay."},
)

# Housekeeping structures (ST[3], TM[3,25]): fields in report order.
HK = (
    {"sid": 1, "name": "core", "apid": "core", "interval_param": "hk_core_interval_s",
     "fields": (
         ("time_s", "u32", "s"), ("uptime_s", "u32", "s"), ("boot_count", "u16", ""),
         ("tc_accepted", "u16", ""), ("tc_rejected", "u16", ""), ("frames_ok", "u32", ""),
         ("frames_bad", "u16", ""), ("crc_errors", "u16", ""), ("auth_rejects", "u16", ""),
         ("tm_sent", "u32", ""), ("tm_stored", "u32", ""), ("heap_free_b", "u32", "B"),
         ("sched_pending", "u8", ""), ("store_faults", "u8", ""),
     )},
    {"sid": 2, "name": "radmon", "apid": "radmon", "interval_param": "hk_rad_interval_s",
     "fields": (
         ("dose_rate_uGy_h", "f32", "uGy/h"), ("mean_1min_uGy_h", "f32", "uGy/h"), ("mean_1h_uGy_h", "f32", "uGy/h"),
         ("mean_24h_uGy_h", "f32", "uGy/h"), ("dose_total_gy", "f32", "Gy"), ("dose_eq_total_sv", "f32", "Sv"),
         ("dose_24h_gy", "f32", "Gy"), ("dose_30d_gy", "f32", "Gy"), ("background_uGy_h", "f32", "uGy/h"),
         ("quality", "f32", ""), ("alarm", "u8", ""), ("sensor_state", "u8", ""), ("counts", "u32", ""),
         ("flagged_dose_gy", "f32", "Gy"),
     )},
    {"sid": 3, "name": "rad_sample", "apid": "radmon", "interval_param": None,
     "fields": (
         ("t_s", "u32", "s"), ("t_ms", "u16", "ms"), ("dose_rate_gy_s", "f32", "Gy/s"), ("quality", "f32", ""),
         ("counts", "u32", ""), ("sensor_state", "u8", ""), ("dose_total_gy", "f32", "Gy"),
     )},
    {"sid": 4, "name": "power", "apid": "power", "interval_param": "hk_pwr_interval_s",
     "fields": (
         ("bus_v", "f32", "V"), ("battery_v", "f32", "V"), ("battery_a", "f32", "A"), ("battery_temp_c", "f32", "C"),
         ("soc_pct", "f32", "%"), ("tte_h", "f32", "h"), ("solar_a", "f32", "A"), ("fission_a", "f32", "A"),
         ("mode", "u8", ""), ("safe_reason", "u8", ""), ("shed_level", "u8", ""), ("shelter", "u8", ""),
         ("switches", "u8", ""), ("latched", "u8", ""), ("trips_total", "u16", ""), ("sources_ok", "u8", ""),
     )},
)

# Events (ST[5]): arguments in report order.
EVENTS = (
    {"id": 1, "name": "BOOT", "severity": "info",
     "args": (("boot_count", "u16", ""), ("reset_cause", "u8", ""), ("clean", "u8", ""),
              ("dict_hash", "u32", ""), ("version", "bytes", "")),
     "doc": "Board started; reset_cause 0 power-on, 1 commanded, 2 watchdog, 3 unknown."},
    {"id": 2, "name": "UNCLEAN_REBOOT", "severity": "medium", "args": (("boot_count", "u16", ""),),
     "doc": "The previous run ended without an orderly shutdown (power loss, hang, crash)."},
    {"id": 3, "name": "STORE_CORRUPT", "severity": "medium",
     "args": (("file", "u8", ""), ("action", "u8", "")),
     "doc": "A persisted file failed its checksum; action 1 used the previous copy, 2 the defaults."},
    {"id": 4, "name": "AUTH_REJECTED", "severity": "high",
     "args": (("reason", "u8", ""), ("key_id", "u8", ""), ("seq", "u32", "")),
     "doc": "A telecommand failed authentication (reason is its ST[1] failure code)."},
    {"id": 5, "name": "TIME_SET", "severity": "info", "args": (("old_s", "u32", "s"), ("new_s", "u32", "s")),
     "doc": "Board time was set by ground."},
    {"id": 6, "name": "PARAM_SET", "severity": "info", "args": (("param_id", "u16", ""), ("value", "f32", "")),
     "doc": "A parameter changed."},
    {"id": 7, "name": "MAINTENANCE", "severity": "medium", "args": (),
     "doc": "The flight loop stopped for maintenance; the REPL is available."},
    {"id": 9, "name": "IDENTITY", "severity": "info",
     "args": (("dict_hash", "u32", ""), ("boot_count", "u16", ""), ("version", "bytes", "")),
     "doc": "Answer to IDENTIFY: what firmware and dictionary the board runs."},
    {"id": 20, "name": "RAD_ALARM", "severity": "high",
     "args": (("old", "u8", ""), ("new", "u8", ""), ("rate_uGy_h", "f32", "uGy/h")),
     "doc": "Alarm level changed: 0 NOMINAL, 1 ELEVATED, 2 SPE_WATCH, 3 STORM_SHELTER."},
    {"id": 21, "name": "RAD_SENSOR", "severity": "medium", "args": (("state", "u8", ""), ("reason", "u8", "")),
     "doc": "Dosimeter state: 0 OK, 1 FAULT; reason 1 stuck at zero, 2 saturated, 3 impossible jump, 4 ground reset."},
    {"id": 22, "name": "RAD_DOSE_CLEARED", "severity": "medium", "args": (("old_total_gy", "f32", "Gy"),),
     "doc": "Dose totals were zeroed by ground."},
    {"id": 30, "name": "PWR_MODE", "severity": "medium", "args": (("old", "u8", ""), ("new", "u8", ""), ("reason", "u8", "")),
     "doc": "Power mode: 0 CRITICAL, 1 SAFE, 2 NORMAL, 3 FULL; reason 1 LOW_BATTERY, 2 GROUND_COMMAND, 3 SYSTEM_FAULT."},
    {"id": 31, "name": "PWR_SHED", "severity": "medium", "args": (("level", "u8", ""), ("soc_pct", "f32", "%")),
     "doc": "Shed ladder moved to this level (0: nothing shed; 4: P1 and below shed)."},
    {"id": 32, "name": "PWR_LATCHUP", "severity": "high",
     "args": (("channel", "u8", ""), ("current_a", "f32", "A"), ("trips", "u8", ""), ("latched", "u8", "")),
     "doc": "A channel tripped on over-current; latched = 1 when it stays off."},
    {"id": 33, "name": "PWR_SOURCE", "severity": "high", "args": (("source", "u8", ""), ("ok", "u8", "")),
     "doc": "A power source was lost (ok 0) or came back and held (ok 1); 0 solar, 1 fission, 2 bench."},
    {"id": 34, "name": "PWR_SHELTER", "severity": "high", "args": (("on", "u8", ""),),
     "doc": "Storm-shelter power mode entered or left."},
    {"id": 35, "name": "PWR_GROUND_WDT", "severity": "high", "args": (("channel", "u8", ""),),
     "doc": "No ground contact for pwr_ground_wdt_s: the comms channel was power-cycled."},
    {"id": 10, "name": "TASK_FAULT", "severity": "high", "args": (("task", "u8", ""), ("faults", "u16", "")),
     "doc": "A scheduled task raised an exception; the loop went on (task index in run order)."},
    {"id": 8, "name": "SCHED_RELEASED", "severity": "info", "args": (("service", "u8", ""), ("subtype", "u8", "")),
     "doc": "A time-tagged command was released."},
    {"id": 11, "name": "REPLAY_LOCKED", "severity": "high", "args": (("nonce", "u32", ""),),
     "doc": "The anti-replay record was lost (its newest copy corrupt): every command is refused (failure 15) "
            "until RESYNC_REPLAY with this nonce (new at every boot).  Sent at boot and with each refusal."},
    {"id": 13, "name": "STORE_REPLAY_DONE", "severity": "info",
     "args": (("from_s", "u32", "s"), ("to_s", "u32", "s"), ("sent", "u16", "")),
     "doc": "The ST[15] replay of [from_s, to_s] has sent its last stored packet (sent: how many); it follows the "
            "replay's [1,7], which comes first."},
    {"id": 12, "name": "KEYS_INVALID", "severity": "high", "args": (("reason", "u8", ""),),
     "doc": "keys.bin is missing (1) or malformed (2): no key is accepted (the development key only on the "
            "simulated board)."},
)

# Load channels of the power manager: (name, priority class 0 critical .. 4 comfort)
CHANNELS = (("controller", 0), ("receiver", 0), ("life_support", 1), ("thermal", 2), ("comms", 2),
            ("payload", 3), ("comfort", 4), ("spare", 4))

# Dosimeter pulse-height channel: 16 log-spaced LET bins from 0.1 to 1000 keV/um
LET_EDGES_KEV_UM = (0.1, 0.1778, 0.3162, 0.5623, 1.0, 1.778, 3.162, 5.623, 10.0, 17.78, 31.62, 56.23, 100.0,
                    177.8, 316.2, 562.3, 1000.0)

# Files the persistence layer names in STORE_CORRUPT events.
STORE_FILES = {1: "params", 2: "boot", 3: "replay", 4: "sched", 5: "radmon", 6: "power"}
