/* The SketchRNN commands (models/sketch.h). `vae train --strokes FILE`
 * trains on the file tools/hanzi_strokes.py writes (one drawing a line:
 * NAME<TAB>train|test<TAB>dx,dy,lift ...), the test lines held out; it can
 * resume from a model file (--resume), stop after --minutes and write its
 * model every --save-every minutes, so a run can span sessions. With a
 * sketch model, eval prints the held-out losses, sample draws a PNG grid of
 * generated drawings, interpolate a PNG strip between two drawings of the
 * file named by --a and --b (export.c rewrites it F16 or F32). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "formats/safetensors.h"
#include "models/sketch.h"

enum { EVAL_BATCH = 128 };

typedef struct {
    char name[16];
    int test;
    float *pts; /* [n, 3] */
    int n;
} drawing;

typedef struct {
    drawing *d;
    int n, n_test;
} stroke_set;

/* The file's drawings; a malformed line, or one over max_len points when
 * skip_long is 0, is a one-line error naming it. */
static stroke_set read_strokes(const char *path, int max_len, int skip_long, int *skipped) {
    size_t len;
    char *text = (char *)cli_read_file(path, &len), *end = text + len;
    stroke_set s = {cli_alloc(len / 8 + 1, sizeof(drawing)), 0, 0};
    int line = 0;
    *skipped = 0;
    for (char *p = text; p < end;) {
        char *nl = memchr(p, '\n', (size_t)(end - p)), *e = nl ? nl : end;
        line++;
        if (e > p && e[-1] == '\r') e[-1] = '\0';
        *e = '\0';
        char *tab1 = strchr(p, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
        if (e == p) { /* an empty line */
            p = e + 1;
            continue;
        }
        if (!tab2) cli_die(EXIT_RUNTIME, "%s:%d: want NAME<TAB>train|test<TAB>dx,dy,lift ...", path, line);
        drawing *d = &s.d[s.n];
        if (tab1 - p >= (long)sizeof d->name || tab1 == p)
            cli_die(EXIT_RUNTIME, "%s:%d: a name of 1 to %zu bytes, not %d", path, line, sizeof d->name - 1,
                    (int)(tab1 - p));
        memcpy(d->name, p, (size_t)(tab1 - p));
        *tab2 = '\0';
        if (strcmp(tab1 + 1, "train") && strcmp(tab1 + 1, "test"))
            cli_die(EXIT_RUNTIME, "%s:%d: the second field is \"%s\", want train or test", path, line, tab1 + 1);
        d->test = !strcmp(tab1 + 1, "test");
        int cap = 16, n = 0;
        d->pts = cli_alloc((size_t)cap * 3, sizeof(float));
        for (char *q = tab2 + 1; *q;) {
            float x, y;
            int lift, used = 0;
            if (sscanf(q, "%f,%f,%d%n", &x, &y, &lift, &used) != 3 || (lift != 0 && lift != 1) || !isfinite(x) ||
                !isfinite(y))
                cli_die(EXIT_RUNTIME, "%s:%d: point %d is not dx,dy,lift (lift 0 or 1)", path, line, n + 1);
            if (n == cap) {
                cap *= 2;
                float *grown = cli_alloc((size_t)cap * 3, sizeof(float));
                memcpy(grown, d->pts, (size_t)n * 3 * sizeof(float));
                free(d->pts);
                d->pts = grown;
            }
            d->pts[n * 3] = x, d->pts[n * 3 + 1] = y, d->pts[n * 3 + 2] = (float)lift;
            n++;
            q += used;
            while (*q == ' ') q++;
        }
        if (!n) cli_die(EXIT_RUNTIME, "%s:%d: a drawing without points", path, line);
        d->n = n;
        if (n > max_len) {
            if (!skip_long)
                cli_die(EXIT_RUNTIME, "%s:%d: %d points, over the model's limit %d (--skip-long drops such lines)",
                        path, line, n, max_len);
            free(d->pts);
            ++*skipped;
        } else {
            s.n_test += d->test;
            s.n++;
        }
        p = e + 1;
    }
    free(text);
    return s;
}

static void free_strokes(stroke_set *s) {
    for (int i = 0; i < s->n; i++) free(s->d[i].pts);
    free(s->d);
}

static vae_sketch_drawing view(const drawing *d) { return (vae_sketch_drawing){d->pts, d->n}; }

/* The standard deviation of the training offsets (x and y together), the paper's normalisation. */
static float offset_scale(const stroke_set *s) {
    double sum = 0.0, sq = 0.0;
    long n = 0;
    for (int i = 0; i < s->n; i++)
        for (int k = 0; !s->d[i].test && k < s->d[i].n; k++)
            for (int c = 0; c < 2; c++)
                sum += s->d[i].pts[k * 3 + c], sq += (double)s->d[i].pts[k * 3 + c] * s->d[i].pts[k * 3 + c], n++;
    double mean = n ? sum / n : 0.0, var = n ? sq / n - mean * mean : 0.0;
    return var > 0.0 ? (float)sqrt(var) : 1.0f;
}

const char *cli_describe_sketch(char *buf, size_t size, const vae_sketch *m) {
    const vae_sketch_arch *a = vae_sketch_get_arch(m);
    snprintf(buf, size,
             "SketchRNN: encoder BiLSTM %d, decoder LSTM %d, latent %d, %d mixture components, drawings up to %d "
             "points, offset scale %g",
             a->enc_hidden, a->dec_hidden, a->latent, a->mixtures, a->max_len, a->scale);
    return buf;
}

/* Held-out means per drawing. */
typedef struct {
    double xy, pen, kl;
} eval_means;

/* The test drawings' losses, one z each from VAE_EVAL_SEED. */
static eval_means evaluate(vae_sketch *m, const stroke_set *s) {
    eval_means e = {0};
    vae_sketch_drawing batch[EVAL_BATCH];
    float xy[EVAL_BATCH], pen[EVAL_BATCH], kl[EVAL_BATCH];
    vae_rng rng;
    vae_rng_seed(&rng, VAE_EVAL_SEED);
    int nb = 0, count = 0;
    for (int i = 0; i <= s->n; i++) {
        if (i < s->n && s->d[i].test) batch[nb++] = view(&s->d[i]);
        if (nb == EVAL_BATCH || (i == s->n && nb)) {
            vae_error err;
            if (vae_sketch_loss(m, batch, nb, NULL, &rng, xy, pen, kl, &err)) cli_die_lib("evaluation", &err);
            for (int b = 0; b < nb; b++) e.xy += xy[b], e.pen += pen[b], e.kl += kl[b];
            count += nb, nb = 0;
        }
    }
    if (count) e.xy /= count, e.pen /= count, e.kl /= count;
    return e;
}

/* The model as path (atomic) with metadata pairs. */
static void save_sketch(const vae_sketch *m, const char *path, int f16, const char *const *kv, int n_kv, int quiet) {
    uint8_t *buf;
    size_t len;
    vae_error err;
    if (vae_sketch_save(m, f16 ? VAE_DTYPE_F16 : VAE_DTYPE_F32, kv, n_kv, &buf, &len, &err))
        cli_die_lib("saving", &err);
    cli_write_model(path, buf, len, f16 ? "F16" : "F32", quiet);
}

/* The sketch model in path for batches of up to cap; with meta, also the file's metadata (vae_st_free). */
static vae_sketch *load_sketch(const char *path, int cap, vae_st_file *meta) {
    size_t len;
    uint8_t *buf = cli_read_meta(path, &len, meta);
    vae_sketch *m;
    vae_error err;
    if (vae_sketch_load(&m, buf, len, cap, &err)) cli_die_lib(path, &err);
    free(buf);
    return m;
}

/* A number from the file's metadata, or def when it has none. */
static double meta_number(const vae_st_file *f, const char *key, double def, const char *path) {
    const char *v = vae_st_meta(f, key);
    char *end;
    if (!v) return def;
    double x = strtod(v, &end);
    if (*end || end == v) cli_die(EXIT_RUNTIME, "%s: %s \"%s\" is not a number", path, key, v);
    return x;
}

static int by_key(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* An epoch's batches: perm [n] a shuffle of the training drawings in which
 * each window of BUCKET batches is sorted by length, so a batch's drawings
 * are about as long as each other (the LSTMs run to the longest); order the
 * batches' indices, shuffled. Returns the number of batches. */
enum { BUCKET = 20 };
static int bucket_batches(const stroke_set *s, const int *train, int n, int batch, vae_rng *rng, int *perm,
                          int *order) {
    int64_t *key = cli_alloc((size_t)n, sizeof *key);
    vae_rng_permutation(rng, perm, n);
    for (int i = 0; i < n; i++) key[i] = (int64_t)s->d[train[perm[i]]].n << 32 | perm[i];
    for (int i = 0; i < n; i += BUCKET * batch)
        qsort(key + i, (size_t)(n - i < BUCKET * batch ? n - i : BUCKET * batch), sizeof *key, by_key);
    for (int i = 0; i < n; i++) perm[i] = (int)(key[i] & 0xffffffff);
    free(key);
    int n_batches = (n + batch - 1) / batch;
    vae_rng_permutation(rng, order, n_batches);
    return n_batches;
}

typedef struct {
    const char *path, *out;
    int f16, epochs, batch, quiet;
    float lr, lr_min, lr_decay, clip, w_kl, kl_min, kl_decay, eta_min, augment, minutes, save_every;
    uint64_t seed;
} sketch_train;

/* Writes the model with the run's settings and where it stands. */
static void checkpoint(const vae_sketch *m, const sketch_train *o, int64_t step, double seconds, eval_means e,
                       int final) {
    char v[12][32];
    snprintf(v[0], 32, "%lld", (long long)step);
    snprintf(v[1], 32, "%d", o->batch);
    snprintf(v[2], 32, "%g", o->lr);
    snprintf(v[3], 32, "%g", o->w_kl);
    snprintf(v[4], 32, "%g", o->kl_min);
    snprintf(v[5], 32, "%g", o->kl_decay);
    snprintf(v[6], 32, "%.0f", seconds);
    snprintf(v[7], 32, "%.4f", e.xy);
    snprintf(v[8], 32, "%.4f", e.pen);
    snprintf(v[9], 32, "%.4f", e.kl);
    snprintf(v[10], 32, "%llu", (unsigned long long)o->seed);
    snprintf(v[11], 32, "%g", o->augment);
    const char *kv[] = {"train.data",     cli_basename(o->path),
                        "train.steps",    v[0],
                        "train.batch",    v[1],
                        "train.lr",       v[2],
                        "train.w_kl",     v[3],
                        "train.kl_min",   v[4],
                        "train.kl_decay", v[5],
                        "train.seconds",  v[6],
                        "train.test_xy",  v[7],
                        "train.test_pen", v[8],
                        "train.test_kl",  v[9],
                        "train.seed",     v[10],
                        "train.augment",  v[11]};
    save_sketch(m, o->out, o->f16, kv, 13, o->quiet || !final);
}

int cmd_train_sketch(int argc, char **argv) {
    static const char *const dtypes[] = {"f32", "f16", NULL};
    sketch_train o = {.epochs = 10,
                      .batch = 100,
                      .lr = 1e-3f,
                      .lr_min = 1e-5f,
                      .lr_decay = 0.9999f,
                      .clip = 1.0f,
                      .w_kl = 1.0f,
                      .kl_min = -1.0f,
                      .kl_decay = 0.9995f,
                      .eta_min = 0.01f,
                      .augment = 0.15f,
                      .minutes = 0,
                      .save_every = 10,
                      .seed = 1};
    const char *resume = NULL;
    int enc = 128, dec = 256, latent = 32, mixtures = 20, max_len = 120, skip_long = 0;
    cli_opt opts[] = {
        CLI_STR("strokes", o.path, "FILE", "drawings, one a line: NAME<TAB>train|test<TAB>dx,dy,lift ..."),
        CLI_STR("out", o.out, "FILE", "model file to write (safetensors)"),
        CLI_STR("resume", resume, "FILE", "go on training this model (its sizes; fresh Adam moments)"),
        CLI_CHOICE("dtype", o.f16, "T", "stored weights: f32 or f16", dtypes),
        CLI_INT("enc-hidden", enc, "N", "encoder LSTM units per direction", 1, 4096),
        CLI_INT("dec-hidden", dec, "N", "decoder LSTM units", 1, 4096),
        CLI_INT("latent", latent, "N", "latent dimensions", 1, 1024),
        CLI_INT("mixtures", mixtures, "M", "bivariate Gaussians of the offset", 1, 64),
        CLI_INT("max-len", max_len, "N", "longest drawing in points", 1, 4096),
        CLI_FLAG("skip-long", skip_long, "drop drawings over --max-len points instead of failing"),
        CLI_INT("epochs", o.epochs, "N", "passes over the training drawings", 0, 1e7),
        CLI_FLOAT("minutes", o.minutes, "M", "stop after M minutes of training (0: no limit)", 0, 1e7),
        CLI_FLOAT("save-every", o.save_every, "M", "write the model every M minutes (0: only at the end)", 0, 1e7),
        CLI_INT("batch", o.batch, "N", "drawings per step", 1, 65536),
        CLI_FLOAT("lr", o.lr, "R", "Adam learning rate at step 0", 0, 1e3),
        CLI_FLOAT("lr-min", o.lr_min, "R", "the rate decays towards it", 0, 1e3),
        CLI_FLOAT("lr-decay", o.lr_decay, "R", "lr = lr_min + (lr0 - lr_min) R^step", 0, 1),
        CLI_FLOAT("clip", o.clip, "NORM", "clip the global gradient norm; 0 = off", 0, 1e9),
        CLI_FLOAT("w-kl", o.w_kl, "W", "weight of the KL term", 0, 1e5),
        CLI_FLOAT("kl-min", o.kl_min, "NATS", "KL floor (no gradient below it); default 0.2 per latent dimension", 0,
                  1e5),
        CLI_FLOAT("kl-decay", o.kl_decay, "R", "KL annealing: weight w (1 - (1 - eta_min) R^step)", 0, 1),
        CLI_FLOAT("augment", o.augment, "A", "scale each drawing's dx and dy by U(1-A, 1+A) apart", 0, 0.9),
        CLI_U64("seed", o.seed, "S", "seed: weights from S, training draws from S+2"),
        CLI_FLAG("quiet", o.quiet, "print nothing but errors and warnings"),
    };
    cli_cmd cmd = {
        "train",
        "--strokes FILE [options]",
        "Trains SketchRNN (Ha & Eck 2017): a bidirectional LSTM encodes a drawing's\n"
        "stroke-5 points into mu and logvar; the decoder LSTM starts from tanh(linear(z))\n"
        "and reads z beside the previous point; a mixture of bivariate Gaussians predicts\n"
        "the next offset and a softmax the pen. Loss per drawing in nats: offsets + pen +\n"
        "w_KL eta max(KL, KL_min), eta annealed from eta_min to 1. The file's test lines\n"
        "are held out. With --resume the run goes on from a model file (its step count\n"
        "keeps the schedules going), so training can span sessions.",
        opts,
        CLI_OPT_COUNT(opts),
    };
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "strokes");
    cli_require(&cmd, "out");
    cli_check_writable(o.out);
    vae_sketch *m;
    vae_error err;
    int64_t step = 0;
    double seconds_before = 0;
    int cap = o.batch > EVAL_BATCH ? o.batch : EVAL_BATCH, skipped;
    stroke_set s;
    if (resume) {
        vae_st_file meta;
        m = load_sketch(resume, cap, &meta);
        step = (int64_t)meta_number(&meta, "train.steps", 0, resume);
        seconds_before = meta_number(&meta, "train.seconds", 0, resume);
        vae_st_free(&meta);
        s = read_strokes(o.path, vae_sketch_get_arch(m)->max_len, skip_long, &skipped);
    } else {
        s = read_strokes(o.path, max_len, skip_long, &skipped);
        vae_sketch_arch a = {enc, dec, latent, mixtures, max_len, offset_scale(&s)};
        if (vae_sketch_create(&m, &a, cap, o.seed, &err)) cli_die_lib("model", &err);
    }
    if (o.kl_min < 0) o.kl_min = 0.2f * vae_sketch_get_arch(m)->latent;
    int n_train = s.n - s.n_test;
    if (n_train < 1) cli_die(EXIT_RUNTIME, "%s: no training drawings", o.path);
    int *train = cli_alloc((size_t)n_train, sizeof(int)), *perm = cli_alloc((size_t)n_train, sizeof(int));
    int *order = cli_alloc((size_t)n_train, sizeof(int));
    for (int i = 0, k = 0; i < s.n; i++)
        if (!s.d[i].test) train[k++] = i;
    char num[32], num2[32], text[512];
    if (!o.quiet) {
        printf("data     %s: %s training drawings, %s held out", cli_basename(o.path),
               cli_fmt_count(num, (uint64_t)n_train), cli_fmt_count(num2, (uint64_t)s.n_test));
        if (skipped) printf(" (%d over the limit skipped)", skipped);
        printf("\nmodel    %s; %s parameters\n", cli_describe_sketch(text, sizeof text, m),
               cli_fmt_count(num, vae_sketch_param_count(m)));
        if (resume) printf("resumed  %s at step %lld\n", resume, (long long)step);
        printf("training %d epochs x %d steps of %d, adam lr %g -> %g (x%g a step), clip %g, w_KL %g, KL_min %g, "
               "KL annealing %g, augment %g, seed %llu\n\n",
               o.epochs, (n_train + o.batch - 1) / o.batch, o.batch, o.lr, o.lr_min, o.lr_decay, o.clip, o.w_kl,
               o.kl_min, o.kl_decay, o.augment, (unsigned long long)o.seed);
        printf("%7s %8s %10s %9s %9s %9s %9s %10s\n", "epoch", "step", "train", "test xy", "test pen", "test KL",
               "draw/s", "elapsed");
        fflush(stdout);
    }
    vae_train_config c;
    vae_train_config_default(&c);
    c.clip_norm = o.clip;
    vae_rng rng;
    vae_rng_seed(&rng, o.seed + 2 + (uint64_t)step); /* a resumed run draws afresh */
    vae_sketch_drawing *batch = cli_alloc((size_t)o.batch, sizeof *batch);
    float *aug = cli_alloc((size_t)o.batch * vae_sketch_get_arch(m)->max_len * 3, sizeof(float));
    double t_start = cli_now(), t_saved = t_start;
    int nonfinite = 0, stop = 0;
    eval_means e = evaluate(m, &s);
    for (int epoch = 1; epoch <= o.epochs && !stop; epoch++) {
        double t_epoch = cli_now(), loss_sum = 0, t_shown = 0;
        int seen = 0;
        int n_batches = bucket_batches(&s, train, n_train, o.batch, &rng, perm, order);
        for (int k = 0; k < n_batches && !stop; k++) {
            cli_check_interrupt();
            int i = order[k] * o.batch, nb = n_train - i < o.batch ? n_train - i : o.batch;
            for (int b = 0; b < nb; b++) {
                const drawing *d = &s.d[train[perm[i + b]]];
                float *p = aug + (size_t)b * vae_sketch_get_arch(m)->max_len * 3;
                float sx = 1 + o.augment * (2 * vae_rng_uniform(&rng) - 1);
                float sy = 1 + o.augment * (2 * vae_rng_uniform(&rng) - 1);
                for (int k = 0; k < d->n; k++)
                    p[k * 3] = d->pts[k * 3] * sx, p[k * 3 + 1] = d->pts[k * 3 + 1] * sy,
                          p[k * 3 + 2] = d->pts[k * 3 + 2];
                batch[b] = (vae_sketch_drawing){p, d->n};
            }
            float eta = 1.0f - (1.0f - o.eta_min) * (float)pow(o.kl_decay, (double)step);
            c.lr = o.lr_min + (o.lr - o.lr_min) * (float)pow(o.lr_decay, (double)step);
            vae_sketch_stats st;
            vae_status r = vae_sketch_train_step(m, batch, nb, o.w_kl * eta, o.kl_min, &c, &rng, &st, &err);
            if (r == VAE_ERR_NONFINITE && ++nonfinite < VAE_MAX_NONFINITE_RUN) continue;
            if (r == VAE_ERR_NONFINITE)
                cli_die(EXIT_RUNTIME, "training diverged: %d non-finite steps in a row (try a lower --lr or --clip)",
                        VAE_MAX_NONFINITE_RUN);
            if (r) cli_die_lib("training step", &err);
            nonfinite = 0;
            step++;
            loss_sum += (st.rec_xy + st.rec_pen + st.kl) * nb;
            seen += nb;
            double now = cli_now();
            if (!o.quiet && now - t_shown > 0.5) {
                t_shown = now;
                cli_progress("epoch %d/%d  %3d%%  rec %.3f + %.3f  KL %.3f  eta %.3f  lr %.2g  %.1f draw/s", epoch,
                             o.epochs, 100 * (k + 1) / n_batches, st.rec_xy, st.rec_pen, st.kl, eta, c.lr,
                             seen / (now - t_epoch));
            }
            if (o.minutes > 0 && now - t_start > 60.0 * o.minutes) stop = 1;
            if (o.save_every > 0 && now - t_saved > 60.0 * o.save_every && !stop) {
                e = evaluate(m, &s);
                checkpoint(m, &o, step, seconds_before + now - t_start, e, 0);
                t_saved = cli_now();
            }
        }
        double secs = cli_now() - t_epoch;
        e = evaluate(m, &s);
        cli_progress_clear();
        if (o.quiet) continue;
        char ep[32];
        snprintf(ep, sizeof ep, "%d/%d", epoch, o.epochs);
        printf("%7s %8lld %10.4f %9.4f %9.4f %9.4f %9.1f %8.1f s%s\n", ep, (long long)step,
               seen ? loss_sum / seen : 0.0, e.xy, e.pen, e.kl, seen / secs, cli_now() - t_start,
               stop ? " (time limit)" : "");
        fflush(stdout);
    }
    if (!o.quiet)
        printf("\nheld out: rec %.4f + %.4f, KL %.4f: bound %.4f nats per drawing (offsets in units of %g)\n", e.xy,
               e.pen, e.kl, e.xy + e.pen + e.kl, vae_sketch_get_arch(m)->scale);
    checkpoint(m, &o, step, seconds_before + cli_now() - t_start, e, 1);
    free(batch);
    free(aug);
    free(train);
    free(perm);
    free(order);
    free_strokes(&s);
    vae_sketch_free(m);
    return 0;
}

/* ---------------------------------------------------------------- using a trained model */

int cmd_eval_sketch(int argc, char **argv) {
    const char *model = NULL, *path = NULL;
    int skip_long = 0;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "sketch model file (safetensors)"),
        CLI_STR("strokes", path, "FILE", "drawings (vae train --strokes's format); its test lines are evaluated"),
        CLI_FLAG("skip-long", skip_long, "drop drawings over the model's limit instead of failing"),
    };
    cli_cmd cmd = {"eval", "--model FILE --strokes FILE",
                   "Held-out losses of a sketch model per drawing in nats: the offsets' mixture\n"
                   "NLL (in scaled units), the pen NLL and the KL, one z per drawing drawn with the\n"
                   "seed training evaluates with (so they are the figures training printed last).",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "strokes");
    vae_sketch *m = load_sketch(model, EVAL_BATCH, NULL);
    int skipped;
    stroke_set s = read_strokes(path, vae_sketch_get_arch(m)->max_len, skip_long, &skipped);
    if (!s.n_test) cli_die(EXIT_RUNTIME, "%s: no test lines to evaluate", path);
    char text[512], num[32];
    printf("model      %s: %s\n", cli_basename(model), cli_describe_sketch(text, sizeof text, m));
    printf("drawings   %s: %s held out", cli_basename(path), cli_fmt_count(num, (uint64_t)s.n_test));
    if (skipped) printf(" (%d over the limit skipped)", skipped);
    eval_means e = evaluate(m, &s);
    printf("\nbound      %.4f nats/drawing = offsets %.4f + pen %.4f + KL %.4f (one z each, seed %d)\n",
           e.xy + e.pen + e.kl, e.xy, e.pen, e.kl, VAE_EVAL_SEED);
    free_strokes(&s);
    vae_sketch_free(m);
    return 0;
}

/* Draws a stroke-3 drawing into a cell x cell image (1 paper, 0 ink),
 * fitted to its bounding box; the first point is reached with the pen up. */
static void render(float *img, int cell, const float *pts, int n) {
    for (int i = 0; i < cell * cell; i++) img[i] = 1.0f;
    if (n < 1) return;
    double x = 0, y = 0, lo[2] = {1e30, 1e30}, hi[2] = {-1e30, -1e30};
    for (int i = 0; i < n; i++) {
        x += pts[i * 3], y += pts[i * 3 + 1];
        lo[0] = fmin(lo[0], x), hi[0] = fmax(hi[0], x), lo[1] = fmin(lo[1], y), hi[1] = fmax(hi[1], y);
    }
    double ext = fmax(fmax(hi[0] - lo[0], hi[1] - lo[1]), 1e-6), k = cell * 0.84 / ext;
    double ox = cell / 2.0 - k * (lo[0] + hi[0]) / 2, oy = cell / 2.0 - k * (lo[1] + hi[1]) / 2;
    double r = fmax(0.6, cell / 45.0);
    int down = 0;
    x = y = 0;
    for (int i = 0; i < n; i++) {
        double qx = x + pts[i * 3], qy = y + pts[i * 3 + 1];
        double ax = ox + k * x, ay = oy + k * y, bx = ox + k * qx, by = oy + k * qy;
        if (down) {
            int x0 = (int)fmax(0, floor(fmin(ax, bx) - r - 1)), x1 = (int)fmin(cell - 1, ceil(fmax(ax, bx) + r + 1));
            int y0 = (int)fmax(0, floor(fmin(ay, by) - r - 1)), y1 = (int)fmin(cell - 1, ceil(fmax(ay, by) + r + 1));
            double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
            for (int v = y0; v <= y1; v++)
                for (int u = x0; u <= x1; u++) {
                    double cx = u + 0.5 - ax, cy = v + 0.5 - ay, t = len2 > 0 ? (cx * dx + cy * dy) / len2 : 0;
                    t = fmin(1, fmax(0, t));
                    double ex = cx - t * dx, ey = cy - t * dy, ink = r + 0.5 - sqrt(ex * ex + ey * ey);
                    if (ink > 0) img[v * cell + u] = fminf(img[v * cell + u], (float)(1 - fmin(1, ink)));
                }
        }
        down = pts[i * 3 + 2] == 0.0f;
        x = qx, y = qy;
    }
}

/* n drawings (out [n, max_len, 3], len [n]) as a PNG grid of cols columns,
 * or, to a path ending in .txt, as lines of the strokes format (named 1..n,
 * all "test"; offsets to float32's 9 digits). */
static void write_drawings(const char *path, const float *out, const int *len, int n, int stride, int cols, int cell) {
    size_t pl = strlen(path);
    if (pl > 4 && !strcmp(path + pl - 4, ".txt")) {
        size_t cap = 64 + (size_t)n * (16 + (size_t)stride * 40), pos = 0;
        char *text = cli_alloc(cap, 1);
        for (int b = 0; b < n; b++) {
            pos += (size_t)snprintf(text + pos, cap - pos, "%d\ttest\t", b + 1);
            for (int i = 0; i < len[b]; i++) {
                const float *p = out + ((size_t)b * stride + i) * 3;
                pos += (size_t)snprintf(text + pos, cap - pos, "%s%.9g,%.9g,%d", i ? " " : "", p[0], p[1], (int)p[2]);
            }
            text[pos++] = '\n';
        }
        cli_write_atomic(path, text, pos);
        printf("wrote %s (%d drawing%s)\n", path, n, n == 1 ? "" : "s");
        free(text);
        return;
    }
    float *img = cli_alloc((size_t)n * cell * cell, sizeof(float));
    for (int b = 0; b < n; b++) render(img + (size_t)b * cell * cell, cell, out + (size_t)b * stride * 3, len[b]);
    vae_arch a = {0};
    a.image_c = 1, a.image_h = cell, a.image_w = cell;
    cli_write_grid(path, img, n, cols, &a, 1);
    free(img);
}

int cmd_sample_sketch(int argc, char **argv) {
    const char *model = NULL, *out = NULL;
    int n = 64, cols = 8, cell = 96;
    uint64_t seed = 1;
    float temperature = 0.4f;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "sketch model file (safetensors)"),
        CLI_STR("out", out, "FILE", "PNG to write (FILE.txt: the drawings as strokes lines)"),
        CLI_INT("n", n, "N", "number of drawings", 1, 10000),
        CLI_INT("cols", cols, "N", "drawings per row", 1, 10000),
        CLI_INT("cell", cell, "PX", "pixels per drawing", 8, 1024),
        CLI_U64("seed", seed, "S", "seed of the latents; the points' draws use S+1"),
        CLI_FLOAT("temperature", temperature, "T", "sampling temperature (0: the likeliest point each step)", 0, 1000),
    };
    cli_cmd cmd = {"sample", "--model FILE --out FILE [options]",
                   "Draws n drawings from a sketch model as a PNG grid: z ~ N(0, I), then the\n"
                   "decoder point by point, each drawn from the mixture at temperature T.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "out");
    cli_check_writable(out);
    vae_sketch *m = load_sketch(model, EVAL_BATCH, NULL);
    const vae_sketch_arch *a = vae_sketch_get_arch(m);
    float *pts = cli_alloc((size_t)n * a->max_len * 3, sizeof(float));
    int *len = cli_alloc((size_t)n, sizeof(int));
    vae_error err;
    if (vae_sketch_sample(m, n, seed, temperature, pts, len, &err)) cli_die_lib("sampling", &err);
    write_drawings(out, pts, len, n, a->max_len, cols, cell);
    free(pts), free(len);
    vae_sketch_free(m);
    return 0;
}

/* The drawing named name in s, or a one-line error naming the option. */
static const drawing *find_drawing(const stroke_set *s, const char *opt, const char *name, const char *path) {
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->d[i].name, name)) return &s->d[i];
    cli_die(EXIT_RUNTIME, "--%s %s: no such drawing in %s", opt, name, path);
}

int cmd_interpolate_sketch(int argc, char **argv) {
    static const char *const methods[] = {"linear", "slerp", NULL};
    const char *model = NULL, *path = NULL, *na = NULL, *nb = NULL, *out = NULL;
    int steps = 8, method = 1, cell = 96, skip_long = 0;
    uint64_t seed = 1;
    float temperature = 0.1f;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "sketch model file (safetensors)"),
        CLI_STR("strokes", path, "FILE", "the drawings --a and --b name (vae train --strokes's format)"),
        CLI_STR("a", na, "NAME", "the first drawing (its name, e.g. a character)"),
        CLI_STR("b", nb, "NAME", "the second drawing"),
        CLI_STR("out", out, "FILE", "PNG strip to write: a, the decoded path, b (FILE.txt: as strokes lines)"),
        CLI_INT("steps", steps, "N", "points on the path, end points included", 2, 1000),
        CLI_CHOICE("method", method, "M", "linear or slerp", methods),
        CLI_INT("cell", cell, "PX", "pixels per drawing", 8, 1024),
        CLI_FLOAT("temperature", temperature, "T", "sampling temperature (0: the likeliest point each step)", 0, 1000),
        CLI_U64("seed", seed, "S", "seed of the points' draws (the same for every step)"),
        CLI_FLAG("skip-long", skip_long, "drop drawings over the model's limit instead of failing"),
    };
    cli_cmd cmd = {"interpolate", "--model FILE --strokes FILE --a NAME --b NAME --out FILE [options]",
                   "Walks the latent space from the mean code of drawing a to that of drawing b\n"
                   "and draws the decoding at each point: a PNG strip of a, the path, then b.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "strokes");
    cli_require(&cmd, "a");
    cli_require(&cmd, "b");
    cli_require(&cmd, "out");
    cli_check_writable(out);
    vae_sketch *m = load_sketch(model, EVAL_BATCH, NULL);
    const vae_sketch_arch *a = vae_sketch_get_arch(m);
    int skipped, L = a->latent, W = a->max_len;
    stroke_set s = read_strokes(path, W, skip_long, &skipped);
    const drawing *da = find_drawing(&s, "a", na, path), *db = find_drawing(&s, "b", nb, path);
    vae_sketch_drawing ends[2] = {view(da), view(db)};
    float *mu = cli_alloc(2 * (size_t)L, sizeof(float)), *z = cli_alloc((size_t)steps * L, sizeof(float));
    float *pts = cli_alloc((size_t)(steps + 2) * W * 3, sizeof(float));
    int *len = cli_alloc((size_t)steps + 2, sizeof(int));
    vae_error err;
    if (vae_sketch_encode(m, ends, 2, mu, NULL, &err)) cli_die_lib("encoding", &err);
    for (int i = 0; i < steps; i++) vae_latent_path(mu, mu + L, L, (double)i / (steps - 1), method, z + (size_t)i * L);
    /* every step from the same stream, so the path changes only through z */
    for (int i = 0; i < steps; i++) {
        vae_rng rng;
        vae_rng_seed(&rng, seed);
        if (vae_sketch_decode(m, z + (size_t)i * L, 1, temperature, &rng, pts + (size_t)(i + 1) * W * 3, len + i + 1,
                              &err))
            cli_die_lib("decoding", &err);
    }
    memcpy(pts, da->pts, (size_t)da->n * 3 * sizeof(float)), len[0] = da->n;
    memcpy(pts + (size_t)(steps + 1) * W * 3, db->pts, (size_t)db->n * 3 * sizeof(float)), len[steps + 1] = db->n;
    write_drawings(out, pts, len, steps + 2, W, steps + 2, cell);
    free(mu), free(z), free(pts), free(len);
    free_strokes(&s);
    vae_sketch_free(m);
    return 0;
}
