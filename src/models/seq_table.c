/* The sequence models' tensor tables (models/seq_table.h). */
#include "models/seq_table.h"

#include "internal.h"

void vae_seq_table_add(vae_seq_table *tt, const char *name, int rows, int cols, size_t offset) {
    int i = tt->n++;
    vae_format(tt->t[i].name, sizeof tt->t[i].name, "%s", name);
    tt->t[i].ndim = cols ? 2 : 1, tt->t[i].shape[0] = rows, tt->t[i].shape[1] = cols;
    tt->t[i].offset = offset, tt->t[i].numel = (size_t)rows * (cols ? cols : 1);
}

void vae_seq_table_add_lstm(vae_seq_table *tt, const char *prefix, const vae_lstm_shape *s, size_t base) {
    char kind[24], name[48];
    for (int d = 0; d < s->dirs; d++)
        for (int k = 0; k < 4; k++) {
            vae_lstm_name(kind, sizeof kind, 0, d, (vae_lstm_tensor)k);
            vae_format(name, sizeof name, "%s.%s", prefix, kind);
            vae_seq_table_add(tt, name, 4 * s->H, vae_lstm_cols(s, 0, (vae_lstm_tensor)k),
                              base + vae_lstm_offset(s, 0, d, (vae_lstm_tensor)k));
        }
}

vae_status vae_seq_table_get(const vae_seq_table *tt, float *params, int i, vae_tensor *out, vae_error *err) {
    if (!out) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (i < 0 || i >= tt->n) return vae_fail(err, VAE_ERR_ARG, "tensor %d of %d", i, tt->n);
    *out = (vae_tensor){tt->t[i].name,  tt->t[i].ndim,   {tt->t[i].shape[0], tt->t[i].shape[1]},
                        tt->t[i].numel, tt->t[i].offset, params + tt->t[i].offset};
    return vae_ok(err);
}

void vae_seq_init_uniform(float *p, size_t n, float r, vae_rng *rng) {
    for (size_t i = 0; i < n; i++) p[i] = r * (2.0f * vae_rng_uniform(rng) - 1.0f);
}
