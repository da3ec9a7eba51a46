/* `vae train`: the training loop, its table of per-epoch losses, and an
 * atomic save at the end. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct {
    const char *train_images, *train_labels, *test_images, *test_labels, *out, *init, *augment;
    const char *encoder, *decoder, *out_layer, *noise, *labels;
    const char *m1;                           /* M1+M2: train on the latent means of this VAE */
    const char *csv, *columns, *label_column; /* a table instead of images (cli/table.c) */
    int window, no_dequant;
    int holdout, holdout_per_class;
    cli_ints hidden, dec_hidden, cls_hidden;
    int latent, activation, likelihood, optimizer, dtype, conditional, quiet, lr_decay;
    int kind, code_act, sparsity;
    int epochs, batch, warmup_epochs, threads;
    float sigma, beta, lr, lr_min, momentum, weight_decay, clip;
    float sparsity_weight, rho, contractive;
    int labelled, labelled_batch; /* M2; 0: every training image labelled */
    int keep_best;                /* M2: save the epoch of the lowest test error */
    int m1_sample;                /* M1+M2: train on z1 ~ q(z1|x), drawn anew each time, not its mean */
    int no_unlabelled;            /* M2: the labelled images alone (a supervised baseline) */
    float alpha;                  /* M2; < 0: the paper's 0.1 N, per labelled image */
    uint64_t seed;
} train_opts;

/* Cosine decay from lr to lr_min over all steps (SGDR without restarts). */
static float scheduled_lr(const train_opts *o, int64_t step, int64_t total) {
    if (!o->lr_decay || total <= 1) return o->lr;
    return o->lr_min + 0.5f * (o->lr - o->lr_min) *
                           (1.0f + (float)cos(3.14159265358979323846 * (double)step / (double)(total - 1)));
}

typedef struct {
    int flip, shift;
} augmentation;

static void parse_augment(const cli_cmd *cmd, const char *spec, augmentation *aug) {
    memset(aug, 0, sizeof *aug);
    if (!spec) return;
    char buf[128];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        cli_ints shift;
        if (!strcmp(tok, "flip"))
            aug->flip = 1;
        else if (!strncmp(tok, "shift=", 6) && cli_parse_ints(tok + 6, &shift, 1, 64) && shift.n == 1)
            aug->shift = shift.v[0];
        else
            cli_usage_error(cmd, "--augment: unknown or malformed '%s' (expected flip and/or shift=N)", tok);
    }
}

/* Random horizontal flip and a translation by up to `shift` pixels (zero
 * fill) of each image in the batch, in place. */
static void augment_batch(const augmentation *aug, vae_rng *rng, float *xb, int nb, int h, int w, float *tmp) {
    for (int i = 0; i < nb; i++) {
        int flip = aug->flip && vae_rng_below(rng, 2);
        int dx = aug->shift ? (int)vae_rng_below(rng, 2 * aug->shift + 1) - aug->shift : 0;
        int dy = aug->shift ? (int)vae_rng_below(rng, 2 * aug->shift + 1) - aug->shift : 0;
        if (!flip && !dx && !dy) continue;
        float *img = xb + (size_t)i * h * w;
        memcpy(tmp, img, (size_t)h * w * sizeof *tmp);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int sy = y - dy, sx = flip ? w - 1 - (x - dx) : x - dx;
                img[y * w + x] = sy >= 0 && sy < h && sx >= 0 && sx < w ? tmp[sy * w + sx] : 0;
            }
    }
}

/* The layer list of --encoder/--decoder/--out-layer, or a usage error naming the bad token. */
static void layers_opt(const cli_cmd *cmd, const char *opt, const char *spec, int *n, int *widths, vae_layer *layers) {
    char bad[64];
    if (!cli_parse_layers(spec, n, widths, layers, bad, sizeof bad))
        cli_usage_error(cmd, "--%s: cannot read '%s' (layers are like 400, 3136@64x7x7, conv32k4s2p1, convt1k4s2p1)",
                        opt, bad);
}

static void build_arch(const cli_cmd *cmd, const train_opts *o, const cli_dataset *d, vae_arch *a) {
    vae_arch_default(a);
    a->image_c = 1;
    a->image_h = d->h;
    a->image_w = d->w;
    if (o->encoder) {
        layers_opt(cmd, "encoder", o->encoder, &a->n_enc, a->enc_hidden, a->enc_layer);
    } else {
        a->n_enc = o->hidden.n;
        memcpy(a->enc_hidden, o->hidden.v, sizeof a->enc_hidden);
    }
    if (o->decoder) {
        layers_opt(cmd, "decoder", o->decoder, &a->n_dec, a->dec_hidden, a->dec_layer);
    } else {
        const cli_ints *w = o->dec_hidden.n ? &o->dec_hidden : &o->hidden;
        a->n_dec = w->n;
        for (int i = 0; i < a->n_dec; i++) a->dec_hidden[i] = o->dec_hidden.n ? w->v[i] : w->v[w->n - 1 - i];
    }
    if (o->out_layer) {
        int width, n;
        layers_opt(cmd, "out-layer", o->out_layer, &n, &width, &a->out_layer);
        if (n != 1 || a->out_layer.shape[0] ||
            width != (a->out_layer.kind == VAE_LAYER_LINEAR ? vae_arch_input_dim(a) : a->image_c))
            cli_usage_error(cmd, "--out-layer must be one layer giving the images: %d (linear) or convt%d...",
                            vae_arch_input_dim(a), a->image_c);
    } else if (a->n_dec && a->dec_layer[a->n_dec - 1].kind != VAE_LAYER_LINEAR) {
        /* Legal, but rarely meant: a dense layer from the whole feature map to every pixel. */
        fprintf(stderr,
                "vae: note: no --out-layer: a linear layer from the last conv layer's output to the %d "
                "pixels closes the decoder (for a transposed conv: --out-layer convt%dk4s2p1)\n",
                vae_arch_input_dim(a), a->image_c);
    }
    a->kind = (vae_model_kind)o->kind;
    a->code_act = (vae_activation)o->code_act;
    a->latent = o->latent;
    a->act = (vae_activation)o->activation;
    a->lik = (vae_likelihood)o->likelihood;
    if (a->lik == VAE_LIK_GAUSSIAN) a->sigma = o->sigma;
    a->n_classes = o->conditional || a->kind == VAE_KIND_M2 ? cli_dataset_max_label(d) + 1 : 0;
    if (a->kind == VAE_KIND_M2) {
        const cli_ints *w = o->cls_hidden.n ? &o->cls_hidden : &o->hidden;
        a->n_cls = w->n;
        memcpy(a->cls_hidden, w->v, sizeof a->cls_hidden);
    }
}

static int same_widths(int n1, const int *v1, int n2, const int *v2) {
    return n1 == n2 && !memcmp(v1, v2, (size_t)n1 * sizeof *v1);
}

/* With --init the file's architecture wins; a flag that says otherwise is an error. */
static void check_init_arch(const cli_cmd *cmd, const train_opts *o, const vae_arch *want, const vae_arch *have) {
    const struct {
        const char *opt;
        int differs;
    } flags[] = {
        {"hidden", !same_widths(want->n_enc, want->enc_hidden, have->n_enc, have->enc_hidden)},
        {"dec-hidden", !same_widths(want->n_dec, want->dec_hidden, have->n_dec, have->dec_hidden)},
        {"encoder", !same_widths(want->n_enc, want->enc_hidden, have->n_enc, have->enc_hidden) ||
                        memcmp(want->enc_layer, have->enc_layer, sizeof want->enc_layer)},
        {"decoder", !same_widths(want->n_dec, want->dec_hidden, have->n_dec, have->dec_hidden) ||
                        memcmp(want->dec_layer, have->dec_layer, sizeof want->dec_layer)},
        {"out-layer", memcmp(&want->out_layer, &have->out_layer, sizeof want->out_layer)},
        {"model", want->kind != have->kind},
        {"code-activation", want->code_act != have->code_act},
        {"latent", want->latent != have->latent},
        {"activation", want->act != have->act},
        {"likelihood", want->lik != have->lik},
        {"sigma", want->sigma != have->sigma},
        {"conditional", !have->n_classes},
        {"cls-hidden", !same_widths(want->n_cls, want->cls_hidden, have->n_cls, have->cls_hidden)},
    };
    char arch[512];
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (flags[i].differs && cli_given(cmd, flags[i].opt))
            cli_usage_error(cmd, "--%s conflicts with --init %s (%s)", flags[i].opt, o->init,
                            cli_describe_arch(arch, sizeof arch, have));
}

static void check_combinations(const cli_cmd *cmd, const train_opts *o) {
    if (!o->csv) cli_require(cmd, "train-images");
    cli_require(cmd, "out");
    if (o->csv &&
        (o->train_images || o->train_labels || o->test_images || o->holdout_per_class || o->conditional || o->augment))
        cli_usage_error(cmd, "--csv trains on a table: --train-images, --train-labels, --test-images, "
                             "--holdout-per-class, --conditional and --augment are for images");
    if (!o->csv && (o->columns || o->label_column || o->window || o->no_dequant))
        cli_usage_error(cmd, "--columns, --label-column, --window and --no-dequant need --csv");
    if (o->m1_sample && !o->m1) cli_usage_error(cmd, "--m1-sample needs --m1");
    if (o->m1 && o->csv) cli_usage_error(cmd, "--m1 encodes images: not with --csv");
    if (o->no_unlabelled && !o->labelled) cli_usage_error(cmd, "--no-unlabelled needs --labelled");
    if (o->keep_best && !o->test_images && !o->holdout && !o->holdout_per_class)
        cli_usage_error(cmd, "--keep-best needs a test set (--test-images, --holdout or --holdout-per-class)");
    if (o->holdout && o->holdout_per_class) cli_usage_error(cmd, "give --holdout or --holdout-per-class, not both");
    if ((o->holdout || o->holdout_per_class) && o->test_images)
        cli_usage_error(cmd, "--holdout and --holdout-per-class replace --test-images: give one of them");
    if (o->holdout_per_class && !o->train_labels) cli_usage_error(cmd, "--holdout-per-class needs --train-labels");
    if (o->conditional && !o->train_labels) cli_usage_error(cmd, "--conditional needs --train-labels");
    if (o->kind == VAE_KIND_M2 && !o->train_labels)
        cli_usage_error(cmd, "--model m2 needs --train-labels (or --labels)");
    static const char *const m2_only[] = {"labelled", "labelled-batch", "alpha",     "cls-hidden",
                                          "m1",       "m1-sample",      "keep-best", "no-unlabelled"};
    for (size_t i = 0; i < sizeof m2_only / sizeof *m2_only; i++)
        if (cli_given(cmd, m2_only[i]) && o->kind != VAE_KIND_M2)
            cli_usage_error(cmd, "--%s applies to --model m2 only", m2_only[i]);
    if (o->test_labels && !o->test_images) cli_usage_error(cmd, "--test-labels needs --test-images");
    if (cli_given(cmd, "sigma") && o->likelihood != VAE_LIK_GAUSSIAN)
        cli_usage_error(cmd, "--sigma applies to --likelihood gaussian only");
    if (cli_given(cmd, "lr-min") && !o->lr_decay) cli_usage_error(cmd, "--lr-min applies to --lr-decay cosine only");
    if (o->lr_decay && o->lr_min > o->lr) cli_usage_error(cmd, "--lr-min %g is above --lr %g", o->lr_min, o->lr);
    if (cli_given(cmd, "momentum") && o->optimizer != VAE_OPT_SGD)
        cli_usage_error(cmd, "--momentum applies to --optimizer sgd only");
    if ((o->encoder && cli_given(cmd, "hidden")) || (o->decoder && cli_given(cmd, "dec-hidden")))
        cli_usage_error(cmd, "give the layers with --encoder/--decoder or the widths with --hidden/--dec-hidden, "
                             "not both");
    if (o->encoder && !o->decoder && strstr(o->encoder, "conv"))
        cli_usage_error(cmd, "a convolutional --encoder needs its --decoder spelled out too");
    if (cli_given(cmd, "code-activation") && o->kind != VAE_KIND_AE)
        cli_usage_error(cmd, "--code-activation applies to --model ae only");
    if ((cli_given(cmd, "sparsity-weight") || cli_given(cmd, "rho")) && !o->sparsity)
        cli_usage_error(cmd, "--sparsity-weight and --rho need --sparsity l1 or kl");
    if (cli_given(cmd, "rho") && o->sparsity != VAE_SPARSITY_KL) cli_usage_error(cmd, "--rho applies to --sparsity kl");
}

/* Returns the model to train: a fresh one, or the --init file's. */
static vae_model *open_model(const cli_cmd *cmd, const train_opts *o, const cli_dataset *train) {
    vae_arch want;
    build_arch(cmd, o, train, &want);
    vae_model *m = NULL;
    vae_error err;
    if (o->init) {
        m = cli_load_model(o->init);
        const vae_arch *have = vae_model_arch(m);
        if (have->decoder_only) cli_die(EXIT_RUNTIME, "%s holds only a decoder: it cannot be trained", o->init);
        check_init_arch(cmd, o, &want, have);
    } else {
        if (vae_arch_validate(&want, &err) != VAE_OK) cli_usage_error(cmd, "%s", err.msg);
        if (vae_model_init(&m, &want, o->seed, &err) != VAE_OK) cli_die_lib("model", &err);
    }
    cli_check_data(m, train, o->train_images, "--train-labels");
    return m;
}

/* The data set files and the test split; a table's spec too. */
static void open_data(const train_opts *o, cli_dataset *train, cli_dataset *test, cli_subset *train_set,
                      cli_subset *test_set, vae_table_spec *spec, float **sd) {
    int anomalies = 0;
    if (o->csv)
        cli_table_train(o->csv, o->columns, o->label_column, o->window, train, spec, &anomalies);
    else
        cli_dataset_load(train, o->train_images, o->train_labels);
    if (o->m1) cli_dataset_encode(train, o->m1, o->m1_sample ? sd : NULL);
    if (anomalies && !o->quiet)
        printf("note     %d %s with a labelled anomaly left out of training\n", anomalies,
               o->window ? "windows" : "rows");
    memset(test, 0, sizeof *test);
    memset(test_set, 0, sizeof *test_set);
    if (o->holdout || o->holdout_per_class) {
        cli_subset_split(train, o->holdout, o->holdout_per_class, train_set, test_set);
    } else {
        cli_subset_all(train_set, train);
        if (o->test_images) {
            cli_dataset_load(test, o->test_images, o->test_labels);
            if (o->m1) cli_dataset_encode(test, o->m1, NULL);
            cli_subset_all(test_set, test);
        }
    }
}

/* M2's labelled set: n/classes images of each class of the training set,
 * drawn by seed; every other training image goes to the unlabelled set. */
static void draw_labelled(const cli_cmd *cmd, const cli_subset *train, int n, int classes, uint64_t seed,
                          cli_subset *lab, cli_subset *unlab) {
    if (n > train->n) cli_die(EXIT_RUNTIME, "--labelled %d is more than the %d training images", n, train->n);
    if (n % classes)
        cli_usage_error(cmd, "--labelled %d is not a multiple of the %d classes (the labels are drawn balanced)", n,
                        classes);
    int per = n / classes, *order = cli_alloc((size_t)train->n, sizeof *order);
    int *taken = cli_alloc((size_t)classes, sizeof *taken), *total = cli_alloc((size_t)classes, sizeof *total);
    unsigned char *chosen = cli_alloc((size_t)train->n, 1);
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    vae_rng_permutation(&rng, order, train->n);
    *lab = (cli_subset){train->d, cli_alloc((size_t)n, sizeof(int)), 0};
    *unlab = (cli_subset){train->d, cli_alloc((size_t)(train->n - n ? train->n - n : 1), sizeof(int)), 0};
    for (int i = 0; i < train->n; i++) {
        int row = train->idx[order[i]], y = train->d->y[row];
        total[y]++;
        if (taken[y] < per) taken[y]++, chosen[order[i]] = 1, lab->idx[lab->n++] = row;
    }
    int short_class = -1, have = 0;
    for (int c = 0; c < classes && short_class < 0; c++)
        if (taken[c] < per) short_class = c, have = total[c];
    if (short_class < 0) /* else more than train->n - n are left: they would not fit */
        for (int i = 0; i < train->n; i++)
            if (!chosen[i]) unlab->idx[unlab->n++] = train->idx[i];
    free(order);
    free(taken);
    free(total);
    free(chosen);
    if (short_class >= 0) { /* freed first: the sanitizer build reports what an exit leaves */
        cli_subset_free(lab);
        cli_subset_free(unlab);
        cli_die(EXIT_RUNTIME, "class %d has %d training images, fewer than the %d per class of --labelled %d",
                short_class, have, per, n);
    }
}

/* The model's single parameter block (vae.h: every tensor points into it). */
static float *model_params(const vae_model *m) {
    vae_tensor t;
    vae_error err;
    if (vae_model_tensor(m, 0, &t, &err) != VAE_OK) cli_die_lib("model", &err);
    return t.data - t.offset;
}

/* Percentage of a subset an M2 model classifies wrongly. */
static double test_error(vae_model *m, const cli_subset *s) {
    int C = vae_model_arch(m)->n_classes, D = vae_arch_input_dim(vae_model_arch(m)), wrong = 0;
    float *x = cli_alloc((size_t)VAE_EVAL_BATCH * D, sizeof *x), *p = cli_alloc((size_t)VAE_EVAL_BATCH * C, sizeof *p);
    int *y = cli_alloc(VAE_EVAL_BATCH, sizeof *y);
    vae_error err;
    for (int i = 0; i < s->n; i += VAE_EVAL_BATCH) {
        int nb = s->n - i < VAE_EVAL_BATCH ? s->n - i : VAE_EVAL_BATCH;
        cli_subset_gather(s, NULL, i, nb, x, y);
        if (vae_model_classify(m, x, nb, p, &err) != VAE_OK) cli_die_lib("classify", &err);
        for (int b = 0; b < nb; b++) {
            int best = 0;
            for (int k = 1; k < C; k++) best = p[b * C + k] > p[b * C + best] ? k : best;
            wrong += best != y[b];
        }
    }
    free(x);
    free(p);
    free(y);
    return 100.0 * wrong / s->n;
}

/* The autoencoder penalties in use, as "L1 sparsity 0.001, contractive 0.1" ("" for none). */
static const char *penalty_text(const train_opts *o, char *buf, size_t size) {
    buf[0] = 0;
    if (o->sparsity == VAE_SPARSITY_L1)
        snprintf(buf, size, "L1 sparsity %g", o->sparsity_weight);
    else if (o->sparsity == VAE_SPARSITY_KL)
        snprintf(buf, size, "KL sparsity %g to rho %g", o->sparsity_weight, o->rho);
    if (o->contractive) {
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "%scontractive %g", len ? ", " : "", o->contractive);
    }
    return buf;
}

static void save(vae_model *m, const train_opts *o, const char *test_loss, int labelled, float alpha,
                 const vae_table_spec *spec) {
    char epochs[32], lr[64], batch[32], seed[32], beta[32], labels[64], alpha_text[32];
    snprintf(epochs, sizeof epochs, "%d", o->epochs);
    if (o->lr_decay)
        snprintf(lr, sizeof lr, "%g cosine to %g", o->lr, o->lr_min);
    else
        snprintf(lr, sizeof lr, "%g", o->lr);
    snprintf(batch, sizeof batch, "%d", o->batch);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)o->seed);
    snprintf(beta, sizeof beta, "%g", o->beta);
    char penalty[96];
    penalty_text(o, penalty, sizeof penalty);
    const char *kv[32] = {
        "train.data",      cli_basename(o->csv ? o->csv : o->train_images),
        "train.epochs",    epochs,
        "train.batch",     batch,
        "train.optimizer", o->optimizer == VAE_OPT_SGD ? "sgd" : "adam",
        "train.lr",        lr,
        "train.beta",      beta,
        "train.seed",      seed,
    };
    int n = 7;
    if (test_loss) kv[2 * n] = "train.test_loss", kv[2 * n + 1] = test_loss, n++;
    if (o->init) kv[2 * n] = "train.init", kv[2 * n + 1] = cli_basename(o->init), n++;
    if (o->noise) kv[2 * n] = "train.noise", kv[2 * n + 1] = o->noise, n++;
    if (o->m1) kv[2 * n] = "train.m1", kv[2 * n + 1] = cli_basename(o->m1), n++;
    if (*penalty) kv[2 * n] = "train.penalty", kv[2 * n + 1] = penalty, n++;
    if (vae_model_arch(m)->kind == VAE_KIND_M2) {
        snprintf(labels, sizeof labels, "%d, balanced, seed %llu", labelled, (unsigned long long)o->seed + 3);
        snprintf(alpha_text, sizeof alpha_text, "%g", alpha);
        kv[2 * n] = "train.labelled", kv[2 * n + 1] = labels, n++;
        kv[2 * n] = "train.alpha", kv[2 * n + 1] = alpha_text, n++;
    }
    uint8_t *buf;
    size_t len;
    vae_error err;
    char *table = NULL;
    if (o->csv && vae_table_spec_to_json(spec, &table, &err) != VAE_OK) cli_die_lib("saving", &err);
    if (table) kv[2 * n] = VAE_TABLE_KEY, kv[2 * n + 1] = table, n++;
    if (vae_model_save(m, o->dtype ? VAE_DTYPE_F16 : VAE_DTYPE_F32, 0, kv, n, &buf, &len, &err) != VAE_OK)
        cli_die_lib("saving", &err);
    vae_buffer_free(table);
    cli_write_atomic(o->out, buf, len);
    if (!o->quiet) {
        char size[32];
        printf("wrote %s (%s, %s)\n", o->out, o->dtype ? "F16" : "F32", cli_fmt_bytes(size, len));
    }
    vae_buffer_free(buf);
}

static vae_trainer *open_trainer(const cli_cmd *cmd, const train_opts *o, vae_model *m, int steps_per_epoch,
                                 float alpha) {
    vae_train_config tc;
    vae_train_config_default(&tc);
    tc.opt = (vae_optimizer)o->optimizer;
    tc.lr = o->lr;
    tc.momentum = o->momentum;
    tc.weight_decay = o->weight_decay;
    tc.clip_norm = o->clip;
    tc.beta = o->beta;
    tc.seed = o->seed + 1;
    if ((int64_t)o->warmup_epochs * steps_per_epoch > 0x7fffffff)
        cli_usage_error(cmd, "--warmup-epochs %d is too long", o->warmup_epochs);
    tc.warmup_steps = o->warmup_epochs * steps_per_epoch;
    cli_noise_opt(cmd, o->noise, &tc.noise, &tc.noise_level);
    tc.sparsity = (vae_sparsity)o->sparsity;
    tc.sparsity_weight = o->sparsity_weight;
    tc.sparsity_rho = o->rho;
    tc.contractive = o->contractive;
    tc.alpha = alpha;
    vae_trainer *t = NULL;
    vae_error err;
    if (vae_trainer_init(&t, m, &tc, &err) != VAE_OK) cli_usage_error(cmd, "%s", err.msg);
    return t;
}

static void print_preamble(const train_opts *o, const cli_subset *train, const cli_subset *test, const vae_model *m,
                           int steps_per_epoch, const cli_subset *labelled, int lbatch, float alpha) {
    char text[512], num[32], num2[32];
    int m2 = vae_model_arch(m)->kind == VAE_KIND_M2;
    const char *unit = !o->csv ? "images" : o->window ? "windows" : "rows";
    printf("data     %s: %s training %s of %dx%d", cli_basename(o->csv ? o->csv : o->train_images),
           cli_fmt_count(num, (uint64_t)train->n), unit, train->d->h, train->d->w);
    if (o->csv) printf(" (standardised)");
    int n_labelled = labelled->n ? labelled->n : train->n;
    if (m2)
        printf(" (%s labelled, %s %s)", cli_fmt_count(num, (uint64_t)n_labelled),
               cli_fmt_count(num2, (uint64_t)(train->n - n_labelled)), o->no_unlabelled ? "left out" : "not");
    if (test->n) printf(", %s test %s", cli_fmt_count(num, (uint64_t)test->n), unit);
    if (m2 && labelled->n) { /* counted from the draw itself */
        int C = vae_model_arch(m)->n_classes, *count = cli_alloc((size_t)C, sizeof *count);
        for (int i = 0; i < labelled->n; i++) count[labelled->d->y[labelled->idx[i]]]++;
        printf("\nlabels   drawn with seed %llu, per class:", (unsigned long long)o->seed + 3);
        for (int c = 0; c < C; c++) printf(" %d", count[c]);
        free(count);
    }
    printf("\nmodel    %s; %s parameters", cli_describe_arch(text, sizeof text, vae_model_arch(m)),
           cli_fmt_count(num, vae_model_param_count(m)));
    if (o->init) printf("; from %s", o->init);
    printf("\ntraining %d epochs x %d steps of %d, %s lr %g", o->epochs, steps_per_epoch, o->batch,
           o->optimizer == VAE_OPT_SGD ? "sgd" : "adam", o->lr);
    if (o->lr_decay) printf(" (cosine to %g)", o->lr_min);
    if (lbatch) printf(", plus %d labelled per step", lbatch);
    /* Each column says what it is: the training objective includes beta and the penalties, the
     * test columns do not (rec + KL at one sampled z per image, as vae eval). */
    int ae = vae_model_arch(m)->kind == VAE_KIND_AE;
    char penalty[96];
    penalty_text(o, penalty, sizeof penalty);
    if (ae)
        printf(", seed %llu%s%s\n", (unsigned long long)o->seed, penalty[0] ? "; penalties: " : "", penalty);
    else if (m2)
        printf(", beta %g, alpha %g, seed %llu\n", o->beta, alpha, (unsigned long long)o->seed);
    else
        printf(", beta %g, seed %llu\n", o->beta, (unsigned long long)o->seed);
    printf("columns  train obj: the epoch's mean training objective per image (%s); test: %s\n\n",
           ae   ? (penalty[0] ? "rec + penalties" : "rec")
           : m2 ? "labelled: rec + beta KL + alpha xent; unlabelled: E_q(y|x)[rec + beta KL] - H"
                : "rec + beta KL",
           ae   ? "reconstruction loss"
           : m2 ? "-ELBO = rec + KL at the true labels; err: the classifier's error"
                : "-ELBO = rec + KL");
    printf("%7s %11s %11s %10s %10s%s %9s %11s %9s\n", "epoch", "train obj", ae ? "test rec" : "test -ELBO",
           ae ? "-" : "test rec", ae ? "-" : "test KL", m2 ? "   test err" : "", "img/s", "elapsed", "ETA");
    fflush(stdout);
}

/* --threads N: the library's data-parallel step (vae.h) on N threads, one
 * replica trainer each (they borrow the model, which only the coordinator
 * changes, between steps): the same shares and summation tree as vae.js's
 * trainer({workers: N}), so the same weights bit for bit. */
typedef struct {
    vae_trainer *r;
    const float *x, *xin, *eps;
    const int *y;
    int n, batch_n;
    float *g;
    vae_share_sums sums;
    vae_status s;
    vae_error err;
} share_job;

typedef struct {
    int threads, noisy_inputs;
    share_job *jobs;
    float *eps, *noisy;
} share_pool;

static void *run_share(void *p) {
    share_job *j = p;
    j->s = vae_trainer_share_grads(j->r, j->x, j->xin, j->y, j->n, j->batch_n, j->eps, j->g, &j->sums, &j->err);
    return NULL;
}

static vae_status parallel_step(share_pool *p, vae_trainer *t, const float *x, const int *y, int nb, size_t D,
                                vae_step_stats *st, vae_error *err) {
    vae_status s = vae_trainer_draw(t, x, y, nb, p->eps, p->noisy, err);
    if (s) return s;
    pthread_t tid[256];
    float *g[256];
    vae_share_sums sums[256];
    int k = p->threads < nb ? p->threads : nb, started = 0;
    for (int i = 0; i < k; i++) {
        share_job *j = &p->jobs[i];
        int first;
        j->n = vae_batch_share(nb, k, i, &first);
        j->x = x + first * D;
        j->xin = p->noisy_inputs ? p->noisy + first * D : NULL;
        j->y = y ? y + first : NULL;
        j->eps = p->eps + vae_trainer_eps_count(t, y, first);
        j->batch_n = nb;
        vae_trainer_sync(j->r, NULL, vae_trainer_steps(t), NULL);
        if (i && pthread_create(&tid[i], NULL, run_share, j)) cli_die(EXIT_RUNTIME, "cannot start a thread");
        started = i;
    }
    run_share(&p->jobs[0]);
    for (int i = 1; i <= started; i++) pthread_join(tid[i], NULL);
    for (int i = 0; i < k; i++) {
        if (p->jobs[i].s) {
            *err = p->jobs[i].err;
            return p->jobs[i].s;
        }
        g[i] = p->jobs[i].g;
        sums[i] = p->jobs[i].sums;
    }
    return vae_trainer_apply(t, g, sums, k, st, err);
}

/* What one pass over the training set needs, kept across epochs. */
typedef struct {
    vae_trainer *t;
    const cli_subset *set;
    const augmentation *aug;
    const train_opts *o;
    int64_t total_steps;
    vae_rng rng; /* shuffling and augmentation */
    int batch, nonfinite_in_a_row;
    float *xb, *tmp;
    int *yb, *perm;
    /* M2 with unlabelled images: each step adds lbatch of the labelled set,
     * cycled in reshuffled passes (lperm, lpos), and marks `set` unlabelled */
    const cli_subset *labelled;
    int lbatch, lpos, *lperm;
    share_pool *pool; /* --threads > 1 */
    const float *sd;  /* --m1-sample: M1's posterior standard deviations of the training rows */
    float *dequant;   /* --csv: the inputs' step widths for vae_dequant_apply, or NULL (--no-dequant) */
    vae_rng noise;    /* the dequantising noise's own stream: with or without it, the same batches */
} epoch_ctx;

/* --m1-sample: row `row`'s z1 = mu + sd * eps in place (x holds mu). */
static void sample_z1(epoch_ctx *c, float *x, int row) {
    if (!c->sd) return;
    size_t D = (size_t)c->set->d->h * c->set->d->w;
    for (size_t j = 0; j < D; j++) x[j] += c->sd[(size_t)row * D + j] * vae_rng_normal(&c->rng);
}

/* Gathers the step's labelled images into the front of the batch; returns how many. */
static int take_labelled(epoch_ctx *c) {
    if (!c->labelled) return 0;
    size_t D = (size_t)c->set->d->h * c->set->d->w;
    for (int k = 0; k < c->lbatch; k++, c->lpos++) {
        if (c->lpos == c->labelled->n) {
            vae_rng_permutation(&c->rng, c->lperm, c->labelled->n);
            c->lpos = 0;
        }
        cli_subset_gather(c->labelled, c->lperm, c->lpos, 1, c->xb + k * D, c->yb + k);
        sample_z1(c, c->xb + k * D, c->labelled->idx[c->lperm[c->lpos]]);
    }
    return c->lbatch;
}

/* Returns the mean per-image training loss of the steps taken; *skipped
 * counts the steps rejected as non-finite. */
static double run_epoch(epoch_ctx *c, int epoch, int epochs, int quiet, int *skipped) {
    const cli_subset *set = c->set;
    double t0 = cli_now(), t_shown = 0, loss_sum = 0;
    int seen = 0;
    *skipped = 0;
    vae_rng_permutation(&c->rng, c->perm, set->n);
    for (int i = 0; i < set->n; i += c->batch) {
        cli_check_interrupt();
        int nl = take_labelled(c), nb = set->n - i < c->batch ? set->n - i : c->batch;
        size_t D = (size_t)set->d->h * set->d->w;
        cli_subset_gather(set, c->perm, i, nb, c->xb + nl * D, c->yb ? c->yb + nl : NULL);
        if (c->dequant) vae_dequant_apply(&c->noise, c->dequant, c->xb + nl * D, nb, (int)D, NULL);
        for (int k = 0; c->labelled && k < nb; k++) c->yb[nl + k] = -1;
        for (int k = 0; k < nb; k++) sample_z1(c, c->xb + (nl + k) * D, set->idx[c->perm[i + k]]);
        nb += nl;
        augment_batch(c->aug, &c->rng, c->xb, nb, set->d->h, set->d->w, c->tmp);
        vae_step_stats st;
        vae_error err;
        vae_status s = vae_trainer_set_lr(c->t, scheduled_lr(c->o, vae_trainer_steps(c->t), c->total_steps), &err);
        if (s == VAE_OK)
            s = c->pool ? parallel_step(c->pool, c->t, c->xb, c->yb, nb, D, &st, &err)
                        : vae_trainer_step(c->t, c->xb, c->yb, nb, NULL, &st, &err);
        if (s == VAE_ERR_NONFINITE) {
            ++*skipped;
            if (++c->nonfinite_in_a_row == VAE_MAX_NONFINITE_RUN)
                cli_die(EXIT_RUNTIME, "training diverged: %d non-finite steps in a row (try a lower --lr or --clip)",
                        VAE_MAX_NONFINITE_RUN);
            continue;
        }
        if (s != VAE_OK) cli_die_lib("training step", &err);
        c->nonfinite_in_a_row = 0;
        loss_sum += st.loss * nb;
        seen += nb;
        double now = cli_now();
        if (!quiet && now - t_shown > 0.1) {
            t_shown = now;
            cli_progress("epoch %d/%d  %3d%%  loss %.4f  %.0f img/s", epoch, epochs,
                         (int)(100.0 * (i + c->batch < set->n ? i + c->batch : set->n) / set->n), loss_sum / seen,
                         seen / (now - t0));
        }
    }
    return seen ? loss_sum / seen : NAN;
}

int cmd_train(int argc, char **argv) {
    for (int i = 1; i < argc; i++) /* word lists train the sequence model (cli/words.c) */
        if (!strcmp(argv[i], "--words") || !strncmp(argv[i], "--words=", 8)) return cmd_train_words(argc, argv);
    for (int i = 1; i < argc; i++) /* drawings train SketchRNN (cli/sketch.c) */
        if (!strcmp(argv[i], "--strokes") || !strncmp(argv[i], "--strokes=", 10)) return cmd_train_sketch(argc, argv);
    static const char *const activations[] = {"relu", "leaky_relu", "tanh", "sigmoid", "identity", NULL};
    static const char *const kinds[] = {"vae", "ae", "m2", NULL};
    static const char *const sparsities[] = {"none", "l1", "kl", NULL};
    static const char *const likelihoods[] = {"bernoulli", "gaussian", "gaussian_learned", "student_t", NULL};
    static const char *const optimizers[] = {"adam", "sgd", NULL};
    static const char *const dtypes[] = {"f32", "f16", NULL};
    static const char *const decays[] = {"none", "cosine", NULL};
    train_opts o = {
        .hidden = {1, {400}},
        .latent = 20,
        .epochs = 10,
        .batch = 128,
        .threads = 1,
        .sigma = 0.1f,
        .beta = 1,
        .lr = 1e-3f,
        .lr_min = 0,
        .seed = 1,
        .code_act = VAE_ACT_IDENTITY,
        .sparsity_weight = 1e-3f,
        .rho = 0.05f,
        .alpha = -1,
    };
    cli_opt opts[] = {
        CLI_STR("train-images", o.train_images, "FILE", "training images, IDX (gzip or raw)"),
        CLI_STR("train-labels", o.train_labels, "FILE", "training labels, IDX"),
        CLI_STR("labels", o.labels, "FILE", "the same as --train-labels"),
        CLI_STR("test-images", o.test_images, "FILE", "test images, IDX"),
        CLI_STR("test-labels", o.test_labels, "FILE", "test labels, IDX"),
        CLI_INT("holdout", o.holdout, "N", "test on the last N training images instead", 1, 1e9),
        CLI_INT("holdout-per-class", o.holdout_per_class, "K", "test on the last K images of each class", 1, 1e9),
        CLI_STR("csv", o.csv, "FILE", "train on a CSV or TSV table instead (header row; see below)"),
        CLI_STR("columns", o.columns, "A,B,...", "--csv columns, names or 1-based numbers (default: the numeric ones)"),
        CLI_STR("label-column", o.label_column, "C", "--csv column of labels, 0 normal / 1 anomaly: trains on the 0s"),
        CLI_INT("window", o.window, "W", "--csv time series: windows of W consecutive rows are the inputs", 1,
                VAE_MAX_DIM),
        CLI_FLAG("no-dequant", o.no_dequant, "--csv: no noise one value step wide on the training rows (see above)"),
        CLI_STR("out", o.out, "FILE", "model file to write (safetensors)"),
        CLI_STR("init", o.init, "FILE", "start from this model (fine-tuning; its architecture wins)"),
        CLI_INTS("hidden", o.hidden, "N[,N...]", "encoder hidden widths", 1, VAE_MAX_DIM),
        CLI_INTS("dec-hidden", o.dec_hidden, "N[,N...]", "decoder hidden widths (default: --hidden reversed)", 1,
                 VAE_MAX_DIM),
        CLI_STR("encoder", o.encoder, "LAYERS", "encoder layers, e.g. conv32k4s2p1,conv64k4s2p1,256 (see below)"),
        CLI_STR("decoder", o.decoder, "LAYERS", "decoder layers, e.g. 256,3136@64x7x7,convt32k4s2p1"),
        CLI_STR("out-layer", o.out_layer, "LAYER", "decoder output layer, e.g. convt1k4s2p1 (default: linear)"),
        CLI_INT("latent", o.latent, "N", "latent dimensions (an AE's code size)", 1, VAE_MAX_DIM),
        CLI_CHOICE("model", o.kind, "K",
                   "vae; ae: a plain autoencoder (no sampling, no KL); m2: semi-supervised "
                   "(see below)",
                   kinds),
        CLI_INT("labelled", o.labelled, "N",
                "m2: keep N labels (N/classes per class, by seed); the rest train unlabelled", 1, 1e9),
        CLI_INT("labelled-batch", o.labelled_batch, "N",
                "m2: labelled images per step beside --batch unlabelled (default: --batch)", 1, 1e6),
        CLI_FLOAT("alpha", o.alpha, "A",
                  "m2: weight of -log q(y|x) per labelled image (default: the paper's 0.1 N, see below)", 0, 1e9),
        CLI_INTS("cls-hidden", o.cls_hidden, "N[,N...]", "m2: classifier hidden widths (default: --hidden)", 1,
                 VAE_MAX_DIM),
        CLI_STR("m1", o.m1, "FILE", "m2: M1+M2, model the latent means of this VAE's encoder (vae classify --m1 too)"),
        CLI_FLAG("no-unlabelled", o.no_unlabelled, "m2: train on the --labelled images alone (a supervised baseline)"),
        CLI_FLAG("m1-sample", o.m1_sample, "m2 --m1: train on draws from M1's posterior, not its means"),
        CLI_FLAG("keep-best", o.keep_best, "m2: save the weights of the epoch with the lowest test error"),
        CLI_CHOICE("code-activation", o.code_act, "A", "AE code activation (identity, sigmoid, ...)", activations),
        CLI_CHOICE("activation", o.activation, "A", "relu, leaky_relu, tanh, sigmoid or identity", activations),
        CLI_CHOICE("likelihood", o.likelihood, "L", "bernoulli, gaussian, gaussian_learned or student_t (tables)",
                   likelihoods),
        CLI_FLOAT("sigma", o.sigma, "S", "pixel noise of --likelihood gaussian", 1e-6, 1e6),
        CLI_FLAG("conditional", o.conditional, "conditional VAE on the labels (classes: max label + 1)"),
        CLI_FLOAT("beta", o.beta, "B", "weight of the KL term", 0, 1e6),
        CLI_INT("warmup-epochs", o.warmup_epochs, "E", "ramp the KL weight up from 0 over E epochs", 0, 1e6),
        CLI_INT("epochs", o.epochs, "N", "passes over the training set", 0, 1e7),
        CLI_INT("batch", o.batch, "N", "images per step", 1, 1e6),
        CLI_INT("threads", o.threads, "N", "split each batch over N threads (as vae.js's workers: N)", 1, 256),
        CLI_CHOICE("optimizer", o.optimizer, "O", "adam or sgd", optimizers),
        CLI_FLOAT("lr", o.lr, "R", "learning rate", 0, 1e3),
        CLI_CHOICE("lr-decay", o.lr_decay, "D", "none, or cosine: decay to --lr-min over all steps", decays),
        CLI_FLOAT("lr-min", o.lr_min, "R", "final learning rate of --lr-decay cosine", 0, 1e3),
        CLI_FLOAT("momentum", o.momentum, "M", "SGD momentum", 0, 1),
        CLI_FLOAT("weight-decay", o.weight_decay, "W", "decoupled weight decay", 0, 1e3),
        CLI_FLOAT("clip", o.clip, "NORM", "clip the global gradient norm; 0 = off", 0, 1e9),
        CLI_STR("augment", o.augment, "LIST", "flip and/or shift=N: random flips and shifts"),
        CLI_STR("noise", o.noise, "N", "denoising: mask:P (zero pixels with probability P) or gaussian:SIGMA"),
        CLI_CHOICE("sparsity", o.sparsity, "S", "AE code sparsity penalty: none, l1, or kl (sigmoid code)", sparsities),
        CLI_FLOAT("sparsity-weight", o.sparsity_weight, "W", "weight of the sparsity penalty", 0, 1e6),
        CLI_FLOAT("rho", o.rho, "R", "target mean code activation of --sparsity kl", 1e-6, 0.999999),
        CLI_FLOAT("contractive", o.contractive, "W", "AE contractive penalty weight (first encoder layer)", 0, 1e6),
        CLI_U64("seed", o.seed, "S", "seed of all randomness, see above"),
        CLI_CHOICE("dtype", o.dtype, "T", "stored weights: f32 or f16", dtypes),
        CLI_FLAG("quiet", o.quiet, "print nothing but errors and warnings"),
    };
    cli_cmd cmd = {
        "train",
        "--train-images FILE --out FILE [options]",
        "Trains a VAE (a conditional VAE with --conditional and labels) with the per-image\n"
        "negative ELBO, in nats, or a plain autoencoder (--model ae) with the reconstruction\n"
        "loss plus any penalties, and writes it as safetensors. Layers: N is a linear layer,\n"
        "N@CxHxW one whose output conv layers see as C channels of HxW, convCkKsSpP a conv\n"
        "layer (C channels, kernel K, stride S, pad P), convtCkKsSpPoO a transposed one.\n"
        "Seeds: weights from S,\n"
        "the trainer's eps from S+1, shuffling and augmentation from S+2; test losses use\n"
        "eps seeded with 1, as 'vae eval' does by default. The same command and seed give\n"
        "a bit-identical file. Ctrl-C stops without writing anything.\n"
        "M2 (Kingma et al. 2014, --model m2) adds a classifier q(y|x) to a conditional VAE\n"
        "and trains it on labelled and unlabelled images: each step takes --batch\n"
        "unlabelled images (an epoch is one pass over them) and --labelled-batch labelled\n"
        "ones, cycling the labelled set; the labelled subset is drawn with seed S+3.\n"
        "The default --alpha, 0.1 (batch + labelled-batch) / labelled-batch, weighs the\n"
        "classification terms 0.1 times the images seen, as the paper's 0.1 N.\n"
        "Tables: --csv FILE trains on its rows (or --window W rows at a time): each column is\n"
        "standardised by its training mean and standard deviation, which the model file\n"
        "keeps, so 'vae score --csv' takes raw values. Defaults for --csv: --hidden 64,\n"
        "--likelihood student_t --activation identity --latent 16 (a linear VAE; with\n"
        "--window: gaussian_learned, relu, --latent 8), --batch 64, --lr 0.003, --epochs\n"
        "enough for about 3000 steps (at least 10). Each batch gets fresh uniform noise one\n"
        "value step wide (a column's smallest gap between distinct training values, kept in\n"
        "the file), drawn from S+4: integer columns become continuous (--no-dequant: none).",
        opts,
        CLI_OPT_COUNT(opts),
    };
    cli_parse(&cmd, argc, argv);
    if (o.labels && o.train_labels) cli_usage_error(&cmd, "give --labels or --train-labels, not both");
    if (o.labels) o.train_labels = o.labels;
    if (o.csv) { /* a table's defaults: small layers, a learned scale per column */
        /* Rows: Student-t, whose heavy tails beat every peer on wine (tests/bench/tables.py); windows
         * keep the Gaussian they were tuned with (CO2: 0.850 for it, 0.855 for Student-t, +- 0.035). */
        if (!cli_given(&cmd, "likelihood")) o.likelihood = o.window ? VAE_LIK_GAUSSIAN_LEARNED : VAE_LIK_STUDENT_T;
        if (!cli_given(&cmd, "hidden")) o.hidden.v[0] = 64;
        /* Rows: a linear VAE (factor analysis by the ELBO; unused codes fall to the prior), since a
         * few hundred rows overfit a relu one; windows of a season need the relu (tests/bench/tables.py). */
        if (!cli_given(&cmd, "activation") && !o.window) o.activation = VAE_ACT_IDENTITY;
        if (!cli_given(&cmd, "latent")) o.latent = o.window ? 8 : 16;
        if (!cli_given(&cmd, "batch")) o.batch = 64;
        if (!cli_given(&cmd, "lr")) o.lr = 3e-3f; /* the learned log-sigmas have far to go from 0 */
    }
    check_combinations(&cmd, &o);
    cli_check_writable(o.out);
    augmentation aug;
    parse_augment(&cmd, o.augment, &aug);

    cli_dataset train_d, test_d;
    cli_subset train, test;
    vae_table_spec spec = {0};
    float *sd = NULL;
    open_data(&o, &train_d, &test_d, &train, &test, &spec, &sd);
    vae_model *m = open_model(&cmd, &o, &train_d);
    if (o.test_images) cli_check_data(m, &test_d, o.test_images, "--test-labels");
    const vae_arch *a = vae_model_arch(m);
    /* M2 with --labelled: epochs pass over the unlabelled images, the labelled ones cycle beside them */
    cli_subset labelled = {0}, unlabelled = {0};
    int semi = a->kind == VAE_KIND_M2 && o.labelled && o.labelled < train.n && !o.no_unlabelled;
    if (a->kind == VAE_KIND_M2 && o.labelled)
        draw_labelled(&cmd, &train, o.labelled, a->n_classes, o.seed + 3, &labelled, &unlabelled);
    int n_labelled = a->kind == VAE_KIND_M2 && o.labelled ? o.labelled : train.n;
    int lbatch = semi ? (o.labelled_batch ? o.labelled_batch : o.batch) : 0;
    if (lbatch > n_labelled) lbatch = n_labelled;
    /* The paper's alpha = 0.1 N: over an epoch the classification terms weigh 0.1 times the images
     * seen. Labelled images seen at their share of the data (no cycling) make that 0.1 N / labelled
     * per labelled image; cycled, lbatch of them beside every batch, 0.1 (batch + lbatch) / lbatch. */
    float alpha = o.alpha >= 0 ? o.alpha
                  : lbatch     ? 0.1f * (float)(o.batch + lbatch) / (float)lbatch
                               : 0.1f * (float)train.n / (float)n_labelled;
    const cli_subset *set = semi ? &unlabelled : o.labelled ? &labelled : &train;
    int steps_per_epoch = (set->n + o.batch - 1) / o.batch;
    if (o.csv && !cli_given(&cmd, "epochs") && steps_per_epoch * 10 < 3000)
        o.epochs = (3000 + steps_per_epoch - 1) / steps_per_epoch;

    vae_trainer *t = open_trainer(&cmd, &o, m, steps_per_epoch, alpha);
    if (!o.quiet) print_preamble(&o, &train, &test, m, steps_per_epoch, &labelled, lbatch, alpha);

    epoch_ctx c = {
        .t = t,
        .set = set,
        .aug = &aug,
        .o = &o,
        .total_steps = (int64_t)o.epochs * steps_per_epoch,
        .batch = o.batch,
        .xb = cli_alloc((size_t)(o.batch + lbatch) * vae_arch_input_dim(a), sizeof(float)),
        .tmp = cli_alloc((size_t)vae_arch_input_dim(a), sizeof(float)),
        .yb = a->n_classes ? cli_alloc((size_t)(o.batch + lbatch), sizeof(int)) : NULL,
        .perm = cli_alloc((size_t)set->n, sizeof(int)),
        .labelled = semi ? &labelled : NULL,
        .lbatch = lbatch,
        .lpos = labelled.n,
        .lperm = cli_alloc((size_t)(labelled.n ? labelled.n : 1), sizeof(int)),
        .sd = sd,
        .dequant = o.csv && !o.no_dequant ? cli_alloc((size_t)vae_arch_input_dim(a), sizeof(float)) : NULL,
    };
    vae_error derr;
    if (c.dequant && vae_table_dequant(&spec, c.dequant, &derr) != VAE_OK) cli_die_lib(o.csv, &derr);
    share_pool pool = {o.threads, o.noise != NULL, NULL, NULL, NULL};
    if (o.threads > 1) {
        size_t rows = (size_t)(o.batch + lbatch) * (a->n_classes ? a->n_classes : 1);
        pool.jobs = cli_alloc((size_t)o.threads, sizeof *pool.jobs);
        pool.eps = cli_alloc(rows * (size_t)a->latent, sizeof(float));
        pool.noisy = cli_alloc((size_t)(o.batch + lbatch) * vae_arch_input_dim(a), sizeof(float));
        for (int i = 0; i < o.threads; i++) {
            pool.jobs[i].r = open_trainer(&cmd, &o, m, steps_per_epoch, alpha);
            pool.jobs[i].g = cli_alloc((size_t)vae_model_param_count(m), sizeof(float));
        }
        c.pool = &pool;
    }
    vae_rng_seed(&c.rng, o.seed + 2);
    vae_rng_seed(&c.noise, o.seed + 4);
    char test_loss[32] = "";
    double t_start = cli_now(), best_err = INFINITY;
    size_t n_params = vae_model_param_count(m);
    float *params = model_params(m), *best = o.keep_best ? cli_alloc(n_params, sizeof *best) : NULL;
    int best_epoch = 0;
    for (int epoch = 1; epoch <= o.epochs; epoch++) {
        double t_epoch = cli_now();
        int skipped;
        double loss = run_epoch(&c, epoch, o.epochs, o.quiet, &skipped);
        double train_secs = cli_now() - t_epoch, rec = 0, kl = 0, err_pct = 0;
        if (test.n && a->kind == VAE_KIND_M2) err_pct = test_error(m, &test);
        if (best && err_pct < best_err) { /* ties keep the earlier epoch */
            best_err = err_pct, best_epoch = epoch;
            memcpy(best, params, n_params * sizeof *best);
        }
        if (test.n) {
            cli_eval_loss(m, &test, VAE_EVAL_BATCH, VAE_EVAL_SEED, &rec, &kl);
            snprintf(test_loss, sizeof test_loss, "%.4f", rec + kl);
        }
        cli_progress_clear();
        if (skipped)
            fprintf(stderr, "vae: warning: epoch %d: skipped %d step%s with a non-finite loss or gradient\n", epoch,
                    skipped, skipped > 1 ? "s" : "");
        /* A table's many short epochs: about ten rows. */
        int every = o.csv ? (o.epochs + 9) / 10 : 1;
        if (o.quiet || (epoch % every && epoch != o.epochs)) continue;
        char ep[32], num[32], eta[32];
        double elapsed = cli_now() - t_start;
        snprintf(ep, sizeof ep, "%d/%d", epoch, o.epochs);
        printf("%7s %11.4f", ep, loss);
        if (test.n && a->kind == VAE_KIND_AE)
            printf(" %11.4f %10s %10s", rec, "-", "-");
        else if (test.n)
            printf(" %11.4f %10.4f %10.4f", rec + kl, rec, kl);
        else
            printf(" %11s %10s %10s", "-", "-", "-");
        if (a->kind == VAE_KIND_M2 && test.n)
            printf(" %9.2f %%", err_pct);
        else if (a->kind == VAE_KIND_M2)
            printf(" %11s", "-");
        /* Elapsed stays in seconds so scripts can difference it; ETA is for people. */
        printf(" %9s %9.1f s %9s\n",
               cli_fmt_count(num, (uint64_t)((set->n + (int64_t)lbatch * steps_per_epoch) / train_secs)), elapsed,
               cli_fmt_duration(eta, elapsed / epoch * (o.epochs - epoch)));
        fflush(stdout);
    }
    if (best && best_epoch) {
        memcpy(params, best, n_params * sizeof *best);
        if (!o.quiet) printf("kept     epoch %d: test error %.2f %%\n", best_epoch, best_err);
        snprintf(test_loss, sizeof test_loss, "%s", ""); /* it was the last epoch's */
    }
    free(best);
    save(m, &o, test_loss[0] ? test_loss : NULL, n_labelled, alpha, &spec);
    vae_table_spec_free(&spec);

    free(c.xb);
    free(c.tmp);
    free(c.yb);
    free(c.perm);
    free(c.lperm);
    free(c.dequant);
    free(sd);
    for (int i = 0; pool.jobs && i < o.threads; i++) {
        vae_trainer_free(pool.jobs[i].r);
        free(pool.jobs[i].g);
    }
    free(pool.jobs);
    free(pool.eps);
    free(pool.noisy);
    cli_subset_free(&labelled);
    cli_subset_free(&unlabelled);
    vae_trainer_free(t);
    vae_model_free(m);
    cli_subset_free(&train);
    cli_subset_free(&test);
    cli_dataset_free(&train_d);
    cli_dataset_free(&test_d);
    return 0;
}
