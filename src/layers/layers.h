/* Layers as forward/backward pairs. Backward functions accumulate (+=) into
 * their gradient outputs; callers zero them. Shapes in [rows, cols]. */
#ifndef VAE_LAYERS_H
#define VAE_LAYERS_H

#include <stddef.h>

#include "vae.h"

float vae_sigmoid(float x); /* stable for any finite x */
float vae_tanh(float x);    /* the same bits on every target (libm tanhf differs) */
/* out[n] = sigmoid(in[n]); out may equal in. */
void vae_sigmoid_forward(float *out, const float *in, size_t n);

/* out[B,O] = inp[B,I] . w[O,I]^T + b[O] */
void vae_linear_forward(float *out, const float *inp, const float *w, const float *b, int B, int I, int O);
/* The same for a model's weights, also given packed (wp, vae_matmul_xwt_pack, or NULL). */
void vae_linear_forward_packed(float *out, const float *inp, const float *w, const float *wp, const float *b, int B,
                               int I, int O);
/* dinp[B,I] += dout[B,O] . w (skipped if dinp is NULL); dw[O,I] += dout^T . inp; db[O] += sum_b dout */
void vae_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int B,
                         int I, int O);

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

/* Student-t negative log-likelihood with location mean = sigmoid(logits),
 * scale s_d = exp(logsigma[d]) and nu_d = exp(lognu[d]) degrees of freedom:
 * loss[B] = sum_d c_d + (nu_d + 1)/2 log(1 + r^2 / nu_d), r = (x - mean) / s_d,
 * c_d = log s_d + lgamma(nu_d / 2) - lgamma((nu_d + 1) / 2) + log(nu_d pi) / 2.
 * k [4, D] holds what depends on the parameters alone (vae_student_t_consts:
 * c, 1/s, nu, dc/dnu), computed once for a batch. */
void vae_student_t_consts(float *k, const float *logsigma, const float *lognu, int D);
void vae_student_t_forward(float *loss, const float *logits, const float *x, int B, int D, int x_stride,
                           const float *k);
/* dlogits[B,D] += scale * dloss/dlogits; dlogsigma[D], dlognu[D] += scale * sum_b dloss/dlogsigma, dloss/dlognu */
void vae_student_t_backward(float *dlogits, float *dlogsigma, float *dlognu, const float *logits, const float *x, int B,
                            int D, const float *k, float scale);

/* kl[B] = -0.5 sum_l (1 + logvar - mu^2 - exp(logvar)) */
void vae_kl_forward(float *kl, const float *mu, const float *logvar, int B, int L);
/* dmu += scale * mu; dlogvar += scale * 0.5 (exp(logvar) - 1) */
void vae_kl_backward(float *dmu, float *dlogvar, const float *mu, const float *logvar, int B, int L, float scale);

/* z[b, 0:L] = mu + exp(0.5 logvar) * eps (eps NULL: z = mu); z rows are ldz floats apart. */
void vae_reparam_forward(float *z, int ldz, const float *mu, const float *logvar, const float *eps, int B, int L);
/* dmu += dz; dlogvar += dz * eps * 0.5 exp(0.5 logvar); dz rows ldz apart. */
void vae_reparam_backward(float *dmu, float *dlogvar, const float *dz, int ldz, const float *logvar, const float *eps,
                          int B, int L);

/* ---------------------------------------------------------------- sequences
 * Sequences are time-major: x [T, B, F] holds step t of sequence b at row
 * t B + b. len[b] (0 <= len[b] <= T; len NULL: all T) masks a ragged batch
 * as PyTorch's packed sequences do: steps past len[b] output zeros and leave
 * the state alone, so the final state is the state at the last valid step
 * (for the reverse direction: the state after step 0, which starts at len[b] - 1). */

/* out[N, E] = table[ids[n]] for table [V, E]; ids[n] < 0 (padding) gives zeros. */
void vae_embedding_forward(float *out, const int *ids, const float *table, int N, int E);
/* dtable[ids[n]] += dout[n] (rows with ids[n] < 0 skipped). */
void vae_embedding_backward(float *dtable, const float *dout, const int *ids, int N, int E);

/* loss[N] = -log softmax(logits[n])[target[n]] over V classes (stable: the
 * row maximum is subtracted); target[n] < 0 masks a padded position (loss 0). */
void vae_softmax_xent_forward(float *loss, const float *logits, const int *target, int N, int V);
/* dlogits[N,V] += scale * (softmax(logits[n]) - onehot(target[n])), masked rows skipped. */
void vae_softmax_xent_backward(float *dlogits, const float *logits, const int *target, int N, int V, float scale);

/* probs[N,V] = softmax(logits[n]) and logp[N,V] = log softmax(logits[n])
 * (the row maximum subtracted; probs as the cross-entropy's backward has them). */
void vae_softmax_forward(float *probs, const float *logits, int N, int V);
void vae_log_softmax_forward(float *logp, const float *logits, int N, int V);

/* nn.LSTM: `layers` stacked layers of `dirs` directions (1, or 2 for
 * bidirectional, whose output rows are [forward H | reverse H]); input x
 * [T, B, I]; output [T, B, dirs H]; states h0, c0, hn, cn [layers dirs, B, H]
 * (index layer * dirs + dir, PyTorch's). Gates i, f, g, o:
 *   a = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh   (a [4H], the gates in that order)
 *   c_t = sigmoid(a_f) c_{t-1} + sigmoid(a_i) tanh(a_g),  h_t = sigmoid(a_o) tanh(c_t)
 * The weights are one block in PyTorch's parameter order: per layer, per
 * direction, weight_ih [4H, in] (in = I for layer 0, else dirs H),
 * weight_hh [4H, H], bias_ih [4H], bias_hh [4H]; gradients mirror it. */
typedef struct {
    int T, B, I, H, layers, dirs; /* all >= 1, dirs <= 2 (the callers check) */
} vae_lstm_shape;

typedef enum { VAE_LSTM_W_IH = 0, VAE_LSTM_W_HH, VAE_LSTM_B_IH, VAE_LSTM_B_HH } vae_lstm_tensor;

size_t vae_lstm_param_floats(const vae_lstm_shape *s);
/* Where a tensor starts in the block; its columns (the weights' in or H; 0
 * for the biases, vectors of 4H) and floats; its PyTorch name (weight_ih_l0,
 * bias_hh_l1_reverse, ...) into buf, as vae_format does. */
size_t vae_lstm_offset(const vae_lstm_shape *s, int layer, int dir, vae_lstm_tensor which);
int vae_lstm_cols(const vae_lstm_shape *s, int layer, vae_lstm_tensor which);
size_t vae_lstm_numel(const vae_lstm_shape *s, int layer, vae_lstm_tensor which);
int vae_lstm_name(char *buf, size_t cap, int layer, int dir, vae_lstm_tensor which);
/* Floats of the cache forward fills and backward reads, and of backward's workspace. */
size_t vae_lstm_cache_floats(const vae_lstm_shape *s);
size_t vae_lstm_work_floats(const vae_lstm_shape *s);

/* out [T, B, dirs H]; hn, cn (NULL: not wanted); h0, c0 NULL: zeros. */
void vae_lstm_forward(float *out, float *hn, float *cn, float *cache, const float *x, const int *len, const float *h0,
                      const float *c0, const float *w, const vae_lstm_shape *s);
/* Backpropagation through time after vae_lstm_forward (same x, len, w, and
 * its cache): dx [T, B, I], dh0, dc0 (each skipped if NULL) and dw (the
 * block's layout) += the gradients of a loss with gradients dout [T, B, dirs H],
 * dhn, dcn (each NULL: zero). */
void vae_lstm_backward(float *dx, float *dw, float *dh0, float *dc0, float *work, const float *dout, const float *dhn,
                       const float *dcn, const float *x, const int *len, const float *cache, const float *w,
                       const vae_lstm_shape *s);

/* One step's element-wise cell for B rows, the kernel behind the forward:
 * gates[B,4H] holds a minus the recurrent part on entry (in place: out
 * comes i f g o activated); ah [B,4H] the recurrent part, c_prev [B,H];
 * writes c and tc = tanh(c) and h [B,H]. */
void vae_lstm_cell_forward_scalar(float *gates, float *c, float *tc, float *h, const float *ah, const float *c_prev,
                                  int B, int H);
void vae_lstm_cell_forward_wasmsimd(float *gates, float *c, float *tc, float *h, const float *ah, const float *c_prev,
                                    int B, int H);

/* ---------------------------------------------------------------- pen strokes
 * SketchRNN's mixture density head (Ha & Eck 2017). A row of y [N, 6M + 3]
 * holds the raw outputs [pi logits M | mu_x M | mu_y M | sigma_x M |
 * sigma_y M | rho M | pen logits 3] with
 *   log sigma = LOGSIGMA_MAX tanh(raw / LOGSIGMA_MAX),  rho = RHO_MAX tanh(raw)
 * (bounded: no density collapses to a spike or a line). A target row of x
 * [N, 5] is stroke-5 (dx, dy, p1, p2, p3), the pen state one-hot. active[n]
 * says which terms row n has: OFF none (padding), PEN the pen term only (the
 * end of the drawing, which has no offset), POINT both. */
#define VAE_MDN_MAX_M 64
#define VAE_MDN_LOGSIGMA_MAX 4.0f
#define VAE_MDN_RHO_MAX 0.95f
#define VAE_MDN_LOG_2PI 1.8378770664093453
enum { VAE_MDN_OFF = 0, VAE_MDN_PEN, VAE_MDN_POINT };

/* nll_xy[n] = -log sum_j pi_j N(dx, dy | mu_j, sigma_j, rho_j) (0 unless
 * POINT), nll_pen[n] = -log softmax(pen logits)[pen] (0 if OFF); 1 <= M <= MAX_M. */
void vae_mdn_forward(float *nll_xy, float *nll_pen, const float *y, const float *x, const unsigned char *active, int N,
                     int M);
/* dy[N, 6M+3] += scale * d(nll_xy[n] + nll_pen[n])/dy. */
void vae_mdn_backward(float *dy, const float *y, const float *x, const unsigned char *active, int N, int M,
                      float scale);
/* One stroke-5 point out[5] drawn from row y as the paper samples: pi and
 * pen logits divided by the temperature, sigma^2 multiplied by it; r holds
 * the randomness, two uniforms in [0, 1) (the component, the pen) and two
 * standard normals. Temperature 0: the likeliest component's mean and the
 * likeliest pen state (r unused). */
void vae_mdn_sample(float *out, const float *y, int M, float temperature, const float *r);

/* The element-wise SIMD kernels behind the dispatchers above (simd_math.h;
 * defined unless VAE_NO_SIMD) and their scalar libm twins, which the tests
 * compare them against. */
void vae_sigmoid_forward_scalar(float *out, const float *in, size_t n);
void vae_sigmoid_forward_wasmsimd(float *out, const float *in, size_t n);
void vae_bce_logits_forward_scalar(float *loss, const float *logits, const float *x, int B, int D, int x_stride);
void vae_bce_logits_forward_wasmsimd(float *loss, const float *logits, const float *x, int B, int D, int x_stride);
void vae_bce_logits_backward_scalar(float *dlogits, const float *logits, const float *x, int B, int D, float scale);
void vae_bce_logits_backward_wasmsimd(float *dlogits, const float *logits, const float *x, int B, int D, float scale);

#endif
