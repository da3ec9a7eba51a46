/* ln(s) from + - * / only, so every IEEE platform gives the same bits (the C
 * library's log differs between glibc and Emscripten's musl) and the wasm
 * carries no libm log table. The normals of rng.c and the IWAE and KL
 * sparsity terms use it; the Student-t likelihood's log-gamma and digamma
 * below are built on it for the same reason. */
#include <math.h>

#include "internal.h"

/* s = m * 2^e with m in [sqrt(1/2), sqrt(2)), then ln m = 2 atanh(t),
 * t = (m-1)/(m+1), |t| < 0.172, series to t^19 (error < 1e-16). */
double vae_log(double s) {
    int e;
    double m = frexp(s, &e); /* exact: m in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e -= 1;
    }
    double t = (m - 1.0) / (m + 1.0), t2 = t * t, sum = 0.0;
    for (int k = 19; k >= 1; k -= 2) sum = sum * t2 + 1.0 / k;
    return 2.0 * t * sum + e * 0.69314718055994530942;
}

/* Shifts x > 0 up to y >= 8 by the recurrences, where the asymptotic series
 * below are good to about 3e-13: returns y, *prod = x (x+1) ... (y-1) and
 * *recip = 1/x + 1/(x+1) + ... + 1/(y-1). */
static double shift_up(double x, double *prod, double *recip) {
    *prod = 1.0, *recip = 0.0;
    for (; x < 8.0; x += 1.0) *prod *= x, *recip += 1.0 / x;
    return x;
}

/* Stirling's series: lgamma(y) = (y - 1/2) ln y - y + ln(2 pi)/2 + 1/(12 y) - 1/(360 y^3) + 1/(1260 y^5)
 * - 1/(1680 y^7) + 1/(1188 y^9). */
double vae_lgamma(double x) {
    double prod, recip, y = shift_up(x, &prod, &recip), v = vae_log(y), r = 1.0 / y, r2 = r * r;
    double series = r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
    return (y - 0.5) * v - y + 0.91893853320467274178 + series - vae_log(prod);
}

/* digamma(y) = ln y - 1/(2y) - 1/(12 y^2) + 1/(120 y^4) - 1/(252 y^6) + 1/(240 y^8) - 1/(132 y^10). */
double vae_digamma(double x) {
    double prod, recip, y = shift_up(x, &prod, &recip), r2 = 1.0 / (y * y);
    double series = r2 * (1.0 / 12 - r2 * (1.0 / 120 - r2 * (1.0 / 252 - r2 * (1.0 / 240 - r2 / 132))));
    return vae_log(y) - 0.5 / y - series - recip;
}
