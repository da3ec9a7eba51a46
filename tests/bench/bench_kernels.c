/* GFLOP/s of each matrix kernel, SIMD and scalar, at the VAE's layer shapes.
 * Medians of several timed repetitions; the SIMD/scalar ratio comes from the
 * same run because shared machines are noisy. Nothing here asserts on time. */
#define _POSIX_C_SOURCE 199309L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench_timer.h"
#include "kernels/kernels.h"

#define REPS 9

typedef enum { OP_XWT, OP_DYW, OP_DYTX } op;

/* One call of op on buffers sized for any of the three (a: [M,K] or [M,N],
 * w: [N,K], out: the largest result). */
static void run(op o, int simd, float *out, const float *a, const float *w, const float *bias, int M, int N, int K) {
    switch (o) {
    case OP_XWT: (simd ? vae_matmul_xwt : vae_matmul_xwt_scalar)(out, a, w, bias, M, N, K); break;
    case OP_DYW: /* dX[M,K] += dY[M,N] W[N,K] */
        (simd ? vae_matmul_dyw : vae_matmul_dyw_scalar)(out, a, w, M, N, K);
        break;
    case OP_DYTX: /* dW[N,K] += dY[M,N]^T X[M,K]: a is dY, w stands in for X */
        (simd ? vae_matmul_dytx : vae_matmul_dytx_scalar)(out, out + (size_t)N * K, a, w, M, N, K);
        break;
    }
}

typedef struct {
    op o;
    int simd;
    float *out;
    const float *a, *w, *bias;
    int M, N, K;
} call;

static void run_call(void *arg) {
    call *c = arg;
    run(c->o, c->simd, c->out, c->a, c->w, c->bias, c->M, c->N, c->K);
}

#ifndef VAE_NO_SIMD
static void run_xwt_dense(void *arg) {
    call *c = arg;
    vae_matmul_xwt_4x8_wasmsimd(c->out, c->a, c->w, c->bias, c->M, c->N, c->K);
}

static void run_xwt_sparse(void *arg) {
    call *c = arg;
    vae_matmul_xwt_sparse_1x28_wasmsimd(c->out, c->a, c->w, NULL, c->bias, c->M, c->N, c->K);
}

/* The sparse kernel on W packed once (bias stands in for the packed panels). */
static void run_xwt_sparse_packed(void *arg) {
    call *c = arg;
    vae_matmul_xwt_sparse_1x28_wasmsimd(c->out, c->a, c->w, c->bias, NULL, c->M, c->N, c->K);
}
#endif

/* Median GFLOP/s of op (see bench_timer.h). */
static double gflops(op o, int simd, float *out, const float *a, const float *w, const float *bias, int M, int N,
                     int K) {
    call c = {o, simd, out, a, w, bias, M, N, K};
    return 2.0 * M * N * K / bench_seconds_per_call(run_call, &c, REPS) * 1e-9;
}

/* The xwt dispatcher's two kernels on X with a given share of zeros at
 * random places (post-ReLU activations: about half; MNIST images: 4/5),
 * in milliseconds per call: the dense 4x8 kernel computes every product,
 * the sparse one skips those of zeros. */
static int sparse_table(void) {
#ifndef VAE_NO_SIMD
    static const int shapes[][3] = {{64, 784, 400}, {256, 784, 400}, {64, 400, 784}, {64, 20, 400}};
    static const double zeros[] = {0.0, 0.25, 0.5, 0.8};
    printf("\nxwt, X with zeros %15s %10s %10s %7s %10s\n", "zeros", "dense ms", "sparse ms", "ratio", "W packed");
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *x = malloc(sizeof(float) * M * K), *w = malloc(sizeof(float) * N * K),
              *y = malloc(sizeof(float) * M * N), *p = malloc(sizeof(float) * (vae_matmul_xwt_pack_floats(N, K) + 1));
        if (!x || !w || !y || !p) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        for (int i = 0; i < N * K; i++) w[i] = (float)(i % 13) * 0.01f - 0.06f;
        vae_matmul_xwt_pack(p, w, N, K);
        for (size_t z = 0; z < sizeof zeros / sizeof *zeros; z++) {
            uint32_t r = 12345u; /* xorshift32: zeros at random places */
            for (int i = 0; i < M * K; i++) {
                r ^= r << 13, r ^= r >> 17, r ^= r << 5;
                x[i] = (double)r / 4294967296.0 < zeros[z] ? 0.0f : (float)(i % 17) * 0.01f + 0.01f;
            }
            call dense = {OP_XWT, 1, y, x, w, NULL, M, N, K}, sparse = dense, packed = {OP_XWT, 1, y, x, w, p, M, N, K};
            double td = bench_seconds_per_call(run_xwt_dense, &dense, REPS) * 1e3;
            double ts = bench_seconds_per_call(run_xwt_sparse, &sparse, REPS) * 1e3;
            double tp = bench_seconds_per_call(run_xwt_sparse_packed, &packed, REPS) * 1e3;
            printf("      %4dx%4dx%4d %6.2f %10.4f %10.4f %6.2fx %10.4f\n", M, N, K, zeros[z], td, ts, td / ts, tp);
        }
        free(x);
        free(w);
        free(y);
        free(p);
    }
#endif
    return 0;
}

int main(void) {
    static const int shapes[][3] = {{64, 784, 400}, {128, 784, 400}, {128, 400, 784}, {1, 784, 400}, {400, 20, 400}};
    static const char *const names[] = {"xwt", "dyw", "dytx"};
#ifdef VAE_NO_SIMD
    printf("built with VAE_NO_SIMD: the \"simd\" column is the scalar kernel\n");
#endif
    printf("%-5s %15s %10s %10s %7s\n", "op", "M x N x K", "simd", "scalar", "ratio");
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        int big = M > N ? M : N, wide = K > N ? K : N;
        float *a = malloc(sizeof(float) * big * wide), *w = malloc(sizeof(float) * big * wide);
        float *bias = malloc(sizeof(float) * N), *out = malloc(sizeof(float) * ((size_t)big * wide + N));
        if (!a || !w || !bias || !out) {
            fprintf(stderr, "out of memory\n");
            return 1;
        }
        /* small values so that repeated accumulation stays finite and normal */
        for (int i = 0; i < big * wide; i++) {
            a[i] = (float)(i % 17) * 0.01f - 0.08f;
            w[i] = (float)(i % 13) * 0.01f - 0.06f;
        }
        for (int i = 0; i < N; i++) bias[i] = 0.1f;
        for (size_t i = 0; i < (size_t)big * wide + N; i++) out[i] = 0.0f;
        for (int o = OP_XWT; o <= OP_DYTX; o++) {
            double g_simd = gflops((op)o, 1, out, a, w, bias, M, N, K);
            double g_scalar = gflops((op)o, 0, out, a, w, bias, M, N, K);
            printf("%-5s %4dx%4dx%4d %10.2f %10.2f %6.1fx\n", names[o], M, N, K, g_simd, g_scalar, g_simd / g_scalar);
        }
        free(a);
        free(w);
        free(bias);
        free(out);
    }
    return sparse_table();
}
