/* The latent layer: the KL term against N(0, I) and the reparameterisation
 * z = mu + exp(logvar / 2) * eps. */
#include <math.h>

#include "layers/layers.h"

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

void vae_reparam_backward(float *dmu, float *dlogvar, const float *dz, int ldz, const float *logvar, const float *eps,
                          int B, int L) {
    for (int b = 0; b < B; b++)
        for (int j = 0; j < L; j++) {
            size_t i = (size_t)b * L + j;
            float g = dz[(size_t)b * ldz + j];
            dmu[i] += g;
            if (eps) dlogvar[i] += g * eps[i] * 0.5f * expf(0.5f * logvar[i]);
        }
}
