/* The character-level word VAE (models/words.h): finite-difference gradients
 * of the whole loss (VAE with character dropout and beta < 1, and the
 * language model without a latent) on a ragged batch, the input errors, and
 * a small model that learns to reconstruct a handful of words. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fdcheck.h"
#include "models/words.h"

static const char *batch[] = {"cat", "horse", "a", "zebra", "dog"};

/* The loss (~19 nats) is summed from float32 cross-entropies, which leaves
 * ~5e-5 of noise in a central difference at h = 1e-2 (the layers' own
 * checks and the PyTorch golden test are the tight ones); a wrong gradient
 * is off by far more. */
#define FD_TOL 5e-3

typedef struct {
    vae_words *m;
    float beta, dropout;
} words_ctx;

/* The same eps and dropout on every call: a fixed seed. */
static double words_loss(void *p) {
    words_ctx *c = p;
    vae_rng rng;
    vae_rng_seed(&rng, 7);
    vae_words_stats st;
    vae_words_compute_grads(c->m, batch, 5, c->beta, c->dropout, &rng, &st, NULL);
    return st.loss;
}

static void check_grads(int latent) {
    printf("%s\n", latent ? "word VAE" : "character language model");
    vae_words_arch a = {.embed = 3, .hidden = 4, .latent = latent, .max_len = 6};
    words_ctx c = {NULL, 0.7f, 0.3f};
    vae_error err;
    CHECK(vae_words_create(&c.m, &a, 8, 3, &err) == VAE_OK, "create: %s", err.msg);
    if (!c.m) return;
    size_t n = vae_words_param_count(c.m);
    float *g = malloc(n * sizeof *g);
    words_loss(&c);
    memcpy(g, vae_words_grads(c.m), n * sizeof *g);
    fd_check("every parameter", vae_words_params(c.m), n, g, words_loss, &c, 1e-2f, FD_TOL, 0);
    free(g);
    vae_words_free(c.m);
}

static void check_errors(void) {
    vae_words_arch a = {.embed = 4, .hidden = 8, .latent = 2, .max_len = 5};
    vae_words *m;
    vae_error err;
    CHECK(vae_words_create(&m, &a, 4, 1, &err) == VAE_OK, "create: %s", err.msg);
    struct {
        const char *word, *msg;
    } bad[] = {{"", "empty word"},
               {"toolong", "word of 7 characters is longer than the model's limit 5"},
               {"it's", "character 3 (byte 0x27) is not in the vocabulary a-z"},
               {"Cat", "character 1 (byte 0x43) is not in the vocabulary a-z"}};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(vae_words_check(m, bad[i].word, strlen(bad[i].word), &err) == VAE_ERR_ARG, "'%s' accepted", bad[i].word);
        CHECK(!strcmp(err.msg, bad[i].msg), "'%s': message '%s'", bad[i].word, err.msg);
    }
    const char *words[] = {"ok", "no1"};
    vae_rng rng;
    vae_rng_seed(&rng, 1);
    float rec[2], kl[2];
    CHECK(vae_words_eval(m, words, 2, &rng, rec, kl, NULL, &err) == VAE_ERR_ARG &&
              !strcmp(err.msg, "word 2: character 3 (byte 0x31) is not in the vocabulary a-z"),
          "batch error: %s", err.msg);
    CHECK(vae_words_eval(m, words, 5, &rng, rec, kl, NULL, &err) == VAE_ERR_ARG, "batch over capacity accepted");
    vae_words_free(m);
}

/* Eight words, 400 Adam steps with KL annealing over 300 and character
 * dropout (without it the decoder learns the eight words alone and the
 * latent collapses): the greedy decoding of every code gives its word back. */
static void check_learns(void) {
    static const char *words[] = {"apple", "berry", "cherry", "date", "elder", "fig", "grape", "kiwi"};
    vae_words_arch a = {.embed = 8, .hidden = 32, .latent = 4, .max_len = 8};
    vae_words *m;
    vae_error err;
    CHECK(vae_words_create(&m, &a, 8, 5, &err) == VAE_OK, "create: %s", err.msg);
    vae_train_config c;
    vae_train_config_default(&c);
    c.lr = 1e-2f;
    c.clip_norm = 5.0f;
    vae_rng rng;
    vae_rng_seed(&rng, 2);
    vae_words_stats st = {0}, first = {0};
    for (int s = 0; s < 400; s++) {
        CHECK(vae_words_train_step(m, words, 8, s < 300 ? s / 300.0f : 1.0f, 0.3f, &c, &rng, &st, &err) == VAE_OK,
              "step %d: %s", s, err.msg);
        if (!s) first = st;
    }
    float rec[8], kl[8];
    int correct[8], right = 0;
    CHECK(vae_words_eval(m, words, 8, &rng, rec, kl, correct, &err) == VAE_OK, "eval: %s", err.msg);
    for (int b = 0; b < 8; b++) right += correct[b];
    printf("learning: loss %.2f -> %.2f nats per word (rec %.2f, kl %.2f), %d/8 reconstructed\n", first.loss, st.loss,
           st.rec, st.kl, right);
    CHECK(right == 8 && st.kl > 1.0, "%d/8 words reconstructed, KL %g", right, st.kl);
    vae_words_free(m);
}

int main(void) {
    check_grads(2);
    check_grads(0);
    check_errors();
    check_learns();
    return check_result("test_words");
}
