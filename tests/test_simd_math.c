/* The SIMD element-wise math (simd_math.h) against double-precision
 * references over a sweep of the whole float range plus the edges, and the
 * SIMD sigmoid and BCE loops against their scalar libm twins. Prints the
 * worst error in ulps and checks the pinned hash of the outputs (outhash.h). */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "outhash.h"
#include "layers/layers.h"
#include "kernels/simd_math.h"

#ifndef VAE_NO_SIMD
/* |got - ref| in units of the float ulp at ref (2^-149 for subnormals). */
static double ulps(float got, double ref) {
    if (isnan(ref)) return isnan(got) ? 0.0 : INFINITY;
    if ((double)got == ref) return 0.0;
    if (isinf((float)ref) || isinf(got)) return (float)ref == got ? 0.0 : INFINITY;
    int e;
    frexp(ref, &e); /* |ref| in [2^(e-1), 2^e) */
    double ulp = ldexp(1.0, (e - 1 - 23 > -149 ? e - 1 - 23 : -149));
    return fabs((double)got - ref) / ulp;
}
#endif

static float from_bits(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Inputs: every 4099th float bit pattern (both signs, all exponents, NaNs
 * included), then the edges and the values the loss meets. */
static size_t inputs(float *x, size_t cap) {
    static const float edges[] = {0.0f,    -0.0f,   1e-45f,   -1e-45f, 1e-38f, -1e-30f,  1e-7f,     -1e-7f,  0.5f,
                                  -0.5f,   0.3465f, -0.3467f, 1.0f,    -1.0f,  15.0f,    -15.0f,    17.0f,   -17.0f,
                                  87.0f,   -87.0f,  88.72f,   88.73f,  89.0f,  -100.0f,  100.0f,    -103.2f, -103.97f,
                                  -104.5f, FLT_MAX, -FLT_MAX, 1e30f,   -1e30f, INFINITY, -INFINITY, NAN};
    size_t n = 0;
    for (uint64_t u = 0; u < 0x100000000u && n < cap; u += 4099) x[n++] = from_bits((uint32_t)u);
    for (size_t i = 0; i < sizeof edges / sizeof *edges && n < cap; i++) x[n++] = edges[i];
    /* dense over the range where exp is neither 0 nor inf */
    for (int i = 0; i <= 400000 && n < cap; i++) x[n++] = -110.0f + 200.0f * (float)i / 400000.0f;
    return n;
}

#define CAP (1100000 + 400001 + 64)
static float xs[CAP], got[CAP], ref[CAP];

/* The coarse sigmoid's worst absolute and relative error against an exact
 * value (relative only where that is above 1.62e-27, where the sigmoid stops). */
typedef struct {
    double abs, rel;
} coarse_worst;

static void coarse_error(coarse_worst *w, float y, double exact) {
    double d = fabs((double)y - exact);
    w->abs = fmax(w->abs, d);
    if (exact > 1.62e-27) w->rel = fmax(w->rel, d / exact);
}

static void check_coarse(const char *what, coarse_worst w) {
    printf("  %s: max abs %.3g, rel %.3g\n", what, w.abs, w.rel);
    CHECK(w.abs <= 8e-7 && w.rel <= 7e-6, "%s: abs %g, rel %g", what, w.abs, w.rel);
}

#ifndef VAE_NO_SIMD
/* out = f(in), in = xs[i..i+4) zero-padded past n; the outputs go into the hash. */
static void lanes(v128_t (*f)(v128_t), size_t i, size_t n, float in[4], float out[4]) {
    for (size_t j = 0; j < 4; j++) in[j] = i + j < n ? xs[i + j] : 0.0f;
    wasm_v128_store(out, f(wasm_v128_load(in)));
    hash_floats(out, 4);
}

/* Worst ulp error of a lane function f against the double function r over xs[0..n). */
static double sweep(const char *name, size_t n, v128_t (*f)(v128_t), double (*r)(double), double tol) {
    double worst = 0.0;
    float worst_x = 0.0f;
    for (size_t i = 0; i < n; i += 4) {
        float in[4], out[4];
        lanes(f, i, n, in, out);
        for (size_t j = 0; j < 4 && i + j < n; j++) {
            double u = ulps(out[j], r(in[j]));
            if (!(u <= worst)) worst = u, worst_x = in[j];
        }
    }
    printf("  %-20s max %.2f ulp (at x = %.9g)\n", name, worst, worst_x);
    CHECK(worst <= tol, "%s: %g ulp at x = %.9g", name, worst, worst_x);
    return worst;
}

static void sweep_coarse(size_t n) {
    coarse_worst w = {0.0, 0.0};
    for (size_t i = 0; i < n; i += 4) {
        float in[4], out[4];
        lanes(vae_sigmoid_coarse_f32x4, i, n, in, out);
        for (size_t j = 0; j < 4 && i + j < n; j++) {
            double r = 1.0 / (1.0 + exp(-(double)in[j]));
            if (isnan(r)) {
                CHECK(isnan(out[j]), "coarse sigmoid(NaN) = %g", out[j]);
                continue;
            }
            coarse_error(&w, out[j], r);
        }
    }
    check_coarse("coarse sigmoid", w);
}

static double ref_exp(double x) { return exp(x); }
static double ref_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double ref_log1p_exp_neg_abs(double x) { return log1p(exp(-fabs(x))); }
static double ref_tanh(double x) { return tanh(x); }
#endif

/* The array functions: SIMD against the scalar twin, dispatcher against SIMD. */
static void check_arrays(size_t n) {
#ifndef VAE_NO_SIMD
#define SIMD(f) f##_wasmsimd
#else
#define SIMD(f) f##_scalar
#endif
    /* odd lengths and an unaligned start, in place; SIMD is the coarse sigmoid */
    size_t m = n - 3;
    memcpy(got, xs + 1, m * sizeof *got);
    SIMD(vae_sigmoid_forward)(got, got, m);
    vae_sigmoid_forward_scalar(ref, xs + 1, m);
    hash_floats(got, m);
    coarse_worst w = {0.0, 0.0};
    for (size_t i = 0; i < m; i++)
        if (!isnan(xs[i + 1])) coarse_error(&w, got[i], ref[i]);
    check_coarse("sigmoid_forward vs scalar twin", w);
    vae_sigmoid_forward(ref, xs + 1, m);
    CHECK(!memcmp(got, ref, m * sizeof *got), "sigmoid_forward dispatcher");
    /* every tail of the kernel's 16-value steps, out of place: the bits of
     * the long run and nothing written past the end */
    for (size_t len = 1; len <= 40; len++) {
        float out[64];
        for (size_t i = 0; i < 64; i++) out[i] = -1.0f;
        SIMD(vae_sigmoid_forward)(out, xs + 1, len);
        CHECK(!memcmp(out, got, len * sizeof *out), "sigmoid_forward of %zu values: other bits", len);
        for (size_t i = len; i < 48; i++)
            CHECK(out[i] == -1.0f, "sigmoid_forward of %zu values wrote past the end", len);
    }

    /* BCE over finite logits in [-110, 90] against targets in [0, 1], rows of odd length */
    enum { B = 7, D = 785 };
    static float logits[B * D], x[B * D], dl[B * D], dl_ref[B * D], dl_disp[B * D];
    float loss[B], loss_ref[B], loss_disp[B];
    for (int i = 0; i < B * D; i++) {
        logits[i] = xs[n - 1 - (size_t)i * 57 % 400000];
        x[i] = (float)(i % 11) / 10.0f;
        dl[i] = dl_ref[i] = dl_disp[i] = (float)(i % 5) - 2.0f;
    }
    SIMD(vae_bce_logits_forward)(loss, logits, x, B, D, D);
    vae_bce_logits_forward_scalar(loss_ref, logits, x, B, D, D);
    vae_bce_logits_forward(loss_disp, logits, x, B, D, D);
    SIMD(vae_bce_logits_backward)(dl, logits, x, B, D, 0.25f);
    vae_bce_logits_backward_scalar(dl_ref, logits, x, B, D, 0.25f);
    vae_bce_logits_backward(dl_disp, logits, x, B, D, 0.25f);
    hash_floats(loss, B);
    hash_floats(dl, B * D);
    double rel = 0.0, dabs = 0.0;
    for (int b = 0; b < B; b++) rel = fmax(rel, fabs((double)loss[b] - loss_ref[b]) / fabs((double)loss_ref[b]));
    for (int i = 0; i < B * D; i++) dabs = fmax(dabs, fabs((double)dl[i] - dl_ref[i]));
    printf("  bce forward vs scalar twin: max rel %.3g; backward: max abs %.3g\n", rel, dabs);
    CHECK(rel <= 1e-6, "bce forward: relative %g from the scalar twin", rel);
    CHECK(dabs <= 1e-6, "bce backward: %g from the scalar twin", dabs);
    CHECK(!memcmp(loss, loss_disp, sizeof loss), "bce forward dispatcher");
    CHECK(!memcmp(dl, dl_disp, sizeof dl), "bce backward dispatcher");
#undef SIMD
}

int main(void) {
    size_t n = inputs(xs, CAP);
    printf("%zu inputs\n", n);
#ifndef VAE_NO_SIMD
    sweep("exp", n, vae_exp_f32x4, ref_exp, 2.0);
    sweep("sigmoid", n, vae_sigmoid_f32x4, ref_sigmoid, 3.0);
    sweep("log1p(exp(-|x|))", n, vae_log1p_exp_neg_abs_f32x4, ref_log1p_exp_neg_abs, 3.0);
    sweep("tanh", n, vae_tanh_f32x4, ref_tanh, 3.0);
    sweep_coarse(n);
#else
    printf("built with VAE_NO_SIMD: only the scalar twins and dispatchers\n");
#endif
    check_arrays(n);
    check_hash(0x65c57a7e75ff8463u, 0x859829d3219a671cu);
    return check_result("test_simd_math");
}
