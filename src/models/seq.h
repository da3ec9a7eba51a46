/* What the sequence models (words.c, sketch.c) share: each tensor's PyTorch
 * name, shape and place in the model's parameter block; the blocks of the
 * encoder, its mu and logvar head, the decoder's initial state, the decoder
 * and its output layer, in this order after any of a model's own; the block
 * of weights, gradients and Adam's moments; decoding streams. */
#ifndef VAE_MODELS_SEQ_H
#define VAE_MODELS_SEQ_H

#include "layers/layers.h"

#define VAE_SEQ_MAX_TENSORS 24

typedef struct {
    int n;
    struct {
        char name[48];
        int ndim, shape[2];
        size_t offset, numel;
    } t[VAE_SEQ_MAX_TENSORS];
} vae_seq_table;

/* A tensor [rows, cols] (cols 0: a vector) at offset floats into the block. */
void vae_seq_table_add(vae_seq_table *tt, const char *name, int rows, int cols, size_t offset);
/* The four tensors per direction of a one-layer nn.LSTM named prefix, its block at base. */
void vae_seq_table_add_lstm(vae_seq_table *tt, const char *prefix, const vae_lstm_shape *s, size_t base);
/* Tensor i with its data in params. */
vae_status vae_seq_table_get(const vae_seq_table *tt, float *params, int i, vae_tensor *out, vae_error *err);
/* p[n] uniform in [-r, r): PyTorch's default for LSTM and linear layers (r = 1/sqrt(fan)). */
void vae_seq_init_uniform(float *p, size_t n, float r, vae_rng *rng);

/* The shared blocks, in block order. */
enum {
    VAE_SEQ_ENC,
    VAE_SEQ_MU_W,
    VAE_SEQ_MU_B,
    VAE_SEQ_LV_W,
    VAE_SEQ_LV_B,
    VAE_SEQ_INIT_W,
    VAE_SEQ_INIT_B,
    VAE_SEQ_DEC,
    VAE_SEQ_OUT_W,
    VAE_SEQ_OUT_B,
    VAE_SEQ_BLOCKS
};

/* What their sizes follow from: the encoder's (bidirectional) and the
 * decoder's LSTM, the latent (0: a language model, no encoder, head or
 * initial state), the initial state's and the output layer's widths. */
typedef struct {
    vae_lstm_shape enc, dec;
    int latent, init_rows, out_rows;
} vae_seq_dims;

/* sizes[VAE_SEQ_BLOCKS] of the shared blocks. */
void vae_seq_block_sizes(const vae_seq_dims *d, size_t *sizes);
/* The shared blocks' tensors (off: theirs, from VAE_SEQ_ENC on): encoder.rnn,
 * encoder.mu, encoder.logvar and decoder.init with a latent, then
 * decoder.rnn and decoder.out. */
void vae_seq_table_add_blocks(vae_seq_table *tt, const vae_seq_dims *d, const size_t *off);
/* PyTorch's U(+-1/sqrt(fan)) for the shared blocks (off and sizes from
 * VAE_SEQ_ENC on), drawn from rng in block order. */
void vae_seq_init_blocks(float *p, const vae_seq_dims *d, const size_t *off, const size_t *sizes, vae_rng *rng);

/* Each *buf[i] zeroed for count[i] floats (at least one): a loop over a
 * table is smaller wasm than a call each. 0 when one failed (the caller
 * frees them all). */
int vae_seq_alloc_floats(float **const *buf, const size_t *count, size_t n);
/* One Adam step on block: weights, their gradients and Adam's two moments,
 * n floats each; the step scaled so that the gradients' norm grad_norm
 * counts as at most c->clip_norm (0: no clipping). */
void vae_seq_adam_step(float *block, size_t n, const vae_train_config *c, double grad_norm, double *beta1_t,
                       double *beta2_t);

/* The encoder's head for n sequences: hcat [n, 2H] = [h_fwd | h_rev] from
 * the BiLSTM's final states hn [2, n, H], then mu and logvar [n, L] (the
 * weight and bias blocks at p + off[VAE_SEQ_MU_W..VAE_SEQ_LV_B]). */
void vae_seq_head_forward(float *hcat, float *mu, float *logvar, const float *hn, const float *p, const size_t *off,
                          int n, int H, int L);
/* Its backward from dmu and dlogvar: the weights' gradients added into g,
 * dhcat [n, 2H] (zeroed here) and dhn [2, n, H]. */
void vae_seq_head_backward(float *dhn, float *dhcat, float *g, const float *dmu, const float *dlogvar,
                           const float *hcat, const float *p, const size_t *off, int n, int H, int L);
/* dz [n, L] (zeroed here) gets the gradients of z in the last L of the I
 * columns of every row of dxd [rows, I] (row r reads sequence r % n's z). */
void vae_seq_z_grad(float *dz, const float *dxd, size_t rows, int n, int I, int L);

/* A decoding's own generator for each of n sequences: sequence b's seeded
 * by the b-th 64-bit draw of rng, so it does not depend on n. */
void vae_seq_streams(vae_rng *streams, int n, vae_rng *rng);
/* n >= 1 codes z [n, L], all finite, and a temperature in [0, 1000]. */
vae_status vae_seq_check_codes(const float *z, int n, int L, float temperature, vae_error *err);

#endif
