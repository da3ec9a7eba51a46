/* Finite-difference gradient checks: every layer on its own (through a random
 * projection of its output), then the whole VAE / CVAE loss for every
 * activation and likelihood, with eps passed in. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fdcheck.h"
#include "internal.h"
#include "layers/layers.h"

static vae_rng rng;

static void fill(float *v, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * vae_rng_uniform(&rng);
}

/* ---------------------------------------------------------------- layers */

enum { B = 3, I = 5, O = 4 };

typedef struct {
    float inp[B * I], w[O * I], b[O], proj[B * I], out[B * I]; /* I > O: room for either */
    int kind;                                                  /* which layer */
    vae_activation act;
} layer_ctx;

static double projected(const float *out, const float *proj, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)out[i] * proj[i];
    return s;
}

static double linear_loss(void *p) {
    layer_ctx *c = p;
    vae_linear_forward(c->out, c->inp, c->w, c->b, B, I, O);
    return projected(c->out, c->proj, B * O);
}

static void check_linear(void) {
    layer_ctx c;
    fill(c.inp, B * I, -1, 1);
    fill(c.w, O * I, -1, 1);
    fill(c.b, O, -1, 1);
    fill(c.proj, B * O, -1, 1);
    float dinp[B * I] = {0}, dw[O * I] = {0}, db[O] = {0};
    vae_linear_backward(dinp, dw, db, c.proj, c.inp, c.w, B, I, O);
    fd_check("linear dinp", c.inp, B * I, dinp, linear_loss, &c, 1e-2f, 1e-3, 1);
    fd_check("linear dw", c.w, O * I, dw, linear_loss, &c, 1e-2f, 1e-3, 1);
    fd_check("linear db", c.b, O, db, linear_loss, &c, 1e-2f, 1e-3, 1);
}

static double act_loss(void *p) {
    layer_ctx *c = p;
    vae_act_forward(c->out, c->inp, B * I, c->act, 0.1f);
    return projected(c->out, c->proj, B * I);
}

static void check_activations(vae_activation from, vae_activation to) {
    for (int a = (int)from; a <= (int)to; a++) {
        layer_ctx c;
        c.act = (vae_activation)a;
        fill(c.inp, B * I, -2, 2);
        for (int i = 0; i < B * I; i++) /* stay off the kink at 0 */
            if (fabsf(c.inp[i]) < 0.1f) c.inp[i] = 0.5f;
        fill(c.proj, B * I, -1, 1);
        float out[B * I], din[B * I] = {0};
        vae_act_forward(out, c.inp, B * I, c.act, 0.1f);
        vae_act_backward(din, c.proj, out, B * I, c.act, 0.1f);
        char what[64];
        snprintf(what, sizeof what, "activation %s", vae_activation_name(c.act));
        fd_check(what, c.inp, B * I, din, act_loss, &c, 1e-2f, 1e-3, 1);
    }
}

static double bce_loss(void *p) {
    layer_ctx *c = p; /* inp = logits, w = targets */
    float loss[B];
    vae_bce_logits_forward(loss, c->inp, c->w, B, I, I);
    return projected(loss, c->proj, B);
}

static void check_sigmoid_losses(void) {
    layer_ctx c;
    fill(c.inp, B * I, -4, 4);
    fill(c.w, B * I, 0, 1);
    fill(c.proj, B * I, -1, 1);
    float d2[B * I] = {0};
    for (int b = 0; b < B; b++) /* dloss/dlogits of sum_b proj_b * bce_b */
        vae_bce_logits_backward(d2 + b * I, c.inp + b * I, c.w + b * I, 1, I, c.proj[b]);
    fd_check("bce_with_logits", c.inp, B * I, d2, bce_loss, &c, 1e-2f, 1e-3, 1);

    /* stability: finite and right at +-100 */
    float big[4] = {100.0f, -100.0f, 30.0f, -30.0f}, t[4] = {1, 0, 0, 1}, bl[1];
    vae_bce_logits_forward(bl, big, t, 1, 4, 4);
    CHECK(isfinite(bl[0]) && fabsf(bl[0] - 60.0f) < 1e-3f, "bce at +-100, +-30: %g (want 60)", bl[0]);
}

typedef struct {
    float logits[B * I], x[B * I], logsigma[I], proj[B];
    int learned;
} gauss_ctx;

static double gauss_loss(void *p) {
    gauss_ctx *c = p;
    float loss[B];
    vae_gaussian_forward(loss, c->logits, c->x, B, I, I, c->learned ? c->logsigma : NULL, 0.3f);
    return projected(loss, c->proj, B);
}

static void check_gaussian(void) {
    for (int learned = 0; learned < 2; learned++) {
        gauss_ctx c;
        c.learned = learned;
        fill(c.logits, B * I, -2, 2);
        fill(c.x, B * I, 0, 1);
        fill(c.logsigma, I, -1, 0.5f);
        fill(c.proj, B, 0.5f, 1);
        float dl[B * I] = {0}, dls[I] = {0};
        for (int b = 0; b < B; b++)
            vae_gaussian_backward(dl + b * I, dls, c.logits + b * I, c.x + b * I, 1, I, learned ? c.logsigma : NULL,
                                  0.3f, c.proj[b]);
        fd_check(learned ? "gaussian (learned) dlogits" : "gaussian (fixed) dlogits", c.logits, B * I, dl, gauss_loss,
                 &c, 1e-2f, 1e-3, 1);
        if (learned) fd_check("gaussian dlogsigma", c.logsigma, I, dls, gauss_loss, &c, 1e-2f, 1e-3, 1);
    }
}

typedef struct {
    float logits[B * I], x[B * I], logsigma[I], lognu[I], proj[B];
} student_ctx;

static double student_loss(void *p) {
    student_ctx *c = p;
    float loss[B], k[4 * I];
    vae_student_t_consts(k, c->logsigma, c->lognu, I);
    vae_student_t_forward(loss, c->logits, c->x, B, I, I, k);
    return projected(loss, c->proj, B);
}

/* The Student-t constants' log-gamma and digamma against the C library's
 * lgamma (and its central difference, for digamma) from nu/2 = 1e-3 to 1e5. */
static void check_gamma(void) {
    double worst_l = 0, worst_d = 0;
    for (double x = 1e-3; x < 1e5; x *= 1.37) {
        double l = lgamma(x), h = 1e-4 * x, d = (lgamma(x + h) - lgamma(x - h)) / (2 * h);
        double el = fabs(vae_lgamma(x) - l) / fmax(1, fabs(l)), ed = fabs(vae_digamma(x) - d) / fmax(1, fabs(d));
        worst_l = fmax(worst_l, el), worst_d = fmax(worst_d, ed);
        CHECK(el < 1e-12, "vae_lgamma(%g) = %.17g, libm %.17g", x, vae_lgamma(x), l);
        CHECK(ed < 1e-7, "vae_digamma(%g) = %.17g, libm's difference %.17g", x, vae_digamma(x), d);
    }
    CHECK(fabs(vae_digamma(1) + 0.57721566490153286) < 1e-12, "digamma(1) = %.17g", vae_digamma(1));
    printf("  %-44s max rel err %.2e, %.2e\n", "lgamma, digamma", worst_l, worst_d);
}

#define P_OF(m, name) ((m)->params + (m)->t[(m)->name].offset)
static vae_arch small_arch(vae_activation act, vae_likelihood lik, int classes);

/* nu from 0.05 (a spike with wide tails, as integer columns learn without the
 * dequantising noise) to 3000 (all but Gaussian); values up to 3 scales off */
static void check_student_t(void) {
    student_ctx c;
    fill(c.logits, B * I, -2, 2);
    fill(c.x, B * I, 0, 1);
    fill(c.logsigma, I, -1.5f, 0.5f);
    fill(c.lognu, I, -3, 8);
    fill(c.proj, B, 0.5f, 1);
    float dl[B * I] = {0}, dls[I] = {0}, dln[I] = {0}, k[4 * I];
    vae_student_t_consts(k, c.logsigma, c.lognu, I);
    for (int b = 0; b < B; b++)
        vae_student_t_backward(dl + b * I, dls, dln, c.logits + b * I, c.x + b * I, 1, I, k, c.proj[b]);
    fd_check("student_t dlogits", c.logits, B * I, dl, student_loss, &c, 1e-2f, 1e-3, 1);
    fd_check("student_t dlogsigma", c.logsigma, I, dls, student_loss, &c, 1e-2f, 1e-3, 1);
    fd_check("student_t dlognu", c.lognu, I, dln, student_loss, &c, 1e-2f, 1e-3, 1);
    /* a fresh model's scale 1 and nu 4 */
    vae_arch a = small_arch(VAE_ACT_IDENTITY, VAE_LIK_STUDENT_T, 0);
    vae_model *m;
    vae_error err;
    CHECK(vae_model_init(&m, &a, 1, &err) == VAE_OK, "init: %s", err.msg);
    for (int d = 0; m && d < m->D; d++)
        CHECK(P_OF(m, logsigma)[d] == 0 && P_OF(m, lognu)[d] == logf(4), "value %d: log sigma %g, log nu %g", d,
              P_OF(m, logsigma)[d], P_OF(m, lognu)[d]);
    vae_model_free(m);
}

typedef struct {
    float mu[B * I], logvar[B * I], eps[B * I], proj[B * I];
    int kl;
} z_ctx;

static double z_loss(void *p) {
    z_ctx *c = p;
    float out[B * I];
    if (c->kl) {
        vae_kl_forward(out, c->mu, c->logvar, B, I);
        return projected(out, c->proj, B);
    }
    vae_reparam_forward(out, I, c->mu, c->logvar, c->eps, B, I);
    return projected(out, c->proj, B * I);
}

static void check_latent_layers(void) {
    for (int kl = 0; kl < 2; kl++) {
        z_ctx c;
        c.kl = kl;
        fill(c.mu, B * I, -1, 1);
        fill(c.logvar, B * I, -1, 1);
        vae_rng_normals(&rng, c.eps, B * I);
        fill(c.proj, B * I, -1, 1);
        float dmu[B * I] = {0}, dlv[B * I] = {0};
        if (kl)
            for (int b = 0; b < B; b++)
                vae_kl_backward(dmu + b * I, dlv + b * I, c.mu + b * I, c.logvar + b * I, 1, I, c.proj[b]);
        else
            vae_reparam_backward(dmu, dlv, c.proj, I, c.logvar, c.eps, B, I);
        fd_check(kl ? "kl dmu" : "reparam dmu", c.mu, B * I, dmu, z_loss, &c, 1e-2f, 1e-3, 1);
        fd_check(kl ? "kl dlogvar" : "reparam dlogvar", c.logvar, B * I, dlv, z_loss, &c, 1e-2f, 1e-3, 1);
    }
}

/* ---------------------------------------------------------------- whole model */

enum { N = 4 };

typedef struct {
    vae_model *m;
    vae_work *w;
    float x[N * 64], xin[N * 64], eps[N * 8]; /* xin: the (maybe corrupted) encoder input */
    int labels[N];
    float beta;
    vae_penalties pen;
} model_ctx;

/* Mean per-image training loss: rec + beta kl + penalties. */
static double model_loss(void *p) {
    model_ctx *c = p;
    vae_forward(c->m, c->w, c->xin, c->x, c->m->arch.n_classes ? c->labels : NULL, N, c->eps, &c->pen);
    double s = 0.0;
    for (int b = 0; b < N; b++) s += c->w->rec[b] + c->beta * c->w->kl[b] + c->w->pen[b];
    return s / N;
}

/* The small MLP the model checks start from: 1x2x3 -> 7 -> 5 -> 3 -> 6 -> 6. */
static vae_arch small_arch(vae_activation act, vae_likelihood lik, int classes) {
    vae_arch a;
    vae_arch_default(&a);
    a.image_h = 2, a.image_w = 3;
    a.n_enc = 2, a.enc_hidden[0] = 7, a.enc_hidden[1] = 5;
    a.n_dec = 1, a.dec_hidden[0] = 6;
    a.latent = 3, a.n_classes = classes;
    a.act = act, a.leaky_slope = 0.1f;
    a.lik = lik, a.sigma = 0.5f;
    return a;
}

/* With ReLU, the contractive penalty sum_j [a_j > 0] ||w_j||^2 jumps where a
 * pre-activation a of the first layer crosses 0, and finite differences that
 * cross a jump mean nothing: move the first layer's biases until every a is
 * at least 0.05 from 0 (the differences move a by at most 0.01 * 6). */
static void keep_off_kinks(vae_model *m, const float *x) {
    const vae_layer_ref *r = &m->enc[0];
    float *W = m->params + m->t[r->w].offset, *bias = m->params + m->t[r->b].offset;
    for (int j = 0; j < r->out; j++)
        for (int again = 1; again;) {
            again = 0;
            for (int b = 0; b < N; b++) {
                float a = bias[j];
                for (int k = 0; k < r->in; k++) a += W[j * r->in + k] * x[b * r->in + k];
                if (fabsf(a) < 0.05f) again = 1;
            }
            if (again) bias[j] += 0.1f;
        }
}

/* Every parameter's gradient against finite differences of the loss. The
 * trainer's gradients (which corrupt inputs themselves) are checked for
 * equality with the pass's when there is no noise. */
static void check_model(const char *what, const vae_arch *a, const vae_penalties *pen, vae_noise noise) {
    model_ctx c = {.beta = 0.7f, .pen = *pen};
    vae_error err;
    int D = vae_arch_input_dim(a), L = a->latent;
    CHECK(vae_model_init(&c.m, a, 42, &err) == VAE_OK, "init: %s", err.msg);
    /* random logsigma so its gradient is exercised away from 0 */
    if (c.m->logsigma >= 0) fill(c.m->params + c.m->t[c.m->logsigma].offset, D, -0.5f, 0.3f);
    if (c.m->lognu >= 0) fill(c.m->params + c.m->t[c.m->lognu].offset, D, -1, 3);
    fill(c.x, N * D, 0, 1);
    for (int i = 0; i < N * D; i++)
        c.xin[i] = noise == VAE_NOISE_MASK && i % 3 == 0 ? 0.0f : noise ? fminf(c.x[i] + 0.2f, 1.0f) : c.x[i];
    vae_rng_normals(&rng, c.eps, N * L);
    for (int b = 0; b < N; b++) c.labels[b] = a->n_classes ? b % a->n_classes : 0;
    c.w = vae_work_new(c.m, N, 1);
    float *grads = calloc(c.m->n_params, sizeof(float));
    if (pen->contractive && (a->act == VAE_ACT_RELU || a->act == VAE_ACT_LEAKY_RELU) && a->n_enc)
        keep_off_kinks(c.m, c.xin);
    double loss = model_loss(&c);
    vae_backward(c.m, c.w, grads, c.xin, c.x, N, c.eps, c.beta, &c.pen, NULL);

    if (!noise) {
        vae_train_config tc;
        vae_train_config_default(&tc);
        tc.beta = c.beta, tc.sparsity = pen->sparsity, tc.sparsity_weight = pen->sparsity_weight;
        tc.sparsity_rho = pen->rho, tc.contractive = pen->contractive;
        vae_trainer *t;
        vae_step_stats st;
        CHECK(vae_trainer_init(&t, c.m, &tc, &err) == VAE_OK, "trainer: %s", err.msg);
        CHECK(vae_trainer_compute_grads(t, c.x, a->n_classes ? c.labels : NULL, N, c.eps, &st, &err) == VAE_OK,
              "grads: %s", err.msg);
        CHECK(fabs(st.loss - loss) < 1e-5 * fabs(loss), "trainer loss %g vs pass loss %g", st.loss, loss);
        CHECK(!memcmp(vae_trainer_grads(t), grads, c.m->n_params * sizeof(float)), "trainer gradients differ");
        vae_trainer_free(t);
    }
    printf(" model %s\n", what);
    for (int i = 0; i < c.m->n_tensors; i++) {
        vae_param_info *pi = &c.m->t[i];
        /* ReLU kinks make a few finite differences meaningless; smooth activations are held tighter,
         * in proportion to the loss (the rounding error of the differences grows with the pixel count) */
        double tol = a->act == VAE_ACT_RELU || a->act == VAE_ACT_LEAKY_RELU ? 2e-2 : D > 6 ? 1e-2 : 5e-3;
        fd_check(pi->name, c.m->params + pi->offset, pi->numel, grads + pi->offset, model_loss, &c, 1e-2f, tol, 1);
    }
    free(grads);
    vae_work_free(c.w);
    vae_model_free(c.m);
}

static void check_models(void) {
    static const vae_penalties none = {0};
    char what[96];
    for (int act = 0; act <= VAE_ACT_IDENTITY; act++) {
        vae_arch a = small_arch((vae_activation)act, VAE_LIK_BERNOULLI, 0);
        snprintf(what, sizeof what, "act=%s", vae_activation_name(a.act));
        check_model(what, &a, &none, VAE_NOISE_NONE);
    }
    static const struct {
        vae_activation act;
        vae_likelihood lik;
        int classes;
    } more[] = {{VAE_ACT_TANH, VAE_LIK_GAUSSIAN, 0},
                {VAE_ACT_TANH, VAE_LIK_GAUSSIAN_LEARNED, 0},
                {VAE_ACT_TANH, VAE_LIK_STUDENT_T, 0},
                {VAE_ACT_IDENTITY, VAE_LIK_STUDENT_T, 0}, /* vae train --csv's rows */
                {VAE_ACT_TANH, VAE_LIK_BERNOULLI, 3},     /* CVAE */
                {VAE_ACT_RELU, VAE_LIK_GAUSSIAN_LEARNED, 4}};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++) {
        vae_arch a = small_arch(more[i].act, more[i].lik, more[i].classes);
        snprintf(what, sizeof what, "act=%s lik=%s classes=%d", vae_activation_name(a.act), vae_likelihood_name(a.lik),
                 a.n_classes);
        check_model(what, &a, &none, VAE_NOISE_NONE);
    }

    /* convolutional: 1x6x6 -> conv 3x3x3 -> conv^T-free head; decoder 12 as 3x2x2 -> conv^T 2x4x4 -> conv^T out 1x6x6 */
    vae_arch conv = small_arch(VAE_ACT_TANH, VAE_LIK_BERNOULLI, 0);
    conv.image_h = conv.image_w = 6;
    conv.n_enc = 2, conv.enc_hidden[0] = 3, conv.enc_hidden[1] = 5;
    conv.enc_layer[0] = (vae_layer){VAE_LAYER_CONV, 3, 2, 1, 0, {0, 0, 0}};
    conv.n_dec = 2, conv.dec_hidden[0] = 12, conv.dec_hidden[1] = 2;
    conv.dec_layer[0] = (vae_layer){VAE_LAYER_LINEAR, 0, 0, 0, 0, {3, 2, 2}};
    conv.dec_layer[1] = (vae_layer){VAE_LAYER_CONV_TRANSPOSE, 3, 2, 1, 1, {0, 0, 0}};
    conv.out_layer = (vae_layer){VAE_LAYER_CONV_TRANSPOSE, 3, 1, 0, 0, {0, 0, 0}};
    check_model("conv VAE", &conv, &none, VAE_NOISE_NONE);
    conv.act = VAE_ACT_RELU, conv.lik = VAE_LIK_GAUSSIAN_LEARNED;
    check_model("conv VAE relu, learned sigma", &conv, &none, VAE_NOISE_NONE);

    /* autoencoders: plain, sparse (L1, KL), contractive (with and without
     * hidden layers, every activation), denoising */
    vae_arch ae = small_arch(VAE_ACT_TANH, VAE_LIK_BERNOULLI, 0);
    ae.kind = VAE_KIND_AE;
    check_model("AE", &ae, &none, VAE_NOISE_NONE);
    check_model("AE denoising (mask)", &ae, &none, VAE_NOISE_MASK);
    check_model("AE L1 sparsity", &ae, &(vae_penalties){VAE_SPARSITY_L1, 0.3f, 0, 0}, VAE_NOISE_NONE);
    ae.code_act = VAE_ACT_SIGMOID;
    check_model("AE KL sparsity", &ae, &(vae_penalties){VAE_SPARSITY_KL, 0.5f, 0.1f, 0}, VAE_NOISE_NONE);
    for (int act = 0; act <= VAE_ACT_IDENTITY; act++) {
        ae.act = (vae_activation)act;
        snprintf(what, sizeof what, "AE contractive, act=%s", vae_activation_name(ae.act));
        check_model(what, &ae, &(vae_penalties){VAE_SPARSITY_NONE, 0, 0, 0.4f}, VAE_NOISE_NONE);
    }
    ae.n_enc = 0;
    ae.code_act = VAE_ACT_SIGMOID;
    check_model("AE contractive, code layer first", &ae, &(vae_penalties){VAE_SPARSITY_KL, 0.2f, 0.2f, 0.4f},
                VAE_NOISE_NONE);
    vae_arch dvae = small_arch(VAE_ACT_SIGMOID, VAE_LIK_BERNOULLI, 0);
    check_model("VAE denoising (gaussian)", &dvae, &none, VAE_NOISE_GAUSSIAN);
}

int main(void) {
    vae_rng_seed(&rng, 7);
    printf("layers\n");
    check_linear();
    check_activations(VAE_ACT_RELU, VAE_ACT_SIGMOID);
    check_sigmoid_losses();
    check_gaussian();
    check_gamma();
    check_student_t();
    check_latent_layers();
    check_models();
    /* after the models, so that their random data stay what they were before identity existed */
    check_activations(VAE_ACT_IDENTITY, VAE_ACT_IDENTITY);
    return check_result("test_gradcheck");
}
