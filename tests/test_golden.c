/* Golden test against PyTorch (fixtures from build-scripts/make_golden.py,
 * reference computed in float64): forward outputs, loss, every gradient, and
 * the weights after 5 optimiser steps. Prints the largest difference per
 * tensor, relative to the tensor's largest magnitude. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"

typedef struct {
    char name[96];
    uint32_t n;
    float *v;
} record;

typedef struct {
    record r[128];
    int n;
} fixture;

static int read_u32(FILE *f, uint32_t *v) {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) return 0;
    *v = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

static int load_fixture(const char *path, fixture *fx) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint32_t len;
    fx->n = 0;
    while (fx->n < 128 && read_u32(f, &len)) {
        record *r = &fx->r[fx->n];
        if (len >= sizeof r->name || fread(r->name, 1, len, f) != len || !read_u32(f, &r->n)) break;
        r->name[len] = '\0';
        r->v = malloc((r->n ? r->n : 1) * sizeof(float));
        if (!r->v || fread(r->v, sizeof(float), r->n, f) != r->n) break; /* the fixtures are little-endian like us */
        fx->n++;
    }
    fclose(f);
    return fx->n > 0;
}

static const record *get(const fixture *fx, const char *name) {
    for (int i = 0; i < fx->n; i++)
        if (strcmp(fx->r[i].name, name) == 0) return &fx->r[i];
    fprintf(stderr, "fixture has no record %s\n", name);
    exit(1); /* a broken fixture, not a library error */
}

/* max |a - b| / max |b|, printed, checked against tol */
static void compare(const char *what, const float *a, const float *b, size_t n, double tol) {
    double diff = 0.0, mag = 0.0;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)a[i] - b[i]));
        mag = fmax(mag, fabs((double)b[i]));
    }
    double rel = diff / (mag > 0.0 ? mag : 1.0);
    printf("  %-32s max diff %.3e  relative %.3e\n", what, diff, rel);
    CHECK(rel <= tol, "%s: relative difference %.3e above %.0e", what, rel, tol);
}

static void run_case(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.bin", VAE_TEST_DATA_DIR, name);
    fixture fx;
    CHECK(load_fixture(path, &fx), "cannot read %s", path);
    if (!fx.n) return;
    printf("%s\n", name);

    /* arch record: D h w classes n_enc enc.. n_dec dec.. latent act lik sigma slope */
    const float *a = get(&fx, "arch")->v;
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
        const record *r = get(&fx, key);
        CHECK(r->n == m->t[i].numel, "%s has %u values, want %zu", key, r->n, m->t[i].numel);
        memcpy(m->params + m->t[i].offset, r->v, m->t[i].numel * sizeof(float));
    }

    const float *tr = get(&fx, "train")->v; /* beta opt lr wd clip momentum */
    vae_train_config tc;
    vae_train_config_default(&tc);
    tc.beta = tr[0];
    tc.opt = (vae_optimizer)tr[1];
    tc.lr = tr[2];
    tc.weight_decay = tr[3];
    tc.clip_norm = tr[4];
    tc.momentum = tr[5];

    const float *x = get(&fx, "x")->v, *eps = get(&fx, "eps")->v, *lab = get(&fx, "labels")->v;
    int n = (int)get(&fx, "rec")->n, L = arch.latent, D = m->D;
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
    compare("mu", mu, get(&fx, "mu")->v, (size_t)n * L, 1e-5);
    compare("logvar", logvar, get(&fx, "logvar")->v, (size_t)n * L, 1e-5);
    vae_work *w = vae_work_new(m, n, 0);
    vae_forward(m, w, x, lp, n, eps);
    compare("logits", w->logits, get(&fx, "logits")->v, (size_t)n * D, 1e-5);
    vae_work_free(w);
    compare("rec", rec, get(&fx, "rec")->v, n, 1e-5);
    compare("kl", kl, get(&fx, "kl")->v, n, 1e-5);
    float loss = (float)st.loss;
    compare("loss", &loss, get(&fx, "loss")->v, 1, 1e-5);
    for (int i = 0; i < m->n_tensors; i++) {
        snprintf(key, sizeof key, "grad.%s", m->t[i].name);
        compare(key, vae_trainer_grads(t) + m->t[i].offset, get(&fx, key)->v, m->t[i].numel, 1e-5);
    }

    for (int s = 1; s <= 5; s++)
        CHECK(vae_trainer_step(t, x, lp, n, eps + (size_t)s * n * L, &st, &err) == VAE_OK, "step %d: %s", s, err.msg);
    for (int i = 0; i < m->n_tensors; i++) {
        snprintf(key, sizeof key, "step5.%s", m->t[i].name);
        compare(key, m->params + m->t[i].offset, get(&fx, key)->v, m->t[i].numel, 1e-4);
    }

    free(mu);
    free(rec);
    vae_trainer_free(t);
    vae_model_free(m);
    for (int i = 0; i < fx.n; i++) free(fx.r[i].v);
}

int main(void) {
    run_case("vae_relu_bernoulli");
    run_case("cvae_tanh_gaussian_learned");
    run_case("vae_leaky_gaussian_sgd");
    return check_result("test_golden");
}
