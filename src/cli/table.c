/* CSV/TSV files in `vae train --csv` and `vae score --csv`: the library's
 * reader and table spec (formats/csv.c) between a file and the image-shaped
 * cli_dataset the training and scoring loops take. A table's input is
 * 1 x 1 x columns, a window's 1 x W x columns (rows of time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* A .tsv file is tab-separated; otherwise the header line decides. */
static char delimiter_of(const char *path) {
    size_t n = strlen(path);
    return n >= 4 && !strcmp(path + n - 4, ".tsv") ? '\t' : 0;
}

static void read_table(const char *path, const vae_csv_options *o, vae_table *t) {
    size_t len;
    uint8_t *text = cli_read_file(path, &len);
    vae_error err;
    vae_status s = vae_csv_parse((const char *)text, len, o, t, &err);
    free(text);
    if (s != VAE_OK) cli_die_lib(path, &err);
}

/* The spec's inputs of t as a dataset; *labels the inputs' labels or NULL. */
static void to_dataset(const char *path, const vae_table_spec *spec, const vae_table *t, cli_dataset *d, int **labels) {
    memset(d, 0, sizeof *d);
    vae_error err;
    if (vae_table_inputs(spec, t, &d->x, labels, &d->n, &err) != VAE_OK) cli_die_lib(path, &err);
    d->h = spec->window ? spec->window : 1;
    d->w = spec->cols;
}

void cli_table_train(const char *path, const char *columns, const char *label, int window, cli_dataset *d,
                     vae_table_spec *spec, int *anomalies) {
    /* --columns a,b,c: the names (or 1-based numbers) between commas. */
    char *list = columns ? strcpy(cli_alloc(strlen(columns) + 1, 1), columns) : NULL;
    const char **names = list ? cli_alloc(strlen(columns) / 2 + 1, sizeof *names) : NULL;
    int n = 0;
    for (char *p = list; p; n++) {
        names[n] = p;
        if ((p = strchr(p, ','))) *p++ = '\0';
    }
    vae_csv_options o = {delimiter_of(path), names, n, label, 0};
    vae_table t;
    read_table(path, &o, &t);
    free(names);
    free(list);
    vae_error err;
    if (vae_table_spec_fit(spec, &t, window, &err) != VAE_OK) cli_die_lib(path, &err);
    if (label) spec->label = strcpy(cli_alloc(strlen(label) + 1, 1), label);
    /* Training sees the normal inputs only: a window with a labelled anomaly in it is left out. */
    int *lab;
    to_dataset(path, spec, &t, d, &lab);
    *anomalies = 0;
    size_t D = (size_t)d->h * (size_t)d->w;
    for (int i = 0; lab && i < d->n; i++) {
        if (lab[i]) {
            ++*anomalies;
            continue;
        }
        memmove(d->x + (size_t)(i - *anomalies) * D, d->x + (size_t)i * D, D * sizeof *d->x);
    }
    d->n -= *anomalies;
    free(lab);
    vae_table_free(&t);
    if (d->n == 0)
        cli_die(EXIT_RUNTIME, "%s: every %s holds a labelled anomaly: nothing normal to train on", path,
                window ? "window" : "row");
}

void cli_table_score(const char *path, const vae_table_spec *spec, const char *label, cli_dataset *d, int **labels,
                     int *rows) {
    vae_csv_options o = {delimiter_of(path), (const char *const *)spec->names, spec->cols, label ? label : spec->label,
                         !label};
    vae_table t;
    read_table(path, &o, &t);
    to_dataset(path, spec, &t, d, NULL);
    *rows = t.rows;
    *labels = t.labels;
    t.labels = NULL;
    vae_table_free(&t);
}

vae_table_spec cli_table_spec(const char *model) {
    size_t len;
    uint8_t *buf = cli_read_file(model, &len);
    vae_table_spec spec;
    vae_error err;
    vae_status s = vae_table_spec_load(&spec, buf, len, &err);
    free(buf);
    if (s != VAE_OK) cli_die_lib(model, &err);
    return spec;
}
