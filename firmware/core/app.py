# The flight core: wires board, clock, record store, link, dispatcher and services, then runs the
# main loop.  Order of work in every pass:
#   1. clock update from the board ticks
#   2. link receive; each whole telecommand is verified and run at once
#   3. due tasks, in the order added: the applications' tasks (radmon, power), then the
#      ST[11] time-schedule release (1 Hz) and housekeeping (1 Hz check, per-structure intervals)
#   4. ST[15] replay: at most replay_per_tick stored packets
#   5. health checks, and only if they pass the watchdog is fed
#   6. board idle: a short sleep on the Pico, the bench exchange on the simulated board
import gc
import os
import struct

import dictionary
from core import auth, failures, packets
from core.boot import COMMANDED, BootRecord
from core.clock import Clock
from core.dicthash import hash32, trim
from core.dispatch import Dispatcher
from core.link import Link
from core.params import Params
from core.records import RecordStore
from core.tasks import Scheduler
from core.telemetry import Telemetry
from core.time_schedule import TimeSchedule
from core import tm_storage
from core.tm_storage import TmStorage


class App:
    def __init__(self, board):
        self.dict_hash = hash32(dictionary)
        trim(dictionary)
        gc.collect()
        self.board = board
        self.running = True
        self.exit_reason = None
        self.corrupt = []  # STORE_CORRUPT events raised before telemetry is up
        self.store = RecordStore(board.storage_root, getattr(board, "flash_write_hook", None), dictionary.STORE_FILES,
                                 self._corrupt)
        self.params = Params(dictionary.PARAMS, self.store)
        self.boot = BootRecord(self.store, board.reset_cause())
        self.clock = Clock(board)
        self.link = Link(board, dictionary.MAX_PACKET)
        tm_storage.remove_legacy(self.store.path("tmstore.bin"))
        tm_storage.remove_legacy(self.store.path("tmstore.bin.idx"))
        self.tm_storage = TmStorage(self.store.path("tm"), board.tm_store_slots, packets.tm_time)
        self.tm = Telemetry(dictionary, packets.TmWriter(dictionary.MAX_PACKET), self.link, self.clock, self.tm_storage)
        self._continue_from_store()
        self.keyring = self._load_keyring(board)
        self.dispatcher = Dispatcher(dictionary, self.keyring, self.tm, self.clock, self.params,
                                     self._auth_rejected, self._seq_accepted)
        self.schedule = TimeSchedule(self.store, self.dispatcher, self.clock,
                                     lambda service, subtype: self.tm.event("SCHED_RELEASED", service, subtype))
        self.hk_enabled = {s["sid"]: True for s in dictionary.HK}
        self.hk_due = {s["sid"]: 0 for s in dictionary.HK}
        self.hk_providers = {1: self._core_hk}
        self.replaying = False
        self.sched = Scheduler(board, self._task_fault)
        self._handle = self.dispatcher.handle  # bound once: binding it every pass allocates
        self._install_services()

    def _continue_from_store(self):
        """Board time and the TM sequence counts go on from the newest stored packet (the board
        has no clock that survives a reset), so packets of every boot stay ordered and a time
        range replays one boot's packets or another's, never both under one time."""
        newest_s, seqs = self.tm_storage.newest(len(dictionary.APIDS))
        if newest_s >= 0:
            self.clock.time_s = newest_s + 1
        for apid, count in seqs.items():
            self.tm.writer.seq[apid] = (count + 1) & 0x3FFF

    def _load_keyring(self, board):
        """keys.bin (a board that does not accept the development key accepts no key at all if
        the file is missing or malformed: KEYS_INVALID) and the anti-replay record, locked if
        it was lost (REPLAY_LOCKED; core/auth.py says how ground unlocks it)."""
        keys, self.key_fault = auth.load_keys(board.key_path)
        if board.accepts_dev_key:
            keys[auth.DEV_KEY_ID] = auth.DEV_KEY
            if self.key_fault == auth.KEYS_MISSING:
                self.key_fault = 0  # the simulated board needs no key file
        replay = auth.parse_replay(self.store.load("replay", {}))
        lost = replay is None or "replay" in self.store.lost
        last_seq, locked = ({}, True) if lost or replay is None else replay
        nonce = struct.unpack(">I", os.urandom(4))[0] if locked else 0
        keyring = auth.KeyRing(keys, last_seq, dictionary.MAC_LEN, locked, nonce)
        if lost:
            self.store.save("replay", keyring.record())  # the lock holds from now on, reboot or not
        return keyring

    # -- events that happen before telemetry or from callbacks ----------------------------
    def _corrupt(self, file_id, action):
        self.corrupt.append((file_id, action))

    def _task_fault(self, index):
        self.tm.event("TASK_FAULT", index, self.sched.tasks[index].faults & 0xFFFF)

    def _auth_rejected(self, reason, key_id, seq):
        self.tm.event("AUTH_REJECTED", reason, key_id, seq)
        if reason == failures.REPLAY_LOST:
            self.tm.event("REPLAY_LOCKED", self.keyring.nonce)

    def _seq_accepted(self):
        self.store.save("replay", self.keyring.record())

    # -- services -------------------------------------------------------------------------
    def _install_services(self):
        d = self.dispatcher
        d.register("PING", lambda args: self.tm.send("core", 17, 2, b"") or 0)
        d.register("IDENTIFY", lambda args: self.tm.event("IDENTITY", self.dict_hash, self.boot.count,
                                                          dictionary.VERSION.encode()) or 0)
        d.register("SET_TIME", self._set_time)
        d.register("HK_ENABLE", lambda args: self._hk_enable(args[0], True))
        d.register("HK_DISABLE", lambda args: self._hk_enable(args[0], False))
        d.register("HK_ONESHOT", lambda args: self._hk_report(args[0]))
        d.register("HK_SET_INTERVAL", self._hk_interval)
        d.register("PARAM_GET", self._param_get)
        d.register("PARAM_SET", self._param_set)
        d.register("SCHED_INSERT", self.schedule.insert)
        d.register("SCHED_RESET", self.schedule.reset)
        d.register("STORE_REPLAY", self._replay)
        d.register("RESET", self._reset)
        d.register("ENTER_MAINTENANCE", self._maintenance)

    def _set_time(self, args):
        old = self.clock.set_time(args[0])
        self.tm.event("TIME_SET", old, args[0])
        return 0

    def _hk_enable(self, sid, enabled):
        if sid not in self.hk_enabled:
            return failures.UNKNOWN_HK
        self.hk_enabled[sid] = enabled
        return 0

    def _hk_interval(self, args):
        sid, interval = args
        structure = self.tm.hk.get(sid)
        if structure is None or structure["interval_param"] is None:
            return failures.UNKNOWN_HK
        failure = self.params.set(self.params.by_name[structure["interval_param"]]["id"], interval)
        self.hk_due[sid] = self.clock.uptime_s
        return failure

    def _hk_report(self, sid):
        provider = self.hk_providers.get(sid)
        if provider is None:
            return failures.UNKNOWN_HK
        self.tm.housekeeping(sid, provider())
        return 0

    def _param_get(self, args):
        p = self.params.by_id.get(args[0])
        if p is None:
            return failures.UNKNOWN_PARAM
        self.tm.send("core", 20, 2, struct.pack(">Hf", args[0], self.params.get(p["name"])))
        return 0

    def _param_set(self, args):
        failure = self.params.set(args[0], args[1])
        if not failure:
            self.tm.event("PARAM_SET", args[0], args[1])
            self.tm.store_enabled = bool(self.params.get("tm_store_enabled"))
        return failure

    def _replay(self, args):
        self.tm_storage.start_replay(args[0], args[1])
        self.replaying = True
        return 0

    def _reset(self, args):
        self.stop("reset")
        return 0

    def _maintenance(self, args):
        self.tm.event("MAINTENANCE")
        self.stop("maintenance")
        return 0

    def stop(self, reason):
        self.boot.shutdown(COMMANDED if reason == "reset" else 0)
        self.exit_reason = reason
        self.running = False

    def _core_hk(self):
        d = self.dispatcher
        return (self.clock.time_s, self.clock.uptime_s, self.boot.count, d.accepted & 0xFFFF, d.rejected & 0xFFFF,
                self.link.frames_ok, (self.link.frames_bad + d.malformed) & 0xFFFF, d.crc_errors & 0xFFFF,
                d.auth_rejects & 0xFFFF, self.tm.sent, self.tm_storage.stored, gc.mem_free(),
                len(self.schedule.entries), min(self.store.faults, 255))

    def _housekeeping(self):
        now_s = self.clock.uptime_s
        for sid in self.hk_due:
            if not self.hk_enabled[sid] or now_s < self.hk_due[sid] or sid not in self.hk_providers:
                continue
            self.hk_due[sid] = now_s + self.params.get(self.tm.hk[sid]["interval_param"])
            self._hk_report(sid)

    def _replay_step(self):
        if self.replaying:
            self.replaying = self.tm_storage.replay_step(self.params.get("replay_per_tick"), self.link.send)
            if not self.replaying:
                st = self.tm_storage
                self.tm.event("STORE_REPLAY_DONE", st.replay_from, st.replay_to, min(st.replay_sent, 0xFFFF))

    # -- the loop -------------------------------------------------------------------------
    def add_task(self, name, period_ms, fn):
        """Applications register their periodic work here, in the order it should run."""
        return self.sched.add(name, period_ms, fn, self.clock.update())

    def announce_boot(self):
        b = self.boot
        self.tm.event("BOOT", b.count, b.cause, 0 if b.unclean else 1, self.dict_hash, dictionary.VERSION.encode())
        if b.unclean:
            self.tm.event("UNCLEAN_REBOOT", b.count)
        for file_id, action in self.corrupt:
            self.tm.event("STORE_CORRUPT", file_id, action)
        if self.key_fault:
            self.tm.event("KEYS_INVALID", self.key_fault)
        if self.keyring.any_locked():
            self.tm.event("REPLAY_LOCKED", self.keyring.nonce)

    def start(self):
        now = self.clock.update()
        self.sched.add("time-schedule", 1000, self.schedule.tick, now)
        self.sched.add("housekeeping", 1000, self._housekeeping, now)
        self.tm.store_enabled = bool(self.params.get("tm_store_enabled"))
        self.board.watchdog_start()
        self.board.serial_write(b"\x00")  # ends whatever a receiver holds, so BOOT is a frame of its own
        self.announce_boot()

    def healthy(self):
        """Checks before the watchdog is fed: heap not exhausted, no task starved."""
        if gc.mem_free() < 4096:
            gc.collect()
            if gc.mem_free() < 4096:
                return False
        return self.sched.most_late_ms(self.clock.last_ticks) < 10000

    def step(self):
        """One pass of the main loop (without the board's idle)."""
        now = self.clock.update()
        self.link.poll(self._handle)
        self.sched.run_due(now)
        self._replay_step()
        if self.healthy():
            self.board.watchdog_feed()

    def run(self):
        self.start()
        board = self.board
        while self.running:
            self.step()
            board.idle()
        board.finish(self.exit_reason)
