/* Guidance kernels: the C side of host/zarya/guidance/.
 *
 * Units: km, s, km/s, km^3/s^2; angles in rad; Julian dates (TDB) in days.
 * Frames: heliocentric ecliptic and equinox of J2000.  Vectors are double[3].
 * Status codes are shared with dose.h (ZR_OK = 0) plus the ZR_G* codes below.
 */
#ifndef ZARYA_GUIDANCE_H
#define ZARYA_GUIDANCE_H

#include <stddef.h>
#include <stdint.h>

#define ZR_GOK 0
#define ZR_GBODY 20       /* unknown body id */
#define ZR_GNOTFINITE 21  /* non-finite input */
#define ZR_GTOF 22        /* time of flight <= 0 */
#define ZR_GPLANE 23      /* r1 parallel to r2: transfer plane undefined */
#define ZR_GNOCONVERGE 24 /* iteration did not converge */
#define ZR_GCONIC 25      /* elements do not describe an orbit (e < 0, p <= 0, ...) */

#define ZR_N_BODIES 8     /* 1 Mercury .. 8 Neptune; 3 is the Earth-Moon barycentre */

/* Heliocentric state of `body` at jd_tdb from Standish's 1800-2050 AD table. */
int planet_state(int body, double jd_tdb, double *r_km, double *v_km_s);

/* Classical elements <-> state.  p_km is the semi-latus rectum (works for
 * every conic); angles in rad.  For circular or equatorial orbits the
 * undefined angles are 0 and the others are measured as documented in the
 * Python mirror (zarya.guidance.kepler). */
int elements_to_state(double p_km, double ecc, double inc, double raan, double argp,
                      double nu, double mu_km3_s2, double *r_km, double *v_km_s);
/* elements: p_km, a_km (inf for a parabola), ecc, inc, raan, argp, nu */
int state_to_elements(const double *r_km, const double *v_km_s, double mu_km3_s2,
                      double *elements);

/* Universal-variable propagation of (r0, v0) by dt_s (either sign, any conic). */
int propagate_kepler(const double *r0_km, const double *v0_km_s, double dt_s,
                     double mu_km3_s2, double *r_km, double *v_km_s);

/* Izzo (2015) Lambert solver: every solution up to max_revs revolutions, in
 * the order 0 rev, then for each N: left branch, right branch.  v1/v2 have
 * room for (2*max_revs+1)*3 doubles; revs (nullable) gets each solution's N. */
int lambert(double mu_km3_s2, const double *r1_km, const double *r2_km, double tof_s,
            int prograde, int max_revs, double *v1_km_s, double *v2_km_s,
            int *revs, size_t *n_solutions);

/* The zero-revolution solution for n independent problems (row-major [n][3]).
 * status[i] is each problem's code; the call returns ZR_OK.  Batches of 1024
 * or more are shared among the OpenMP threads. */
int lambert_batch(double mu_km3_s2, const double *r1_km, const double *r2_km,
                  const double *tof_s, size_t n, int prograde,
                  double *v1_km_s, double *v2_km_s, int *status);

/* Porkchop: for each departure date i and arrival date j (row-major n_dep x
 * n_arr) the prograde zero-revolution transfer from `origin` to `target`.
 * Outputs per cell: c3_km2_s2, vinf_dep_km_s[3], dla_rad (declination of the
 * departure asymptote in the J2000 equator frame), vinf_arr_km_s, tof_s,
 * transfer_type (1: angle < 180 deg, 2: > 180 deg, 0: no transfer, values NaN).
 * Uses up to n_threads threads (OpenMP; 0 = all). */
int porkchop(int origin, int target, const double *depart_jd, size_t n_dep,
             const double *arrive_jd, size_t n_arr, int n_threads,
             double *c3_km2_s2, double *vinf_dep_km_s, double *dla_rad,
             double *vinf_arr_km_s, double *tof_s, int8_t *transfer_type);

#endif
