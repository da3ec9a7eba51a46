/* Training behaviour: bit-identical weights for the same seed, rejection of
 * non-finite steps with the weights untouched, the generator's fixed
 * sequence, KL warm-up, gradient clipping (an SGD step of exactly the clipped
 * length), and a loss that goes down. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "internal.h"

enum { D = 36, N = 64, BATCH = 16 };

static float data[N * D];
static int labels[N];

/* Bars and blobs on a 6x6 grid: enough structure for a VAE to learn. */
static void make_data(void) {
    vae_rng r;
    vae_rng_seed(&r, 99);
    for (int i = 0; i < N; i++) {
        labels[i] = i % 3;
        for (int p = 0; p < D; p++) {
            int row = p / 6, col = p % 6;
            float on = labels[i] == 0 ? row == i % 6 : labels[i] == 1 ? col == i % 6 : (row + col) % 3 == i % 3;
            data[i * D + p] = on ? 0.9f + 0.1f * vae_rng_uniform(&r) : 0.1f * vae_rng_uniform(&r);
        }
    }
}

static vae_model *small_model(int classes, uint64_t seed) {
    vae_arch a;
    vae_arch_default(&a);
    a.image_h = a.image_w = 6;
    a.enc_hidden[0] = a.dec_hidden[0] = 32;
    a.latent = 4;
    a.n_classes = classes;
    vae_model *m = NULL;
    vae_error err;
    CHECK(vae_model_init(&m, &a, seed, &err) == VAE_OK, "init: %s", err.msg);
    return m;
}

/* Trains `epochs` over the data with the trainer's own eps; returns the last epoch's mean loss. */
static double train(vae_model *m, const vae_train_config *c, int epochs, int conditional) {
    vae_trainer *t;
    vae_error err;
    CHECK(vae_trainer_init(&t, m, c, &err) == VAE_OK, "trainer: %s", err.msg);
    double mean = 0.0;
    for (int e = 0; e < epochs; e++) {
        mean = 0.0;
        for (int b = 0; b < N; b += BATCH) {
            vae_step_stats st;
            CHECK(vae_trainer_step(t, data + b * D, conditional ? labels + b : NULL, BATCH, NULL, &st, &err) == VAE_OK,
                  "step: %s", err.msg);
            mean += st.loss * BATCH / N;
        }
    }
    vae_trainer_free(t);
    return mean;
}

static void check_rng(void) {
    vae_rng r;
    vae_rng_seed(&r, 1);
    /* Pinned values: the same on every platform (wasm included) forever. */
    uint32_t u[3] = {vae_rng_u32(&r), vae_rng_u32(&r), vae_rng_u32(&r)};
    printf("rng seed 1: %u %u %u\n", u[0], u[1], u[2]);
    CHECK(u[0] == 1695105466u && u[1] == 1423115009u && u[2] == 634581793u, "u32 sequence changed");
    vae_rng_seed(&r, 1);
    float z[4];
    vae_rng_normals(&r, z, 4);
    printf("normals seed 1: %.9g %.9g %.9g %.9g\n", z[0], z[1], z[2], z[3]);
    CHECK(z[0] == -1.01730072f && z[3] == -0.441638052f, "normal sequence changed");

    /* moments of 200k normals, and below() stays in range */
    double s = 0, s2 = 0;
    for (int i = 0; i < 200000; i++) {
        double v = vae_rng_normal(&r);
        s += v;
        s2 += v * v;
    }
    CHECK(fabs(s / 200000) < 0.01 && fabs(s2 / 200000 - 1.0) < 0.01, "normal mean %g var %g", s / 200000, s2 / 200000);
    int perm[10], seen[10] = {0};
    vae_rng_permutation(&r, perm, 10);
    for (int i = 0; i < 10; i++) seen[perm[i]]++;
    for (int i = 0; i < 10; i++) CHECK(seen[i] == 1, "permutation misses %d", i);
}

static void check_determinism(void) {
    vae_train_config c;
    vae_train_config_default(&c);
    c.seed = 5;
    vae_model *a = small_model(3, 11), *b = small_model(3, 11), *d = small_model(3, 11);
    train(a, &c, 3, 1);
    train(b, &c, 3, 1);
    c.seed = 6;
    train(d, &c, 3, 1);
    size_t bytes = vae_model_param_count(a) * sizeof(float);
    CHECK(memcmp(vae_model_params(a), vae_model_params(b), bytes) == 0, "same seed, different weights");
    CHECK(memcmp(vae_model_params(a), vae_model_params(d), bytes) != 0, "different seed, same weights");
    vae_model_free(a);
    vae_model_free(b);
    vae_model_free(d);
}

static void check_nonfinite_rejected(void) {
    vae_model *m = small_model(0, 3);
    vae_train_config c;
    vae_train_config_default(&c);
    vae_trainer *t;
    vae_trainer_init(&t, m, &c, NULL);
    vae_step_stats st;
    vae_error err;
    CHECK(vae_trainer_step(t, data, NULL, BATCH, NULL, &st, &err) == VAE_OK, "%s", err.msg);
    /* exp(logvar) overflows: the KL is infinite */
    int lb = vae_model_find_tensor(m, "encoder.logvar.bias");
    vae_model_params(m)[m->t[lb].offset] = 200.0f;
    size_t bytes = vae_model_param_count(m) * sizeof(float);
    float *before = malloc(bytes);
    memcpy(before, vae_model_params(m), bytes);
    vae_status s = vae_trainer_step(t, data, NULL, BATCH, NULL, &st, &err);
    printf("non-finite step: %s: %s\n", vae_status_name(s), err.msg);
    CHECK(s == VAE_ERR_NONFINITE, "got %s", vae_status_name(s));
    CHECK(memcmp(before, vae_model_params(m), bytes) == 0, "weights changed by a rejected step");
    CHECK(vae_trainer_steps(t) == 1, "rejected step was counted");
    /* non-finite input is refused up front */
    float bad[D * 1];
    memcpy(bad, data, sizeof bad);
    bad[5] = NAN;
    CHECK(vae_trainer_step(t, bad, NULL, 1, NULL, &st, &err) == VAE_ERR_NONFINITE, "NaN pixel accepted");
    /* the check itself (SIMD, four at a time): each kind of bad value at
     * every place of short arrays, each tail of the vectors */
    const float nonfinite[] = {NAN, INFINITY, -INFINITY};
    for (size_t count = 1; count <= 9; count++)
        for (size_t at = 0; at < count; at++)
            for (int k = 0; k < 3; k++) {
                float v[9] = {0.5f, -1.0f, 3e38f, -3e38f, 1e-45f, 0.0f, -0.0f, 2.0f, 7.0f};
                v[at] = nonfinite[k];
                char want[64];
                snprintf(want, sizeof want, "x value %zu is not a finite number", at);
                CHECK(vae_check_finite(v, count, "x", &err) == VAE_ERR_NONFINITE && !strcmp(err.msg, want),
                      "%g at %zu of %zu not found: %s", (double)nonfinite[k], at, count, err.msg);
                CHECK(vae_check_finite(v, at, "x", &err) == VAE_OK, "the %zu values before %g refused", at,
                      (double)nonfinite[k]);
            }
    free(before);
    vae_trainer_free(t);
    vae_model_free(m);
}

static void check_warmup_and_clip(void) {
    vae_model *m = small_model(0, 4);
    vae_train_config c;
    vae_train_config_default(&c);
    c.beta = 2.0f;
    c.warmup_steps = 4;
    c.clip_norm = 0.5f;
    vae_trainer *t;
    vae_trainer_init(&t, m, &c, NULL);
    float want[6] = {0.5f, 1.0f, 1.5f, 2.0f, 2.0f, 2.0f};
    for (int s = 0; s < 6; s++) {
        vae_step_stats st;
        vae_trainer_step(t, data, NULL, BATCH, NULL, &st, NULL);
        CHECK(st.beta_used == want[s], "step %d beta %g want %g", s, st.beta_used, want[s]);
    }
    /* after clipping to 0.5, the Adam update is the same as for the unclipped
     * gradient scaled down: just check it ran and the norm was above the clip */
    vae_step_stats st;
    vae_trainer_compute_grads(t, data, NULL, BATCH, NULL, &st, NULL);
    CHECK(st.grad_norm > 0.5, "gradient norm %g: clip not exercised", st.grad_norm);
    vae_trainer_free(t);
    vae_model_free(m);
}

/* One plain SGD step (no momentum, no decay) with a clip below and one above
 * the gradient norm G: p1 = p0 - lr * s * g, s = clip / (G + 1e-6) when
 * G > clip, else 1, element by element as sgd_update rounds it; so the step
 * has length lr * min(G, clip). The same eps each time, so the step's own
 * gradient is the one computed first. */
static void check_sgd_clip(void) {
    enum { L = 4 };
    float eps[BATCH * L];
    vae_rng r;
    vae_rng_seed(&r, 17);
    vae_rng_normals(&r, eps, BATCH * L);
    const float lr = 0.1f;
    for (int clipped = 1; clipped >= 0; clipped--) {
        vae_model *m = small_model(0, 4);
        size_t n = vae_model_param_count(m);
        vae_train_config c;
        vae_train_config_default(&c);
        c.opt = VAE_OPT_SGD;
        c.lr = lr;
        vae_trainer *t;
        vae_error err;
        vae_step_stats st;
        vae_trainer_init(&t, m, &c, NULL);
        CHECK(vae_trainer_compute_grads(t, data, NULL, BATCH, eps, &st, &err) == VAE_OK, "%s", err.msg);
        double G = st.grad_norm;
        vae_trainer_free(t);
        c.clip_norm = clipped ? (float)(G / 8) : (float)(G * 2);
        vae_trainer_init(&t, m, &c, NULL);
        float *p0 = malloc(n * sizeof *p0), *g = malloc(n * sizeof *g);
        memcpy(p0, vae_model_params(m), n * sizeof *p0);
        vae_trainer_compute_grads(t, data, NULL, BATCH, eps, &st, NULL);
        memcpy(g, vae_trainer_grads(t), n * sizeof *g);
        CHECK(vae_trainer_step(t, data, NULL, BATCH, eps, &st, &err) == VAE_OK, "%s", err.msg);
        CHECK(st.grad_norm == G, "the step's gradient norm %.9g, not %.9g", st.grad_norm, G);
        float scale = clipped ? (float)(c.clip_norm / (G + 1e-6)) : 1.0f;
        const float *p1 = vae_model_params(m);
        size_t differ = 0;
        double len = 0.0;
        for (size_t i = 0; i < n; i++) {
            differ += p1[i] != p0[i] - lr * (g[i] * scale);
            len += ((double)p1[i] - p0[i]) * ((double)p1[i] - p0[i]);
        }
        len = sqrt(len);
        double want = lr * (clipped ? c.clip_norm : G);
        printf("sgd step, clip %s: |g| %.6g, clip %.6g, step length %.6g (lr * %.6g), %zu of %zu weights off\n",
               clipped ? "below |g|" : "above |g|", G, c.clip_norm, len, len / lr, differ, n);
        CHECK(differ == 0, "%zu of %zu weights are not p - lr * scale * g", differ, n);
        CHECK(fabs(len - want) <= 1e-4 * want, "step length %.9g, want %.9g", len, want);
        free(p0);
        free(g);
        vae_trainer_free(t);
        vae_model_free(m);
    }
}

static void check_learning(void) {
    vae_train_config c;
    vae_train_config_default(&c);
    for (int opt = 0; opt < 2; opt++) {
        c.opt = (vae_optimizer)opt;
        c.lr = opt ? 0.05f : 3e-3f;
        c.momentum = opt ? 0.9f : 0.0f;
        vae_model *m = small_model(0, 8);
        double first = train(m, &c, 1, 0);
        vae_model_free(m);
        m = small_model(0, 8);
        double last = train(m, &c, 60, 0);
        printf("%s: epoch 1 loss %.3f, epoch 60 loss %.3f\n", opt ? "sgd" : "adam", first, last);
        CHECK(last < 0.8 * first, "loss did not go down: %g -> %g", first, last);
        vae_model_free(m);
    }
}

/* The training options JSON vae.js sends: every key lands in its field,
 * defaults stay, and a bad key or value is a readable VAE_ERR_ARG. */
static void check_config_json(void) {
    vae_train_config c, d;
    vae_error e;
    const char *all = "{\"optimizer\":\"sgd\",\"lr\":0.5,\"betas\":[0.25,0.75],\"eps\":0.125,\"weightDecay\":2,"
                      "\"momentum\":0.5,\"clip\":3,\"beta\":4,\"warmupSteps\":7,\"noise\":\"gaussian\","
                      "\"noiseLevel\":0.3,\"sparsity\":\"kl\",\"sparsityWeight\":5,\"rho\":0.05,\"contractive\":6}";
    CHECK(vae_train_config_from_json(all, strlen(all), &c, &e) == VAE_OK, "%s", e.msg);
    vae_train_config_default(&d);
    d.opt = VAE_OPT_SGD, d.lr = 0.5f, d.adam_beta1 = 0.25f, d.adam_beta2 = 0.75f, d.adam_eps = 0.125f;
    d.weight_decay = 2, d.momentum = 0.5f, d.clip_norm = 3, d.beta = 4, d.warmup_steps = 7;
    d.noise = VAE_NOISE_GAUSSIAN, d.noise_level = 0.3f, d.sparsity = VAE_SPARSITY_KL, d.sparsity_weight = 5;
    d.sparsity_rho = 0.05f, d.contractive = 6;
    CHECK(!memcmp(&c, &d, sizeof c), "every key sets its field");
    CHECK(vae_train_config_from_json("{}", 2, &c, &e) == VAE_OK, "%s", e.msg);
    vae_train_config_default(&d);
    CHECK(!memcmp(&c, &d, sizeof c), "{} is the default config");
    static const char *const bad[][2] = {
        {"{\"betas\":[0.9]}", "training options: \"betas\" must be [beta1, beta2]"},
        {"{\"betas\":0.9}", "training options: \"betas\" must be [beta1, beta2]"},
        {"{\"eps\":\"1e-8\"}", "training options: \"eps\" must be a number"},
        {"{\"optimizer\":\"adamw\"}", "training options: \"optimizer\" must be \"adam\" or \"sgd\""},
        {"{\"warmupSteps\":-1}", "training options: \"warmupSteps\" must be a non-negative integer"},
        {"{\"lr\":1,\"lr\":2}", "training options: duplicate key \"lr\""},
        {"{\"learningRate\":1}", "training options: unknown key \"learningRate\""},
        {"[]", "training options are not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vae_status s = vae_train_config_from_json(bad[i][0], strlen(bad[i][0]), &c, &e);
        CHECK(s == VAE_ERR_ARG && !strcmp(e.msg, bad[i][1]), "%s: %s %s", bad[i][0], vae_status_name(s), e.msg);
    }
    CHECK(vae_train_config_from_json("{\"lr\":", 6, &c, &e) == VAE_ERR_ARG && !strncmp(e.msg, "training options", 16),
          "malformed JSON: %s", e.msg);
}

enum { MAX_SHARES = 4 };

/* The data-parallel step as vae.js's workers and `vae train --threads` run
 * it: the coordinator t draws, replica r[i] (a trainer of the same model,
 * synced) computes share i, t sums and steps. */
static void train_shares(vae_model *m, const vae_train_config *c, int epochs, int shares) {
    vae_trainer *t, *r[MAX_SHARES];
    vae_error err;
    size_t np = vae_model_param_count(m);
    float *g[MAX_SHARES], eps[BATCH * 4], noisy[BATCH * D];
    vae_share_sums sums[MAX_SHARES];
    CHECK(vae_trainer_init(&t, m, c, &err) == VAE_OK, "trainer: %s", err.msg);
    for (int i = 0; i < shares; i++) {
        CHECK(vae_trainer_init(&r[i], m, c, &err) == VAE_OK, "replica: %s", err.msg);
        g[i] = malloc(np * sizeof(float));
    }
    for (int e = 0; e < epochs; e++)
        for (int b = 0; b < N; b += BATCH) {
            const float *x = data + b * D;
            CHECK(vae_trainer_eps_count(t, NULL, BATCH) == BATCH * 4, "eps count");
            CHECK(vae_trainer_draw(t, x, NULL, BATCH, eps, noisy, &err) == VAE_OK, "draw: %s", err.msg);
            for (int i = 0, first; i < shares; i++) {
                int n = vae_batch_share(BATCH, shares, i, &first);
                CHECK(vae_trainer_sync(r[i], NULL, vae_trainer_steps(t), &err) == VAE_OK, "sync: %s", err.msg);
                CHECK(vae_trainer_share_grads(r[i], x + first * D, c->noise ? noisy + first * D : NULL, NULL, n, BATCH,
                                              eps + first * 4, g[i], &sums[i], &err) == VAE_OK,
                      "share %d: %s", i, err.msg);
            }
            CHECK(vae_trainer_apply(t, g, sums, shares, NULL, &err) == VAE_OK, "apply: %s", err.msg);
        }
    for (int i = 0; i < shares; i++) {
        vae_trainer_free(r[i]);
        free(g[i]);
    }
    vae_trainer_free(t);
}

/* Shares: 1 is vae_trainer_step bit for bit; the same N gives the same
 * bits; N > 1 agrees with N = 1 to rounding; the shares are summed in the
 * documented tree. */
static void check_shares(void) {
    vae_train_config c;
    vae_train_config_default(&c);
    c.seed = 7, c.noise = VAE_NOISE_GAUSSIAN, c.noise_level = 0.2f, c.warmup_steps = 6, c.clip_norm = 5.0f;
    vae_model *one = small_model(0, 3), *s1 = small_model(0, 3), *s4 = small_model(0, 3), *s4b = small_model(0, 3);
    train(one, &c, 3, 0);
    train_shares(s1, &c, 3, 1);
    train_shares(s4, &c, 3, 4);
    train_shares(s4b, &c, 3, 4);
    size_t np = vae_model_param_count(one);
    const float *p1 = vae_model_params(one), *q4 = vae_model_params(s4);
    CHECK(!memcmp(p1, vae_model_params(s1), np * sizeof(float)), "1 share differs from vae_trainer_step");
    CHECK(!memcmp(q4, vae_model_params(s4b), np * sizeof(float)), "4 shares: two runs differ");
    double diff = 0.0;
    for (size_t i = 0; i < np; i++) diff = fmax(diff, fabs((double)p1[i] - q4[i]));
    printf("4 shares vs 1 after 3 epochs of %d steps: max weight difference %.3g\n", N / BATCH, diff);
    CHECK(diff > 0.0 && diff < 1e-4, "4 shares vs 1: max difference %g", diff);

    /* the tree, (g0 + g1) + (g2 + g3): both cases are 0 so, and 1e-8 summed
     * one by one (in {0, 1, 2, 3} or in {0, 1, 3, 2} order) */
    static const float cases[2][4] = {{1.0f, 1e-8f, -1.0f, 1e-8f}, {1e-8f, 1.0f, 1e-8f, -1.0f}};
    vae_trainer *t;
    vae_error err;
    CHECK(vae_trainer_init(&t, s1, &c, &err) == VAE_OK, "trainer: %s", err.msg);
    for (int k = 0; k < 2; k++) {
        float *big[4];
        vae_share_sums sums[4] = {{0}};
        for (int i = 0; i < 4; i++) {
            big[i] = calloc(np, sizeof(float));
            big[i][0] = cases[k][i];
            sums[i].n = 1;
        }
        CHECK(vae_trainer_apply(t, big, sums, 4, NULL, &err) == VAE_OK, "apply: %s", err.msg);
        CHECK(big[0][0] == 0.0f && sums[0].n == 4, "case %d: not the fixed tree: %g", k, big[0][0]);
        for (int i = 0; i < 4; i++) free(big[i]);
    }
    /* the norm of 2 and 3 shares' total (summed in four lanes) is the total's */
    for (int shares = 2; shares <= 3; shares++) {
        float *g[3];
        vae_share_sums sums[3] = {{0}};
        for (int i = 0; i < shares; i++) {
            g[i] = malloc(np * sizeof(float));
            for (size_t k = 0; k < np; k++) g[i][k] = (float)sin(0.37 * (double)k + i) * 1e-3f;
            sums[i].n = 1;
        }
        double want = 0.0;
        for (size_t k = 0; k < np; k++) {
            float v = shares == 2 ? g[0][k] + g[1][k] : (g[0][k] + g[1][k]) + g[2][k];
            want += (double)v * v;
        }
        vae_step_stats st;
        CHECK(vae_trainer_apply(t, g, sums, shares, &st, &err) == VAE_OK, "apply: %s", err.msg);
        CHECK(fabs(st.grad_norm - sqrt(want)) <= 1e-12 * sqrt(want), "%d shares: gradient norm %.17g, not %.17g",
              shares, st.grad_norm, sqrt(want));
        for (int i = 0; i < shares; i++) free(g[i]);
    }
    int first, cnt = vae_batch_share(10, 4, 3, &first);
    CHECK(cnt == 3 && first == 7 && vae_batch_share(2, 4, 2, &first) == 0, "batch shares");
    vae_trainer_free(t);
    vae_model_free(one);
    vae_model_free(s1);
    vae_model_free(s4);
    vae_model_free(s4b);
}

/* z [n, 4] decoded by m, and by a fresh load of m's weights as they are
 * now: the same bits, or the packed copy of the weights is stale. */
static void check_decode_current(vae_model *m, int n, const char *after) {
    float z[8 * 4], out[8 * D], fresh[8 * D];
    uint8_t *buf = NULL;
    size_t len = 0;
    vae_model *copy = NULL;
    vae_error err;
    for (int i = 0; i < n * 4; i++) z[i] = sinf((float)i);
    CHECK(vae_model_decode(m, z, NULL, n, out, &err) == VAE_OK, "decode: %s", err.msg);
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, NULL, 0, &buf, &len, &err) == VAE_OK, "save: %s", err.msg);
    CHECK(vae_model_load(&copy, buf, len, &err) == VAE_OK, "load: %s", err.msg);
    CHECK(copy && vae_model_decode(copy, z, NULL, n, fresh, &err) == VAE_OK, "decode: %s", err.msg);
    CHECK(!memcmp(out, fresh, sizeof(float) * n * D), "decoding %d after %s: not the bits of the new weights", n,
          after);
    vae_model_free(copy);
    vae_buffer_free(buf);
}

/* The weights packed for the matrix kernels (at the first decode) follow
 * every change: a training step, a write through vae_model_tensor. 2
 * latents take the packed panels (below 4 rows), 8 the dense tiles. */
static void check_packed_follows_weights(void) {
    vae_model *m = small_model(0, 5);
    vae_train_config c;
    vae_train_config_default(&c);
    check_decode_current(m, 2, "init");
    train(m, &c, 1, 0);
    check_decode_current(m, 2, "training");
    check_decode_current(m, 8, "training");
    vae_tensor t;
    vae_error err;
    CHECK(vae_model_tensor(m, vae_model_find_tensor(m, "decoder.layers.0.weight"), &t, &err) == VAE_OK, "%s", err.msg);
    t.data[0] += 0.5f;
    check_decode_current(m, 2, "a write through vae_model_tensor");
    vae_model_free(m);
}

int main(void) {
    make_data();
    check_packed_follows_weights();
    check_rng();
    check_determinism();
    check_nonfinite_rejected();
    check_warmup_and_clip();
    check_sgd_clip();
    check_learning();
    check_config_json();
    check_shares();
    return check_result("test_train");
}
