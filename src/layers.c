#include "layers.h"

#include <math.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"
#include "simd_math.h"

float vae_sigmoid(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x); /* never overflows for x < 0 */
    return e / (1.0f + e);
}

/* log(1 + exp(-|x|)): the shared tail of softplus, log-sigmoid and BCE. */
static float log1p_exp_neg_abs(float x) { return log1pf(expf(-fabsf(x))); }

#ifndef VAE_NO_SIMD
/* The first w <= 4 floats at p as a vector (zeros past them), and back:
 * array tails take the same SIMD path as the rest. */
ALWAYS_INLINE v128_t load_part(const float *p, size_t w) {
    if (w >= 4) return wasm_v128_load(p);
    float t[4] = {0};
    for (size_t j = 0; j < w; j++) t[j] = p[j];
    return wasm_v128_load(t);
}

ALWAYS_INLINE void store_part(float *p, v128_t v, size_t w) {
    if (w >= 4) {
        wasm_v128_store(p, v);
        return;
    }
    float t[4];
    wasm_v128_store(t, v);
    for (size_t j = 0; j < w; j++) p[j] = t[j];
}

void vae_sigmoid_forward_wasmsimd(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i += 4) store_part(out + i, vae_sigmoid_f32x4(load_part(in + i, n - i)), n - i);
}

/* The scalar twin's float terms, added to the double sum in the same order. */
void vae_bce_logits_forward_wasmsimd(float *loss, const float *logits, const float *x, int B, int D, int x_stride) {
    for (int b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * D, *t = x + (size_t)b * x_stride;
        double s = 0.0;
        for (int d = 0; d < D; d += 4) {
            v128_t lv = load_part(l + d, D - d), tv = load_part(t + d, D - d);
            v128_t v = wasm_f32x4_sub(wasm_f32x4_pmax(lv, VAE_F32X4(0.0f)), wasm_f32x4_mul(lv, tv));
            float term[4];
            wasm_v128_store(term, wasm_f32x4_add(v, vae_log1p_exp_neg_abs_f32x4(lv)));
            for (int j = 0; j < 4 && d + j < D; j++) s += term[j];
        }
        loss[b] = (float)s;
    }
}

void vae_bce_logits_backward_wasmsimd(float *dlogits, const float *logits, const float *x, int B, int D, float scale) {
    size_t n = (size_t)B * D;
    for (size_t i = 0; i < n; i += 4) {
        v128_t g = wasm_f32x4_sub(vae_sigmoid_f32x4(load_part(logits + i, n - i)), load_part(x + i, n - i));
        v128_t d = wasm_f32x4_add(load_part(dlogits + i, n - i), wasm_f32x4_mul(wasm_f32x4_splat(scale), g));
        store_part(dlogits + i, d, n - i);
    }
}
#define SIMD_OR_SCALAR(f) f##_wasmsimd
#else
#define SIMD_OR_SCALAR(f) f##_scalar
#endif

void vae_sigmoid_forward_scalar(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = vae_sigmoid(in[i]);
}

void vae_sigmoid_forward(float *out, const float *in, size_t n) { SIMD_OR_SCALAR(vae_sigmoid_forward)(out, in, n); }

void vae_linear_forward(float *out, const float *inp, const float *w, const float *b, int B, int I, int O) {
    vae_matmul_xwt(out, inp, w, b, B, O, I);
}

void vae_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         int B, int I, int O) {
    if (dinp) vae_matmul_dyw(dinp, dout, w, B, O, I);
    vae_matmul_dytx(dw, db, dout, inp, B, O, I);
}

void vae_log_sigmoid_forward(float *out, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = fminf(inp[i], 0.0f) - log1p_exp_neg_abs(inp[i]);
}

void vae_log_sigmoid_backward(float *dinp, const float *dout, const float *inp, size_t n) {
    for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * vae_sigmoid(-inp[i]);
}

void vae_bce_logits_forward_scalar(float *loss, const float *logits, const float *x, int B, int D, int x_stride) {
    for (int b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * D, *t = x + (size_t)b * x_stride;
        double s = 0.0;
        for (int d = 0; d < D; d++) s += fmaxf(l[d], 0.0f) - l[d] * t[d] + log1p_exp_neg_abs(l[d]);
        loss[b] = (float)s;
    }
}

void vae_bce_logits_forward(float *loss, const float *logits, const float *x, int B, int D, int x_stride) {
    SIMD_OR_SCALAR(vae_bce_logits_forward)(loss, logits, x, B, D, x_stride);
}

void vae_bce_logits_backward_scalar(float *dlogits, const float *logits, const float *x, int B, int D, float scale) {
    for (size_t i = 0; i < (size_t)B * D; i++) dlogits[i] += scale * (vae_sigmoid(logits[i]) - x[i]);
}

void vae_bce_logits_backward(float *dlogits, const float *logits, const float *x, int B, int D, float scale) {
    SIMD_OR_SCALAR(vae_bce_logits_backward)(dlogits, logits, x, B, D, scale);
}
