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
 * Token ids: end, start, unknown (the dropped character), then the
 * vocabulary's characters in order (a-z by default). */
#ifndef VAE_MODELS_WORDS_H
#define VAE_MODELS_WORDS_H

#include "vae.h"

enum { VAE_WORD_EOS = 0, VAE_WORD_BOS, VAE_WORD_UNK, VAE_WORD_FIRST };
#define VAE_WORDS_MAX_VOCAB 95 /* characters: printable ASCII, space included */

typedef struct {
    int embed, hidden, latent;           /* latent 0: a language model */
    int max_len;                         /* longest word in characters */
    char vocab[VAE_WORDS_MAX_VOCAB + 1]; /* distinct characters in token order; "" means a-z */
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
/* Whether word (len bytes) is one the model can read: 1..max_len
 * characters of the vocabulary. */
vae_status vae_words_check(const vae_words *m, const char *word, size_t len, vae_error *err);
/* The architecture, vocabulary filled in. */
const vae_words_arch *vae_words_get_arch(const vae_words *m);
/* Checks sizes and vocabulary ("" is a-z). */
vae_status vae_words_arch_validate(const vae_words_arch *a, vae_error *err);
/* The vocabulary for messages, runs of 3 or more as ranges: "a-z". */
const char *vae_words_vocab_text(const char *vocab, char *buf, size_t cap);
/* Parameters of an architecture, without building it. */
uint64_t vae_words_arch_param_count(const vae_words_arch *a);
/* The tensors as a PyTorch module names them (tools/word_vae.py): embedding,
 * encoder.rnn (nn.LSTM, bidirectional), encoder.mu, encoder.logvar,
 * decoder.init (z -> h0), decoder.rnn, decoder.out; a language model has
 * only embedding and decoder.rnn, decoder.out. data points into the block. */
int vae_words_tensor_count(const vae_words *m);
vae_status vae_words_tensor(const vae_words *m, int i, vae_tensor *out, vae_error *err);

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
/* Decoding of z [n, latent] (NULL for a language model) into out
 * [n, max_len + 1] (NUL-terminated words), any n: greedy at temperature 0,
 * else each character drawn from softmax(logits / temperature), word b from
 * a stream seeded by the b-th draw of rng (so its characters do not depend
 * on n). A word ends at the first special token or at max_len characters. */
vae_status vae_words_decode(vae_words *m, const float *z, int n, float temperature, vae_rng *rng, char *out,
                            vae_error *err);
/* n words as `vae sample` draws them: z ~ N(0, I) from seed (n * latent
 * normals), decoded at temperature with rng seeded by seed + 1. */
vae_status vae_words_sample(vae_words *m, int n, uint64_t seed, float temperature, char *out, vae_error *err);
/* Per word rec[n] and kl[n] at z = mu + exp(logvar / 2) eps (eps [n, latent],
 * NULL for a language model), no dropout: the forward pass the PyTorch
 * golden test checks. */
vae_status vae_words_loss(vae_words *m, const char *const *words, int n, const float *eps, float *rec, float *kl,
                          vae_error *err);
/* mu and (if not NULL) logvar [n, latent] of n words. */
vae_status vae_words_encode(vae_words *m, const char *const *words, int n, float *mu, float *logvar, vae_error *err);

/* ---------------------------------------------------------------- files (formats/words_io.c)
 * safetensors like the image models; VAE_METADATA_KEY holds
 * {"format":2,"model":"words","vocab":"ab..","max_len":N,"embed":E,
 *  "hidden":H,"latent":L}, every key required. */
vae_status vae_words_arch_from_json(const char *json, size_t len, vae_words_arch *a, vae_error *err);
vae_status vae_words_arch_to_json(const vae_words_arch *a, char *buf, size_t cap, vae_error *err);
/* 1 if buf is a safetensors file whose architecture says "model":"words". */
int vae_words_file(const uint8_t *buf, size_t len);
/* A word model from a file, with buffers for batches of up to cap words. */
vae_status vae_words_load(vae_words **out, const uint8_t *buf, size_t len, int cap, vae_error *err);
/* The file (F32 or F16) with extra metadata pairs; *out is malloc'd. */
vae_status vae_words_save(const vae_words *m, vae_dtype dtype, const char *const *meta_kv, int n_meta, uint8_t **out,
                          size_t *out_len, vae_error *err);

#endif
