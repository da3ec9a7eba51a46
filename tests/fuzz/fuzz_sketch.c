/* libFuzzer: any bytes through vae_sketch_load; a sketch model that loads
 * must run (loss, encoding, greedy and sampled decoding, completion), save
 * (F32) and load again with the same weights. The corpus holds two small
 * SketchRNNs (`vae train --strokes`), F32 and F16. */
#include <stdlib.h>
#include <string.h>

#include "models/sketch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vae_sketch *m, *r;
    vae_error err;
    if (vae_sketch_load(&m, data, size, 2, &err) != VAE_OK) {
        if (m || !err.msg[0]) abort(); /* failures leave no model and always say why */
        return 0;
    }
    const vae_sketch_arch *a = vae_sketch_get_arch(m);
    /* two drawings: one point, and two (over the limit of a model of one point: refused) */
    static const float pts[] = {3.0f, -1.0f, 1.0f, -2.0f, 4.0f, 0.0f, 1.0f, 1.0f, 1.0f};
    vae_sketch_drawing d[2] = {{pts, 1}, {pts + 3, 2}};
    size_t L = (size_t)a->latent, N = (size_t)a->max_len;
    float *z = calloc(2 * L, sizeof *z), *out = malloc(2 * N * 3 * sizeof *out);
    float rec_xy[2], rec_pen[2], kl[2];
    int len[2];
    vae_rng rng;
    vae_rng_seed(&rng, 1);
    if (!z || !out) abort();
    if ((vae_sketch_loss(m, d, 2, z, NULL, rec_xy, rec_pen, kl, NULL) == VAE_OK) != (a->max_len >= 2)) abort();
    if (a->max_len < 2) d[1].n = 1;
    if (vae_sketch_loss(m, d, 2, z, NULL, rec_xy, rec_pen, kl, NULL)) abort();
    if (vae_sketch_encode(m, d, 2, z, NULL, NULL)) abort();
    memset(z, 0, 2 * L * sizeof *z); /* the codes may be non-finite: decode from 0 */
    if (vae_sketch_decode(m, z, 2, 0.0f, NULL, out, len, NULL)) abort();
    for (int b = 0; b < 2; b++)
        if (len[b] < 0 || len[b] > a->max_len) abort();
    if (vae_sketch_decode(m, z, 2, 1.0f, &rng, out, len, NULL)) abort();
    vae_sketch_complete(m, &d[0], z, 0.5f, &rng, out, len, NULL);
    uint8_t *buf;
    size_t n_bytes;
    if (vae_sketch_save(m, VAE_DTYPE_F32, NULL, 0, &buf, &n_bytes, NULL) != VAE_OK) abort();
    if (vae_sketch_load(&r, buf, n_bytes, 2, NULL) != VAE_OK) abort();
    size_t n = vae_sketch_param_count(m);
    if (vae_sketch_param_count(r) != n || memcmp(vae_sketch_params(m), vae_sketch_params(r), n * sizeof(float)))
        abort();
    vae_sketch_free(r);
    vae_buffer_free(buf);
    vae_sketch_free(m);
    free(z);
    free(out);
    return 0;
}
