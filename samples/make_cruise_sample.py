"""Writes samples/cruise_3d.csv: three days of dosimeter data in deep-space cruise.

GCR background at the MSL/RAD cruise rate (0.48 mGy/day absorbed, mean quality factor 3.82;
Zeitlin et al., Science 340:1080, 2013), a solar particle event on day 2 (fast rise, slow
decay, low-LET protons), and a 2-hour telemetry gap.  Counts are Poisson draws, seeded, so the
file is the same on every run:  python samples/make_cruise_sample.py
"""

import itertools
from pathlib import Path

import numpy as np

GY_PER_COUNT = 1e-8
GCR_GY_S = 0.48e-3 / 86400
LET_EDGES = [0.1, 1.0, 10.0, 100.0, 1000.0]  # keV/um
GCR_DOSE_FRACTION = np.array([0.50, 0.23, 0.16, 0.11])  # per LET bin: mean Q about 3.8
SPE_DOSE_FRACTION = np.array([0.70, 0.29, 0.01, 0.0])  # protons: mean Q about 1.1
LET_CHANNEL_SCALE = 4000.0  # pulse-height channel counts per 1e-8 Gy of dose in the 0.1-1 bin


def main() -> None:
    rng = np.random.default_rng(2026)
    t = np.arange(0, 3 * 86400, 60.0)
    t = t[(t < 100_000) | (t >= 107_200)]  # link down for 2 h
    spe = np.where(t > 130_000, 40.0 * np.minimum(1.0, (t - 130_000) / 3600) * np.exp(-np.maximum(0, t - 133_600) / 20_000), 0.0)
    gcr_gy_s = np.full_like(t, GCR_GY_S)
    spe_gy_s = spe * GCR_GY_S
    counts = rng.poisson((gcr_gy_s + spe_gy_s) * 60.0 / GY_PER_COUNT)
    bin_let = np.sqrt(np.multiply(LET_EDGES[:-1], LET_EDGES[1:]))
    per_bin = np.outer(gcr_gy_s, GCR_DOSE_FRACTION) + np.outer(spe_gy_s, SPE_DOSE_FRACTION)
    let_counts = rng.poisson(per_bin * 60.0 / GY_PER_COUNT * LET_CHANNEL_SCALE * bin_let[0] / bin_let)
    lines = [
        "# Zarya sample: 3 days of deep-space cruise, GCR + one solar particle event + a 2 h gap",
        f"# gy_per_count = {GY_PER_COUNT:g}",
        "# dead_time_s = 1e-4",
        "# dead_time_model = nonparalyzable",
        "t_s,counts," + ",".join(f"let_{lo:g}_{hi:g}" for lo, hi in itertools.pairwise(LET_EDGES)),
    ]
    lines += [f"{ti:.0f},{c}," + ",".join(str(v) for v in row) for ti, c, row in zip(t, counts, let_counts, strict=True)]
    Path(__file__).with_name("cruise_3d.csv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
