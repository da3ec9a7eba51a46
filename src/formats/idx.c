/* IDX files (MNIST's format), from raw bytes: big-endian u32 magic
 * 0x000008TT (TT = ndim, type 0x08 = unsigned byte), ndim big-endian u32
 * sizes, then the bytes row-major. */
#include <stdlib.h>

#include "internal.h"

static uint32_t be32(const uint8_t *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the header for ndim dimensions and that the body is exactly the
 * product of the sizes; dims[ndim] gets the sizes. Returns the body. */
static vae_status idx_header(const uint8_t *buf, size_t len, int ndim, int *dims, const uint8_t **body,
                             vae_error *err) {
    const uint32_t magic = 0x0800u | (uint32_t)ndim;
    size_t head = 4 + 4 * (size_t)ndim, total = 1;
    if (!buf && len) return vae_fail(err, VAE_ERR_ARG, "NULL buffer");
    if (len < 4) return vae_fail(err, VAE_ERR_TRUNCATED, "IDX data of %zu bytes has no magic number", len);
    if (be32(buf) != magic)
        return vae_fail(err, VAE_ERR_IDX, "IDX magic 0x%08x, expected 0x%08x (unsigned bytes, %d dimensions)",
                        (unsigned)be32(buf), (unsigned)magic, ndim);
    if (len < head) return vae_fail(err, VAE_ERR_TRUNCATED, "IDX header needs %zu bytes, the data has %zu", head, len);
    for (int d = 0; d < ndim; d++) {
        uint32_t n = be32(buf + 4 + 4 * d);
        if (n == 0 || n > 0x7fffffff)
            return vae_fail(err, VAE_ERR_IDX, "IDX dimension %d is %u (must be 1..2^31-1)", d, (unsigned)n);
        dims[d] = (int)n;
    }
    for (int d = 0; d < ndim; d++) {
        /* The body cannot be larger than the buffer: stop before the product overflows. */
        if (total > (len - head) / (size_t)dims[d])
            return vae_fail(err, VAE_ERR_TRUNCATED, "IDX dimensions describe more than the %zu data bytes present",
                            len - head);
        total *= (size_t)dims[d];
    }
    if (len - head != total)
        return vae_fail(err, VAE_ERR_IDX, "IDX data has %zu trailing bytes after the %zu the dimensions describe",
                        len - head - total, total);
    *body = buf + head;
    return VAE_OK;
}

/* n x rows x cols bytes -> pixels [n, rows*cols] in [0,1]. */
vae_status vae_idx_images(const uint8_t *buf, size_t len, float **pixels, int *n, int *rows, int *cols,
                          vae_error *err) {
    int dims[3] = {0};
    const uint8_t *body = NULL;
    if (!pixels || !n || !rows || !cols) return vae_fail(err, VAE_ERR_ARG, "NULL output pointer");
    *pixels = NULL;
    vae_status s = idx_header(buf, len, 3, dims, &body, err);
    if (s) return s;
    size_t total = (size_t)dims[0] * (size_t)dims[1] * (size_t)dims[2];
    if (total > SIZE_MAX / sizeof(float)) return vae_fail(err, VAE_ERR_NOMEM, "IDX images too large");
    float *p = malloc(total * sizeof *p);
    if (!p) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %zu pixels", total);
    for (size_t i = 0; i < total; i++) p[i] = (float)body[i] / 255.0f;
    *pixels = p;
    *n = dims[0], *rows = dims[1], *cols = dims[2];
    return vae_ok(err);
}

/* n bytes -> labels [n]. */
vae_status vae_idx_labels(const uint8_t *buf, size_t len, int **labels, int *n, vae_error *err) {
    int dims[1] = {0};
    const uint8_t *body = NULL;
    if (!labels || !n) return vae_fail(err, VAE_ERR_ARG, "NULL output pointer");
    *labels = NULL;
    vae_status s = idx_header(buf, len, 1, dims, &body, err);
    if (s) return s;
    int *l = malloc((size_t)dims[0] * sizeof *l);
    if (!l) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %d labels", dims[0]);
    for (int i = 0; i < dims[0]; i++) l[i] = body[i];
    *labels = l;
    *n = dims[0];
    return vae_ok(err);
}
