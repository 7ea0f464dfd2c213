# Zarya flight software: pick the board, start the core, add the applications.  Started by the
# boot loader (main.py) from the active firmware slot.
# Modules are imported one by one with a collection in between: compiling them takes heap, and
# freeing it before the next keeps the Pico-sized heap from fragmenting.
import gc

import board
import bootslots as slots
from core.app import App

gc.collect()
from apps.power import PowerManager  # noqa: E402

gc.collect()
from apps.radmon import RadiationMonitor  # noqa: E402

gc.collect()


def main():
    app = App(board.select())
    gc.collect()
    power = PowerManager(app)
    radmon = RadiationMonitor(app, power.on_rad_alarm)
    radmon.start()  # task order in every pass: radiation monitor, then power manager
    power.start()
    app.add_task("confirm-slot", 5000, lambda: app.clock.uptime_s >= 30 and slots.confirm())  # flew 30 s: good
    gc.collect()
    app.run()


main()
