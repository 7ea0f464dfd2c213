/* Dose-integration kernels; the Python mirror is host/zarya/dose/mirror.py and uses
 * the same names, argument order and order of floating-point operations, so
 * the two agree to the last bit where libm agrees with Python's math. */
#include "dose.h"

#include <float.h>
#include <math.h>

/* Energy per unit path in water: 1 keV/um over 1 particle/cm^2 in 1 g/cm^3
 * deposits 1.602176634e-9 Gy (1 keV = 1.602176634e-16 J). */
#define GY_PER_KEV_UM_PER_CM2 1.602176634e-9

static int check_rate_args(double m_cps, double tau_s)
{
    if (!isfinite(m_cps) || !isfinite(tau_s))
        return ZR_ENOTFINITE;
    if (m_cps < 0.0 || tau_s < 0.0)
        return ZR_ENEGATIVE;
    return ZR_OK;
}

/* Lower branch of m = n exp(-n tau): with x = n tau and y = m tau, solve
 * x exp(-x) = y on [0, 1].  Newton from x = y climbs monotonically to the
 * root because the function is increasing and concave there. */
static int paralyzable_rate(double m_cps, double tau_s, double *n_cps)
{
    double y = m_cps * tau_s;
    if (y > exp(-1.0))
        return ZR_ESATURATED;
    double x = y;
    for (int it = 0; it < 200; it++) {
        double e = exp(-x);
        double slope = (1.0 - x) * e;
        if (slope <= 0.0)
            break;
        double dx = (x * e - y) / slope;
        x -= dx;
        if (fabs(dx) <= 1e-15 * x)
            break;
    }
    *n_cps = x / tau_s;
    return ZR_OK;
}

int true_rate(double m_cps, double tau_s, int model, double *n_cps)
{
    int err = check_rate_args(m_cps, tau_s);
    if (err)
        return err;
    if (model != ZR_DEADTIME_NONPARALYZABLE && model != ZR_DEADTIME_PARALYZABLE)
        return ZR_EARG;
    if (tau_s == 0.0 || m_cps == 0.0) {
        *n_cps = m_cps;
        return ZR_OK;
    }
    if (model == ZR_DEADTIME_PARALYZABLE)
        return paralyzable_rate(m_cps, tau_s, n_cps);
    double busy = m_cps * tau_s;
    if (busy >= 1.0)
        return ZR_ESATURATED;
    *n_cps = m_cps / (1.0 - busy);
    return ZR_OK;
}

int counts_to_dose_rate(const double *counts, const double *interval_s, size_t n,
                        double tau_s, int model, double gy_per_count,
                        double *dose_rate_gy_s, size_t *bad_index)
{
    if (!isfinite(gy_per_count) || gy_per_count <= 0.0)
        return ZR_EARG;
    for (size_t i = 0; i < n; i++) {
        double true_cps = 0.0;
        int err = ZR_OK;
        if (!isfinite(interval_s[i]))
            err = ZR_ENOTFINITE;
        else if (interval_s[i] <= 0.0)
            err = ZR_ENEGATIVE;
        else
            err = true_rate(counts[i] / interval_s[i], tau_s, model, &true_cps);
        if (err) {
            *bad_index = i;
            return err;
        }
        dose_rate_gy_s[i] = true_cps * gy_per_count;
    }
    return ZR_OK;
}

int unwrap_counter(const int64_t *raw, size_t n, int bits, int64_t max_step,
                   int64_t *increments, uint8_t *is_reset, size_t *bad_index)
{
    if (bits < 1 || bits > 62 || max_step <= 0)
        return ZR_EARG;
    int64_t modulus = (int64_t)1 << bits;
    for (size_t i = 0; i < n; i++) {
        if (raw[i] < 0 || raw[i] >= modulus) {
            *bad_index = i;
            return ZR_ERANGE;
        }
        increments[i] = 0;
        is_reset[i] = 0;
        if (i == 0)
            continue;
        int64_t step = raw[i] - raw[i - 1];
        if (step >= 0) {
            increments[i] = step;
        } else if (step + modulus <= max_step) {
            increments[i] = step + modulus;
        } else {
            increments[i] = raw[i];
            is_reset[i] = 1;
        }
    }
    return ZR_OK;
}

void integrator_init(zr_integrator *s)
{
    s->t_last_s = 0.0;
    s->rate_last = 0.0;
    s->has_last = 0;
    s->n_seen = 0;
    s->n_skipped = 0;
    s->n_gaps = 0;
    s->total_gy = 0.0;
    s->gap_s = 0.0;
    s->gap_dose_gy = 0.0;
}

/* Why a sample is bad; t_last is -INFINITY before the first accepted sample. */
static int sample_error(double t_last, double t, double rate)
{
    if (!isfinite(t) || !isfinite(rate))
        return ZR_ENOTFINITE;
    if (rate < 0.0)
        return ZR_ENEGATIVE;
    if (!(t > t_last))
        return ZR_ENONMONOTONIC;
    return ZR_OK;
}

int integrator_feed(zr_integrator *s, const double *t_s, const double *rate_gy_s,
                    size_t n, double max_gap_s, int on_bad,
                    double *cumulative_gy, double *gaps, size_t *n_gaps_out,
                    size_t *bad_index)
{
    *n_gaps_out = 0;
    if (isnan(max_gap_s) || max_gap_s <= 0.0 ||
        (on_bad != ZR_ON_BAD_RAISE && on_bad != ZR_ON_BAD_SKIP))
        return ZR_EARG;
    /* The running state lives in locals: through `s` the compiler would have to
     * reload it after every store to cumulative_gy (they might alias), which
     * doubles the length of the loop-carried dependency. */
    double t_last = s->has_last ? s->t_last_s : -INFINITY;
    double rate_last = s->rate_last;
    double total = s->total_gy;
    size_t n_gaps = 0;
    int err = ZR_OK;
    size_t i;
    for (i = 0; i < n; i++) {
        double t = t_s[i];
        double rate = rate_gy_s[i];
        /* One predictable test for the common case; NaN fails every comparison. */
        if (!(rate >= 0.0 && rate <= DBL_MAX && t > t_last && t <= DBL_MAX)) {
            err = sample_error(t_last, t, rate);
            if (on_bad == ZR_ON_BAD_RAISE)
                break;
            err = ZR_OK;
            s->n_skipped++;
            if (cumulative_gy)
                cumulative_gy[i] = total;
            continue;
        }
        if (t_last != -INFINITY) {
            double dt = t - t_last;
            double area = 0.5 * (rate + rate_last) * dt;
            if (dt > max_gap_s) {
                s->gap_s += dt;
                s->gap_dose_gy += area;
                s->n_gaps++;
                if (gaps) {
                    gaps[3 * n_gaps] = t_last;
                    gaps[3 * n_gaps + 1] = t;
                    gaps[3 * n_gaps + 2] = area;
                }
                n_gaps++;
            } else {
                total += area;
            }
        }
        t_last = t;
        rate_last = rate;
        if (cumulative_gy)
            cumulative_gy[i] = total;
    }
    if (t_last != -INFINITY) {
        s->t_last_s = t_last;
        s->rate_last = rate_last;
        s->has_last = 1;
    }
    s->total_gy = total;
    *n_gaps_out = n_gaps;
    if (err) {
        *bad_index = (size_t)s->n_seen + i;
        s->n_seen += (int64_t)i;
        return err;
    }
    s->n_seen += (int64_t)n;
    return ZR_OK;
}

double quality_factor(double let_kev_um)
{
    if (let_kev_um < 10.0)
        return 1.0;
    if (let_kev_um <= 100.0)
        return 0.32 * let_kev_um - 2.2;
    return 300.0 / sqrt(let_kev_um);
}

int dose_equivalent(const double *counts, const double *edges_kev_um, size_t n_bins,
                    double area_cm2, double *dose_gy, double *dose_eq_sv,
                    size_t *bad_index)
{
    if (n_bins == 0 || !isfinite(area_cm2) || area_cm2 <= 0.0)
        return ZR_EARG;
    for (size_t i = 0; i <= n_bins; i++) {
        double edge = edges_kev_um[i];
        if (!isfinite(edge) || edge <= 0.0 || (i > 0 && !(edge > edges_kev_um[i - 1]))) {
            *bad_index = i;
            return ZR_EEDGES;
        }
    }
    double dose = 0.0;
    double dose_eq = 0.0;
    for (size_t i = 0; i < n_bins; i++) {
        if (!isfinite(counts[i])) {
            *bad_index = i;
            return ZR_ENOTFINITE;
        }
        if (counts[i] < 0.0) {
            *bad_index = i;
            return ZR_ENEGATIVE;
        }
        double let = sqrt(edges_kev_um[i] * edges_kev_um[i + 1]);
        double bin_dose = counts[i] / area_cm2 * let * GY_PER_KEV_UM_PER_CM2;
        dose += bin_dose;
        dose_eq += quality_factor(let) * bin_dose;
    }
    *dose_gy = dose;
    *dose_eq_sv = dose_eq;
    return ZR_OK;
}

static int check_times(const double *t_s, size_t n, size_t *bad_index)
{
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(t_s[i])) {
            *bad_index = i;
            return ZR_ENOTFINITE;
        }
        if (i > 0 && !(t_s[i] > t_s[i - 1])) {
            *bad_index = i;
            return ZR_ENONMONOTONIC;
        }
    }
    return ZR_OK;
}

int rolling_dose(const double *t_s, const double *cumulative_gy, size_t n,
                 double window_s, double *window_gy, size_t *bad_index)
{
    if (isnan(window_s) || window_s <= 0.0)
        return ZR_EARG;
    int err = check_times(t_s, n, bad_index);
    if (err)
        return err;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        double start = t_s[i] - window_s;
        if (start <= t_s[0]) {
            window_gy[i] = cumulative_gy[i] - cumulative_gy[0];
            continue;
        }
        while (t_s[j + 1] <= start)
            j++;
        double frac = (start - t_s[j]) / (t_s[j + 1] - t_s[j]);
        double at_start = cumulative_gy[j] + (cumulative_gy[j + 1] - cumulative_gy[j]) * frac;
        window_gy[i] = cumulative_gy[i] - at_start;
    }
    return ZR_OK;
}

static void put_event(double *ev, const double *t_s, const double *rate_gy_s,
                      size_t start, size_t peak, size_t end, double dose, int ongoing)
{
    ev[0] = t_s[start];
    ev[1] = t_s[peak];
    ev[2] = rate_gy_s[peak];
    ev[3] = t_s[end];
    ev[4] = dose;
    ev[5] = ongoing ? 1.0 : 0.0;
}

int detect_events(const double *t_s, const double *rate_gy_s, size_t n,
                  double on_gy_s, double off_gy_s, double min_duration_s,
                  double *events, size_t *n_events, size_t *bad_index)
{
    *n_events = 0;
    if (!isfinite(on_gy_s) || !isfinite(off_gy_s) || off_gy_s > on_gy_s ||
        !(min_duration_s >= 0.0))
        return ZR_EARG;
    int err = check_times(t_s, n, bad_index);
    if (err)
        return err;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(rate_gy_s[i])) {
            *bad_index = i;
            return ZR_ENOTFINITE;
        }
        if (rate_gy_s[i] < 0.0) {
            *bad_index = i;
            return ZR_ENEGATIVE;
        }
    }
    size_t count = 0, start = 0, peak = 0;
    int inside = 0;
    double dose = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (!inside) {
            if (rate_gy_s[i] >= on_gy_s) {
                inside = 1;
                start = peak = i;
                dose = 0.0;
            }
            continue;
        }
        dose += 0.5 * (rate_gy_s[i] + rate_gy_s[i - 1]) * (t_s[i] - t_s[i - 1]);
        if (rate_gy_s[i] > rate_gy_s[peak])
            peak = i;
        if (rate_gy_s[i] < off_gy_s) {
            inside = 0;
            if (t_s[i] - t_s[start] >= min_duration_s)
                put_event(events + 6 * count++, t_s, rate_gy_s, start, peak, i, dose, 0);
        }
    }
    if (inside && t_s[n - 1] - t_s[start] >= min_duration_s)
        put_event(events + 6 * count++, t_s, rate_gy_s, start, peak, n - 1, dose, 1);
    *n_events = count;
    return ZR_OK;
}
