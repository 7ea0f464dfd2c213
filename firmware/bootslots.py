# Firmware slots (kept at the flash root with main.py, outside the slots): the boot loader (main.py) runs the active slot; a newly flashed slot is
# "pending" until it has flown for a while, and the loader rolls back to the previous slot after
# MAX_TRIES boots that never confirmed.  slots.json is replaced atomically (write, then rename).
import json
import os

STATE = "slots.json"
MAX_TRIES = 3


def read():
    try:
        with open(STATE) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def write(state):
    with open(STATE + ".new", "w") as f:
        json.dump(state, f)
    os.rename(STATE + ".new", STATE)


def confirm():
    """The running slot works: stop counting tries (called by a task after a good start)."""
    state = read()
    if state and state.get("pending"):
        state["pending"] = False
        state["tries"] = 0
        write(state)
