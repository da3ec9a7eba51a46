/* SketchRNN (Ha & Eck 2017, "A Neural Representation of Sketch Drawings"),
 * internal to the library until its public API exists:
 *   encoder: stroke-5 points S_1..S_n -> bidirectional LSTM ->
 *            [h_fwd | h_rev] -> mu, logvar
 *   decoder: [h0 | c0] = tanh(linear(z)); step t reads [S_t, z] (S_0 =
 *            (0, 0, 1, 0, 0)) -> LSTM -> linear -> the mixture density head
 *            (layers.h) predicting S_{t+1}; after S_n it predicts the end
 *            (0, 0, 0, 0, 1).
 * Drawings cross the API as stroke-3 rows (dx, dy, lift) in the data's own
 * units (lift 1 where the pen leaves the paper after the point); the model
 * divides offsets by arch.scale (the training data's offset deviation) and
 * multiplies its samples back. Loss per drawing: rec = the mixture NLL of
 * the n offsets + the pen NLL of the n points and the end (nats); the batch
 * loss mean(rec) + w_kl max(mean(KL), kl_min). */
#ifndef VAE_MODELS_SKETCH_H
#define VAE_MODELS_SKETCH_H

#include "vae.h"

typedef struct {
    int enc_hidden, dec_hidden, latent, mixtures;
    int max_len; /* longest drawing in points */
    float scale; /* offsets are divided by it */
} vae_sketch_arch;

typedef struct {
    const float *pts; /* [n, 3]: dx, dy, lift (0 or 1) */
    int n;
} vae_sketch_drawing;

typedef struct vae_sketch vae_sketch;

/* Batch means: rec_xy (mixture NLL), rec_pen, KL, the loss (with the KL
 * weight and floor of the call), the gradient norm before clipping. */
typedef struct {
    double rec_xy, rec_pen, kl, loss, grad_norm;
} vae_sketch_stats;

vae_status vae_sketch_arch_validate(const vae_sketch_arch *a, vae_error *err);
uint64_t vae_sketch_arch_param_count(const vae_sketch_arch *a);
/* A model with zero weights (the file loader fills them) and buffers for batches of up to cap drawings. */
vae_status vae_sketch_alloc(vae_sketch **out, const vae_sketch_arch *a, int cap, vae_error *err);
/* A model with PyTorch-style random weights from seed and buffers for batches of up to cap drawings. */
vae_status vae_sketch_create(vae_sketch **out, const vae_sketch_arch *a, int cap, uint64_t seed, vae_error *err);
void vae_sketch_free(vae_sketch *m);
const vae_sketch_arch *vae_sketch_get_arch(const vae_sketch *m);
size_t vae_sketch_param_count(const vae_sketch *m);
float *vae_sketch_params(vae_sketch *m);
const float *vae_sketch_grads(const vae_sketch *m);
/* The tensors as the PyTorch module of tools/make_golden_sketch.py names
 * them: encoder.rnn (nn.LSTM, bidirectional), encoder.mu, encoder.logvar,
 * decoder.init, decoder.rnn, decoder.out. */
int vae_sketch_tensor_count(const vae_sketch *m);
vae_status vae_sketch_tensor(const vae_sketch *m, int i, vae_tensor *out, vae_error *err);

/* Whether a drawing is one the model reads: 1..max_len points, finite
 * offsets, lifts 0 or 1. */
vae_status vae_sketch_check(const vae_sketch *m, const vae_sketch_drawing *d, vae_error *err);

/* Gradients of the batch loss at z = mu + exp(logvar / 2) eps (eps [n,
 * latent]; NULL: drawn from rng) without a step; st gets the means. */
vae_status vae_sketch_compute_grads(vae_sketch *m, const vae_sketch_drawing *d, int n, const float *eps, float w_kl,
                                    float kl_min, vae_rng *rng, vae_sketch_stats *st, vae_error *err);
/* One Adam step (c: its settings and clip_norm) on the batch loss. */
vae_status vae_sketch_train_step(vae_sketch *m, const vae_sketch_drawing *d, int n, float w_kl, float kl_min,
                                 const vae_train_config *c, vae_rng *rng, vae_sketch_stats *st, vae_error *err);
/* Per drawing rec_xy, rec_pen and kl [n] at z = mu + exp(logvar / 2) eps
 * (eps [n, latent]; NULL: drawn from rng). rec_xy + rec_pen + kl bounds
 * -log p(drawing) (offsets as densities in scaled units). */
vae_status vae_sketch_loss(vae_sketch *m, const vae_sketch_drawing *d, int n, const float *eps, vae_rng *rng,
                           float *rec_xy, float *rec_pen, float *kl, vae_error *err);
/* mu and (if not NULL) logvar [n, latent]. */
vae_status vae_sketch_encode(vae_sketch *m, const vae_sketch_drawing *d, int n, float *mu, float *logvar,
                             vae_error *err);
/* Drawings from codes z [n, latent], any n: out [n, max_len, 3] stroke-3 in
 * the data's units, len [n] points each. Each step draws from the head at
 * temperature (0: the likeliest, deterministic); drawing b from its own
 * stream seeded by the b-th draw of rng, so it does not depend on n. A
 * drawing ends at the end state or at max_len points (its last point then
 * lifts the pen). */
vae_status vae_sketch_decode(vae_sketch *m, const float *z, int n, float temperature, vae_rng *rng, float *out,
                             int *len, vae_error *err);

/* n drawings as `vae sample` draws them: z ~ N(0, I) from seed (n latent
 * normals each), decoded at temperature with the draws seeded by seed + 1. */
vae_status vae_sketch_sample(vae_sketch *m, int n, uint64_t seed, float temperature, float *out, int *len,
                             vae_error *err);
/* The model finishes a drawing: out [max_len, 3] gets prefix's points, then
 * the decoder's from the state they leave it in, *len points in all (up to
 * max_len), with code z [latent] (NULL: the prefix's own mean code). */
vae_status vae_sketch_complete(vae_sketch *m, const vae_sketch_drawing *prefix, const float *z, float temperature,
                               vae_rng *rng, float *out, int *len, vae_error *err);

/* ---------------------------------------------------------------- files (formats/sketch_io.c)
 * safetensors; VAE_METADATA_KEY holds {"format":2,"model":"sketch",
 * "enc_hidden":E,"dec_hidden":D,"latent":L,"mixtures":M,"max_len":N,
 * "scale":S}, every key required. */
vae_status vae_sketch_arch_from_json(const char *json, size_t len, vae_sketch_arch *a, vae_error *err);
vae_status vae_sketch_arch_to_json(const vae_sketch_arch *a, char *buf, size_t cap, vae_error *err);
/* 1 if buf is a safetensors file whose architecture says "model":"sketch". */
int vae_sketch_file(const uint8_t *buf, size_t len);
vae_status vae_sketch_load(vae_sketch **out, const uint8_t *buf, size_t len, int cap, vae_error *err);
/* The file (F32 or F16) with extra metadata pairs; *out is malloc'd (vae_buffer_free). */
vae_status vae_sketch_save(const vae_sketch *m, vae_dtype dtype, const char *const *meta_kv, int n_meta, uint8_t **out,
                           size_t *out_len, vae_error *err);

#endif
