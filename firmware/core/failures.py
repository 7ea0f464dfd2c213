# ST[1] failure codes, carried in TM[1,2] (acceptance) and TM[1,8] (completion) reports: one
# name per code of dictionary.FAILURES (where their texts are), used by every module that
# refuses a command.  Plain assignments, so CPython loads this file too (zarya.dictionary).
UNKNOWN_APID = 1
UNKNOWN_SERVICE = 2  # or subtype
BAD_LENGTH = 3  # or malformed arguments
OUT_OF_RANGE = 4
UNKNOWN_KEY = 5
BAD_MAC = 6
REPLAYED = 7  # or stale anti-replay sequence number
NOT_ARMED = 8  # or the arm expired
WRONG_MODE = 9
EXEC_FAILED = 10
UNKNOWN_PARAM = 11
SCHEDULE_FULL = 12
UNKNOWN_FUNCTION = 13
UNKNOWN_HK = 14
REPLAY_LOST = 15  # the anti-replay record was lost: locked until RESYNC_REPLAY
