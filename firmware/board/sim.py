# The simulated board: the unchanged firmware in the MicroPython unix port.  The serial line is
# the process's stdin/stdout (a pseudo-terminal set up by the bench), carrying exactly the bytes
# a USB-CDC board would.  Time and sensors come from the bench over a side channel, a Unix
# socket named by ZARYA_SIM_SOCKET, one JSON line per exchange (docs/simulator.md):
#   bench -> board  {"dt_ms": 1000, "sensors": {...}, "counter": 123, "let": [...], "hang": false}
#   board -> bench  {"ticks": ..., "fed": ..., "switches": {...}}  after the pass it ran
# Without a bench the board runs in real time on the VM's own clock.
import json
import os
import sys
import time

from board.stdio import StdioSerial

PERIOD = 1 << 30  # ticks wrap as on rp2, so wrap bugs show up in the simulator too
HALF = PERIOD >> 1


class SimBoard(StdioSerial):
    storage_root = ""
    key_path = "keys.bin"
    accepts_dev_key = True
    tm_store_slots = 16384  # 2.6 MB: over an hour of telemetry at the 1 Hz rates

    def __init__(self):
        self.ticks = 0
        self.sensors = {}
        self.count = 0
        self.let_counts = []
        self.switches = {}
        self.fed = 0
        StdioSerial.__init__(self)
        self.bench = None
        self.brownout_armed = False
        self.started = time.ticks_ms()
        path = os.getenv("ZARYA_SIM_SOCKET")
        if path:
            import socket  # type: ignore[import-not-found]  # the unix port's, not the Pico's
            import struct

            self.bench = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            # the unix port takes a raw struct sockaddr_un: family, path, NUL
            self.bench.connect(struct.pack("<H", socket.AF_UNIX) + path.encode() + b"\0")
            self.bench_rx = b""
            self._exchange()  # the first step sets time and sensors before boot
        else:
            self.ticks = 0

    # time
    def ticks_ms(self):
        if self.bench:
            return self.ticks
        return time.ticks_diff(time.ticks_ms(), self.started) & (PERIOD - 1)

    @staticmethod
    def ticks_diff(a, b):
        return ((a - b + HALF) & (PERIOD - 1)) - HALF

    @staticmethod
    def ticks_add(a, delta):
        return (a + delta) & (PERIOD - 1)

    # sensors and actuators
    def sensor(self, name, default=0.0):
        return self.sensors.get(name, default)

    def counter(self):
        return self.count

    def let_histogram(self):
        return self.let_counts

    def switch(self, channel, on):
        self.switches[channel] = 1 if on else 0

    # watchdog, reset, storage
    def watchdog_start(self):
        self.fed = self.ticks_ms()

    def watchdog_feed(self):
        self.fed = self.ticks_ms()

    @staticmethod
    def reset_cause():
        cause = os.getenv("ZARYA_RESET_CAUSE")
        return int(cause) if cause else 0

    def flash_write_hook(self, name):
        """Called mid-write by the store: if the bench armed a brownout, power goes now."""
        bench = self.bench
        if self.brownout_armed and bench is not None:
            bench.send((json.dumps({"flash_write": name}) + "\n").encode())
            while True:  # the bench removes power (kills the VM) here
                time.sleep_ms(1000)

    def idle(self):
        if self.bench:
            self._exchange()
        else:
            time.sleep_ms(5)

    def finish(self, reason):
        """End of the flight loop: the bench restarts the VM after a reset (exit 3) and serves
        the REPL after maintenance (exit 4)."""
        sys.exit(3 if reason == "reset" else 4)

    def _exchange(self):
        bench = self.bench
        assert bench is not None
        reply = {"ticks": self.ticks, "fed": self.fed, "switches": self.switches}
        bench.send((json.dumps(reply) + "\n").encode())
        while b"\n" not in self.bench_rx:
            chunk = bench.recv(1024)  # small: the side channel is the simulator's, not heap a Pico spends
            if not chunk:
                sys.exit(5)  # the bench went away: power removed
            self.bench_rx += chunk
        line, _, self.bench_rx = self.bench_rx.partition(b"\n")
        step = json.loads(line)
        if step.get("hang"):
            while True:  # a firmware hang: stop everything, the watchdog must catch it
                pass
        self.ticks = (self.ticks + step.get("dt_ms", 0)) & (PERIOD - 1)
        sensors = step.get("sensors")
        if sensors:
            self.sensors.update(sensors)
        if "counter" in step:
            self.count = step["counter"]
        if "let" in step:
            self.let_counts = step["let"]
        if "brownout" in step:
            self.brownout_armed = step["brownout"]
