/* SketchRNN (models/sketch.h): the LSTM, linear and mixture density layers
 * wired into encoder and decoder, the backward pass and an Adam step.
 * Batches are time-major (step t of drawing b at row t n + b); every buffer
 * is made once for `cap` drawings of max_len points. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "layers/layers.h"
#include "models/seq.h"
#include "models/sketch.h"

/* The tensors in block order (models/seq.h's). */
enum { T_ENC, T_MU_W, T_MU_B, T_LV_W, T_LV_B, T_INIT_W, T_INIT_B, T_DEC, T_OUT_W, T_OUT_B, T_COUNT };
_Static_assert(T_COUNT - T_ENC == VAE_SEQ_BLOCKS, "the helpers of models/seq.h index m->off by their blocks");

struct vae_sketch {
    vae_sketch_arch a;
    int cap, He, Hd, L, M, P;
    size_t off[T_COUNT + 1], n_params;
    vae_seq_table tt;
    float *params, *grads; /* one block: weights, gradients, Adam's two moments (models/seq.h) */
    double beta1_t, beta2_t;
    int *enc_len, *dec_len;
    unsigned char *active;
    float *xe, *ye, *hn_e, *hcat, *mu, *logvar, *eps, *z, *init, *h0, *c0, *h1, *c1, *xd, *target, *yd, *y;
    float *nll_xy, *nll_pen, *cache_e, *cache_d, *work;
    float *rec_xy, *rec_pen, *kl; /* per drawing */
    float *dy, *dyd, *dxd, *dh0, *dc0, *dinit, *dz, *dmu, *dlogvar, *dhcat, *dhn_e;
    vae_rng *draw_rng; /* decoding: one stream per drawing */
};

static vae_lstm_shape enc_shape(const vae_sketch_arch *a, int T, int n) {
    return (vae_lstm_shape){.T = T, .B = n, .I = 5, .H = a->enc_hidden, .layers = 1, .dirs = 2};
}

static vae_lstm_shape dec_shape(const vae_sketch_arch *a, int T, int n) {
    return (vae_lstm_shape){.T = T, .B = n, .I = 5 + a->latent, .H = a->dec_hidden, .layers = 1, .dirs = 1};
}

void vae_sketch_free(vae_sketch *m) {
    if (!m) return;
    void *all[] = {m->params, m->enc_len, m->dec_len,  m->active,  m->xe,      m->ye,   m->hn_e,
                   m->hcat,   m->mu,      m->logvar,   m->eps,     m->z,       m->init, m->h0,
                   m->c0,     m->h1,      m->c1,       m->xd,      m->target,  m->yd,   m->y,
                   m->nll_xy, m->nll_pen, m->cache_e,  m->cache_d, m->work,    m->dy,   m->dyd,
                   m->dxd,    m->dh0,     m->dc0,      m->dinit,   m->dz,      m->dmu,  m->dlogvar,
                   m->dhcat,  m->dhn_e,   m->draw_rng, m->rec_xy,  m->rec_pen, m->kl};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
    free(m);
}

vae_status vae_sketch_arch_validate(const vae_sketch_arch *a, vae_error *err) {
    if (!a) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (a->enc_hidden < 1 || a->enc_hidden > 4096 || a->dec_hidden < 1 || a->dec_hidden > 4096 || a->latent < 1 ||
        a->latent > 1024 || a->mixtures < 1 || a->mixtures > VAE_MDN_MAX_M || a->max_len < 1 || a->max_len > 4096)
        return vae_fail(err, VAE_ERR_ARG,
                        "encoder %d, decoder %d, latent %d, mixtures %d, points %d: want 1..4096, 1..4096, 1..1024, "
                        "1..64, 1..4096",
                        a->enc_hidden, a->dec_hidden, a->latent, a->mixtures, a->max_len);
    if (!(a->scale > 0.0f && a->scale < 1e30f))
        return vae_fail(err, VAE_ERR_ARG, "offset scale %g is not a positive number", a->scale);
    return vae_ok(err);
}

/* The blocks' shapes: [h0 | c0] the initial state, the mixture head's 6 M + 3 outputs. */
static vae_seq_dims dims(const vae_sketch_arch *a) {
    return (vae_seq_dims){enc_shape(a, 1, 1), dec_shape(a, 1, 1), a->latent, 2 * a->dec_hidden, 6 * a->mixtures + 3};
}

uint64_t vae_sketch_arch_param_count(const vae_sketch_arch *a) {
    size_t sizes[T_COUNT];
    uint64_t n = 0;
    if (vae_sketch_arch_validate(a, NULL)) return 0;
    vae_seq_dims d = dims(a);
    vae_seq_block_sizes(&d, sizes);
    for (int i = 0; i < T_COUNT; i++) n += sizes[i];
    return n;
}

static size_t zmax(size_t a, size_t b) { return a > b ? a : b; }

vae_status vae_sketch_alloc(vae_sketch **out, const vae_sketch_arch *a, int cap, vae_error *err) {
    if (!out || !a) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    *out = NULL;
    vae_status st = vae_sketch_arch_validate(a, err);
    if (st) return st;
    if (cap < 1 || cap > 65536) return vae_fail(err, VAE_ERR_ARG, "batch capacity %d not in 1..65536", cap);
    vae_sketch *m = calloc(1, sizeof *m);
    if (!m) return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    m->a = *a, m->cap = cap;
    m->He = a->enc_hidden, m->Hd = a->dec_hidden, m->L = a->latent, m->M = a->mixtures, m->P = 6 * a->mixtures + 3;
    int He = m->He, Hd = m->Hd, L = m->L, P = m->P, Te = a->max_len, Td = a->max_len + 1;
    vae_lstm_shape es = enc_shape(a, Te, cap), ds = dec_shape(a, Td, cap);
    vae_seq_dims d = dims(a);
    size_t sizes[T_COUNT];
    vae_seq_block_sizes(&d, sizes);
    for (int i = 0; i < T_COUNT; i++) m->off[i + 1] = m->off[i] + sizes[i];
    m->n_params = m->off[T_COUNT];
    vae_seq_table_add_blocks(&m->tt, &d, m->off);
    size_t N = (size_t)cap, TeN = (size_t)Te * N, TdN = (size_t)Td * N;
    float **fb[] = {&m->params,  &m->xe,   &m->ye,      &m->hn_e,    &m->hcat,   &m->mu,      &m->logvar, &m->eps,
                    &m->z,       &m->init, &m->h0,      &m->c0,      &m->h1,     &m->c1,      &m->xd,     &m->target,
                    &m->yd,      &m->y,    &m->nll_xy,  &m->nll_pen, &m->rec_xy, &m->rec_pen, &m->kl,     &m->cache_e,
                    &m->cache_d, &m->work, &m->dy,      &m->dyd,     &m->dxd,    &m->dh0,     &m->dc0,    &m->dinit,
                    &m->dz,      &m->dmu,  &m->dlogvar, &m->dhcat,   &m->dhn_e};
    size_t fn[] = {4 * m->n_params,
                   TeN * 5,
                   TeN * 2 * He,
                   2 * N * He,
                   N * 2 * He,
                   N * L,
                   N * L,
                   N * L,
                   N * L,
                   N * 2 * Hd,
                   N * Hd,
                   N * Hd,
                   N * Hd,
                   N * Hd,
                   TdN * (5 + L),
                   TdN * 5,
                   TdN * Hd,
                   TdN * P,
                   TdN,
                   TdN,
                   N,
                   N,
                   N,
                   vae_lstm_cache_floats(&es),
                   vae_lstm_cache_floats(&ds),
                   zmax(vae_lstm_work_floats(&es), vae_lstm_work_floats(&ds)),
                   TdN * P,
                   TdN * Hd,
                   TdN * (5 + L),
                   N * Hd,
                   N * Hd,
                   N * 2 * Hd,
                   N * L,
                   N * L,
                   N * L,
                   N * 2 * He,
                   2 * N * He};
    int ok = vae_seq_alloc_floats(fb, fn, sizeof fn / sizeof *fn);
    ok &= (m->enc_len = calloc(N, sizeof(int))) && (m->dec_len = calloc(N, sizeof(int))) &&
          (m->active = calloc(TdN, 1)) && (m->draw_rng = calloc(N, sizeof(vae_rng)));
    if (!ok) {
        vae_sketch_free(m);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for a sketch model with %zu parameters", m->n_params);
    }
    m->grads = m->params + m->n_params;
    m->beta1_t = m->beta2_t = 1.0;
    *out = m;
    return vae_ok(err);
}

vae_status vae_sketch_create(vae_sketch **out, const vae_sketch_arch *a, int cap, uint64_t seed, vae_error *err) {
    vae_status s = vae_sketch_alloc(out, a, cap, err);
    if (s) return s;
    vae_sketch *m = *out;
    vae_seq_dims d = dims(a);
    size_t sizes[T_COUNT];
    vae_seq_block_sizes(&d, sizes);
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    vae_seq_init_blocks(m->params, &d, m->off, sizes, &rng);
    return vae_ok(err);
}

const vae_sketch_arch *vae_sketch_get_arch(const vae_sketch *m) { return m ? &m->a : NULL; }
size_t vae_sketch_param_count(const vae_sketch *m) { return m ? m->n_params : 0; }
float *vae_sketch_params(vae_sketch *m) { return m ? m->params : NULL; }
const float *vae_sketch_grads(const vae_sketch *m) { return m ? m->grads : NULL; }
int vae_sketch_tensor_count(const vae_sketch *m) { return m ? m->tt.n : 0; }

vae_status vae_sketch_tensor(const vae_sketch *m, int i, vae_tensor *out, vae_error *err) {
    if (!m || !out) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    return vae_seq_table_get(&m->tt, m->params, i, out, err);
}

vae_status vae_sketch_check(const vae_sketch *m, const vae_sketch_drawing *d, vae_error *err) {
    if (!m || !d || (d->n > 0 && !d->pts)) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (d->n < 1) return vae_fail(err, VAE_ERR_ARG, "empty drawing");
    if (d->n > m->a.max_len)
        return vae_fail(err, VAE_ERR_ARG, "drawing of %d points is longer than the model's limit %d", d->n,
                        m->a.max_len);
    for (int i = 0; i < d->n; i++) {
        const float *p = d->pts + (size_t)i * 3;
        if (!isfinite(p[0]) || !isfinite(p[1]))
            return vae_fail(err, VAE_ERR_NONFINITE, "point %d has a non-finite offset", i + 1);
        if (p[2] != 0.0f && p[2] != 1.0f)
            return vae_fail(err, VAE_ERR_ARG, "point %d: pen lift %g is neither 0 nor 1", i + 1, p[2]);
    }
    return vae_ok(err);
}

/* Checks the batch; returns its longest drawing (0 on error). */
static int check_batch(const vae_sketch *m, const vae_sketch_drawing *d, int n, vae_error *err) {
    if (!m || !d) return vae_fail(err, VAE_ERR_ARG, "NULL argument"), 0;
    if (n < 1 || n > m->cap) return vae_fail(err, VAE_ERR_ARG, "batch of %d drawings, want 1..%d", n, m->cap), 0;
    int longest = 0;
    for (int b = 0; b < n; b++) {
        vae_error e;
        if (vae_sketch_check(m, &d[b], &e)) return vae_fail(err, e.code, "drawing %d: %s", b + 1, e.msg), 0;
        if (d[b].n > longest) longest = d[b].n;
    }
    return longest;
}

/* Stroke-5 of point i of a drawing, offsets scaled (i == n: the end state). */
static void stroke5(float *s, const vae_sketch_drawing *d, int i, float scale) {
    if (i == d->n) {
        s[0] = s[1] = s[2] = s[3] = 0.0f, s[4] = 1.0f;
        return;
    }
    const float *p = d->pts + (size_t)i * 3;
    s[0] = p[0] / scale, s[1] = p[1] / scale, s[2] = 1.0f - p[2], s[3] = p[2], s[4] = 0.0f;
}

/* Encoder: the BiLSTM over the points, then mu and logvar of n drawings over Te steps. */
static void encode(vae_sketch *m, const vae_sketch_drawing *d, int n, int Te) {
    const float *p = m->params;
    memset(m->xe, 0, (size_t)Te * n * 5 * sizeof(float));
    for (int b = 0; b < n; b++) {
        m->enc_len[b] = d[b].n;
        for (int t = 0; t < d[b].n; t++) stroke5(m->xe + ((size_t)t * n + b) * 5, &d[b], t, m->a.scale);
    }
    vae_lstm_shape es = enc_shape(&m->a, Te, n);
    vae_lstm_forward(m->ye, m->hn_e, NULL, m->cache_e, m->xe, m->enc_len, NULL, NULL, p + m->off[T_ENC], &es);
    vae_seq_head_forward(m->hcat, m->mu, m->logvar, m->hn_e, p, m->off, n, m->He, m->L);
}

/* The decoder's initial state from z [n, L]: init = tanh(linear(z)), h0 and c0 its halves. */
static void initial_state(vae_sketch *m, const float *z, int n, float *h0, float *c0) {
    int Hd = m->Hd;
    vae_linear_forward(m->init, z, m->params + m->off[T_INIT_W], m->params + m->off[T_INIT_B], n, m->L, 2 * Hd);
    for (size_t i = 0; i < (size_t)n * 2 * Hd; i++) m->init[i] = vae_tanh(m->init[i]);
    for (int b = 0; b < n; b++) {
        memcpy(h0 + (size_t)b * Hd, m->init + (size_t)b * 2 * Hd, Hd * sizeof *h0);
        memcpy(c0 + (size_t)b * Hd, m->init + (size_t)b * 2 * Hd + Hd, Hd * sizeof *c0);
    }
}

/* The whole forward pass of a checked batch: per drawing rec_xy, rec_pen, kl; eps given or drawn from rng. */
static void forward(vae_sketch *m, const vae_sketch_drawing *d, int n, int longest, const float *eps, vae_rng *rng,
                    float *rec_xy, float *rec_pen, float *kl) {
    int L = m->L, Hd = m->Hd, P = m->P, Td = longest + 1, I = 5 + L;
    const float *p = m->params;
    encode(m, d, n, longest);
    if (eps)
        memcpy(m->eps, eps, (size_t)n * L * sizeof *eps);
    else
        vae_rng_normals(rng, m->eps, (size_t)n * L);
    vae_reparam_forward(m->z, L, m->mu, m->logvar, m->eps, n, L);
    vae_kl_forward(kl, m->mu, m->logvar, n, L);
    initial_state(m, m->z, n, m->h0, m->c0);
    memset(m->xd, 0, (size_t)Td * n * I * sizeof(float));
    memset(m->target, 0, (size_t)Td * n * 5 * sizeof(float));
    for (int b = 0; b < n; b++) {
        int len = d[b].n;
        m->dec_len[b] = len + 1;
        for (int t = 0; t < Td; t++) {
            size_t r = (size_t)t * n + b;
            m->active[r] = t < len ? VAE_MDN_POINT : t == len ? VAE_MDN_PEN : VAE_MDN_OFF;
            if (t > len) continue;
            float *x = m->xd + r * I;
            if (t == 0)
                x[2] = 1.0f; /* S_0: the pen on the paper at the start */
            else
                stroke5(x, &d[b], t - 1, m->a.scale);
            memcpy(x + 5, m->z + (size_t)b * L, L * sizeof *x);
            stroke5(m->target + r * 5, &d[b], t, m->a.scale);
        }
    }
    vae_lstm_shape ds = dec_shape(&m->a, Td, n);
    vae_lstm_forward(m->yd, NULL, NULL, m->cache_d, m->xd, m->dec_len, m->h0, m->c0, p + m->off[T_DEC], &ds);
    vae_linear_forward(m->y, m->yd, p + m->off[T_OUT_W], p + m->off[T_OUT_B], Td * n, Hd, P);
    vae_mdn_forward(m->nll_xy, m->nll_pen, m->y, m->target, m->active, Td * n, m->M);
    for (int b = 0; b < n; b++) {
        double sx = 0.0, sp = 0.0;
        for (int t = 0; t < Td; t++) sx += m->nll_xy[t * n + b], sp += m->nll_pen[t * n + b];
        rec_xy[b] = (float)sx, rec_pen[b] = (float)sp;
    }
}

/* Gradient of mean_b rec_b + w_kl max(mean_b kl_b, kl_min) into m->grads
 * (zeroed here); kl_on: whether the KL is above its floor. */
static void backward(vae_sketch *m, int n, int longest, float w_kl, int kl_on) {
    int He = m->He, Hd = m->Hd, L = m->L, P = m->P, Te = longest, Td = longest + 1, I = 5 + L;
    size_t rows = (size_t)Td * n;
    const float *p = m->params;
    float *g = m->grads;
    memset(g, 0, m->n_params * sizeof *g);
    memset(m->dy, 0, rows * P * sizeof(float));
    memset(m->dyd, 0, rows * Hd * sizeof(float));
    memset(m->dxd, 0, rows * I * sizeof(float));
    vae_mdn_backward(m->dy, m->y, m->target, m->active, (int)rows, m->M, 1.0f / n);
    vae_linear_backward(m->dyd, g + m->off[T_OUT_W], g + m->off[T_OUT_B], m->dy, m->yd, p + m->off[T_OUT_W], (int)rows,
                        Hd, P);
    vae_lstm_shape ds = dec_shape(&m->a, Td, n);
    memset(m->dh0, 0, (size_t)n * Hd * sizeof(float));
    memset(m->dc0, 0, (size_t)n * Hd * sizeof(float));
    vae_lstm_backward(m->dxd, g + m->off[T_DEC], m->dh0, m->dc0, m->work, m->dyd, NULL, NULL, m->xd, m->dec_len,
                      m->cache_d, p + m->off[T_DEC], &ds);
    /* through tanh into the initial state's projection */
    memset(m->dinit, 0, (size_t)n * 2 * Hd * sizeof(float));
    for (int b = 0; b < n; b++) {
        memcpy(m->dinit + (size_t)b * 2 * Hd, m->dh0 + (size_t)b * Hd, Hd * sizeof(float));
        memcpy(m->dinit + (size_t)b * 2 * Hd + Hd, m->dc0 + (size_t)b * Hd, Hd * sizeof(float));
    }
    vae_seq_z_grad(m->dz, m->dxd, rows, n, I, L); /* z feeds every decoder step */
    float *dpre = m->dinit;                       /* tanh's backward reads the forward output */
    for (size_t i = 0; i < (size_t)n * 2 * Hd; i++) dpre[i] *= 1.0f - m->init[i] * m->init[i];
    vae_linear_backward(m->dz, g + m->off[T_INIT_W], g + m->off[T_INIT_B], dpre, m->z, p + m->off[T_INIT_W], n, L,
                        2 * Hd);
    memset(m->dmu, 0, (size_t)n * L * sizeof(float));
    memset(m->dlogvar, 0, (size_t)n * L * sizeof(float));
    vae_reparam_backward(m->dmu, m->dlogvar, m->dz, L, m->logvar, m->eps, n, L);
    if (kl_on) vae_kl_backward(m->dmu, m->dlogvar, m->mu, m->logvar, n, L, w_kl / n);
    vae_seq_head_backward(m->dhn_e, m->dhcat, g, m->dmu, m->dlogvar, m->hcat, p, m->off, n, He, L);
    vae_lstm_shape es = enc_shape(&m->a, Te, n);
    vae_lstm_backward(NULL, g + m->off[T_ENC], NULL, NULL, m->work, NULL, m->dhn_e, NULL, m->xe, m->enc_len, m->cache_e,
                      p + m->off[T_ENC], &es);
}

vae_status vae_sketch_compute_grads(vae_sketch *m, const vae_sketch_drawing *d, int n, const float *eps, float w_kl,
                                    float kl_min, vae_rng *rng, vae_sketch_stats *st, vae_error *err) {
    int longest = check_batch(m, d, n, err);
    if (!longest) return err ? err->code : VAE_ERR_ARG;
    if ((!eps && !rng) || !st) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (!(w_kl >= 0.0f && w_kl < 1e6f) || !(kl_min >= 0.0f && kl_min < 1e6f))
        return vae_fail(err, VAE_ERR_ARG, "KL weight %g or floor %g is not a number in [0, 1e6)", w_kl, kl_min);
    forward(m, d, n, longest, eps, rng, m->rec_xy, m->rec_pen, m->kl);
    double sx = 0.0, sp = 0.0, sk = 0.0;
    for (int b = 0; b < n; b++) sx += m->rec_xy[b], sp += m->rec_pen[b], sk += m->kl[b];
    double kl = sk / n;
    backward(m, n, longest, w_kl, kl > kl_min);
    double g2 = vae_sum_squares(m->grads, m->n_params);
    *st = (vae_sketch_stats){sx / n, sp / n, kl, (sx + sp) / n + w_kl * (kl > kl_min ? kl : kl_min), sqrt(g2)};
    if (!isfinite(st->loss) || !isfinite(g2))
        return vae_fail(err, VAE_ERR_NONFINITE, "loss or gradient is not finite (rec %g + %g, kl %g)", sx / n, sp / n,
                        kl);
    return vae_ok(err);
}

vae_status vae_sketch_train_step(vae_sketch *m, const vae_sketch_drawing *d, int n, float w_kl, float kl_min,
                                 const vae_train_config *c, vae_rng *rng, vae_sketch_stats *st, vae_error *err) {
    vae_sketch_stats local;
    if (!st) st = &local;
    if (!c) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_status s = vae_sketch_compute_grads(m, d, n, NULL, w_kl, kl_min, rng, st, err);
    if (s) return s; /* nothing updated */
    vae_seq_adam_step(m->params, m->n_params, c, st->grad_norm, &m->beta1_t, &m->beta2_t);
    return vae_ok(err);
}

vae_status vae_sketch_loss(vae_sketch *m, const vae_sketch_drawing *d, int n, const float *eps, vae_rng *rng,
                           float *rec_xy, float *rec_pen, float *kl, vae_error *err) {
    int longest = check_batch(m, d, n, err);
    if (!longest) return err ? err->code : VAE_ERR_ARG;
    if ((!eps && !rng) || !rec_xy || !rec_pen || !kl) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    forward(m, d, n, longest, eps, rng, rec_xy, rec_pen, kl);
    return vae_ok(err);
}

vae_status vae_sketch_encode(vae_sketch *m, const vae_sketch_drawing *d, int n, float *mu, float *logvar,
                             vae_error *err) {
    int longest = check_batch(m, d, n, err);
    if (!longest) return err ? err->code : VAE_ERR_ARG;
    if (!mu) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    encode(m, d, n, longest);
    memcpy(mu, m->mu, (size_t)n * m->L * sizeof *mu);
    if (logvar) memcpy(logvar, m->logvar, (size_t)n * m->L * sizeof *logvar);
    return vae_ok(err);
}

/* Decoding of n <= cap codes into out [n, max_len, 3] and len [n]; with
 * prefix (n == 1), its points are read in first (teacher forcing) and
 * written out as they are, then the decoder goes on. */
static void decode(vae_sketch *m, const float *z, int n, float temperature, vae_rng *rng,
                   const vae_sketch_drawing *prefix, float *out, int *len) {
    int Hd = m->Hd, L = m->L, P = m->P, I = 5 + L, N = m->a.max_len;
    const float *p = m->params;
    vae_lstm_shape one = dec_shape(&m->a, 1, n);
    float *h = m->h0, *c = m->c0, *hn = m->h1, *cn = m->c1, *prev = m->target; /* prev [n, 5] */
    int *done = m->enc_len;
    initial_state(m, z, n, h, c);
    for (int b = 0; b < n; b++) {
        float *s = prev + (size_t)b * 5;
        s[0] = s[1] = s[3] = s[4] = 0.0f, s[2] = 1.0f;
        done[b] = 0, len[b] = 0;
    }
    if (temperature > 0.0f) vae_seq_streams(m->draw_rng, n, rng);
    for (int t = 0; t <= N; t++) {
        for (int b = 0; b < n; b++) {
            float *x = m->xd + (size_t)b * I;
            memcpy(x, prev + (size_t)b * 5, 5 * sizeof *x);
            memcpy(x + 5, z + (size_t)b * L, L * sizeof *x);
        }
        vae_lstm_forward(m->yd, hn, cn, m->cache_d, m->xd, NULL, h, c, p + m->off[T_DEC], &one);
        vae_linear_forward(m->y, m->yd, p + m->off[T_OUT_W], p + m->off[T_OUT_B], n, Hd, P);
        for (int b = 0; b < n; b++) {
            float r[4] = {0}, *s = prev + (size_t)b * 5;
            if (done[b]) continue;
            float *o = out + ((size_t)b * N + len[b]) * 3;
            if (prefix && t < prefix->n) {
                memcpy(o, prefix->pts + (size_t)t * 3, 3 * sizeof *o);
                stroke5(s, prefix, t, m->a.scale);
                len[b]++;
                continue;
            }
            if (temperature > 0.0f) {
                vae_rng *g = &m->draw_rng[b];
                r[0] = vae_rng_uniform(g), r[1] = vae_rng_uniform(g), r[2] = vae_rng_normal(g);
                r[3] = vae_rng_normal(g);
            }
            vae_mdn_sample(s, m->y + (size_t)b * P, m->M, temperature, r);
            if (s[4] == 1.0f || t == N) { /* the end; at the limit the last point lifts */
                done[b] = 1;
                if (len[b]) o[-1] = 1.0f;
                continue;
            }
            o[0] = s[0] * m->a.scale, o[1] = s[1] * m->a.scale, o[2] = s[3];
            len[b]++;
        }
        float *swap = h;
        h = hn, hn = swap, swap = c, c = cn, cn = swap;
    }
}

/* The arguments of a decoding of n codes z [n, latent]. */
static vae_status check_decode(const vae_sketch *m, const float *z, int n, float temperature, const vae_rng *rng,
                               const float *out, const int *len, vae_error *err) {
    if (!m || !z || !out || !len || (temperature > 0.0f && !rng)) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    return vae_seq_check_codes(z, n, m->L, temperature, err);
}

vae_status vae_sketch_decode(vae_sketch *m, const float *z, int n, float temperature, vae_rng *rng, float *out,
                             int *len, vae_error *err) {
    vae_status s = check_decode(m, z, n, temperature, rng, out, len, err);
    if (s) return s;
    size_t W = (size_t)m->a.max_len * 3;
    for (int i = 0; i < n; i += m->cap) {
        int nb = n - i < m->cap ? n - i : m->cap;
        decode(m, z + (size_t)i * m->L, nb, temperature, rng, NULL, out + i * W, len + i);
    }
    return vae_ok(err);
}

vae_status vae_sketch_sample(vae_sketch *m, int n, uint64_t seed, float temperature, float *out, int *len,
                             vae_error *err) {
    if (!m) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (n < 1) return vae_fail(err, VAE_ERR_ARG, "%d drawings to sample", n);
    float *z = malloc((size_t)n * m->L * sizeof *z);
    if (!z) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %d latents", n);
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    vae_rng_normals(&rng, z, (size_t)n * m->L);
    vae_rng_seed(&rng, seed + 1);
    vae_status s = vae_sketch_decode(m, z, n, temperature, &rng, out, len, err);
    free(z);
    return s;
}

vae_status vae_sketch_complete(vae_sketch *m, const vae_sketch_drawing *prefix, const float *z, float temperature,
                               vae_rng *rng, float *out, int *len, vae_error *err) {
    vae_status s = vae_sketch_check(m, prefix, err);
    if (s) return s;
    if (!z) { /* the prefix's own code (decode leaves mu alone) */
        encode(m, prefix, 1, prefix->n);
        z = m->mu;
    }
    if ((s = check_decode(m, z, 1, temperature, rng, out, len, err))) return s;
    decode(m, z, 1, temperature, rng, prefix, out, len);
    return vae_ok(err);
}
