/* Native timing of a word model (models/words.h) for tests/bench/bench-words.mjs,
 * which puts it beside the wasm builds and TensorFlow.js measured in the same
 * run: greedy decoding of one word (batch 1, the step loop), encoding 256
 * words, one training step at batch 128. Prints one JSON object (ms). Not a
 * test: nothing here asserts on time.
 *
 * Usage: bench_words MODEL.safetensors WORDS.txt [--serve]   (WORDS: >= 256
 * words of the model, one a line; the first one's code is the word decoded).
 * --serve: for each line read, "NAME K" (decode1, encode256 or step128),
 * runs that call K times and answers the CPU milliseconds they took (the
 * process's, so time spent preempted on a shared machine does not count),
 * so bench-words.mjs can time native calls interleaved with the others. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_timer.h"
#include "models/words.h"

enum { REPS = 9, ENCODE = 256, BATCH = 128 };

typedef void (*op_fn)(void *c);

typedef struct {
    vae_words *m;
    const char **words;
    float *z, *mu;
    char *out;
    vae_train_config c;
    vae_rng rng;
} ctx;

static void die(const char *what, const vae_error *e) {
    fprintf(stderr, "bench_words: %s: %s\n", what, e ? e->msg : "failed");
    exit(1);
}

static void op_decode(void *arg) {
    ctx *c = arg;
    vae_error e;
    if (vae_words_decode(c->m, c->z, 1, 0.0f, NULL, c->out, &e)) die("decode", &e);
}

static void op_encode(void *arg) {
    ctx *c = arg;
    vae_error e;
    if (vae_words_encode(c->m, c->words, ENCODE, c->mu, NULL, &e)) die("encode", &e);
}

static void op_step(void *arg) {
    ctx *c = arg;
    vae_error e;
    if (vae_words_train_step(c->m, c->words, BATCH, 1.0f, 0.3f, &c->c, &c->rng, NULL, &e)) die("step", &e);
}

/* The file's bytes, NUL-terminated; *len without the NUL. */
static char *read_file(const char *path, size_t *len) {
    char *buf = bench_read_file(path, len);
    if (!buf) die(path, NULL);
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 3 && !(argc == 4 && !strcmp(argv[3], "--serve"))) {
        fprintf(stderr, "usage: bench_words MODEL.safetensors WORDS.txt [--serve]\n");
        return 2;
    }
    vae_error e;
    size_t len, text_len;
    char *file = read_file(argv[1], &len), *text = read_file(argv[2], &text_len);
    ctx c = {0};
    if (vae_words_load(&c.m, (const uint8_t *)file, len, ENCODE, &e)) die(argv[1], &e);
    const char *words[ENCODE];
    int n = 0;
    for (char *p = strtok(text, "\n"); p && n < ENCODE; p = strtok(NULL, "\n")) words[n++] = p;
    if (n < ENCODE) die("fewer than 256 words", NULL);
    int L = vae_words_get_arch(c.m)->latent, W = vae_words_get_arch(c.m)->max_len + 1;
    c.words = words, c.mu = malloc(sizeof(float) * ENCODE * L), c.out = malloc(W);
    c.z = c.mu; /* the first word's code */
    vae_train_config_default(&c.c);
    c.c.clip_norm = 5.0f;
    vae_rng_seed(&c.rng, 3);
    op_encode(&c);
    if (argc == 4) {
        char name[32];
        int k;
        while (scanf("%31s %d", name, &k) == 2) {
            op_fn f = !strcmp(name, "decode1") ? op_decode : !strcmp(name, "encode256") ? op_encode : op_step;
            double t0 = bench_cpu_now();
            for (int i = 0; i < k; i++) f(&c); /* encode: row 0, z, stays the first word's code */
            printf("%.6f\n", (bench_cpu_now() - t0) * 1e3);
            fflush(stdout);
        }
        return 0;
    }
    double enc = bench_seconds_per_call(op_encode, &c, REPS) * 1e3;
    op_encode(&c);
    double dec = bench_seconds_per_call(op_decode, &c, REPS) * 1e3;
    double step = bench_seconds_per_call(op_step, &c, REPS) * 1e3;
    printf("{\"decode1\": %.5f, \"encode256\": %.4f, \"step128\": %.4f, \"decoded\": \"%s\"}\n", dec, enc, step, c.out);
    vae_words_free(c.m);
    free(file), free(text), free(c.mu), free(c.out);
    return 0;
}
