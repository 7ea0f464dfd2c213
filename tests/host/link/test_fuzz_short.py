"""The link fuzz bench (benchmarks/fuzz_link.py), short: 10^4 hostile inputs into the simulated
board's serial line, in the default suite (about 15 s).  The full run is
`python benchmarks/fuzz_link.py --frames 1000000`."""

from benchmarks.fuzz_link import run


def test_ten_thousand_hostile_frames_never_reboot_or_hang_and_the_board_counts_every_one():
    r = run(10_000, seed=16, batch=2000, log=lambda message: None)
    assert r["reboots"] == 0 and r["watchdog_resets"] == 0 and r["hangs"] == 0, r["reboot_inputs"]
    assert r["accounting_error_count"] == 0, r["accounting_errors"]  # every frame died where the model says
    assert r["counters_match"] and r["batches_compared"] == r["batches"], r["counter_mismatches"]
    assert r["authenticated_fraction"] >= 0.10 and r["passed_auth"] == r["authenticated"]
    assert all(r["stages"][stage] > 0 for stage in r["stages"]), r["stages"]  # every stage was reached
    assert r["executed"].get("completed", 0) > 0.03 * r["inputs"]
    assert "BOOT" not in r["events"]  # no reboot, and no replay of the boot's packets taken for live ones
    codes = {int(c.split()[0]) for c in r["rejection_codes"]}
    assert {1, 2, 3, 4, 5, 6, 7, 13} <= codes  # APID, service, length, range, key, MAC, replay, function
