"""The mission report: crew dose against the limits, power margins, events, the transfer; a
self-contained HTML page (plots embedded) plus the PNGs and a JSON summary."""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import numpy as np

from zarya import backends
from zarya.dose.crew import BFO_30DAY_LIMIT_GY_EQ, CAREER_LIMIT_SV, RAD_DOSE_EQ_SV_DAY
from zarya.guidance.timescale import date_text
from zarya.link.archive import Archive
from zarya.mission.mars import ALARM_LEVELS, trajectory_r_au
from zarya.units import AU_KM, DAY_S, HOUR_S, MU_SUN_KM3_S2, gy_s_to_ugy_h

ASSUMPTIONS = [
    "GCR: MSL/RAD cruise rates, 0.48 mGy/day absorbed and 1.84 mSv/day dose equivalent, mean Q 3.82 "
    "(Zeitlin et al., Science 340:1080, 2013), scaled by solar activity (about 2x from maximum to minimum; "
    "REFERENCE.md, Guo et al. 2015) and by +3 %/au of heliocentric distance (assumption).",
    "Solar activity: an 11-year cycle from the cycle-25 minimum of 2019.9 (assumption).",
    "Trapped belts: one transit on departure, 1 mGy absorbed over 1.5 h behind shielding (assumption).",
    "Solar particle events: the scenario's draw (seeded) or named event; proton spectra with mean Q 1.1 "
    "(assumption); fluence scaled by 1/r^2.",
    "Detector: GM tube, 1e-8 Gy per count, 100 us dead time (non-paralyzable), Poisson counts; LET pulse-height "
    "channel with ICRP 60 Q(L).",
    "Power: 2S2P 18650 NMC pack, one-RC model (REFERENCE.md); solar array 30 W at 1 au scaled by 1/r^2.",
    "Limits: NASA-STD-3001 Vol. 1 career effective dose 600 mSv; 30-day blood-forming-organ limit 250 mGy-Eq "
    "(compared here with the dose equivalent, a conservative stand-in).",
    "Both cruises: twice this leg's dose equivalent (return leg assumed alike). Not a round trip: the surface stay "
    "is not included (at the MSL/RAD surface rate, 0.64 mSv/day, Hassler et al. 2014, a 500-day stay adds about 320 mSv).",
]


def _series(archive: Archive, name: str) -> tuple[np.ndarray, np.ndarray]:
    rows = archive.series(name)
    if not rows:
        return np.array([]), np.array([])
    data = np.array(rows)
    return data[:, 0], data[:, 1]


def summarize(out_dir: Path, transfer, log, truth: dict, fast: bool) -> dict:
    archive = Archive(out_dir / "archive.db")
    t, rate = _series(archive, "rad_sample.dose_rate_gy_s")
    _, quality = _series(archive, "rad_sample.quality")
    _, board_total = _series(archive, "rad_sample.dose_total_gy")
    k = backends.dose()
    absorbed = k.integrate(t - t[0], rate, max_gap_s=600.0)
    equivalent = k.integrate(t - t[0], rate * quality, max_gap_s=600.0)
    day30 = k.rolling_dose(t, equivalent.cumulative_gy, 30 * DAY_S) if len(t) else np.array([0.0])
    flown_d = (t[-1] - t[0]) / DAY_S if len(t) else 0.0
    leg_d = transfer.tof_s / DAY_S
    last_day = t >= t[-1] - DAY_S  # the cruise rate: dose equivalent over the last day flown
    gcr_eq_rate_sv_d = float(np.mean(rate[last_day] * quality[last_day])) * DAY_S if len(t) else 0.0
    leg_eq_sv = equivalent.total_gy + max(0.0, leg_d - flown_d) * gcr_eq_rate_sv_d
    _, soc = _series(archive, "power.soc_pct")
    summary = {
        "transfer": {"depart": date_text(transfer.depart_jd), "arrive": date_text(transfer.arrive_jd),
                     "tof_d": leg_d, "c3_km2_s2": transfer.c3_km2_s2, "vinf_arr_km_s": transfer.vinf_arr_km_s},
        "flown_d": flown_d, "fast": fast,
        "board_dose_gy": float(board_total[-1]) if len(board_total) else 0.0,
        "host_reintegrated_dose_gy": absorbed.total_gy,
        "board_host_relative_difference": (abs(absorbed.total_gy - board_total[-1]) / board_total[-1]
                                           if len(board_total) and board_total[-1] else 0.0),
        "dose_equivalent_flown_sv": equivalent.total_gy,
        "model_truth_dose_gy": truth.get("dose_gy", 0.0),
        "model_truth_dose_equivalent_sv": truth.get("dose_eq_sv", 0.0),
        "mean_quality_factor": equivalent.total_gy / absorbed.total_gy if absorbed.total_gy else math.nan,
        "cruise_rate_msv_day": gcr_eq_rate_sv_d * 1e3,
        "leg_dose_equivalent_sv": leg_eq_sv,
        "round_trip_dose_equivalent_sv": 2 * leg_eq_sv,
        "career_limit_sv": CAREER_LIMIT_SV,
        "round_trip_fraction_of_career_limit": 2 * leg_eq_sv / CAREER_LIMIT_SV,
        "max_30day_dose_equivalent_sv": float(np.max(day30)) if len(day30) else 0.0,
        "bfo_30day_limit_gy_eq": BFO_30DAY_LIMIT_GY_EQ,
        "time_in_storm_shelter_h": log.shelter_s / HOUR_S,
        "alarms": [(t_, ALARM_LEVELS[lv]) for t_, lv in log.alarms],
        "all_clears": len(log.all_clears),
        "soc_min_pct": float(soc.min()) if len(soc) else math.nan,
        "soc_end_pct": float(soc[-1]) if len(soc) else math.nan,
        "gaps": len(absorbed.gaps),
        "link": truth.get("stats", {}),
        "board_reboots": truth.get("boots", 1) - 1,
        "wall_time_s": log.wall_s,
        "rad_reference_msv_day": RAD_DOSE_EQ_SV_DAY * 1e3,
    }
    archive.close()
    return summary


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_power(archive: Archive, path: Path, title: str) -> Path:
    """Battery SOC, currents and the load channels over time."""
    plt = _pyplot()
    tp, soc = _series(archive, "power.soc_pct")
    _, solar = _series(archive, "power.solar_a")
    _, fission = _series(archive, "power.fission_a")
    _, batt = _series(archive, "power.battery_a")
    _, switches = _series(archive, "power.switches")
    fig, axes = plt.subplots(3, 1, figsize=(10, 6), dpi=100, sharex=True)
    d = (tp - tp[0]) / DAY_S if len(tp) else tp
    axes[0].plot(d, soc, color="tab:green")
    axes[0].set_ylabel("SOC (%)")
    axes[1].plot(d, solar, label="solar (A)")
    if len(fission) and np.any(fission):
        axes[1].plot(d, fission, label="fission (A)")
    axes[1].plot(d, batt, label="battery (A, + discharge)")
    axes[1].legend(fontsize=8)
    bits = np.array([[(int(v) >> ch) & 1 for ch in range(8)] for v in switches]) if len(switches) else np.zeros((0, 8))
    if len(bits):
        axes[2].imshow(bits.T, aspect="auto", interpolation="nearest", cmap="Greens",
                       extent=(d[0], d[-1] if len(d) > 1 else d[0] + 1, 7.5, -0.5))
    axes[2].set_ylabel("load channel")
    axes[2].set_xlabel("days")
    axes[0].set_title(title)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_events(archive: Archive, path: Path, t0: float | None = None) -> Path:
    """Every event on a timeline by severity, each kind labelled once."""
    plt = _pyplot()
    events = archive.db.execute(
        "SELECT board_time, name, severity FROM packets WHERE kind = 'event' ORDER BY board_time").fetchall()
    fig, ax = plt.subplots(figsize=(10, 3), dpi=100)
    levels = {"info": 0, "low": 1, "medium": 2, "high": 3}
    colors = ["gray", "tab:blue", "tab:orange", "tab:red"]
    t0 = t0 if t0 is not None else (events[0][0] if events else 0.0)
    named = {}
    for bt, name, sev in events:
        ax.plot((bt - t0) / DAY_S, levels.get(sev, 0), "o", ms=4, color=colors[levels.get(sev, 0)])
        named.setdefault(name, (bt, sev))
    for name, (bt, sev) in named.items():
        ax.annotate(name, ((bt - t0) / DAY_S, levels.get(sev, 0)), fontsize=7, rotation=30)
    ax.set_yticks(range(4), ["info", "low", "medium", "high"])
    ax.set_xlabel("days")
    ax.set_title("Events")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plots(out_dir: Path, transfer, summary: dict) -> dict[str, Path]:
    plt = _pyplot()


    archive = Archive(out_dir / "archive.db")
    paths = {}
    t, rate = _series(archive, "rad_sample.dose_rate_gy_s")
    _, total = _series(archive, "rad_sample.dose_total_gy")
    t_hk, alarm = _series(archive, "radmon.alarm")
    days = (t - t[0]) / DAY_S if len(t) else t
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
    ax.semilogy(days, np.maximum(gy_s_to_ugy_h(rate), 1e-1), lw=0.6, color="tab:blue", label="dose rate (uGy/h)")
    ax.set_xlabel("days since departure")
    ax.set_ylabel("absorbed dose rate (uGy/h)")
    for lv, color in ((1, "#fff3b0"), (2, "#ffd6a5"), (3, "#ffadad")):
        mask = alarm >= lv
        if mask.any() and len(t):
            for start in (t_hk[mask] - t[0]) / DAY_S:
                ax.axvspan(start, start + 600 / DAY_S, color=color, lw=0)
    ax2 = ax.twinx()
    ax2.plot(days, total * 1e3, color="tab:red", label="cumulative dose (mGy)")
    ax2.set_ylabel("cumulative absorbed dose (mGy)")
    ax.set_title("Radiation: dose rate, cumulative dose, alarm levels (shaded: elevated / SPE watch / shelter)")
    fig.tight_layout()
    paths["dose"] = out_dir / "dose.png"
    fig.savefig(paths["dose"])
    plt.close(fig)
    paths["power"] = plot_power(archive, out_dir / "power.png",
                                "Power: state of charge, currents, load channels (green = on)")
    paths["events"] = plot_events(archive, out_dir / "events.png", t[0] if len(t) else None)
    g = backends.guidance()
    fig, ax = plt.subplots(figsize=(6, 6), dpi=100)
    for body, color in (("earth", "tab:blue"), ("mars", "tab:red")):
        orbit = np.array([g.planet_state(body, transfer.depart_jd + k)[0] for k in np.linspace(0, 687, 200)]) / AU_KM
        ax.plot(orbit[:, 0], orbit[:, 1], color=color, lw=0.6, label=body)
    tt, _ = trajectory_r_au(transfer, 100)
    arc = np.array([g.propagate_kepler(transfer.r1_km, transfer.v1_km_s, x, MU_SUN_KM3_S2)[0] for x in tt]) / AU_KM
    ax.plot(arc[:, 0], arc[:, 1], "k-", lw=1.5, label="transfer")
    ax.plot(*arc[0, :2], "o", color="tab:blue")
    ax.plot(*arc[-1, :2], "o", color="tab:red")
    ax.plot(0, 0, "*", color="orange", ms=14)
    ax.set_aspect("equal")
    ax.set_xlabel("x (au, ecliptic J2000)")
    ax.set_ylabel("y (au)")
    ax.legend(fontsize=8)
    ax.set_title(f"Transfer {date_text(transfer.depart_jd)} -> {date_text(transfer.arrive_jd)}")
    fig.tight_layout()
    paths["transfer"] = out_dir / "transfer.png"
    fig.savefig(paths["transfer"])
    plt.close(fig)

    if transfer.window is not None:
        from zarya.guidance.planner import Transfer as CellTransfer
        from zarya.guidance.planner import best_transfers
        from zarya.guidance.plot import porkchop_png

        chosen = CellTransfer("chosen transfer", transfer.depart_jd, transfer.arrive_jd, transfer.tof_s / DAY_S,
                              transfer.c3_km2_s2, math.sqrt(transfer.c3_km2_s2), transfer.vinf_arr_km_s, 0.0, 0)
        best = [b for b in best_transfers(transfer.window) if b.label != "min total v-inf"]
        paths["porkchop"] = porkchop_png(transfer.window, [*best, chosen], out_dir / "porkchop.png")
    archive.close()
    return paths


def html_page(out_dir: Path, title: str, rows: list[tuple[str, str]], images: list[tuple[Path, str]],
              assumptions: list[str], summary: dict) -> Path:
    """A self-contained report page (plots embedded) and summary.json beside it."""
    figures = "".join(
        f'<figure><img src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}" style="max-width:100%">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>" for p, caption in images)
    table = "".join(f"<tr><th>{html.escape(a)}</th><td>{html.escape(b)}</td></tr>" for a, b in rows)
    notes = "".join(f"<li>{html.escape(a)}</li>" for a in assumptions)
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}th{{text-align:left;padding-right:1em}}
td,th{{border-bottom:1px solid #ddd;padding:4px}}</style></head><body>
<h1>{html.escape(title)}</h1><table>{table}</table>{figures}
<h2>Model assumptions and sources</h2><ul>{notes}</ul></body></html>"""
    path = out_dir / "report.html"
    path.write_text(page)
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    return path


def write_html(out_dir: Path, summary: dict, paths: dict[str, Path]) -> Path:
    s = summary
    rows = [
        ("Transfer", f"{s['transfer']['depart']} -> {s['transfer']['arrive']} ({s['transfer']['tof_d']:.0f} d), "
                     f"C3 {s['transfer']['c3_km2_s2']:.2f} km2/s2, arrival v-inf {s['transfer']['vinf_arr_km_s']:.2f} km/s"),
        ("Flown on the simulated board", f"{s['flown_d']:.1f} d" + (" (fast run: the leg is projected)" if s["fast"] else "")),
        ("Absorbed dose flown (board)", f"{s['board_dose_gy'] * 1e3:.3f} mGy"),
        ("Host re-integration (C kernels)", f"{s['host_reintegrated_dose_gy'] * 1e3:.3f} mGy "
                                             f"(relative difference {s['board_host_relative_difference']:.1e})"),
        ("Model truth", f"{s['model_truth_dose_gy'] * 1e3:.3f} mGy"),
        ("Dose equivalent flown", f"{s['dose_equivalent_flown_sv'] * 1e3:.2f} mSv (mean Q {s['mean_quality_factor']:.2f})"),
        ("Cruise rate (last day)", f"{s['cruise_rate_msv_day']:.2f} mSv/day (MSL/RAD measured {s['rad_reference_msv_day']:.2f})"),
        ("Leg dose equivalent", f"{s['leg_dose_equivalent_sv'] * 1e3:.0f} mSv"),
        ("Both cruises (projected, no surface stay)", f"{s['round_trip_dose_equivalent_sv'] * 1e3:.0f} mSv = "
                                   f"{100 * s['round_trip_fraction_of_career_limit']:.0f} % of the 600 mSv career limit"),
        ("Worst 30 days", f"{s['max_30day_dose_equivalent_sv'] * 1e3:.1f} mSv (BFO limit 250 mGy-Eq)"),
        ("Storm shelter", f"{s['time_in_storm_shelter_h']:.1f} h; all-clears sent: {s['all_clears']}"),
        ("Battery", f"SOC min {s['soc_min_pct']:.1f} %, end {s['soc_end_pct']:.1f} %"),
        ("Link", ", ".join(f"{k} {v}" for k, v in s["link"].items())),
    ]
    captions = {"dose": "Dose rate and cumulative dose, alarm levels shaded", "power": "Battery, sources and load channels",
                "events": "Events on a timeline", "transfer": "The transfer, heliocentric",
                "porkchop": "The 2026 window and the chosen transfer"}
    images = [(paths[k], c) for k, c in captions.items() if k in paths]
    return html_page(out_dir, f"Zarya: crewed Mars transit, {s['transfer']['depart']}", rows, images, ASSUMPTIONS, s)
