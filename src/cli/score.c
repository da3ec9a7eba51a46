/* `vae score`: per-image anomaly scores (high = unusual under the model) and,
 * with a second image set taken as the anomalies, how well the scores tell
 * the two apart. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

enum { METRIC_ELBO, METRIC_REC, METRIC_IWAE };
static const char *const metrics[] = {"elbo", "rec", "iwae", NULL};

typedef struct {
    int metric, k, batch;
    uint64_t seed;
} score_opts;

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* One image file (or table) and its scores, in file order and ascending. */
typedef struct {
    const char *path;
    cli_dataset d;
    float *v, *sorted;
    int n;                       /* scores: images, table rows or time points */
    const vae_table_spec *table; /* or NULL */
    int *labels;                 /* a table's labels per score, or NULL */
    double secs;
} score_set;

/* Loads and checks a file before anything is scored or printed, so a bad one
 * fails with a single line. */
static void set_load(score_set *t, const vae_model *m, const char *images, const char *labels, const char *labels_opt) {
    t->path = images;
    cli_dataset_load(&t->d, images, labels);
    cli_check_data(m, &t->d, images, labels_opt);
    t->n = t->d.n;
}

static void set_load_table(score_set *t, const vae_model *m, const char *csv, const vae_table_spec *spec,
                           const char *label) {
    t->path = csv;
    t->table = spec;
    cli_table_score(csv, spec, label, &t->d, &t->labels, &t->n);
    cli_check_data(m, &t->d, csv, "");
}

/* The scores of a set's labelled rows (want: 0 or 1), ascending. */
static void set_pick(score_set *t, const score_set *all, int want) {
    *t = (score_set){.path = all->path, .sorted = cli_alloc((size_t)all->n, sizeof(float))};
    for (int i = 0; i < all->n; i++)
        if (all->labels[i] == want) t->sorted[t->n++] = all->v[i];
    qsort(t->sorted, (size_t)t->n, sizeof *t->sorted, cmp_float);
}

/* IWAE draws from a generator seeded afresh for each file, so a file's scores
 * do not depend on what else is scored with it. */
static void set_score(score_set *t, vae_model *m, const score_opts *o) {
    int n = t->d.n;
    cli_subset s;
    cli_subset_all(&s, &t->d);
    double t0 = cli_now();
    t->v = cli_alloc((size_t)n, sizeof *t->v);
    if (o->metric == METRIC_IWAE) {
        vae_rng rng;
        vae_rng_seed(&rng, o->seed);
        cli_iwae_terms(m, &s, o->batch, o->k, &rng, t->v);
        for (int i = 0; i < n; i++) t->v[i] = -t->v[i];
    } else {
        float *kl = o->metric == METRIC_ELBO ? cli_alloc((size_t)n, sizeof *kl) : NULL;
        cli_loss_terms(m, &s, o->batch, NULL, t->v, kl);
        for (int i = 0; kl && i < n; i++) t->v[i] += kl[i];
        free(kl);
    }
    t->secs = cli_now() - t0;
    if (t->table) { /* a score per row: the mean over the windows that cover it */
        float *points = cli_alloc((size_t)t->n, sizeof *points);
        vae_error err;
        if (vae_table_point_scores(t->table, t->v, n, points, &err) != VAE_OK) cli_die_lib(t->path, &err);
        free(t->v);
        t->v = points;
    }
    t->sorted = cli_alloc((size_t)t->n, sizeof *t->sorted);
    for (int i = 0; i < t->n; i++) t->sorted[i] = t->v[i];
    qsort(t->sorted, (size_t)t->n, sizeof *t->sorted, cmp_float);
    cli_subset_free(&s);
}

static void set_free(score_set *t) {
    cli_dataset_free(&t->d);
    free(t->v);
    free(t->sorted);
    free(t->labels);
}

/* One score per line, with enough digits to read back the same float; on
 * stdout when path is NULL. */
static void write_scores(const char *path, const float *v, int n) {
    size_t cap = (size_t)n * 24, len = 0; /* "%.9g\n" takes at most 16 bytes */
    char *buf = cli_alloc(cap, 1);
    for (int i = 0; i < n; i++) len += (size_t)snprintf(buf + len, cap - len, "%.9g\n", v[i]);
    if (path)
        cli_write_atomic(path, buf, len);
    else
        fwrite(buf, 1, len, stdout);
    free(buf);
}

static void print_file(FILE *rep, const char *tag, const score_set *t) {
    char count[32], took[32];
    if (t->table)
        fprintf(rep, "%-10s %s: %s rows of %d columns%s, scored in %s\n", tag, cli_basename(t->path),
                cli_fmt_count(count, (uint64_t)t->n), t->d.w,
                t->table->window ? " (each row's score: the mean over the windows covering it)" : "",
                cli_fmt_duration(took, t->secs));
    else
        fprintf(rep, "%-10s %s: %s images of %dx%d, scored in %s\n", tag, cli_basename(t->path),
                cli_fmt_count(count, (uint64_t)t->d.n), t->d.h, t->d.w, cli_fmt_duration(took, t->secs));
}

static void print_stats(FILE *rep, const char *tag, const score_set *t) {
    const float *v = t->sorted;
    int n = t->n;
    double sum = 0;
    for (int i = 0; i < n; i++) sum += v[i];
    double median = n % 2 ? v[n / 2] : 0.5 * ((double)v[n / 2 - 1] + v[n / 2]);
    char count[32];
    fprintf(rep, "%-10s %8s %10.4f %10.4f %10.4f %10.4f\n", tag, cli_fmt_count(count, (uint64_t)n), sum / n, median,
            v[0], v[n - 1]);
}

/* Area under the ROC curve of "score above a threshold means anomaly", exactly:
 * the Mann-Whitney share of (normal, anomaly) pairs in which the anomaly scores
 * higher, a tie counting 1/2. Both inputs ascending. */
static double roc_auc(const float *normal, int n0, const float *anomaly, int n1) {
    uint64_t twice = 0;      /* pairs won, doubled so that ties add whole numbers */
    int below = 0, upto = 0; /* normals < and <= the current anomaly */
    for (int j = 0; j < n1; j++) {
        while (below < n0 && normal[below] < anomaly[j]) below++;
        if (upto < below) upto = below;
        while (upto < n0 && normal[upto] <= anomaly[j]) upto++;
        twice += (uint64_t)below + (uint64_t)upto;
    }
    return (double)twice / (2.0 * n0 * n1);
}

int cmd_score(int argc, char **argv) {
    const char *model = NULL, *images = NULL, *labels = NULL, *out = NULL;
    const char *compare = NULL, *compare_labels = NULL, *compare_out = NULL, *csv = NULL, *label_column = NULL;
    float false_alarm = 0.05f;
    score_opts o = {METRIC_ELBO, 100, VAE_EVAL_BATCH, VAE_EVAL_SEED};
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "model file (safetensors)"),
        CLI_STR("images", images, "FILE", "images to score, IDX (gzip or raw)"),
        CLI_STR("csv", csv, "FILE",
                "a CSV or TSV table to score instead, with the model's columns (raw values; default --metric iwae)"),
        CLI_STR("label-column", label_column, "C",
                "--csv labels, 0 normal / 1 anomaly (default: the model's label column, if there)"),
        CLI_STR("labels", labels, "FILE", "their labels, IDX (needed for a conditional model)"),
        CLI_STR("out", out, "FILE", "scores of --images, one per line (default: stdout, unless --compare)"),
        CLI_CHOICE("metric", o.metric, "M", "elbo: -ELBO at z = mu; rec: its reconstruction term; iwae: -log p(x)",
                   metrics),
        CLI_INT("k", o.k, "K", "importance samples per image for --metric iwae", 1, 1e6),
        CLI_U64("seed", o.seed, "S", "seed of the importance samples for --metric iwae"),
        CLI_INT("batch", o.batch, "N", "images per forward pass", 1, 1e6),
        CLI_STR("compare", compare, "FILE", "a second image set, taken as the anomalies: print the ROC AUC"),
        CLI_STR("compare-labels", compare_labels, "FILE", "its labels (for a conditional model)"),
        CLI_STR("compare-out", compare_out, "FILE", "scores of --compare, one per line"),
        CLI_FLOAT("false-alarm", false_alarm, "P", "the threshold flags at most this share of the normal ones", 0, 1),
    };
    cli_cmd cmd = {"score", "--model FILE --images FILE [options]",
                   "Per-image anomaly score in nats, higher = more unusual: the negative ELBO with\n"
                   "z = mu (reconstruction + KL), its reconstruction term alone, or the importance-\n"
                   "weighted estimate of -log p(x) (Burda et al.); for an autoencoder, always its\n"
                   "reconstruction loss. With --compare, also the ROC AUC of telling the second set\n"
                   "from the first by score (ties count 1/2) and the share of it caught when at most\n"
                   "--false-alarm of --images are flagged. The summary goes to stdout, or to stderr\n"
                   "when the scores do. Tables: --csv FILE gives a score per row (per time point for\n"
                   "a --window model), in file order; with a label column (or --compare, a second\n"
                   "table) the same summary, the rows labelled 1 taken as the anomalies. A table's\n"
                   "default is --metric iwae: -log p(x) ranks the anomalies of small tables better\n"
                   "than -ELBO(mu) (tests/bench/tables.py), and with few columns it costs little.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    if (csv && !cli_given(&cmd, "metric")) o.metric = METRIC_IWAE;
    if (!csv) cli_require(&cmd, "images");
    if (csv && (images || labels || compare_labels))
        cli_usage_error(&cmd, "--csv scores a table: --images, --labels and --compare-labels are for images");
    if (label_column && !csv) cli_usage_error(&cmd, "--label-column needs --csv");
    if (o.metric != METRIC_IWAE && (cli_given(&cmd, "k") || cli_given(&cmd, "seed")))
        cli_usage_error(&cmd, "--k and --seed apply to --metric iwae only");
    if (!compare && (compare_labels || compare_out))
        cli_usage_error(&cmd, "--compare-labels and --compare-out need --compare");
    if (out) cli_check_writable(out);
    if (compare_out) cli_check_writable(compare_out);
    vae_model *m = cli_load_model(model);
    const vae_arch *a = vae_model_arch(m);
    if (a->decoder_only) cli_die(EXIT_RUNTIME, "%s holds only a decoder: it cannot score images", model);
    /* An autoencoder's KL is 0, so its -ELBO is just the reconstruction loss. */
    int ae = a->kind == VAE_KIND_AE;
    if (ae && o.metric == METRIC_IWAE && cli_given(&cmd, "metric"))
        cli_usage_error(&cmd, "--metric iwae needs a VAE: an autoencoder has no q(z|x) (use --metric rec)");
    if (ae) o.metric = METRIC_REC;
    score_set normal = {0}, anomaly = {0};
    vae_table_spec spec = {0};
    if (csv) {
        spec = cli_table_spec(model);
        set_load_table(&normal, m, csv, &spec, label_column);
        if (compare) set_load_table(&anomaly, m, compare, &spec, label_column);
    } else {
        set_load(&normal, m, images, labels, "--labels");
        if (compare) set_load(&anomaly, m, compare, compare_labels, "--compare-labels");
    }
    set_score(&normal, m, &o);
    if (compare) set_score(&anomaly, m, &o);
    if (out || !compare) write_scores(out, normal.v, normal.n);
    if (compare_out) write_scores(compare_out, anomaly.v, anomaly.n);
    /* Printed once all is done, so that a failure prints its one line only; on
     * stderr when the scores go to stdout. */
    FILE *rep = out || compare ? stdout : stderr;
    /* A labelled table is its own comparison: its 1s against its 0s. */
    score_set all = {0};
    const char *tag0 = csv ? "table" : "images", *tag1 = "compare";
    if (normal.labels && !compare) {
        all = normal;
        set_pick(&normal, &all, 0);
        set_pick(&anomaly, &all, 1);
        tag0 = "label 0", tag1 = "label 1";
        if (!normal.n || !anomaly.n) { /* one class only: nothing to compare */
            set_free(&normal);
            set_free(&anomaly);
            normal = all;
            all = anomaly = (score_set){0};
            tag0 = "table";
        }
    }
    int comparing = anomaly.n > 0;

    char arch[512];
    fprintf(rep, "model      %s: %s\n", cli_basename(model), cli_describe_arch(arch, sizeof arch, a));
    if (o.metric == METRIC_IWAE)
        fprintf(rep, "score      -log p(x), IWAE with k = %d, seed %llu, in nats\n", o.k, (unsigned long long)o.seed);
    else if (ae)
        fprintf(rep, "score      reconstruction loss of the code, in nats (an autoencoder has no ELBO)\n");
    else
        fprintf(rep, "score      %s at z = mu (deterministic; vae eval samples z), in nats\n",
                o.metric == METRIC_ELBO ? "-ELBO(mu) = rec + KL" : "rec");
    print_file(rep, all.labels ? "table" : tag0, all.labels ? &all : &normal);
    if (compare) print_file(rep, tag1, &anomaly);
    fprintf(rep, "\n%-10s %8s %10s %10s %10s %10s\n", "", "n", "mean", "median", "min", "max");
    print_stats(rep, tag0, &normal);
    if (comparing) {
        const float *s0 = normal.sorted, *s1 = anomaly.sorted;
        int n0 = normal.n, n1 = anomaly.n;
        print_stats(rep, tag1, &anomaly);
        /* Flag scores above the normal score that at most a share false_alarm exceed. */
        int allowed = (int)((double)n0 * false_alarm);
        float threshold = s0[n0 - 1 - (allowed < n0 ? allowed : n0 - 1)];
        int caught = 0;
        while (caught < n1 && s1[n1 - 1 - caught] > threshold) caught++;
        fprintf(rep, "\nROC AUC    %.6f  (%s as the anomalies; 0.5 = no better than chance)\n", roc_auc(s0, n0, s1, n1),
                tag1);
        fprintf(rep, "TPR        %.4f of %s scored above %.9g, which at most %g%% of %s exceed\n", (double)caught / n1,
                tag1, threshold, 100.0 * false_alarm, tag0);
    }
    set_free(&all);
    set_free(&normal);
    set_free(&anomaly);
    vae_table_spec_free(&spec);
    vae_model_free(m);
    return 0;
}
