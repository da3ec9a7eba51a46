/* Walking the latent space: the probit grid of the manifold picture and the
 * paths of interpolation. One implementation for the CLI and for JS (through
 * the wasm exports), so `vae manifold` and model.manifold() agree bit for bit. */
#include <math.h>

#include "vae.h"

/* Acklam's rational approximation (relative error below 1.2e-9), then one
 * Halley step on Phi(x) - p, which brings it to double precision. */
double vae_probit(double p) {
    if (!(p > 0 && p < 1)) return p == 0 ? -INFINITY : p == 1 ? INFINITY : NAN;
    /* Symmetry keeps Phi(x) - p free of cancellation; 1 - p is exact here. */
    if (p > 0.5) return -vae_probit(1 - p);
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                               1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                               6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                               -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    double x;
    if (p < 0.02425) { /* lower tail: rational in sqrt(-2 log p) */
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }
    double e = 0.5 * erfc(-x / sqrt(2)) - p;
    double u = e * 2.50662827463100050242 * exp(x * x / 2); /* e / phi(x) */
    return x - u / (1 + x * u / 2);
}

void vae_latent_path(const float *a, const float *b, int dim, double t, int slerp, float *out) {
    double dot = 0, na = 0, nb = 0;
    for (int i = 0; i < dim; i++) dot += (double)a[i] * b[i], na += (double)a[i] * a[i], nb += (double)b[i] * b[i];
    double omega = na > 0 && nb > 0 ? acos(fmax(-1, fmin(1, dot / sqrt(na * nb)))) : 0;
    double wa = 1 - t, wb = t;
    if (slerp && sin(omega) > 1e-6) wa = sin((1 - t) * omega) / sin(omega), wb = sin(t * omega) / sin(omega);
    for (int i = 0; i < dim; i++) out[i] = (float)(wa * a[i] + wb * b[i]);
}
