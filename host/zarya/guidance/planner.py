"""The launch-window planner: porkchop grids over date ranges and the best transfers in them."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from zarya import backends
from zarya.guidance.api import PorkchopGrid, body_id, body_name
from zarya.guidance.timescale import DateError, date_text
from zarya.units import AU_KM, DAY_S, MU_SUN_KM3_S2

ROWS_PER_BLOCK = 16  # departure rows per kernel call: the unit of progress


@dataclass(frozen=True)
class Window:
    """A porkchop grid and the cells the user asked for (time of flight inside the range)."""

    grid: PorkchopGrid
    valid: np.ndarray  # bool (n_dep, n_arr)


@dataclass(frozen=True)
class Transfer:
    label: str
    depart_jd: float
    arrive_jd: float
    tof_d: float
    c3_km2_s2: float
    vinf_dep_km_s: float
    vinf_arr_km_s: float
    dla_deg: float
    transfer_type: int

    def as_dict(self) -> dict:
        return {"label": self.label, "depart": date_text(self.depart_jd), "arrive": date_text(self.arrive_jd),
                "depart_jd_tdb": self.depart_jd, "arrive_jd_tdb": self.arrive_jd, "tof_d": self.tof_d,
                "c3_km2_s2": self.c3_km2_s2, "vinf_dep_km_s": self.vinf_dep_km_s,
                "vinf_arr_km_s": self.vinf_arr_km_s, "dla_deg": self.dla_deg, "type": self.transfer_type}


def parse_range(text: str, what: str, parse: Callable[[str], float]) -> tuple[float, float]:
    """'A:B' with A < B, each parsed by `parse`."""
    parts = text.split(":") if text.count(":") == 1 or "T" not in text else re.split(r":(?=\d{4}-)", text)
    if len(parts) != 2:
        raise DateError(f"{what} must be START:END, not {text!r}")
    lo, hi = parse(parts[0]), parse(parts[1])
    if not lo < hi:
        raise DateError(f"{what} {text!r} is empty: its end must come after its start")
    return lo, hi


def parse_days(text: str) -> float:
    try:
        value = float(text.strip().removesuffix("d"))
    except ValueError:
        raise DateError(f"not a number of days: {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise DateError(f"days must be > 0: {text!r}")
    return value


def parse_step(text: str) -> float:
    """A grid step in days: '1d', '12h', '0.5'."""
    text = text.strip()
    if text.endswith("h"):
        return parse_days(text[:-1]) / 24.0
    return parse_days(text)


def steps(lo: float, hi: float, step_d: float) -> np.ndarray:
    return lo + step_d * np.arange(math.floor((hi - lo) / step_d + 1e-9) + 1)


def porkchop_window(origin: str | int, target: str | int, depart: tuple[float, float], step_d: float = 1.0,
                    tof_d: tuple[float, float] | None = None, arrive: tuple[float, float] | None = None,
                    backend: str | None = None, progress: Callable[[int, int], None] | None = None) -> Window:
    """Porkchop over departures in `depart` (TDB JD) and arrivals in `arrive`, or in the
    departure range shifted by the times of flight `tof_d` (days); cells outside tof_d are
    kept out of `valid`.  progress(done_rows, total_rows) is called after each block."""
    if (tof_d is None) == (arrive is None):
        raise DateError("give either a time-of-flight range or an arrival range")
    body_id(origin), body_id(target)
    if body_id(origin) == body_id(target):
        raise DateError(f"origin and target are both {body_name(origin)}")
    dep = steps(*depart, step_d)
    arr = steps(depart[0] + tof_d[0], depart[1] + tof_d[1], step_d) if tof_d else steps(*arrive, step_d)
    g = backends.guidance(backend)
    blocks = []
    for start in range(0, dep.size, ROWS_PER_BLOCK):
        blocks.append(g.porkchop(origin, target, dep[start:start + ROWS_PER_BLOCK], arr))
        if progress:
            progress(min(start + ROWS_PER_BLOCK, dep.size), dep.size)
    grid = PorkchopGrid(body_id(origin), body_id(target), dep, arr,
                        *(np.concatenate([getattr(b, f) for b in blocks]) for f in
                          ("c3_km2_s2", "vinf_dep_km_s", "dla_rad", "vinf_arr_km_s", "tof_s", "transfer_type")))
    tof_days = grid.tof_s / DAY_S
    valid = grid.transfer_type > 0
    if tof_d:
        valid &= (tof_days >= tof_d[0] - 1e-9) & (tof_days <= tof_d[1] + 1e-9)
    return Window(grid, valid)


def cell_transfer(grid: PorkchopGrid, i: int, j: int, label: str) -> Transfer:
    return Transfer(label, float(grid.depart_jd[i]), float(grid.arrive_jd[j]), float(grid.tof_s[i, j] / DAY_S),
                    float(grid.c3_km2_s2[i, j]), float(math.sqrt(grid.c3_km2_s2[i, j])), float(grid.vinf_arr_km_s[i, j]),
                    float(math.degrees(grid.dla_rad[i, j])), int(grid.transfer_type[i, j]))


def best_transfers(window: Window) -> list[Transfer]:
    """Minimum-C3 Type I and Type II transfers and the minimum total v-infinity transfer."""
    grid, out = window.grid, []
    criteria = [
        ("min C3, Type I", grid.c3_km2_s2, window.valid & (grid.transfer_type == 1)),
        ("min C3, Type II", grid.c3_km2_s2, window.valid & (grid.transfer_type == 2)),
        ("min total v-inf", np.sqrt(grid.c3_km2_s2) + grid.vinf_arr_km_s, window.valid),
    ]
    for label, score, mask in criteria:
        if mask.any():
            i, j = np.unravel_index(np.argmin(np.where(mask, score, np.inf)), score.shape)
            out.append(cell_transfer(grid, int(i), int(j), label))
    return out


def transfer(origin: str | int, target: str | int, depart_jd: float, arrive_jd: float, backend: str | None = None) -> dict:
    """One transfer in full: dates, energies, the heliocentric states and the transfer orbit."""
    if not arrive_jd > depart_jd:
        raise DateError(f"arrival {date_text(arrive_jd)} is not after departure {date_text(depart_jd)}")
    g = backends.guidance(backend)
    grid = g.porkchop(origin, target, [depart_jd], [arrive_jd])
    if grid.transfer_type[0, 0] == 0:
        raise DateError("no transfer found between these dates (degenerate geometry)")
    r1, v_dep = g.planet_state(origin, depart_jd)
    r2, _ = g.planet_state(target, arrive_jd)
    sol = g.lambert(MU_SUN_KM3_S2, r1, r2, (arrive_jd - depart_jd) * DAY_S)[0]
    el = g.state_to_elements(r1, sol.v1_km_s, MU_SUN_KM3_S2)
    summary = cell_transfer(grid, 0, 0, "transfer").as_dict()
    summary.update({
        "origin": body_name(origin), "target": body_name(target),
        "r_depart_km": r1.tolist(), "r_arrive_km": r2.tolist(),
        "v_depart_km_s": sol.v1_km_s.tolist(), "v_arrive_km_s": sol.v2_km_s.tolist(),
        "vinf_dep_vector_km_s": (sol.v1_km_s - v_dep).tolist(),
        "transfer_orbit": {"a_km": el.a_km, "ecc": el.ecc, "inc_deg": math.degrees(el.inc_rad),
                           "perihelion_au": el.p_km / (1 + el.ecc) / AU_KM,
                           "aphelion_au": el.p_km / (1 - el.ecc) / AU_KM if el.ecc < 1 else math.inf},
    })
    return summary
