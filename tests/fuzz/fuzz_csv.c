/* libFuzzer: any bytes through the CSV/TSV reader, with options taken from
 * the first byte, then the spec, the model inputs and the per-point scores
 * of what it accepts. */
#include <stdlib.h>
#include <string.h>

#include "vae.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    uint8_t mode = data[0];
    const char *cols[] = {"a", "2", "b"};
    vae_csv_options o = {
        .delimiter = mode & 1   ? '\t'
                     : mode & 2 ? ','
                                : 0,
        .columns = mode & 4 ? cols : NULL,
        .n_columns = mode & 4 ? 1 + (mode >> 6) % 3 : 0,
        .label = mode & 8 ? "y" : NULL,
        .label_optional = (mode & 16) != 0,
    };
    vae_table t;
    if (vae_csv_parse((const char *)data + 1, size - 1, &o, &t, NULL) != VAE_OK) {
        if (t.x || t.names || t.labels || t.rows) abort(); /* nothing kept on failure */
        return 0;
    }
    if (t.rows < 1 || t.cols < 1 || (o.columns && t.cols != o.n_columns)) abort();
    for (int j = 0; j < t.cols; j++)
        if (!t.names[j]) abort();
    for (size_t i = 0; i < (size_t)t.rows * (size_t)t.cols; i++)
        if (t.x[i] - t.x[i] != 0) abort(); /* finite */
    for (int i = 0; t.labels && i < t.rows; i++)
        if (t.labels[i] != 0 && t.labels[i] != 1) abort();
    vae_table_spec s;
    if (vae_table_spec_fit(&s, &t, (mode >> 5) & 3, NULL) == VAE_OK) {
        float *x;
        int *lab, n;
        char *json;
        if (vae_table_spec_to_json(&s, &json, NULL) != VAE_OK) abort();
        vae_buffer_free(json);
        if (vae_table_inputs(&s, &t, &x, &lab, &n, NULL) == VAE_OK) {
            float *points = malloc(((size_t)n + 3) * sizeof *points);
            if (!points || vae_table_point_scores(&s, x, n, points, NULL) != VAE_OK) abort();
            free(points);
            free(x);
            free(lab);
        }
        vae_table_spec_free(&s);
    }
    vae_table_free(&t);
    return 0;
}
