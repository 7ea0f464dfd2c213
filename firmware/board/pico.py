# The Raspberry Pi Pico (RP2040) board.  USB CDC is the serial line: Ctrl-C is disabled so
# binary frames are never taken for an interrupt (ENTER_MAINTENANCE restores it).  The GM tube
# feeds a pin-interrupt counter, read out into a 32-bit pulse count (the interrupt only adds
# to a small integer, so it never allocates; the 32-bit total grows at read time); INA219 current
# and voltage monitors sit on I2C0; load switches are GPIO outputs; the hardware watchdog runs
# at 8 s (RP2040 limit 8.388 s) and is fed only by the main loop.
import struct
import time

import machine
import micropython

from board.stdio import StdioSerial
from core import boot

COUNTER_PIN = 15
SWITCH_PINS = (2, 3, 4, 5, 6, 7, 8, 9)
INA219_ADDRESSES = {"bus": 0x40, "battery": 0x41, "solar": 0x44, "fission": 0x45}
WATCHDOG_MS = 8000


class PicoBoard(StdioSerial):
    storage_root = ""
    key_path = "keys.bin"
    accepts_dev_key = False
    tm_store_slots = 2048

    def __init__(self):
        micropython.kbd_intr(-1)
        StdioSerial.__init__(self)
        self.pulses = 0  # since the last read, counted by the interrupt
        self.count = 0  # the 32-bit total
        self.counter_pin = machine.Pin(COUNTER_PIN, machine.Pin.IN)
        self.counter_pin.irq(self._pulse, machine.Pin.IRQ_RISING)
        self.switch_pins = [machine.Pin(p, machine.Pin.OUT, value=0) for p in SWITCH_PINS]
        self.i2c = machine.I2C(0, sda=machine.Pin(0), scl=machine.Pin(1), freq=400000)
        self.adc_temp = machine.ADC(4)
        self.wdt = None

    def _pulse(self, pin):
        self.pulses += 1

    # time
    @staticmethod
    def ticks_ms():
        return time.ticks_ms()

    @staticmethod
    def ticks_diff(a, b):
        return time.ticks_diff(a, b)

    @staticmethod
    def ticks_add(a, delta):
        return time.ticks_add(a, delta)

    # sensors and actuators
    def sensor(self, name, default=0.0):
        if name == "board_temp_c":
            return 27 - (self.adc_temp.read_u16() * 3.3 / 65535 - 0.706) / 0.001721
        monitor, _, quantity = name.partition(":")
        address = INA219_ADDRESSES.get(monitor)
        if address is None:
            return default
        try:
            if quantity == "v":
                raw = struct.unpack(">H", self.i2c.readfrom_mem(address, 0x02, 2))[0]
                return (raw >> 3) * 0.004
            raw = struct.unpack(">h", self.i2c.readfrom_mem(address, 0x01, 2))[0]
            return raw * 1e-5 / 0.1  # shunt register (10 uV/bit) over a 0.1 ohm shunt
        except OSError:
            return default

    def counter(self):
        state = machine.disable_irq()
        pulses, self.pulses = self.pulses, 0
        machine.enable_irq(state)
        self.count = (self.count + pulses) & 0xFFFFFFFF
        return self.count

    @staticmethod
    def let_histogram():
        return []

    def switch(self, channel, on):
        if 0 <= channel < len(self.switch_pins):
            self.switch_pins[channel].value(1 if on else 0)

    # watchdog, reset, storage
    def watchdog_start(self):
        self.wdt = machine.WDT(timeout=WATCHDOG_MS)

    def watchdog_feed(self):
        if self.wdt is not None:
            self.wdt.feed()

    @staticmethod
    def reset_cause():
        # rp2 reports WDT_RESET after machine.reset() too; the boot records decide
        return boot.WATCHDOG if machine.reset_cause() == machine.WDT_RESET else boot.POWER_ON

    @staticmethod
    def idle():
        time.sleep_ms(1)

    def finish(self, reason):
        if reason == "reset":
            machine.reset()
        micropython.kbd_intr(3)  # maintenance: back to the REPL with Ctrl-C working
        self.keep_alive_in_repl()

    def keep_alive_in_repl(self):
        """The RP2040 watchdog cannot be stopped: feed it from a timer while in the REPL."""
        if self.wdt is not None:
            wdt = self.wdt
            self.keepalive = machine.Timer(-1, period=1000, callback=lambda t: wdt.feed())
