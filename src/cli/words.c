/* The word model's commands (models/words.h). `vae train --words FILE`:
 * the character-level word VAE on a word list, one word a line; 5% of the
 * words (a seeded draw) held out. Each epoch prints the held-out bound on
 * -log p(word) (reconstruction + KL, one z per word), its KL and the share
 * of held-out words that the greedy decoding of their mean code gives back.
 * --latent 0 trains the language model of the same size (its NLL is the
 * baseline for the VAE's bound). With a trained model file, sample,
 * interpolate, eval and forward run here instead of their image versions
 * (cli_seq_model_arg tells them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "formats/safetensors.h"
#include "models/sketch.h"
#include "models/words.h"

enum { EVAL_BATCH = 256 };

typedef struct {
    char **w;
    int n;
} word_list;

/* The file's words; a line that is not one (empty, a character outside the
 * vocabulary, longer than the limit) is a one-line error naming it, or with
 * skip counted. */
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

const char *cli_describe_words(char *buf, size_t size, const vae_words *m) {
    const vae_words_arch *a = vae_words_get_arch(m);
    char vocab[3 * VAE_WORDS_MAX_VOCAB + 1];
    vae_words_vocab_text(a->vocab, vocab, sizeof vocab);
    if (a->latent)
        snprintf(buf, size,
                 "word VAE: vocabulary %s, embedding %d, encoder BiLSTM %d, decoder LSTM %d, latent %d, "
                 "words up to %d",
                 vocab, a->embed, a->hidden, a->hidden, a->latent, a->max_len);
    else
        snprintf(buf, size, "word language model: vocabulary %s, embedding %d, LSTM %d, words up to %d", vocab,
                 a->embed, a->hidden, a->max_len);
    return buf;
}

int cli_seq_model_arg(int argc, char **argv) {
    const char *path = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) path = argv[i + 1];
        if (!strncmp(argv[i], "--model=", 8)) path = argv[i] + 8;
    }
    if (!path || access(path, R_OK)) return 0;
    size_t len;
    uint8_t *buf = cli_read_file(path, &len);
    vae_st_file f;
    vae_error err;
    /* a file that is no model of either kind says so before any usage error */
    if (vae_st_parse(&f, buf, len, &err)) cli_die_lib(path, &err);
    vae_st_free(&f);
    int kind = vae_words_file(buf, len) ? CLI_WORDS_MODEL : vae_sketch_file(buf, len) ? CLI_SKETCH_MODEL : 0;
    free(buf);
    return kind;
}

static void free_words(word_list *l) {
    for (int i = 0; i < l->n; i++) free(l->w[i]);
    free(l->w);
}

/* The trained model as path (atomic), with the training settings and the
 * last held-out bound as metadata. */
static void save_words(const vae_words *m, const char *path, int f16, const char *const *kv, int n_kv, int quiet) {
    uint8_t *buf;
    size_t len;
    vae_error err;
    if (vae_words_save(m, f16 ? VAE_DTYPE_F16 : VAE_DTYPE_F32, kv, n_kv, &buf, &len, &err)) cli_die_lib("saving", &err);
    cli_write_model(path, buf, len, f16 ? "F16" : "F32", quiet);
}

int cmd_train_words(int argc, char **argv) {
    static const char *const dtypes[] = {"f32", "f16", NULL};
    const char *path = NULL, *out_path = NULL, *vocab = "abcdefghijklmnopqrstuvwxyz";
    int f16 = 0;
    int embed = 32, hidden = 128, latent = 16, max_len = 24, epochs = 10, batch = 64, warmup = 2, quiet = 0;
    int skip = 0, show = 8;
    float lr = 2e-3f, clip = 5.0f, dropout = 0.3f;
    uint64_t seed = 1;
    cli_opt opts[] = {
        CLI_STR("words", path, "FILE", "word list, one word a line"),
        CLI_STR("out", out_path, "FILE", "model file to write (safetensors)"),
        CLI_CHOICE("dtype", f16, "T", "stored weights: f32 or f16", dtypes),
        CLI_STR("vocab", vocab, "CHARS", "the characters words are made of (printable ASCII)"),
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
        "train",
        "--words FILE [options]",
        "Trains the character-level word VAE (Bowman et al. 2016 on characters): an\n"
        "embedding and a bidirectional LSTM encode a word into mu and logvar; the decoder\n"
        "LSTM starts from z and reads z beside every character (teacher forcing with\n"
        "character dropout); the KL weight is annealed from 0. 5% of the words are held\n"
        "out. Per epoch: the held-out bound on -log p(word) in nats (reconstruction + KL,\n"
        "one z per word), the KL, and the held-out words that greedy decoding of their\n"
        "mean code gives back. --latent 0 trains the same decoder as a language model.",
        opts,
        CLI_OPT_COUNT(opts),
    };
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "words");

    if (out_path) cli_check_writable(out_path);
    vae_words_arch a = {.embed = embed, .hidden = hidden, .latent = latent, .max_len = max_len};
    if (strlen(vocab) > VAE_WORDS_MAX_VOCAB)
        cli_usage_error(&cmd, "--vocab has over %d characters", VAE_WORDS_MAX_VOCAB);
    strcpy(a.vocab, vocab);
    vae_words *m;
    vae_error err;
    if (vae_words_create(&m, &a, batch > EVAL_BATCH ? batch : EVAL_BATCH, seed, &err)) cli_die_lib("model", &err);
    int skipped;
    word_list all = read_words(path, m, skip, &skipped);
    if (all.n < 2) cli_die(EXIT_RUNTIME, "%s: %d usable words; need at least 2", path, all.n);

    vae_words_train_opts o = {.batch = batch, .warmup_epochs = warmup, .lr = lr, .clip = clip, .dropout = dropout};
    vae_words_run *run;
    if (vae_words_run_create(&run, m, (const char *const *)all.w, all.n, &o, seed, &err)) cli_die_lib(path, &err);
    int n_test, n_train, steps_per_epoch;
    vae_words_run_sizes(run, &n_train, &n_test, &steps_per_epoch);
    const char *const *test = vae_words_run_heldout(run);
    char num[32], num2[32];
    if (!quiet) {
        printf("data     %s: %s training words, %s held out", cli_basename(path), cli_fmt_count(num, (uint64_t)n_train),
               cli_fmt_count(num2, (uint64_t)n_test));
        if (skipped) printf(" (%d lines skipped)", skipped);
        char text[512];
        printf("\nmodel    %s; %s parameters\n", cli_describe_words(text, sizeof text, m),
               cli_fmt_count(num, vae_words_param_count(m)));
        printf(
            "training %d epochs x %d steps of %d, adam lr %g, clip %g, dropout %g, KL warm-up %d epochs, seed %llu\n\n",
            epochs, steps_per_epoch, batch, lr, clip, dropout, warmup, (unsigned long long)seed);
        printf("%7s %11s %11s %10s %10s %9s %9s %11s\n", "epoch", "train loss", "test NLL<=", "rec", "KL", "recon",
               "words/s", "elapsed");
        fflush(stdout);
    }

    double t_start = cli_now();
    int nonfinite = 0;
    double bound = 0;
    for (int epoch = 1; epoch <= epochs; epoch++) {
        double t_epoch = cli_now(), t_shown = 0, loss_sum = 0;
        int seen = 0, words_done = 0;
        vae_words_step_info info;
        do {
            cli_check_interrupt();
            vae_status s = vae_words_run_step(run, &info, &err);
            words_done += info.n;
            if (s == VAE_ERR_NONFINITE && ++nonfinite < VAE_MAX_NONFINITE_RUN) continue;
            if (s == VAE_ERR_NONFINITE)
                cli_die(EXIT_RUNTIME, "training diverged: %d non-finite steps in a row (try a lower --lr or --clip)",
                        VAE_MAX_NONFINITE_RUN);
            if (s) cli_die_lib("training step", &err);
            nonfinite = 0;
            loss_sum += info.stats.loss * info.n;
            seen += info.n;
            double now = cli_now();
            if (!quiet && now - t_shown > 0.1) {
                t_shown = now;
                cli_progress("epoch %d/%d  %3d%%  loss %.4f  beta %.2f  %.0f words/s", epoch, epochs,
                             100 * words_done / n_train, loss_sum / seen, info.beta, words_done / (now - t_epoch));
            }
        } while (!info.epoch_done);
        double secs = cli_now() - t_epoch;
        vae_words_heldout e;
        if (vae_words_run_evaluate(run, &e, &err)) cli_die_lib("evaluation", &err);
        bound = (e.rec + e.kl) / n_test;
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
        if (vae_words_encode(m, test, n, mu, NULL, &err) || vae_words_decode(m, mu, n, 0.0f, NULL, out, &err))
            cli_die_lib("reconstruction", &err);
        printf("\nheld-out words and the greedy decoding of their mean code:\n");
        for (int i = 0; i < n; i++) printf("  %-*s -> %s\n", max_len, test[i], out + (size_t)i * (max_len + 1));
        free(mu);
        free(out);
    }
    if (out_path) {
        char s_epochs[32], s_batch[32], s_lr[32], s_seed[32], s_drop[32], s_warm[32], s_bound[32];
        snprintf(s_epochs, sizeof s_epochs, "%d", epochs);
        snprintf(s_batch, sizeof s_batch, "%d", batch);
        snprintf(s_lr, sizeof s_lr, "%g", lr);
        snprintf(s_seed, sizeof s_seed, "%llu", (unsigned long long)seed);
        snprintf(s_drop, sizeof s_drop, "%g", dropout);
        snprintf(s_warm, sizeof s_warm, "%d", warmup);
        snprintf(s_bound, sizeof s_bound, "%.4f", bound);
        const char *kv[] = {"train.data",
                            cli_basename(path),
                            "train.epochs",
                            s_epochs,
                            "train.batch",
                            s_batch,
                            "train.lr",
                            s_lr,
                            "train.seed",
                            s_seed,
                            "train.dropout",
                            s_drop,
                            "train.warmup_epochs",
                            s_warm,
                            "train.test_nll",
                            s_bound};
        save_words(m, out_path, f16, kv, epochs ? 8 : 7, quiet);
    }
    vae_words_run_free(run);
    free_words(&all);
    vae_words_free(m);
    return 0;
}

/* ---------------------------------------------------------------- using a trained model */

/* The word model in path, for batches of up to EVAL_BATCH words; with meta,
 * also the file's metadata (release with vae_st_free). */
static vae_words *load_words(const char *path, vae_st_file *meta) {
    size_t len;
    uint8_t *buf = cli_read_meta(path, &len, meta);
    vae_words *m;
    vae_error err;
    if (vae_words_load(&m, buf, len, EVAL_BATCH, &err)) cli_die_lib(path, &err);
    free(buf);
    return m;
}

/* Prints the n decoded words in out [n, max_len + 1], one a line, each
 * after its label if there are labels. */
static void print_words(const vae_words *m, const char *out, int n, const char *const *labels) {
    size_t W = (size_t)vae_words_get_arch(m)->max_len + 1;
    for (int b = 0; b < n; b++) {
        if (labels) printf("%s  ", labels[b]);
        printf("%s\n", out + b * W);
    }
}

int cmd_sample_words(int argc, char **argv) {
    const char *model = NULL;
    int n = 10;
    uint64_t seed = 1;
    float temperature = 1;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "word model file (safetensors)"),
        CLI_INT("n", n, "N", "number of words", 1, 1000000),
        CLI_U64("seed", seed, "S", "seed of the latents; the character draws use S+1"),
        CLI_FLOAT("temperature", temperature, "T", "characters drawn from softmax(logits / T); 0: greedy", 0, 1000),
    };
    cli_cmd cmd = {"sample", "--model FILE [options]",
                   "Prints n words from a word model, one a line: z ~ N(0, I) (a language model\n"
                   "has none), decoded character by character from softmax(logits / T); T = 0\n"
                   "takes the likeliest character.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    vae_words *m = load_words(model, NULL);
    int L = vae_words_get_arch(m)->latent;
    if (!L && temperature == 0 && n > 1)
        fprintf(stderr, "vae: note: a language model at temperature 0 gives the same word every time\n");
    char *out = cli_alloc((size_t)n, (size_t)vae_words_get_arch(m)->max_len + 1);
    vae_error err;
    if (vae_words_sample(m, n, seed, temperature, out, &err)) cli_die_lib("sampling", &err);
    print_words(m, out, n, NULL);
    free(out);
    vae_words_free(m);
    return 0;
}

/* mu of one word given as option `opt`, or a one-line error naming it. */
static void encode_word(vae_words *m, const char *opt, const char *word, float *mu) {
    vae_error err;
    if (vae_words_check(m, word, strlen(word), &err) || vae_words_encode(m, &word, 1, mu, NULL, &err))
        cli_die(EXIT_RUNTIME, "--%s %s: %s", opt, word, err.msg);
}

int cmd_interpolate_words(int argc, char **argv) {
    static const char *const methods[] = {"linear", "slerp", NULL};
    const char *model = NULL, *wa = NULL, *wb = NULL;
    int steps = 8, method = 0;
    uint64_t seed = 1;
    float temperature = 0;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "word VAE file (safetensors)"),
        CLI_STR("a", wa, "WORD", "the first word"),
        CLI_STR("b", wb, "WORD", "the second word"),
        CLI_INT("steps", steps, "N", "points on the path, end points included", 2, 10000),
        CLI_CHOICE("method", method, "M", "linear or slerp", methods),
        CLI_FLOAT("temperature", temperature, "T", "0: greedy decoding; else characters drawn from softmax(logits / T)",
                  0, 1000),
        CLI_U64("seed", seed, "S", "seed of the character draws (temperature > 0)"),
    };
    cli_cmd cmd = {"interpolate", "--model FILE --a WORD --b WORD [options]",
                   "Walks the latent space of a word VAE from the mean code of word a to that of\n"
                   "word b and prints the word decoded at each point: t (0 at a, 1 at b), then\n"
                   "the word.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "a");
    cli_require(&cmd, "b");
    vae_words *m = load_words(model, NULL);
    int L = vae_words_get_arch(m)->latent;
    if (!L) cli_die(EXIT_RUNTIME, "%s is a language model: it has no latent space to walk", model);
    float *ends = cli_alloc((size_t)2 * L, sizeof(float)), *z = cli_alloc((size_t)steps * L, sizeof(float));
    encode_word(m, "a", wa, ends);
    encode_word(m, "b", wb, ends + L);
    char **labels = cli_alloc((size_t)steps, sizeof(char *));
    for (int s = 0; s < steps; s++) {
        double t = (double)s / (steps - 1);
        vae_latent_path(ends, ends + L, L, t, method, z + (size_t)s * L);
        labels[s] = cli_alloc(16, 1);
        snprintf(labels[s], 16, "%.3f", t);
    }
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    char *out = cli_alloc((size_t)steps, (size_t)vae_words_get_arch(m)->max_len + 1);
    vae_error err;
    if (vae_words_decode(m, z, steps, temperature, &rng, out, &err)) cli_die_lib("decoding", &err);
    print_words(m, out, steps, (const char *const *)labels);
    free(out);
    for (int s = 0; s < steps; s++) free(labels[s]);
    free(labels);
    free(ends);
    free(z);
    vae_words_free(m);
    return 0;
}

int cmd_eval_words(int argc, char **argv) {
    const char *model = NULL, *path = NULL;
    int skip = 0, holdout = 0;
    uint64_t split_seed = 0;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "word model file (safetensors)"),
        CLI_STR("words", path, "FILE", "word list, one word a line"),
        CLI_FLAG("skip-invalid", skip, "drop lines that are not words of the model instead of failing"),
        CLI_FLAG("holdout", holdout, "evaluate only the 5% vae train --words held out of FILE"),
        CLI_U64("split-seed", split_seed, "S", "training seed of that split (default: the model's train.seed)"),
    };
    cli_cmd cmd = {"eval", "--model FILE --words FILE [options]",
                   "Held-out figures of a word model, per word in nats: the bound on -log p(word)\n"
                   "(reconstruction + KL, one z per word drawn with the seed training evaluates\n"
                   "with), the KL, and the share of words that greedy decoding of their mean\n"
                   "code gives back. With --holdout (and the --skip-invalid training used) they\n"
                   "are the last epoch's figures of vae train --words on the same file.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "words");
    if (cli_given(&cmd, "split-seed") && !holdout) cli_usage_error(&cmd, "--split-seed needs --holdout");
    vae_st_file meta;
    vae_words *m = load_words(model, &meta);
    int skipped, latent = vae_words_get_arch(m)->latent;
    word_list all = read_words(path, m, skip, &skipped);
    const char *const *words = (const char *const *)all.w;
    int n = all.n, n_train;
    vae_words_run *split = NULL;
    vae_error err;
    if (holdout) {
        const char *seed_text = vae_st_meta(&meta, "train.seed");
        if (!cli_given(&cmd, "split-seed")) {
            char *end;
            if (!seed_text) cli_die(EXIT_RUNTIME, "%s has no train.seed: give --split-seed", model);
            split_seed = strtoull(seed_text, &end, 10);
            if (*end || end == seed_text)
                cli_die(EXIT_RUNTIME, "%s: train.seed \"%s\" is not a number", model, seed_text);
        }
        if (all.n < 2) cli_die(EXIT_RUNTIME, "%s: %d usable words; a split needs at least 2", path, all.n);
        vae_words_train_opts o; /* the run's split, nothing trained */
        vae_words_train_opts_default(&o);
        if (vae_words_run_create(&split, m, words, n, &o, split_seed, &err)) cli_die_lib(path, &err);
        vae_words_run_sizes(split, &n_train, &n, &(int){0});
        words = vae_words_run_heldout(split);
    }
    if (n < 1) cli_die(EXIT_RUNTIME, "%s: no words to evaluate", path);
    char text[512], num[32];
    printf("model      %s: %s\n", cli_basename(model), cli_describe_words(text, sizeof text, m));
    printf("words      %s: %s words", cli_basename(path), cli_fmt_count(num, (uint64_t)n));
    if (holdout) printf(" held out (seed %llu)", (unsigned long long)split_seed);
    if (skipped) printf(" (%d lines skipped)", skipped);
    printf("\n");
    vae_words_heldout e;
    if (vae_words_evaluate(m, words, n, &e, &err)) cli_die_lib("evaluation", &err);
    printf("NLL bound  %.4f nats/word = rec %.4f + KL %.4f (one z per word, seed %d)\n", (e.rec + e.kl) / n, e.rec / n,
           e.kl / n, VAE_EVAL_SEED);
    printf("KL         %.4f nats/word\n", e.kl / n);
    if (latent)
        printf("recon      %.1f%% (%d of %d words: greedy decoding of the mean code)\n", 100.0 * e.correct / n,
               e.correct, n);
    else
        printf("recon      - (a language model has no code)\n");
    vae_words_run_free(split);
    free_words(&all);
    vae_st_free(&meta);
    vae_words_free(m);
    return 0;
}

int cmd_forward_words(int argc, char **argv) {
    const char *model = NULL, *path = NULL, *eps_file = NULL, *out = NULL;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "word model file (safetensors)"),
        CLI_STR("words", path, "FILE", "word list, one word a line"),
        CLI_STR("eps", eps_file, "FILE", "noise, raw little-endian float32 [n, latent] (default 0)"),
        CLI_STR("out", out, "FILE", "output, raw little-endian float32"),
    };
    cli_cmd cmd = {"forward", "--model FILE --words FILE --out FILE [--eps FILE]",
                   "Writes, per word and concatenated: mu [latent], logvar [latent], the\n"
                   "reconstruction loss (nats, the word's characters and its end) at\n"
                   "z = mu + exp(logvar/2) * eps, and the KL; no character dropout.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "words");
    cli_require(&cmd, "out");
    vae_words *m = load_words(model, NULL);
    int L = vae_words_get_arch(m)->latent, skipped, count;
    if (!L && eps_file) cli_usage_error(&cmd, "--eps given but a language model draws no noise");
    word_list w = read_words(path, m, 0, &skipped);
    float *eps = cli_alloc((size_t)w.n * L + 1, sizeof(float));
    if (eps_file) {
        free(eps);
        eps = cli_read_f32(eps_file, L, &count);
        if (count != w.n) cli_die(EXIT_RUNTIME, "%s has noise for %d words, %s has %d", eps_file, count, path, w.n);
    }
    size_t row = 2 * (size_t)L + 2;
    float *res = cli_alloc((size_t)w.n * row + 1, sizeof(float));
    float *mu = cli_alloc((size_t)EVAL_BATCH * L + 1, sizeof(float)),
          *logvar = cli_alloc((size_t)EVAL_BATCH * L + 1, sizeof(float));
    float rec[EVAL_BATCH], kl[EVAL_BATCH];
    vae_error err;
    for (int i = 0; i < w.n; i += EVAL_BATCH) {
        int nb = w.n - i < EVAL_BATCH ? w.n - i : EVAL_BATCH;
        const char *const *words = (const char *const *)w.w + i;
        if ((L && vae_words_encode(m, words, nb, mu, logvar, &err)) ||
            vae_words_loss(m, words, nb, L ? eps + (size_t)i * L : NULL, rec, kl, &err))
            cli_die_lib("forward", &err);
        for (int b = 0; b < nb; b++) {
            float *r = res + (size_t)(i + b) * row;
            memcpy(r, mu + (size_t)b * L, (size_t)L * sizeof *r);
            memcpy(r + L, logvar + (size_t)b * L, (size_t)L * sizeof *r);
            r[2 * L] = rec[b], r[2 * L + 1] = kl[b];
        }
    }
    cli_write_f32(out, res, (size_t)w.n * row);
    free(res);
    free(mu);
    free(logvar);
    free(eps);
    free_words(&w);
    vae_words_free(m);
    return 0;
}
