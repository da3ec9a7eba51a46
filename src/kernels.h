/* f32 matrix kernels for nn.Linear-layout weights W [N, K] (out, in).
 *
 * Each op exists twice, for good: a wasm-SIMD register-blocked kernel
 * (wasm_simd128.h; natively compiled through SIMDe) and a naive scalar twin
 * that the tests compare it against. Names say op, tile and ISA.
 * The vae_matmul_* dispatchers pick the SIMD kernel unless VAE_NO_SIMD
 * (vae_matmul_xwt: the sparse one when X has enough zeros to pay).
 *
 * Row-major throughout; no alignment requirements; any M, N, K >= 1.
 */
#ifndef VAE_KERNELS_H
#define VAE_KERNELS_H

/* Y[M,N] = X[M,K] . W[N,K]^T + b[N]   (b may be NULL: no bias). Overwrites Y. */
void vae_matmul_xwt_scalar(float *Y, const float *X, const float *W, const float *b, int M, int N, int K);
void vae_matmul_xwt_4x8_wasmsimd(float *Y, const float *X, const float *W, const float *b, int M, int N, int K);
/* The same, skipping the zeros of X (post-ReLU activations are about half
 * zeros, images more): bit-identical to the 4x8 kernel for M >= 4 and finite W. */
void vae_matmul_xwt_sparse_1x28_wasmsimd(float *Y, const float *X, const float *W, const float *b, int M, int N,
                                         int K);

/* dX[M,K] += dY[M,N] . W[N,K]   (accumulates). */
void vae_matmul_dyw_scalar(float *dX, const float *dY, const float *W, int M, int N, int K);
void vae_matmul_dyw_4x8_wasmsimd(float *dX, const float *dY, const float *W, int M, int N, int K);

/* dW[N,K] += dY[M,N]^T . X[M,K];  db[N] += sum_m dY[m,n] (db may be NULL). Accumulates. */
void vae_matmul_dytx_scalar(float *dW, float *db, const float *dY, const float *X, int M, int N, int K);
void vae_matmul_dytx_4x8_wasmsimd(float *dW, float *db, const float *dY, const float *X, int M, int N, int K);

/* Dispatchers used by the layers. */
void vae_matmul_xwt(float *Y, const float *X, const float *W, const float *b, int M, int N, int K);
void vae_matmul_dyw(float *dX, const float *dY, const float *W, int M, int N, int K);
void vae_matmul_dytx(float *dW, float *db, const float *dY, const float *X, int M, int N, int K);

#endif
