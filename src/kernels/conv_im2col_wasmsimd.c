/* conv2d as matrix products (im2col) on the 4x8 wasm-SIMD matrix kernels.
 *
 * The patches are unfolded into col [c_in kh kw, cols] (row = input channel
 * and kernel tap, column = output position of one image, zero where the tap
 * falls in the padding). With W the weight seen as [c_out, c_in kh kw] and
 * Y, dY the output seen as [c_out, cols]:
 *   fwd: Y   += W . col          (dyw kernel: C += A . B, B rows contiguous)
 *   dx:  col  = W^T . dY         (dyw kernel on W^T made once), folded back into dx
 *   dw:  dW  += dY . col^T       (xwt kernel into the workspace, then added)
 * fwd and dx unfold a group of images side by side (cols = group x h_out w_out),
 * enough of them that cols is a multiple of 4: the kernels' vector strips
 * then cover every column (7x7 outputs alone would leave one column to a
 * scalar loop, ~15% of the product's time).
 *
 * Unfolding goes through "planes": one image padded with zeros and split
 * by stride phase, [c][s][s][Hp][Wp] with padded pixel (Y, X) at plane
 * (Y % s, X % s), position (Y / s, X / s). A tap's h_out x w_out window is
 * then contiguous rows of a plane, copied a vector at a time, where a
 * strided walk of the image goes pixel by pixel with bounds on every row
 * (in wasm, ~3x slower).
 * Sums run in an order fixed by the shapes alone, so results are the same
 * bits on every call and target, like the matrix kernels'. */
#include <stddef.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

#ifndef VAE_NO_SIMD

/* Plane rows and columns: the padded image's, over the stride, rounded up. */
static int plane_h(const vae_conv_shape *g) { return (g->h_in + 2 * g->pad + g->stride - 1) / g->stride; }
static int plane_w(const vae_conv_shape *g) { return (g->w_in + 2 * g->pad + g->stride - 1) / g->stride; }
static size_t planes_floats(const vae_conv_shape *g) {
    return (size_t)g->c_in * g->stride * g->stride * plane_h(g) * plane_w(g);
}

/* planes pl = one image x [c_in, h_in, w_in], padded (the caller zeroes pl first). */
static void to_planes(float *pl, const float *x, const vae_conv_shape *g) {
    int s = g->stride, p = g->pad, pw = plane_w(g), w = g->w_in;
    size_t ps = (size_t)plane_h(g) * pw; /* one plane */
    for (int c = 0; c < g->c_in; c++, pl += ps * s * s)
        for (int iy = 0; iy < g->h_in; iy++, x += w) {
            int Y = iy + p;
            /* pixels ix of phase X = (ix + p) % s, from plane column (ix + p) / s */
            for (int X = 0; X < s; X++) {
                int ix = ((X - p) % s + s) % s;
                float *e = pl + ((size_t)(Y % s) * s + X) * ps + (size_t)(Y / s) * pw + (ix + p) / s;
                for (; ix < w; ix += s) *e++ = x[ix];
            }
        }
}

/* d[0, n) = s[0, n): vectors, the last one overlapping when n % 4 != 0. */
static void copy_row(float *d, const float *s, int n) {
    if (n < 4) {
        for (int i = 0; i < n; i++) d[i] = s[i];
        return;
    }
    for (int i = 0; i + 4 <= n; i += 4) wasm_v128_store(d + i, wasm_v128_load(s + i));
    wasm_v128_store(d + n - 4, wasm_v128_load(s + n - 4));
}

/* col [c_in kh kw, h_out w_out] (rows ldc floats apart) = the patches of one
 * image: row (c, ky, kx) is the window of plane (c, ky % s, kx % s) from
 * (ky / s, kx / s), h_out rows of w_out. */
static void im2col(float *col, size_t ldc, const float *x, const vae_conv_shape *g, float *pl) {
    int s = g->stride, pw = plane_w(g);
    size_t ps = (size_t)plane_h(g) * pw;
    memset(pl, 0, planes_floats(g) * sizeof(float));
    to_planes(pl, x, g);
    for (int c = 0; c < g->c_in; c++)
        for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++, col += ldc) {
                const float *src = pl + (((size_t)c * s + ky % s) * s + kx % s) * ps + (ky / s) * pw + kx / s;
                for (int oy = 0; oy < g->h_out; oy++, src += pw) copy_row(col + (size_t)oy * g->w_out, src, g->w_out);
            }
}

/* d[0, n) += s[0, n) */
static void add_row(float *d, const float *s, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(d + i, wasm_f32x4_add(wasm_v128_load(d + i), wasm_v128_load(s + i)));
    for (; i < n; i++) d[i] += s[i];
}

/* Output positions o in [*lo, *hi) of [0, n_out) whose tap o stride + off
 * lands inside [0, n_in); the rest read padding. */
static void tap_range(int off, int stride, int n_in, int n_out, int *lo, int *hi) {
    int l = off >= 0 ? 0 : (-off + stride - 1) / stride;
    int h = off > n_in - 1 ? 0 : (n_in - 1 - off) / stride + 1;
    if (h > n_out) h = n_out;
    *lo = l < h ? l : h;
    *hi = h;
}

/* dx [c_in, h_in, w_in] += col (rows ldc floats apart) folded back: the
 * inverse walk of im2col, padding taps dropped. (Through planes, as im2col,
 * it was slower: the windows of neighbouring taps overlap, so the vector
 * adds read back what they had just stored.) */
static void col2im_add(float *dx, const float *col, size_t ldc, const vae_conv_shape *g) {
    int s = g->stride, p = g->pad, hi = g->h_in, wi = g->w_in, wo = g->w_out;
    for (int ci = 0; ci < g->c_in; ci++, dx += (size_t)hi * wi)
        for (int ky = 0; ky < g->kh; ky++)
            for (int kx = 0; kx < g->kw; kx++, col += ldc) {
                int ylo, yhi, xlo, xhi;
                tap_range(ky - p, s, hi, g->h_out, &ylo, &yhi);
                tap_range(kx - p, s, wi, wo, &xlo, &xhi);
                if (ylo == yhi || xlo == xhi) continue; /* every position of this tap is padding */
                const float *c = col + (size_t)ylo * wo + xlo;
                float *row = dx + (ylo * s + ky - p) * wi + xlo * s + kx - p;
                for (int oy = ylo; oy < yhi; oy++, c += wo, row += s * wi)
                    for (int i = 0; i < xhi - xlo; i++) row[i * s] += c[i];
            }
}

/* Rows of col (c_in kh kw), one image's columns (h_out w_out), and images
 * per product (cols a multiple of 4). */
static int col_rows(const vae_conv_shape *g) { return g->c_in * g->kh * g->kw; }
static int col_cols(const vae_conv_shape *g) { return g->h_out * g->w_out; }
static int group(const vae_conv_shape *g) {
    size_t P = (size_t)col_cols(g), K = (size_t)col_rows(g), big = K > (size_t)g->c_out ? K : (size_t)g->c_out;
    if (P % 4 == 0 || big * P > (1u << 24)) /* huge layers: one at a time, the workspace within 32 bits */
        return 1;
    return P % 2 == 0 ? 2 : 4;
}

/* Workspace floats: col [K, G P] | W^T [K, c_out] or one image's dW |
 * with groups, their Y or dY [c_out, G P] | planes. */
size_t vae_conv_im2col_floats(const vae_conv_shape *g) {
    size_t K = (size_t)col_rows(g), G = (size_t)group(g), GP = G * col_cols(g);
    return K * GP + K * g->c_out + (G > 1) * g->c_out * GP + planes_floats(g);
}

/* y [n, c_out, h_out, w_out] += conv(x [n, c_in, h_in, w_in], w [c_out, c_in, kh, kw]).
 * A group of several images has its product made in prod, then added to y
 * image by image (the same bits: prod starts from zero). */
void vae_conv_fwd_im2col_wasmsimd(float *y, const float *x, const float *w, const vae_conv_shape *g, float *work) {
    int K = col_rows(g), P = col_cols(g), G = group(g), C = g->c_out;
    size_t xs = (size_t)g->c_in * g->h_in * g->w_in, ys = (size_t)C * P;
    float *prod = work + (size_t)K * G * P + (size_t)K * C, *pl = prod + (G > 1) * (size_t)C * G * P;
    for (int n0 = 0; n0 < g->n; n0 += G) {
        int gn = g->n - n0 < G ? g->n - n0 : G, ld = gn * P;
        for (int j = 0; j < gn; j++) im2col(work + (size_t)j * P, (size_t)ld, x + (n0 + j) * xs, g, pl);
        if (gn == 1) {
            vae_matmul_dyw_4x8_wasmsimd(y + n0 * ys, w, work, C, K, P);
            continue;
        }
        memset(prod, 0, sizeof(float) * (size_t)C * ld);
        vae_matmul_dyw_4x8_wasmsimd(prod, w, work, C, K, ld);
        for (int j = 0; j < gn; j++)
            for (int co = 0; co < C; co++)
                add_row(y + (n0 + j) * ys + (size_t)co * P, prod + (size_t)co * ld + (size_t)j * P, P);
    }
}

/* dx [n, c_in, h_in, w_in] += conv^T(dy [n, c_out, h_out, w_out], w [c_out, c_in, kh, kw]).
 * W^T is made once per call: reading W itself down its columns would stride
 * c_in kh kw floats per step (4 KB at the VAE shapes, which aliases in L1).
 * A group of several images has its dy gathered side by side into dyg first. */
void vae_conv_dx_im2col_wasmsimd(float *dx, const float *dy, const float *w, const vae_conv_shape *g, float *work) {
    int K = col_rows(g), P = col_cols(g), G = group(g), C = g->c_out;
    size_t xs = (size_t)g->c_in * g->h_in * g->w_in, ys = (size_t)C * P;
    float *wt = work + (size_t)K * G * P, *dyg = wt + (size_t)K * C;
    for (int o = 0; o < C; o++)
        for (int k = 0; k < K; k++) wt[(size_t)k * C + o] = w[(size_t)o * K + k];
    for (int n0 = 0; n0 < g->n; n0 += G) {
        int gn = g->n - n0 < G ? g->n - n0 : G, ld = gn * P;
        for (int j = 0; gn > 1 && j < gn; j++)
            for (int co = 0; co < C; co++)
                memcpy(dyg + (size_t)co * ld + (size_t)j * P, dy + (n0 + j) * ys + (size_t)co * P,
                       sizeof(float) * (size_t)P);
        memset(work, 0, sizeof(float) * (size_t)K * ld);
        vae_matmul_dyw_4x8_wasmsimd(work, wt, gn > 1 ? dyg : dy + n0 * ys, K, C, ld);
        for (int j = 0; j < gn; j++) col2im_add(dx + (n0 + j) * xs, work + (size_t)j * P, (size_t)ld, g);
    }
}

/* dw [c_out, c_in, kh, kw] += sum over images of dy [c_out, h_out w_out] . col^T */
void vae_conv_dw_im2col_wasmsimd(float *dw, const float *dy, const float *x, const vae_conv_shape *g, float *work) {
    int K = col_rows(g), P = col_cols(g), G = group(g);
    size_t xs = (size_t)g->c_in * g->h_in * g->w_in, ys = (size_t)g->c_out * P, nw = (size_t)g->c_out * K;
    float *prod = work + (size_t)K * G * P; /* xwt overwrites, so each image's dW lands here first */
    float *pl = prod + (size_t)K * g->c_out + (G > 1) * (size_t)g->c_out * G * P;
    for (int n = 0; n < g->n; n++) {
        im2col(work, (size_t)P, x + n * xs, g, pl);
        vae_matmul_xwt_4x8_wasmsimd(prod, dy + n * ys, work, NULL, g->c_out, K, P);
        for (size_t i = 0; i < nw; i++) dw[i] += prod[i];
    }
}

#endif
