#include <stdio.h>
/* Image grids as PNG, through stb_image_write into memory and then an atomic
 * file write (so a failure never leaves half a PNG). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#endif
#include <stb_image_write.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

enum { SEPARATOR = 128 }; /* mid grey: visible on dark and light images */

typedef struct {
    uint8_t *p;
    size_t n, cap;
} membuf;

static void append(void *ctx, void *data, int size) {
    membuf *b = ctx;
    if (b->n + (size_t)size > b->cap) {
        b->cap = 2 * (b->n + (size_t)size);
        b->p = realloc(b->p, b->cap);
        if (!b->p) cli_die(EXIT_RUNTIME, "out of memory writing PNG");
    }
    memcpy(b->p + b->n, data, (size_t)size);
    b->n += (size_t)size;
}

static uint8_t to_byte(float v) {
    if (!(v > 0)) return 0; /* also NaN */
    if (v >= 1) return 255;
    return (uint8_t)(255.0f * v + 0.5f);
}

void cli_write_grid(const char *path, const float *images, int n, int cols, const vae_arch *a, int scale) {
    int c = a->image_c, h = a->image_h, w = a->image_w;
    if (c != 1 && c != 3) cli_die(EXIT_RUNTIME, "cannot draw %d-channel images (only 1 or 3)", c);
    if (cols > n) cols = n;
    int rows = (n + cols - 1) / cols;
    double width = (double)cols * w * scale + cols - 1, height = (double)rows * h * scale + rows - 1;
    if (width * height * c > (double)(1 << 28))
        cli_die(EXIT_RUNTIME, "a %.0fx%.0f pixel grid is too large (fewer images or a smaller --scale)", width, height);
    int W = (int)width, H = (int)height;
    size_t dim = (size_t)c * h * w;
    uint8_t *pix = cli_alloc((size_t)W * H * c, 1);
    memset(pix, SEPARATOR, (size_t)W * H * c);
    for (int k = 0; k < n; k++) {
        int x0 = (k % cols) * (w * scale + 1), y0 = (k / cols) * (h * scale + 1);
        for (int ch = 0; ch < c; ch++)
            for (int y = 0; y < h * scale; y++)
                for (int x = 0; x < w * scale; x++)
                    pix[((size_t)(y0 + y) * W + x0 + x) * c + ch] =
                        to_byte(images[k * dim + (size_t)ch * h * w + (size_t)(y / scale) * w + x / scale]);
    }
    membuf png = {0};
    if (!stbi_write_png_to_func(append, &png, W, H, c, pix, W * c)) cli_die(EXIT_RUNTIME, "cannot encode %s", path);
    cli_write_atomic(path, png.p, png.n);
    char size[32];
    printf("wrote %s (%d image%s of %dx%d in %d row%s, a %dx%d PNG, %s)\n", path, n, n == 1 ? "" : "s", h, w, rows,
           rows == 1 ? "" : "s", W, H, cli_fmt_bytes(size, png.n));
    free(png.p);
    free(pix);
}
