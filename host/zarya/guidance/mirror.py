"""The pure-Python guidance kernels, under the names the C backend (zarya.guidance.native) uses."""

# Every name below is re-exported: __all__ is the shared KERNELS list, which ruff cannot read.
from zarya.guidance.api import KERNELS, Elements, LambertSolution, PorkchopGrid  # noqa: F401
from zarya.guidance.ephemeris import planet_state  # noqa: F401
from zarya.guidance.kepler import elements_to_state, propagate_kepler, state_to_elements  # noqa: F401
from zarya.guidance.lambert import lambert, lambert_batch  # noqa: F401
from zarya.guidance.porkchop import porkchop  # noqa: F401

__all__ = KERNELS
