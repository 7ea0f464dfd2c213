"""Guidance: planet ephemerides, Kepler propagation, Lambert transfers and porkchop grids.

Kernels come in two backends with one API: `zarya.backends.guidance()` gives the one
ZARYA_BACKEND selects (C by default, zarya.guidance.native) or the pure-Python mirror
(zarya.guidance.mirror).  Units: km, s, km/s, km^3/s^2, rad, TDB Julian dates.
"""
