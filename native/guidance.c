/* Guidance kernels; the Python mirror is host/zarya/guidance/ (ephemeris.py,
 * kepler.py, lambert.py, porkchop.py) with the same names, arguments and order
 * of operations. */
#include "guidance.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define PI 3.14159265358979323846
#define DEG (PI / 180.0)
#define AU_KM 149597870.7
#define DAY_S 86400.0
#define J2000_JD 2451545.0
#define CENTURY_D 36525.0
#define MU_SUN_KM3_S2 1.32712440018e11
#define OBLIQUITY_J2000_RAD (23.43928 * DEG)

/* ---- small vector helpers ---------------------------------------------- */

static double dot3(const double *a, const double *b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
static double norm3(const double *a) { return sqrt(dot3(a, a)); }

static void cross3(const double *a, const double *b, double *out)
{
    double x = a[1] * b[2] - a[2] * b[1];
    double y = a[2] * b[0] - a[0] * b[2];
    double z = a[0] * b[1] - a[1] * b[0];
    out[0] = x;
    out[1] = y;
    out[2] = z;
}

static int finite3(const double *a) { return isfinite(a[0]) && isfinite(a[1]) && isfinite(a[2]); }

/* ---- ephemerides --------------------------------------------------------- */

/* E. M. Standish, "Keplerian Elements for Approximate Positions of the Major
 * Planets", JPL Solar System Dynamics, Table 1 (1800 AD - 2050 AD): a (au),
 * e, I (deg), L (deg), long. perihelion (deg), long. node (deg), then their
 * rates per Julian century.  Row 3 is the Earth-Moon barycentre. */
static const double STANDISH_T1[ZR_N_BODIES][12] = {
    {0.38709927, 0.20563593, 7.00497902, 252.25032350, 77.45779628, 48.33076593,
     0.00000037, 0.00001906, -0.00594749, 149472.67411175, 0.16047689, -0.12534081},
    {0.72333566, 0.00677672, 3.39467605, 181.97909950, 131.60246718, 76.67984255,
     0.00000390, -0.00004107, -0.00078890, 58517.81538729, 0.00268329, -0.27769418},
    {1.00000261, 0.01671123, -0.00001531, 100.46457166, 102.93768193, 0.0,
     0.00000562, -0.00004392, -0.01294668, 35999.37244981, 0.32327364, 0.0},
    {1.52371034, 0.09339410, 1.84969142, -4.55343205, -23.94362959, 49.55953891,
     0.00001847, 0.00007882, -0.00813131, 19140.30268499, 0.44441088, -0.29257343},
    {5.20288700, 0.04838624, 1.30439695, 34.39644051, 14.72847983, 100.47390909,
     -0.00011607, -0.00013253, -0.00183714, 3034.74612775, 0.21252668, 0.20469106},
    {9.53667594, 0.05386179, 2.48599187, 49.95424423, 92.59887831, 113.66242448,
     -0.00125060, -0.00050991, 0.00193609, 1222.49362201, -0.41897216, -0.28867794},
    {19.18916464, 0.04725744, 0.77263783, 313.23810451, 170.95427630, 74.01692503,
     -0.00196176, -0.00004397, -0.00242939, 428.48202785, 0.40805281, 0.04240589},
    {30.06992276, 0.00859048, 1.77004347, -55.12002969, 44.96476227, 131.78422574,
     0.00026291, 0.00005105, 0.00035372, 218.45945325, -0.32241464, -0.00508664},
};

/* Rotate a vector from the orbital plane (perifocal x, y) to the ecliptic. */
static void perifocal_to_frame(double xp, double yp, double raan, double inc, double argp, double *out)
{
    double co = cos(raan), so = sin(raan), ci = cos(inc), si = sin(inc), cw = cos(argp), sw = sin(argp);
    out[0] = (co * cw - so * sw * ci) * xp + (-co * sw - so * cw * ci) * yp;
    out[1] = (so * cw + co * sw * ci) * xp + (-so * sw + co * cw * ci) * yp;
    out[2] = (sw * si) * xp + (cw * si) * yp;
}

int planet_state(int body, double jd_tdb, double *r_km, double *v_km_s)
{
    if (body < 1 || body > ZR_N_BODIES)
        return ZR_GBODY;
    if (!isfinite(jd_tdb))
        return ZR_GNOTFINITE;
    const double *el = STANDISH_T1[body - 1];
    double T = (jd_tdb - J2000_JD) / CENTURY_D;
    double a = (el[0] + el[6] * T) * AU_KM;
    double e = el[1] + el[7] * T;
    double inc = (el[2] + el[8] * T) * DEG;
    double L = el[3] + el[9] * T;
    double varpi = el[4] + el[10] * T;
    double raan = (el[5] + el[11] * T) * DEG;
    double argp = varpi * DEG - raan;
    double M = fmod(L - varpi, 360.0);
    if (M > 180.0)
        M -= 360.0;
    else if (M < -180.0)
        M += 360.0;
    M *= DEG;
    double E = M + e * sin(M);
    for (int it = 0; it < 50; it++) {
        double dE = (E - e * sin(E) - M) / (1.0 - e * cos(E));
        E -= dE;
        if (fabs(dE) < 1e-15)
            break;
    }
    /* mean motion from the table's own rates, rad/s */
    double n = (el[9] - el[10]) * DEG / (CENTURY_D * DAY_S);
    double E_dot = n / (1.0 - e * cos(E));
    double b = a * sqrt(1.0 - e * e);
    perifocal_to_frame(a * (cos(E) - e), b * sin(E), raan, inc, argp, r_km);
    perifocal_to_frame(-a * sin(E) * E_dot, b * cos(E) * E_dot, raan, inc, argp, v_km_s);
    return ZR_GOK;
}

/* ---- conics -------------------------------------------------------------- */

int elements_to_state(double p_km, double ecc, double inc, double raan, double argp,
                      double nu, double mu_km3_s2, double *r_km, double *v_km_s)
{
    if (!isfinite(p_km) || !isfinite(ecc) || !isfinite(inc) || !isfinite(raan) ||
        !isfinite(argp) || !isfinite(nu) || !isfinite(mu_km3_s2))
        return ZR_GNOTFINITE;
    double denom = 1.0 + ecc * cos(nu);
    if (p_km <= 0.0 || ecc < 0.0 || mu_km3_s2 <= 0.0 || denom <= 0.0)
        return ZR_GCONIC;
    double r = p_km / denom;
    double vs = sqrt(mu_km3_s2 / p_km);
    perifocal_to_frame(r * cos(nu), r * sin(nu), raan, inc, argp, r_km);
    perifocal_to_frame(-vs * sin(nu), vs * (ecc + cos(nu)), raan, inc, argp, v_km_s);
    return ZR_GOK;
}

static double wrap_2pi(double angle)
{
    double w = fmod(angle, 2.0 * PI);
    return w < 0.0 ? w + 2.0 * PI : w;
}

/* Signed angle from a to b about the unit normal h, in [0, 2 pi). */
static double angle_about(const double *a, const double *b, const double *h)
{
    double c[3];
    cross3(a, b, c);
    return wrap_2pi(atan2(dot3(c, h), dot3(a, b)));
}

int state_to_elements(const double *r_km, const double *v_km_s, double mu_km3_s2,
                      double *elements)
{
    const double tol = 1e-11;
    if (!finite3(r_km) || !finite3(v_km_s) || !isfinite(mu_km3_s2))
        return ZR_GNOTFINITE;
    double h[3], e_vec[3], node[3], hhat[3];
    cross3(r_km, v_km_s, h);
    double rn = norm3(r_km), hn = norm3(h);
    if (mu_km3_s2 <= 0.0 || rn == 0.0 || hn <= tol * rn * norm3(v_km_s))
        return ZR_GCONIC; /* rectilinear: no orbit plane */
    double v2 = dot3(v_km_s, v_km_s), rv = dot3(r_km, v_km_s);
    for (int k = 0; k < 3; k++) {
        e_vec[k] = ((v2 - mu_km3_s2 / rn) * r_km[k] - rv * v_km_s[k]) / mu_km3_s2;
        hhat[k] = h[k] / hn;
    }
    node[0] = -h[1];
    node[1] = h[0];
    node[2] = 0.0;
    double ecc = norm3(e_vec), nn = norm3(node);
    double p = hn * hn / mu_km3_s2;
    double a = fabs(1.0 - ecc) < tol ? INFINITY : p / (1.0 - ecc * ecc);
    double inc = acos(fmax(-1.0, fmin(1.0, h[2] / hn)));
    int equatorial = nn < tol * hn;
    int circular = ecc < tol;
    double raan = 0.0, argp = 0.0, nu;
    const double xhat[3] = {1.0, 0.0, 0.0};
    if (!equatorial) {
        raan = wrap_2pi(atan2(node[1], node[0]));
        if (circular) {
            nu = angle_about(node, r_km, hhat); /* argument of latitude */
        } else {
            argp = angle_about(node, e_vec, hhat);
            nu = angle_about(e_vec, r_km, hhat);
        }
    } else if (!circular) {
        argp = angle_about(xhat, e_vec, hhat); /* longitude of periapsis */
        nu = angle_about(e_vec, r_km, hhat);
    } else {
        nu = angle_about(xhat, r_km, hhat); /* true longitude */
    }
    elements[0] = p;
    elements[1] = a;
    elements[2] = ecc;
    elements[3] = inc;
    elements[4] = raan;
    elements[5] = argp;
    elements[6] = nu;
    return ZR_GOK;
}

/* Stumpff functions C(z), S(z); series near zero where the closed forms cancel. */
static void stumpff(double z, double *c, double *s)
{
    if (z > 0.1) {
        double sz = sqrt(z);
        *c = (1.0 - cos(sz)) / z;
        *s = (sz - sin(sz)) / (sz * sz * sz);
    } else if (z < -0.1) {
        double sz = sqrt(-z);
        *c = (cosh(sz) - 1.0) / (-z);
        *s = (sinh(sz) - sz) / (sz * sz * sz);
    } else {
        *c = 1.0 / 2.0 + z * (-1.0 / 24.0 + z * (1.0 / 720.0 + z * (-1.0 / 40320.0 +
             z * (1.0 / 3628800.0 + z * (-1.0 / 479001600.0)))));
        *s = 1.0 / 6.0 + z * (-1.0 / 120.0 + z * (1.0 / 5040.0 + z * (-1.0 / 362880.0 +
             z * (1.0 / 39916800.0 + z * (-1.0 / 6227020800.0)))));
    }
}

int propagate_kepler(const double *r0_km, const double *v0_km_s, double dt_s,
                     double mu_km3_s2, double *r_km, double *v_km_s)
{
    if (!finite3(r0_km) || !finite3(v0_km_s) || !isfinite(dt_s) || !isfinite(mu_km3_s2))
        return ZR_GNOTFINITE;
    double r0 = norm3(r0_km);
    if (mu_km3_s2 <= 0.0 || r0 == 0.0)
        return ZR_GCONIC;
    double sqmu = sqrt(mu_km3_s2);
    double sigma0 = dot3(r0_km, v0_km_s) / sqmu;
    double alpha = 2.0 / r0 - dot3(v0_km_s, v0_km_s) / mu_km3_s2; /* 1/a */
    if (alpha > 0.0) /* whole revolutions change nothing: keep chi small */
        dt_s = fmod(dt_s, 2.0 * PI / sqrt(mu_km3_s2 * alpha * alpha * alpha));
    double chi = sqmu * dt_s / r0;
    if (alpha > 1e-12 / r0) {
        chi = sqmu * dt_s * alpha;
    } else if (alpha < -1e-12 / r0) {
        double a = 1.0 / alpha, sgn = dt_s < 0.0 ? -1.0 : 1.0;
        double guess = sgn * sqrt(-a) * log((-2.0 * mu_km3_s2 * alpha * dt_s) /
                       (dot3(r0_km, v0_km_s) + sgn * sqrt(-mu_km3_s2 * a) * (1.0 - r0 * alpha)));
        if (isfinite(guess))
            chi = guess;
    }
    const double zmax = 4e4;
    if (fabs(alpha) * chi * chi > zmax)
        chi = copysign(sqrt(zmax / fabs(alpha)), chi);
    /* Laguerre-Conway iteration (n = 5) on the universal Kepler equation; chi is
     * kept where |alpha| chi^2 <= zmax so cosh and sinh never overflow.  Stop
     * tests on the residual F, in ulps of its scale (the sum of the magnitudes
     * of its terms): converged when |F| is within residual_ulps of it, or when
     * the step has stopped shrinking (rounding noise decides it) and |F| is
     * within noise_ulps.  Rounding in the Stumpff functions just past |z| = 0.1
     * leaves up to ~16 ulps of noise in F; where a step grows far from the
     * root (seen in test_kepler_reference's sweeps), |F| is 2^42 ulps or more.
     * A test on the step alone never passes when the noise in F moves chi by
     * more than its tolerance. */
    const double residual_ulps = 4.0, noise_ulps = 1024.0;
    double c = 0.0, s = 0.0, u0 = 1.0, u1 = 0.0, u2 = 0.0, u3 = 0.0;
    double last = INFINITY;
    int converged = 0;
    for (int it = 0; it < 100; it++) {
        double z = alpha * chi * chi;
        stumpff(z, &c, &s);
        u2 = chi * chi * c;
        u3 = chi * chi * chi * s;
        u1 = chi * (1.0 - z * s);
        u0 = 1.0 - z * c;
        double F = r0 * u1 + sigma0 * u2 + u3 - sqmu * dt_s;
        double scale = fabs(r0 * u1) + fabs(sigma0 * u2) + fabs(u3) + fabs(sqmu * dt_s);
        if (fabs(F) <= residual_ulps * DBL_EPSILON * scale) {
            converged = 1;
            break;
        }
        double dF = r0 * u0 + sigma0 * u1 + u2;
        double ddF = (1.0 - alpha * r0) * u1 + sigma0 * u0;
        double disc = sqrt(fabs(16.0 * dF * dF - 20.0 * F * ddF));
        double dchi = 5.0 * F / (dF + copysign(disc, dF));
        if (fabs(dchi) >= last && fabs(F) <= noise_ulps * DBL_EPSILON * scale) {
            converged = 1;
            break;
        }
        last = fabs(dchi);
        chi -= dchi;
        if (fabs(alpha) * chi * chi > zmax)
            chi = copysign(sqrt(zmax / fabs(alpha)), chi);
    }
    if (!converged)
        return ZR_GNOCONVERGE;
    double z = alpha * chi * chi;
    stumpff(z, &c, &s);
    u2 = chi * chi * c;
    u1 = chi * (1.0 - z * s);
    u0 = 1.0 - z * c;
    double r = r0 * u0 + sigma0 * u1 + u2;
    double f = 1.0 - u2 / r0;
    double g = (r0 * u1 + sigma0 * u2) / sqmu;
    double fdot = -sqmu * u1 / (r * r0);
    double gdot = 1.0 - u2 / r;
    for (int k = 0; k < 3; k++) {
        double rk = f * r0_km[k] + g * v0_km_s[k];
        double vk = fdot * r0_km[k] + gdot * v0_km_s[k];
        r_km[k] = rk;
        v_km_s[k] = vk;
    }
    return ZR_GOK;
}

/* ---- Lambert: D. Izzo, "Revisiting Lambert's problem", Celest. Mech. Dyn.
 * Astr. 121 (2015) 1-15.  Non-dimensional time T(x) and its derivatives. ---- */

static double hypergeometric_f(double z, double tol)
{
    double sj = 1.0, cj = 1.0, err = 1.0;
    for (int j = 0; err > tol && j < 1000; j++) {
        double cj1 = cj * (3.0 + j) * (1.0 + j) / (2.5 + j) * z / (j + 1);
        sj += cj1;
        err = fabs(cj1);
        cj = cj1;
    }
    return sj;
}

static double x2tof2(double x, int N, double lam)
{
    double a = 1.0 / (1.0 - x * x);
    if (a > 0.0) {
        double alfa = 2.0 * acos(x);
        double beta = 2.0 * asin(sqrt(lam * lam / a));
        if (lam < 0.0)
            beta = -beta;
        return a * sqrt(a) * ((alfa - sin(alfa)) - (beta - sin(beta)) + 2.0 * PI * N) / 2.0;
    }
    double alfa = 2.0 * acosh(x);
    double beta = 2.0 * asinh(sqrt(-lam * lam / a));
    if (lam < 0.0)
        beta = -beta;
    return -a * sqrt(-a) * ((beta - sinh(beta)) - (alfa - sinh(alfa))) / 2.0;
}

static double x2tof(double x, int N, double lam)
{
    double dist = fabs(x - 1.0);
    if (dist < 0.2 && dist > 0.01)
        return x2tof2(x, N, lam); /* Lagrange */
    double K = lam * lam;
    double E = x * x - 1.0;
    double rho = fabs(E);
    double z = sqrt(1.0 + K * E);
    if (dist < 0.01) { /* Battin's series */
        double eta = z - lam * x;
        double s1 = 0.5 * (1.0 - lam - x * eta);
        double q = 4.0 / 3.0 * hypergeometric_f(s1, 1e-11);
        return (eta * eta * eta * q + 4.0 * lam * eta) / 2.0 + N * PI / pow(rho, 1.5);
    }
    double y = sqrt(rho); /* Lancaster */
    double g = x * z - lam * E;
    double d;
    if (E < 0.0)
        d = N * PI + acos(g);
    else
        d = log(y * (z - lam * x) + g);
    return (x - lam * z - d / y) / E;
}

static void dtdx(double x, double T, double lam, double *dT, double *ddT, double *dddT)
{
    double l2 = lam * lam, l3 = l2 * lam;
    double umx2 = 1.0 - x * x;
    double y = sqrt(1.0 - l2 * umx2);
    double y2 = y * y, y3 = y2 * y;
    *dT = 1.0 / umx2 * (3.0 * T * x - 2.0 + 2.0 * l3 * x / y);
    *ddT = 1.0 / umx2 * (3.0 * T + 5.0 * x * *dT + 2.0 * (1.0 - l2) * l3 / y3);
    *dddT = 1.0 / umx2 * (7.0 * x * *ddT + 8.0 * *dT - 6.0 * (1.0 - l2) * l2 * l3 * x / y3 / y2);
}

/* Householder iterations on T(x) = T; returns 0 when converged. */
static int householder(double T, double *x0, int N, double lam, double eps, int iter_max)
{
    double x = *x0, err = 1.0;
    int it = 0;
    while (err > eps && it < iter_max) {
        double tof = x2tof(x, N, lam);
        double dT, ddT, dddT;
        dtdx(x, tof, lam, &dT, &ddT, &dddT);
        double delta = tof - T;
        double dT2 = dT * dT;
        double xnew = x - delta * (dT2 - delta * ddT / 2.0) / (dT * (dT2 - delta * ddT) + dddT * delta * delta / 6.0);
        err = fabs(x - xnew);
        x = xnew;
        it++;
    }
    *x0 = x;
    return (err > eps || !isfinite(x)) ? ZR_GNOCONVERGE : ZR_GOK;
}

/* Terminal velocities of the solution x (Izzo's eq. for radial and tangential parts). */
static void lambert_velocities(double x, double lam, double gamma, double rho, double sigma,
                               double R1, double R2, const double *ir1, const double *ir2,
                               const double *it1, const double *it2, double *v1, double *v2)
{
    double y = sqrt(1.0 - lam * lam + lam * lam * x * x);
    double vr1 = gamma * ((lam * y - x) - rho * (lam * y + x)) / R1;
    double vr2 = -gamma * ((lam * y - x) + rho * (lam * y + x)) / R2;
    double vt = gamma * sigma * (y + lam * x);
    double vt1 = vt / R1, vt2 = vt / R2;
    for (int k = 0; k < 3; k++) {
        v1[k] = vr1 * ir1[k] + vt1 * it1[k];
        v2[k] = vr2 * ir2[k] + vt2 * it2[k];
    }
}

int lambert(double mu_km3_s2, const double *r1_km, const double *r2_km, double tof_s,
            int prograde, int max_revs, double *v1_km_s, double *v2_km_s,
            int *revs, size_t *n_solutions)
{
    *n_solutions = 0;
    if (!finite3(r1_km) || !finite3(r2_km) || !isfinite(tof_s) || !isfinite(mu_km3_s2))
        return ZR_GNOTFINITE;
    if (tof_s <= 0.0)
        return ZR_GTOF;
    if (mu_km3_s2 <= 0.0 || max_revs < 0)
        return ZR_GCONIC;
    double c_vec[3] = {r2_km[0] - r1_km[0], r2_km[1] - r1_km[1], r2_km[2] - r1_km[2]};
    double c = norm3(c_vec), R1 = norm3(r1_km), R2 = norm3(r2_km);
    double s = (c + R1 + R2) / 2.0;
    double ir1[3], ir2[3], ih[3], it1[3], it2[3];
    for (int k = 0; k < 3; k++) {
        ir1[k] = r1_km[k] / R1;
        ir2[k] = r2_km[k] / R2;
    }
    cross3(ir1, ir2, ih);
    double hn = norm3(ih);
    if (!(hn > 1e-12))
        return ZR_GPLANE;
    for (int k = 0; k < 3; k++)
        ih[k] /= hn;
    double lambda2 = fmax(0.0, 1.0 - c / s); /* rounding can make c / s exceed 1 at 180 deg */
    double lam = sqrt(lambda2);
    if (ih[2] < 0.0) { /* transfer angle > 180 deg */
        lam = -lam;
        cross3(ir1, ih, it1);
        cross3(ir2, ih, it2);
    } else {
        cross3(ih, ir1, it1);
        cross3(ih, ir2, it2);
    }
    double n1 = norm3(it1), n2 = norm3(it2);
    for (int k = 0; k < 3; k++) {
        it1[k] /= n1;
        it2[k] /= n2;
    }
    if (!prograde) {
        lam = -lam;
        for (int k = 0; k < 3; k++) {
            it1[k] = -it1[k];
            it2[k] = -it2[k];
        }
    }
    double lambda3 = lam * lambda2;
    double T = sqrt(2.0 * mu_km3_s2 / s / s / s) * tof_s;

    /* how many revolutions fit in T */
    int n_max = (int)(T / PI);
    double T00 = acos(lam) + lam * sqrt(1.0 - lambda2);
    double T0 = T00 + n_max * PI;
    double T1 = 2.0 / 3.0 * (1.0 - lambda3);
    if (max_revs > 0 && n_max > 0 && T < T0) { /* Halley iterations for the minimum-time x */
        double t_min = T0, x_old = 0.0, x_new = 0.0;
        for (int it = 0;; it++) {
            double dT, ddT, dddT;
            dtdx(x_old, t_min, lam, &dT, &ddT, &dddT);
            if (dT != 0.0)
                x_new = x_old - dT * ddT / (ddT * ddT - dT * dddT / 2.0);
            if (fabs(x_old - x_new) < 1e-13 || it > 12)
                break;
            t_min = x2tof(x_new, n_max, lam);
            x_old = x_new;
        }
        if (t_min > T)
            n_max -= 1;
    }
    if (n_max > max_revs)
        n_max = max_revs;

    double gamma = sqrt(mu_km3_s2 * s / 2.0);
    double rho = (R1 - R2) / c;
    double sigma = sqrt(fmax(0.0, 1.0 - rho * rho)); /* rounding can push |rho| past 1 */
    double x0;
    if (T >= T00)
        x0 = -(T - T00) / (T - T00 + 4.0);
    else if (T <= T1)
        x0 = T1 * (T1 - T) / (2.0 / 5.0 * (1.0 - lambda2 * lambda3) * T) + 1.0;
    else
        x0 = pow(T / T00, 0.69314718055994529 / log(T1 / T00)) - 1.0;
    if (householder(T, &x0, 0, lam, 1e-5, 15))
        return ZR_GNOCONVERGE;
    size_t count = 0;
    lambert_velocities(x0, lam, gamma, rho, sigma, R1, R2, ir1, ir2, it1, it2, v1_km_s, v2_km_s);
    if (!finite3(v1_km_s) || !finite3(v2_km_s))
        return ZR_GNOCONVERGE; /* nearly degenerate geometry */
    if (revs)
        revs[count] = 0;
    count++;
    for (int i = 1; i <= n_max; i++) {
        double tmp = pow((i * PI + PI) / (8.0 * T), 2.0 / 3.0);
        double branch_x[2] = {(tmp - 1.0) / (tmp + 1.0), 0.0}; /* left, right */
        tmp = pow((8.0 * T) / (i * PI), 2.0 / 3.0);
        branch_x[1] = (tmp - 1.0) / (tmp + 1.0);
        for (int b = 0; b < 2; b++) {
            if (householder(T, &branch_x[b], i, lam, 1e-8, 15))
                continue;
            lambert_velocities(branch_x[b], lam, gamma, rho, sigma, R1, R2, ir1, ir2, it1, it2,
                               v1_km_s + 3 * count, v2_km_s + 3 * count);
            if (!finite3(v1_km_s + 3 * count) || !finite3(v2_km_s + 3 * count))
                continue;
            if (revs)
                revs[count] = i;
            count++;
        }
    }
    *n_solutions = count;
    return ZR_GOK;
}

int lambert_batch(double mu_km3_s2, const double *r1_km, const double *r2_km,
                  const double *tof_s, size_t n, int prograde,
                  double *v1_km_s, double *v2_km_s, int *status)
{
    long count = (long)n;
#pragma omp parallel for schedule(static) if (count >= 1024)
    for (long i = 0; i < count; i++) {
        size_t found;
        status[i] = lambert(mu_km3_s2, r1_km + 3 * i, r2_km + 3 * i, tof_s[i], prograde, 0,
                            v1_km_s + 3 * i, v2_km_s + 3 * i, NULL, &found);
        if (status[i])
            for (int k = 0; k < 3; k++)
                v1_km_s[3 * i + k] = v2_km_s[3 * i + k] = NAN;
    }
    return ZR_GOK;
}

/* ---- porkchop ------------------------------------------------------------ */

static void porkchop_cell(const double *rd, const double *vd, const double *ra, const double *va,
                          double tof_s, double *c3, double *vinf_dep, double *dla,
                          double *vinf_arr, int8_t *type)
{
    double v1[3], v2[3];
    size_t found;
    if (!(tof_s > 0.0) || lambert(MU_SUN_KM3_S2, rd, ra, tof_s, 1, 0, v1, v2, NULL, &found)) {
        *c3 = *dla = *vinf_arr = vinf_dep[0] = vinf_dep[1] = vinf_dep[2] = NAN;
        *type = 0;
        return;
    }
    double dv_arr[3];
    for (int k = 0; k < 3; k++) {
        vinf_dep[k] = v1[k] - vd[k];
        dv_arr[k] = v2[k] - va[k];
    }
    *c3 = dot3(vinf_dep, vinf_dep);
    *vinf_arr = norm3(dv_arr);
    double z_eq = sin(OBLIQUITY_J2000_RAD) * vinf_dep[1] + cos(OBLIQUITY_J2000_RAD) * vinf_dep[2];
    *dla = asin(z_eq / sqrt(*c3));
    *type = (rd[0] * ra[1] - rd[1] * ra[0]) >= 0.0 ? 1 : 2;
}

int porkchop(int origin, int target, const double *depart_jd, size_t n_dep,
             const double *arrive_jd, size_t n_arr, int n_threads,
             double *c3_km2_s2, double *vinf_dep_km_s, double *dla_rad,
             double *vinf_arr_km_s, double *tof_s, int8_t *transfer_type)
{
    if (origin < 1 || origin > ZR_N_BODIES || target < 1 || target > ZR_N_BODIES)
        return ZR_GBODY;
    for (size_t i = 0; i < n_dep; i++)
        if (!isfinite(depart_jd[i]))
            return ZR_GNOTFINITE;
    for (size_t j = 0; j < n_arr; j++)
        if (!isfinite(arrive_jd[j]))
            return ZR_GNOTFINITE;
    double *arr_states = malloc(sizeof(double) * 6 * (n_arr ? n_arr : 1));
    if (!arr_states)
        return ZR_GNOCONVERGE;
    for (size_t j = 0; j < n_arr; j++)
        planet_state(target, arrive_jd[j], arr_states + 6 * j, arr_states + 6 * j + 3);
    long rows = (long)n_dep;
#ifdef _OPENMP
    int threads = n_threads > 0 ? n_threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 2) num_threads(threads)
#else
    (void)n_threads;
#endif
    for (long i = 0; i < rows; i++) {
        double rd[3], vd[3];
        planet_state(origin, depart_jd[i], rd, vd);
        for (size_t j = 0; j < n_arr; j++) {
            size_t cell = (size_t)i * n_arr + j;
            tof_s[cell] = (arrive_jd[j] - depart_jd[i]) * DAY_S;
            porkchop_cell(rd, vd, arr_states + 6 * j, arr_states + 6 * j + 3, tof_s[cell],
                          c3_km2_s2 + cell, vinf_dep_km_s + 3 * cell, dla_rad + cell,
                          vinf_arr_km_s + cell, transfer_type + cell);
        }
    }
    free(arr_states);
    return ZR_GOK;
}
