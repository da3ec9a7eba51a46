/* vae-wasm: variational autoencoders in C, for WebAssembly and native.
 *
 * Conventions
 * - Every function that can fail returns a vae_status and fills an optional
 *   vae_error (pass NULL if you only want the code). Nothing here calls exit()
 *   or abort(), and nothing reads outside the buffers it is given.
 * - Objects are opaque handles made by vae_<object>_init/_create/_load and
 *   released by vae_<object>_free (which accepts NULL). The caller owns every
 *   handle and every buffer it passes in; buffers the library returns
 *   (vae_model_save) are owned by the caller and released with vae_buffer_free.
 * - Batches are row-major float arrays: images [n, D] with D = c*h*w pixels in
 *   [0,1], latents [n, latent]. Labels are int[n] in [0, n_classes) for a
 *   conditional model and NULL otherwise.
 * - Weights use PyTorch nn.Linear layout: weight [out, in], bias [out].
 * - The library does no file I/O: weights and data are parsed from memory
 *   (the browser has no files). The CLI does the reading and writing.
 */
#ifndef VAE_H
#define VAE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

/* The values are part of the ABI (the wasm module returns them to JS, which
 * reads their names through vae_status_name): append new codes at the end,
 * never renumber or reuse one. */
typedef enum {
    VAE_OK = 0,
    VAE_ERR_ARG = 1,         /* a bad argument (NULL, size, range, label) */
    VAE_ERR_NOMEM = 2,       /* allocation failed */
    VAE_ERR_IO = 3,          /* file system (CLI only) */
    VAE_ERR_TRUNCATED = 4,   /* buffer shorter than its own header says */
    VAE_ERR_HEADER_SIZE = 5, /* safetensors header length past the end or over 100 MB */
    VAE_ERR_JSON = 6,        /* malformed JSON header */
    VAE_ERR_DTYPE = 7,       /* unknown or unsupported tensor dtype */
    VAE_ERR_OFFSETS = 8,     /* tensor data offsets outside the data section */
    VAE_ERR_LAYOUT = 9,      /* tensors overlap, or leave bytes of the data section uncovered */
    VAE_ERR_SHAPE = 10,      /* tensor shape does not match the architecture */
    VAE_ERR_MISSING = 11,    /* a tensor the architecture needs is absent */
    VAE_ERR_UNKNOWN = 12,    /* a tensor the architecture does not have */
    VAE_ERR_NONFINITE = 13,  /* NaN or infinity in weights, inputs, loss or gradients */
    VAE_ERR_METADATA = 14,   /* architecture metadata missing or invalid */
    VAE_ERR_IDX = 15,        /* malformed IDX data (magic, dimensions, size) */
    VAE_ERR_STATE = 16,      /* call not valid in the object's current state */
} vae_status;

typedef struct {
    vae_status code;
    char msg[256]; /* one readable line, no trailing newline */
} vae_error;

/* Short constant name of a status ("VAE_ERR_JSON"); "VAE_ERR_?" for a value
 * that is not a code. */
const char *vae_status_name(vae_status s);

/* ---------------------------------------------------------------- random */

/* Explicit generator state: xoshiro128** seeded by splitmix64. The same seed
 * gives the same uniforms and normals on every platform (normals use only
 * IEEE-exact operations, not the C library's log/cos). */
typedef struct {
    uint32_t s[4];
    float spare; /* second normal of the last polar pair */
    int has_spare;
} vae_rng;

void vae_rng_seed(vae_rng *r, uint64_t seed);
float vae_rng_uniform(vae_rng *r);              /* [0, 1) with 24 random bits */
uint32_t vae_rng_below(vae_rng *r, uint32_t n); /* uniform in [0, n), unbiased; n > 0 */
float vae_rng_normal(vae_rng *r);               /* standard normal */
void vae_rng_normals(vae_rng *r, float *out, size_t n);
/* perm = a uniformly shuffled 0..n-1 (Fisher-Yates with vae_rng_below). */
void vae_rng_permutation(vae_rng *r, int *perm, int n);

/* ---------------------------------------------------------------- architecture */

#define VAE_MAX_LAYERS 8          /* hidden layers per side */
#define VAE_MAX_DIM 65536         /* largest layer width / image size */
#define VAE_MAX_PARAMS (1u << 28) /* parameters per model (1 GiB of f32) */

typedef enum { VAE_ACT_RELU = 0, VAE_ACT_LEAKY_RELU, VAE_ACT_TANH, VAE_ACT_SIGMOID, VAE_ACT_IDENTITY } vae_activation;

typedef enum {
    VAE_LIK_BERNOULLI = 0,    /* summed BCE-with-logits, pixels in [0,1] */
    VAE_LIK_GAUSSIAN,         /* mean = sigmoid(logits), fixed sigma */
    VAE_LIK_GAUSSIAN_LEARNED, /* mean = sigmoid(logits), learned per-pixel log sigma */
    VAE_LIK_STUDENT_T         /* location sigmoid(logits), learned per-value log scale and log degrees of freedom
                                 (tables); not in the page's inference module, vae-simd.wasm */
} vae_likelihood;

typedef enum {
    VAE_KIND_VAE = 0, /* encoder -> mu, logvar -> z = mu + exp(logvar/2) eps -> decoder; loss rec + beta KL */
    VAE_KIND_AE,      /* plain autoencoder: encoder -> code = code_act(head) -> decoder; loss rec (+ penalties) */
    VAE_KIND_M2       /* semi-supervised M2 (Kingma et al. 2014): a classifier q(y|x) beside the CVAE's
                         encoder q(z|x,y) and decoder p(x|y,z), uniform prior p(y); see vae_trainer_step */
} vae_model_kind;

/* How one layer maps the previous layer's output (an image [c, h, w]; a flat
 * vector of width n is [n, 1, 1]) to its own. The zeroed struct is a linear
 * layer, so an architecture that only sets widths is an MLP. */
typedef enum { VAE_LAYER_LINEAR = 0, VAE_LAYER_CONV, VAE_LAYER_CONV_TRANSPOSE } vae_layer_kind;

typedef struct {
    vae_layer_kind kind;
    int kernel, stride, pad, out_pad; /* conv and transposed conv (square kernel); out_pad: transposed only */
    int shape[3];                     /* linear: view the output as [c, h, w] (c*h*w = width) for conv
                                         layers that follow; all 0 = flat */
} vae_layer;

typedef struct {
    int image_c, image_h, image_w; /* D = c*h*w */
    /* Hidden layers. enc_hidden/dec_hidden hold each layer's width (linear)
     * or output channels (conv); enc_layer/dec_layer say which. */
    int n_enc, enc_hidden[VAE_MAX_LAYERS]; /* input side first */
    int n_dec, dec_hidden[VAE_MAX_LAYERS]; /* latent side first */
    vae_layer enc_layer[VAE_MAX_LAYERS], dec_layer[VAE_MAX_LAYERS];
    vae_layer out_layer; /* decoder output: linear to D, or transposed conv to [c, h, w] */
    int latent;
    int n_classes;                         /* > 0: conditional (one-hot label appended to the
                                          encoder input and to z); needs linear layers only */
    int n_cls, cls_hidden[VAE_MAX_LAYERS]; /* M2's classifier: linear hidden widths (activation act),
                                          then a linear layer to n_classes logits; 0 for other kinds */
    vae_model_kind kind;
    vae_activation act;      /* hidden layers */
    vae_activation code_act; /* AE code (VAE_KIND_AE only); identity by default */
    float leaky_slope;       /* for VAE_ACT_LEAKY_RELU */
    vae_likelihood lik;
    float sigma;      /* for VAE_LIK_GAUSSIAN */
    int decoder_only; /* file/model holds only the decoder */
} vae_arch;

/* Fills the PyTorch examples/vae shape: 1x28x28, hidden 400, latent 20, ReLU,
 * Bernoulli. Start from this and change fields. */
void vae_arch_default(vae_arch *a);
vae_status vae_arch_validate(const vae_arch *a, vae_error *err);
int vae_arch_input_dim(const vae_arch *a);

const char *vae_activation_name(vae_activation a); /* "relu", "leaky_relu", "tanh", "sigmoid", "identity" */
const char *vae_model_kind_name(vae_model_kind k); /* "vae", "ae", "m2" */
const char *vae_layer_kind_name(vae_layer_kind k); /* "linear", "conv", "conv_transpose" */
const char *vae_likelihood_name(vae_likelihood l); /* "bernoulli", "gaussian", "gaussian_learned", "student_t" */

/* ---------------------------------------------------------------- model */

typedef struct vae_model vae_model;

/* A model with PyTorch nn.Linear default initialisation
 * (weights and biases uniform in +-1/sqrt(fan_in)), drawn from `seed`.
 * Learned log-sigma starts at 0, Student-t's log nu at log 4 (nu = 4). */
vae_status vae_model_init(vae_model **out, const vae_arch *arch, uint64_t seed, vae_error *err);
void vae_model_free(vae_model *m);

const vae_arch *vae_model_arch(const vae_model *m);
size_t vae_model_param_count(const vae_model *m);

/* The parameter tensors, in a fixed order, with PyTorch-style names:
 *   encoder.layers.{i}.weight/bias, encoder.mu.weight/bias and
 *   encoder.logvar.weight/bias (VAE) or encoder.code.weight/bias (AE),
 *   decoder.layers.{i}.weight/bias, decoder.out.weight/bias,
 *   decoder.logsigma (learned Gaussian and Student-t), decoder.lognu (Student-t),
 *   classifier.layers.{i}.weight/bias, classifier.out.weight/bias (M2 only).
 * Shapes are PyTorch's: linear [out, in], conv [c_out, c_in, k, k],
 * transposed conv [c_in, c_out, k, k], bias [out].
 * `data` points into the model's single parameter block. */
typedef struct {
    const char *name;
    int ndim;
    int shape[4];
    size_t numel;
    size_t offset; /* in floats, into the parameter block */
    float *data;
} vae_tensor;

int vae_model_tensor_count(const vae_model *m);
/* Tensor i, 0 <= i < vae_model_tensor_count(m). */
vae_status vae_model_tensor(const vae_model *m, int i, vae_tensor *out, vae_error *err);

/* x [n, D] -> mu, logvar [n, latent]. Needs an encoder. For an AE, mu is
 * the code and logvar (may be NULL) is filled with zeros. */
vae_status vae_model_encode(vae_model *m, const float *x, const int *labels, int n, float *mu, float *logvar,
                            vae_error *err);

/* z [n, latent] -> out [n, D]: Bernoulli means or Gaussian means, in [0,1]. */
vae_status vae_model_decode(vae_model *m, const float *z, const int *labels, int n, float *out, vae_error *err);

/* Per-image loss terms with the given noise eps [n, latent] (NULL: eps = 0,
 * i.e. z = mu). rec = -log p(x|z), kl = KL(q(z|x) || N(0,I)), both in nats;
 * negative ELBO = rec + kl. For an AE, rec is the reconstruction loss of the
 * code and kl is 0. Any output pointer may be NULL. As an anomaly score,
 * rec + kl with eps NULL is deterministic. */
vae_status vae_model_loss(vae_model *m, const float *x, const int *labels, int n, const float *eps, float *rec,
                          float *kl, vae_error *err);

/* Importance-weighted estimate of log p(x) with k samples per image
 * (Burda et al.), drawn from rng. ll [n]. VAEs only. */
vae_status vae_model_iwae(vae_model *m, const float *x, const int *labels, int n, int k, vae_rng *rng, float *ll,
                          vae_error *err);

/* M2's classifier: probs [n, n_classes] = q(y|x) for images x [n, D]. */
vae_status vae_model_classify(vae_model *m, const float *x, int n, float *probs, vae_error *err);

/* ---------------------------------------------------------------- weights file */

/* Tensor dtypes of files (append only). I8 tensors are the quantised weights
 * of a Q8 file: `NAME` holds int8 q [rows, ...], `NAME_scale` F32 [rows], and
 * NAME = q * scale per row (symmetric, scale = max |row| / 127). Saving with
 * VAE_DTYPE_Q8 writes every weight of 2 or more dimensions so, and the rest
 * (biases, log-sigmas) as F32. */
typedef enum { VAE_DTYPE_F32 = 0, VAE_DTYPE_F16 = 1, VAE_DTYPE_BF16 = 2, VAE_DTYPE_I8 = 3, VAE_DTYPE_Q8 = 4 } vae_dtype;

/* The safetensors __metadata__ key holding the architecture as JSON: a list
 * of layers per side, e.g. (vae_arch_default)
 * {"format":2,"model":"vae","input":[1,28,28],"encoder":[{"linear":400}],
 *  "decoder":[{"linear":400}],"out":{"linear":784},"latent":20,"classes":0,
 *  "activation":"relu","likelihood":"bernoulli","sigma":1,"leaky_slope":0.01,
 *  "decoder_only":false}
 * Conv layers: {"conv":32,"kernel":4,"stride":2,"pad":1}; transposed
 * {"conv_transpose":32,...,"out_pad":0}; a linear layer feeding conv layers
 * says how to view its output: {"linear":3136,"shape":[64,7,7]}. An AE adds
 * "model":"ae" and "code_activation"; an M2 "model":"m2" and its classifier's
 * hidden layers, "classifier":[{"linear":500}]. Format 1 files (layers as plain widths)
 * still load. */
#define VAE_METADATA_KEY "vae_wasm.arch"

/* Parses a safetensors file held in memory (F32, F16 or BF16 tensors) and
 * checks it completely before building the model. The buffer is not kept. */
vae_status vae_model_load(vae_model **out, const uint8_t *buf, size_t len, vae_error *err);

/* Serialises to safetensors (F32 or F16, round to nearest even). With
 * decoder_only, only the decoder tensors are written and the metadata says so.
 * meta_kv: optional extra metadata, n_meta key/value pairs (keys, then values
 * interleaved: k0, v0, k1, v1, ...). *out is malloc'd; free with vae_buffer_free. */
vae_status vae_model_save(const vae_model *m, vae_dtype dtype, int decoder_only, const char *const *meta_kv, int n_meta,
                          uint8_t **out, size_t *out_len, vae_error *err);
void vae_buffer_free(void *p);

/* A copy with only the decoder (for decoder-only files and demos). */
vae_status vae_model_decoder_copy(const vae_model *m, vae_model **out, vae_error *err);

/* ---------------------------------------------------------------- training */

typedef enum { VAE_OPT_ADAM = 0, VAE_OPT_SGD } vae_optimizer;

/* Sparsity penalty on the AE code c [n, latent], weighted by sparsity_weight:
 *   L1: mean over images of sum_j |c_j|;
 *   KL: sum_j KL(rho || rho_hat_j), rho_hat_j the batch mean of c_j, which
 *       must lie in (0, 1): needs the sigmoid code activation. */
typedef enum { VAE_SPARSITY_NONE = 0, VAE_SPARSITY_L1, VAE_SPARSITY_KL } vae_sparsity;

/* Input corruption for denoising training (the target stays clean):
 *   MASK: each pixel set to 0 with probability noise_level;
 *   GAUSSIAN: pixel + noise_level * N(0,1), clipped to [0, 1]. */
typedef enum { VAE_NOISE_NONE = 0, VAE_NOISE_MASK, VAE_NOISE_GAUSSIAN } vae_noise;

/* out[n] = x[n] corrupted as described, with draws from rng (out may equal x). */
vae_status vae_noise_apply(vae_rng *rng, vae_noise noise, float level, const float *x, float *out, size_t n,
                           vae_error *err);

/* Dequantisation: x[i, d] += (u - 1/2) width[d], u uniform in [0, 1) from
 * rng, for x [n, D] in place: fresh noise one step wide around each value on
 * every pass, input and target alike (vae train --csv and a table model's
 * fit() add it to each batch they gather, drawing from the shuffling
 * generator, so both train to the same bits). */
vae_status vae_dequant_apply(vae_rng *rng, const float *width, float *x, int n, int D, vae_error *err);

typedef struct {
    vae_optimizer opt;
    float lr;
    float adam_beta1, adam_beta2, adam_eps;
    float weight_decay; /* decoupled (AdamW style; for SGD plain L2 decay) */
    float momentum;     /* SGD only */
    float clip_norm;    /* global gradient-norm clip; <= 0 disables */
    float beta;         /* KL weight */
    int warmup_steps;   /* beta ramps linearly from 0 over this many steps; 0 = off */
    uint64_t seed;      /* for the eps and the noise the trainer draws itself */
    vae_noise noise;    /* denoising: corrupt the encoder's input */
    float noise_level;
    vae_sparsity sparsity; /* AE only */
    float sparsity_weight, sparsity_rho;
    /* AE only: weight of the contractive penalty, the mean over images of
     * ||d h1 / d x||_F^2 for the encoder's first layer h1 = act(W1 x + b1)
     * (which must be linear); exact gradient, no sampling. */
    float contractive;
    float alpha; /* M2 only: weight of -log q(y|x) in a labelled image's loss */
} vae_train_config;

/* Adam, lr 1e-3, betas 0.9/0.999, eps 1e-8, no decay, no clipping, beta 1,
 * no noise, no penalties, alpha 1. */
void vae_train_config_default(vae_train_config *c);

typedef struct vae_trainer vae_trainer;

/* The trainer keeps gradients and optimiser moments mirroring the model's
 * parameter block. It borrows the model: free the trainer first. */
vae_status vae_trainer_init(vae_trainer **out, vae_model *m, const vae_train_config *c, vae_error *err);
void vae_trainer_free(vae_trainer *t);

typedef struct {
    double loss;      /* mean per image: rec + beta_used * kl + penalty */
    double rec, kl;   /* means per image */
    double penalty;   /* sparsity + contractive, per image */
    double xent;      /* M2: mean -log q(y|x) over the labelled images (0 if none) */
    double entropy;   /* M2: mean H(q(y|x)) over the unlabelled images (0 if none) */
    double grad_norm; /* global L2 norm before clipping */
    float beta_used;
    int64_t step; /* optimiser steps taken so far */
} vae_step_stats;

/* Loss and gradients of the mean per-image loss on a batch, then one
 * optimiser step. eps [n, latent] standard normals, or NULL to draw them from
 * the trainer's generator.
 * M2: labels[b] = -1 (or labels NULL: all) marks an unlabelled image. With
 * E(x, y) = rec + beta kl of the CVAE at label y, a labelled image's loss is
 * E(x, y) - alpha log q(y|x), an unlabelled one's sum_y q(y|x) E(x, y) -
 * H(q(y|x)), every class in one batch; rec and kl in the stats are their
 * q-weighted means for unlabelled images. eps then has one row per labelled
 * image and n_classes rows (labels 0, 1, ...) per unlabelled one, in batch order. If the loss or any gradient is not
 * finite the step is rejected with VAE_ERR_NONFINITE and the weights and
 * optimiser state stay as they were. */
vae_status vae_trainer_step(vae_trainer *t, const float *x, const int *labels, int n, const float *eps,
                            vae_step_stats *st, vae_error *err);

/* Changes the learning rate from the next step on (for schedules; 0 allowed). */
vae_status vae_trainer_set_lr(vae_trainer *t, float lr, vae_error *err);

int64_t vae_trainer_steps(const vae_trainer *t);

/* Data-parallel training (the library stays thread-free: the caller runs
 * the shares where it likes, e.g. `vae train --threads N`, or
 * trainer({workers: N}) in vae.js). A step on a batch of n images with N
 * shares:
 * 1. the coordinator's trainer draws the step's randomness, exactly as
 *    vae_trainer_step would (vae_trainer_draw);
 * 2. share i of K = min(N, n) is images [floor(i n / K), floor((i+1) n / K))
 *    (vae_batch_share), with its rows of eps and of the noisy inputs; any
 *    replica (a trainer of a model with the same weights and step count,
 *    vae_trainer_sync) computes its gradient (vae_trainer_share_grads);
 * 3. the coordinator sums the K gradients and loss sums in a fixed tree: at
 *    stride s = 1, 2, 4, ... share i (i a multiple of 2s) adds share i + s,
 *    element by element in float (sums in double), so share 0 ends with
 *    the total; then clips and takes one optimiser step (vae_trainer_apply).
 *    With K > 1 the squared gradient norm (for clipping and grad_norm) is
 *    summed in double in four lanes, element k into lane k % 4, then
 *    (lane 0 + lane 1) + (lane 2 + lane 3); with K = 1 in one, in order.
 * The same N gives the same bits on every run and every machine; N = 1 is
 * vae_trainer_step exactly. N > 1 differs from it by float rounding only
 * (each share's gradient is summed over its rows, then shares are added). */

/* Sums over a share's images; for M2, loss, xent, entropy and labelled too. */
typedef struct {
    double rec, kl, pen, loss, xent, entropy;
    int n, labelled;
} vae_share_sums;

/* The images of share i of a batch of n in `shares` shares: returns the
 * count (0 when i >= min(shares, n)) and sets *first. */
int vae_batch_share(int n, int shares, int i, int *first);

/* Floats of eps a batch needs: n * latent (M2: one row per labelled image
 * and n_classes per unlabelled one), 0 for an AE. */
int vae_trainer_eps_count(const vae_trainer *t, const int *labels, int n);

/* Draws a batch's eps [vae_trainer_eps_count] and, with denoising, its
 * corrupted inputs noisy [n, D] (else noisy may be NULL) from the trainer's
 * generator, in vae_trainer_step's order. */
vae_status vae_trainer_draw(vae_trainer *t, const float *x, const int *labels, int n, float *eps, float *noisy,
                            vae_error *err);

/* The gradient of one share, images x [n, D] (xin: their noisy inputs with
 * denoising, else NULL), eps its rows, of the batch's mean loss over batch_n
 * images (the sum over the share's images divided by batch_n), into grads
 * [n_params] (overwritten); the share's loss sums into sums. Changes no
 * weights, no optimiser state and no generator. The KL sparsity penalty
 * needs the whole batch: batch_n == n. */
vae_status vae_trainer_share_grads(vae_trainer *t, const float *x, const float *xin, const int *labels, int n,
                                   int batch_n, const float *eps, float *grads, vae_share_sums *sums, vae_error *err);

/* Sums the shares' gradients grads[0..shares) and sums in the fixed tree
 * (in place: grads[0] and sums[0] end with the totals), clips, and takes one
 * optimiser step; the statistics as vae_trainer_step's. A non-finite batch is
 * rejected (VAE_ERR_NONFINITE) with the weights and optimiser unchanged. */
vae_status vae_trainer_apply(vae_trainer *t, float *const *grads, vae_share_sums *sums, int shares, vae_step_stats *st,
                             vae_error *err);

/* A replica follows its coordinator: the weights (params [n_params], or NULL
 * to keep them) and the step count (the KL warm-up depends on it). */
vae_status vae_trainer_sync(vae_trainer *t, const float *params, int64_t steps, vae_error *err);

/* ---------------------------------------------------------------- conventions
 * Shared by the CLI and web/vae.js (which repeats them; web/test/native.test.mjs
 * checks both behave the same). */

/* Test losses draw their eps from this seed: `vae train`'s per-epoch test
 * loss, `vae eval` and model.evaluate() give the same numbers. */
#define VAE_EVAL_SEED 1
/* Images per pass when evaluating. */
#define VAE_EVAL_BATCH 500
/* Training stops after this many steps in a row whose loss or gradients
 * were not finite (single ones are skipped and counted). */
#define VAE_MAX_NONFINITE_RUN 20

/* ---------------------------------------------------------------- latent space */

/* Inverse of the standard normal CDF, to double precision (-inf at 0, +inf
 * at 1, NaN outside [0, 1]): the manifold picture's grid. */
double vae_probit(double p);

/* out[dim] = point t in [0, 1] of the path from latent a to latent b:
 * straight (slerp 0), or along the great circle with the norm interpolated
 * too (slerp 1; White 2016, "Sampling Generative Networks"). */
void vae_latent_path(const float *a, const float *b, int dim, double t, int slerp, float *out);

/* ---------------------------------------------------------------- IDX data */

/* Images: IDX ubyte with 3 dimensions (magic 0x00000803), n x rows x cols;
 * pixels scaled to [0,1]. *pixels is malloc'd [n, rows*cols]; free with
 * vae_buffer_free. Raw (not gzip) bytes: the CLI and VAE.readIDX inflate gzip first. */
vae_status vae_idx_images(const uint8_t *buf, size_t len, float **pixels, int *n, int *rows, int *cols, vae_error *err);
/* Labels: IDX ubyte with 1 dimension (magic 0x00000801). *labels malloc'd [n]. */
vae_status vae_idx_labels(const uint8_t *buf, size_t len, int **labels, int *n, vae_error *err);

/* ---------------------------------------------------------------- tables (CSV, TSV) */

/* Reading a table: a header row of column names, then one record a row;
 * RFC 4180 quoting ("a, b" and "say ""hi"""), \n or \r\n line ends, a UTF-8
 * byte order mark skipped, spaces around unquoted fields trimmed. Numbers
 * are decimal (1, -2.5, .5, 3e-4); an empty field, NA, NaN, null or ? is a
 * missing value, which is an error like any other: every failure is one line
 * naming the line and column (counted from 1). */
typedef struct {
    char delimiter;             /* ',' or '\t'; 0: tab if the header line has more tabs than commas */
    const char *const *columns; /* n_columns names or 1-based numbers of the columns to read, in
                                   this order; NULL: every named column whose first value is a number,
                                   but the label column */
    int n_columns;
    const char *label;  /* label column (name or number): 0 normal, 1 anomaly; NULL: none */
    int label_optional; /* a label column the header lacks is no error (then no labels) */
} vae_csv_options;

typedef struct {
    int rows, cols;
    float *x;     /* [rows, cols] as read */
    int *labels;  /* [rows], or NULL without a label column */
    char **names; /* [cols] the header's names of the columns read */
} vae_table;

/* Parses text[0..len) (need not be NUL-terminated) into t; nothing is
 * allocated on failure. Release with vae_table_free. */
vae_status vae_csv_parse(const char *text, size_t len, const vae_csv_options *o, vae_table *t, vae_error *err);
void vae_table_free(vae_table *t); /* zeroes t; accepts a zeroed table */

/* How a table becomes a model's input, stored in the model file's metadata
 * under VAE_TABLE_KEY as JSON, e.g. {"columns":["a","b"],"mean":[1.5,20],
 * "std":[0.5,4],"step":[0.5,1],"spread":8,"window":0,"label":"y"}: each value x of column j
 * enters the model as 0.5 + (x - mean_j) / (spread * std_j), so the
 * training data's bulk lies well inside the decoder's (0, 1) mean range and
 * outliers beyond it still score their full distance. window 0: a row is one
 * input of cols values; window W > 0: W consecutive rows are one input of
 * W * cols values (time-major), and a point's score is the mean of the
 * scores of the windows that cover it. step_j is the smallest gap between
 * two distinct training values of column j (raw units, like mean and std):
 * its resolution, for the dequantising noise of vae_table_dequant (files
 * written before it have none: steps 0). */
#define VAE_TABLE_KEY "vae_wasm.table"
#define VAE_TABLE_SPREAD 8.0f

typedef struct {
    int cols, window;
    char **names;      /* [cols] */
    float *mean, *std; /* [cols] over the training rows */
    float *step;       /* [cols] smallest gap between distinct training values, or 0 */
    float spread;
    char *label; /* the label column's name, or NULL */
} vae_table_spec;

/* Fits the spec to t's normal rows (label 0; every row without labels).
 * A column with one value in all of them cannot be standardised: an error
 * naming it. */
vae_status vae_table_spec_fit(vae_table_spec *s, const vae_table *t, int window, vae_error *err);
/* The metadata JSON, NUL-terminated and malloc'd (free with vae_buffer_free). */
vae_status vae_table_spec_to_json(const vae_table_spec *s, char **json, vae_error *err);
/* Reads the spec of a model file held in memory; VAE_ERR_METADATA when the
 * file has none (a model trained on images) or it is malformed. */
vae_status vae_table_spec_load(vae_table_spec *s, const uint8_t *file, size_t len, vae_error *err);
/* The same from the metadata JSON itself (text[0..len)). */
vae_status vae_table_spec_parse(vae_table_spec *s, const char *json, size_t len, vae_error *err);
void vae_table_spec_free(vae_table_spec *s); /* zeroes s; accepts a zeroed spec */

/* The model inputs of t, whose columns are the spec's in its order:
 * *x [*n, D] (D = cols, or window * cols) with *n = rows, or rows - W + 1
 * windows. With labels in t, *labels [*n] (a window is an anomaly if any
 * row in it is) when labels is not NULL; else *labels = NULL. Both malloc'd. */
vae_status vae_table_inputs(const vae_table_spec *s, const vae_table *t, float **x, int **labels, int *n,
                            vae_error *err);
/* The width of each input value's step in the model's units, width [D]:
 * step_j / (spread std_j) for the value's column j. Training adds uniform
 * noise of these widths to the inputs (vae_dequant_apply), so that a
 * continuous density cannot spike on integer-valued columns (digits' pixels). */
vae_status vae_table_dequant(const vae_table_spec *s, float *width, vae_error *err);
/* Per-row scores points [n + W - 1] from the scores of n windows (window 0:
 * a copy). */
vae_status vae_table_point_scores(const vae_table_spec *s, const float *scores, int n, float *points, vae_error *err);

#ifdef __cplusplus
}
#endif
#endif
