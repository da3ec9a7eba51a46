#include "layers.h"

#include <math.h>
#include <string.h>

#include "internal.h"
#include "kernels.h"
#include "simd_math.h"

#define HALF_LOG_2PI 0.91893853320467274178

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

void vae_act_forward(float *out, const float *inp, size_t n, vae_activation act, float slope) {
    switch (act) {
    case VAE_ACT_RELU:
        for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        break;
    case VAE_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : slope * inp[i];
        break;
    case VAE_ACT_TANH:
        for (size_t i = 0; i < n; i++) out[i] = tanhf(inp[i]);
        break;
    case VAE_ACT_SIGMOID:
        vae_sigmoid_forward(out, inp, n);
        break;
    case VAE_ACT_IDENTITY:
        if (out != inp) memmove(out, inp, n * sizeof(float));
        break;
    }
}

void vae_act_backward(float *dinp, const float *dout, const float *out, size_t n, vae_activation act, float slope) {
    switch (act) {
    case VAE_ACT_RELU:
        for (size_t i = 0; i < n; i++) dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case VAE_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) dinp[i] += out[i] > 0.0f ? dout[i] : slope * dout[i];
        break;
    case VAE_ACT_TANH:
        for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
        break;
    case VAE_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
        break;
    case VAE_ACT_IDENTITY:
        for (size_t i = 0; i < n; i++) dinp[i] += dout[i];
        break;
    }
}

/* act'(a) and act''(a) from the output h = act(a). */
static void act_derivs(float h, vae_activation act, float slope, float *d1, float *d2) {
    switch (act) {
    case VAE_ACT_RELU: *d1 = h > 0.0f ? 1.0f : 0.0f, *d2 = 0.0f; break;
    case VAE_ACT_LEAKY_RELU: *d1 = h > 0.0f ? 1.0f : slope, *d2 = 0.0f; break;
    case VAE_ACT_TANH: *d1 = 1.0f - h * h, *d2 = -2.0f * h * *d1; break;
    case VAE_ACT_SIGMOID: *d1 = h * (1.0f - h), *d2 = *d1 * (1.0f - 2.0f * h); break;
    default: *d1 = 1.0f, *d2 = 0.0f; break;
    }
}

/* ||w_j||^2 of row j of w [H, I]. */
static double row_norm2(const float *w, int j, int I) {
    double s = 0.0;
    for (int k = 0; k < I; k++) s += (double)w[(size_t)j * I + k] * w[(size_t)j * I + k];
    return s;
}

void vae_contractive_forward(float *pen, const float *h, const float *w, int B, int H, int I, vae_activation act,
                             float slope, float weight) {
    for (int j = 0; j < H; j++) {
        double n2 = row_norm2(w, j, I);
        for (int b = 0; b < B; b++) {
            float d1, d2;
            act_derivs(h[(size_t)b * H + j], act, slope, &d1, &d2);
            pen[b] += (float)(weight * (double)d1 * d1 * n2);
        }
    }
}

void vae_contractive_backward(float *dpre, float *dw, const float *h, const float *w, int B, int H, int I,
                              vae_activation act, float slope, float scale) {
    for (int j = 0; j < H; j++) {
        double n2 = row_norm2(w, j, I), sum_d1sq = 0.0;
        for (int b = 0; b < B; b++) {
            float d1, d2;
            act_derivs(h[(size_t)b * H + j], act, slope, &d1, &d2);
            dpre[(size_t)b * H + j] += (float)(scale * 2.0 * d1 * d2 * n2);
            sum_d1sq += (double)d1 * d1;
        }
        float g = (float)(scale * 2.0 * sum_d1sq);
        for (int k = 0; k < I; k++) dw[(size_t)j * I + k] += g * w[(size_t)j * I + k];
    }
}

/* rho_hat kept inside (0, 1) so that a saturated sigmoid code gives a large
 * but finite penalty. */
#define RHO_HAT_MIN 1e-6

static double rho_hat(const float *c, int B, int L, int j) {
    double s = 0.0;
    for (int b = 0; b < B; b++) s += c[(size_t)b * L + j];
    s /= B;
    return s < RHO_HAT_MIN ? RHO_HAT_MIN : s > 1.0 - RHO_HAT_MIN ? 1.0 - RHO_HAT_MIN : s;
}

void vae_sparsity_forward(float *pen, const float *c, int B, int L, vae_sparsity kind, float weight, float rho) {
    if (kind == VAE_SPARSITY_L1) {
        for (int b = 0; b < B; b++) {
            double s = 0.0;
            for (int j = 0; j < L; j++) s += fabsf(c[(size_t)b * L + j]);
            pen[b] += (float)(weight * s);
        }
    } else if (kind == VAE_SPARSITY_KL) {
        double kl = 0.0;
        for (int j = 0; j < L; j++) {
            double q = rho_hat(c, B, L, j);
            kl += rho * vae_log(rho / q) + (1.0 - rho) * vae_log((1.0 - rho) / (1.0 - q));
        }
        for (int b = 0; b < B; b++) pen[b] += (float)(weight * kl);
    }
}

void vae_sparsity_backward(float *dc, const float *c, int B, int L, vae_sparsity kind, float weight, float rho,
                           float scale) {
    if (kind == VAE_SPARSITY_L1) {
        for (size_t i = 0; i < (size_t)B * L; i++)
            dc[i] += scale * weight * (c[i] > 0.0f ? 1.0f : c[i] < 0.0f ? -1.0f : 0.0f);
    } else if (kind == VAE_SPARSITY_KL) {
        for (int j = 0; j < L; j++) {
            double q = rho_hat(c, B, L, j);
            float g = (float)((double)scale * weight * (-rho / q + (1.0 - rho) / (1.0 - q)));
            for (int b = 0; b < B; b++) dc[(size_t)b * L + j] += g;
        }
    }
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

void vae_kl_forward(float *kl, const float *mu, const float *logvar, int B, int L) {
    for (int b = 0; b < B; b++) {
        double s = 0.0;
        for (int j = 0; j < L; j++) {
            float m = mu[(size_t)b * L + j], lv = logvar[(size_t)b * L + j];
            s += 1.0f + lv - m * m - expf(lv);
        }
        kl[b] = (float)(-0.5 * s);
    }
}

void vae_kl_backward(float *dmu, float *dlogvar, const float *mu, const float *logvar, int B, int L, float scale) {
    for (size_t i = 0; i < (size_t)B * L; i++) {
        dmu[i] += scale * mu[i];
        dlogvar[i] += scale * 0.5f * (expf(logvar[i]) - 1.0f);
    }
}

void vae_reparam_forward(float *z, int ldz, const float *mu, const float *logvar, const float *eps, int B, int L) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < L; j++) {
            size_t i = (size_t)b * L + j;
            z[(size_t)b * ldz + j] = eps ? mu[i] + expf(0.5f * logvar[i]) * eps[i] : mu[i];
        }
}

void vae_reparam_backward(float *dmu, float *dlogvar, const float *dz, int ldz, const float *logvar,
                          const float *eps, int B, int L) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < L; j++) {
            size_t i = (size_t)b * L + j;
            float g = dz[(size_t)b * ldz + j];
            dmu[i] += g;
            if (eps) dlogvar[i] += g * eps[i] * 0.5f * expf(0.5f * logvar[i]);
        }
}
