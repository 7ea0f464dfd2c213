# Boot loader: run the active firmware slot (slot_a or slot_b), counting the boots of a slot that
# has not yet confirmed itself and rolling back to the previous slot after MAX_TRIES of them.
# Without slots.json (a board fresh from the factory, or the simulator on a checkout) the
# firmware beside this file runs.  This file is not replaced by a normal flash.
import sys

import bootslots as slots


def choose():
    state = slots.read()
    if not state:
        return None
    if state.get("pending"):
        state["tries"] = state.get("tries", 0) + 1
        if state["tries"] > slots.MAX_TRIES and state.get("previous"):
            state = {"active": state["previous"], "previous": state["active"], "pending": False, "tries": 0,
                     "rolled_back": state["active"]}
        slots.write(state)
    return state["active"]


if sys.platform == "rp2":  # a slot that crashes or hangs before its loop is reset, and counted
    import machine

    machine.WDT(timeout=8000)

slot = choose()
if slot:
    sys.path.insert(0, slot)
try:
    import flight  # noqa: E402,F401  (runs the flight software)
except ImportError as err:  # a slot built before the entry module was renamed (a rollback target)
    if "flight" not in str(err):
        raise
    import zarya_app  # type: ignore[import-not-found]  # noqa: E402,F401
