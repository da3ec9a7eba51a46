/* Training: gradients of the mean per-image loss, Adam (PyTorch's update,
 * with decoupled weight decay) and SGD, global-norm clipping, and rejection
 * of non-finite steps. Gradients and moments mirror the parameter block. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "kernels/simd.h"

struct vae_trainer {
    vae_model *m;
    vae_train_config c;
    float *grads, *m1, *m2; /* each n_params; m2 unused by SGD */
    vae_work *w;
    float *eps;       /* [cap, latent], drawn when the caller gives none */
    float *noisy;     /* [cap, D], the corrupted inputs of denoising training */
    vae_m2_rows rows; /* M2: the batch's rows for the CVAE, cap of them */
    vae_penalties pen;
    int64_t steps;
    double beta1_t, beta2_t; /* adam_beta^steps, kept by multiplication: exact same bits everywhere (no pow) */
    vae_rng rng;
};

void vae_train_config_default(vae_train_config *c) {
    memset(c, 0, sizeof *c);
    c->opt = VAE_OPT_ADAM;
    c->lr = 1e-3f;
    c->adam_beta1 = 0.9f;
    c->adam_beta2 = 0.999f;
    c->adam_eps = 1e-8f;
    c->beta = 1.0f;
    c->seed = 1;
    c->alpha = 1.0f;
}

static vae_status check_noise(vae_noise noise, float level, vae_error *err) {
    if ((unsigned)noise > VAE_NOISE_GAUSSIAN) return vae_fail(err, VAE_ERR_ARG, "unknown noise %d", noise);
    if (noise == VAE_NOISE_MASK && !(level >= 0.0f && level < 1.0f))
        return vae_fail(err, VAE_ERR_ARG, "masking probability %g must be in [0, 1)", level);
    if (noise == VAE_NOISE_GAUSSIAN && !(level >= 0.0f && isfinite(level)))
        return vae_fail(err, VAE_ERR_ARG, "noise sigma %g must be finite and >= 0", level);
    return VAE_OK;
}

static vae_status check_config(const vae_train_config *c, vae_error *err) {
    if ((unsigned)c->opt > VAE_OPT_SGD) return vae_fail(err, VAE_ERR_ARG, "unknown optimizer %d", c->opt);
    if (!(c->lr > 0.0f && isfinite(c->lr))) return vae_fail(err, VAE_ERR_ARG, "learning rate %g must be > 0", c->lr);
    if (!(c->adam_beta1 >= 0.0f && c->adam_beta1 < 1.0f && c->adam_beta2 >= 0.0f && c->adam_beta2 < 1.0f))
        return vae_fail(err, VAE_ERR_ARG, "Adam betas %g, %g must be in [0, 1)", c->adam_beta1, c->adam_beta2);
    if (!(c->adam_eps > 0.0f)) return vae_fail(err, VAE_ERR_ARG, "Adam eps %g must be > 0", c->adam_eps);
    if (!(c->weight_decay >= 0.0f && isfinite(c->weight_decay)))
        return vae_fail(err, VAE_ERR_ARG, "weight decay %g must be >= 0", c->weight_decay);
    if (!(c->momentum >= 0.0f && c->momentum < 1.0f))
        return vae_fail(err, VAE_ERR_ARG, "momentum %g must be in [0, 1)", c->momentum);
    if (!(c->beta >= 0.0f && isfinite(c->beta))) return vae_fail(err, VAE_ERR_ARG, "beta %g must be >= 0", c->beta);
    if (c->warmup_steps < 0) return vae_fail(err, VAE_ERR_ARG, "warm-up steps %d must be >= 0", c->warmup_steps);
    if (isnan(c->clip_norm)) return vae_fail(err, VAE_ERR_ARG, "clip norm is NaN");
    if (!(c->alpha >= 0.0f && isfinite(c->alpha)))
        return vae_fail(err, VAE_ERR_ARG, "classification weight alpha %g must be finite and >= 0", c->alpha);
    return check_noise(c->noise, c->noise_level, err);
}

vae_status vae_trainer_init(vae_trainer **out, vae_model *m, const vae_train_config *c, vae_error *err) {
    if (!out) return vae_fail(err, VAE_ERR_ARG, "output pointer is NULL");
    *out = NULL;
    if (!m || !c) return vae_fail(err, VAE_ERR_ARG, "model or config is NULL");
    if (m->arch.decoder_only) return vae_fail(err, VAE_ERR_STATE, "a decoder-only model cannot be trained");
    vae_status st = check_config(c, err);
    vae_penalties pen = {c->sparsity, c->sparsity_weight, c->sparsity_rho, c->contractive};
    if (st || (st = vae_penalties_check(m, &pen, err))) return st;
    if (m->arch.kind == VAE_KIND_M2 && c->noise)
        return vae_fail(err, VAE_ERR_ARG, "denoising is not available for M2 models");
    vae_trainer *t = calloc(1, sizeof *t);
    float *block = t ? calloc(3 * m->n_params, sizeof(float)) : NULL;
    if (!block) {
        free(t);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for gradients and optimizer state");
    }
    t->m = m;
    t->c = *c;
    t->pen = pen;
    t->grads = block;
    t->m1 = block + m->n_params;
    t->m2 = block + 2 * m->n_params;
    t->beta1_t = t->beta2_t = 1.0;
    vae_rng_seed(&t->rng, c->seed);
    *out = t;
    return vae_ok(err);
}

void vae_trainer_free(vae_trainer *t) {
    if (!t) return;
    free(t->grads);
    free(t->eps);
    free(t->noisy);
    free(t->rows.x);
    free(t->rows.y);
    free(t->rows.scale);
    vae_work_free(t->w);
    free(t);
}

vae_status vae_trainer_set_lr(vae_trainer *t, float lr, vae_error *err) {
    if (!t) return vae_fail(err, VAE_ERR_ARG, "trainer is NULL");
    if (!(lr >= 0.0f && isfinite(lr))) return vae_fail(err, VAE_ERR_ARG, "learning rate %g must be >= 0", lr);
    t->c.lr = lr;
    return vae_ok(err);
}

const float *vae_trainer_grads(const vae_trainer *t) { return t ? t->grads : NULL; }
int64_t vae_trainer_steps(const vae_trainer *t) { return t ? t->steps : 0; }

/* Grows the workspace to hold n rows (images, or M2's rows). */
static vae_status reserve(vae_trainer *t, int n, vae_error *err) {
    if (t->w && t->w->cap >= n) return VAE_OK;
    int m2 = t->m->arch.kind == VAE_KIND_M2;
    vae_work *w = vae_work_new(t->m, n, 1);
    float *eps = malloc((size_t)n * t->m->arch.latent * sizeof(float));
    float *noisy = t->c.noise ? malloc((size_t)n * t->m->D * sizeof(float)) : NULL;
    vae_m2_rows rows = {NULL, NULL, NULL};
    if (m2) {
        rows.x = malloc((size_t)n * t->m->D * sizeof(float));
        rows.scale = malloc((size_t)n * sizeof(float));
        rows.y = malloc((size_t)n * sizeof(int));
    }
    if (!w || !eps || (t->c.noise && !noisy) || (m2 && (!rows.x || !rows.scale || !rows.y))) {
        vae_work_free(w);
        free(eps);
        free(noisy);
        free(rows.x);
        free(rows.scale);
        free(rows.y);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for a training batch of %d", n);
    }
    vae_work_free(t->w);
    free(t->eps);
    free(t->noisy);
    free(t->rows.x);
    free(t->rows.scale);
    free(t->rows.y);
    t->w = w;
    t->eps = eps;
    t->noisy = noisy;
    t->rows = rows;
    return VAE_OK;
}

vae_status vae_noise_apply(vae_rng *rng, vae_noise noise, float level, const float *x, float *out, size_t n,
                           vae_error *err) {
    vae_status s = check_noise(noise, level, err);
    if (s) return s;
    if (!rng || !x || !out) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    for (size_t i = 0; i < n; i++) {
        if (noise == VAE_NOISE_MASK) {
            out[i] = vae_rng_uniform(rng) < level ? 0.0f : x[i];
        } else if (noise == VAE_NOISE_GAUSSIAN) {
            float v = x[i] + level * vae_rng_normal(rng);
            out[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
        } else {
            out[i] = x[i];
        }
    }
    return vae_ok(err);
}

vae_status vae_dequant_apply(vae_rng *rng, const float *width, float *x, int n, int D, vae_error *err) {
    if (!rng || !width || !x || n < 0 || D < 1) return vae_fail(err, VAE_ERR_ARG, "NULL argument or bad size");
    for (size_t i = 0; i < (size_t)n * (size_t)D; i++) x[i] += (vae_rng_uniform(rng) - 0.5f) * width[i % (size_t)D];
    return vae_ok(err);
}

static float beta_now(const vae_trainer *t) {
    const vae_train_config *c = &t->c;
    if (c->warmup_steps <= 0 || t->steps >= c->warmup_steps) return c->beta;
    return c->beta * (float)(t->steps + 1) / (float)c->warmup_steps;
}

int vae_trainer_eps_count(const vae_trainer *t, const int *labels, int n) {
    if (!t || n < 1 || t->m->arch.kind == VAE_KIND_AE) return 0;
    return (t->m->arch.kind == VAE_KIND_M2 ? vae_m2_row_count(t->m, labels, n) : n) * t->m->arch.latent;
}

static vae_status check_batch(const vae_trainer *t, const float *x, const int *labels, int n, vae_error *err) {
    if (!t) return vae_fail(err, VAE_ERR_ARG, "trainer is NULL");
    return t->m->arch.kind == VAE_KIND_M2 ? vae_m2_check_batch(t->m, x, labels, n, err)
                                          : vae_check_batch(t->m, x, labels, n, err);
}

vae_status vae_trainer_draw(vae_trainer *t, const float *x, const int *labels, int n, float *eps, float *noisy,
                            vae_error *err) {
    vae_status s = check_batch(t, x, labels, n, err);
    if (s) return s;
    int count = vae_trainer_eps_count(t, labels, n);
    if ((count && !eps) || (t->c.noise && !noisy)) return vae_fail(err, VAE_ERR_ARG, "eps or noisy is NULL");
    vae_rng_normals(&t->rng, eps, (size_t)count);
    if (t->c.noise) vae_noise_apply(&t->rng, t->c.noise, t->c.noise_level, x, noisy, (size_t)n * t->m->D, NULL);
    return vae_ok(err);
}

vae_status vae_trainer_share_grads(vae_trainer *t, const float *x, const float *xin, const int *labels, int n,
                                   int batch_n, const float *eps, float *grads, vae_share_sums *sums, vae_error *err) {
    vae_status s = check_batch(t, x, labels, n, err);
    if (s) return s;
    vae_model *m = t->m;
    int m2 = m->arch.kind == VAE_KIND_M2;
    if (!grads || !sums || (!eps && m->arch.kind != VAE_KIND_AE) || (t->c.noise && !xin))
        return vae_fail(err, VAE_ERR_ARG, "grads, sums, eps or the noisy inputs are NULL");
    if (batch_n < n) return vae_fail(err, VAE_ERR_ARG, "a share of %d images of a batch of %d", n, batch_n);
    if (t->pen.sparsity == VAE_SPARSITY_KL && batch_n != n)
        return vae_fail(err, VAE_ERR_ARG, "the KL sparsity penalty needs the whole batch in one share (1 worker)");
    if ((s = reserve(t, m2 ? vae_m2_row_count(m, labels, n) : n, err))) return s;
    if (!xin) xin = x;
    float beta = beta_now(t);
    memset(grads, 0, m->n_params * sizeof(float));
    memset(sums, 0, sizeof *sums);
    t->w->mean_n = batch_n;
    if (m2) {
        vae_m2_terms m2t;
        vae_m2_pass(m, t->w, &t->rows, grads, x, labels, n, eps, beta, t->c.alpha, &m2t);
        sums->rec = m2t.rec, sums->kl = m2t.kl, sums->loss = m2t.loss;
        sums->xent = m2t.xent, sums->entropy = m2t.entropy, sums->labelled = m2t.labelled;
    } else {
        vae_forward(m, t->w, xin, x, labels, n, eps, &t->pen);
        vae_backward(m, t->w, grads, xin, x, n, eps, beta, &t->pen, NULL);
        for (int b = 0; b < n; b++) {
            sums->rec += t->w->rec[b];
            sums->kl += t->w->kl[b];
            sums->pen += t->w->pen[b];
        }
        sums->loss = 0.0;
    }
    t->w->mean_n = 0;
    sums->n = n;
    return vae_ok(err);
}

double vae_sum_squares(const float *g, size_t n) {
    double g2 = 0.0;
    for (size_t i = 0; i < n; i++) g2 += (double)g[i] * g[i];
    return g2;
}

/* The step's statistics from the batch's sums and the squared norm g2 of its
 * summed gradient. */
static vae_status finish(const vae_trainer *t, const vae_share_sums *s, double g2, vae_step_stats *st, vae_error *err) {
    int n = s->n, m2 = t->m->arch.kind == VAE_KIND_M2;
    float beta = beta_now(t);
    st->rec = s->rec / n;
    st->kl = s->kl / n;
    st->penalty = s->pen / n;
    st->loss = m2 ? s->loss / n : st->rec + beta * st->kl + st->penalty;
    st->xent = s->labelled ? s->xent / s->labelled : 0.0;
    st->entropy = n > s->labelled ? s->entropy / (n - s->labelled) : 0.0;
    st->grad_norm = sqrt(g2);
    st->beta_used = beta;
    st->step = t->steps;
    if (!isfinite(s->rec) || !isfinite(s->kl) || !isfinite(s->pen) || !isfinite(s->loss) || !isfinite(g2))
        return vae_fail(err, VAE_ERR_NONFINITE, "step %lld: loss or gradient is not finite (rec %g, kl %g)",
                        (long long)t->steps, s->rec / n, s->kl / n);
    return vae_ok(err);
}

vae_status vae_trainer_compute_grads(vae_trainer *t, const float *x, const int *labels, int n, const float *eps,
                                     vae_step_stats *st, vae_error *err) {
    vae_status s = check_batch(t, x, labels, n, err);
    int rows = s ? 0 : t->m->arch.kind == VAE_KIND_M2 ? vae_m2_row_count(t->m, labels, n) : n;
    if (s || (s = reserve(t, rows, err))) return s;
    if (!eps && t->m->arch.kind != VAE_KIND_AE) { /* vae_trainer_draw's order: eps, then the noise */
        vae_rng_normals(&t->rng, t->eps, (size_t)vae_trainer_eps_count(t, labels, n));
        eps = t->eps;
    }
    if (t->c.noise) vae_noise_apply(&t->rng, t->c.noise, t->c.noise_level, x, t->noisy, (size_t)n * t->m->D, NULL);
    vae_share_sums sums;
    vae_step_stats local;
    s = vae_trainer_share_grads(t, x, t->c.noise ? t->noisy : NULL, labels, n, n, eps, t->grads, &sums, err);
    return s ? s : finish(t, &sums, vae_sum_squares(t->grads, t->m->n_params), st ? st : &local, err);
}

void vae_adam_update(float *p, const float *g, float *m1, float *m2, size_t n, const vae_train_config *c,
                     double *beta1_t, double *beta2_t, float clip_scale) {
    /* PyTorch's Adam: bias corrections in double, then
     * p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps) */
    *beta1_t *= c->adam_beta1;
    *beta2_t *= c->adam_beta2;
    double bc1 = 1.0 - *beta1_t, bc2 = 1.0 - *beta2_t;
    float step_size = (float)(c->lr / bc1), bc2_sqrt = (float)sqrt(bc2);
    float b1 = c->adam_beta1, b2 = c->adam_beta2, decay = 1.0f - c->lr * c->weight_decay;
    size_t i = 0;
#ifndef VAE_NO_SIMD
    /* The scalar loop's operations in its order, four lanes at a time (SIMD
     * sqrt and divide are IEEE-exact like sqrtf and /): the same bits. */
    v128_t clip = wasm_f32x4_splat(clip_scale), vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2);
    v128_t vc1 = wasm_f32x4_splat(1.0f - b1), vc2 = wasm_f32x4_splat(1.0f - b2), vdecay = wasm_f32x4_splat(decay);
    v128_t vstep = wasm_f32x4_splat(step_size), vbc2 = wasm_f32x4_splat(bc2_sqrt), veps = wasm_f32x4_splat(c->adam_eps);
    for (; i + 4 <= n; i += 4) {
        v128_t gi = wasm_f32x4_mul(wasm_v128_load(g + i), clip);
        v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m1 + i), vb1), wasm_f32x4_mul(gi, vc1));
        v128_t vi =
            wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(m2 + i), vb2), wasm_f32x4_mul(wasm_f32x4_mul(gi, gi), vc2));
        v128_t pi = wasm_v128_load(p + i);
        if (c->weight_decay > 0.0f) pi = wasm_f32x4_mul(pi, vdecay);
        v128_t den = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(vi), vbc2), veps);
        wasm_v128_store(p + i, wasm_f32x4_sub(pi, wasm_f32x4_mul(vstep, wasm_f32x4_div(mi, den))));
        wasm_v128_store(m1 + i, mi);
        wasm_v128_store(m2 + i, vi);
    }
#endif
    for (; i < n; i++) { /* the scalar twin, and the last n % 4 */
        float gi = g[i] * clip_scale;
        m1[i] = m1[i] * b1 + gi * (1.0f - b1);
        m2[i] = m2[i] * b2 + gi * gi * (1.0f - b2);
        if (c->weight_decay > 0.0f) p[i] *= decay;
        p[i] -= step_size * (m1[i] / (sqrtf(m2[i]) / bc2_sqrt + c->adam_eps));
    }
}

/* clip_grad_norm_: scale by max / (norm + 1e-6) when the norm exceeds max */
float vae_clip_scale(const vae_train_config *c, double grad_norm) {
    return c->clip_norm > 0.0f && grad_norm > c->clip_norm ? (float)(c->clip_norm / (grad_norm + 1e-6)) : 1.0f;
}

/* PyTorch's SGD: buf = momentum * buf + g (g includes L2 decay), p -= lr * buf */
static void sgd_update(vae_trainer *t, const float *g, float clip_scale) {
    const vae_train_config *c = &t->c;
    float *p = t->m->params, *buf = t->m1;
    for (size_t i = 0, n = t->m->n_params; i < n; i++) {
        float gi = g[i] * clip_scale + c->weight_decay * p[i];
        if (c->momentum > 0.0f) {
            buf[i] = t->steps ? c->momentum * buf[i] + gi : gi;
            gi = buf[i];
        }
        p[i] -= c->lr * gi;
    }
}

/* One optimiser step with the batch's gradient g and its statistics. */
static void update(vae_trainer *t, const float *g, vae_step_stats *st) {
    float clip_scale = vae_clip_scale(&t->c, st->grad_norm);
    if (t->c.opt == VAE_OPT_ADAM)
        vae_adam_update(t->m->params, g, t->m1, t->m2, t->m->n_params, &t->c, &t->beta1_t, &t->beta2_t, clip_scale);
    else
        sgd_update(t, g, clip_scale);
    vae_model_changed(t->m);
    t->steps++;
    st->step = t->steps;
}

vae_status vae_trainer_step(vae_trainer *t, const float *x, const int *labels, int n, const float *eps,
                            vae_step_stats *st, vae_error *err) {
    vae_step_stats local;
    if (!st) st = &local;
    vae_status s = vae_trainer_compute_grads(t, x, labels, n, eps, st, err);
    if (s) return s; /* non-finite: nothing updated */
    update(t, t->grads, st);
    return vae_ok(err);
}

int vae_batch_share(int n, int shares, int i, int *first) {
    int k = shares < n ? shares : n;
    if (k < 1 || i < 0 || i >= k) return *first = 0;
    *first = (int)((int64_t)i * n / k);
    return (int)((int64_t)(i + 1) * n / k) - *first;
}

vae_status vae_trainer_apply(vae_trainer *t, float *const *grads, vae_share_sums *sums, int shares, vae_step_stats *st,
                             vae_error *err) {
    if (!t || !grads || !sums || shares < 1) return vae_fail(err, VAE_ERR_ARG, "trainer, grads or sums missing");
    for (int i = 0; i < shares; i++)
        if (!grads[i]) return vae_fail(err, VAE_ERR_ARG, "gradient %d is NULL", i);
    size_t np = t->m->n_params;
    /* the fixed tree: at stride s = 1, 2, 4, ..., share i (a multiple of 2s)
     * adds share i + s; the last addition (s = top, i = 0) also squares the
     * total into four double sums, element k into sum k % 4: a pass less,
     * and four chains of adds instead of one latency-bound chain, on the
     * critical path of every data-parallel step (one share keeps
     * vae_trainer_step's single chain) */
    int top = 1;
    while (2 * top < shares) top *= 2;
    double g2 = 0.0;
    for (int s = 1; s < shares; s *= 2)
        for (int i = 0; i + s < shares; i += 2 * s) {
            float *a = grads[i];
            const float *b = grads[i + s];
            if (s == top) {
                double q[4] = {0.0, 0.0, 0.0, 0.0};
                size_t k = 0;
                for (; k + 4 <= np; k += 4)
                    for (int j = 0; j < 4; j++) {
                        a[k + j] += b[k + j];
                        q[j] += (double)a[k + j] * a[k + j];
                    }
                for (; k < np; k++) {
                    a[k] += b[k];
                    q[k % 4] += (double)a[k] * a[k];
                }
                g2 = (q[0] + q[1]) + (q[2] + q[3]);
            } else {
                for (size_t k = 0; k < np; k++) a[k] += b[k];
            }
            vae_share_sums *u = &sums[i], *v = &sums[i + s];
            u->rec += v->rec, u->kl += v->kl, u->pen += v->pen, u->loss += v->loss;
            u->xent += v->xent, u->entropy += v->entropy, u->n += v->n, u->labelled += v->labelled;
        }
    if (shares == 1) g2 = vae_sum_squares(grads[0], np); /* vae_trainer_step's, bit for bit */
    vae_step_stats local;
    if (!st) st = &local;
    vae_status s = finish(t, &sums[0], g2, st, err);
    if (s) return s;
    update(t, grads[0], st);
    return vae_ok(err);
}

vae_status vae_trainer_sync(vae_trainer *t, const float *params, int64_t steps, vae_error *err) {
    if (!t || steps < 0) return vae_fail(err, VAE_ERR_ARG, "trainer is NULL or steps < 0");
    if (params) memcpy(vae_model_params(t->m), params, t->m->n_params * sizeof(float));
    t->steps = steps;
    return vae_ok(err);
}
