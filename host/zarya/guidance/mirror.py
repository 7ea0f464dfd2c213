"""The pure-Python guidance kernels, under the names the C backend (zarya.guidance.native) uses."""

from zarya.guidance.ephemeris import planet_state
from zarya.guidance.kepler import Elements, elements_to_state, propagate_kepler, state_to_elements
from zarya.guidance.lambert import LambertSolution, lambert, lambert_batch
from zarya.guidance.porkchop import PorkchopGrid, porkchop

__all__ = [
    "Elements",
    "LambertSolution",
    "PorkchopGrid",
    "elements_to_state",
    "lambert",
    "lambert_batch",
    "planet_state",
    "porkchop",
    "propagate_kepler",
    "state_to_elements",
]
