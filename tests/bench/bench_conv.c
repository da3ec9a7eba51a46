/* GFLOP/s of the conv layers at conv-VAE shapes, fast path (im2col on the
 * wasm-SIMD matrix kernels) against the naive scalar twin in the same run,
 * since shared machines are noisy. FLOPs are nominal: 2 per multiply-add of
 * the dense definition, padding taps included; backward = dinp + dw (+ db).
 * Medians of several timed repetitions; nothing here asserts on time.
 *
 *   cmake --build build/native --target bench_conv && build/native/bench_conv */
#define _POSIX_C_SOURCE 199309L
#include <stdio.h>
#include <stdlib.h>

#include "bench_timer.h"
#include "layers/conv.h"

#define REPS 5
#define BATCH 8

typedef struct {
    vae_conv_shape s;
    float *x, *w, *b, *y, *dx, *dw, *db;
    void *ws;
    size_t wsb;
} layer;

/* One call: forward or backward, fast or scalar. */
static void run(layer *l, int backward, int fast) {
    int t = l->s.kind == VAE_CONV_TRANSPOSE2D;
    if (!backward && fast)
        (t ? vae_conv_transpose2d_forward : vae_conv2d_forward)(l->y, l->x, l->w, l->b, &l->s, l->ws, l->wsb, NULL);
    else if (!backward)
        (t ? vae_conv_transpose2d_forward_scalar : vae_conv2d_forward_scalar)(l->y, l->x, l->w, l->b, &l->s);
    else if (fast)
        (t ? vae_conv_transpose2d_backward : vae_conv2d_backward)(l->dx, l->dw, l->db, l->y, l->x, l->w, &l->s, l->ws,
                                                                  l->wsb, NULL);
    else
        (t ? vae_conv_transpose2d_backward_scalar : vae_conv2d_backward_scalar)(l->dx, l->dw, l->db, l->y, l->x, l->w,
                                                                                &l->s);
}

typedef struct {
    layer *l;
    int backward, fast;
} call;

static void run_call(void *arg) {
    call *c = arg;
    run(c->l, c->backward, c->fast);
}

/* Median GFLOP/s (see bench_timer.h). */
static double gflops(layer *l, int backward, int fast, double flops) {
    call c = {l, backward, fast};
    return flops / bench_seconds_per_call(run_call, &c, REPS) * 1e-9;
}

static float *filled(size_t n, float scale) {
    float *p = malloc(n * sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    /* small values so that repeated accumulation stays finite and normal */
    for (size_t i = 0; i < n; i++) p[i] = (float)(i % 17) * scale - 8.0f * scale;
    return p;
}

int main(void) {
    /* kind, c_in, h_in, c_out: square inputs, 4x4 kernels, stride 2, pad 1 */
    static const int shapes[][4] = {
        {0, 1, 28, 32}, {0, 32, 14, 64}, {1, 64, 7, 32},   {1, 32, 14, 1},                   /* MNIST */
        {0, 1, 64, 32}, {0, 32, 32, 64}, {0, 64, 16, 128}, {1, 128, 8, 64}, {1, 64, 16, 32}, /* faces */
        {1, 32, 32, 1},
    };
#ifdef VAE_NO_SIMD
    printf("built with VAE_NO_SIMD: the fast path is the scalar twin\n");
#endif
    printf("batch %d, 4x4 kernels, stride 2, pad 1; GFLOP/s\n", BATCH);
    printf("%-7s %-16s %8s %8s %7s %8s %8s %7s\n", "layer", "in -> out", "fwd", "scalar", "ratio", "bwd", "scalar",
           "ratio");
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        layer l = {.s = {.kind = (vae_conv_kind)shapes[i][0],
                         .n = BATCH,
                         .c_in = shapes[i][1],
                         .h_in = shapes[i][2],
                         .w_in = shapes[i][2],
                         .c_out = shapes[i][3],
                         .kh = 4,
                         .kw = 4,
                         .stride = 2,
                         .pad = 1}};
        vae_error err;
        if (vae_conv_shape_check(&l.s, &err) != VAE_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        const vae_conv_shape *s = &l.s;
        size_t nx = (size_t)s->n * s->c_in * s->h_in * s->w_in, ny = (size_t)s->n * s->c_out * s->h_out * s->w_out;
        size_t nw = (size_t)s->c_in * s->c_out * s->kh * s->kw;
        l.x = filled(nx, 0.01f);
        l.w = filled(nw, 0.01f);
        l.b = filled((size_t)s->c_out, 0.01f);
        l.y = filled(ny, 0.01f);
        l.dx = filled(nx, 0.0f);
        l.dw = filled(nw, 0.0f);
        l.db = filled((size_t)s->c_out, 0.0f);
        l.wsb = vae_conv_workspace_bytes(s);
        l.ws = malloc(l.wsb ? l.wsb : 1);
        if (!l.ws) return 1;
        /* multiply-adds: every (output, input channel, tap) pair of the conv2d or transposed definition */
        int per = s->kind == VAE_CONV2D ? s->h_out * s->w_out : s->h_in * s->w_in;
        double flops = 2.0 * s->n * per * s->c_in * s->c_out * s->kh * s->kw;
        double f = gflops(&l, 0, 1, flops), fs = gflops(&l, 0, 0, flops);
        double b = gflops(&l, 1, 1, 2 * flops), bs = gflops(&l, 1, 0, 2 * flops);
        char shape[32];
        snprintf(shape, sizeof shape, "%dx%d -> %dx%d", s->c_in, s->h_in, s->c_out, s->h_out);
        printf("%-7s %-16s %8.2f %8.2f %6.1fx %8.2f %8.2f %6.1fx\n", s->kind == VAE_CONV2D ? "conv" : "convT", shape, f,
               fs, f / fs, b, bs, b / bs);
        void *all[] = {l.x, l.w, l.b, l.y, l.dx, l.dw, l.db, l.ws};
        for (size_t k = 0; k < sizeof all / sizeof *all; k++) free(all[k]);
    }
    return 0;
}
