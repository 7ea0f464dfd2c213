"""Dose: dosimeter counts to dose rate, dose and dose equivalent, and crew dose for planning.

Two backends with one API (zarya.dose.api.KERNELS): the C kernels (native/dose.c via
zarya.dose.native) and the pure-Python mirror (zarya.dose.mirror); `zarya.backend.dose()` gives
the one ZARYA_BACKEND selects.  Around them: `readers` (dosimeter CSV and telemetry archive
into a dose-rate series), `report` (what `zarya dose integrate` prints) and `crew` (crew-dose
rates, limits and the porkchop dose grid).  Units: s, Gy, Gy/s, Sv, keV/um.
"""

from zarya.dose.api import DoseInputError, SaturationError

__all__ = ["DoseInputError", "SaturationError"]
