"""Power environment for the simulated board: sources, a battery pack and switched loads.

Battery: a one-RC Thevenin equivalent circuit (V = OCV(SOC) - I R0 - V1, dV1/dt = I/C1 -
V1/(R1 C1), exact exponential update per step) for a 2S2P pack of 18650-class NMC cells (3.35 Ah,
R0 20 mOhm, R1 18 mOhm, tau 30 s at 25 C per cell; resistance x2 at 0 C and x4 at -20 C,
Arrhenius with Ea 20 kJ/mol; no charge below 0 C, half current 0-15 C), per ../shared REFERENCE.md.
Current is positive when the battery discharges.  The bus sits on the battery (direct energy
transfer): what the sources give beyond the loads charges the battery; at full charge the
surplus is shunted.  Sensors are INA219-like: quantised (4 mV bus voltage, 1 mA current) with
Gaussian noise, and each can be faulted (stuck, noise, bias, scale, fail).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from zarya.units import HOUR_S

# OCV of one NMC cell against SOC, a 14-point table shaped like PyBaMM's ECM example set
OCV_SOC = np.array([0.0, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 0.95, 0.98, 1.0])
OCV_CELL_V = np.array([3.20, 3.45, 3.55, 3.63, 3.68, 3.72, 3.76, 3.82, 3.88, 3.95, 4.05, 4.11, 4.16, 4.19])
EA_J_MOL = 20e3
R_GAS = 8.314


@dataclass
class Battery:
    series: int = 2
    parallel: int = 2
    cell_ah: float = 3.35
    r0_cell_ohm: float = 0.020
    r1_cell_ohm: float = 0.018
    tau_s: float = 30.0
    soc: float = 0.9
    temp_c: float = 20.0
    v1: float = 0.0

    @property
    def capacity_ah(self) -> float:
        return self.cell_ah * self.parallel

    def resistance_factor(self) -> float:
        return math.exp(EA_J_MOL / R_GAS * (1 / (self.temp_c + 273.15) - 1 / 298.15))

    def ocv_v(self) -> float:
        return self.series * float(np.interp(self.soc, OCV_SOC, OCV_CELL_V))

    def step(self, current_a: float, dt_s: float) -> float:
        """Apply a discharge current (A, negative charges) for dt_s; returns the terminal voltage."""
        k = self.resistance_factor()
        r0 = self.r0_cell_ohm * self.series / self.parallel * k
        r1 = self.r1_cell_ohm * self.series / self.parallel * k
        c1 = self.tau_s / r1
        decay = math.exp(-dt_s / (r1 * c1))
        self.v1 = self.v1 * decay + current_a * r1 * (1 - decay)
        self.soc = min(1.0, max(0.0, self.soc - current_a * dt_s / HOUR_S / self.capacity_ah))
        return self.ocv_v() - current_a * r0 - self.v1

    def charge_limit_a(self) -> float:
        if self.temp_c < 0:
            return 0.0
        return 0.5 * self.capacity_ah * (0.5 if self.temp_c < 15 else 1.0)  # C/2, halved when cool


@dataclass
class Load:
    name: str
    power_w: float
    priority: int  # 0 critical .. 4 comfort
    inrush_factor: float = 3.0
    inrush_s: float = 0.1
    fault: str | None = None  # "latchup" (until power cycled), "short", "open"
    on_since_s: float = -1.0
    latched: bool = False

    def current_a(self, on: bool, t_s: float, bus_v: float) -> float:
        if not on:
            self.on_since_s = -1.0
            self.latched = False
            return 0.0
        if self.on_since_s < 0:
            self.on_since_s = t_s
        if self.fault == "open":
            return 0.0
        nominal = self.power_w / max(bus_v, 1.0)
        if self.fault == "short" or self.latched:
            return 4.0 * nominal + 1.5
        if self.fault == "latchup":
            self.latched = True
            self.fault = None
            return 4.0 * nominal + 1.5
        if t_s - self.on_since_s < self.inrush_s:
            return nominal * self.inrush_factor
        return nominal


@dataclass
class FissionUnit:
    rated_w: float = 40.0
    state: str = "running"  # running, tripped, restarting
    restart_s: float = 600.0
    derate: float = 1.0
    changed_at_s: float = 0.0

    def power_w(self, t_s: float) -> float:
        if self.state == "tripped":
            return 0.0
        if self.state == "restarting":
            ramp = (t_s - self.changed_at_s) / self.restart_s
            if ramp >= 1:
                self.state = "running"
            return self.rated_w * self.derate * min(1.0, ramp)
        return self.rated_w * self.derate


@dataclass
class SensorFault:
    kind: str  # stuck, noise, bias, scale, fail
    value: float = 0.0
    until_s: float = math.inf


DEFAULT_LOADS = [
    Load("controller", 1.0, 0), Load("receiver", 1.5, 0), Load("life_support", 6.0, 1), Load("thermal", 4.0, 2),
    Load("comms", 3.0, 2), Load("payload", 5.0, 3), Load("comfort", 2.0, 4), Load("spare", 0.0, 4),
]


@dataclass
class PowerEnvironment:
    battery: Battery = field(default_factory=Battery)
    loads: list[Load] = field(default_factory=lambda: [Load(**vars(x)) for x in DEFAULT_LOADS])
    solar_w_1au: float = 30.0
    fission: FissionUnit | None = None
    bench_w: float = 0.0
    illuminated_of_t: object = None  # callable t_s -> 0..1 (eclipses); always lit if None
    r_au_of_t: object = None
    seed: int = 2
    noise_lsb: float = 1.0

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)
        self.t_s = 0.0
        self.sensor_faults: dict[str, SensorFault] = {}
        self.truth: dict = {}
        self.bus_v = self.battery.ocv_v()

    def solar_w(self, t_s: float) -> float:
        lit = self.illuminated_of_t(t_s) if self.illuminated_of_t else 1.0
        r = self.r_au_of_t(t_s) if self.r_au_of_t else 1.0
        return self.solar_w_1au * lit / (r * r)

    def step(self, dt_s: float, switches: dict) -> dict:
        t = self.t_s + dt_s
        self.t_s = t
        bus_v = self.bus_v
        ch_i = [ld.current_a(bool(switches.get(str(i), 0)), t, bus_v) for i, ld in enumerate(self.loads)]
        load_a = sum(ch_i)
        sources = {"solar": self.solar_w(t), "fission": self.fission.power_w(t) if self.fission else 0.0,
                   "bench": self.bench_w}
        source_a = {k: w / max(bus_v, 1.0) for k, w in sources.items()}
        battery_a = load_a - sum(source_a.values())  # discharge positive
        if battery_a < 0:  # charging: limited by temperature and full charge; the rest is shunted
            limit = self.battery.charge_limit_a() if self.battery.soc < 1.0 else 0.0
            battery_a = max(battery_a, -limit)
        self.bus_v = self.battery.step(battery_a, dt_s)
        self.truth = {"t_s": t, "soc": self.battery.soc, "bus_v": self.bus_v, "battery_a": battery_a,
                      "load_a": load_a, **{f"{k}_w": w for k, w in sources.items()}}
        values = {"bus:v": self.bus_v, "battery:v": self.bus_v, "battery:i": battery_a, "battery:temp_c": self.battery.temp_c,
                  "solar:i": source_a["solar"], "fission:i": source_a["fission"], "bench:i": source_a["bench"],
                  **{f"ch{i}:i": a for i, a in enumerate(ch_i)}}
        return {name: self._measure(name, v) for name, v in values.items()}

    def _measure(self, name: str, value: float) -> float:
        lsb = 0.004 if name.endswith(":v") else (0.1 if name.endswith("temp_c") else 0.001)
        fault = self.sensor_faults.get(name)
        if fault and self.t_s > fault.until_s:
            del self.sensor_faults[name]
            fault = None
        if fault:
            if fault.kind == "stuck":
                return fault.value
            if fault.kind == "fail":
                return 0.0
            if fault.kind == "bias":
                value += fault.value
            elif fault.kind == "scale":
                value *= fault.value
            elif fault.kind == "noise":
                value += float(self.rng.normal(0, fault.value))
        noisy = value + float(self.rng.normal(0, self.noise_lsb * lsb))
        return round(noisy / lsb) * lsb
