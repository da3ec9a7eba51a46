/* conv2d as matrix products (im2col) on the 4x8 wasm-SIMD matrix kernels.
 *
 * Per image, the patches are unfolded into col [c_in kh kw, h_out w_out]
 * (row = input channel and kernel tap, column = output position, zero where
 * the tap falls in the padding). With W the weight seen as [c_out, c_in kh kw]
 * and Y, dY one image's output seen as [c_out, h_out w_out]:
 *   fwd: Y   += W . col          (dyw kernel: C += A . B, B rows contiguous)
 *   dx:  col  = W^T . dY         (dyw kernel on W^T made once), folded back into dx
 *   dw:  dW  += dY . col^T       (xwt kernel into the workspace, then added)
 * Activations stay NCHW, never transposed, and each image's unfolded patches
 * (at most ~0.5 MB at the conv-VAE shapes) stay in cache for the product.
 * Sums run in an order fixed by the shapes alone, so results are the same
 * bits on every call and target, like the matrix kernels'. */
#include <stddef.h>
#include <string.h>

#include "conv.h"
#include "kernels.h"

#ifndef VAE_NO_SIMD

/* Output positions o in [*lo, *hi) of [0, n_out) whose tap o stride + off
 * lands inside [0, n_in); the rest read padding. */
static void tap_range(int off, int stride, int n_in, int n_out, int *lo, int *hi) {
    int l = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int h = off > n_in - 1 ? 0 : (n_in - 1 - off) / stride + 1;
    if (h > n_out)
        h = n_out;
    *lo = l < h ? l : h;
    *hi = h;
}

/* col [c_in kh kw, h_out w_out] = the patches of one image x [c_in, h_in, w_in]. */
static void im2col(float *col, const float *x, const vae_conv_shape *g) {
    int s = g->stride;
    for (int ci = 0; ci < g->c_in; ci++)
        for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++) {
                int ylo, yhi, xlo, xhi;
                tap_range(ky - g->pad, s, g->h_in, g->h_out, &ylo, &yhi);
                tap_range(kx - g->pad, s, g->w_in, g->w_out, &xlo, &xhi);
                for (int oy = 0; oy < g->h_out; oy++, col += g->w_out) {
                    if (oy < ylo || oy >= yhi) {
                        memset(col, 0, sizeof(float) * (size_t)g->w_out);
                        continue;
                    }
                    const float *row = x + ((size_t)ci * g->h_in + (oy * s + ky - g->pad)) * g->w_in + kx - g->pad;
                    int ox = 0;
                    for (; ox < xlo; ox++)
                        col[ox] = 0.0f;
                    for (; ox < xhi; ox++)
                        col[ox] = row[ox * s];
                    for (; ox < g->w_out; ox++)
                        col[ox] = 0.0f;
                }
            }
}

/* dx [c_in, h_in, w_in] += col folded back: the inverse walk of im2col,
 * padding taps dropped. */
static void col2im_add(float *dx, const float *col, const vae_conv_shape *g) {
    int s = g->stride;
    for (int ci = 0; ci < g->c_in; ci++)
        for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++) {
                int ylo, yhi, xlo, xhi;
                tap_range(ky - g->pad, s, g->h_in, g->h_out, &ylo, &yhi);
                tap_range(kx - g->pad, s, g->w_in, g->w_out, &xlo, &xhi);
                const float *c = col + (size_t)ylo * g->w_out;
                for (int oy = ylo; oy < yhi; oy++, c += g->w_out) {
                    float *row = dx + ((size_t)ci * g->h_in + (oy * s + ky - g->pad)) * g->w_in + kx - g->pad;
                    for (int ox = xlo; ox < xhi; ox++)
                        row[ox * s] += c[ox];
                }
                col += (size_t)g->h_out * g->w_out;
            }
}

/* Rows of col (c_in kh kw) and its columns (h_out w_out). */
static int col_rows(const vae_conv_shape *g) { return g->c_in * g->kh * g->kw; }
static int col_cols(const vae_conv_shape *g) { return g->h_out * g->w_out; }

size_t vae_conv_im2col_floats(const vae_conv_shape *g) {
    return (size_t)col_rows(g) * ((size_t)col_cols(g) + (size_t)g->c_out);
}

/* y [n, c_out, h_out, w_out] += conv(x [n, c_in, h_in, w_in], w [c_out, c_in, kh, kw]) */
void vae_conv_fwd_im2col_wasmsimd(float *y, const float *x, const float *w, const vae_conv_shape *g, float *work) {
    int K = col_rows(g), P = col_cols(g);
    size_t xs = (size_t)g->c_in * g->h_in * g->w_in, ys = (size_t)g->c_out * P;
    for (int n = 0; n < g->n; n++) {
        im2col(work, x + n * xs, g);
        vae_matmul_dyw_4x8_wasmsimd(y + n * ys, w, work, g->c_out, K, P);
    }
}

/* dx [n, c_in, h_in, w_in] += conv^T(dy [n, c_out, h_out, w_out], w [c_out, c_in, kh, kw]).
 * W^T is made once per call: reading W itself down its columns would stride
 * c_in kh kw floats per step (4 KB at the VAE shapes, which aliases in L1). */
void vae_conv_dx_im2col_wasmsimd(float *dx, const float *dy, const float *w, const vae_conv_shape *g, float *work) {
    int K = col_rows(g), P = col_cols(g);
    size_t xs = (size_t)g->c_in * g->h_in * g->w_in, ys = (size_t)g->c_out * P;
    float *wt = work + (size_t)K * P;
    for (int o = 0; o < g->c_out; o++)
        for (int k = 0; k < K; k++)
            wt[(size_t)k * g->c_out + o] = w[(size_t)o * K + k];
    for (int n = 0; n < g->n; n++) {
        memset(work, 0, sizeof(float) * (size_t)K * P);
        vae_matmul_dyw_4x8_wasmsimd(work, wt, dy + n * ys, K, g->c_out, P);
        col2im_add(dx + n * xs, work, g);
    }
}

/* dw [c_out, c_in, kh, kw] += sum over images of dy [c_out, h_out w_out] . col^T */
void vae_conv_dw_im2col_wasmsimd(float *dw, const float *dy, const float *x, const vae_conv_shape *g, float *work) {
    int K = col_rows(g), P = col_cols(g);
    size_t xs = (size_t)g->c_in * g->h_in * g->w_in, ys = (size_t)g->c_out * P, nw = (size_t)g->c_out * K;
    float *prod = work + (size_t)K * P; /* xwt overwrites, so each image's dW lands here first */
    for (int n = 0; n < g->n; n++) {
        im2col(work, x + n * xs, g);
        vae_matmul_xwt_4x8_wasmsimd(prod, dy + n * ys, work, NULL, g->c_out, K, P);
        for (size_t i = 0; i < nw; i++)
            dw[i] += prod[i];
    }
}

#endif
