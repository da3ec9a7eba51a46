/* Reconstruction likelihoods: Bernoulli (BCE from logits; a SIMD kernel
 * beside its libm twin), Gaussian (fixed or learned per-pixel sigma) and
 * Student-t (learned scale and degrees of freedom per value, for tables). */
#include <math.h>

#include "internal.h"
#include "kernels/simd_math.h"
#include "layers/layers.h"

#define HALF_LOG_2PI 0.91893853320467274178

/* log(1 + exp(-|x|)): the stable tail of BCE. */
static float log1p_exp_neg_abs(float x) { return log1pf(expf(-fabsf(x))); }

#ifndef VAE_NO_SIMD
/* The scalar twin's float terms, added to the double sum in the same order. */
void vae_bce_logits_forward_wasmsimd(float *loss, const float *logits, const float *x, int B, int D, int x_stride) {
    for (int b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * D, *t = x + (size_t)b * x_stride;
        double s = 0.0;
        for (int d = 0; d < D; d += 4) {
            v128_t lv = vae_load_part(l + d, D - d), tv = vae_load_part(t + d, D - d);
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
        v128_t g = wasm_f32x4_sub(vae_sigmoid_f32x4(vae_load_part(logits + i, n - i)), vae_load_part(x + i, n - i));
        v128_t d = wasm_f32x4_add(vae_load_part(dlogits + i, n - i), wasm_f32x4_mul(wasm_f32x4_splat(scale), g));
        vae_store_part(dlogits + i, d, n - i);
    }
}
#endif

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
void vae_gaussian_forward(float *loss, const float *logits, const float *x, int B, int D, int x_stride,
                          const float *logsigma, float sigma) {
    float inv_fixed = 1.0f / sigma, log_fixed = logf(sigma);
    for (int b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * D, *t = x + (size_t)b * x_stride;
        double s = 0.0;
        for (int d = 0; d < D; d++) {
            float inv = logsigma ? expf(-logsigma[d]) : inv_fixed;
            float r = (t[d] - vae_sigmoid(l[d])) * inv;
            s += 0.5f * r * r + (logsigma ? logsigma[d] : log_fixed);
        }
        loss[b] = (float)(s + D * HALF_LOG_2PI);
    }
}

void vae_gaussian_backward(float *dlogits, float *dlogsigma, const float *logits, const float *x, int B, int D,
                           const float *logsigma, float sigma, float scale) {
    float inv2_fixed = 1.0f / (sigma * sigma);
    for (int b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * D, *t = x + (size_t)b * D;
        float *dl = dlogits + (size_t)b * D;
        for (int d = 0; d < D; d++) {
            float mean = vae_sigmoid(l[d]);
            float inv2 = logsigma ? expf(-2.0f * logsigma[d]) : inv2_fixed;
            float diff = mean - t[d];
            dl[d] += scale * diff * inv2 * mean * (1.0f - mean);
            if (logsigma) dlogsigma[d] += scale * (1.0f - diff * diff * inv2);
        }
    }
}

void vae_student_t_consts(float *k, const float *logsigma, const float *lognu, int D) {
    for (int d = 0; d < D; d++) {
        double nu = expf(lognu[d]);
        k[d] = (float)(logsigma[d] + vae_lgamma(0.5 * nu) - vae_lgamma(0.5 * (nu + 1.0)) +
                       0.5 * vae_log(nu * 3.14159265358979323846));
        k[D + d] = expf(-logsigma[d]);
        k[2 * D + d] = (float)nu;
        k[3 * D + d] = (float)(0.5 * (vae_digamma(0.5 * nu) - vae_digamma(0.5 * (nu + 1.0)) + 1.0 / nu));
    }
}

/* vae_log, not log1pf: glibc's and musl's log1pf need not agree to the last
 * bit, and the CLI and the page train a table model to the same bits. */
void vae_student_t_forward(float *loss, const float *logits, const float *x, int B, int D, int x_stride,
                           const float *k) {
    for (int b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * D, *t = x + (size_t)b * x_stride;
        double s = 0.0;
        for (int d = 0; d < D; d++) {
            float r = (t[d] - vae_sigmoid(l[d])) * k[D + d], nu = k[2 * D + d];
            s += k[d] + 0.5 * (nu + 1.0) * vae_log(1.0 + (double)(r * r / nu));
        }
        loss[b] = (float)s;
    }
}

void vae_student_t_backward(float *dlogits, float *dlogsigma, float *dlognu, const float *logits, const float *x, int B,
                            int D, const float *k, float scale) {
    for (int b = 0; b < B; b++) {
        const float *l = logits + (size_t)b * D, *t = x + (size_t)b * D;
        float *dl = dlogits + (size_t)b * D;
        for (int d = 0; d < D; d++) {
            float mean = vae_sigmoid(l[d]), inv = k[D + d], nu = k[2 * D + d];
            float r = (t[d] - mean) * inv, r2 = r * r, w = (nu + 1.0f) / (nu + r2);
            dl[d] -= scale * w * r * inv * mean * (1.0f - mean);
            dlogsigma[d] += scale * (1.0f - w * r2);
            float log1p_q = (float)vae_log(1.0 + (double)(r2 / nu));
            dlognu[d] += scale * (nu * k[3 * D + d] + 0.5f * nu * log1p_q - 0.5f * w * r2);
        }
    }
}
