"""The guidance kernels on C (native/guidance.c): the API of zarya.guidance.mirror, name for name."""

from __future__ import annotations

import numpy as np

from zarya._native import ffi, lib
from zarya.guidance.api import (
    CONIC,
    KERNELS,
    NOCONVERGE,
    TOF,
    Elements,
    GuidanceError,
    LambertSolution,
    PorkchopGrid,
    body_id,
    vec3,
)

__all__ = KERNELS


def check(code: int, detail: str = "") -> None:
    if code:
        raise GuidanceError(code, detail)


def buf(array: np.ndarray, ctype: str = "double[]"):
    return ffi.from_buffer(ctype, array)


def vec(values, name: str) -> np.ndarray:
    return np.array(vec3(values, name))


def planet_state(body: str | int, jd_tdb: float) -> tuple[np.ndarray, np.ndarray]:
    r, v = np.empty(3), np.empty(3)
    check(lib.planet_state(body_id(body), float(jd_tdb), buf(r), buf(v)), f"jd_tdb is not finite: {jd_tdb}")
    return r, v


def elements_to_state(p_km: float, ecc: float, inc_rad: float, raan_rad: float, argp_rad: float,
                      nu_rad: float, mu_km3_s2: float) -> tuple[np.ndarray, np.ndarray]:
    r, v = np.empty(3), np.empty(3)
    check(lib.elements_to_state(float(p_km), float(ecc), float(inc_rad), float(raan_rad), float(argp_rad),
                                float(nu_rad), float(mu_km3_s2), buf(r), buf(v)))
    return r, v


def state_to_elements(r_km, v_km_s, mu_km3_s2: float) -> Elements:
    out = np.empty(7)
    code = lib.state_to_elements(buf(vec(r_km, "r_km")), buf(vec(v_km_s, "v_km_s")), float(mu_km3_s2), buf(out))
    check(code, "rectilinear or degenerate state: no orbit plane" if code == CONIC else "")
    return Elements(*out.tolist())


def propagate_kepler(r0_km, v0_km_s, dt_s: float, mu_km3_s2: float) -> tuple[np.ndarray, np.ndarray]:
    r, v = np.empty(3), np.empty(3)
    code = lib.propagate_kepler(buf(vec(r0_km, "r0_km")), buf(vec(v0_km_s, "v0_km_s")), float(dt_s),
                                float(mu_km3_s2), buf(r), buf(v))
    check(code, "Kepler propagation did not converge" if code == NOCONVERGE else "")
    return r, v


def lambert(mu_km3_s2: float, r1_km, r2_km, tof_s: float, prograde: bool = True, max_revs: int = 0) -> list[LambertSolution]:
    if max_revs < 0:
        raise GuidanceError(CONIC, "need mu > 0 and max_revs >= 0")
    room = 2 * max_revs + 1
    v1, v2 = np.empty((room, 3)), np.empty((room, 3))
    revs = ffi.new("int[]", room)
    n = ffi.new("size_t *")
    code = lib.lambert(float(mu_km3_s2), buf(vec(r1_km, "r1_km")), buf(vec(r2_km, "r2_km")), float(tof_s),
                       int(bool(prograde)), int(max_revs), buf(v1), buf(v2), revs, n)
    detail = {TOF: f"time of flight must be > 0, not {tof_s} s", CONIC: "need mu > 0 and max_revs >= 0",
              NOCONVERGE: "Lambert iterations did not converge"}.get(code, "")
    check(code, detail)
    return [LambertSolution(v1[i].copy(), v2[i].copy(), revs[i]) for i in range(n[0])]


def lambert_batch(mu_km3_s2: float, r1_km, r2_km, tof_s, prograde: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r1 = np.ascontiguousarray(r1_km, dtype=float).reshape(-1, 3)
    r2 = np.ascontiguousarray(r2_km, dtype=float).reshape(-1, 3)
    tof = np.ascontiguousarray(tof_s, dtype=float).ravel()
    if not len(r1) == len(r2) == len(tof):
        raise GuidanceError(CONIC, f"r1 ({len(r1)}), r2 ({len(r2)}) and tof_s ({len(tof)}) differ in length")
    v1, v2 = np.empty_like(r1), np.empty_like(r2)
    status = np.empty(len(tof), dtype=np.int32)
    lib.lambert_batch(float(mu_km3_s2), buf(r1), buf(r2), buf(tof), len(tof), int(bool(prograde)),
                      buf(v1), buf(v2), buf(status, "int[]"))
    return v1, v2, status


def porkchop(origin: str | int, target: str | int, depart_jd, arrive_jd, n_threads: int = 0) -> PorkchopGrid:
    g = PorkchopGrid.empty(origin, target, depart_jd, arrive_jd)
    check(lib.porkchop(g.origin, g.target, buf(g.depart_jd), g.depart_jd.size, buf(g.arrive_jd), g.arrive_jd.size,
                       int(n_threads), buf(g.c3_km2_s2), buf(g.vinf_dep_km_s), buf(g.dla_rad), buf(g.vinf_arr_km_s),
                       buf(g.tof_s), buf(g.transfer_type, "int8_t[]")))
    return g


