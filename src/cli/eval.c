/* Test losses over a data set, and `vae eval`. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

void cli_check_images(const vae_model *m, const cli_dataset *d, const char *images) {
    const vae_arch *a = vae_model_arch(m);
    if (a->image_c != 1 || a->image_h != d->h || a->image_w != d->w)
        cli_die(EXIT_RUNTIME, "%s: images are %dx%d but the model expects %dx%dx%d", images, d->h, d->w, a->image_c,
                a->image_h, a->image_w);
}

void cli_check_data(const vae_model *m, const cli_dataset *d, const char *images, const char *labels_opt) {
    const vae_arch *a = vae_model_arch(m);
    cli_check_images(m, d, images);
    if (!a->n_classes) return;
    if (!d->y) cli_die(EXIT_USAGE, "the model is conditional (%d classes): give %s", a->n_classes, labels_opt);
    for (int i = 0; i < d->n; i++)
        if (d->y[i] >= a->n_classes)
            cli_die(EXIT_RUNTIME, "%s: label %d of image %d is out of range for a model of %d classes", labels_opt,
                    d->y[i], i, a->n_classes);
}

/* Batch buffers for a model: images, labels (conditional only), noise. */
typedef struct {
    float *x, *eps;
    int *y;
} batch_bufs;

static void bufs_init(batch_bufs *b, const vae_arch *a, int batch, int eps_per_image) {
    b->x = cli_alloc((size_t)batch * vae_arch_input_dim(a), sizeof(float));
    b->eps = cli_alloc((size_t)batch * a->latent * eps_per_image, sizeof(float));
    b->y = a->n_classes ? cli_alloc((size_t)batch, sizeof(int)) : NULL;
}

static void bufs_free(batch_bufs *b) {
    free(b->x);
    free(b->eps);
    free(b->y);
}

void cli_loss_terms(vae_model *m, const cli_subset *s, int batch, vae_rng *rng, float *rec, float *kl) {
    const vae_arch *a = vae_model_arch(m);
    batch_bufs b;
    bufs_init(&b, a, batch, rng != NULL);
    vae_error err;
    for (int i = 0; i < s->n; i += batch) {
        cli_check_interrupt();
        int nb = s->n - i < batch ? s->n - i : batch;
        cli_subset_gather(s, NULL, i, nb, b.x, b.y);
        if (rng) vae_rng_normals(rng, b.eps, (size_t)nb * a->latent);
        if (vae_model_loss(m, b.x, b.y, nb, rng ? b.eps : NULL, rec + i, kl ? kl + i : NULL, &err) != VAE_OK)
            cli_die_lib("evaluation", &err);
    }
    bufs_free(&b);
}

void cli_iwae_terms(vae_model *m, const cli_subset *s, int batch, int k, vae_rng *rng, float *ll) {
    batch_bufs b;
    bufs_init(&b, vae_model_arch(m), batch, 0);
    vae_error err;
    for (int i = 0; i < s->n; i += batch) {
        cli_check_interrupt();
        int nb = s->n - i < batch ? s->n - i : batch;
        cli_subset_gather(s, NULL, i, nb, b.x, b.y);
        if (vae_model_iwae(m, b.x, b.y, nb, k, rng, ll + i, &err) != VAE_OK) cli_die_lib("IWAE", &err);
    }
    bufs_free(&b);
}

static double mean(const float *v, int n) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += v[i];
    return sum / n;
}

void cli_eval_loss(vae_model *m, const cli_subset *s, int batch, uint64_t seed, double *rec, double *kl) {
    float *r = cli_alloc((size_t)s->n, sizeof *r), *k = cli_alloc((size_t)s->n, sizeof *k);
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    cli_loss_terms(m, s, batch, &rng, r, k);
    *rec = mean(r, s->n);
    *kl = mean(k, s->n);
    free(r);
    free(k);
}

/* Mean importance-weighted log-likelihood. */
static double eval_iwae(vae_model *m, const cli_subset *s, int batch, int k, uint64_t seed) {
    float *ll = cli_alloc((size_t)s->n, sizeof *ll);
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    cli_iwae_terms(m, s, batch, k, &rng, ll);
    double res = mean(ll, s->n);
    free(ll);
    return res;
}

int cmd_eval(int argc, char **argv) {
    int kind = cli_seq_model_arg(argc, argv); /* words.c, sketch.c */
    if (kind == CLI_WORDS_MODEL) return cmd_eval_words(argc, argv);
    if (kind == CLI_SKETCH_MODEL) return cmd_eval_sketch(argc, argv);
    const char *model = NULL, *images = NULL, *labels = NULL;
    int k = 100, batch = VAE_EVAL_BATCH, holdout = 0, per_class = 0;
    uint64_t seed = VAE_EVAL_SEED;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "model file (safetensors)"),
        CLI_STR("images", images, "FILE", "test images, IDX (gzip or raw)"),
        CLI_STR("labels", labels, "FILE", "test labels, IDX (needed for a conditional model)"),
        CLI_INT("k", k, "K", "importance samples per image for log p(x); 0 skips it", 0, 1e6),
        CLI_U64("seed", seed, "S", "seed of the eps and importance samples"),
        CLI_INT("batch", batch, "N", "images per forward pass", 1, 1e6),
        CLI_INT("holdout", holdout, "N", "evaluate the last N images only (vae train --holdout's test set)", 1, 1e9),
        CLI_INT("holdout-per-class", per_class, "K", "evaluate the last K images of each class only", 1, 1e9),
    };
    cli_cmd cmd = {"eval", "--model FILE --images FILE [options]",
                   "Mean per-image negative ELBO (reconstruction + KL, one sampled z per image; vae\n"
                   "score's elbo metric is the deterministic one at z = mu) and the\n"
                   "importance-weighted estimate of -log p(x) (Burda et al.), in nats; for an\n"
                   "autoencoder, its reconstruction loss. A word model is evaluated on a word\n"
                   "list: --model WORDS --help.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "images");
    if (holdout && per_class) cli_usage_error(&cmd, "give --holdout or --holdout-per-class, not both");
    if (per_class && !labels) cli_usage_error(&cmd, "--holdout-per-class needs --labels");

    vae_model *m = cli_load_model(model);
    cli_dataset d;
    cli_dataset_load(&d, images, labels);
    cli_check_data(m, &d, images, "--labels");
    cli_subset s;
    if (holdout || per_class) {
        cli_subset rest;
        cli_subset_split(&d, holdout, per_class, &rest, &s);
        cli_subset_free(&rest);
    } else {
        cli_subset_all(&s, &d);
    }

    char arch[512], count[32], took[32];
    printf("model      %s: %s\n", cli_basename(model), cli_describe_arch(arch, sizeof arch, vae_model_arch(m)));
    printf("images     %s: %s images of %dx%d\n", cli_basename(images), cli_fmt_count(count, (uint64_t)s.n), d.h, d.w);
    double t0 = cli_now(), rec, kl;
    cli_eval_loss(m, &s, batch, seed, &rec, &kl);
    int ae = vae_model_arch(m)->kind == VAE_KIND_AE;
    if (ae)
        printf("rec loss   %10.4f nats/image  (%s; an autoencoder has no ELBO)\n", rec,
               cli_fmt_duration(took, cli_now() - t0));
    else
        printf("-ELBO      %10.4f nats/image = rec %.4f + KL %.4f, z sampled (seed %llu)  (%s)\n", rec + kl, rec, kl,
               (unsigned long long)seed, cli_fmt_duration(took, cli_now() - t0));
    if (k > 0 && !ae) {
        t0 = cli_now();
        double ll = eval_iwae(m, &s, batch, k, seed);
        printf("-log p(x)  %10.4f nats/image, IWAE with k = %d  (%s)\n", -ll, k,
               cli_fmt_duration(took, cli_now() - t0));
    }
    cli_subset_free(&s);
    cli_dataset_free(&d);
    vae_model_free(m);
    return 0;
}
