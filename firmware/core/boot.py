# Boot records: boot counter, reset cause, the clean-shutdown flag and the last mode survive
# resets in the store.  The flag is cleared at every boot and set only by an orderly
# shutdown, so finding it cleared means the last run ended unplanned (power, hang, crash).
POWER_ON, COMMANDED, WATCHDOG, UNKNOWN = 0, 1, 2, 3


class BootRecord:
    def __init__(self, store, board_cause):
        self.store = store
        rec = store.load("boot", {"count": 0, "clean": True, "next_cause": POWER_ON, "mode": 0})
        self.count = rec.get("count", 0) + 1
        self.unclean = not rec.get("clean", True)
        self.cause = COMMANDED if rec.get("next_cause") == COMMANDED else board_cause
        if self.unclean and self.cause == POWER_ON:
            self.cause = UNKNOWN
        self.mode = rec.get("mode", 0)
        self._save(False, POWER_ON)

    def _save(self, clean, next_cause):
        self.store.save("boot", {"count": self.count, "clean": clean, "next_cause": next_cause, "mode": self.mode})

    def shutdown(self, next_cause=POWER_ON):
        """Orderly end of this run (reset command, maintenance, power-down)."""
        self._save(True, next_cause)

    def set_mode(self, mode):
        self.mode = mode
        self._save(False, POWER_ON)
