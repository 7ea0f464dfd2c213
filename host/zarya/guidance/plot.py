"""The porkchop picture: departure C3 filled, arrival v-infinity and time-of-flight lines, optima marked."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zarya.errors import ZaryaError
from zarya.guidance.api import body_name
from zarya.guidance.planner import Transfer, Window
from zarya.guidance.timescale import utc_datetime
from zarya.units import DAY_S


def porkchop_png(window: Window, best: list[Transfer], path: str | Path, c3_max_km2_s2: float | None = None,
                 extra_contours: tuple[np.ndarray, str, str] | None = None) -> Path:
    """Write the porkchop PNG; extra_contours = (values on the grid, label, unit) adds a third
    family of lines (used for crew dose)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt

    grid = window.grid
    dep = [utc_datetime(jd) for jd in grid.depart_jd]
    arr = [utc_datetime(jd) for jd in grid.arrive_jd]
    c3 = np.where(window.valid, grid.c3_km2_s2, np.nan)
    finite = c3[np.isfinite(c3)]
    if finite.size == 0:
        raise ZaryaError("no transfers in this window to plot")
    top = c3_max_km2_s2 or float(min(np.nanpercentile(finite, 60), finite.min() * 4))
    X, Y = np.meshgrid(mdates.date2num(dep), mdates.date2num(arr), indexing="ij")
    fig, ax = plt.subplots(figsize=(10, 7.5), dpi=110)
    levels = np.linspace(finite.min(), top, 15)
    filled = ax.contourf(X, Y, np.where(c3 <= top, c3, np.nan), levels=levels, cmap="viridis_r")
    fig.colorbar(filled, ax=ax, label="departure C3 (km²/s²)")
    vinf = np.where(window.valid & (c3 <= top), grid.vinf_arr_km_s, np.nan)
    lines = ax.contour(X, Y, vinf, levels=np.arange(2.0, 8.01, 0.5), colors="crimson", linewidths=0.8)
    ax.clabel(lines, fmt="%.1f km/s", fontsize=7)
    tof = np.where(window.valid, grid.tof_s / DAY_S, np.nan)
    tof_lines = ax.contour(X, Y, tof, levels=np.arange(100, 500, 50), colors="0.4", linewidths=0.6, linestyles="dotted")
    ax.clabel(tof_lines, fmt="%d d", fontsize=7)
    if extra_contours is not None:
        values, label, unit = extra_contours
        extra = ax.contour(X, Y, np.where(window.valid & (c3 <= top), values, np.nan), colors="orange", linewidths=1.0)
        ax.clabel(extra, fmt=f"%.0f {unit}", fontsize=7)
        ax.plot([], [], color="orange", label=label)
    markers = {"min C3, Type I": "o", "min C3, Type II": "s", "min total v-inf": "*"}
    for t in best:
        ax.plot(mdates.date2num(utc_datetime(t.depart_jd)), mdates.date2num(utc_datetime(t.arrive_jd)),
                markers.get(t.label, "x"), color="white", markeredgecolor="black", markersize=10,
                label=f"{t.label}: {t.c3_km2_s2:.2f} km²/s², {t.tof_d:.0f} d")
    ax.plot([], [], color="crimson", label="arrival v∞ (km/s)")
    ax.plot([], [], color="0.4", linestyle="dotted", label="time of flight (d)")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(mdates.MonthLocator())
        axis.set_major_formatter(mdates.DateFormatter("%Y-%m"))
    ax.tick_params(axis="x", rotation=45)
    ax.set_xlabel("departure date (UTC)")
    ax.set_ylabel("arrival date (UTC)")
    ax.set_title(f"{body_name(grid.origin).title()} → {body_name(grid.target).title()} porkchop, "
                 f"{dep[0]:%Y-%m-%d} .. {dep[-1]:%Y-%m-%d}")
    ax.legend(loc="upper left", fontsize=8, framealpha=0.85)
    ax.grid(alpha=0.2)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path)
    plt.close(fig)
    return path


