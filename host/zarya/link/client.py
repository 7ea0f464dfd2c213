"""The link client: talks to a board (real or simulated) over any pyserial URL.

A background reader decodes frames into Telemetry records, archives them, routes ST[1]
reports to the commands that caused them and hands everything to subscribers.  Commands go out
authenticated and return a CommandHandle that follows ST[1] verification.  Retries re-send the
*same* packet (same anti-replay number): if the first copy did arrive, the board refuses the
copy as a replay, so a command can never run twice.  Sequence-count gaps (a link that dropped
or corrupted frames) trigger an ST[15] replay of the missing time span; holes the replay cannot
fill are recorded in the archive as gaps.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from dataclasses import dataclass, field

import serial

from zarya.dictionary import Dictionary
from zarya.dictionary import load as load_dictionary
from zarya.errors import ZaryaError
from zarya.link.archive import Archive, ArchiveError
from zarya.link.framing import FrameReader, frame
from zarya.link.keys import CommandKey, development_key
from zarya.link.packets import SEQ_MODULUS, BadPacketError, Telemetry, build_tc, decode_tm, missing_between, request_id


class LinkError(ZaryaError, RuntimeError):
    pass


class DictionaryMismatchError(LinkError):
    pass


class CommandTimeoutError(LinkError):
    pass


@dataclass
class CommandHandle:
    """One command's ST[1] story: accepted -> started -> completed, or failed with a reason."""

    name: str
    packet: bytes
    request_id: int
    replayed_code: int  # the ST[1] failure code for a replayed anti-replay number (dictionary.failures.REPLAYED)
    sent_at: float = 0.0
    state: str = "sent"  # sent, accepted, started, completed, failed, duplicate
    failure_code: int = 0
    failure: str = ""
    reports: list[Telemetry] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    accepted_evt: threading.Event = field(default_factory=threading.Event)
    finished_at: float = 0.0
    retried: bool = False  # the same packet went out again

    def on_report(self, tm: Telemetry) -> None:
        self.reports.append(tm)
        if tm.name in ("accepted", "started", "completed"):
            self.state = tm.name
            self.accepted_evt.set()
        if tm.name == "completed":
            self.finished_at = time.monotonic()
            self.done.set()
        if tm.name in ("rejected", "failed"):
            self.failure_code = tm.values.get("failure_code", 0)
            self.failure = tm.values.get("failure", "")
            if tm.name == "rejected" and self.failure_code == self.replayed_code and self.accepted_evt.is_set():
                return  # our own retry bouncing off after the original was accepted
            if tm.name == "rejected" and self.failure_code == self.replayed_code and self.retried:
                self.state = "duplicate"  # the first copy arrived; its reports were lost
                self.accepted_evt.set()
            else:
                self.state = "failed"
            self.finished_at = time.monotonic()
            self.done.set()

    @property
    def ok(self) -> bool:
        return self.state in ("completed", "duplicate")

    def describe(self) -> str:
        if self.state == "failed":
            return f"{self.name}: failed ({self.failure_code}: {self.failure})"
        if self.state == "duplicate":
            return f"{self.name}: accepted by the board (its reports were lost; the retry was refused as a replay)"
        return f"{self.name}: {self.state}"


class LinkClient:
    """Connect with `with LinkClient(url) as link:`; see the module docstring."""

    def __init__(self, url: str, dictionary: Dictionary | None = None, key: CommandKey | None = None,
                 archive: Archive | None = None, baudrate: int = 115200, check_dictionary: bool = True,
                 identify_timeout_s: float = 5.0, replay_gaps: bool = True):
        self.url = url
        self.dictionary = dictionary or load_dictionary()
        self.key = key or development_key()
        self.archive = archive
        self.baudrate = baudrate
        self.check_dictionary = check_dictionary
        self.identify_timeout_s = identify_timeout_s
        self.replay_gaps = replay_gaps
        self.port: serial.Serial | None = None
        self.reader = FrameReader(self.dictionary.module.MAX_PACKET)
        self.write_lock = threading.Lock()
        self.replay_lock = threading.Lock()  # one ST[15] replay at a time
        self.pending: dict[int, CommandHandle] = {}
        self.subscribers: list[queue.Queue] = []
        self.stats = {"packets": 0, "crc_errors": 0, "bad_frames": 0, "gaps": 0, "gaps_unrecovered": 0, "replayed": 0,
                      "reconnects": 0}
        self.last_seq: dict[int, tuple[int, float]] = {}  # apid -> (seq, board time)
        self.latest: dict[str, Telemetry] = {}
        self.events: list[Telemetry] = []
        self.board_identity: dict = {}
        self.boot_count = 0  # the newest boot of the board seen (BOOT or IDENTITY)
        self.tc_seq = 0
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.connected = threading.Event()
        self.replay_requests: list[tuple[float, float]] = []

    # -- connection ---------------------------------------------------------------------------
    def __enter__(self) -> LinkClient:
        self.connect()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _open(self) -> None:
        self.port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=0.05, exclusive=True)

    def connect(self) -> None:
        try:
            self._open()
        except (serial.SerialException, OSError) as err:
            raise LinkError(f"cannot open {self.url}: {err}") from None
        self.port.write(b"\x00")  # ends whatever an earlier session left half-sent on the line
        self.connected.set()
        self.thread = threading.Thread(target=self._read_loop, daemon=True, name="zarya-link-reader")
        self.thread.start()
        try:
            self.identify()
        except BaseException:
            self.close()
            raise

    def identify(self) -> dict:
        """Ask the board what it runs; refuse a board whose dictionary differs (unless told not to)."""
        inbox = self.subscribe()
        try:
            handle = self.send("IDENTIFY")
            deadline = time.monotonic() + self.identify_timeout_s
            while time.monotonic() < deadline:
                if handle.state == "failed":
                    behind = handle.failure_code == handle.replayed_code
                    hint = (f" (this host's anti-replay counter, {self.key.counter_path}, is behind the board's: "
                            "another host commanded it with this key)") if behind else ""
                    raise LinkError(f"the board refused IDENTIFY: {handle.failure}{hint}")
                try:
                    tm = inbox.get(timeout=0.1)
                except queue.Empty:
                    continue
                if tm.kind == "event" and tm.name == "IDENTITY":
                    self.board_identity = {"dict_hash": tm.values["dict_hash"], "boot_count": tm.values["boot_count"],
                                           "version": tm.values["version"].decode(errors="replace")}
                    self.boot_count = max(self.boot_count, tm.values["boot_count"])
                    break
            else:
                raise LinkError(f"no answer from a Zarya board on {self.url} within {self.identify_timeout_s:g} s")
        finally:
            self.unsubscribe(inbox)
        ours = self.dictionary.hash32
        if self.check_dictionary and self.board_identity["dict_hash"] != ours:
            raise DictionaryMismatchError(
                f"board dictionary {self.board_identity['dict_hash']:08x} (firmware {self.board_identity['version']}) "
                f"differs from the host's {ours:08x}: flash matching firmware, or connect with the check disabled")
        return self.board_identity

    def close(self) -> None:
        self.stopping.set()
        if self.thread:
            self.thread.join(timeout=2)
        if self.port:
            with contextlib.suppress(Exception):
                self.port.close()
        if self.archive:
            self.archive.flush()

    # -- reading ------------------------------------------------------------------------------
    def _read_loop(self) -> None:
        backoff = 0.2
        while not self.stopping.is_set():
            try:
                data = self.port.read(1) if self.port else b""  # wait up to the timeout for a first byte,
                if data:  # then take what else has arrived without waiting for a full buffer
                    data += self.port.read(self.port.in_waiting)
            except (serial.SerialException, OSError, TypeError, AttributeError):
                self.connected.clear()
                time.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                with contextlib.suppress(serial.SerialException, OSError):
                    self._open()
                    self.stats["reconnects"] += 1
                    self.connected.set()
                    backoff = 0.2
                continue
            if data:
                for packet in self.reader.feed(data):
                    self._on_packet(packet)
                self.stats["bad_frames"] = self.reader.bad_frames

    def _on_packet(self, raw: bytes) -> None:
        try:
            tm = decode_tm(self.dictionary, raw)
        except BadPacketError:
            self.stats["crc_errors"] += 1
            return
        if tm.kind == "event" and tm.name == "BOOT" and tm.values["boot_count"] > self.boot_count:
            self.boot_count = tm.values["boot_count"]  # a new boot, not a replayed copy of an old one's event
            if tm.board_time_s < self.last_seq.get(tm.apid, (0, 0.0))[1]:
                self.last_seq.clear()  # board time and counts restarted: the board's TM store was empty or off
        replayed = self._track_sequence(tm)
        new = self.archive.add(tm, replayed) if self.archive else True
        if not new:
            return
        self.stats["packets"] += 1
        if replayed:
            self.stats["replayed"] += 1
        if tm.kind == "verification":
            handle = self.pending.get(tm.values["request_id"])
            if handle:
                handle.on_report(tm)
        elif tm.kind == "event":
            self.events.append(tm)
        if tm.kind in ("hk", "event", "param"):
            self.latest[tm.name] = tm
        for q in list(self.subscribers):
            q.put(tm)

    def _track_sequence(self, tm: Telemetry) -> bool:
        """True for a packet older than the newest seen on its APID (a replay); asks for a replay
        when a newer packet shows that some were missed."""
        last = self.last_seq.get(tm.apid)
        if last is not None and tm.board_time_s < last[1]:
            return True
        if last is not None and (tm.seq_count - last[0]) % SEQ_MODULUS in (0, *range(SEQ_MODULUS // 2, SEQ_MODULUS)):
            return True  # the same count again, or an older one within the same second: a replayed copy
        if last is not None:
            missing = missing_between(last[0], tm.seq_count)
            if missing:
                self.stats["gaps"] += 1
                gap = (tm.apid, last[0], tm.seq_count, missing, last[1], tm.board_time_s)
                if self.replay_gaps:
                    self.replay_requests.append((last[1], tm.board_time_s))
                    threading.Thread(target=self._recover_gap, args=gap, daemon=True).start()
                else:
                    self._record_gap(*gap)
        self.last_seq[tm.apid] = (tm.seq_count, tm.board_time_s)
        return False

    def _recover_gap(self, apid: int, after_seq: int, before_seq: int, missing: int, from_s: float, to_s: float,
                     stream_timeout_s: float = 30.0) -> None:
        """Ask the board to replay the span of a sequence gap (ST[15]), wait for the end of the
        replay stream (STORE_REPLAY_DONE), and record in the archive what it did not bring back.
        One replay at a time (a new one would cut the board's current one short); a gap that an
        earlier replay already filled asks for nothing."""
        from_i, to_i = int(from_s), int(to_s) + 1
        with self.replay_lock:
            try:
                if self._lost(apid, after_seq, missing, from_s, to_s) == 0:
                    return
                self._replay_span(from_i, to_i, stream_timeout_s)
                self._record_gap(apid, after_seq, before_seq, missing, from_s, to_s)
            except ArchiveError:
                if not self.stopping.is_set():
                    raise  # a closed client's archive may close under a replay: nothing to record then

    def _replay_span(self, from_i: int, to_i: int, stream_timeout_s: float) -> None:
        inbox = self.subscribe()
        try:
            handle = self.command("STORE_REPLAY", from_s=from_i, to_s=to_i)
            deadline = time.monotonic() + stream_timeout_s
            while handle.ok and time.monotonic() < deadline:
                with contextlib.suppress(queue.Empty):
                    tm = inbox.get(timeout=0.2)
                    if tm.name == "STORE_REPLAY_DONE" and (tm.values["from_s"], tm.values["to_s"]) == (from_i, to_i):
                        break
        except (LinkError, CommandTimeoutError):
            pass  # nothing came back: the whole gap stands
        finally:
            self.unsubscribe(inbox)

    def _lost(self, apid: int, after_seq: int, missing: int, from_s: float, to_s: float) -> int:
        """How many of a gap's packets the archive does not hold (all of them without an archive)."""
        if self.archive is None:
            return missing
        self.archive.flush()
        have = self.archive.sequence_counts(apid, from_s, to_s)
        return sum(1 for k in range(1, missing + 1) if (after_seq + k) % SEQ_MODULUS not in have)

    def _record_gap(self, apid: int, after_seq: int, before_seq: int, missing: int, from_s: float, to_s: float) -> None:
        """Count the packets of a gap that are still missing, and record them in the archive."""
        lost = self._lost(apid, after_seq, missing, from_s, to_s)
        self.stats["gaps_unrecovered"] += lost
        if lost and self.archive is not None:
            self.archive.record_gap(apid, after_seq, lost, from_s, to_s)

    def subscribe(self) -> queue.Queue:
        q: queue.Queue = queue.Queue()
        self.subscribers.append(q)
        return q

    def unsubscribe(self, q: queue.Queue) -> None:
        with contextlib.suppress(ValueError):
            self.subscribers.remove(q)

    # -- commanding ---------------------------------------------------------------------------
    def send(self, name: str, **args) -> CommandHandle:
        """Build (checking arguments against the dictionary before anything is sent), sign and send."""
        with self.write_lock:
            packet = build_tc(self.dictionary, self.key, name, args, self.tc_seq, self.key.next_seq())
            self.tc_seq = (self.tc_seq + 1) % SEQ_MODULUS
            handle = CommandHandle(name, packet, request_id(packet), self.dictionary.failures.REPLAYED)
            self.pending[handle.request_id] = handle
            self._write(packet)
            handle.sent_at = time.monotonic()
        return handle

    def _write(self, packet: bytes) -> None:
        if not self.port:
            raise LinkError("not connected")
        try:
            self.port.write(frame(packet))
        except (serial.SerialException, OSError) as err:
            raise LinkError(f"write to {self.url} failed: {err}") from None

    def command(self, name: str, timeout_s: float = 3.0, retries: int = 2, **args) -> CommandHandle:
        """Send and wait for the outcome; re-send the same packet if no acceptance arrives."""
        handle = self.send(name, **args)
        for attempt in range(retries + 1):
            if handle.accepted_evt.wait(timeout_s) or handle.done.is_set():
                break
            if attempt < retries:
                handle.retried = True
                with self.write_lock:
                    self._write(handle.packet)
        if not handle.done.wait(timeout_s):
            raise CommandTimeoutError(f"{name}: no verification from the board within {timeout_s:g} s "
                                 f"({retries} retries; state {handle.state})")
        return handle

    def arm_and_fire(self, name: str, timeout_s: float = 3.0, **args) -> CommandHandle:
        """A hazardous command: ARM it, then send it."""
        cmd = self.dictionary.commands[name]
        arm = self.command("ARM", timeout_s, service=cmd["service"], subtype=cmd["subtype"],
                           target_function=cmd["function"] or 0)
        if not arm.ok:
            return arm
        return self.command(name, timeout_s, **args)

    def ping_rtt_s(self, timeout_s: float = 3.0) -> float:
        handle = self.command("PING", timeout_s)
        return handle.finished_at - handle.sent_at
