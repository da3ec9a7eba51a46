/* The VAE / CVAE: architecture, parameter table, forward and backward passes,
 * and the inference entry points (encode, decode, loss, IWAE). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "layers.h"

#define WORK_CHUNK 256 /* images per pass in the inference calls: bounds their memory */

/* ---------------------------------------------------------------- architecture */

void vae_arch_default(vae_arch *a) {
    memset(a, 0, sizeof *a);
    a->image_c = 1;
    a->image_h = 28;
    a->image_w = 28;
    a->n_enc = a->n_dec = 1;
    a->enc_hidden[0] = a->dec_hidden[0] = 400;
    a->latent = 20;
    a->act = VAE_ACT_RELU;
    a->leaky_slope = 0.01f;
    a->lik = VAE_LIK_BERNOULLI;
    a->sigma = 1.0f;
}

int vae_arch_input_dim(const vae_arch *a) { return a->image_c * a->image_h * a->image_w; }

const char *vae_activation_name(vae_activation a) {
    static const char *const names[] = {"relu", "leaky_relu", "tanh", "sigmoid"};
    return (unsigned)a < 4 ? names[a] : "?";
}

const char *vae_likelihood_name(vae_likelihood l) {
    static const char *const names[] = {"bernoulli", "gaussian", "gaussian_learned"};
    return (unsigned)l < 3 ? names[l] : "?";
}

static int width_ok(int w) { return w >= 1 && w <= VAE_MAX_DIM; }

vae_status vae_arch_validate(const vae_arch *a, vae_error *err) {
    if (!a) return vae_fail(err, VAE_ERR_ARG, "architecture is NULL");
    if (!width_ok(a->image_c) || !width_ok(a->image_h) || !width_ok(a->image_w) ||
        (long long)a->image_c * a->image_h * a->image_w > VAE_MAX_DIM)
        return vae_fail(err, VAE_ERR_ARG, "image shape %dx%dx%d: each side must be >= 1 and c*h*w <= %d",
                        a->image_c, a->image_h, a->image_w, VAE_MAX_DIM);
    if (a->n_enc < 0 || a->n_enc > VAE_MAX_LAYERS || a->n_dec < 0 || a->n_dec > VAE_MAX_LAYERS)
        return vae_fail(err, VAE_ERR_ARG, "hidden layers: %d encoder, %d decoder; each must be 0..%d", a->n_enc,
                        a->n_dec, VAE_MAX_LAYERS);
    for (int i = 0; i < a->n_enc; i++)
        if (!width_ok(a->enc_hidden[i]))
            return vae_fail(err, VAE_ERR_ARG, "encoder hidden layer %d has width %d (must be 1..%d)", i,
                            a->enc_hidden[i], VAE_MAX_DIM);
    for (int i = 0; i < a->n_dec; i++)
        if (!width_ok(a->dec_hidden[i]))
            return vae_fail(err, VAE_ERR_ARG, "decoder hidden layer %d has width %d (must be 1..%d)", i,
                            a->dec_hidden[i], VAE_MAX_DIM);
    if (a->latent < 1 || a->latent > 4096)
        return vae_fail(err, VAE_ERR_ARG, "latent size %d must be 1..4096", a->latent);
    if (a->n_classes < 0 || a->n_classes > 4096)
        return vae_fail(err, VAE_ERR_ARG, "class count %d must be 0..4096", a->n_classes);
    if ((unsigned)a->act > VAE_ACT_SIGMOID) return vae_fail(err, VAE_ERR_ARG, "unknown activation %d", a->act);
    if (!(a->leaky_slope >= 0.0f && a->leaky_slope <= 1.0f))
        return vae_fail(err, VAE_ERR_ARG, "leaky ReLU slope %g must be in [0, 1]", a->leaky_slope);
    if ((unsigned)a->lik > VAE_LIK_GAUSSIAN_LEARNED) return vae_fail(err, VAE_ERR_ARG, "unknown likelihood %d", a->lik);
    if (!(a->sigma > 0.0f && isfinite(a->sigma)))
        return vae_fail(err, VAE_ERR_ARG, "Gaussian sigma %g must be positive and finite", a->sigma);
    if (a->decoder_only != 0 && a->decoder_only != 1)
        return vae_fail(err, VAE_ERR_ARG, "decoder_only must be 0 or 1");
    return vae_ok(err);
}

/* ---------------------------------------------------------------- parameter table */

static int add_tensor(vae_model *m, const char *name, int rows, int cols) {
    vae_param_info *t = &m->t[m->n_tensors];
    vae_format(t->name, sizeof t->name, "%s", name);
    t->ndim = cols ? 2 : 1;
    t->shape[0] = rows;
    t->shape[1] = cols;
    t->numel = (size_t)rows * (cols ? cols : 1);
    t->offset = m->n_params;
    m->n_params += t->numel;
    m->total_params += (uint64_t)rows * (cols ? cols : 1); /* exact even where size_t is 32 bits */
    return m->n_tensors++;
}

static vae_linear_ref add_linear(vae_model *m, const char *prefix, int in, int out) {
    char name[VAE_NAME_MAX];
    vae_linear_ref r = {in, out, 0, 0};
    vae_format(name, sizeof name, "%s.weight", prefix);
    r.w = add_tensor(m, name, out, in);
    vae_format(name, sizeof name, "%s.bias", prefix);
    r.b = add_tensor(m, name, out, 0);
    return r;
}

/* Fills the size table and layer map of m from a (validated) architecture. */
static void build_table(vae_model *m, const vae_arch *arch) {
    m->arch = *arch;
    m->D = vae_arch_input_dim(arch);
    m->n_enc = arch->decoder_only ? 0 : arch->n_enc;
    m->n_dec = arch->n_dec;
    int C = arch->n_classes, L = arch->latent;
    char name[VAE_NAME_MAX];
    if (!arch->decoder_only) {
        int in = m->D + C;
        for (int i = 0; i < arch->n_enc; i++) {
            vae_format(name, sizeof name, "encoder.layers.%d", i);
            m->enc[i] = add_linear(m, name, in, arch->enc_hidden[i]);
            in = arch->enc_hidden[i];
        }
        m->mu = add_linear(m, "encoder.mu", in, L);
        m->logvar = add_linear(m, "encoder.logvar", in, L);
    }
    int in = L + C;
    for (int i = 0; i < arch->n_dec; i++) {
        vae_format(name, sizeof name, "decoder.layers.%d", i);
        m->dec[i] = add_linear(m, name, in, arch->dec_hidden[i]);
        in = arch->dec_hidden[i];
    }
    m->out = add_linear(m, "decoder.out", in, m->D);
    m->logsigma = arch->lik == VAE_LIK_GAUSSIAN_LEARNED ? add_tensor(m, "decoder.logsigma", m->D, 0) : -1;
}

uint64_t vae_arch_param_count(const vae_arch *a) {
    vae_model tmp;
    memset(&tmp, 0, sizeof tmp);
    build_table(&tmp, a);
    return tmp.total_params;
}

vae_status vae_model_create(vae_model **out, const vae_arch *arch, vae_error *err) {
    if (!out) return vae_fail(err, VAE_ERR_ARG, "output pointer is NULL");
    *out = NULL;
    vae_status st = vae_arch_validate(arch, err);
    if (st) return st;
    vae_model *m = calloc(1, sizeof *m);
    if (!m) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for the model");
    build_table(m, arch);
    if (m->total_params > VAE_MAX_PARAMS) {
        uint64_t n = m->total_params;
        free(m);
        return vae_fail(err, VAE_ERR_ARG, "the architecture has %llu parameters; the limit is %u",
                        (unsigned long long)n, VAE_MAX_PARAMS);
    }
    m->params = calloc(m->n_params, sizeof(float));
    if (!m->params) {
        size_t n = m->n_params;
        free(m);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %zu parameters", n);
    }
    *out = m;
    return vae_ok(err);
}

/* U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias: nn.Linear's default. */
static void init_linear(vae_model *m, vae_linear_ref r, vae_rng *rng) {
    float bound = 1.0f / sqrtf((float)r.in);
    int idx[2] = {r.w, r.b};
    for (int k = 0; k < 2; k++) {
        float *p = m->params + m->t[idx[k]].offset;
        for (size_t i = 0; i < m->t[idx[k]].numel; i++) p[i] = (2.0f * vae_rng_uniform(rng) - 1.0f) * bound;
    }
}

vae_status vae_model_init(vae_model **out, const vae_arch *arch, uint64_t seed, vae_error *err) {
    vae_status st = vae_model_create(out, arch, err);
    if (st) return st;
    vae_model *m = *out;
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    for (int i = 0; i < m->n_enc; i++) init_linear(m, m->enc[i], &rng);
    if (!arch->decoder_only) {
        init_linear(m, m->mu, &rng);
        init_linear(m, m->logvar, &rng);
    }
    for (int i = 0; i < m->n_dec; i++) init_linear(m, m->dec[i], &rng);
    init_linear(m, m->out, &rng);
    return vae_ok(err); /* learned log sigma stays 0 (sigma = 1) */
}

void vae_model_free(vae_model *m) {
    if (!m) return;
    free(m->params);
    free(m);
}

const vae_arch *vae_model_arch(const vae_model *m) { return m ? &m->arch : NULL; }
size_t vae_model_param_count(const vae_model *m) { return m ? m->n_params : 0; }
int vae_model_tensor_count(const vae_model *m) { return m ? m->n_tensors : 0; }
float *vae_model_params(vae_model *m) { return m ? m->params : NULL; }

vae_status vae_model_tensor(const vae_model *m, int i, vae_tensor *out) {
    if (!m || !out) return VAE_ERR_ARG;
    if (i < 0 || i >= m->n_tensors) return VAE_ERR_ARG;
    const vae_param_info *t = &m->t[i];
    out->name = t->name;
    out->ndim = t->ndim;
    out->shape[0] = t->shape[0];
    out->shape[1] = t->shape[1];
    out->numel = t->numel;
    out->offset = t->offset;
    out->data = m->params + t->offset;
    return VAE_OK;
}

int vae_model_find_tensor(const vae_model *m, const char *name) {
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->t[i].name, name) == 0) return i;
    return -1;
}

/* ---------------------------------------------------------------- workspace */

vae_work *vae_work_new(const vae_model *m, int cap, int train) {
    const vae_arch *a = &m->arch;
    int C = a->n_classes, L = a->latent, D = m->D;
    int widest = D + C > L + C ? D + C : L + C;
    size_t per_image = (size_t)(D + C) + 2 * L + (L + C) + D + 2; /* ein mu logvar zin logits rec kl */
    for (int i = 0; i < m->n_enc; i++) per_image += a->enc_hidden[i];
    for (int i = 0; i < m->n_dec; i++) per_image += a->dec_hidden[i];
    for (int i = 0; i < a->n_enc; i++) widest = a->enc_hidden[i] > widest ? a->enc_hidden[i] : widest;
    for (int i = 0; i < a->n_dec; i++) widest = a->dec_hidden[i] > widest ? a->dec_hidden[i] : widest;
    size_t total = train ? 2 * per_image + widest : per_image;

    vae_work *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->block = malloc(total * (size_t)cap * sizeof(float));
    if (!w->block) {
        free(w);
        return NULL;
    }
    w->cap = cap;
    w->train = train;
    /* Carve forward buffers, then (for training) their gradient twins in the same order. */
    float *p = w->block;
#define TAKE(width) (p += (size_t)cap * (width), p - (size_t)cap * (width))
    for (int pass = 0; pass < (train ? 2 : 1); pass++) {
        float **h = pass ? w->dh : w->h, **g = pass ? w->dg : w->g;
        float *ein = TAKE(D + C);
        for (int i = 0; i < m->n_enc; i++) h[i] = TAKE(a->enc_hidden[i]);
        float *mu = TAKE(L), *logvar = TAKE(L), *zin = TAKE(L + C);
        for (int i = 0; i < m->n_dec; i++) g[i] = TAKE(a->dec_hidden[i]);
        float *logits = TAKE(D), *rec = TAKE(1), *kl = TAKE(1);
        if (!pass) {
            w->ein = ein, w->mu = mu, w->logvar = logvar, w->zin = zin, w->logits = logits, w->rec = rec, w->kl = kl;
        } else {
            w->dmu = mu, w->dlogvar = logvar, w->dzin = zin, w->dlogits = logits;
        }
    }
    if (train) w->dpre = TAKE(widest);
#undef TAKE
    return w;
}

void vae_work_free(vae_work *w) {
    if (!w) return;
    free(w->block);
    free(w);
}

/* ---------------------------------------------------------------- passes */

static const float *P(const vae_model *m, int t) { return m->params + m->t[t].offset; }

/* Hidden stack: h[i] = act(layer_i(h[i-1])), h[-1] = in. Returns the top output. */
static const float *mlp_forward(const vae_model *m, const vae_linear_ref *layers, int n_layers, const float *in,
                                float *const *h, int n) {
    const vae_arch *a = &m->arch;
    for (int i = 0; i < n_layers; i++) {
        vae_linear_ref r = layers[i];
        vae_linear_forward(h[i], in, P(m, r.w), P(m, r.b), n, r.in, r.out);
        vae_act_forward(h[i], h[i], (size_t)n * r.out, a->act, a->leaky_slope);
        in = h[i];
    }
    return in;
}

/* Backward through the hidden stack. dh[top] holds dL/d(top output); din
 * (may be NULL) receives dL/d(in). */
static void mlp_backward(const vae_model *m, vae_work *w, float *grads, const vae_linear_ref *layers, int n_layers,
                         const float *in, float *const *h, float *const *dh, float *din, int n) {
    const vae_arch *a = &m->arch;
    for (int i = n_layers - 1; i >= 0; i--) {
        vae_linear_ref r = layers[i];
        size_t cnt = (size_t)n * r.out;
        memset(w->dpre, 0, cnt * sizeof(float));
        vae_act_backward(w->dpre, dh[i], h[i], cnt, a->act, a->leaky_slope);
        vae_linear_backward(i ? dh[i - 1] : din, grads + m->t[r.w].offset, grads + m->t[r.b].offset, w->dpre,
                            i ? h[i - 1] : in, P(m, r.w), n, r.in, r.out);
    }
}

/* Writes the one-hot label into columns [off, off + C) of rows `ld` floats apart. */
static void put_onehot(float *rows, int ld, int off, const int *labels, int C, int n) {
    for (int b = 0; b < n; b++) {
        float *r = rows + (size_t)b * ld + off;
        memset(r, 0, (size_t)C * sizeof(float));
        r[labels[b]] = 1.0f;
    }
}

static const float *encoder_input(const vae_model *m, vae_work *w, const float *x, const int *labels, int n) {
    int C = m->arch.n_classes, D = m->D;
    if (!C) return x;
    for (int b = 0; b < n; b++) memcpy(w->ein + (size_t)b * (D + C), x + (size_t)b * D, (size_t)D * sizeof(float));
    put_onehot(w->ein, D + C, D, labels, C, n);
    return w->ein;
}

static void encoder_forward(const vae_model *m, vae_work *w, const float *x, const int *labels, int n) {
    const float *in = encoder_input(m, w, x, labels, n);
    const float *top = mlp_forward(m, m->enc, m->n_enc, in, w->h, n);
    vae_linear_forward(w->mu, top, P(m, m->mu.w), P(m, m->mu.b), n, m->mu.in, m->mu.out);
    vae_linear_forward(w->logvar, top, P(m, m->logvar.w), P(m, m->logvar.b), n, m->logvar.in, m->logvar.out);
}

/* zin (z already in columns 0..L) -> logits */
static void decoder_forward(const vae_model *m, vae_work *w, const int *labels, int n) {
    int C = m->arch.n_classes, L = m->arch.latent;
    if (C) put_onehot(w->zin, L + C, L, labels, C, n);
    const float *top = mlp_forward(m, m->dec, m->n_dec, w->zin, w->g, n);
    vae_linear_forward(w->logits, top, P(m, m->out.w), P(m, m->out.b), n, m->out.in, m->out.out);
}

static void rec_forward(const vae_model *m, const float *logits, const float *x, int x_stride, int n, float *rec) {
    const vae_arch *a = &m->arch;
    if (a->lik == VAE_LIK_BERNOULLI)
        vae_bce_logits_forward(rec, logits, x, n, m->D, x_stride);
    else
        vae_gaussian_forward(rec, logits, x, n, m->D, x_stride, m->logsigma >= 0 ? P(m, m->logsigma) : NULL,
                             a->sigma);
}

void vae_forward(const vae_model *m, vae_work *w, const float *x, const int *labels, int n, const float *eps) {
    int L = m->arch.latent, C = m->arch.n_classes;
    encoder_forward(m, w, x, labels, n);
    vae_reparam_forward(w->zin, L + C, w->mu, w->logvar, eps, n, L);
    decoder_forward(m, w, labels, n);
    rec_forward(m, w->logits, x, m->D, n, w->rec);
    vae_kl_forward(w->kl, w->mu, w->logvar, n, L);
}

void vae_backward(const vae_model *m, vae_work *w, float *grads, const float *x, int n, const float *eps,
                  float beta) {
    const vae_arch *a = &m->arch;
    int L = a->latent, C = a->n_classes;
    float scale = 1.0f / (float)n;
    memset(w->dmu, 0, (size_t)n * L * sizeof(float));
    memset(w->dlogvar, 0, (size_t)n * L * sizeof(float));
    memset(w->dzin, 0, (size_t)n * (L + C) * sizeof(float));
    memset(w->dlogits, 0, (size_t)n * m->D * sizeof(float));
    for (int i = 0; i < m->n_enc; i++) memset(w->dh[i], 0, (size_t)n * a->enc_hidden[i] * sizeof(float));
    for (int i = 0; i < m->n_dec; i++) memset(w->dg[i], 0, (size_t)n * a->dec_hidden[i] * sizeof(float));

    if (a->lik == VAE_LIK_BERNOULLI)
        vae_bce_logits_backward(w->dlogits, w->logits, x, n, m->D, scale);
    else
        vae_gaussian_backward(w->dlogits, m->logsigma >= 0 ? grads + m->t[m->logsigma].offset : NULL, w->logits, x,
                              n, m->D, m->logsigma >= 0 ? P(m, m->logsigma) : NULL, a->sigma, scale);

    /* decoder: out layer, hidden stack, down to dzin */
    const float *dtop_in = m->n_dec ? w->g[m->n_dec - 1] : w->zin;
    float *dtop = m->n_dec ? w->dg[m->n_dec - 1] : w->dzin;
    vae_linear_backward(dtop, grads + m->t[m->out.w].offset, grads + m->t[m->out.b].offset, w->dlogits, dtop_in,
                        P(m, m->out.w), n, m->out.in, m->out.out);
    mlp_backward(m, w, grads, m->dec, m->n_dec, w->zin, w->g, w->dg, w->dzin, n);

    /* z = mu + exp(logvar/2) eps, plus the KL term */
    vae_reparam_backward(w->dmu, w->dlogvar, w->dzin, L + C, w->logvar, eps, n, L);
    vae_kl_backward(w->dmu, w->dlogvar, w->mu, w->logvar, n, L, beta * scale);

    /* encoder heads, then the hidden stack (no gradient for the data itself) */
    const float *ein = C ? w->ein : x;
    const float *etop_in = m->n_enc ? w->h[m->n_enc - 1] : ein;
    float *detop = m->n_enc ? w->dh[m->n_enc - 1] : NULL;
    vae_linear_backward(detop, grads + m->t[m->mu.w].offset, grads + m->t[m->mu.b].offset, w->dmu, etop_in,
                        P(m, m->mu.w), n, m->mu.in, m->mu.out);
    vae_linear_backward(detop, grads + m->t[m->logvar.w].offset, grads + m->t[m->logvar.b].offset, w->dlogvar,
                        etop_in, P(m, m->logvar.w), n, m->logvar.in, m->logvar.out);
    mlp_backward(m, w, grads, m->enc, m->n_enc, ein, w->h, w->dh, NULL, n);
}

/* ---------------------------------------------------------------- checks */

static vae_status check_finite(const float *v, size_t count, const char *what, vae_error *err) {
    for (size_t i = 0; i < count; i++)
        if (!isfinite(v[i]))
            return vae_fail(err, VAE_ERR_NONFINITE, "%s value %zu is not a finite number", what, i);
    return VAE_OK;
}

static vae_status check_labels(const vae_model *m, const int *labels, int n, vae_error *err) {
    int C = m->arch.n_classes;
    if (!C) return VAE_OK; /* labels are ignored by an unconditional model */
    if (!labels) return vae_fail(err, VAE_ERR_ARG, "this is a conditional model: labels (0..%d) are required", C - 1);
    for (int b = 0; b < n; b++)
        if (labels[b] < 0 || labels[b] >= C)
            return vae_fail(err, VAE_ERR_ARG, "label %d of item %d is outside 0..%d", labels[b], b, C - 1);
    return VAE_OK;
}

static vae_status check_model_n(const vae_model *m, int n, int need_encoder, vae_error *err) {
    if (!m) return vae_fail(err, VAE_ERR_ARG, "model is NULL");
    if (n < 1) return vae_fail(err, VAE_ERR_ARG, "batch size %d must be at least 1", n);
    if (need_encoder && m->arch.decoder_only)
        return vae_fail(err, VAE_ERR_STATE, "this is a decoder-only model: it cannot encode images");
    return VAE_OK;
}

vae_status vae_check_batch(const vae_model *m, const float *x, const int *labels, int n, vae_error *err) {
    vae_status st = check_model_n(m, n, 1, err);
    if (st) return st;
    if (!x) return vae_fail(err, VAE_ERR_ARG, "images pointer is NULL");
    if ((st = check_finite(x, (size_t)n * m->D, "image", err))) return st;
    return check_labels(m, labels, n, err);
}

/* ---------------------------------------------------------------- inference */

static vae_work *inference_work(const vae_model *m, int n, vae_error *err) {
    vae_work *w = vae_work_new(m, n < WORK_CHUNK ? n : WORK_CHUNK, 0);
    if (!w) vae_fail(err, VAE_ERR_NOMEM, "out of memory for a batch of %d", n < WORK_CHUNK ? n : WORK_CHUNK);
    return w;
}

vae_status vae_model_encode(vae_model *m, const float *x, const int *labels, int n, float *mu, float *logvar,
                            vae_error *err) {
    vae_status st = vae_check_batch(m, x, labels, n, err);
    if (st) return st;
    if (!mu && !logvar) return vae_fail(err, VAE_ERR_ARG, "both outputs are NULL");
    vae_work *w = inference_work(m, n, err);
    if (!w) return VAE_ERR_NOMEM;
    int L = m->arch.latent;
    for (int b0 = 0; b0 < n; b0 += w->cap) {
        int nb = n - b0 < w->cap ? n - b0 : w->cap;
        encoder_forward(m, w, x + (size_t)b0 * m->D, labels ? labels + b0 : NULL, nb);
        if (mu) memcpy(mu + (size_t)b0 * L, w->mu, (size_t)nb * L * sizeof(float));
        if (logvar) memcpy(logvar + (size_t)b0 * L, w->logvar, (size_t)nb * L * sizeof(float));
    }
    vae_work_free(w);
    return vae_ok(err);
}

vae_status vae_model_decode(vae_model *m, const float *z, const int *labels, int n, float *out, vae_error *err) {
    vae_status st = check_model_n(m, n, 0, err);
    if (st) return st;
    int L = m->arch.latent, C = m->arch.n_classes, D = m->D;
    if (!z || !out) return vae_fail(err, VAE_ERR_ARG, "latent or output pointer is NULL");
    if ((st = check_finite(z, (size_t)n * L, "latent", err)) || (st = check_labels(m, labels, n, err))) return st;
    vae_work *w = inference_work(m, n, err);
    if (!w) return VAE_ERR_NOMEM;
    for (int b0 = 0; b0 < n; b0 += w->cap) {
        int nb = n - b0 < w->cap ? n - b0 : w->cap;
        for (int b = 0; b < nb; b++)
            memcpy(w->zin + (size_t)b * (L + C), z + (size_t)(b0 + b) * L, (size_t)L * sizeof(float));
        decoder_forward(m, w, labels ? labels + b0 : NULL, nb);
        float *o = out + (size_t)b0 * D;
        vae_sigmoid_forward(o, w->logits, (size_t)nb * D);
    }
    vae_work_free(w);
    return vae_ok(err);
}

vae_status vae_model_loss(vae_model *m, const float *x, const int *labels, int n, const float *eps, float *rec,
                          float *kl, vae_error *err) {
    vae_status st = vae_check_batch(m, x, labels, n, err);
    if (st) return st;
    int L = m->arch.latent;
    if (eps && (st = check_finite(eps, (size_t)n * L, "eps", err))) return st;
    vae_work *w = inference_work(m, n, err);
    if (!w) return VAE_ERR_NOMEM;
    for (int b0 = 0; b0 < n; b0 += w->cap) {
        int nb = n - b0 < w->cap ? n - b0 : w->cap;
        vae_forward(m, w, x + (size_t)b0 * m->D, labels ? labels + b0 : NULL, nb, eps ? eps + (size_t)b0 * L : NULL);
        if (rec) memcpy(rec + b0, w->rec, (size_t)nb * sizeof(float));
        if (kl) memcpy(kl + b0, w->kl, (size_t)nb * sizeof(float));
    }
    vae_work_free(w);
    return vae_ok(err);
}

/* log p(x) ~ logsumexp_k [log p(x|z_k) + log p(z_k) - log q(z_k|x)] - log k.
 * The 2 pi terms of p(z) and q(z|x) cancel. */
vae_status vae_model_iwae(vae_model *m, const float *x, const int *labels, int n, int k, vae_rng *rng, float *ll,
                          vae_error *err) {
    vae_status st = vae_check_batch(m, x, labels, n, err);
    if (st) return st;
    if (k < 1 || !rng || !ll) return vae_fail(err, VAE_ERR_ARG, "iwae needs k >= 1 (got %d), an rng and an output", k);
    int L = m->arch.latent, C = m->arch.n_classes, D = m->D;
    vae_work *w = vae_work_new(m, WORK_CHUNK, 0);
    float *mu = malloc((size_t)2 * L * sizeof(float));
    if (!w || !mu) {
        vae_work_free(w);
        free(mu);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for importance sampling");
    }
    float *logvar = mu + L;
    int lab[WORK_CHUNK];
    for (int b = 0; b < n; b++) {
        encoder_forward(m, w, x + (size_t)b * D, labels ? labels + b : NULL, 1);
        memcpy(mu, w->mu, (size_t)L * sizeof(float));
        memcpy(logvar, w->logvar, (size_t)L * sizeof(float));
        double lse_max = -INFINITY, lse_sum = 0.0; /* streaming logsumexp */
        for (int k0 = 0; k0 < k; k0 += w->cap) {
            int nk = k - k0 < w->cap ? k - k0 : w->cap;
            double logq[WORK_CHUNK];
            for (int s = 0; s < nk; s++) {
                double lq = 0.0, lp = 0.0;
                for (int j = 0; j < L; j++) {
                    float e = vae_rng_normal(rng), z = mu[j] + expf(0.5f * logvar[j]) * e;
                    w->zin[(size_t)s * (L + C) + j] = z;
                    lq += -0.5 * ((double)e * e + logvar[j]);
                    lp += -0.5 * (double)z * z;
                }
                logq[s] = lp - lq;
                if (C) lab[s] = labels[b];
            }
            decoder_forward(m, w, lab, nk);
            rec_forward(m, w->logits, x + (size_t)b * D, 0, nk, w->rec);
            for (int s = 0; s < nk; s++) {
                double lw = logq[s] - w->rec[s];
                /* Terms of at most 1 and a float result: expf is plenty, and
                 * the double exp would bring its 2 KB table into the wasm. */
                if (lw > lse_max) {
                    lse_sum = lse_sum * expf((float)(lse_max - lw)) + 1.0;
                    lse_max = lw;
                } else {
                    lse_sum += expf((float)(lw - lse_max));
                }
            }
        }
        ll[b] = (float)(lse_max + vae_log(lse_sum) - vae_log((double)k));
    }
    vae_work_free(w);
    free(mu);
    return vae_ok(err);
}
