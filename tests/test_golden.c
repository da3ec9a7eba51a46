/* Golden test against PyTorch (fixtures from tools/make_golden.py,
 * reference computed in float64): forward outputs, loss, every gradient, and
 * the weights after 5 optimiser steps. Prints the largest difference per
 * tensor, relative to the tensor's largest magnitude. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "internal.h"

static void run_case(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.bin", VAE_TEST_DATA_DIR, name);
    fixture fx;
    CHECK(fixture_load(path, &fx), "cannot read %s", path);
    const fixture_record *arch_rec = fx.n ? fixture_find(&fx, "arch") : NULL, *train_rec = fixture_find(&fx, "train");
    const fixture_record *rec_rec = fixture_find(&fx, "rec");
    if (!arch_rec || !train_rec || !rec_rec) return;
    printf("%s\n", name);

    /* arch record: D h w classes n_enc enc.. n_dec dec.. latent act lik sigma slope */
    const float *a = arch_rec->v;
    vae_arch arch;
    vae_arch_default(&arch);
    int k = 1;
    arch.image_c = 1;
    arch.image_h = (int)a[k++];
    arch.image_w = (int)a[k++];
    arch.n_classes = (int)a[k++];
    arch.n_enc = (int)a[k++];
    for (int i = 0; i < arch.n_enc; i++) arch.enc_hidden[i] = (int)a[k++];
    arch.n_dec = (int)a[k++];
    for (int i = 0; i < arch.n_dec; i++) arch.dec_hidden[i] = (int)a[k++];
    arch.latent = (int)a[k++];
    arch.act = (vae_activation)a[k++];
    arch.lik = (vae_likelihood)a[k++];
    arch.sigma = a[k++];
    arch.leaky_slope = a[k++];

    vae_model *m;
    vae_error err;
    CHECK(vae_model_create(&m, &arch, &err) == VAE_OK, "create: %s", err.msg);
    char key[128];
    for (int i = 0; i < m->n_tensors; i++) {
        snprintf(key, sizeof key, "init.%s", m->t[i].name);
        const float *v = fixture_get(&fx, key, m->t[i].numel);
        if (v) memcpy(m->params + m->t[i].offset, v, m->t[i].numel * sizeof(float));
    }

    const float *tr = train_rec->v; /* beta opt lr wd clip momentum */
    vae_train_config tc;
    vae_train_config_default(&tc);
    tc.beta = tr[0];
    tc.opt = (vae_optimizer)tr[1];
    tc.lr = tr[2];
    tc.weight_decay = tr[3];
    tc.clip_norm = tr[4];
    tc.momentum = tr[5];

    int n = (int)rec_rec->n, L = arch.latent, D = m->D;
    const float *x = fixture_get(&fx, "x", (size_t)n * D), *eps = fixture_get(&fx, "eps", (size_t)6 * n * L);
    const float *lab = fixture_get(&fx, "labels", (size_t)n);
    if (!x || !eps || !lab) return;
    int labels[64];
    for (int b = 0; b < n; b++) labels[b] = (int)lab[b];
    const int *lp = arch.n_classes ? labels : NULL;

    vae_trainer *t;
    CHECK(vae_trainer_init(&t, m, &tc, &err) == VAE_OK, "trainer: %s", err.msg);
    vae_step_stats st;
    CHECK(vae_trainer_compute_grads(t, x, lp, n, eps, &st, &err) == VAE_OK, "grads: %s", err.msg);

    /* forward outputs through the public entry points */
    float *mu = malloc(sizeof(float) * n * L * 2), *rec = malloc(sizeof(float) * n * 2);
    float *logvar = mu + n * L, *kl = rec + n;
    vae_model_encode(m, x, lp, n, mu, logvar, &err);
    vae_model_loss(m, x, lp, n, eps, rec, kl, &err);
    fixture_compare("mu", mu, fixture_get(&fx, "mu", (size_t)n * L), (size_t)n * L, 1e-5);
    fixture_compare("logvar", logvar, fixture_get(&fx, "logvar", (size_t)n * L), (size_t)n * L, 1e-5);
    vae_work *w = vae_work_new(m, n, 0);
    vae_forward(m, w, x, NULL, lp, n, eps, NULL);
    fixture_compare("logits", w->logits, fixture_get(&fx, "logits", (size_t)n * D), (size_t)n * D, 1e-5);
    vae_work_free(w);
    fixture_compare("rec", rec, fixture_get(&fx, "rec", n), n, 1e-5);
    fixture_compare("kl", kl, fixture_get(&fx, "kl", n), n, 1e-5);
    float loss = (float)st.loss;
    fixture_compare("loss", &loss, fixture_get(&fx, "loss", 1), 1, 1e-5);
    for (int i = 0; i < m->n_tensors; i++) {
        snprintf(key, sizeof key, "grad.%s", m->t[i].name);
        fixture_compare(key, vae_trainer_grads(t) + m->t[i].offset, fixture_get(&fx, key, m->t[i].numel), m->t[i].numel,
                        1e-5);
    }

    for (int s = 1; s <= 5; s++)
        CHECK(vae_trainer_step(t, x, lp, n, eps + (size_t)s * n * L, &st, &err) == VAE_OK, "step %d: %s", s, err.msg);
    for (int i = 0; i < m->n_tensors; i++) {
        snprintf(key, sizeof key, "step5.%s", m->t[i].name);
        fixture_compare(key, m->params + m->t[i].offset, fixture_get(&fx, key, m->t[i].numel), m->t[i].numel, 1e-4);
    }

    free(mu);
    free(rec);
    vae_trainer_free(t);
    vae_model_free(m);
    fixture_free(&fx);
}

int main(void) {
    run_case("vae_relu_bernoulli");
    run_case("cvae_tanh_gaussian_learned");
    run_case("vae_leaky_gaussian_sgd");
    run_case("vae_identity_student_t");
    return check_result("test_golden");
}
