/* libFuzzer: any bytes through the IDX image and label parsers. */
#include <stdlib.h>

#include "vae.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    float *px;
    int *labels, n, rows, cols;
    if (vae_idx_images(data, size, &px, &n, &rows, &cols, NULL) == VAE_OK) {
        /* Touch every pixel: the count must match the allocation. */
        size_t total = (size_t)n * (size_t)rows * (size_t)cols;
        float sum = 0;
        for (size_t i = 0; i < total; i++) sum += px[i];
        if (!(sum >= 0 && sum <= 1.001f * (float)total + 1)) abort();
        vae_buffer_free(px);
    }
    if (vae_idx_labels(data, size, &labels, &n, NULL) == VAE_OK) {
        for (int i = 0; i < n; i++)
            if (labels[i] < 0 || labels[i] > 255) abort();
        vae_buffer_free(labels);
    }
    return 0;
}
