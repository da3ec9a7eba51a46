/* libFuzzer: any bytes through vae_model_load; a model that loads must run
 * (decode, loss), save (F32 and F16) and load again, with F32 giving back the
 * same weights. The corpus holds MLP, conditional, conv and AE models. */
#include <stdlib.h>
#include <string.h>

#include "internal.h" /* vae_model_params */

static void resave(vae_model *m, vae_dtype dtype) {
    uint8_t *buf;
    size_t len;
    vae_model *r;
    if (vae_model_save(m, dtype, 0, NULL, 0, &buf, &len, NULL) != VAE_OK) abort();
    if (vae_model_load(&r, buf, len, NULL) != VAE_OK) abort();
    size_t n = vae_model_param_count(m);
    if (vae_model_param_count(r) != n) abort();
    if (dtype == VAE_DTYPE_F32 && memcmp(vae_model_params(m), vae_model_params(r), n * sizeof(float))) abort();
    vae_model_free(r);
    vae_buffer_free(buf);
}

/* A model that loads runs: decode one latent and, with an encoder, score one
 * image (conv shapes and code activations come from the hostile header). */
static void run(vae_model *m) {
    const vae_arch *a = vae_model_arch(m);
    int D = vae_arch_input_dim(a), label = 0;
    float *z = calloc((size_t)a->latent, sizeof(float)), *x = malloc((size_t)D * sizeof(float));
    float rec, kl;
    if (!z || !x) abort();
    for (int i = 0; i < D; i++) x[i] = 0.5f;
    vae_model_decode(m, z, a->n_classes ? &label : NULL, 1, x, NULL);
    for (int i = 0; i < D; i++) x[i] = 0.5f;
    if (!a->decoder_only) vae_model_loss(m, x, a->n_classes ? &label : NULL, 1, NULL, &rec, &kl, NULL);
    free(z);
    free(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vae_model *m;
    vae_error err;
    if (vae_model_load(&m, data, size, &err) != VAE_OK) {
        if (m || !err.msg[0]) abort(); /* failures leave no model and always say why */
        return 0;
    }
    run(m);
    resave(m, VAE_DTYPE_F32);
    /* F16 can overflow large weights to inf, which the loader rightly refuses. */
    const float *p = vae_model_params(m);
    int small = 1;
    for (size_t i = 0; i < vae_model_param_count(m); i++) small &= p[i] < 60000 && p[i] > -60000;
    if (small) resave(m, VAE_DTYPE_F16);
    vae_model_free(m);
    return 0;
}
