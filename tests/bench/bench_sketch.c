/* Native timing of a sketch model (models/sketch.h) for
 * tests/bench/bench-sketch.mjs, which puts it beside the wasm builds,
 * TensorFlow.js and @magenta/sketch measured in the same run. Not a test:
 * nothing here asserts on time.
 *
 * Usage: bench_sketch MODEL.safetensors DRAWINGS.txt KL_MIN
 * DRAWINGS: one drawing a line, its stroke-3 points as numbers "dx dy lift
 * dx dy lift ..."; the first 100 are the training batch, the first one's
 * code the character decoded. For each line read, "NAME K" (decode1: greedy
 * decoding of that code, the step loop at batch 1; step100: one Adam step at
 * batch 100, w_KL 1, the floor KL_MIN, clip 1), runs that call K times and
 * answers the process's CPU milliseconds they took. */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_timer.h"
#include "models/sketch.h"

enum { BATCH = 100 };

static void die(const char *what, const vae_error *e) {
    fprintf(stderr, "bench_sketch: %s: %s\n", what, e ? e->msg : "failed");
    exit(1);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: bench_sketch MODEL.safetensors DRAWINGS.txt KL_MIN\n");
        return 2;
    }
    vae_error e;
    size_t len, text_len;
    char *file = bench_read_file(argv[1], &len), *text = bench_read_file(argv[2], &text_len);
    if (!file || !text) die(!file ? argv[1] : argv[2], NULL);
    float kl_min = strtof(argv[3], NULL);
    vae_sketch *m;
    if (vae_sketch_load(&m, (const uint8_t *)file, len, BATCH, &e)) die(argv[1], &e);
    const vae_sketch_arch *a = vae_sketch_get_arch(m);
    float *pts = malloc(sizeof(float) * BATCH * a->max_len * 3), *z = malloc(sizeof(float) * a->latent);
    float *out = malloc(sizeof(float) * a->max_len * 3);
    vae_sketch_drawing batch[BATCH];
    int n = 0, out_len;
    char *line = text;
    for (; n < BATCH && *line; n++) {
        char *end = strchr(line, '\n'), *p = line;
        if (end) *end = '\0';
        float *d = pts + (size_t)n * a->max_len * 3;
        int k = 0;
        for (char *q; k < a->max_len * 3; k++, p = q) {
            d[k] = strtof(p, &q);
            if (q == p) break;
        }
        batch[n] = (vae_sketch_drawing){d, k / 3};
        line = end ? end + 1 : line + strlen(line);
    }
    if (n < BATCH) die("fewer than 100 drawings", NULL);
    if (vae_sketch_encode(m, batch, 1, z, NULL, &e)) die("encode", &e);
    vae_train_config c;
    vae_train_config_default(&c);
    c.clip_norm = 1.0f;
    vae_rng rng;
    vae_rng_seed(&rng, 3);
    char name[32];
    int k;
    while (scanf("%31s %d", name, &k) == 2) {
        int decode = !strcmp(name, "decode1");
        double t0 = bench_cpu_now();
        for (int i = 0; i < k; i++) {
            vae_status s = decode ? vae_sketch_decode(m, z, 1, 0.0f, NULL, out, &out_len, &e)
                                  : vae_sketch_train_step(m, batch, BATCH, 1.0f, kl_min, &c, &rng, NULL, &e);
            if (s) die(name, &e);
        }
        printf("%.6f\n", (bench_cpu_now() - t0) * 1e3);
        fflush(stdout);
    }
    vae_sketch_free(m);
    free(file), free(text), free(pts), free(z), free(out);
    return 0;
}
