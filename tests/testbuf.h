/* Test buffers: n floats one float past a malloc'd block, so kernels see
 * unaligned pointers and ASan sees every overrun past the end; and a hash of
 * the fast paths' outputs. */
#ifndef VAE_TEST_BUF_H
#define VAE_TEST_BUF_H
#include <stdint.h>
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
    if (p)
        free(p - 1);
}
/* FNV-1a over every fast-path output, printed so that runs on different
 * targets (native, Node) can be compared: they must give the same bits. */
static uint64_t out_hash = 14695981039346656037u;

static void hash_floats(const float *p, size_t n) {
    const unsigned char *c = (const unsigned char *)p;
    for (size_t i = 0; i < n * sizeof *p; i++)
        out_hash = (out_hash ^ c[i]) * 1099511628211u;
}
#endif
