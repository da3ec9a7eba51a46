/* Naive scalar conv2d kernels: the reference the tests trust. Each is the
 * definition written as nested loops over (image, output channel, output
 * position, input channel, kernel position), skipping taps in the padding. */
#include <stddef.h>

#include "kernels/kernels.h"

/* Index of x[n, c, i, j] in a [*, C, H, W] array. */
static size_t at(int n, int c, int i, int j, int C, int H, int W) { return (((size_t)n * C + c) * H + i) * W + j; }

/* y[n, co, oy, ox] += sum over ci, ky, kx of x[n, ci, oy s - p + ky, ox s - p + kx] w[co, ci, ky, kx] */
void vae_conv_fwd_scalar(float *y, const float *x, const float *w, const vae_conv_shape *g) {
    for (int n = 0; n < g->n; n++)
        for (int co = 0; co < g->c_out; co++)
            for (int oy = 0; oy < g->h_out; oy++)
                for (int ox = 0; ox < g->w_out; ox++) {
                    float s = 0.0f;
                    for (int ci = 0; ci < g->c_in; ci++)
                        for (int ky = 0; ky < g->kh; ky++)
                            for (int kx = 0; kx < g->kw; kx++) {
                                int iy = oy * g->stride - g->pad + ky, ix = ox * g->stride - g->pad + kx;
                                if (iy < 0 || iy >= g->h_in || ix < 0 || ix >= g->w_in) continue;
                                s += x[at(n, ci, iy, ix, g->c_in, g->h_in, g->w_in)] *
                                     w[at(co, ci, ky, kx, g->c_in, g->kh, g->kw)];
                            }
                    y[at(n, co, oy, ox, g->c_out, g->h_out, g->w_out)] += s;
                }
}

/* dx[n, ci, oy s - p + ky, ox s - p + kx] += dy[n, co, oy, ox] w[co, ci, ky, kx], over everything */
void vae_conv_dx_scalar(float *dx, const float *dy, const float *w, const vae_conv_shape *g) {
    for (int n = 0; n < g->n; n++)
        for (int co = 0; co < g->c_out; co++)
            for (int oy = 0; oy < g->h_out; oy++)
                for (int ox = 0; ox < g->w_out; ox++) {
                    float d = dy[at(n, co, oy, ox, g->c_out, g->h_out, g->w_out)];
                    for (int ci = 0; ci < g->c_in; ci++)
                        for (int ky = 0; ky < g->kh; ky++)
                            for (int kx = 0; kx < g->kw; kx++) {
                                int iy = oy * g->stride - g->pad + ky, ix = ox * g->stride - g->pad + kx;
                                if (iy < 0 || iy >= g->h_in || ix < 0 || ix >= g->w_in) continue;
                                dx[at(n, ci, iy, ix, g->c_in, g->h_in, g->w_in)] +=
                                    d * w[at(co, ci, ky, kx, g->c_in, g->kh, g->kw)];
                            }
                }
}

/* dw[co, ci, ky, kx] += sum over n, oy, ox of dy[n, co, oy, ox] x[n, ci, oy s - p + ky, ox s - p + kx] */
void vae_conv_dw_scalar(float *dw, const float *dy, const float *x, const vae_conv_shape *g) {
    for (int co = 0; co < g->c_out; co++)
        for (int ci = 0; ci < g->c_in; ci++)
            for (int ky = 0; ky < g->kh; ky++)
                for (int kx = 0; kx < g->kw; kx++) {
                    float s = 0.0f;
                    for (int n = 0; n < g->n; n++)
                        for (int oy = 0; oy < g->h_out; oy++)
                            for (int ox = 0; ox < g->w_out; ox++) {
                                int iy = oy * g->stride - g->pad + ky, ix = ox * g->stride - g->pad + kx;
                                if (iy < 0 || iy >= g->h_in || ix < 0 || ix >= g->w_in) continue;
                                s += dy[at(n, co, oy, ox, g->c_out, g->h_out, g->w_out)] *
                                     x[at(n, ci, iy, ix, g->c_in, g->h_in, g->w_in)];
                            }
                    dw[at(co, ci, ky, kx, g->c_in, g->kh, g->kw)] += s;
                }
}
