/* SketchRNN's mixture density head (layers.h): the forward against the
 * bivariate normal written out in double; finite-difference gradients of
 * the whole head (points, end rows and padding, raw values from the working
 * range out to where tanh saturates the bounds); huge logits stay finite;
 * sampling: temperature 0 is the likeliest component's mean and pen, and
 * draws at temperature 1 and 0.25 have the mixture's mean, spread and
 * correlation. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "fdcheck.h"
#include "testbuf.h"
#include "internal.h"
#include "layers/layers.h"

static vae_rng rng;

static void fill(float *v, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * vae_rng_uniform(&rng);
}

/* -log of the mixture density and the pen term in double, straight from the formulas. */
static void reference(const float *y, const float *x, int M, double *xy, double *pen) {
    double den = 0.0, zpi = 0.0, zpen = 0.0;
    for (int j = 0; j < M; j++) zpi += exp(y[j]);
    for (int j = 0; j < M; j++) {
        double sx = exp(4.0 * tanh(y[3 * M + j] / 4.0)), sy = exp(4.0 * tanh(y[4 * M + j] / 4.0));
        double rho = 0.95 * tanh(y[5 * M + j]), zx = (x[0] - y[M + j]) / sx, zy = (x[1] - y[2 * M + j]) / sy;
        double q = 1 - rho * rho, Z = zx * zx + zy * zy - 2 * rho * zx * zy;
        den += exp(y[j]) / zpi * exp(-Z / (2 * q)) / (2 * M_PI * sx * sy * sqrt(q));
    }
    for (int k = 0; k < 3; k++) zpen += exp(y[6 * M + k]);
    *xy = -log(den);
    *pen = 0.0;
    for (int k = 0; k < 3; k++) *pen -= x[2 + k] * log(exp(y[6 * M + k]) / zpen);
}

enum { N = 7, M = 3, P = 6 * M + 3 };
static const unsigned char active[N] = {VAE_MDN_POINT, VAE_MDN_POINT, VAE_MDN_PEN,  VAE_MDN_OFF,
                                        VAE_MDN_POINT, VAE_MDN_POINT, VAE_MDN_POINT};

typedef struct {
    float *y, *x, *w; /* w [N, 2]: weights of the two terms, so both gradients are checked apart */
} head_ctx;

static double head_loss(void *p) {
    head_ctx *c = p;
    float xy[N], pen[N];
    vae_mdn_forward(xy, pen, c->y, c->x, active, N, M);
    double s = 0.0;
    for (int n = 0; n < N; n++) s += c->w[2 * n] * (double)xy[n] + c->w[2 * n + 1] * (double)pen[n];
    return s;
}

static void make_targets(float *x) {
    for (int n = 0; n < N; n++) {
        float *t = x + n * 5;
        fill(t, 2, -2, 2);
        int k = (int)vae_rng_below(&rng, 3);
        for (int j = 0; j < 3; j++) t[2 + j] = j == k;
        if (active[n] == VAE_MDN_PEN) t[0] = t[1] = 0, t[2] = t[3] = 0, t[4] = 1;
    }
}

static void check_forward(void) {
    float *y = buf(N * P), *x = buf(N * 5), xy[N], pen[N];
    fill(y, N * P, -2, 2);
    make_targets(x);
    vae_mdn_forward(xy, pen, y, x, active, N, M);
    double worst = 0.0;
    for (int n = 0; n < N; n++) {
        double rxy, rpen;
        reference(y + n * P, x + n * 5, M, &rxy, &rpen);
        if (active[n] != VAE_MDN_POINT) rxy = 0.0;
        if (active[n] == VAE_MDN_OFF) rpen = 0.0;
        double e = fmax(fabs(xy[n] - rxy), fabs(pen[n] - rpen));
        worst = fmax(worst, e);
        CHECK(e < 2e-5, "row %d: nll %g %g, reference %g %g", n, xy[n], pen[n], rxy, rpen);
    }
    printf("  forward against the double formulas     max abs diff %.2e\n", worst);
    /* logits far beyond exp's range, sigmas and rho at their bounds */
    for (int i = 0; i < N * P; i++) y[i] *= 1e4f;
    vae_mdn_forward(xy, pen, y, x, active, N, M);
    for (int n = 0; n < N; n++) CHECK(isfinite(xy[n]) && isfinite(pen[n]), "row %d not finite at huge raw values", n);
    buf_free(y);
    buf_free(x);
}

static void check_gradients(void) {
    float *y = buf(N * P), *x = buf(N * 5), *w = buf(2 * N), *dy = buf(N * P);
    head_ctx c = {y, x, w};
    for (int round = 0; round < 2; round++) {
        fill(y, N * P, round ? -3.0f : -1.5f, round ? 3.0f : 1.5f); /* round 1: tanh near its bounds */
        make_targets(x);
        fill(w, 2 * N, 0.5f, 1.5f);
        memset(dy, 0, N * P * sizeof *dy);
        /* the weights enter as per-row scales: one backward per row and term */
        for (int n = 0; n < N; n++) {
            float part[P], xy[1], pen[1];
            vae_mdn_forward(xy, pen, y + n * P, x + n * 5, active + n, 1, M);
            memset(part, 0, sizeof part);
            vae_mdn_backward(part, y + n * P, x + n * 5, active + n, 1, M, 1.0f);
            for (int i = 0; i < P; i++) dy[n * P + i] += part[i] * (i >= 6 * M ? w[2 * n + 1] : w[2 * n]);
        }
        fd_check(round ? "dy (near the bounds)" : "dy", y, N * P, dy, head_loss, &c, 1e-2f, 3e-3, 0);
    }
    /* backward accumulates and scales */
    float *d2 = buf(N * P);
    fill(y, N * P, -1, 1);
    for (int i = 0; i < N * P; i++) d2[i] = dy[i] = 0.5f;
    vae_mdn_backward(d2, y, x, active, N, M, 2.0f);
    vae_mdn_backward(dy, y, x, active, N, M, 1.0f);
    double worst = 0.0;
    for (int i = 0; i < N * P; i++) worst = fmax(worst, fabs((d2[i] - 0.5) - 2.0 * (dy[i] - 0.5)));
    CHECK(worst < 1e-5, "backward scale: %g", worst);
    for (int i = 3 * P; i < 4 * P; i++) CHECK(dy[i] == 0.5f, "padding row touched at %d", i);
    buf_free(d2);
    buf_free(y);
    buf_free(x);
    buf_free(w);
    buf_free(dy);
}

static void check_sampling(void) {
    float y[P], out[5], r[4] = {0.5f, 0.5f, 0.0f, 0.0f};
    fill(y, P, -1, 1);
    y[1] = 5.0f, y[6 * M + 2] = 4.0f; /* component 1 and pen p3 the likeliest */
    vae_mdn_sample(out, y, M, 0.0f, r);
    CHECK(out[0] == y[M + 1] && out[1] == y[2 * M + 1], "greedy offset %g %g, want component 1's mean", out[0], out[1]);
    CHECK(out[2] == 0 && out[3] == 0 && out[4] == 1, "greedy pen %g %g %g", out[2], out[3], out[4]);
    /* one dominant component: draws have its mean and (temperature-scaled) covariance */
    const float temps[] = {1.0f, 0.25f};
    for (int k = 0; k < 2; k++) {
        float T = temps[k];
        for (int j = 0; j < M; j++) y[j] = j == 0 ? 30.0f : -30.0f;
        y[M] = 0.7f, y[2 * M] = -0.4f, y[3 * M] = 0.3f, y[4 * M] = -0.5f, y[5 * M] = 0.8f;
        y[6 * M] = 0.0f, y[6 * M + 1] = (float)log(3.0), y[6 * M + 2] = -40.0f;
        double sx = exp(4 * tanh(0.3 / 4)), sy = exp(4 * tanh(-0.5 / 4)), rho = 0.95 * tanh(0.8);
        double s[5] = {0}, sxx = 0, syy = 0, sxy = 0;
        int n = 40000;
        for (int i = 0; i < n; i++) {
            r[0] = vae_rng_uniform(&rng), r[1] = vae_rng_uniform(&rng);
            r[2] = vae_rng_normal(&rng), r[3] = vae_rng_normal(&rng);
            vae_mdn_sample(out, y, M, T, r);
            for (int d = 0; d < 5; d++) s[d] += out[d];
            double dx = out[0] - y[M], dy = out[1] - y[2 * M];
            sxx += dx * dx, syy += dy * dy, sxy += dx * dy;
        }
        double mx = s[0] / n, my = s[1] / n, vx = sxx / n, vy = syy / n, c = sxy / n / sqrt(vx * vy);
        /* pen p2 has weight 3 against p1's 1, sharpened to 3^(1/T) */
        double p2 = pow(3.0, 1.0 / T) / (1 + pow(3.0, 1.0 / T));
        printf("  T=%.2f: mean %.3f %.3f var %.3f %.3f rho %.3f p2 %.3f (want %.3f %.3f %.3f %.3f %.3f %.3f)\n", T, mx,
               my, vx, vy, c, s[3] / n, y[M], y[2 * M], T * sx * sx, T * sy * sy, rho, p2);
        CHECK(fabs(mx - y[M]) < 0.03 && fabs(my - y[2 * M]) < 0.03, "sample mean %g %g", mx, my);
        CHECK(fabs(vx / (T * sx * sx) - 1) < 0.05 && fabs(vy / (T * sy * sy) - 1) < 0.05, "sample variance %g %g", vx,
              vy);
        CHECK(fabs(c - rho) < 0.02, "sample correlation %g, want %g", c, rho);
        CHECK(fabs(s[3] / n - p2) < 0.01 && s[4] == 0, "pen shares %g %g", s[3] / n, s[4] / n);
    }
}

int main(void) {
    vae_rng_seed(&rng, 12);
    check_forward();
    check_gradients();
    check_sampling();
    return check_result("test_mdn");
}
