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

#include "kernels/kernels.h"
#include "vae.h"

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
vae_status vae_conv2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                               const vae_conv_shape *s, void *work, size_t work_bytes, vae_error *err);
/* out [n, c_out, h_out, w_out] = conv_transpose(inp [n, c_in, h_in, w_in], w [c_in, c_out, kh, kw]) + b */
vae_status vae_conv_transpose2d_forward(float *out, const float *inp, const float *w, const float *b,
                                        const vae_conv_shape *s, void *work, size_t work_bytes, vae_error *err);
/* dinp [n, c_in, h_in, w_in] +=, dw [c_in, c_out, kh, kw] +=, db [c_out] += */
vae_status vae_conv_transpose2d_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                         const float *w, const vae_conv_shape *s, void *work, size_t work_bytes,
                                         vae_error *err);

/* The scalar twins: same contracts, no workspace; s must have passed
 * vae_conv_shape_check with the matching kind. */
void vae_conv2d_forward_scalar(float *out, const float *inp, const float *w, const float *b, const vae_conv_shape *s);
void vae_conv2d_backward_scalar(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                                const vae_conv_shape *s);
void vae_conv_transpose2d_forward_scalar(float *out, const float *inp, const float *w, const float *b,
                                         const vae_conv_shape *s);
void vae_conv_transpose2d_backward_scalar(float *dinp, float *dw, float *db, const float *dout, const float *inp,
                                          const float *w, const vae_conv_shape *s);

#endif
