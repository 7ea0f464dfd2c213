"""`zarya monitor`: a live terminal dashboard (rich), redrawn at the housekeeping rate without flicker."""

from __future__ import annotations

import time

from rich.console import Group
from rich.live import Live
from rich.table import Table

from zarya.link.client import LinkClient

RATE_KEYS = ("dose_rate_uGy_h", "mean_1h_uGy_h", "dose_total_gy", "dose_eq_total_sv", "alarm", "sensor_state")
POWER_KEYS = ("soc_pct", "bus_v", "battery_v", "battery_a", "mode", "safe_reason", "switches", "tripped")


def _table(title: str, tm, keys=None) -> Table:
    table = Table(title=title, show_header=False, expand=True)
    if tm is None:
        table.add_row("(no data yet)", "")
        return table
    for k, v in tm.values.items():
        if keys and k not in keys:
            continue
        unit = tm.units.get(k, "")
        table.add_row(k, (f"{v:.5g}" if isinstance(v, float) else str(v)) + (f" {unit}" if unit else ""))
    return table


def render(link: LinkClient, rtt_ms: float | None) -> Group:
    latest = link.latest
    link_table = Table(title="link", show_header=False, expand=True)
    for k, v in link.stats.items():
        link_table.add_row(k, str(v))
    link_table.add_row("round trip", f"{rtt_ms:.1f} ms" if rtt_ms is not None else "-")
    events = Table(title="latest events", expand=True)
    for col in ("board time s", "severity", "event", "values"):
        events.add_column(col)
    for tm in link.events[-8:]:
        events.add_row(f"{tm.board_time_s:.0f}", tm.severity, tm.name, str(tm.values))
    grid = Table.grid(expand=True)
    grid.add_row(_table("radiation", latest.get("radmon"), RATE_KEYS), _table("power", latest.get("power"), POWER_KEYS),
                 _table("core", latest.get("core")), link_table)
    return Group(grid, events)


def run_dashboard(link: LinkClient, refresh_s: float = 1.0) -> None:
    rtt_ms = None
    with Live(render(link, rtt_ms), refresh_per_second=4, screen=False) as live:
        while True:
            try:
                rtt_ms = link.ping_rtt_s() * 1e3
            except Exception:  # the dashboard keeps running through link trouble
                rtt_ms = None
            live.update(render(link, rtt_ms))
            time.sleep(refresh_s)
