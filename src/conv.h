/* 2-D convolution and transposed convolution layers, PyTorch semantics
 * (nn.Conv2d / nn.ConvTranspose2d with dilation 1, groups 1, zero padding).
 *
 * Tensors are NCHW float arrays. Weights keep PyTorch's layouts, so a
 * state_dict maps onto them unchanged:
 *   conv2d            weight [c_out, c_in, kh, kw]
 *   conv_transpose2d  weight [c_in, c_out, kh, kw]
 *   both              bias   [c_out]
 *
 * A vae_conv_shape describes one layer; vae_conv_shape_check fills h_out and
 * w_out and rejects impossible shapes. The layers need a caller-owned
 * workspace of vae_conv_workspace_bytes(s) bytes, which does not depend on
 * the batch size n (images are processed one at a time), so one workspace
 * sized at set-up serves every batch. The layers never allocate.
 *
 * Backward functions accumulate (+=) into dinp, dw and db; any of the three
 * may be NULL to skip it. A NULL bias means no bias.
 *
 * Each layer also has a naive scalar twin (_scalar), plain nested loops over
 * the definition, which the tests trust and compare the fast path against.
 * With VAE_NO_SIMD the layers run the scalar twins themselves. */
#ifndef VAE_CONV_H
#define VAE_CONV_H

#include <stddef.h>

#include "vae.h"

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

/* Validates every field and sets h_out, w_out:
 *   conv2d:     h_out = (h_in + 2 pad - kh) / stride + 1   (floor)
 *   transposed: h_out = (h_in - 1) stride - 2 pad + kh + out_pad
 * VAE_ERR_ARG with a readable message for an impossible shape (kernel larger
 * than the padded input, out_pad >= stride, sizes too large, ...). */
vae_status vae_conv_shape_check(vae_conv_shape *s, vae_error *err);

/* Bytes of workspace the layers need for this (checked) shape; may be 0. */
size_t vae_conv_workspace_bytes(const vae_conv_shape *s);

/* PyTorch weight dimensions of the layer, as listed above. */
void vae_conv_weight_dims(const vae_conv_shape *s, int dims[4]);

/* The layers. Each re-checks s (cheap) and the workspace size, and returns
 * VAE_ERR_ARG without touching any output if either is wrong.
 * out [n, c_out, h_out, w_out] = conv(inp [n, c_in, h_in, w_in], w) + b */
vae_status vae_conv2d_forward(float *out, const float *inp, const float *w, const float *b, const vae_conv_shape *s,
                              void *work, size_t work_bytes, vae_error *err);
/* dinp [n, c_in, h_in, w_in] += dL/dinp; dw [c_out, c_in, kh, kw] += dL/dw;
 * db [c_out] += dL/db, from dout [n, c_out, h_out, w_out] and the forward's inp. */
vae_status vae_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                               const float *w, const vae_conv_shape *s, void *work, size_t work_bytes,
                               vae_error *err);
/* out [n, c_out, h_out, w_out] = conv_transpose(inp [n, c_in, h_in, w_in], w [c_in, c_out, kh, kw]) + b */
vae_status vae_conv_transpose2d_forward(float *out, const float *inp, const float *w, const float *b,
                                        const vae_conv_shape *s, void *work, size_t work_bytes, vae_error *err);
/* dinp [n, c_in, h_in, w_in] +=, dw [c_in, c_out, kh, kw] +=, db [c_out] += */
vae_status vae_conv_transpose2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                         const float *w, const vae_conv_shape *s, void *work, size_t work_bytes,
                                         vae_error *err);

/* The scalar twins: same contracts, no workspace; s must have passed
 * vae_conv_shape_check with the matching kind. */
void vae_conv2d_forward_scalar(float *out, const float *inp, const float *w, const float *b,
                               const vae_conv_shape *s);
void vae_conv2d_backward_scalar(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                const float *w, const vae_conv_shape *s);
void vae_conv_transpose2d_forward_scalar(float *out, const float *inp, const float *w, const float *b,
                                         const vae_conv_shape *s);
void vae_conv_transpose2d_backward_scalar(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                          const float *w, const vae_conv_shape *s);

/* ---------------------------------------------------------------- kernels
 * The three products of a conv2d, on a checked VAE_CONV2D shape g with input
 * x [n, c_in, h_in, w_in], output y [n, c_out, h_out, w_out] and weight
 * w [c_out, c_in, kh, kw]. All accumulate. A transposed convolution is the
 * same three with x and y swapped (see conv.c).
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
