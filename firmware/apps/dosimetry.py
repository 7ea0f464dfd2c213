# Dosimetry formulas for the radiation monitor, in MicroPython.
# Same names, units and order of operations as host/zarya/dose/mirror.py and native/dose.c, so the
# board's running totals agree with the host's re-integration of the downlinked samples.
# Units: s, counts/s, Gy, Gy/s, Sv, keV/um.
import math

NONPARALYZABLE = 0
PARALYZABLE = 1


def true_rate(m_cps, tau_s, model):
    """True count rate (counts/s) from measured m_cps with dead time tau_s; None if saturated."""
    if tau_s == 0.0 or m_cps == 0.0:
        return m_cps
    if model == PARALYZABLE:
        y = m_cps * tau_s
        if y > math.exp(-1.0):
            return None
        x = y
        for _ in range(200):
            e = math.exp(-x)
            slope = (1.0 - x) * e
            if slope <= 0.0:
                break
            dx = (x * e - y) / slope
            x -= dx
            if abs(dx) <= 1e-15 * x:
                break
        return x / tau_s
    busy = m_cps * tau_s
    if busy >= 1.0:
        return None
    return m_cps / (1.0 - busy)


def quality_factor(let_kev_um):
    """ICRP 60 Q(L), L in keV/um in water."""
    if let_kev_um < 10.0:
        return 1.0
    if let_kev_um <= 100.0:
        return 0.32 * let_kev_um - 2.2
    return 300.0 / math.sqrt(let_kev_um)


def trapezoid_gy(rate_prev_gy_s, rate_gy_s, dt_s):
    """Dose over one sample interval, as the host's integrator adds it."""
    return 0.5 * (rate_gy_s + rate_prev_gy_s) * dt_s
