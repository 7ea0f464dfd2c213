"""Power environment for the simulated board: sources, a battery pack and switched loads.

Battery: a one-RC Thevenin equivalent circuit (V = OCV(SOC) - I R0 - V1, dV1/dt = I/C1 -
V1/(R1 C1), exact exponential update per step) for a 2S2P pack of 18650-class NMC cells (3.35 Ah,
R0 20 mOhm, R1 18 mOhm, tau 30 s at 25 C per cell; resistance x2 at 0 C and x4 at -20 C,
Arrhenius with Ea 20 kJ/mol; no charge below 0 C, half current 0-15 C), per ../shared REFERENCE.md.
Current is positive when the battery discharges.  The bus sits on the battery (direct energy
transfer): what the sources give beyond the loads charges the battery; at full charge the
surplus is shunted.

Empty and full: the pack holds SOC x capacity of charge and can give no more.  SOC 0 is the
bottom of the OCV table, 3.20 V a cell, which is also the lower voltage cut-off of PyBaMM's ECM
example set the table is shaped after; the table's last 5 % is the knee of an NMC cell (3.45 ->
3.20 V, ten times the mid-range slope).  Within a step the pack carries the asked current until it
is empty, then its protection opens (as a cell's over-discharge cut-off does) and it carries
nothing: the step's average current is the charge it held over dt, and the bus it leaves behind
collapses to what the sources alone can hold against the loads (nothing, without sources).
Charging likewise stops at full.  Energy is booked exactly per step (constant current in each
part of a step): energy in and out at the terminals, I^2 R0 and V1^2 / R1 losses, and the stored
energy, the integral of OCV dQ (stored_energy_wh) plus C1 V1^2 / 2 in the RC branch; they balance
to rounding (energy_residual_wh).

Sensors are INA219-like: quantised (4 mV bus voltage, 1 mA current) with Gaussian noise, and each
can be faulted (stuck, noise, bias, scale, fail).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from zarya.units import HOUR_S

# OCV of one NMC cell against SOC, a 14-point table shaped like PyBaMM's ECM example set
OCV_SOC = np.array([0.0, 0.05, 0.10, 0.20, 0.30, 0.40, 0.50, 0.60, 0.70, 0.80, 0.90, 0.95, 0.98, 1.0])
OCV_CELL_V = np.array([3.20, 3.45, 3.55, 3.63, 3.68, 3.72, 3.76, 3.82, 3.88, 3.95, 4.05, 4.11, 4.16, 4.19])
# integral of the cell OCV over SOC from 0 to each table point (V; times Ah gives Wh): exact trapezoids
OCV_CUM_V = np.concatenate(([0.0], np.cumsum(np.diff(OCV_SOC) * (OCV_CELL_V[1:] + OCV_CELL_V[:-1]) / 2)))
EA_J_MOL = 20e3
R_GAS = 8.314
LOAD_FLOOR_V = 1.0  # loads and sources are constant power down to this bus voltage
RELEASE_SOC = 0.02  # an emptied pack's protection closes again once charged back to this


_SOC, _OCV, _CUM = (tuple(float(x) for x in a) for a in (OCV_SOC, OCV_CELL_V, OCV_CUM_V))


def ocv_integral_v(soc: float) -> float:
    """The integral of one cell's OCV over SOC from 0 to soc (V): the piecewise-linear table, exactly."""
    soc = min(1.0, max(0.0, soc))
    i = min(bisect.bisect_right(_SOC, soc) - 1, len(_SOC) - 2)
    v = _OCV[i] + (soc - _SOC[i]) * (_OCV[i + 1] - _OCV[i]) / (_SOC[i + 1] - _SOC[i])
    return _CUM[i] + (soc - _SOC[i]) * (_OCV[i] + v) / 2


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
    # what the last step did: average current (A, + discharge), and whether the pack emptied (its
    # protection opened and it left the bus) or filled during it
    current_a: float = field(default=0.0, init=False)
    empty: bool = field(default=False, init=False)
    full: bool = field(default=False, init=False)
    # the over-discharge protection: opened when the pack empties, it gives no discharge current
    # until a charger has put RELEASE_SOC back (so an empty pack does not flap on and off the bus)
    cut_off: bool = field(default=False, init=False)
    # running energy totals (Wh) since construction or reset_energy_totals()
    energy_in_wh: float = field(default=0.0, init=False)  # into the terminals (charging)
    energy_out_wh: float = field(default=0.0, init=False)  # out of the terminals (discharging)
    loss_r0_wh: float = field(default=0.0, init=False)  # I^2 R0
    loss_r1_wh: float = field(default=0.0, init=False)  # V1^2 / R1
    _start_wh: float = field(default=0.0, init=False, repr=False)
    _c1_f: float | None = field(default=None, init=False, repr=False)

    def __post_init__(self):
        self.reset_energy_totals()

    @property
    def capacity_ah(self) -> float:
        return self.cell_ah * self.parallel

    def resistance_factor(self) -> float:
        return math.exp(EA_J_MOL / R_GAS * (1 / (self.temp_c + 273.15) - 1 / 298.15))

    def ocv_v(self, soc: float | None = None) -> float:
        return self.series * float(np.interp(self.soc if soc is None else soc, OCV_SOC, OCV_CELL_V))

    def _rc(self) -> tuple[float, float, float]:
        """Pack R0, R1 (ohm) and C1 (F) at the present temperature."""
        k = self.resistance_factor()
        r0 = self.r0_cell_ohm * self.series / self.parallel * k
        r1 = self.r1_cell_ohm * self.series / self.parallel * k
        return r0, r1, self.tau_s / r1

    def stored_energy_wh(self, soc: float | None = None) -> float:
        """Energy the cells' reaction gives from soc down to empty: the integral of OCV dQ (Wh)."""
        return self.series * self.capacity_ah * ocv_integral_v(self.soc if soc is None else soc)

    def polarization_wh(self) -> float:
        """Energy held in the RC branch's capacitor, C1 V1^2 / 2 (Wh), with the C1 it was last stepped at."""
        return 0.5 * (self._c1_f or self._rc()[2]) * self.v1 ** 2 / HOUR_S

    @property
    def loss_wh(self) -> float:
        return self.loss_r0_wh + self.loss_r1_wh

    @property
    def throughput_wh(self) -> float:
        return self.energy_in_wh + self.energy_out_wh

    def reset_energy_totals(self) -> None:
        self.energy_in_wh = self.energy_out_wh = self.loss_r0_wh = self.loss_r1_wh = 0.0
        self._start_wh = self.stored_energy_wh() + self.polarization_wh()

    def energy_residual_wh(self) -> float:
        """Energy in - out - losses - change of stored energy since the totals started (0 if conserved)."""
        stored = self.stored_energy_wh() + self.polarization_wh()
        return self.energy_in_wh - self.energy_out_wh - self.loss_wh - (stored - self._start_wh)

    def step(self, current_a: float, dt_s: float, empty_bus_v: float = 0.0) -> float:
        """Apply a discharge current (A, negative charges) for dt_s; returns the terminal voltage.

        The pack carries current_a until it is empty (or, charging, full) and nothing after, so
        its charge stays within [0, capacity]; self.current_a is the step's average current.  If it
        emptied it is off the bus at the end of the step and the terminal (bus) voltage returned is
        empty_bus_v, what the rest of the bus holds (0 V with nothing else on it)."""
        r0, r1, c1 = self._rc()
        if self._c1_f is not None and c1 != self._c1_f:  # the temperature changed: C1 keeps its energy
            self.v1 *= math.sqrt(self._c1_f / c1)
        self._c1_f = c1
        if self.cut_off and current_a >= 0:  # off the bus: it neither gives current nor holds the bus up
            self.empty, self.full, self.current_a = True, False, 0.0
            self._run(0.0, dt_s, r0, r1, c1)
            return empty_bus_v
        v = self._step(current_a, dt_s, r0, r1, c1, empty_bus_v)
        self.cut_off = self.empty or (self.cut_off and self.soc < RELEASE_SOC)
        return v

    def _step(self, current_a: float, dt_s: float, r0: float, r1: float, c1: float, empty_bus_v: float) -> float:
        room_as = self.capacity_ah * HOUR_S * (self.soc if current_a > 0 else 1.0 - self.soc)  # charge it can move
        if current_a == 0 or abs(current_a) * dt_s < room_as:
            self.empty = self.full = False
            self.current_a = current_a
            return self._run(current_a, dt_s, r0, r1, c1)
        t_on = room_as / abs(current_a)  # <= dt_s: empty (or full) after t_on
        self.empty, self.full = current_a > 0, current_a < 0
        self._run(current_a, t_on, r0, r1, c1, soc_end=0.0 if self.empty else 1.0)
        v = self._run(0.0, dt_s - t_on, r0, r1, c1)
        self.current_a = current_a * t_on / dt_s if dt_s > 0 else 0.0
        return min(empty_bus_v, v) if self.empty else v

    def _run(self, current_a: float, dt_s: float, r0: float, r1: float, c1: float, soc_end=None) -> float:
        """Constant current_a for dt_s: exact exponential update and exact energy bookkeeping."""
        soc0, v10 = self.soc, self.v1
        decay = math.exp(-dt_s / (r1 * c1))
        self.v1 = self.v1 * decay + current_a * r1 * (1 - decay)
        if soc_end is None:
            self.soc = min(1.0, max(0.0, self.soc - current_a * dt_s / HOUR_S / self.capacity_ah))
        else:
            self.soc = soc_end
        # energy over the part: V1(t) = a + b exp(-t / tau)
        tau = r1 * c1
        a, b = current_a * r1, v10 - current_a * r1
        g1, g2 = -math.expm1(-dt_s / tau), -math.expm1(-2 * dt_s / tau)
        v1_int = a * dt_s + b * tau * g1
        self.loss_r1_wh += (a * a * dt_s + 2 * a * b * tau * g1 + b * b * tau / 2 * g2) / r1 / HOUR_S
        self.loss_r0_wh += current_a * current_a * r0 * dt_s / HOUR_S
        reaction_wh = self.stored_energy_wh(soc0) - self.stored_energy_wh()  # = integral of OCV I dt
        ocv_int = reaction_wh * HOUR_S / current_a if current_a else self.ocv_v() * dt_s
        terminal_wh = current_a * (ocv_int - current_a * r0 * dt_s - v1_int) / HOUR_S
        if terminal_wh >= 0:
            self.energy_out_wh += terminal_wh
        else:
            self.energy_in_wh -= terminal_wh
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
        nominal = self.power_w / max(bus_v, LOAD_FLOOR_V)
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
        v_ref = max(bus_v, LOAD_FLOOR_V)
        source_a = {k: w / v_ref for k, w in sources.items()}
        battery_a = load_a - sum(source_a.values())  # discharge positive
        if battery_a < 0:  # charging: limited by temperature and full charge; the rest is shunted
            limit = self.battery.charge_limit_a() if self.battery.soc < 1.0 else 0.0
            battery_a = max(battery_a, -limit)
        # if the pack empties, the bus is left to the sources: the loads, seen as the resistance
        # v_ref / load_a they present, take what the sources give, V^2 / R = W (0 V without sources)
        empty_bus_v = math.sqrt(v_ref / load_a * sum(sources.values())) if load_a > 0 else v_ref
        self.bus_v = self.battery.step(battery_a, dt_s, empty_bus_v)
        if self.battery.empty:  # the loads get what the collapsed bus drives through them
            ch_i = [a * self.bus_v / v_ref for a in ch_i]
            load_a = sum(ch_i)
        battery_a = self.battery.current_a  # the step's average: less than asked if it emptied or filled
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
