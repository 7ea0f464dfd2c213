/* Dose-integration kernels: the C side of host/zarya/dose/mirror.py.
 *
 * Units: time in s, count rates in counts/s, absorbed dose in Gy, absorbed
 * dose rate in Gy/s, dose equivalent in Sv, LET in keV/um (in water).
 * Every function returns ZR_OK or a ZR_E* status; on error, *bad_index (when
 * given) names the first offending element.  Nothing is clipped silently.
 */
#ifndef ZARYA_DOSE_H
#define ZARYA_DOSE_H

#include <stddef.h>
#include <stdint.h>

#define ZR_OK 0
#define ZR_ESATURATED 1    /* dead-time correction has no finite solution */
#define ZR_ENOTFINITE 2    /* NaN or infinite value */
#define ZR_ENEGATIVE 3     /* negative rate, count, interval or dead time */
#define ZR_ENONMONOTONIC 4 /* time does not increase strictly */
#define ZR_ERANGE 5        /* counter value outside [0, 2^bits) or bad bits */
#define ZR_EEDGES 6        /* LET bin edges not positive and increasing */
#define ZR_EARG 7          /* bad scalar argument (window, threshold, ...) */

#define ZR_DEADTIME_NONPARALYZABLE 0
#define ZR_DEADTIME_PARALYZABLE 1

#define ZR_ON_BAD_RAISE 0
#define ZR_ON_BAD_SKIP 1

/* 1. True count rate n (counts/s) from measured rate m with dead time tau (s). */
int true_rate(double m_cps, double tau_s, int model, double *n_cps);

/* counts[i] counted over interval_s[i]; dose rate = true rate * gy_per_count. */
int counts_to_dose_rate(const double *counts, const double *interval_s, size_t n,
                        double tau_s, int model, double gy_per_count,
                        double *dose_rate_gy_s, size_t *bad_index);

/* 2. Per-sample increments of a cumulative counter of `bits` bits (16 or 32).
 * A step down is a wrap when the wrapped step is <= max_step, else a reset
 * (reboot): the counter restarted from zero, so the increment is raw[i]. */
int unwrap_counter(const int64_t *raw, size_t n, int bits, int64_t max_step,
                   int64_t *increments, uint8_t *is_reset, size_t *bad_index);

/* 3 and 4. Streaming trapezoid integration.  Feeding a series in chunks gives
 * bit-for-bit the result of feeding it whole. */
typedef struct {
    double t_last_s;      /* last accepted sample */
    double rate_last;     /* its dose rate, Gy/s */
    int has_last;
    int64_t n_seen;       /* samples fed so far: global index of the next one */
    int64_t n_skipped;    /* bad samples skipped (ZR_ON_BAD_SKIP) */
    int64_t n_gaps;
    double total_gy;      /* dose over bridged intervals only */
    double gap_s;         /* total time in gaps longer than max_gap_s */
    double gap_dose_gy;   /* trapezoid estimate over the gaps: unknown, not in total */
} zr_integrator;

void integrator_init(zr_integrator *s);

/* cumulative_gy (n) and gaps (3 per gap: t_start_s, t_end_s, estimate_gy;
 * room for 3*n) may be NULL.  *n_gaps_out counts gaps written by this call. */
int integrator_feed(zr_integrator *s, const double *t_s, const double *rate_gy_s,
                    size_t n, double max_gap_s, int on_bad,
                    double *cumulative_gy, double *gaps, size_t *n_gaps_out,
                    size_t *bad_index);

/* 5. ICRP 60 quality factor Q(L), L in keV/um. */
double quality_factor(double let_kev_um);

/* Dose and dose equivalent of an LET spectrum: counts[i] particles in bin
 * [edges[i], edges[i+1]) through area_cm2; D = 1.602176634e-9 Gy per
 * (particle/cm^2 * keV/um), bin LET = geometric mean of its edges. */
int dose_equivalent(const double *counts, const double *edges_kev_um, size_t n_bins,
                    double area_cm2, double *dose_gy, double *dose_eq_sv,
                    size_t *bad_index);

/* 6. Dose in the trailing window (t_i - window_s, t_i] from a cumulative
 * series; before a full window has passed, the dose since the start. */
int rolling_dose(const double *t_s, const double *cumulative_gy, size_t n,
                 double window_s, double *window_gy, size_t *bad_index);

/* Elevated-dose events: start when rate >= on, end at the first sample with
 * rate < off (off <= on), kept when end - start >= min_duration_s.  Each event
 * is 6 doubles in `events` (room for 6*n): start_s, peak_s, peak_rate_gy_s,
 * end_s, dose_gy, ongoing (1.0 when the series ends inside the event). */
int detect_events(const double *t_s, const double *rate_gy_s, size_t n,
                  double on_gy_s, double off_gy_s, double min_duration_s,
                  double *events, size_t *n_events, size_t *bad_index);

#endif
