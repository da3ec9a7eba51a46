/* Layers as forward/backward pairs. Backward functions accumulate (+=) into
 * their gradient outputs; callers zero them. Shapes in [rows, cols]. */
#ifndef VAE_LAYERS_H
#define VAE_LAYERS_H

#include <stddef.h>

#include "vae.h"

float vae_sigmoid(float x); /* stable for any finite x */
/* out[n] = sigmoid(in[n]); out may equal in. */
void vae_sigmoid_forward(float *out, const float *in, size_t n);

/* out[B,O] = inp[B,I] . w[O,I]^T + b[O] */
void vae_linear_forward(float *out, const float *inp, const float *w, const float *b, int B, int I, int O);
/* dinp[B,I] += dout[B,O] . w (skipped if dinp is NULL); dw[O,I] += dout^T . inp; db[O] += sum_b dout */
void vae_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w,
                         int B, int I, int O);

/* out[n] = act(inp[n]); out may equal inp. */
void vae_act_forward(float *out, const float *inp, size_t n, vae_activation act, float slope);
/* dinp[n] += dout[n] * act'(x), with act' written in terms of the forward OUTPUT out[n]
 * (so the pre-activation need not be kept; needs slope >= 0 for leaky ReLU). */
void vae_act_backward(float *dinp, const float *dout, const float *out, size_t n, vae_activation act, float slope);

/* Contractive penalty of a layer h = act(a), a = x . w^T + b, w [H, I]:
 * pen[b] += weight * ||dh/dx||_F^2 = weight * sum_j act'(a_bj)^2 ||w_j||^2. */
void vae_contractive_forward(float *pen, const float *h, const float *w, int B, int H, int I, vae_activation act,
                             float slope, float weight);
/* Gradient of scale * sum_b pen[b]: dpre[B,H] += through act'(a) (the
 * pre-activation), dw[H,I] += the direct term through ||w_j||^2. */
void vae_contractive_backward(float *dpre, float *dw, const float *h, const float *w, int B, int H, int I,
                              vae_activation act, float slope, float scale);

/* Sparsity of codes c [B, L] (vae_sparsity): pen[b] += weight * sum_j |c_bj|
 * (L1), or += weight * sum_j KL(rho || mean_b c_bj) (KL; the same batch
 * term for every image, so the batch mean of pen is the term). */
void vae_sparsity_forward(float *pen, const float *c, int B, int L, vae_sparsity kind, float weight, float rho);
/* dc[B,L] += scale * d(sum_b pen[b])/dc (for KL, scale = 1/B makes it the term's own gradient). */
void vae_sparsity_backward(float *dc, const float *c, int B, int L, vae_sparsity kind, float weight, float rho,
                           float scale);

/* loss[B] = sum_d BCE(sigmoid(logits[b,d]), x[b,d]) computed from logits (stable).
 * x rows are x_stride floats apart (0 broadcasts one image). */
void vae_bce_logits_forward(float *loss, const float *logits, const float *x, int B, int D, int x_stride);
/* dlogits[B,D] += scale * (sigmoid(logits) - x) */
void vae_bce_logits_backward(float *dlogits, const float *logits, const float *x, int B, int D, float scale);

/* Gaussian negative log-likelihood with mean = sigmoid(logits):
 * loss[B] = sum_d 0.5 ((x - mean) / s_d)^2 + log s_d + 0.5 log(2 pi),
 * s_d = exp(logsigma[d]) when logsigma is given, else sigma. */
void vae_gaussian_forward(float *loss, const float *logits, const float *x, int B, int D, int x_stride,
                          const float *logsigma, float sigma);
/* dlogits[B,D] += scale * dloss/dlogits; dlogsigma[D] += scale * sum_b dloss/dlogsigma (if logsigma) */
void vae_gaussian_backward(float *dlogits, float *dlogsigma, const float *logits, const float *x, int B, int D,
                           const float *logsigma, float sigma, float scale);

/* kl[B] = -0.5 sum_l (1 + logvar - mu^2 - exp(logvar)) */
void vae_kl_forward(float *kl, const float *mu, const float *logvar, int B, int L);
/* dmu += scale * mu; dlogvar += scale * 0.5 (exp(logvar) - 1) */
void vae_kl_backward(float *dmu, float *dlogvar, const float *mu, const float *logvar, int B, int L, float scale);

/* z[b, 0:L] = mu + exp(0.5 logvar) * eps (eps NULL: z = mu); z rows are ldz floats apart. */
void vae_reparam_forward(float *z, int ldz, const float *mu, const float *logvar, const float *eps, int B, int L);
/* dmu += dz; dlogvar += dz * eps * 0.5 exp(0.5 logvar); dz rows ldz apart. */
void vae_reparam_backward(float *dmu, float *dlogvar, const float *dz, int ldz, const float *logvar,
                          const float *eps, int B, int L);

/* The element-wise SIMD kernels behind the dispatchers above (simd_math.h;
 * defined unless VAE_NO_SIMD) and their scalar libm twins, which the tests
 * compare them against. */
void vae_sigmoid_forward_scalar(float *out, const float *in, size_t n);
void vae_sigmoid_forward_wasmsimd(float *out, const float *in, size_t n);
void vae_bce_logits_forward_scalar(float *loss, const float *logits, const float *x, int B, int D, int x_stride);
void vae_bce_logits_forward_wasmsimd(float *loss, const float *logits, const float *x, int B, int D, int x_stride);
void vae_bce_logits_backward_scalar(float *dlogits, const float *logits, const float *x, int B, int D, float scale);
void vae_bce_logits_backward_wasmsimd(float *dlogits, const float *logits, const float *x, int B, int D,
                                      float scale);

#endif
