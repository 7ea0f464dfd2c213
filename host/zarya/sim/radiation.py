"""Radiation environment and dosimeter model for the simulated board.

Dose rates are absorbed dose in water (Gy/s).  Sources:
- GCR in deep-space cruise: 0.48 mGy/day absorbed, 1.84 mSv/day dose equivalent, mean quality
  factor 3.82, measured by MSL/RAD near a weak solar maximum (Zeitlin et al., Science 340:1080,
  2013).  Solar modulation: about 2x higher at solar minimum than at maximum (REFERENCE.md);
  modelled as rate x (2 - a) / (2 - a_RAD) for solar activity a in [0, 1], a_RAD = 0.7.  Radial
  gradient: +3 %/au beyond 1 au (an assumption for the inner heliosphere, stated in reports).
- Solar particle events: linear rise to the peak rate, exponential decay; scaled by 1/r^2.
- Trapped belts on Earth departure: passes of given total dose, Gaussian in time.
The detector is a GM tube: true counts n = rate / gy_per_count, dead time tau (non-paralyzable
m = n / (1 + n tau)), Poisson draws each step, a 16-bit wrapping counter; a pulse-height channel
counts particles per LET bin (cumulative 32-bit counters) with a spectrum that mixes the GCR and
SPE shapes by dose (particles per bin go as dose / LET).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from zarya.dictionary import load as load_dictionary
from zarya.units import DAY_S, HOUR_S

GCR_RAD_GY_S = 0.48e-3 / DAY_S  # MSL/RAD cruise, Zeitlin et al. 2013
GCR_MEAN_Q = 3.82
SOLAR_ACTIVITY_RAD = 0.7
RADIAL_GRADIENT_PER_AU = 0.03
# LET bins of the pulse-height channel (keV/um): 16 log-spaced bins from 0.1 to 1000
LET_EDGES_KEV_UM = np.array(load_dictionary().module.LET_EDGES_KEV_UM)  # the firmware's bins
LET_MID_KEV_UM = np.sqrt(LET_EDGES_KEV_UM[:-1] * LET_EDGES_KEV_UM[1:])
GY_PER_COUNT = 1e-8  # detector calibration (the firmware's radmon default)
DEAD_TIME_S = 1e-4


def gcr_dose_rate_gy_s(solar_activity: float = SOLAR_ACTIVITY_RAD, r_au: float = 1.0) -> float:
    """GCR absorbed dose rate behind spacecraft shielding like MSL's."""
    modulation = (2.0 - solar_activity) / (2.0 - SOLAR_ACTIVITY_RAD)
    return GCR_RAD_GY_S * modulation * (1.0 + RADIAL_GRADIENT_PER_AU * max(0.0, r_au - 1.0))


@dataclass(frozen=True)
class SolarParticleEvent:
    onset_s: float
    peak_gy_s: float  # at 1 au
    rise_s: float = HOUR_S
    decay_s: float = 12 * HOUR_S

    def dose_rate_gy_s(self, t_s: float, r_au: float = 1.0) -> float:
        dt = t_s - self.onset_s
        if dt <= 0:
            return 0.0
        shape = dt / self.rise_s if dt < self.rise_s else math.exp(-(dt - self.rise_s) / self.decay_s)
        return self.peak_gy_s * shape / (r_au * r_au)

    def dose_gy(self, until_s: float = math.inf, r_au: float = 1.0) -> float:
        """Integral of the profile from onset to until_s (Gy)."""
        dt = until_s - self.onset_s
        if dt <= 0:
            return 0.0
        rise = min(dt, self.rise_s)
        total = self.peak_gy_s * rise * rise / (2 * self.rise_s)
        if dt > self.rise_s:
            total += self.peak_gy_s * self.decay_s * (1 - math.exp(-(dt - self.rise_s) / self.decay_s))
        return total / (r_au * r_au)


@dataclass(frozen=True)
class BeltPass:
    start_s: float
    duration_s: float
    dose_gy: float

    def dose_rate_gy_s(self, t_s: float) -> float:
        sigma = self.duration_s / 6
        mid = self.start_s + self.duration_s / 2
        return self.dose_gy / (sigma * math.sqrt(2 * math.pi)) * math.exp(-0.5 * ((t_s - mid) / sigma) ** 2)


def let_spectrum_weights(mean_q_target: float) -> np.ndarray:
    """Dose fractions over the LET bins with the given mean quality factor (GCR-like shapes)."""
    mid = LET_MID_KEV_UM
    q = np.where(mid < 10, 1.0, np.where(mid <= 100, 0.32 * mid - 2.2, 300 / np.sqrt(mid)))
    lo, hi = 0.0, 3.0  # dose fraction ~ L^-k: find k by bisection so that sum(f q) = target
    for _ in range(60):
        k = (lo + hi) / 2
        f = mid ** -k
        f /= f.sum()
        if (f * q).sum() > mean_q_target:
            lo = k
        else:
            hi = k
    return f


@dataclass
class RadiationEnvironment:
    """Dose rate along a trajectory and the GM detector that sees it."""

    solar_activity: float = SOLAR_ACTIVITY_RAD
    spes: list[SolarParticleEvent] = field(default_factory=list)
    belts: list[BeltPass] = field(default_factory=list)
    r_au_of_t: object = None  # callable t_s -> heliocentric distance (au); 1 au if None
    seed: int = 1
    gy_per_count: float = GY_PER_COUNT
    dead_time_s: float = DEAD_TIME_S
    let_events_scale: float = 5e9  # pulse-height events per (Gy / (keV/um)): events go as dose / LET

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)
        self.counter = 0
        self.let_counters = [0] * (len(LET_EDGES_KEV_UM) - 1)  # cumulative, wrapping at 2^32 like hardware
        self.t_s = 0.0
        self.truth_dose_gy = 0.0
        self.truth_dose_eq_sv = 0.0
        self.gcr_shape = let_spectrum_weights(GCR_MEAN_Q)
        self.spe_shape = let_spectrum_weights(1.1)
        self.fail_mode: str | None = None  # "stuck_zero", "saturate" (fault injection)

    def r_au(self, t_s: float) -> float:
        return self.r_au_of_t(t_s) if self.r_au_of_t else 1.0

    def components_gy_s(self, t_s: float) -> tuple[float, float]:
        """(GCR, SPE + belts) absorbed dose rates at t_s."""
        r = self.r_au(t_s)
        gcr = gcr_dose_rate_gy_s(self.solar_activity, r)
        burst = sum(e.dose_rate_gy_s(t_s, r) for e in self.spes) + sum(b.dose_rate_gy_s(t_s) for b in self.belts)
        return gcr, burst

    def step(self, dt_s: float) -> dict:
        """Advance dt_s: the counter value and LET histogram the firmware reads."""
        t0, t1 = self.t_s, self.t_s + dt_s
        g0, b0 = self.components_gy_s(t0)
        g1, b1 = self.components_gy_s(t1)
        gcr_gy = 0.5 * (g0 + g1) * dt_s
        burst_gy = 0.5 * (b0 + b1) * dt_s
        self.truth_dose_gy += gcr_gy + burst_gy
        self.truth_dose_eq_sv += gcr_gy * GCR_MEAN_Q + burst_gy * 1.1
        self.t_s = t1
        true_cps = (gcr_gy + burst_gy) / self.gy_per_count / dt_s if dt_s > 0 else 0.0
        measured_cps = true_cps / (1 + true_cps * self.dead_time_s)
        counts = int(self.rng.poisson(measured_cps * dt_s))
        if self.fail_mode == "stuck_zero":
            counts = 0
        elif self.fail_mode == "saturate":
            counts = int(dt_s / self.dead_time_s)
        self.counter = (self.counter + counts) & 0xFFFFFFFF  # the board's 32-bit pulse counter
        spectrum_gy = gcr_gy * self.gcr_shape + burst_gy * self.spe_shape
        events = self.rng.poisson(spectrum_gy / LET_MID_KEV_UM * self.let_events_scale).astype(int).tolist()
        self.let_counters = [(c + e) & 0xFFFFFFFF for c, e in zip(self.let_counters, events, strict=True)]
        return {"counter": self.counter, "let": self.let_counters}
