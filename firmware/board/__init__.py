# Board selection at boot: the Pico implementation on rp2, the simulated board elsewhere (the
# MicroPython unix port under the bench).  board.cfg can name one explicitly ("pico"/"sim").
import sys


def select():
    name = "pico" if sys.platform == "rp2" else "sim"
    try:
        with open("board.cfg") as f:
            name = f.read().strip() or name
    except OSError:
        pass
    if name == "pico":
        from board.pico import PicoBoard

        return PicoBoard()
    from board.sim import SimBoard

    return SimBoard()
