/* Finite-difference gradient checks: every layer on its own (through a random
 * projection of its output), then the whole VAE / CVAE loss for every
 * activation and likelihood, with eps passed in. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fdcheck.h"
#include "internal.h"
#include "layers.h"

static vae_rng rng;

static void fill(float *v, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * vae_rng_uniform(&rng);
}

/* ---------------------------------------------------------------- layers */

enum { B = 3, I = 5, O = 4 };

typedef struct {
    float inp[B * I], w[O * I], b[O], proj[B * I], out[B * I]; /* I > O: room for either */
    int kind; /* which layer */
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

static void check_activations(void) {
    static const char *names[] = {"relu", "leaky_relu", "tanh", "sigmoid"};
    for (int a = 0; a <= VAE_ACT_SIGMOID; a++) {
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
        snprintf(what, sizeof what, "activation %s", names[a]);
        fd_check(what, c.inp, B * I, din, act_loss, &c, 1e-2f, 1e-3, 1);
    }
}

static double logsig_loss(void *p) {
    layer_ctx *c = p;
    vae_log_sigmoid_forward(c->out, c->inp, B * I);
    return projected(c->out, c->proj, B * I);
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
    float d[B * I] = {0};
    vae_log_sigmoid_backward(d, c.proj, c.inp, B * I);
    fd_check("log_sigmoid", c.inp, B * I, d, logsig_loss, &c, 1e-2f, 1e-3, 1);

    float d2[B * I] = {0};
    for (int b = 0; b < B; b++) /* dloss/dlogits of sum_b proj_b * bce_b */
        vae_bce_logits_backward(d2 + b * I, c.inp + b * I, c.w + b * I, 1, I, c.proj[b]);
    fd_check("bce_with_logits", c.inp, B * I, d2, bce_loss, &c, 1e-2f, 1e-3, 1);

    /* stability: finite and right at +-100 */
    float big[4] = {100.0f, -100.0f, 30.0f, -30.0f}, t[4] = {1, 0, 0, 1}, ls[4], bl[1];
    vae_log_sigmoid_forward(ls, big, 4);
    CHECK(ls[0] <= 0.0f && ls[0] > -1e-30f && fabsf(ls[1] + 100.0f) < 1e-4f, "log_sigmoid(+-100) = %g, %g", ls[0], ls[1]);
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
    float x[N * 64], eps[N * 8];
    int labels[N];
    float beta;
} model_ctx;

static double model_loss(void *p) {
    model_ctx *c = p;
    float rec[N], kl[N];
    vae_model_loss(c->m, c->x, c->labels, N, c->eps, rec, kl, NULL);
    double s = 0.0;
    for (int b = 0; b < N; b++) s += rec[b] + c->beta * kl[b];
    return s / N;
}

static void check_model(vae_activation act, vae_likelihood lik, int classes) {
    vae_arch a;
    vae_arch_default(&a);
    a.image_h = 2;
    a.image_w = 3;
    a.n_enc = 2;
    a.enc_hidden[0] = 7;
    a.enc_hidden[1] = 5;
    a.n_dec = 1;
    a.dec_hidden[0] = 6;
    a.latent = 3;
    a.n_classes = classes;
    a.act = act;
    a.leaky_slope = 0.1f;
    a.lik = lik;
    a.sigma = 0.5f;
    model_ctx c = {.beta = 0.7f};
    vae_error err;
    CHECK(vae_model_init(&c.m, &a, 42, &err) == VAE_OK, "init: %s", err.msg);
    /* random logsigma so its gradient is exercised away from 0 */
    if (c.m->logsigma >= 0) fill(c.m->params + c.m->t[c.m->logsigma].offset, 6, -0.5f, 0.3f);
    fill(c.x, N * 6, 0, 1);
    vae_rng_normals(&rng, c.eps, N * 3);
    for (int b = 0; b < N; b++) c.labels[b] = classes ? b % classes : 0;

    vae_train_config tc;
    vae_train_config_default(&tc);
    tc.beta = c.beta;
    vae_trainer *t;
    CHECK(vae_trainer_init(&t, c.m, &tc, &err) == VAE_OK, "trainer: %s", err.msg);
    vae_step_stats st;
    CHECK(vae_trainer_compute_grads(t, c.x, classes ? c.labels : NULL, N, c.eps, &st, &err) == VAE_OK, "grads: %s",
          err.msg);
    CHECK(fabs(st.loss - model_loss(&c)) < 1e-4 * fabs(st.loss), "trainer loss %g vs model loss %g", st.loss,
          model_loss(&c));
    printf(" model act=%s lik=%s classes=%d\n", vae_activation_name(act), vae_likelihood_name(lik), classes);
    for (int i = 0; i < c.m->n_tensors; i++) {
        vae_param_info *pi = &c.m->t[i];
        /* ReLU kinks make a few finite differences meaningless; smooth activations are held tighter */
        double tol = act == VAE_ACT_RELU || act == VAE_ACT_LEAKY_RELU ? 2e-2 : 5e-3;
        fd_check(pi->name, c.m->params + pi->offset, pi->numel, vae_trainer_grads(t) + pi->offset, model_loss, &c,
                1e-2f, tol, 1);
    }
    vae_trainer_free(t);
    vae_model_free(c.m);
}

int main(void) {
    vae_rng_seed(&rng, 7);
    printf("layers\n");
    check_linear();
    check_activations();
    check_sigmoid_losses();
    check_gaussian();
    check_latent_layers();
    for (int act = 0; act <= VAE_ACT_SIGMOID; act++) check_model((vae_activation)act, VAE_LIK_BERNOULLI, 0);
    check_model(VAE_ACT_TANH, VAE_LIK_GAUSSIAN, 0);
    check_model(VAE_ACT_TANH, VAE_LIK_GAUSSIAN_LEARNED, 0);
    check_model(VAE_ACT_TANH, VAE_LIK_BERNOULLI, 3);  /* CVAE */
    check_model(VAE_ACT_RELU, VAE_LIK_GAUSSIAN_LEARNED, 4);
    return check_result("test_gradcheck");
}
