/* The element-wise layers whose cost is small next to the matrix products
 * (activations, Gaussian likelihood, KL, reparameterisation): built for size
 * in the wasm module, while layers.c and the kernels are built for speed. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "layers.h"
#include "simd.h"

#define HALF_LOG_2PI 0.91893853320467274178

void vae_act_forward(float *out, const float *inp, size_t n, vae_activation act, float slope) {
    switch (act) {
    case VAE_ACT_RELU: {
        size_t i = 0;
#ifndef VAE_NO_SIMD
        /* pmax(0, v) = 0 < v ? v : 0, as below, without a branch: V8 compiles
         * a scalar float select to one, which real activations mispredict
         * (in wasm, ~10% of a conv VAE decode) */
        for (; i + 4 <= n; i += 4)
            wasm_v128_store(out + i, wasm_f32x4_pmax(wasm_f32x4_splat(0.0f), wasm_v128_load(inp + i)));
#endif
        for (; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        break;
    }
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
