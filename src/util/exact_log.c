/* ln(s) from + - * / only, so every IEEE platform gives the same bits (the C
 * library's log differs between glibc and Emscripten's musl) and the wasm
 * carries no libm log table. The normals of rng.c and the IWAE and KL
 * sparsity terms use it. */
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
