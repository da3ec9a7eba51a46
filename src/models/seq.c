/* What the sequence models share (models/seq.h). */
#include "models/seq.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

void vae_seq_block_sizes(const vae_seq_dims *d, size_t *sizes) {
    size_t He = (size_t)d->enc.H, Hd = (size_t)d->dec.H, L = (size_t)d->latent, R = (size_t)d->init_rows,
           O = (size_t)d->out_rows;
    size_t s[VAE_SEQ_BLOCKS] = {L ? vae_lstm_param_floats(&d->enc) : 0, L * 2 * He, L, L * 2 * He, L, R * L, L ? R : 0,
                                vae_lstm_param_floats(&d->dec),         O * Hd,     O};
    memcpy(sizes, s, sizeof s);
}

void vae_seq_table_add_blocks(vae_seq_table *tt, const vae_seq_dims *d, const size_t *off) {
    static const char *const head[] = {"encoder.mu.weight",   "encoder.mu.bias",     "encoder.logvar.weight",
                                       "encoder.logvar.bias", "decoder.init.weight", "decoder.init.bias"};
    int L = d->latent, R = d->init_rows, rows[] = {L, L, L, L, R, R}, cols[] = {2 * d->enc.H, 0, 2 * d->enc.H, 0, L, 0};
    if (L) {
        vae_seq_table_add_lstm(tt, "encoder.rnn", &d->enc, off[VAE_SEQ_ENC]);
        for (int k = 0; k < 6; k++) vae_seq_table_add(tt, head[k], rows[k], cols[k], off[VAE_SEQ_MU_W + k]);
    }
    vae_seq_table_add_lstm(tt, "decoder.rnn", &d->dec, off[VAE_SEQ_DEC]);
    vae_seq_table_add(tt, "decoder.out.weight", d->out_rows, d->dec.H, off[VAE_SEQ_OUT_W]);
    vae_seq_table_add(tt, "decoder.out.bias", d->out_rows, 0, off[VAE_SEQ_OUT_B]);
}

void vae_seq_init_blocks(float *p, const vae_seq_dims *d, const size_t *off, const size_t *sizes, vae_rng *rng) {
    float He = (float)d->enc.H, Hd = (float)d->dec.H, L = (float)d->latent;
    float fan[VAE_SEQ_BLOCKS] = {He, 2.0f * He, 2.0f * He, 2.0f * He, 2.0f * He, L, L, Hd, Hd, Hd};
    for (int t = 0; t < VAE_SEQ_BLOCKS; t++) vae_seq_init_uniform(p + off[t], sizes[t], 1.0f / sqrtf(fan[t]), rng);
}

int vae_seq_alloc_floats(float **const *buf, const size_t *count, size_t n) {
    int ok = 1;
    for (size_t i = 0; i < n; i++) ok &= (*buf[i] = calloc(count[i] > 1 ? count[i] : 1, sizeof(float))) != NULL;
    return ok;
}

void vae_seq_adam_step(float *block, size_t n, const vae_train_config *c, double grad_norm, double *beta1_t,
                       double *beta2_t) {
    vae_adam_update(block, block + n, block + 2 * n, block + 3 * n, n, c, beta1_t, beta2_t,
                    vae_clip_scale(c, grad_norm));
}

void vae_seq_head_forward(float *hcat, float *mu, float *logvar, const float *hn, const float *p, const size_t *off,
                          int n, int H, int L) {
    for (int b = 0; b < n; b++)
        for (int d = 0; d < 2; d++)
            memcpy(hcat + ((size_t)b * 2 + d) * H, hn + ((size_t)d * n + b) * H, H * sizeof(float));
    vae_linear_forward(mu, hcat, p + off[VAE_SEQ_MU_W], p + off[VAE_SEQ_MU_B], n, 2 * H, L);
    vae_linear_forward(logvar, hcat, p + off[VAE_SEQ_LV_W], p + off[VAE_SEQ_LV_B], n, 2 * H, L);
}

void vae_seq_head_backward(float *dhn, float *dhcat, float *g, const float *dmu, const float *dlogvar,
                           const float *hcat, const float *p, const size_t *off, int n, int H, int L) {
    memset(dhcat, 0, (size_t)n * 2 * H * sizeof(float));
    vae_linear_backward(dhcat, g + off[VAE_SEQ_MU_W], g + off[VAE_SEQ_MU_B], dmu, hcat, p + off[VAE_SEQ_MU_W], n, 2 * H,
                        L);
    vae_linear_backward(dhcat, g + off[VAE_SEQ_LV_W], g + off[VAE_SEQ_LV_B], dlogvar, hcat, p + off[VAE_SEQ_LV_W], n,
                        2 * H, L);
    for (int b = 0; b < n; b++)
        for (int d = 0; d < 2; d++)
            memcpy(dhn + ((size_t)d * n + b) * H, dhcat + ((size_t)b * 2 + d) * H, H * sizeof(float));
}

void vae_seq_z_grad(float *dz, const float *dxd, size_t rows, int n, int I, int L) {
    memset(dz, 0, (size_t)n * L * sizeof(float));
    for (size_t r = 0; r < rows; r++)
        for (int j = 0; j < L; j++) dz[(r % n) * L + j] += dxd[r * I + (I - L) + j];
}

void vae_seq_streams(vae_rng *streams, int n, vae_rng *rng) {
    for (int b = 0; b < n; b++) {
        uint64_t hi = vae_rng_u32(rng);
        vae_rng_seed(&streams[b], hi << 32 | vae_rng_u32(rng));
    }
}

vae_status vae_seq_check_codes(const float *z, int n, int L, float temperature, vae_error *err) {
    if (n < 1) return vae_fail(err, VAE_ERR_ARG, "%d codes to decode", n);
    if (!(temperature >= 0.0f && temperature <= 1e3f))
        return vae_fail(err, VAE_ERR_ARG, "temperature %g not in [0, 1000]", temperature);
    for (size_t i = 0; i < (size_t)n * L; i++)
        if (!isfinite(z[i])) return vae_fail(err, VAE_ERR_NONFINITE, "z[%zu] is not finite", i);
    return vae_ok(err);
}
