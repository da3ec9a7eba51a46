/* The penalties of the autoencoder family: contractive (the encoder's
 * Jacobian) and sparsity (of the code). Training-only and cheap next to the
 * matrix products, so this file is built for size in the wasm module. */
#include <math.h>

#include "internal.h"
#include "layers/layers.h"

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
