/* The mixture density head of SketchRNN (layers.h): M bivariate Gaussians
 * for the pen offset and a 3-way pen state. Log-sum-exp with the maximum
 * subtracted for the mixture weights, the mixture and the pen softmax, so no
 * exp overflows; log sigma and rho are squashed by tanh into fixed bounds,
 * so no density degenerates however the network drifts. Logs go through
 * vae_log (the same bits native and wasm). */
#include <math.h>

#include "internal.h"
#include "layers/layers.h"

/* One component's parameters from the raw outputs of row y. */
typedef struct {
    float mx, my, lsx, lsy, sx, sy, rho;
} comp;

static comp comp_at(const float *y, int M, int j) {
    comp c;
    c.mx = y[M + j], c.my = y[2 * M + j];
    c.lsx = VAE_MDN_LOGSIGMA_MAX * vae_tanh(y[3 * M + j] / VAE_MDN_LOGSIGMA_MAX);
    c.lsy = VAE_MDN_LOGSIGMA_MAX * vae_tanh(y[4 * M + j] / VAE_MDN_LOGSIGMA_MAX);
    c.sx = expf(c.lsx), c.sy = expf(c.lsy);
    c.rho = VAE_MDN_RHO_MAX * vae_tanh(y[5 * M + j]);
    return c;
}

static float max_of(const float *v, int n) {
    float m = v[0];
    for (int i = 1; i < n; i++) m = v[i] > m ? v[i] : m;
    return m;
}

/* log sum_i exp(v[i]) (n >= 1). */
static double lse(const float *v, int n) {
    float m = max_of(v, n);
    double s = 0.0;
    for (int i = 0; i < n; i++) s += expf(v[i] - m);
    return (double)m + vae_log(s);
}

/* a[j] = log pi_j + log N_j(dx, dy) for the M components of row y; returns
 * the mixture's log density log sum_j exp(a[j]). */
static double mixture_terms(float *a, const float *y, float dx, float dy, int M) {
    double lpi = lse(y, M);
    for (int j = 0; j < M; j++) {
        comp c = comp_at(y, M, j);
        float zx = (dx - c.mx) / c.sx, zy = (dy - c.my) / c.sy, q = 1.0f - c.rho * c.rho;
        float Z = zx * zx + zy * zy - 2.0f * c.rho * zx * zy;
        a[j] = (float)(y[j] - lpi - VAE_MDN_LOG_2PI - c.lsx - c.lsy - 0.5 * vae_log(q) - Z / (2.0f * q));
    }
    return lse(a, M);
}

void vae_mdn_forward(float *nll_xy, float *nll_pen, const float *y, const float *x, const unsigned char *active, int N,
                     int M) {
    float a[VAE_MDN_MAX_M];
    int P = 6 * M;
    for (int n = 0; n < N; n++) {
        const float *r = y + (size_t)n * (P + 3), *t = x + (size_t)n * 5;
        nll_xy[n] = active[n] == VAE_MDN_POINT ? (float)-mixture_terms(a, r, t[0], t[1], M) : 0.0f;
        if (active[n] == VAE_MDN_OFF) {
            nll_pen[n] = 0.0f;
            continue;
        }
        double l = lse(r + P, 3), s = 0.0;
        for (int k = 0; k < 3; k++) s += t[2 + k] * (l - r[P + k]);
        nll_pen[n] = (float)s;
    }
}

void vae_mdn_backward(float *dy, const float *y, const float *x, const unsigned char *active, int N, int M,
                      float scale) {
    float a[VAE_MDN_MAX_M];
    int P = 6 * M;
    for (int n = 0; n < N; n++) {
        if (active[n] == VAE_MDN_OFF) continue;
        const float *r = y + (size_t)n * (P + 3), *t = x + (size_t)n * 5;
        float *d = dy + (size_t)n * (P + 3);
        if (active[n] == VAE_MDN_POINT) {
            double lmix = mixture_terms(a, r, t[0], t[1], M), lpi = lse(r, M);
            for (int j = 0; j < M; j++) {
                comp c = comp_at(r, M, j);
                /* responsibility g and the component's share of -dL/dlog N */
                float g = expf((float)(a[j] - lmix)), pi = expf((float)(r[j] - lpi));
                float zx = (t[0] - c.mx) / c.sx, zy = (t[1] - c.my) / c.sy, q = 1.0f - c.rho * c.rho;
                float Z = zx * zx + zy * zy - 2.0f * c.rho * zx * zy;
                float ex = (zx - c.rho * zy) / q, ey = (zy - c.rho * zx) / q;
                float d_lsx = -1.0f + zx * ex, d_lsy = -1.0f + zy * ey;
                float d_rho = c.rho / q + zx * zy / q - Z * c.rho / (q * q);
                float tx = c.lsx / VAE_MDN_LOGSIGMA_MAX, ty = c.lsy / VAE_MDN_LOGSIGMA_MAX,
                      tr = c.rho / VAE_MDN_RHO_MAX;
                d[j] += scale * (pi - g);
                d[M + j] -= scale * g * ex / c.sx;
                d[2 * M + j] -= scale * g * ey / c.sy;
                d[3 * M + j] -= scale * g * d_lsx * (1.0f - tx * tx);
                d[4 * M + j] -= scale * g * d_lsy * (1.0f - ty * ty);
                d[5 * M + j] -= scale * g * d_rho * VAE_MDN_RHO_MAX * (1.0f - tr * tr);
            }
        }
        double l = lse(r + P, 3), w = t[2] + t[3] + t[4];
        for (int k = 0; k < 3; k++) d[P + k] += scale * (float)(w * expf((float)(r[P + k] - l)) - t[2 + k]);
    }
}

/* The first index whose cumulative weight passes u sum w (double sums, so
 * every build picks the same). */
static int pick(const double *w, int n, float u) {
    double sum = 0.0, c = 0.0;
    for (int i = 0; i < n; i++) sum += w[i];
    for (int i = 0; i < n - 1; i++)
        if ((c += w[i]) > u * sum) return i;
    return n - 1;
}

static int argmax(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) best = v[i] > v[best] ? i : best;
    return best;
}

/* Weights exp((v - max) / temperature) (expf: no double exp in the wasm). */
static void tempered(double *w, const float *v, int n, float temperature) {
    float m = max_of(v, n);
    for (int i = 0; i < n; i++) w[i] = expf((v[i] - m) / temperature);
}

void vae_mdn_sample(float *out, const float *y, int M, float temperature, const float *r) {
    double w[VAE_MDN_MAX_M];
    int P = 6 * M, j, pen;
    comp c;
    if (temperature > 0.0f) {
        tempered(w, y, M, temperature);
        j = pick(w, M, r[0]);
        c = comp_at(y, M, j);
        float s = sqrtf(temperature), n1 = r[2], n2 = r[3];
        out[0] = c.mx + s * c.sx * n1;
        out[1] = c.my + s * c.sy * (c.rho * n1 + sqrtf(1.0f - c.rho * c.rho) * n2);
        tempered(w, y + P, 3, temperature);
        pen = pick(w, 3, r[1]);
    } else {
        c = comp_at(y, M, argmax(y, M));
        out[0] = c.mx, out[1] = c.my;
        pen = argmax(y + P, 3);
    }
    for (int k = 0; k < 3; k++) out[2 + k] = k == pen ? 1.0f : 0.0f;
}
