"""Units and physical constants used across the host package, each named once.

SI throughout (s, m, Gy, Sv, W, Wh), with the field's conventions where they are the norm:
km and km/s for trajectories, au for heliocentric distance, uGy/h for dose rates read by people.
"""

HOUR_S = 3600.0
DAY_S = 86400.0
YEAR_D = 365.25  # Julian year, days

AU_KM = 149597870.7  # IAU 2012 Resolution B2
MU_SUN_KM3_S2 = 1.32712440018e11  # JPL DE405 heliocentric gravitational parameter

GY_S_PER_UGY_H = 1e-6 / HOUR_S  # 1 uGy/h in Gy/s


def ugy_h_to_gy_s(rate_ugy_h):
    """Dose rate in Gy/s from uGy/h (numbers or numpy arrays)."""
    return rate_ugy_h * GY_S_PER_UGY_H


def gy_s_to_ugy_h(rate_gy_s):
    """Dose rate in uGy/h from Gy/s (numbers or numpy arrays)."""
    return rate_gy_s / GY_S_PER_UGY_H
