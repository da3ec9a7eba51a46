/* libFuzzer: any bytes through vae_model_load; a model that loads must save
 * (F32 and F16) and load again, with F32 giving back the same weights. */
#include <stdlib.h>
#include <string.h>

#include "vae.h"

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vae_model *m;
    vae_error err;
    if (vae_model_load(&m, data, size, &err) != VAE_OK) {
        if (m || !err.msg[0]) abort(); /* failures leave no model and always say why */
        return 0;
    }
    resave(m, VAE_DTYPE_F32);
    /* F16 can overflow large weights to inf, which the loader rightly refuses. */
    const float *p = vae_model_params(m);
    int small = 1;
    for (size_t i = 0; i < vae_model_param_count(m); i++) small &= p[i] < 60000 && p[i] > -60000;
    if (small) resave(m, VAE_DTYPE_F16);
    vae_model_free(m);
    return 0;
}
