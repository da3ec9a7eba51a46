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
/* Words per batch the model's buffers hold. */
int vae_words_capacity(const vae_words *m);
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

/* ---------------------------------------------------------------- training runs (models/words_train.c)
 * `vae train --words` as an object, so the CLI and vae-seq.js run one loop:
 * the words (copied) split, 5% (at least one) held out, by a shuffle seeded
 * with seed + 1; the rest shuffled every epoch by a generator seeded with
 * seed + 2, which also draws each step's eps and dropout; the KL weight
 * ramps from 0 to 1 over warmup_epochs epochs of (finite) steps. */
typedef struct {
    int batch, warmup_epochs;
    float lr, clip, dropout; /* Adam's learning rate, the global gradient norm clip (0: off) */
} vae_words_train_opts;

/* batch 64, warm-up 2 epochs, lr 2e-3, clip 5, dropout 0.3 (`vae train --words`). */
void vae_words_train_opts_default(vae_words_train_opts *o);
/* Options as JSON over the defaults: {"batchSize", "lr", "clip", "dropout",
 * "warmupEpochs"} (vae-seq.js's names), any subset. */
vae_status vae_words_train_opts_from_json(const char *json, size_t len, vae_words_train_opts *o, vae_error *err);

typedef struct vae_words_run vae_words_run;
typedef struct {
    int epoch, step, n; /* the step's epoch and its step in it (1-based), its words */
    int epoch_done;     /* 1 when it was the epoch's last */
    float beta;         /* the KL weight used */
    vae_words_stats stats;
} vae_words_step_info;
/* Sums over (held-out) words: reconstruction and KL (one z per word),
 * and how many the greedy decoding of their mean code spells back. */
typedef struct {
    double rec, kl;
    int correct, n;
} vae_words_heldout;

/* A run training m (borrowed: it must outlive the run) on n words, each
 * checked (the error names the word's 1-based index). */
vae_status vae_words_run_create(vae_words_run **out, vae_words *m, const char *const *words, int n,
                                const vae_words_train_opts *o, uint64_t seed, vae_error *err);
void vae_words_run_free(vae_words_run *r);
void vae_words_run_sizes(const vae_words_run *r, int *n_train, int *n_test, int *steps_per_epoch);
/* The held-out words, in their order. */
const char *const *vae_words_run_heldout(const vae_words_run *r);
/* The next step. VAE_ERR_NONFINITE: the batch gave no finite gradient, the
 * weights are unchanged and the run has moved on (the caller counts such
 * steps in a row); any other error leaves the run where it was. */
vae_status vae_words_run_step(vae_words_run *r, vae_words_step_info *info, vae_error *err);
/* The figures of n words (z drawn from a generator seeded with VAE_EVAL_SEED). */
vae_status vae_words_evaluate(vae_words *m, const char *const *words, int n, vae_words_heldout *out, vae_error *err);
/* Those of the run's held-out words, with the weights now. */
vae_status vae_words_run_evaluate(vae_words_run *r, vae_words_heldout *out, vae_error *err);

/* ---------------------------------------------------------------- files (formats/words_io.c)
 * safetensors like the image models; VAE_METADATA_KEY holds
 * {"format":2,"model":"words","vocab":"ab..","max_len":N,"embed":E,
 *  "hidden":H,"latent":L}, every key required; from_json checks the keys and
 * their types, vae_words_arch_validate the values. */
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
