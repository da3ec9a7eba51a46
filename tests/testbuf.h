/* Test buffers: n floats one float past a malloc'd block, so kernels see
 * unaligned pointers and ASan sees every overrun past the end. */
#ifndef VAE_TEST_BUF_H
#define VAE_TEST_BUF_H
#include <stdio.h>
#include <stdlib.h>

static float *buf(size_t n) {
    float *p = malloc((n + 1) * sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p + 1;
}

static void buf_free(float *p) {
    if (p) free(p - 1);
}
#endif
