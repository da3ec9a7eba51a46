/* The sequence models' tensor tables (words.c, sketch.c): each tensor's
 * PyTorch name, shape and place in the model's parameter block. */
#ifndef VAE_MODELS_SEQ_TABLE_H
#define VAE_MODELS_SEQ_TABLE_H

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

#endif
