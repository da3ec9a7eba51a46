/* conv2d and conv_transpose2d layers over the three conv2d kernels.
 *
 * A transposed convolution's forward is a conv2d's input gradient and its
 * input gradient is a conv2d's forward, both with the same weight memory:
 * nn.ConvTranspose2d's [c_in, c_out, kh, kw] is the [c_out, c_in, kh, kw] of
 * the conv2d that maps the transposed layer's output back to its input. So
 * both layers run on one set of kernels (as_conv below). */
#include "layers/conv.h"

#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "kernels/simd.h"

/* Largest number of elements in any one tensor or workspace: keeps every
 * index in int for the matrix kernels and every byte count in a wasm32 size_t. */
#define CONV_MAX_ELEMS (1 << 28)

static const char *kind_name(vae_conv_kind k) { return k == VAE_CONV2D ? "conv2d" : "conv_transpose2d"; }

/* Output length along one axis, in 64 bits so that no input overflows it. */
static int64_t out_len(const vae_conv_shape *s, int64_t in, int64_t k) {
    if (s->kind == VAE_CONV2D) return in + 2 * (int64_t)s->pad < k ? 0 : (in + 2 * (int64_t)s->pad - k) / s->stride + 1;
    return (in - 1) * s->stride - 2 * (int64_t)s->pad + k + s->out_pad;
}

vae_status vae_conv_shape_check(vae_conv_shape *s, vae_error *err) {
    if (!s) return vae_fail(err, VAE_ERR_ARG, "conv shape is NULL");
    if (s->kind != VAE_CONV2D && s->kind != VAE_CONV_TRANSPOSE2D)
        return vae_fail(err, VAE_ERR_ARG, "conv shape: unknown kind %d", (int)s->kind);
    const char *name = kind_name(s->kind);
    const struct {
        const char *what;
        int v, lo;
    } f[] = {{"batch n", s->n, 1},   {"c_in", s->c_in, 1},      {"h_in", s->h_in, 1}, {"w_in", s->w_in, 1},
             {"c_out", s->c_out, 1}, {"kh", s->kh, 1},          {"kw", s->kw, 1},     {"stride", s->stride, 1},
             {"pad", s->pad, 0},     {"out_pad", s->out_pad, 0}};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        if (f[i].v < f[i].lo || f[i].v > VAE_MAX_DIM)
            return vae_fail(err, VAE_ERR_ARG, "%s: %s = %d, want %d..%d", name, f[i].what, f[i].v, f[i].lo,
                            VAE_MAX_DIM);
    if (s->kind == VAE_CONV2D && s->out_pad)
        return vae_fail(err, VAE_ERR_ARG, "conv2d: out_pad = %d, want 0 (only transposed convolutions have it)",
                        s->out_pad);
    if (s->kind == VAE_CONV_TRANSPOSE2D && s->out_pad >= s->stride)
        return vae_fail(err, VAE_ERR_ARG, "conv_transpose2d: out_pad = %d must be smaller than stride %d", s->out_pad,
                        s->stride);
    int64_t ho = out_len(s, s->h_in, s->kh), wo = out_len(s, s->w_in, s->kw);
    if (ho < 1 || wo < 1) {
        if (s->kind == VAE_CONV2D)
            return vae_fail(err, VAE_ERR_ARG, "conv2d: kernel %dx%d larger than the padded input %" PRId64 "x%" PRId64,
                            s->kh, s->kw, s->h_in + 2 * (int64_t)s->pad, s->w_in + 2 * (int64_t)s->pad);
        return vae_fail(err, VAE_ERR_ARG,
                        "conv_transpose2d: output would be %" PRId64 "x%" PRId64 " (pad %d too large)", ho, wo, s->pad);
    }
    /* per image: input, output, unfolded patches (c kh kw x positions, either
     * way round), padded input or output (the im2col planes); weight; whole
     * batch. In double: the products can pass 2^63. */
    double in = (double)s->c_in * s->h_in * s->w_in, out = (double)s->c_out * ho * wo;
    double taps = (double)s->kh * s->kw, big = in > out ? in : out, p2 = 2.0 * s->pad + s->stride;
    double padded_in = s->c_in * (s->h_in + p2) * (s->w_in + p2), padded_out = s->c_out * (ho + p2) * (wo + p2);
    double sizes[] = {big,
                      taps * s->c_in * ho * wo,
                      taps * s->c_out * s->h_in * s->w_in,
                      padded_in > padded_out ? padded_in : padded_out,
                      taps * s->c_in * s->c_out,
                      big * s->n};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        if (sizes[i] > CONV_MAX_ELEMS)
            return vae_fail(err, VAE_ERR_ARG, "%s: %.3g elements in one tensor or workspace, over %d", name, sizes[i],
                            CONV_MAX_ELEMS);
    s->h_out = (int)ho;
    s->w_out = (int)wo;
    return vae_ok(err);
}

/* The conv2d of a transposed layer (see the top): input = its output, output = its input. */
static vae_conv_shape as_conv(const vae_conv_shape *s) {
    return (vae_conv_shape){.kind = VAE_CONV2D,
                            .n = s->n,
                            .c_in = s->c_out,
                            .h_in = s->h_out,
                            .w_in = s->w_out,
                            .c_out = s->c_in,
                            .kh = s->kh,
                            .kw = s->kw,
                            .stride = s->stride,
                            .pad = s->pad,
                            .out_pad = 0,
                            .h_out = s->h_in,
                            .w_out = s->w_in};
}

size_t vae_conv_workspace_bytes(const vae_conv_shape *s) {
#ifdef VAE_NO_SIMD
    (void)s;
    return 0;
#else
    vae_conv_shape g = s->kind == VAE_CONV2D ? *s : as_conv(s);
    return vae_conv_im2col_floats(&g) * sizeof(float);
#endif
}

void vae_conv_weight_dims(const vae_conv_shape *s, int dims[4]) {
    dims[0] = s->kind == VAE_CONV2D ? s->c_out : s->c_in;
    dims[1] = s->kind == VAE_CONV2D ? s->c_in : s->c_out;
    dims[2] = s->kh;
    dims[3] = s->kw;
}

/* ---------------------------------------------------------------- kernel choice */

/* work NULL selects the scalar kernels (the _scalar twins, and every layer
 * under VAE_NO_SIMD); otherwise the im2col SIMD kernels use it. */
static void run_fwd(float *y, const float *x, const float *w, const vae_conv_shape *g, float *work) {
#ifndef VAE_NO_SIMD
    if (work) {
        vae_conv_fwd_im2col_wasmsimd(y, x, w, g, work);
        return;
    }
#else
    (void)work;
#endif
    vae_conv_fwd_scalar(y, x, w, g);
}

static void run_dx(float *dx, const float *dy, const float *w, const vae_conv_shape *g, float *work) {
#ifndef VAE_NO_SIMD
    if (work) {
        vae_conv_dx_im2col_wasmsimd(dx, dy, w, g, work);
        return;
    }
#else
    (void)work;
#endif
    vae_conv_dx_scalar(dx, dy, w, g);
}

static void run_dw(float *dw, const float *dy, const float *x, const vae_conv_shape *g, float *work) {
#ifndef VAE_NO_SIMD
    if (work) {
        vae_conv_dw_im2col_wasmsimd(dw, dy, x, g, work);
        return;
    }
#else
    (void)work;
#endif
    vae_conv_dw_scalar(dw, dy, x, g);
}

/* ---------------------------------------------------------------- layers */

/* out [n, c, hw] = b[c], or 0 without bias: the kernels accumulate onto it. */
static void bias_fill(float *out, const float *b, int n, int c, int hw) {
    for (int i = 0; i < n * c; i++, out += hw) {
        float v = b ? b[i % c] : 0.0f;
        int j = 0;
#ifndef VAE_NO_SIMD
        for (; j + 4 <= hw; j += 4) /* this file is built for size: no vectorizer */
            wasm_v128_store(out + j, wasm_f32x4_splat(v));
#endif
        for (; j < hw; j++) out[j] = v;
    }
}

/* db [c] += sum over n and positions of dout [n, c, hw] */
static void bias_grad(float *db, const float *dout, int n, int c, int hw) {
    for (int i = 0; i < n * c; i++) {
        float s = 0.0f;
        for (int j = 0; j < hw; j++) s += dout[(size_t)i * hw + j];
        db[i % c] += s;
    }
}

static void conv2d_forward(float *out, const float *inp, const float *w, const float *b, const vae_conv_shape *s,
                           float *work) {
    bias_fill(out, b, s->n, s->c_out, s->h_out * s->w_out);
    run_fwd(out, inp, w, s, work);
}

static void conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                            const vae_conv_shape *s, float *work) {
    if (dinp) run_dx(dinp, dout, w, s, work);
    if (dw) run_dw(dw, dout, inp, s, work);
    if (db) bias_grad(db, dout, s->n, s->c_out, s->h_out * s->w_out);
}

static void convt_forward(float *out, const float *inp, const float *w, const float *b, const vae_conv_shape *s,
                          float *work) {
    vae_conv_shape g = as_conv(s);
    bias_fill(out, b, s->n, s->c_out, s->h_out * s->w_out);
    run_dx(out, inp, w, &g, work);
}

static void convt_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                           const vae_conv_shape *s, float *work) {
    vae_conv_shape g = as_conv(s);
    if (dinp) run_fwd(dinp, dout, w, &g, work);
    if (dw) run_dw(dw, inp, dout, &g, work);
    if (db) bias_grad(db, dout, s->n, s->c_out, s->h_out * s->w_out);
}

/* The checks every fast-path call makes before touching memory: a valid shape
 * of the right kind whose h_out/w_out are current, the buffers the call
 * needs, and a big enough, float-aligned workspace. */
static vae_status prepare(const char *fn, vae_conv_kind kind, const vae_conv_shape *s, int have_buffers, void *work,
                          size_t work_bytes, vae_error *err) {
    if (!s) return vae_fail(err, VAE_ERR_ARG, "%s: shape is NULL", fn);
    vae_conv_shape c = *s;
    vae_status st = vae_conv_shape_check(&c, err);
    if (st != VAE_OK) return st;
    if (s->kind != kind) return vae_fail(err, VAE_ERR_ARG, "%s: shape is for %s", fn, kind_name(s->kind));
    if (c.h_out != s->h_out || c.w_out != s->w_out)
        return vae_fail(err, VAE_ERR_ARG,
                        "%s: shape says output %dx%d but its fields give %dx%d (call vae_conv_shape_check)", fn,
                        s->h_out, s->w_out, c.h_out, c.w_out);
    if (!have_buffers) return vae_fail(err, VAE_ERR_ARG, "%s: a required buffer is NULL", fn);
    size_t need = vae_conv_workspace_bytes(s);
    if (work_bytes < need || (need && !work))
        return vae_fail(err, VAE_ERR_ARG, "%s: workspace of %zu bytes, need %zu (vae_conv_workspace_bytes)", fn,
                        work ? work_bytes : 0, need);
    if ((uintptr_t)work % sizeof(float)) return vae_fail(err, VAE_ERR_ARG, "%s: workspace not aligned to 4 bytes", fn);
    return vae_ok(err);
}

/* The workspace pointer the kernel choice expects: never NULL in a SIMD build. */
static float *work_floats(void *work) {
#ifdef VAE_NO_SIMD
    (void)work;
    return NULL;
#else
    return work;
#endif
}

vae_status vae_conv2d_forward(float *out, const float *inp, const float *w, const float *b, const vae_conv_shape *s,
                              void *work, size_t work_bytes, vae_error *err) {
    vae_status st = prepare("vae_conv2d_forward", VAE_CONV2D, s, out && inp && w, work, work_bytes, err);
    if (st == VAE_OK) conv2d_forward(out, inp, w, b, s, work_floats(work));
    return st;
}

vae_status vae_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                               const vae_conv_shape *s, void *work, size_t work_bytes, vae_error *err) {
    int have = dout && (!dinp || w) && (!dw || inp);
    vae_status st = prepare("vae_conv2d_backward", VAE_CONV2D, s, have, work, work_bytes, err);
    if (st == VAE_OK) conv2d_backward(dinp, dw, db, dout, inp, w, s, work_floats(work));
    return st;
}

vae_status vae_conv_transpose2d_forward(float *out, const float *inp, const float *w, const float *b,
                                        const vae_conv_shape *s, void *work, size_t work_bytes, vae_error *err) {
    vae_status st =
        prepare("vae_conv_transpose2d_forward", VAE_CONV_TRANSPOSE2D, s, out && inp && w, work, work_bytes, err);
    if (st == VAE_OK) convt_forward(out, inp, w, b, s, work_floats(work));
    return st;
}

vae_status vae_conv_transpose2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                         const float *w, const vae_conv_shape *s, void *work, size_t work_bytes,
                                         vae_error *err) {
    int have = dout && (!dinp || w) && (!dw || inp);
    vae_status st = prepare("vae_conv_transpose2d_backward", VAE_CONV_TRANSPOSE2D, s, have, work, work_bytes, err);
    if (st == VAE_OK) convt_backward(dinp, dw, db, dout, inp, w, s, work_floats(work));
    return st;
}

void vae_conv2d_forward_scalar(float *out, const float *inp, const float *w, const float *b, const vae_conv_shape *s) {
    conv2d_forward(out, inp, w, b, s, NULL);
}

void vae_conv2d_backward_scalar(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                                const vae_conv_shape *s) {
    conv2d_backward(dinp, dw, db, dout, inp, w, s, NULL);
}

void vae_conv_transpose2d_forward_scalar(float *out, const float *inp, const float *w, const float *b,
                                         const vae_conv_shape *s) {
    convt_forward(out, inp, w, b, s, NULL);
}

void vae_conv_transpose2d_backward_scalar(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                          const float *w, const vae_conv_shape *s) {
    convt_backward(dinp, dw, db, dout, inp, w, s, NULL);
}
