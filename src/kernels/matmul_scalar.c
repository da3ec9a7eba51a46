/* Naive scalar twins of the SIMD kernels: the reference the tests trust.
 * Plain loops, one float accumulator per output, k in increasing order. */
#include <stddef.h>

#include "kernels/kernels.h"

/* Y[M,N] = X[M,K] . W[N,K]^T + b[N] (b may be NULL). */
void vae_matmul_xwt_scalar(float *Y, const float *X, const float *W, const float *b, int M, int N, int K) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            const float *x = X + (size_t)m * K, *w = W + (size_t)n * K;
            float s = 0.0f;
            for (int k = 0; k < K; k++) s += x[k] * w[k];
            Y[(size_t)m * N + n] = b ? s + b[n] : s;
        }
}

/* dX[M,K] += dY[M,N] . W[N,K]. */
void vae_matmul_dyw_scalar(float *dX, const float *dY, const float *W, int M, int N, int K) {
    for (int m = 0; m < M; m++)
        for (int k = 0; k < K; k++) {
            float s = 0.0f;
            for (int n = 0; n < N; n++) s += dY[(size_t)m * N + n] * W[(size_t)n * K + k];
            dX[(size_t)m * K + k] += s;
        }
}

/* dW[N,K] += dY[M,N]^T . X[M,K];  db[N] += sum over m of dY[m,n] (db may be NULL). */
void vae_matmul_dytx_scalar(float *dW, float *db, const float *dY, const float *X, int M, int N, int K) {
    for (int n = 0; n < N; n++) {
        for (int k = 0; k < K; k++) {
            float s = 0.0f;
            for (int m = 0; m < M; m++) s += dY[(size_t)m * N + n] * X[(size_t)m * K + k];
            dW[(size_t)n * K + k] += s;
        }
        if (db) {
            float s = 0.0f;
            for (int m = 0; m < M; m++) s += dY[(size_t)m * N + n];
            db[n] += s;
        }
    }
}
