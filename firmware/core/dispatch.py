# Telecommand handling: packet checks, authentication, arm-then-fire, argument checks against
# the dictionary, and ST[1] verification reports (acceptance 1/2, start 3, completion 7/8).
# A command that fails any check is reported with its failure code and never executed.
# Arm then fire (docs/protocol.md section 3): ARM names one (service, subtype, function); the
# very next TC that reaches the dispatcher must be that command, within arm_window_s measured
# in board milliseconds.  Every TC that reaches the dispatcher disarms first (authenticated or
# not, good CRC or not, live or released from the time schedule), so anything in between ARM
# and the fire leaves it unarmed.
import struct

from core import auth, codec, failures, packets

DATA_START = packets.PRIMARY_LEN + packets.TC_SEC_LEN  # the security header
ARGS_START = DATA_START + auth.SEC_HEADER_LEN


class Dispatcher:
    def __init__(self, dictionary, keyring, tm, clock, params, on_auth_reject, on_seq_accepted):
        self.apid_names = {}
        for name in dictionary.APIDS:
            self.apid_names[dictionary.APIDS[name]] = name
        self.commands = {}
        for cmd in dictionary.COMMANDS:
            self.commands[(cmd["apid"], cmd["service"], cmd["subtype"], cmd["function"])] = cmd
        self.mac_len = dictionary.MAC_LEN
        self.handlers = {}
        self.keyring = keyring
        self.tm = tm
        self.clock = clock
        self.params = params
        self.on_auth_reject = on_auth_reject
        self.on_seq_accepted = on_seq_accepted
        self.armed = None  # (service, subtype, function, ticks_ms, uptime_s, window_s) of the last ARM
        self.resync_key = None  # (key id, number) of a RESYNC_REPLAY let through a lost anti-replay record
        self.on_accepted = None  # called for every authenticated TC (ground contact)
        self.accepted = 0
        self.rejected = 0
        self.crc_errors = 0
        self.auth_rejects = 0
        self.malformed = 0
        self.handlers["ARM"] = self._arm
        self.handlers["RESYNC_REPLAY"] = self._resync

    def register(self, name, fn):
        """fn(args) runs an accepted command: returns 0 (completed) or a failure code."""
        self.handlers[name] = fn

    def _report(self, subtype, rid, code=0):
        if code:
            self.tm.send("core", 1, subtype, struct.pack(">IH", rid, code))
        else:
            self.tm.send("core", 1, subtype, struct.pack(">I", rid))

    def _fail(self, rid, code):
        self.rejected += 1
        self._report(2, rid, code)

    def handle(self, buf, n, preauthenticated=False):
        """Check, verify and run the TC in buf[:n]."""
        armed = self.armed
        self.armed = None  # whatever this is, it comes between an ARM and its fire
        self.resync_key = None
        status, apid, _, service, subtype, _ = packets.parse_tc(buf, n)
        if status == packets.TC_CRC:
            self.crc_errors += 1  # the header cannot be trusted: no report
            return
        if status != packets.TC_OK:
            self.malformed += 1
            return
        rid = packets.request_id(buf)
        apid_name = self.apid_names.get(apid)
        if apid_name is None:
            return self._fail(rid, failures.UNKNOWN_APID)
        mac_end = n - packets.CRC_LEN
        args_end = mac_end - self.mac_len
        if args_end < ARGS_START:
            return self._fail(rid, failures.BAD_LENGTH)
        function = None
        args_start = ARGS_START
        if service == 8 and subtype == 1 and args_end - args_start >= 2:
            function = buf[args_start] << 8 | buf[args_start + 1]
            args_start += 2
        cmd = self.commands.get((apid_name, service, subtype, function))
        if not preauthenticated:
            failure = self.authenticate(buf, n, cmd is not None and cmd["name"] == "RESYNC_REPLAY")
            if failure:
                return self._fail(rid, failure)
        if service == 8 and subtype == 1 and function is None:
            return self._fail(rid, failures.BAD_LENGTH)
        if cmd is None:
            return self._fail(rid, failures.UNKNOWN_FUNCTION if function is not None else failures.UNKNOWN_SERVICE)
        args = codec.unpack(cmd["args"], buf, args_start, args_end)
        if args is None:
            return self._fail(rid, failures.BAD_LENGTH)
        if codec.out_of_range(cmd["args"], args) >= 0:
            return self._fail(rid, failures.OUT_OF_RANGE)
        if cmd["hazardous"] and not self._armed_for(armed, service, subtype, function):
            return self._fail(rid, failures.NOT_ARMED)
        if cmd["name"] == "RESYNC_REPLAY" and self.resync_key is None:
            return self._fail(rid, failures.WRONG_MODE)  # nothing to re-set: the numbers are known
        self.accepted += 1
        self._report(1, rid)
        handler = self.handlers.get(cmd["name"])
        if handler is None:
            return self._report(8, rid, failures.EXEC_FAILED)
        self._report(3, rid)
        try:
            failure = handler(args)
        except Exception:  # a failing handler is reported, never fatal to the loop
            failure = failures.EXEC_FAILED
        self._report(8 if failure else 7, rid, failure)

    def authenticate(self, buf, n, resync=False):
        """0 or the failure code of the security header and MAC of the TC in buf[:n]; a good
        TC's anti-replay number is consumed (and persisted by on_seq_accepted).  resync: the TC
        is a RESYNC_REPLAY, let through a locked key if it carries this boot's nonce (its number
        is not consumed here: the command re-sets it)."""
        key_id = buf[DATA_START]
        seq = struct.unpack_from(">I", buf, DATA_START + 1)[0]
        failure = self.keyring.check(buf, n - packets.CRC_LEN, key_id, seq)
        if failure == failures.REPLAY_LOST and resync and \
                struct.unpack_from(">I", buf, ARGS_START + 2)[0] == self.keyring.nonce:
            self.resync_key = (key_id, seq)
            return 0
        if failure:
            self.auth_rejects += 1
            self.on_auth_reject(failure, key_id, seq)
            return failure
        self.keyring.accept(key_id, seq)
        self.on_seq_accepted()
        if self.on_accepted is not None:
            self.on_accepted()
        return 0

    def _resync(self, args):
        """RESYNC_REPLAY (let through by authenticate): the key's last number becomes
        max(floor, this TC's number), persisted; the key is unlocked."""
        key = self.resync_key
        if key is None or args[0] != self.keyring.nonce:
            return failures.REPLAY_LOST
        self.keyring.accept(key[0], max(key[1], args[1]))
        self.on_seq_accepted()
        if self.on_accepted is not None:
            self.on_accepted()
        return 0

    def _arm(self, args):
        clock = self.clock
        self.armed = (args[0], args[1], args[2], clock.last_ticks, clock.uptime_s, self.params.get("arm_window_s"))
        return 0

    def _armed_for(self, armed, service, subtype, function):
        """The ARM taken from just before this TC names it and is at most its window old, in
        board milliseconds (and in uptime seconds, so a tick counter that wrapped cannot revive
        an old ARM)."""
        if armed is None:
            return False
        clock = self.clock
        elapsed_ms = clock.board.ticks_diff(clock.last_ticks, armed[3])
        window_s = armed[5]
        if not 0 <= elapsed_ms <= window_s * 1000 or clock.uptime_s - armed[4] > window_s + 1:
            return False
        return armed[0] == service and armed[1] == subtype and armed[2] == (function or 0)
