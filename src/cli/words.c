/* `vae train --words FILE`: the character-level word VAE (models/words.h)
 * on a word list, one word a line; 5% of the words (a seeded draw) held out.
 * Each epoch prints the held-out bound on -log p(word) (reconstruction + KL,
 * one z per word), its KL and the share of held-out words that the greedy
 * decoding of their mean code gives back. --latent 0 trains the language
 * model of the same size (its NLL is the baseline for the VAE's bound). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "models/words.h"

enum { EVAL_BATCH = 256 };

typedef struct {
    char **w;
    int n;
} word_list;

/* The file's words; a line that is not one (empty, a character outside a-z,
 * longer than the limit) is a one-line error naming it, or with skip counted. */
static word_list read_words(const char *path, const vae_words *m, int skip, int *skipped) {
    size_t len;
    char *text = (char *)cli_read_file(path, &len), *end = text + len;
    word_list l = {cli_alloc(len / 2 + 1, sizeof(char *)), 0};
    *skipped = 0;
    int line = 0;
    for (char *p = text; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        line++;
        size_t n = (size_t)(e - p);
        if (n && p[n - 1] == '\r') n--;
        vae_error err;
        if (vae_words_check(m, p, n, &err)) {
            if (!skip) cli_die(EXIT_RUNTIME, "%s:%d: %s (--skip-invalid drops such lines)", path, line, err.msg);
            ++*skipped;
        } else {
            l.w[l.n] = cli_alloc(n + 1, 1);
            memcpy(l.w[l.n++], p, n);
        }
        p = e + 1;
    }
    free(text);
    return l;
}

/* Held-out sums over the test words. */
typedef struct {
    double rec, kl;
    int correct;
} eval_sums;

static eval_sums evaluate(vae_words *m, char **words, int n, int latent) {
    eval_sums s = {0};
    float rec[EVAL_BATCH], kl[EVAL_BATCH];
    int correct[EVAL_BATCH];
    vae_rng rng;
    vae_rng_seed(&rng, VAE_EVAL_SEED);
    for (int i = 0; i < n; i += EVAL_BATCH) {
        int nb = n - i < EVAL_BATCH ? n - i : EVAL_BATCH;
        vae_error err;
        if (vae_words_eval(m, (const char *const *)words + i, nb, &rng, rec, kl, latent ? correct : NULL, &err))
            cli_die_lib("evaluation", &err);
        for (int b = 0; b < nb; b++) s.rec += rec[b], s.kl += kl[b], s.correct += latent && correct[b];
    }
    return s;
}

int cmd_train_words(int argc, char **argv) {
    const char *path = NULL;
    int embed = 32, hidden = 128, latent = 16, max_len = 24, epochs = 10, batch = 64, warmup = 2, quiet = 0;
    int skip = 0, show = 8;
    float lr = 2e-3f, clip = 5.0f, dropout = 0.3f;
    uint64_t seed = 1;
    cli_opt opts[] = {
        CLI_STR("words", path, "FILE", "word list, one lowercase a-z word a line"),
        CLI_FLAG("skip-invalid", skip, "drop lines that are not such words instead of failing"),
        CLI_INT("embed", embed, "N", "character embedding size", 1, 1024),
        CLI_INT("hidden", hidden, "N", "LSTM units (encoder: per direction)", 1, 4096),
        CLI_INT("latent", latent, "N", "latent dimensions; 0: a language model without a latent", 0, 1024),
        CLI_INT("max-len", max_len, "N", "longest word the model reads", 1, 256),
        CLI_INT("epochs", epochs, "N", "passes over the training words", 0, 1e7),
        CLI_INT("batch", batch, "N", "words per step", 1, 65536),
        CLI_FLOAT("lr", lr, "R", "Adam learning rate", 0, 1e3),
        CLI_FLOAT("clip", clip, "NORM", "clip the global gradient norm; 0 = off", 0, 1e9),
        CLI_FLOAT("dropout", dropout, "P", "character dropout of the decoder's input (teacher forcing)", 0, 1),
        CLI_INT("warmup-epochs", warmup, "E", "ramp the KL weight up from 0 to 1 over E epochs", 0, 1e6),
        CLI_INT("show", show, "N", "held-out words shown with their reconstructions at the end", 0, 1000),
        CLI_U64("seed", seed, "S", "seed: weights from S, the split from S+1, training from S+2"),
        CLI_FLAG("quiet", quiet, "print nothing but errors and warnings"),
    };
    cli_cmd cmd = {
        "train", "--words FILE [options]",
        "Trains the character-level word VAE (Bowman et al. 2016 on characters): an\n"
        "embedding and a bidirectional LSTM encode a word into mu and logvar; the decoder\n"
        "LSTM starts from z and reads z beside every character (teacher forcing with\n"
        "character dropout); the KL weight is annealed from 0. 5% of the words are held\n"
        "out. Per epoch: the held-out bound on -log p(word) in nats (reconstruction + KL,\n"
        "one z per word), the KL, and the held-out words that greedy decoding of their\n"
        "mean code gives back. --latent 0 trains the same decoder as a language model.",
        opts, CLI_OPT_COUNT(opts),
    };
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "words");

    vae_words_arch a = {.embed = embed, .hidden = hidden, .latent = latent, .max_len = max_len};
    vae_words *m;
    vae_error err;
    if (vae_words_create(&m, &a, batch > EVAL_BATCH ? batch : EVAL_BATCH, seed, &err)) cli_die_lib("model", &err);
    int skipped;
    word_list all = read_words(path, m, skip, &skipped);
    if (all.n < 2) cli_die(EXIT_RUNTIME, "%s: %d usable words; need at least 2", path, all.n);

    /* a seeded shuffle; its first 5% (at least one word) are held out */
    int *perm = cli_alloc((size_t)all.n, sizeof(int));
    vae_rng rng;
    vae_rng_seed(&rng, seed + 1);
    vae_rng_permutation(&rng, perm, all.n);
    int n_test = all.n / 20 ? all.n / 20 : 1, n_train = all.n - n_test;
    char **test = cli_alloc((size_t)n_test, sizeof(char *)), **train = cli_alloc((size_t)n_train, sizeof(char *));
    for (int i = 0; i < all.n; i++) {
        if (i < n_test)
            test[i] = all.w[perm[i]];
        else
            train[i - n_test] = all.w[perm[i]];
    }
    int steps_per_epoch = (n_train + batch - 1) / batch;
    int64_t warm_steps = (int64_t)warmup * steps_per_epoch, step = 0;
    char num[32], num2[32];
    if (!quiet) {
        printf("data     %s: %s training words, %s held out", cli_basename(path), cli_fmt_count(num, (uint64_t)n_train),
               cli_fmt_count(num2, (uint64_t)n_test));
        if (skipped) printf(" (%d lines skipped)", skipped);
        printf("\nmodel    word %s, embedding %d, LSTM %d, latent %d, words up to %d; %s parameters\n",
               latent ? "VAE" : "language model", embed, hidden, latent, max_len,
               cli_fmt_count(num, vae_words_param_count(m)));
        printf("training %d epochs x %d steps of %d, adam lr %g, clip %g, dropout %g, KL warm-up %d epochs, seed %llu\n\n",
               epochs, steps_per_epoch, batch, lr, clip, dropout, warmup, (unsigned long long)seed);
        printf("%7s %11s %11s %10s %10s %9s %9s %11s\n", "epoch", "train loss", "test NLL<=", "rec", "KL", "recon",
               "words/s", "elapsed");
        fflush(stdout);
    }

    vae_train_config c;
    vae_train_config_default(&c);
    c.lr = lr;
    c.clip_norm = clip;
    vae_rng_seed(&rng, seed + 2);
    double t_start = cli_now();
    int nonfinite = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        double t_epoch = cli_now(), t_shown = 0, loss_sum = 0;
        int seen = 0;
        vae_rng_permutation(&rng, perm, n_train);
        char **order = cli_alloc((size_t)batch, sizeof(char *));
        for (int i = 0; i < n_train; i += batch) {
            cli_check_interrupt();
            int nb = n_train - i < batch ? n_train - i : batch;
            for (int b = 0; b < nb; b++) order[b] = train[perm[i + b]];
            float beta = warm_steps > 0 && step < warm_steps ? (float)step / (float)warm_steps : 1.0f;
            vae_words_stats st;
            vae_status s = vae_words_train_step(m, (const char *const *)order, nb, beta, dropout, &c, &rng, &st, &err);
            if (s == VAE_ERR_NONFINITE && ++nonfinite < VAE_MAX_NONFINITE_RUN) continue;
            if (s == VAE_ERR_NONFINITE)
                cli_die(EXIT_RUNTIME, "training diverged: %d non-finite steps in a row (try a lower --lr or --clip)",
                        VAE_MAX_NONFINITE_RUN);
            if (s) cli_die_lib("training step", &err);
            nonfinite = 0;
            step++;
            loss_sum += st.loss * nb;
            seen += nb;
            double now = cli_now();
            if (!quiet && now - t_shown > 0.1) {
                t_shown = now;
                cli_progress("epoch %d/%d  %3d%%  loss %.4f  beta %.2f  %.0f words/s", epoch, epochs,
                             100 * (i + nb) / n_train, loss_sum / seen, beta, (i + nb) / (now - t_epoch));
            }
        }
        free(order);
        double secs = cli_now() - t_epoch;
        eval_sums e = evaluate(m, test, n_test, latent);
        cli_progress_clear();
        if (quiet) continue;
        char ep[32], acc[32] = "-";
        snprintf(ep, sizeof ep, "%d/%d", epoch, epochs);
        if (latent) snprintf(acc, sizeof acc, "%.1f%%", 100.0 * e.correct / n_test);
        printf("%7s %11.4f %11.4f %10.4f %10.4f %9s %9s %9.1f s\n", ep, seen ? loss_sum / seen : 0.0,
               (e.rec + e.kl) / n_test, e.rec / n_test, e.kl / n_test, acc,
               cli_fmt_count(num, (uint64_t)(n_train / secs)), cli_now() - t_start);
        fflush(stdout);
    }

    if (!quiet && latent && show) {
        int n = show < n_test ? show : n_test;
        float *mu = cli_alloc((size_t)n * latent, sizeof(float));
        char *out = cli_alloc((size_t)n * (max_len + 1), 1);
        if (vae_words_encode(m, (const char *const *)test, n, mu, &err) || vae_words_decode(m, mu, n, out, &err))
            cli_die_lib("reconstruction", &err);
        printf("\nheld-out words and the greedy decoding of their mean code:\n");
        for (int i = 0; i < n; i++) printf("  %-*s -> %s\n", max_len, test[i], out + (size_t)i * (max_len + 1));
        free(mu);
        free(out);
    }
    for (int i = 0; i < all.n; i++) free(all.w[i]);
    free(all.w);
    free(test);
    free(train);
    free(perm);
    vae_words_free(m);
    return 0;
}
