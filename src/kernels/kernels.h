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

#include <stddef.h>

/* Y[M,N] = X[M,K] . W[N,K]^T + b[N]   (b may be NULL: no bias). Overwrites Y. */
void vae_matmul_xwt_scalar(float *Y, const float *X, const float *W, const float *b, int M, int N, int K);
void vae_matmul_xwt_4x8_wasmsimd(float *Y, const float *X, const float *W, const float *b, int M, int N, int K);
/* The same, skipping the zeros of X (post-ReLU activations are about half
 * zeros, images more): bit-identical to the 4x8 kernel for M >= 4 and finite
 * W. It reads W^T in panels: P, W packed once by vae_matmul_xwt_pack (for a
 * model's weights), or P NULL: packed per call (the same bits). */
void vae_matmul_xwt_sparse_1x28_wasmsimd(float *Y, const float *X, const float *W, const float *P, const float *b,
                                         int M, int N, int K);
/* Floats of W[N,K] packed (0 under VAE_NO_SIMD: the scalar kernels take W
 * as it is), and the packing: W^T twice, in 8-column strips for the dense
 * tiles and 28-column panels for the sparse kernel, so about 2 N K floats. */
size_t vae_matmul_xwt_pack_floats(int N, int K);
void vae_matmul_xwt_pack(float *P, const float *W, int N, int K);

/* dX[M,K] += dY[M,N] . W[N,K]   (accumulates). */
void vae_matmul_dyw_scalar(float *dX, const float *dY, const float *W, int M, int N, int K);
void vae_matmul_dyw_4x8_wasmsimd(float *dX, const float *dY, const float *W, int M, int N, int K);

/* dW[N,K] += dY[M,N]^T . X[M,K];  db[N] += sum_m dY[m,n] (db may be NULL). Accumulates. */
void vae_matmul_dytx_scalar(float *dW, float *db, const float *dY, const float *X, int M, int N, int K);
void vae_matmul_dytx_4x8_wasmsimd(float *dW, float *db, const float *dY, const float *X, int M, int N, int K);

/* Dispatchers used by the layers. */
void vae_matmul_xwt(float *Y, const float *X, const float *W, const float *b, int M, int N, int K);
/* xwt for a W used again and again, also given packed (P, or NULL); from 4
 * rows the bits of vae_matmul_xwt, below them those of the sparse kernel. */
void vae_matmul_xwt_packed(float *Y, const float *X, const float *W, const float *P, const float *b, int M, int N,
                           int K);
void vae_matmul_dyw(float *dX, const float *dY, const float *W, int M, int N, int K);
void vae_matmul_dytx(float *dW, float *db, const float *dY, const float *X, int M, int N, int K);

/* One conv layer's geometry (the layers in layers/conv.h check it). */
typedef enum { VAE_CONV2D = 0, VAE_CONV_TRANSPOSE2D } vae_conv_kind;

typedef struct {
    vae_conv_kind kind;
    int n;                /* batch */
    int c_in, h_in, w_in; /* input [n, c_in, h_in, w_in] */
    int c_out;            /* output [n, c_out, h_out, w_out] */
    int kh, kw;           /* kernel */
    int stride, pad;      /* same along both axes */
    int out_pad;          /* transposed only (0 for conv2d): extra bottom/right rows, < stride */
    int h_out, w_out;     /* set by vae_conv_shape_check */
} vae_conv_shape;

/* ---------------------------------------------------------------- conv
 * The three products of a conv2d, on a checked VAE_CONV2D shape g with input
 * x [n, c_in, h_in, w_in], output y [n, c_out, h_out, w_out] and weight
 * w [c_out, c_in, kh, kw]. All accumulate. A transposed convolution is the
 * same three with x and y swapped (see layers/conv.c).
 *   fwd: y  += conv(x, w)
 *   dx:  dx += conv^T(dy, w)
 *   dw:  dw += sum over n and positions of dy * x
 * _scalar: the naive loops. _im2col_wasmsimd: one image at a time, its
 * patches unfolded into the workspace, then the 4x8 wasm-SIMD matrix
 * kernels (not built with VAE_NO_SIMD). */
void vae_conv_fwd_scalar(float *y, const float *x, const float *w, const vae_conv_shape *g);
void vae_conv_dx_scalar(float *dx, const float *dy, const float *w, const vae_conv_shape *g);
void vae_conv_dw_scalar(float *dw, const float *dy, const float *x, const vae_conv_shape *g);

/* Workspace floats the im2col kernels need for g: one image's patches, and
 * a [c_out, c_in kh kw] block for W^T (dx) or one image's dW (dw). */
size_t vae_conv_im2col_floats(const vae_conv_shape *g);
void vae_conv_fwd_im2col_wasmsimd(float *y, const float *x, const float *w, const vae_conv_shape *g, float *work);
void vae_conv_dx_im2col_wasmsimd(float *dx, const float *dy, const float *w, const vae_conv_shape *g, float *work);
void vae_conv_dw_im2col_wasmsimd(float *dw, const float *dy, const float *x, const vae_conv_shape *g, float *work);

#endif
