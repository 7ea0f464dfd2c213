# The power manager, driven by scripted sensor values in the MicroPython VM.
import struct

from apps import power as pm
from core import failures
from mp_helpers import boot_apps, events, frame, run, tc


def battery(v, i=0.2):
    return {"battery:v": v, "bus:v": v, "battery:i": i, "solar:i": 1.0}


def test_low_voltage_safe_entry_and_exit_under_50_mv_noise_happen_once_each():
    board, app, _, _ = boot_apps(battery(7.6))
    noise = [0.05, -0.05, 0.03, -0.04, 0.0, 0.05, -0.02]
    state = {"i": 0, "v": 7.6}

    def jitter(b):
        state["i"] += 1
        b.sensors["battery:v"] = state["v"] + noise[state["i"] % len(noise)]

    packets = []
    for v in (7.3, 7.2, 7.12, 7.05, 6.9, 6.95, 7.1, 7.2, 7.28, 7.4, 7.5, 7.6):
        state["v"] = v
        packets += run(board, app, 30, step_ms=500, each=jitter)
    modes = [struct.unpack(">BBB", e[2:5]) for e in events(packets, 30)]
    assert modes == [(pm.NORMAL, pm.SAFE, pm.LOW_BATTERY), (pm.SAFE, pm.NORMAL, pm.NONE)]


def test_shed_ladder_sheds_by_priority_once_per_crossing_and_never_the_critical_bus():
    board, app, _, power = boot_apps(battery(8.1, i=6.7))  # 1C discharge from a full pack
    off_order = []
    critical_ever_off = False
    sheds = 0
    for _ in range(58):  # 1C from a full pack (OCV estimate 99 %) to below 15 %
        sheds += len(events(run(board, app, 60, step_ms=1000), 31))
        critical_ever_off |= not (power.on[0] and power.on[1])
        for ch in range(8):
            if not power.on[ch] and ch not in off_order and ch != 7:
                off_order.append(ch)
    assert not critical_ever_off
    assert off_order == [6, 5, 3, 4, 2]
    assert power.shed_level == 4 and sheds == 4  # each step once


def test_latchup_switches_the_channel_off_within_one_sample_and_repowers_it():
    board, app, _, power = boot_apps(battery(7.6))
    run(board, app, 1)
    board.sensors["ch5:i"] = 4.0  # payload latches up
    packets = run(board, app, 0.1)
    assert not power.on[5] and board.switches[5] == 0 and power.on[3] and power.on[4]
    board.sensors["ch5:i"] = 0.5  # the latch cleared with the power cut
    run(board, app, 0.3)
    assert not power.on[5]  # waits at least 400 ms
    run(board, app, 0.2)
    assert power.on[5] and power.trips_total == 1 and len(events(packets, 32)) == 1


def test_persistent_short_is_latched_off_after_n_trips():
    board, app, _, power = boot_apps(battery(7.6))
    board.sensors["ch3:i"] = 5.0
    run(board, app, 5)
    assert power.latched[3] and not power.on[3] and power.trips_total == 3
    run(board, app, 5)
    assert power.trips_total == 3  # stays off: no more trips


def test_payload_on_in_safe_mode_is_rejected_and_changes_nothing():
    board, app, _, power = boot_apps(battery(7.6))
    board.rx.extend(frame(tc(8, 1, struct.pack(">H", 22), apid="power", auth_seq=1)))
    run(board, app, 1)
    board.rx.extend(frame(tc(8, 1, struct.pack(">HBB", 20, 5, 1), apid="power", auth_seq=2)))
    packets = run(board, app, 1)
    codes = [struct.unpack(">H", p[23:25])[0] for p in packets if p[7] == 1 and p[8] == 8]
    assert power.mode == pm.SAFE and codes == [failures.WRONG_MODE] and not power.on[5]


def test_life_support_cannot_be_switched_off_without_arm_then_fire():
    board, app, _, power = boot_apps(battery(7.6))
    board.rx.extend(frame(tc(8, 1, struct.pack(">HBB", 20, 2, 0), apid="power", auth_seq=1)))
    run(board, app, 1)
    assert power.on[2]


def test_source_loss_holds_loads_off_until_the_source_is_stable():
    board, app, _, power = boot_apps(dict(battery(7.6), **{"fission:i": 5.0}))
    run(board, app, 2)
    board.sensors["fission:i"] = 0.0  # fission unit trips
    packets = run(board, app, 1)
    assert len(events(packets, 33)) == 1 and not power.on[5] and power.on[2]
    board.sensors["fission:i"] = 5.0
    run(board, app, 30)
    assert not power.on[5]  # not yet stable for pwr_source_stable_s (60 s)
    run(board, app, 31)
    assert power.on[5]


def test_ground_watchdog_power_cycles_comms_once():
    board, app, _, power = boot_apps(battery(7.6))
    app.params.set(42, 600)
    packets = run(board, app, 700, step_ms=1000)
    assert len(events(packets, 35)) == 1 and power.on[4]
