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
    {"name": "RESET", "apid": "core", "service": 8, "subtype": 1, "function": 2, "args": (),
     "hazardous": True, "doc": "Orderly reset of the board."},
    {"name": "ENTER_MAINTENANCE", "apid": "core", "service": 8, "subtype": 1, "function": 3, "args": (),
     "hazardous": True, "doc": "Stop the flight loop, restore Ctrl-C and return to the REPL (for flashing)."},
)

# Parameters (ST[20]): range-checked and persisted.  HK intervals are parameters too.
PARAMS = (
    {"id": 1, "name": "arm_window_s", "type": "u16", "unit": "s", "min": 1, "max": 60, "default": 10,
     "doc": "How long an ARM stays valid."},
    {"id": 2, "name": "hk_core_interval_s", "type": "u16", "unit": "s", "min": 1, "max": 65535, "default": 10,
     "doc": "Collection interval of the core housekeeping structure (sid 1)."},
    {"id": 3, "name": "tm_store_enabled", "type": "u8", "unit": "", "min": 0, "max": 1, "default": 1,
     "doc": "Keep downlinked telemetry in the ST[15] store for replay."},
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
    {"id": 8, "name": "SCHED_RELEASED", "severity": "info", "args": (("service", "u8", ""), ("subtype", "u8", "")),
     "doc": "A time-tagged command was released."},
)

# Files the persistence layer names in STORE_CORRUPT events.
STORE_FILES = {1: "params", 2: "boot", 3: "replay", 4: "sched", 5: "radmon", 6: "power"}
