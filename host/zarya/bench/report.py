"""A flown scenario for people: the verdicts as text, the telemetry as a plot."""

from __future__ import annotations

from pathlib import Path

from zarya.bench.run import Run

PANELS = (("power.battery_v", "power.bus_v"), ("power.soc_pct",), ("radmon.dose_rate_uGy_h",))


def report_text(run: Run) -> str:
    lines = [f"{run.scenario.name}: {'PASS' if run.ok else 'FAIL'}  ({run.scenario.duration_s:.0f} s of board time "
             f"in {run.wall_s:.1f} s)"]
    lines += [f"  [{'ok' if v.ok else 'FAIL'}] {v.check}: {v.detail}" for v in run.verdicts]
    return "\n".join(lines)


def plot(run: Run, path: Path) -> Path:
    """Battery and bus voltage, state of charge and dose rate over board time, actions marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(PANELS), 1, figsize=(10, 7), dpi=90, sharex=True)
    for ax, names in zip(axes, PANELS, strict=True):
        for name in names:
            rows = run.archive.series(name)
            if rows:
                ax.plot([r[0] for r in rows], [r[1] for r in rows], label=name, lw=0.8)
        ax.legend(fontsize=7)
    for t in run.action_times:
        for ax in axes:
            ax.axvline(t, color="gray", lw=0.5, ls="--")
    axes[-1].set_xlabel("board time (s)")
    axes[0].set_title(f"{run.scenario.name}: {'PASS' if run.ok else 'FAIL'}")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
