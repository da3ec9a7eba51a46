/* The character-level word VAE (Bowman et al. 2016, "Generating Sentences
 * from a Continuous Space", on characters), internal to the library until
 * its public API and file format exist:
 *   encoder: embedding -> bidirectional LSTM -> [h_fwd | h_rev] -> mu, logvar
 *   decoder: h0 = linear(z); step t reads [embedding(c_{t-1}), z] (c_0 the
 *            start token, characters replaced by UNK with the dropout
 *            probability when training) -> LSTM -> linear -> softmax over
 *            the vocabulary, ending with EOS.
 * latent 0 makes the same code a character language model (no encoder, no
 * z, h0 = 0): the baseline the VAE's bound is measured against.
 * Words are lowercase a-z. */
#ifndef VAE_MODELS_WORDS_H
#define VAE_MODELS_WORDS_H

#include "vae.h"

enum { VAE_WORD_EOS = 0, VAE_WORD_BOS, VAE_WORD_UNK, VAE_WORD_A, VAE_WORDS_VOCAB = VAE_WORD_A + 26 };

typedef struct {
    int embed, hidden, latent; /* latent 0: a language model */
    int max_len;               /* longest word in characters */
} vae_words_arch;

typedef struct vae_words vae_words;

/* Means over a batch: reconstruction (cross-entropy summed over the word's
 * characters and its end, nats), KL, loss rec + beta KL; the gradient norm
 * before clipping. */
typedef struct {
    double rec, kl, loss, grad_norm;
} vae_words_stats;

/* A model with PyTorch-style random weights from seed, and buffers for
 * batches of up to cap words. */
vae_status vae_words_create(vae_words **out, const vae_words_arch *a, int cap, uint64_t seed, vae_error *err);
void vae_words_free(vae_words *m);
size_t vae_words_param_count(const vae_words *m);
/* Whether word (len bytes) is one the model can read: 1..max_len of a-z. */
vae_status vae_words_check(const vae_words *m, const char *word, size_t len, vae_error *err);

/* The parameter block and the gradients of the last step or compute_grads. */
float *vae_words_params(vae_words *m);
const float *vae_words_grads(const vae_words *m);
/* Gradients of the mean over n words of rec + beta KL without a step
 * (st: the batch means and the gradient norm). */
vae_status vae_words_compute_grads(vae_words *m, const char *const *words, int n, float beta, float dropout,
                                   vae_rng *rng, vae_words_stats *st, vae_error *err);
/* One optimiser step (c: Adam settings and clip_norm) on the mean over n
 * words of rec + beta KL, characters dropped with probability dropout, eps
 * and dropout from rng. */
vae_status vae_words_train_step(vae_words *m, const char *const *words, int n, float beta, float dropout,
                                const vae_train_config *c, vae_rng *rng, vae_words_stats *st, vae_error *err);
/* Per word: rec[n] and kl[n] with one z drawn from rng (their sum bounds
 * -log p(word)), and (if correct is not NULL) whether the greedy decoding
 * of z = mu gives the word back. */
vae_status vae_words_eval(vae_words *m, const char *const *words, int n, vae_rng *rng, float *rec, float *kl,
                          int *correct, vae_error *err);
/* Greedy decoding of z [n, latent] into out [n, max_len + 1] (NUL-terminated words). */
vae_status vae_words_decode(vae_words *m, const float *z, int n, char *out, vae_error *err);
/* mu [n, latent] of n words. */
vae_status vae_words_encode(vae_words *m, const char *const *words, int n, float *mu, vae_error *err);

#endif
