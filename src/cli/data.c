/* Data sets: IDX images/labels (gzip or raw), train/test splits, batches,
 * and the raw little-endian float32/int32 files of `vae forward`. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_dataset_load(cli_dataset *d, const char *images, const char *labels) {
    memset(d, 0, sizeof *d);
    size_t len;
    vae_error err;
    uint8_t *buf = cli_read_maybe_gz(images, &len);
    if (vae_idx_images(buf, len, &d->x, &d->n, &d->h, &d->w, &err) != VAE_OK) cli_die_lib(images, &err);
    free(buf);
    if (d->n == 0) cli_die(EXIT_RUNTIME, "%s: no images", images);
    if (!labels) return;
    int n;
    buf = cli_read_maybe_gz(labels, &len);
    if (vae_idx_labels(buf, len, &d->y, &n, &err) != VAE_OK) cli_die_lib(labels, &err);
    free(buf);
    if (n != d->n) cli_die(EXIT_RUNTIME, "%s has %d labels for %d images in %s", labels, n, d->n, images);
}

void cli_dataset_encode(cli_dataset *d, const char *m1, float **sd) {
    vae_model *m = cli_load_model(m1);
    const vae_arch *a = vae_model_arch(m);
    if (a->kind != VAE_KIND_VAE || a->n_classes || a->decoder_only)
        cli_die(EXIT_RUNTIME, "%s: --m1 needs an unconditional VAE with its encoder", m1);
    cli_check_images(m, d, m1);
    int L = a->latent;
    float *mu = cli_alloc((size_t)d->n * L, sizeof *mu), *lv = sd ? cli_alloc((size_t)d->n * L, sizeof *lv) : NULL;
    vae_error err;
    if (vae_model_encode(m, d->x, NULL, d->n, mu, lv, &err) != VAE_OK) cli_die_lib(m1, &err);
    /* Into the unit interval, where the likelihoods' means (sigmoids) live: N(0, 1) latents map
     * to 0.5 +- 0.125 sigma, 4 sigma to the ends. */
    for (size_t i = 0; i < (size_t)d->n * L; i++) {
        mu[i] = VAE_M1_CENTRE + VAE_M1_SCALE * mu[i];
        if (lv) lv[i] = VAE_M1_SCALE * expf(0.5f * lv[i]);
    }
    if (sd) *sd = lv;
    vae_model_free(m);
    vae_buffer_free(d->x);
    d->x = mu; /* cli_alloc'd: vae_buffer_free is free */
    d->h = 1;
    d->w = L;
}

void cli_dataset_free(cli_dataset *d) {
    vae_buffer_free(d->x);
    vae_buffer_free(d->y);
}

int cli_dataset_max_label(const cli_dataset *d) {
    int m = -1;
    for (int i = 0; d->y && i < d->n; i++)
        if (d->y[i] > m) m = d->y[i];
    return m;
}

void cli_subset_all(cli_subset *s, const cli_dataset *d) {
    s->d = d;
    s->n = d->n;
    s->idx = cli_alloc((size_t)d->n, sizeof *s->idx);
    for (int i = 0; i < d->n; i++) s->idx[i] = i;
}

void cli_subset_split(const cli_dataset *d, int tail, int per_class, cli_subset *train, cli_subset *test) {
    unsigned char *held = cli_alloc((size_t)d->n, 1);
    if (per_class) {
        /* Walk backwards so each class gives up its last `per_class` images. */
        int classes = cli_dataset_max_label(d) + 1;
        int *taken = cli_alloc((size_t)classes, sizeof *taken), *total = cli_alloc((size_t)classes, sizeof *total);
        for (int i = 0; i < d->n; i++) total[d->y[i]]++;
        for (int c = 0; c < classes; c++)
            if (total[c] && total[c] <= per_class)
                cli_die(EXIT_RUNTIME, "class %d has %d images: cannot hold out %d and still train on it", c, total[c],
                        per_class);
        for (int i = d->n - 1; i >= 0; i--)
            if (taken[d->y[i]] < per_class) held[i] = 1, taken[d->y[i]]++;
        free(taken);
        free(total);
    } else {
        if (tail >= d->n) cli_die(EXIT_RUNTIME, "cannot hold out %d of %d images", tail, d->n);
        memset(held + d->n - tail, 1, (size_t)tail);
    }
    cli_subset *parts[2] = {train, test};
    for (int p = 0; p < 2; p++) {
        parts[p]->d = d;
        parts[p]->n = 0;
        parts[p]->idx = cli_alloc((size_t)d->n, sizeof(int));
    }
    for (int i = 0; i < d->n; i++) parts[held[i]]->idx[parts[held[i]]->n++] = i;
    free(held);
}

void cli_subset_free(cli_subset *s) {
    free(s->idx);
    s->idx = NULL;
    s->n = 0;
}

void cli_subset_gather(const cli_subset *s, const int *order, int start, int count, float *xb, int *yb) {
    size_t dim = (size_t)s->d->h * (size_t)s->d->w;
    for (int i = 0; i < count; i++) {
        int row = s->idx[order ? order[start + i] : start + i];
        memcpy(xb + (size_t)i * dim, s->d->x + (size_t)row * dim, dim * sizeof *xb);
        if (yb) yb[i] = s->d->y[row];
    }
}

/* Little-endian 32-bit words, whatever the host's byte order. */
static uint32_t le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A file of whole rows of `row` 32-bit words; *n_rows > 0. */
static uint8_t *read_rows(const char *path, int row, int *n_rows, const char *what) {
    size_t len;
    uint8_t *buf = cli_read_file(path, &len);
    size_t row_bytes = 4 * (size_t)row;
    if (len == 0 || len % row_bytes || len / row_bytes > 0x7fffffff) {
        free(buf); /* no caller holds it: LeakSanitizer would report it at exit */
        cli_die(EXIT_RUNTIME, "%s: %zu bytes is not a whole number of rows of %d %s", path, len, row, what);
    }
    *n_rows = (int)(len / row_bytes);
    return buf;
}

float *cli_read_f32(const char *path, int row, int *n_rows) {
    uint8_t *buf = read_rows(path, row, n_rows, "float32");
    size_t n = (size_t)*n_rows * (size_t)row;
    float *f = cli_alloc(n, sizeof *f);
    for (size_t i = 0; i < n; i++) {
        uint32_t u = le32(buf + 4 * i);
        memcpy(&f[i], &u, 4);
    }
    free(buf);
    return f;
}

int *cli_read_i32(const char *path, int *n) {
    uint8_t *buf = read_rows(path, 1, n, "int32");
    int *v = cli_alloc((size_t)*n, sizeof *v);
    for (int i = 0; i < *n; i++) v[i] = (int)(int32_t)le32(buf + 4 * (size_t)i);
    free(buf);
    return v;
}

void cli_write_f32(const char *path, const float *v, size_t n) {
    uint8_t *buf = cli_alloc(n, 4);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        for (int b = 0; b < 4; b++) buf[4 * i + (size_t)b] = (uint8_t)(u >> (8 * b));
    }
    cli_write_atomic(path, buf, 4 * n);
    free(buf);
}
