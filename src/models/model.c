/* The VAE / CVAE: architecture, parameter table, forward and backward passes,
 * and the inference entry points (encode, decode, loss, IWAE). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels/kernels.h"
#include "kernels/simd.h"
#include "layers/layers.h"

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
    a->code_act = VAE_ACT_IDENTITY;
    a->leaky_slope = 0.01f;
    a->lik = VAE_LIK_BERNOULLI;
    a->sigma = 1.0f;
}

int vae_arch_input_dim(const vae_arch *a) { return a->image_c * a->image_h * a->image_w; }

const char *vae_activation_name(vae_activation a) {
    static const char *const names[] = {"relu", "leaky_relu", "tanh", "sigmoid", "identity"};
    return (unsigned)a <= VAE_ACT_IDENTITY ? names[a] : "?";
}

/* The page's inference module (vae-simd.wasm) knows no Student-t: table
 * models train and score in the training module, and the page's size budget
 * has no room for the log-gamma code (CMakeLists.txt). */
#ifdef VAE_NO_STUDENT_T
#define LIK_LAST VAE_LIK_GAUSSIAN_LEARNED
#else
#define LIK_LAST VAE_LIK_STUDENT_T
#endif

const char *vae_likelihood_name(vae_likelihood l) {
    static const char *const names[] = {"bernoulli", "gaussian", "gaussian_learned", "student_t"};
    return (unsigned)l <= LIK_LAST ? names[l] : "?";
}

const char *vae_model_kind_name(vae_model_kind k) {
    static const char *const names[] = {"vae", "ae", "m2"};
    return (unsigned)k <= VAE_KIND_M2 ? names[k] : "?";
}

const char *vae_layer_kind_name(vae_layer_kind k) {
    static const char *const names[] = {"linear", "conv", "conv_transpose"};
    return (unsigned)k <= VAE_LAYER_CONV_TRANSPOSE ? names[k] : "?";
}

static int width_ok(int w) { return w >= 1 && w <= VAE_MAX_DIM; }

/* Plans one layer reading [c, h, w] plus `extra` flat inputs (the one-hot
 * label): fills r's kind, sizes and conv shape (tensors come later). */
static vae_status plan_layer(vae_layer_ref *r, const vae_layer *spec, int width, int c, int h, int w, int extra,
                             const char *where, vae_error *err) {
    memset(r, 0, sizeof *r);
    r->kind = spec->kind;
    r->in = c * h * w + extra;
    if (!width_ok(width))
        return vae_fail(err, VAE_ERR_ARG, "%s has width %d (must be 1..%d)", where, width, VAE_MAX_DIM);
    if (spec->kind == VAE_LAYER_LINEAR) {
        const int *v = spec->shape;
        r->out = width;
        if (!v[0] && !v[1] && !v[2]) {
            r->out_c = width, r->out_h = r->out_w = 1;
        } else if (v[0] >= 1 && v[1] >= 1 && v[2] >= 1 && (long long)v[0] * v[1] * v[2] == width) {
            r->out_c = v[0], r->out_h = v[1], r->out_w = v[2];
        } else {
            return vae_fail(err, VAE_ERR_ARG, "%s: output view %dx%dx%d does not hold its width %d", where, v[0], v[1],
                            v[2], width);
        }
        return vae_ok(err);
    }
    if ((unsigned)spec->kind > VAE_LAYER_CONV_TRANSPOSE)
        return vae_fail(err, VAE_ERR_ARG, "%s: unknown layer kind %d", where, spec->kind);
    if (extra)
        return vae_fail(err, VAE_ERR_ARG,
                        "%s: a conditional model appends the label to a flat input, so this layer "
                        "must be linear",
                        where);
    vae_conv_shape *g = &r->conv;
    *g = (vae_conv_shape){spec->kind == VAE_LAYER_CONV ? VAE_CONV2D : VAE_CONV_TRANSPOSE2D,
                          1,
                          c,
                          h,
                          w,
                          width,
                          spec->kernel,
                          spec->kernel,
                          spec->stride,
                          spec->pad,
                          spec->out_pad,
                          0,
                          0};
    vae_error e;
    if (vae_conv_shape_check(g, &e)) return vae_fail(err, VAE_ERR_ARG, "%s: %s", where, e.msg);
    r->out_c = width, r->out_h = g->h_out, r->out_w = g->w_out;
    if ((long long)width * g->h_out * g->w_out > VAE_MAX_DIM)
        return vae_fail(err, VAE_ERR_ARG, "%s: output %dx%dx%d is over %d values per image", where, width, g->h_out,
                        g->w_out, VAE_MAX_DIM);
    r->out = width * g->h_out * g->w_out;
    return vae_ok(err);
}

static const vae_layer linear[VAE_MAX_LAYERS]; /* all zeros: linear layers */

/* Plans a hidden stack reading [*c, *h, *w] (its first layer also `extra`
 * flat inputs) and leaves the top's shape in *c, *h, *w. */
static vae_status plan_stack(vae_layer_ref *r, const vae_layer *spec, const int *width, int n, int *c, int *h, int *w,
                             int extra, const char *side, vae_error *err) {
    char where[64];
    for (int i = 0; i < n; i++) {
        vae_format(where, sizeof where, "%s hidden layer %d", side, i);
        vae_status st = plan_layer(&r[i], &spec[i], width[i], *c, *h, *w, i ? 0 : extra, where, err);
        if (st) return st;
        *c = r[i].out_c, *h = r[i].out_h, *w = r[i].out_w;
    }
    return VAE_OK;
}

/* Plans every layer of a (otherwise checked) architecture into m's layer map. */
static vae_status plan(vae_model *m, const vae_arch *a, vae_error *err) {
    int C = a->n_classes, L = a->latent, D = vae_arch_input_dim(a);
    int c = a->image_c, h = a->image_h, w = a->image_w;
    vae_status st;
    if ((st = plan_stack(m->enc, a->enc_layer, a->enc_hidden, a->n_enc, &c, &h, &w, C, "encoder", err))) return st;
    if ((st = plan_layer(&m->mu, linear, L, c, h, w, a->n_enc ? 0 : C, "encoder head", err))) return st;
    m->logvar = m->mu;
    c = L, h = w = 1;
    if ((st = plan_stack(m->dec, a->dec_layer, a->dec_hidden, a->n_dec, &c, &h, &w, C, "decoder", err))) return st;
    int cc = D, ch = 1, cw = 1; /* M2's classifier reads the flat image */
    if (a->kind == VAE_KIND_M2 &&
        ((st = plan_stack(m->cls, linear, a->cls_hidden, a->n_cls, &cc, &ch, &cw, 0, "classifier", err)) ||
         (st = plan_layer(&m->cls_out, linear, C, cc, 1, 1, 0, "classifier output layer", err))))
        return st;
    int conv_out = a->out_layer.kind != VAE_LAYER_LINEAR;
    if ((st = plan_layer(&m->out, &a->out_layer, conv_out ? a->image_c : D, c, h, w, a->n_dec ? 0 : C,
                         "decoder output layer", err)))
        return st;
    if (conv_out && (m->out.out_h != a->image_h || m->out.out_w != a->image_w))
        return vae_fail(err, VAE_ERR_ARG, "decoder output layer makes %dx%d images, the model's are %dx%d",
                        m->out.out_h, m->out.out_w, a->image_h, a->image_w);
    m->out.out_c = a->image_c, m->out.out_h = a->image_h, m->out.out_w = a->image_w;
    return vae_ok(err);
}

vae_status vae_arch_validate(const vae_arch *a, vae_error *err) {
    if (!a) return vae_fail(err, VAE_ERR_ARG, "architecture is NULL");
    if (!width_ok(a->image_c) || !width_ok(a->image_h) || !width_ok(a->image_w) ||
        (long long)a->image_c * a->image_h * a->image_w > VAE_MAX_DIM)
        return vae_fail(err, VAE_ERR_ARG, "image shape %dx%dx%d: each side must be >= 1 and c*h*w <= %d", a->image_c,
                        a->image_h, a->image_w, VAE_MAX_DIM);
    if (a->n_enc < 0 || a->n_enc > VAE_MAX_LAYERS || a->n_dec < 0 || a->n_dec > VAE_MAX_LAYERS)
        return vae_fail(err, VAE_ERR_ARG, "hidden layers: %d encoder, %d decoder; each must be 0..%d", a->n_enc,
                        a->n_dec, VAE_MAX_LAYERS);
    if (a->latent < 1 || a->latent > 4096)
        return vae_fail(err, VAE_ERR_ARG, "latent size %d must be 1..4096", a->latent);
    if (a->n_classes < 0 || a->n_classes > 4096)
        return vae_fail(err, VAE_ERR_ARG, "class count %d must be 0..4096", a->n_classes);
    if ((unsigned)a->kind > VAE_KIND_M2) return vae_fail(err, VAE_ERR_ARG, "unknown model kind %d", a->kind);
    if ((unsigned)a->n_cls > VAE_MAX_LAYERS || (a->kind == VAE_KIND_M2 ? a->n_classes < 2 : a->n_cls != 0))
        return vae_fail(err, VAE_ERR_ARG, "only M2 models have a classifier (0..%d hidden layers; 2 or more classes)",
                        VAE_MAX_LAYERS);
    if ((unsigned)a->act > VAE_ACT_IDENTITY) return vae_fail(err, VAE_ERR_ARG, "unknown activation %d", a->act);
    if ((unsigned)a->code_act > VAE_ACT_IDENTITY)
        return vae_fail(err, VAE_ERR_ARG, "unknown code activation %d", a->code_act);
    if (a->kind != VAE_KIND_AE && a->code_act != VAE_ACT_IDENTITY)
        return vae_fail(err, VAE_ERR_ARG, "a code activation is for autoencoders; a VAE's latent is mu, logvar");
    if (!(a->leaky_slope >= 0.0f && a->leaky_slope <= 1.0f))
        return vae_fail(err, VAE_ERR_ARG, "leaky ReLU slope %g must be in [0, 1]", a->leaky_slope);
    if ((unsigned)a->lik > LIK_LAST) return vae_fail(err, VAE_ERR_ARG, "unknown likelihood %d", a->lik);
    if (!(a->sigma > 0.0f && isfinite(a->sigma)))
        return vae_fail(err, VAE_ERR_ARG, "Gaussian sigma %g must be positive and finite", a->sigma);
    if (a->decoder_only != 0 && a->decoder_only != 1) return vae_fail(err, VAE_ERR_ARG, "decoder_only must be 0 or 1");
    vae_model tmp;
    return plan(&tmp, a, err);
}

/* ---------------------------------------------------------------- parameter table */

static int add_tensor(vae_model *m, const char *name, int ndim, const int *shape) {
    vae_param_info *t = &m->t[m->n_tensors];
    vae_format(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->numel = 1;
    uint64_t total = 1;
    for (int d = 0; d < 4; d++) {
        t->shape[d] = d < ndim ? shape[d] : 0;
        if (d < ndim) t->numel *= (size_t)shape[d], total *= (uint64_t)shape[d];
    }
    t->offset = m->n_params;
    m->n_params += t->numel;
    m->total_params += total; /* exact even where size_t is 32 bits */
    return m->n_tensors++;
}

/* Adds r's weight and bias in PyTorch's layouts: linear [out, in], conv
 * [c_out, c_in, k, k], transposed conv [c_in, c_out, k, k]; bias [channels]. */
static void add_layer(vae_model *m, vae_layer_ref *r, const char *prefix) {
    char name[VAE_NAME_MAX];
    const vae_conv_shape *g = &r->conv;
    int lin[2] = {r->out, r->in}, conv[4] = {g->c_out, g->c_in, g->kh, g->kw};
    int convt[4] = {g->c_in, g->c_out, g->kh, g->kw}, bias = r->kind == VAE_LAYER_LINEAR ? r->out : g->c_out;
    vae_format(name, sizeof name, "%s.weight", prefix);
    r->w = r->kind == VAE_LAYER_LINEAR ? add_tensor(m, name, 2, lin)
                                       : add_tensor(m, name, 4, r->kind == VAE_LAYER_CONV ? conv : convt);
    vae_format(name, sizeof name, "%s.bias", prefix);
    r->b = add_tensor(m, name, 1, &bias);
}

/* Workspace a layer needs: only conv layers have one (a linear layer's conv
 * shape is all zeros, never checked). */
static size_t conv_bytes(const vae_layer_ref *r) {
    return r->kind == VAE_LAYER_LINEAR ? 0 : vae_conv_workspace_bytes(&r->conv);
}

static size_t size_max(size_t a, size_t b) { return a > b ? a : b; }

/* Adds the tensors of hidden stack r, named "<side>.layers.<i>". */
static void add_stack(vae_model *m, vae_layer_ref *r, int n, const char *side) {
    char name[VAE_NAME_MAX];
    for (int i = 0; i < n; i++) {
        vae_format(name, sizeof name, "%s.layers.%d", side, i);
        add_layer(m, &r[i], name);
    }
}

/* Fills the size table and layer map of m from a validated architecture. */
static void build_table(vae_model *m, const vae_arch *arch) {
    m->arch = *arch;
    m->D = vae_arch_input_dim(arch);
    plan(m, arch, NULL);
    m->n_enc = arch->decoder_only ? 0 : arch->n_enc;
    m->n_dec = arch->n_dec;
    if (!arch->decoder_only) {
        add_stack(m, m->enc, m->n_enc, "encoder");
        if (arch->kind == VAE_KIND_AE) {
            add_layer(m, &m->mu, "encoder.code");
        } else {
            add_layer(m, &m->mu, "encoder.mu");
            add_layer(m, &m->logvar, "encoder.logvar");
        }
    }
    add_stack(m, m->dec, m->n_dec, "decoder");
    add_layer(m, &m->out, "decoder.out");
    int learned = arch->lik == VAE_LIK_GAUSSIAN_LEARNED || arch->lik == VAE_LIK_STUDENT_T;
    m->logsigma = learned ? add_tensor(m, "decoder.logsigma", 1, &m->D) : -1;
    m->lognu = arch->lik == VAE_LIK_STUDENT_T ? add_tensor(m, "decoder.lognu", 1, &m->D) : -1;
    if (arch->kind == VAE_KIND_M2 && !arch->decoder_only) { /* after the CVAE's tensors, in the same style */
        m->n_cls = arch->n_cls;
        add_stack(m, m->cls, m->n_cls, "classifier");
        add_layer(m, &m->cls_out, "classifier.out");
    }
    m->conv_bytes = conv_bytes(&m->out);
    for (int i = 0; i < m->n_enc; i++) m->conv_bytes = size_max(m->conv_bytes, conv_bytes(&m->enc[i]));
    for (int i = 0; i < m->n_dec; i++) m->conv_bytes = size_max(m->conv_bytes, conv_bytes(&m->dec[i]));
}

/* Whether m has M2's classifier (a decoder-only copy has none). */
static int classifies(const vae_model *m) { return m->arch.kind == VAE_KIND_M2 && !m->arch.decoder_only; }

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

/* U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, PyTorch's default
 * for nn.Linear, nn.Conv2d and nn.ConvTranspose2d; like PyTorch, fan_in is
 * the weight's second dimension times the kernel taps (c_out k k for a
 * transposed conv). Layer by layer in table order (a layer's weight, then
 * its bias); learned log sigma stays 0 (sigma = 1), Student-t's log nu is
 * log 4: heavy tails from the start (nu = 4 gave wine and digits their best
 * ROC AUC in tests/bench/tables.py, with the dequantising noise). */
static void init_layers(vae_model *m, vae_rng *rng) {
    float bound = 0.0f;
    for (int t = 0; t < m->n_tensors; t++) {
        const vae_param_info *p = &m->t[t];
        if (t == m->logsigma) continue;
        if (t == m->lognu) {
            for (int d = 0; d < m->D; d++) m->params[p->offset + (size_t)d] = 1.38629436f; /* log 4 */
            continue;
        }
        if (p->ndim > 1) bound = 1.0f / sqrtf((float)(p->numel / (size_t)p->shape[0])); /* a weight: its bias follows */
        float *v = m->params + p->offset;
        for (size_t i = 0; i < p->numel; i++) v[i] = (2.0f * vae_rng_uniform(rng) - 1.0f) * bound;
    }
}

vae_status vae_model_init(vae_model **out, const vae_arch *arch, uint64_t seed, vae_error *err) {
    vae_status st = vae_model_create(out, arch, err);
    if (st) return st;
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    init_layers(*out, &rng);
    return vae_ok(err);
}

void vae_model_free(vae_model *m) {
    if (!m) return;
    free(m->params);
    free(m->packed);
    free(m);
}

void vae_model_changed(vae_model *m) {
    free(m->packed);
    m->packed = NULL;
}

const vae_arch *vae_model_arch(const vae_model *m) { return m ? &m->arch : NULL; }
size_t vae_model_param_count(const vae_model *m) { return m ? m->n_params : 0; }
int vae_model_tensor_count(const vae_model *m) { return m ? m->n_tensors : 0; }
float *vae_model_params(vae_model *m) {
    if (!m) return NULL;
    vae_model_changed(m);
    return m->params;
}

vae_status vae_model_tensor(const vae_model *m, int i, vae_tensor *out, vae_error *err) {
    if (!m || !out) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (i < 0 || i >= m->n_tensors)
        return vae_fail(err, VAE_ERR_ARG, "tensor index %d is not in 0..%d", i, m->n_tensors - 1);
    const vae_param_info *t = &m->t[i];
    out->name = t->name;
    out->ndim = t->ndim;
    memcpy(out->shape, t->shape, sizeof out->shape);
    out->numel = t->numel;
    out->offset = t->offset;
    out->data = m->params + t->offset;
    /* data may be written: the packed copy is a cache of m, so this is logically const */
    vae_model_changed((vae_model *)m);
    return vae_ok(err);
}

int vae_model_find_tensor(const vae_model *m, const char *name) {
    for (int i = 0; i < m->n_tensors; i++)
        if (strcmp(m->t[i].name, name) == 0) return i;
    return -1;
}

/* ---------------------------------------------------------------- workspace */

/* Carves the buffers of w from base (NULL: only counts them): the forward
 * ones, then (for training) their gradient twins in the same order, and dpre
 * as wide as the widest. Returns the floats taken. */
static size_t carve(const vae_model *m, vae_work *w, float *base, size_t cap, int train) {
    int C = m->arch.n_classes, L = m->arch.latent, D = m->D, widest = 0;
    size_t off = 0;
#define TAKE(width)                                                                                                    \
    (widest = (width) > widest ? (width) : widest, off += cap * (width), base ? base + off - cap * (width) : NULL)
    for (int pass = 0; pass < (train ? 2 : 1); pass++) {
        float **h = pass ? w->dh : w->h, **g = pass ? w->dg : w->g, **ch = pass ? w->dch : w->ch;
        float *ein = TAKE(D + C);
        for (int i = 0; i < m->n_enc; i++) h[i] = TAKE(m->enc[i].out);
        float *mu = TAKE(L), *logvar = TAKE(L), *zin = TAKE(L + C);
        for (int i = 0; i < m->n_dec; i++) g[i] = TAKE(m->dec[i].out);
        float *logits = TAKE(D), *rec = TAKE(1), *kl = TAKE(1), *pen = TAKE(1);
        for (int i = 0; i < m->n_cls; i++) ch[i] = TAKE(m->cls[i].out);
        float *clogits = classifies(m) ? TAKE(C) : NULL;
        if (!pass) {
            w->ein = ein, w->mu = mu, w->logvar = logvar, w->zin = zin, w->logits = logits, w->rec = rec, w->kl = kl;
            w->pen = pen, w->clogits = clogits;
        } else {
            w->dmu = mu, w->dlogvar = logvar, w->dzin = zin, w->dlogits = logits, w->dclogits = clogits;
        }
    }
    if (train) w->dpre = TAKE(widest);
#undef TAKE
    if (m->lognu >= 0) { /* Student-t's per-value constants, one set for the batch */
        w->likc = base ? base + off : NULL;
        off += 4 * (size_t)D;
    }
    return off;
}

vae_work *vae_work_new(const vae_model *m, int cap, int train) {
    vae_work *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->block = malloc(carve(m, w, NULL, (size_t)cap, train) * sizeof(float));
    w->conv = m->conv_bytes ? malloc(m->conv_bytes) : NULL;
    if (!w->block || (m->conv_bytes && !w->conv)) {
        vae_work_free(w);
        return NULL;
    }
    w->cap = cap;
    w->train = train;
    carve(m, w, w->block, (size_t)cap, train);
    return w;
}

void vae_work_free(vae_work *w) {
    if (!w) return;
    free(w->block);
    free(w->conv);
    free(w);
}

/* ---------------------------------------------------------------- passes */

static const float *P(const vae_model *m, int t) { return m->params + m->t[t].offset; }

void vae_model_pack(vae_model *m) {
    if (m->packed) return;
    size_t n = 0; /* the 2-D tensors are the linear layers' weights [out, in] */
    for (vae_param_info *t = m->t; t < m->t + m->n_tensors; t++) {
        t->pk = n;
        if (t->ndim == 2) n += vae_matmul_xwt_pack_floats(t->shape[0], t->shape[1]);
    }
    if (!n || !(m->packed = malloc(n * sizeof(float)))) return;
    for (const vae_param_info *t = m->t; t < m->t + m->n_tensors; t++)
        if (t->ndim == 2) vae_matmul_xwt_pack(m->packed + t->pk, m->params + t->offset, t->shape[0], t->shape[1]);
}

/* out = layer(in) for n images. The conv shapes were checked when the model
 * was built and the workspace is sized for them, so the calls cannot fail. */
static void layer_forward(const vae_model *m, vae_work *w, const vae_layer_ref *r, float *out, const float *in, int n) {
    const float *W = P(m, r->w), *b = P(m, r->b);
    vae_conv_shape g = r->conv;
    g.n = n;
    if (r->kind == VAE_LAYER_LINEAR)
        vae_linear_forward_packed(out, in, W, m->packed ? m->packed + m->t[r->w].pk : NULL, b, n, r->in, r->out);
    else if (r->kind == VAE_LAYER_CONV)
        vae_conv2d_forward(out, in, W, b, &g, w->conv, m->conv_bytes, NULL);
    else
        vae_conv_transpose2d_forward(out, in, W, b, &g, w->conv, m->conv_bytes, NULL);
}

/* din += dL/din (din may be NULL), and the layer's weight and bias gradients,
 * from dout = dL/dout and the forward's in. */
static void layer_backward(const vae_model *m, vae_work *w, float *grads, const vae_layer_ref *r, float *din,
                           const float *dout, const float *in, int n) {
    float *dW = grads + m->t[r->w].offset, *db = grads + m->t[r->b].offset;
    const float *W = P(m, r->w);
    vae_conv_shape g = r->conv;
    g.n = n;
    if (r->kind == VAE_LAYER_LINEAR)
        vae_linear_backward(din, dW, db, dout, in, W, n, r->in, r->out);
    else if (r->kind == VAE_LAYER_CONV)
        vae_conv2d_backward(din, dW, db, dout, in, W, &g, w->conv, m->conv_bytes, NULL);
    else
        vae_conv_transpose2d_backward(din, dW, db, dout, in, W, &g, w->conv, m->conv_bytes, NULL);
}

/* Hidden stack: h[i] = act(layer_i(h[i-1])), h[-1] = in. Returns the top output. */
static const float *stack_forward(const vae_model *m, vae_work *w, const vae_layer_ref *layers, int n_layers,
                                  const float *in, float *const *h, int n) {
    const vae_arch *a = &m->arch;
    for (int i = 0; i < n_layers; i++) {
        layer_forward(m, w, &layers[i], h[i], in, n);
        vae_act_forward(h[i], h[i], (size_t)n * layers[i].out, a->act, a->leaky_slope);
        in = h[i];
    }
    return in;
}

/* The contractive penalty's gradient for the encoder's first layer r, whose
 * activated output is h1: into w->dpre (its pre-activation gradient, already
 * holding the rest) and r's weight gradient. */
static void contractive_backward(const vae_model *m, vae_work *w, float *grads, const vae_layer_ref *r, const float *h1,
                                 vae_activation act, int n, const vae_penalties *pen) {
    if (!pen || !pen->contractive) return;
    vae_contractive_backward(w->dpre, grads + m->t[r->w].offset, h1, P(m, r->w), n, r->out, r->in, act,
                             m->arch.leaky_slope, pen->contractive / (float)(w->mean_n ? w->mean_n : n));
}

/* Backward through the hidden stack. dh[top] holds dL/d(top output); din
 * (may be NULL) receives dL/d(in). */
static void stack_backward(const vae_model *m, vae_work *w, float *grads, const vae_layer_ref *layers, int n_layers,
                           const float *in, float *const *h, float *const *dh, float *din, int n,
                           const vae_penalties *pen) {
    const vae_arch *a = &m->arch;
    for (int i = n_layers - 1; i >= 0; i--) {
        const vae_layer_ref *r = &layers[i];
        size_t cnt = (size_t)n * r->out;
        memset(w->dpre, 0, cnt * sizeof(float));
        vae_act_backward(w->dpre, dh[i], h[i], cnt, a->act, a->leaky_slope);
        if (!i) contractive_backward(m, w, grads, r, h[0], a->act, n, pen);
        layer_backward(m, w, grads, r, i ? dh[i - 1] : din, w->dpre, i ? h[i - 1] : in, n);
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

/* x -> mu, logvar (VAE) or the activated code in mu (AE). */
static void encoder_forward(const vae_model *m, vae_work *w, const float *x, const int *labels, int n) {
    const vae_arch *a = &m->arch;
    const float *in = encoder_input(m, w, x, labels, n);
    const float *top = stack_forward(m, w, m->enc, m->n_enc, in, w->h, n);
    layer_forward(m, w, &m->mu, w->mu, top, n);
    if (a->kind != VAE_KIND_AE)
        layer_forward(m, w, &m->logvar, w->logvar, top, n);
    else
        vae_act_forward(w->mu, w->mu, (size_t)n * a->latent, a->code_act, a->leaky_slope);
}

/* zin (z already in columns 0..L) -> logits */
static void decoder_forward(const vae_model *m, vae_work *w, const int *labels, int n) {
    int C = m->arch.n_classes, L = m->arch.latent;
    if (C) put_onehot(w->zin, L + C, L, labels, C, n);
    const float *top = stack_forward(m, w, m->dec, m->n_dec, w->zin, w->g, n);
    layer_forward(m, w, &m->out, w->logits, top, n);
}

static void rec_forward(const vae_model *m, vae_work *w, const float *x, int x_stride, int n) {
    const vae_arch *a = &m->arch;
    const float *logits = w->logits;
    float *rec = w->rec;
    if (a->lik == VAE_LIK_BERNOULLI) {
        vae_bce_logits_forward(rec, logits, x, n, m->D, x_stride);
#ifndef VAE_NO_STUDENT_T
    } else if (a->lik == VAE_LIK_STUDENT_T) {
        vae_student_t_consts(w->likc, P(m, m->logsigma), P(m, m->lognu), m->D);
        vae_student_t_forward(rec, logits, x, n, m->D, x_stride, w->likc);
#endif
    } else {
        vae_gaussian_forward(rec, logits, x, n, m->D, x_stride, m->logsigma >= 0 ? P(m, m->logsigma) : NULL, a->sigma);
    }
}

/* The encoder's first layer, its activated output and activation (for the
 * contractive penalty). */
static const vae_layer_ref *first_layer(const vae_model *m, const vae_work *w, const float **h1, vae_activation *act) {
    *h1 = m->n_enc ? w->h[0] : w->mu;
    *act = m->n_enc ? m->arch.act : m->arch.code_act;
    return m->n_enc ? &m->enc[0] : &m->mu;
}

static void penalties_forward(const vae_model *m, vae_work *w, int n, const vae_penalties *pen) {
    memset(w->pen, 0, (size_t)n * sizeof(float));
    if (!pen) return;
    if (pen->sparsity)
        vae_sparsity_forward(w->pen, w->mu, n, m->arch.latent, pen->sparsity, pen->sparsity_weight, pen->rho);
    if (pen->contractive) {
        const float *h1;
        vae_activation act;
        const vae_layer_ref *r = first_layer(m, w, &h1, &act);
        vae_contractive_forward(w->pen, h1, P(m, r->w), n, r->out, r->in, act, m->arch.leaky_slope, pen->contractive);
    }
}

void vae_forward(const vae_model *m, vae_work *w, const float *x, const float *target, const int *labels, int n,
                 const float *eps, const vae_penalties *pen) {
    int L = m->arch.latent, C = m->arch.n_classes;
    encoder_forward(m, w, x, labels, n);
    if (m->arch.kind != VAE_KIND_AE) {
        vae_reparam_forward(w->zin, L + C, w->mu, w->logvar, eps, n, L);
        vae_kl_forward(w->kl, w->mu, w->logvar, n, L);
    } else {
        vae_reparam_forward(w->zin, L + C, w->mu, NULL, NULL, n, L);
        memset(w->kl, 0, (size_t)n * sizeof(float));
    }
    decoder_forward(m, w, labels, n);
    rec_forward(m, w, target ? target : x, m->D, n);
    penalties_forward(m, w, n, pen);
}

void vae_backward(const vae_model *m, vae_work *w, float *grads, const float *x, const float *target, int n,
                  const float *eps, float beta, const vae_penalties *pen, const float *row_scale) {
    const vae_arch *a = &m->arch;
    int L = a->latent, C = a->n_classes;
    float scale = 1.0f / (float)(w->mean_n ? w->mean_n : n);
    const float *t = target ? target : x;
    memset(w->dmu, 0, (size_t)n * L * sizeof(float));
    memset(w->dlogvar, 0, (size_t)n * L * sizeof(float));
    memset(w->dzin, 0, (size_t)n * (L + C) * sizeof(float));
    memset(w->dlogits, 0, (size_t)n * m->D * sizeof(float));
    for (int i = 0; i < m->n_enc; i++) memset(w->dh[i], 0, (size_t)n * m->enc[i].out * sizeof(float));
    for (int i = 0; i < m->n_dec; i++) memset(w->dg[i], 0, (size_t)n * m->dec[i].out * sizeof(float));

    /* the likelihood and (below) the KL term, row by row at each row's scale:
     * element for element the operations of one call on the whole batch */
    for (int b = 0; b < n; b++) {
        size_t o = (size_t)b * m->D;
        float s = row_scale ? row_scale[b] : scale;
        if (a->lik == VAE_LIK_BERNOULLI) {
            vae_bce_logits_backward(w->dlogits + o, w->logits + o, t + o, 1, m->D, s);
#ifndef VAE_NO_STUDENT_T
        } else if (a->lik == VAE_LIK_STUDENT_T) { /* w->likc: the forward's constants */
            vae_student_t_backward(w->dlogits + o, grads + m->t[m->logsigma].offset, grads + m->t[m->lognu].offset,
                                   w->logits + o, t + o, 1, m->D, w->likc, s);
#endif
        } else {
            vae_gaussian_backward(w->dlogits + o, m->logsigma >= 0 ? grads + m->t[m->logsigma].offset : NULL,
                                  w->logits + o, t + o, 1, m->D, m->logsigma >= 0 ? P(m, m->logsigma) : NULL, a->sigma,
                                  s);
        }
    }

    /* decoder: out layer, hidden stack, down to dzin */
    const float *dtop_in = m->n_dec ? w->g[m->n_dec - 1] : w->zin;
    float *dtop = m->n_dec ? w->dg[m->n_dec - 1] : w->dzin;
    layer_backward(m, w, grads, &m->out, dtop, w->dlogits, dtop_in, n);
    stack_backward(m, w, grads, m->dec, m->n_dec, w->zin, w->g, w->dg, w->dzin, n, NULL);

    const float *ein = C ? w->ein : x;
    const float *etop_in = m->n_enc ? w->h[m->n_enc - 1] : ein;
    float *detop = m->n_enc ? w->dh[m->n_enc - 1] : NULL;
    if (a->kind != VAE_KIND_AE) {
        /* z = mu + exp(logvar/2) eps, plus the KL term */
        vae_reparam_backward(w->dmu, w->dlogvar, w->dzin, L + C, w->logvar, eps, n, L);
        for (int b = 0; b < n; b++) {
            size_t o = (size_t)b * L;
            vae_kl_backward(w->dmu + o, w->dlogvar + o, w->mu + o, w->logvar + o, 1, L,
                            beta * (row_scale ? row_scale[b] : scale));
        }
        layer_backward(m, w, grads, &m->mu, detop, w->dmu, etop_in, n);
        layer_backward(m, w, grads, &m->logvar, detop, w->dlogvar, etop_in, n);
    } else {
        /* z = code = code_act(head): the code's gradient, then the head's */
        vae_reparam_backward(w->dmu, NULL, w->dzin, L + C, NULL, NULL, n, L);
        if (pen && pen->sparsity)
            vae_sparsity_backward(w->dmu, w->mu, n, L, pen->sparsity, pen->sparsity_weight, pen->rho, scale);
        memset(w->dpre, 0, (size_t)n * L * sizeof(float));
        vae_act_backward(w->dpre, w->dmu, w->mu, (size_t)n * L, a->code_act, a->leaky_slope);
        if (!m->n_enc) contractive_backward(m, w, grads, &m->mu, w->mu, a->code_act, n, pen);
        layer_backward(m, w, grads, &m->mu, detop, w->dpre, etop_in, n);
    }
    /* the encoder's hidden stack (no gradient for the data itself) */
    stack_backward(m, w, grads, m->enc, m->n_enc, ein, w->h, w->dh, NULL, n, pen);
}

void vae_classifier_forward(const vae_model *m, vae_work *w, const float *x, int n) {
    const float *top = stack_forward(m, w, m->cls, m->n_cls, x, w->ch, n);
    layer_forward(m, w, &m->cls_out, w->clogits, top, n);
}

void vae_classifier_backward(const vae_model *m, vae_work *w, float *grads, const float *x, int n) {
    for (int i = 0; i < m->n_cls; i++) memset(w->dch[i], 0, (size_t)n * m->cls[i].out * sizeof(float));
    const float *top_in = m->n_cls ? w->ch[m->n_cls - 1] : x;
    layer_backward(m, w, grads, &m->cls_out, m->n_cls ? w->dch[m->n_cls - 1] : NULL, w->dclogits, top_in, n);
    stack_backward(m, w, grads, m->cls, m->n_cls, x, w->ch, w->dch, NULL, n, NULL);
}

vae_status vae_penalties_check(const vae_model *m, const vae_penalties *pen, vae_error *err) {
    const vae_arch *a = &m->arch;
    int any = pen->sparsity || pen->contractive;
    if (any && a->kind != VAE_KIND_AE)
        return vae_fail(err, VAE_ERR_ARG, "sparsity and contractive penalties are for autoencoders (model kind ae)");
    if ((unsigned)pen->sparsity > VAE_SPARSITY_KL)
        return vae_fail(err, VAE_ERR_ARG, "unknown sparsity %d", pen->sparsity);
    if (!(pen->sparsity_weight >= 0.0f && isfinite(pen->sparsity_weight)) ||
        !(pen->contractive >= 0.0f && isfinite(pen->contractive)))
        return vae_fail(err, VAE_ERR_ARG, "penalty weights must be finite and >= 0");
    if (pen->sparsity == VAE_SPARSITY_KL) {
        if (a->code_act != VAE_ACT_SIGMOID)
            return vae_fail(err, VAE_ERR_ARG,
                            "the KL sparsity penalty needs codes in (0, 1): use the sigmoid code "
                            "activation");
        if (!(pen->rho > 0.0f && pen->rho < 1.0f))
            return vae_fail(err, VAE_ERR_ARG, "sparsity target rho %g must be in (0, 1)", pen->rho);
    }
    if (pen->contractive && a->decoder_only)
        return vae_fail(err, VAE_ERR_STATE, "a decoder-only model has no encoder to contract");
    if (pen->contractive && a->n_enc && a->enc_layer[0].kind != VAE_LAYER_LINEAR)
        return vae_fail(err, VAE_ERR_ARG, "the contractive penalty needs a linear first encoder layer");
    return vae_ok(err);
}

/* ---------------------------------------------------------------- checks */

vae_status vae_check_finite(const float *v, size_t count, const char *what, vae_error *err) {
    size_t i = 0;
#ifndef VAE_NO_SIMD
    /* x - x is 0 for finite x, NaN for inf and NaN: four at a time (the
     * scalar loop over a batch of images was 2% of encoding it); the loop
     * below checks the tail, or from 0 finds the bad value */
    v128_t bad = wasm_i32x4_splat(0);
    for (; i + 4 <= count; i += 4) {
        v128_t x = wasm_v128_load(v + i);
        bad = wasm_v128_or(bad, wasm_f32x4_ne(wasm_f32x4_sub(x, x), wasm_f32x4_splat(0.0f)));
    }
    if (wasm_v128_any_true(bad)) i = 0;
#endif
    for (; i < count; i++)
        if (!isfinite(v[i])) return vae_fail(err, VAE_ERR_NONFINITE, "%s value %zu is not a finite number", what, i);
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
    if ((st = vae_check_finite(x, (size_t)n * m->D, "image", err))) return st;
    return check_labels(m, labels, n, err);
}

/* ---------------------------------------------------------------- inference */

/* Workspace for an inference call on n images, once the weights are packed. */
static vae_work *inference_work(vae_model *m, int n, vae_error *err) {
    vae_model_pack(m);
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
        if (logvar && m->arch.kind != VAE_KIND_AE)
            memcpy(logvar + (size_t)b0 * L, w->logvar, (size_t)nb * L * sizeof(float));
        else if (logvar)
            memset(logvar + (size_t)b0 * L, 0, (size_t)nb * L * sizeof(float));
    }
    vae_work_free(w);
    return vae_ok(err);
}

vae_status vae_model_decode(vae_model *m, const float *z, const int *labels, int n, float *out, vae_error *err) {
    vae_status st = check_model_n(m, n, 0, err);
    if (st) return st;
    int L = m->arch.latent, C = m->arch.n_classes, D = m->D;
    if (!z || !out) return vae_fail(err, VAE_ERR_ARG, "latent or output pointer is NULL");
    if ((st = vae_check_finite(z, (size_t)n * L, "latent", err)) || (st = check_labels(m, labels, n, err))) return st;
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
    if (eps && (st = vae_check_finite(eps, (size_t)n * L, "eps", err))) return st;
    vae_work *w = inference_work(m, n, err);
    if (!w) return VAE_ERR_NOMEM;
    for (int b0 = 0; b0 < n; b0 += w->cap) {
        int nb = n - b0 < w->cap ? n - b0 : w->cap;
        vae_forward(m, w, x + (size_t)b0 * m->D, NULL, labels ? labels + b0 : NULL, nb,
                    eps ? eps + (size_t)b0 * L : NULL, NULL);
        if (rec) memcpy(rec + b0, w->rec, (size_t)nb * sizeof(float));
        if (kl) memcpy(kl + b0, w->kl, (size_t)nb * sizeof(float));
    }
    vae_work_free(w);
    return vae_ok(err);
}

vae_status vae_model_classify(vae_model *m, const float *x, int n, float *probs, vae_error *err) {
    vae_status st = check_model_n(m, n, 1, err);
    if (st) return st;
    if (!classifies(m)) return vae_fail(err, VAE_ERR_STATE, "only an M2 model has a classifier");
    if (!x || !probs) return vae_fail(err, VAE_ERR_ARG, "images or output pointer is NULL");
    if ((st = vae_check_finite(x, (size_t)n * m->D, "image", err))) return st;
    vae_work *w = inference_work(m, n, err);
    if (!w) return VAE_ERR_NOMEM;
    int C = m->arch.n_classes;
    for (int b0 = 0; b0 < n; b0 += w->cap) {
        int nb = n - b0 < w->cap ? n - b0 : w->cap;
        vae_classifier_forward(m, w, x + (size_t)b0 * m->D, nb);
        vae_softmax_forward(probs + (size_t)b0 * C, w->clogits, nb, C);
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
    if (m->arch.kind == VAE_KIND_AE)
        return vae_fail(err, VAE_ERR_STATE, "importance sampling needs a VAE; an autoencoder has no q(z|x)");
    int L = m->arch.latent, C = m->arch.n_classes, D = m->D;
    vae_model_pack(m);
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
            rec_forward(m, w, x + (size_t)b * D, 0, nk);
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
