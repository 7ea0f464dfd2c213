# The radiation monitor, driven by scripted counter values in the MicroPython VM.
import struct

from apps import radmon as rm
from mp_helpers import boot_apps, events, frame, run, tc

UGY_H = 1e-6 / 3600
CPS_PER_UGY_H = UGY_H / 1e-8  # default calibration: 1e-8 Gy per count


def test_dose_rate_is_dead_time_corrected_and_calibrated():
    board, app, rad, _ = boot_apps()
    run(board, app, 5, cps=1000)
    n = 1000 / (1 - 1000 * 1e-4)
    assert abs(rad.rate_gy_s - n * 1e-8) < 1e-3 * n * 1e-8


def test_counter_wrap_at_sample_boundary_adds_exactly_the_counts():
    board, app, rad, _ = boot_apps()
    board.count = 65530
    run(board, app, 2, cps=0)
    board.count = 65530
    run(board, app, 1, cps=10, each=None)  # 65530 -> 4 (wrapped): 10 counts in the second
    assert rad.counts == 10 and rad.sensor == rm.OK


def test_alarm_levels_rise_with_dwell_and_storm_shelter_is_never_left_automatically():
    board, app, rad, power = boot_apps()
    run(board, app, 120, step_ms=1000, cps=20 * CPS_PER_UGY_H)
    assert rad.level == rm.NOMINAL
    packets = run(board, app, 200, step_ms=1000, cps=100 * CPS_PER_UGY_H)  # 5x background
    assert rad.level == rm.ELEVATED and len(events(packets, 20)) == 1
    packets = run(board, app, 120, step_ms=1000, cps=5000 * CPS_PER_UGY_H)
    levels = [struct.unpack(">BBf", e[2:8])[1] for e in events(packets, 20)]
    assert levels == [rm.SPE_WATCH, rm.STORM_SHELTER] and power.shelter
    run(board, app, 600, step_ms=1000, cps=20 * CPS_PER_UGY_H)
    assert rad.level == rm.STORM_SHELTER and power.shelter  # no automatic exit


def test_all_clear_is_refused_while_the_storm_lasts_and_restores_loads_after():
    board, app, rad, power = boot_apps()
    run(board, app, 90, step_ms=1000, cps=5000 * CPS_PER_UGY_H)
    assert rad.level == rm.STORM_SHELTER and not power.on[5]  # payload off in the shelter
    board.rx.extend(frame(tc(8, 1, struct.pack(">H", 10), apid="radmon", auth_seq=1)))
    run(board, app, 1, step_ms=1000, cps=5000 * CPS_PER_UGY_H)
    assert rad.level == rm.STORM_SHELTER
    run(board, app, 120, step_ms=1000, cps=20 * CPS_PER_UGY_H)
    board.rx.extend(frame(tc(8, 1, struct.pack(">H", 10), apid="radmon", auth_seq=2)))
    run(board, app, 1, step_ms=1000, cps=20 * CPS_PER_UGY_H)
    assert rad.level == rm.NOMINAL and not power.shelter and power.on[5]


def test_elevated_is_left_with_hysteresis_not_on_noise_at_the_threshold():
    board, app, rad, _ = boot_apps()
    run(board, app, 200, step_ms=1000, cps=100 * CPS_PER_UGY_H)
    assert rad.level == rm.ELEVATED
    run(board, app, 300, step_ms=1000, cps=50 * CPS_PER_UGY_H)  # below 3x20 but above 0.7 x 60
    assert rad.level == rm.ELEVATED
    run(board, app, 300, step_ms=1000, cps=20 * CPS_PER_UGY_H)
    assert rad.level == rm.NOMINAL


def test_stuck_counter_is_a_fault_and_clears_when_counts_return():
    board, app, rad, _ = boot_apps()
    app.params.set(19, 60)  # rad_stuck_s
    run(board, app, 10, step_ms=1000, cps=500)
    packets = run(board, app, 120, step_ms=1000, cps=0)
    assert rad.sensor == rm.FAULT and rad.fault_reason == rm.STUCK and len(events(packets, 21)) == 1
    run(board, app, 5, step_ms=1000, cps=500)
    assert rad.sensor == rm.OK


def test_dose_during_a_sensor_fault_is_flagged_not_integrated():
    board, app, rad, _ = boot_apps()
    run(board, app, 180, step_ms=1000, cps=20 * CPS_PER_UGY_H)  # background
    total = rad.total_gy
    run(board, app, 60, step_ms=1000, cps=5000)  # 18,000 x the hour's mean within a second: not physical
    assert rad.sensor == rm.FAULT and rad.fault_reason == rm.JUMP
    assert rad.total_gy == total  # none of it in the crew's total ...
    true_gy_s = 5000 / (1 - 5000 * 1e-4) * 1e-8  # dead-time corrected, calibrated
    assert abs(rad.flagged_gy - 59.5 * true_gy_s) <= 0.02 * 59.5 * true_gy_s  # ... all of it kept apart


def test_totals_persist_across_a_reboot():
    board, app, rad, _ = boot_apps()
    run(board, app, 30, step_ms=1000, cps=500)
    rad.persist()
    total = rad.total_gy
    board = app = rad = None  # the rebooted board's heap holds only the new boot
    _, _, rad2, _ = boot_apps()
    assert rad2.total_gy == total and total > 0


def test_reboot_mid_storm_keeps_the_shelter():
    board, app, rad, _ = boot_apps()
    run(board, app, 90, step_ms=1000, cps=5000 * CPS_PER_UGY_H)
    assert rad.level == rm.STORM_SHELTER
    board = app = rad = None  # the rebooted board's heap holds only the new boot
    _, _, rad2, power2 = boot_apps()
    assert rad2.level == rm.STORM_SHELTER and power2.shelter


def test_corrupt_dose_record_is_reported_and_defaults_used():
    with open("radmon", "wb") as f:
        f.write(b"ZRS1" + bytes(30))
    _, app, rad, _ = boot_apps()
    assert rad.total_gy == 0.0 and app.corrupt == [(5, 2)]  # the radmon record's file id, defaults used
