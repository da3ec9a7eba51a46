/* What packing W^T costs per call (issue 14): encodes 64 dense images
 * (uniform pixels, none zero) or decodes their 64 means R times with a
 * model; tests/bench/pack_cost.sh runs it under callgrind and compares
 * pack_wt's instructions with the calls'. Not a test. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "vae.h"

int main(int argc, char **argv) {
    if (argc < 3) return fprintf(stderr, "usage: pack_cost MODEL encode|decode [R]\n"), 2;
    int reps = argc > 3 ? atoi(argv[3]) : 10, decode = argv[2][0] == 'd';
    FILE *f = fopen(argv[1], "rb");
    if (!f) return perror(argv[1]), 1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    rewind(f);
    uint8_t *buf = malloc((size_t)len);
    if (!buf || fread(buf, 1, (size_t)len, f) != (size_t)len) return fprintf(stderr, "cannot read %s\n", argv[1]), 1;
    fclose(f);
    vae_model *m = NULL;
    vae_error err;
    if (vae_model_load(&m, buf, (size_t)len, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    const vae_arch *a = vae_model_arch(m);
    int d = a->image_c * a->image_h * a->image_w, l = a->latent;
    float *x = malloc(sizeof(float) * 64 * d), *mu = malloc(sizeof(float) * 64 * l),
          *lv = malloc(sizeof(float) * 64 * l), *out = malloc(sizeof(float) * 64 * d);
    uint32_t s = 1;
    for (int i = 0; i < 64 * d; i++) s = s * 1664525u + 1013904223u, x[i] = (float)((s >> 8) + 1) / 16777217.0f;
    for (int r = 0; r < (decode ? 1 : reps); r++)
        if (vae_model_encode(m, x, NULL, 64, mu, lv, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    for (int r = 0; r < (decode ? reps : 0); r++)
        if (vae_model_decode(m, mu, NULL, 64, out, &err)) return fprintf(stderr, "%s\n", err.msg), 1;
    printf("mu[0] %g, out[0] %g\n", mu[0], out[0]);
    vae_model_free(m);
    free(buf), free(x), free(mu), free(lv), free(out);
    return 0;
}
