/* Shared between the library's own .c files; not installed, not public. */
#ifndef VAE_INTERNAL_H
#define VAE_INTERNAL_H

#include <stdarg.h>

#include "layers/conv.h"
#include "vae.h"

#if defined(__GNUC__)
#define VAE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VAE_PRINTF(a, b)
#endif

/* snprintf for the conversions the library uses (util/messages.c lists them), so
 * the WebAssembly module needs no C library printf. Returns the length the
 * full output has; buf may be NULL when cap is 0. */
int vae_format(char *buf, size_t cap, const char *fmt, ...) VAE_PRINTF(3, 4);
int vae_vformat(char *buf, size_t cap, const char *fmt, va_list ap) VAE_PRINTF(3, 0);
/* Formats at buf + *pos and advances *pos; past cap it only advances *pos,
 * so the caller sees the overflow as *pos >= cap. */
void vae_append(char *buf, size_t cap, size_t *pos, const char *fmt, ...) VAE_PRINTF(4, 5);

/* Fills err (if not NULL) and returns code, so callers can `return vae_fail(...)`. */
vae_status vae_fail(vae_error *err, vae_status code, const char *fmt, ...) VAE_PRINTF(3, 4);
/* Clears err to VAE_OK; returns VAE_OK. */
vae_status vae_ok(vae_error *err);

#define VAE_MAX_TENSORS (2 * (VAE_MAX_LAYERS * 3 + 5) + 1) /* M2: encoder, decoder and classifier */
/* Room for any valid architecture's JSON (vae_arch_to_json): 17 layers of at
 * most ~110 bytes (a transposed conv with 10-digit fields) and ~300 bytes of
 * other keys stay under 2.5 KB. The one size for every caller. */
#define VAE_ARCH_JSON_MAX 4096
#define VAE_NAME_MAX 48

typedef struct {
    char name[VAE_NAME_MAX];
    int ndim;
    int shape[4];
    size_t offset, numel; /* in floats */
    size_t pk;            /* a linear layer's weight [out, in] packed for the matrix kernels: its place in packed */
} vae_param_info;

/* One layer: its kind, the floats per image it reads and writes, and its
 * tensors' places in the parameter block. conv.n is set per call. */
typedef struct {
    vae_layer_kind kind;
    int in, out; /* floats per image */
    int out_c, out_h, out_w;
    int w, b; /* tensor indices */
    vae_conv_shape conv;
} vae_layer_ref;

struct vae_model {
    vae_arch arch;
    int D; /* input dim */
    int n_tensors;
    vae_param_info t[VAE_MAX_TENSORS];
    size_t n_params;
    uint64_t total_params; /* n_params computed in 64 bits, checked against VAE_MAX_PARAMS */
    float *params;         /* one block, carved by t[] */
    /* layer map; encoder parts unused when decoder_only; an AE's code head is
     * mu and it has no logvar */
    int n_enc, n_dec;
    vae_layer_ref enc[VAE_MAX_LAYERS], mu, logvar, dec[VAE_MAX_LAYERS], out;
    int n_cls; /* M2's classifier (0 otherwise or when decoder_only) */
    vae_layer_ref cls[VAE_MAX_LAYERS], cls_out;
    int logsigma;      /* tensor index, or -1 */
    int lognu;         /* Student-t's log degrees of freedom: tensor index, or -1 */
    size_t conv_bytes; /* workspace the conv layers need (0: none) */
    /* The linear layers' weights (the 2-D tensors) packed for the matrix
     * kernels (vae_matmul_xwt_pack); NULL while not packed or stale. */
    float *packed;
};

/* The parameter block (vae_model_tensor gives each tensor's place in it).
 * Handing it out counts as a change of the weights (vae_model_changed). */
float *vae_model_params(vae_model *m);
/* Packs the weights for the matrix kernels if they changed since the last
 * packing: at load, then in the first inference call after a change. Out of
 * memory, the kernels pack as they go (the same bits). */
void vae_model_pack(vae_model *m);
/* The weights changed: the packed copy is stale. Whoever writes the
 * parameter block (the loader, the optimisers) calls it. */
void vae_model_changed(vae_model *m);
/* The generator's raw 32-bit output (the uniforms and normals derive from it). */
uint32_t vae_rng_u32(vae_rng *r);

/* Builds the size table and allocates a zeroed parameter block (no init). */
vae_status vae_model_create(vae_model **out, const vae_arch *arch, vae_error *err);
int vae_model_find_tensor(const vae_model *m, const char *name); /* index or -1 */
/* Parameters a validated architecture has, without allocating them. */
uint64_t vae_arch_param_count(const vae_arch *a);

/* Activations and gradients for a batch of up to `cap` images (models/model.c).
 * Encoder: ein [n, D+C] -> h[i] -> mu, logvar [n, L] (an AE's code in mu);
 * z: zin [n, L+C] (z then the one-hot label); decoder: zin -> g[i] -> logits
 * [n, D]; rec, kl, pen (penalties) [n]; M2's classifier: x -> ch[i] ->
 * clogits [n, C]. The d* buffers (backward) exist only when made for
 * training. conv: the conv layers' workspace. */
typedef struct {
    int cap, train;
    float *ein, *h[VAE_MAX_LAYERS], *mu, *logvar, *zin, *g[VAE_MAX_LAYERS], *logits, *rec, *kl, *pen;
    float *ch[VAE_MAX_LAYERS], *clogits;
    float *dh[VAE_MAX_LAYERS], *dmu, *dlogvar, *dzin, *dg[VAE_MAX_LAYERS], *dlogits, *dpre;
    float *dch[VAE_MAX_LAYERS], *dclogits;
    void *conv;
    float *likc; /* Student-t: vae_student_t_consts [4, D], set by each forward */
    float *block;
    int mean_n; /* the backward passes' gradients are of the sum over the rows / mean_n (0: n, the mean) */
} vae_work;

/* Training-only terms of the loss (vae_train_config's fields). */
typedef struct {
    vae_sparsity sparsity;
    float sparsity_weight, rho, contractive;
} vae_penalties;

vae_work *vae_work_new(const vae_model *m, int cap, int train); /* NULL if out of memory */
void vae_work_free(vae_work *w);
/* VAE_ERR_NONFINITE naming `what` and the index if v has a NaN or infinity. */
vae_status vae_check_finite(const float *v, size_t count, const char *what, vae_error *err);
/* Checks x (finite), labels (range) and n against the model; eps finite if given. */
vae_status vae_check_batch(const vae_model *m, const float *x, const int *labels, int n, vae_error *err);
/* Full pass on n <= cap images: encodes x, reconstructs `target` (NULL: x;
 * denoising passes the clean images here and corrupted ones as x); fills
 * every forward buffer, rec, kl and (pen NULL: zeros) the penalties. */
void vae_forward(const vae_model *m, vae_work *w, const float *x, const float *target, const int *labels, int n,
                 const float *eps, const vae_penalties *pen);
/* Gradient of sum_b s_b (rec_b + beta kl_b) + mean_b pen_b, s_b =
 * row_scale[b] (NULL: 1/n, the mean), accumulated into grads (the
 * parameter block's mirror). Needs the vae_forward of the same batch. */
void vae_backward(const vae_model *m, vae_work *w, float *grads, const float *x, const float *target, int n,
                  const float *eps, float beta, const vae_penalties *pen, const float *row_scale);
/* M2's classifier: x [n, D] -> w->clogits [n, C]; and its backward from
 * w->dclogits (after the forward of the same x), accumulated into grads. */
void vae_classifier_forward(const vae_model *m, vae_work *w, const float *x, int n);
void vae_classifier_backward(const vae_model *m, vae_work *w, float *grads, const float *x, int n);

/* M2's loss (models/m2.c). A batch of n images with labels -1 (unlabelled)
 * or 0..C-1 becomes R rows for the CVAE: one per labelled image, C (labels
 * 0..C-1) per unlabelled one. The caller's scratch holds them: x [cap, D],
 * y and scale [cap], cap >= the rows. */
typedef struct {
    float *x, *scale;
    int *y;
} vae_m2_rows;
/* Sums over the images of the batch (vae_step_stats holds their means). */
typedef struct {
    double loss, rec, kl, xent, entropy;
    int labelled;
} vae_m2_terms;
/* The rows a batch needs. */
int vae_m2_row_count(const vae_model *m, const int *labels, int n);
/* x finite, labels NULL or each -1..C-1, n >= 1, and an M2 model. */
vae_status vae_m2_check_batch(const vae_model *m, const float *x, const int *labels, int n, vae_error *err);
/* Per-image losses (vae_trainer_step's) of n images with eps [rows, L]; w
 * holds the rows and the n classifier rows. With grads, also accumulates
 * the gradient of their mean. */
void vae_m2_pass(const vae_model *m, vae_work *w, vae_m2_rows *r, float *grads, const float *x, const int *labels,
                 int n, const float *eps, float beta, float alpha, vae_m2_terms *out);
/* Zeroes the gradients, then computes loss and gradients of the mean per-image
 * loss on a batch as vae_trainer_step does, without changing the weights (for
 * the gradient tests). */
vae_status vae_trainer_compute_grads(vae_trainer *t, const float *x, const int *labels, int n, const float *eps,
                                     vae_step_stats *st, vae_error *err);
/* Gradient block, same layout and offsets as the parameter block. */
const float *vae_trainer_grads(const vae_trainer *t);

/* Training config JSON (formats/train_config.c): an object with any of the
 * keys "optimizer" ("adam" or "sgd"), "lr", "betas" ([beta1, beta2]), "eps",
 * "weightDecay", "momentum", "clip", "beta", "warmupSteps", "noise" ("none",
 * "mask" or "gaussian"), "noiseLevel", "sparsity" ("none", "l1" or "kl"),
 * "sparsityWeight", "rho", "contractive", "alpha" (the names of vae.js's
 * TrainOptions) over vae_train_config_default. Only the JSON is checked
 * here; vae_trainer_init judges the values. json need not be NUL-terminated. */
vae_status vae_train_config_from_json(const char *json, size_t len, vae_train_config *c, vae_error *err);

/* The sum of squares of g [n] in double, one element after another. */
double vae_sum_squares(const float *g, size_t n);
/* The factor clip_grad_norm_ scales gradients of norm grad_norm by (c->clip_norm; 0: none). */
float vae_clip_scale(const vae_train_config *c, double grad_norm);
/* PyTorch's Adam step (decoupled weight decay, c's lr, betas, eps) on n
 * parameters p with gradients g * clip_scale and moments m1, m2; *beta1_t
 * and *beta2_t hold beta^steps (start at 1) and advance. */
void vae_adam_update(float *p, const float *g, float *m1, float *m2, size_t n, const vae_train_config *c,
                     double *beta1_t, double *beta2_t, float clip_scale);
/* Whether the training-only terms suit the model; a readable error if not. */
vae_status vae_penalties_check(const vae_model *m, const vae_penalties *pen, vae_error *err);

/* ln(s) for finite s > 0 from + - * / only: the same bits on every IEEE
 * platform, and no C library log (with its 4 KB table) in the wasm (util/exact_log.c). */
double vae_log(double s);
/* ln Gamma(x) and its derivative digamma(x) for x > 0, from vae_log and + - * /
 * (to about 1e-12): the Student-t likelihood's constants, the same bits everywhere. */
double vae_lgamma(double x);
double vae_digamma(double x);

/* IEEE half / bfloat16 conversions (round to nearest even on the way down). */
uint16_t vae_f32_to_f16(float f);
float vae_f16_to_f32(uint16_t h);
uint16_t vae_f32_to_bf16(float f);
float vae_bf16_to_f32(uint16_t h);

/* Architecture <-> metadata JSON (formats/model_io.c). json is NUL-terminated. */
vae_status vae_arch_from_json(const char *json, size_t len, vae_arch *a, vae_error *err);
/* Writes the JSON into buf (cap bytes, NUL-terminated); returns VAE_ERR_ARG if too small. */
vae_status vae_arch_to_json(const vae_arch *a, char *buf, size_t cap, vae_error *err);

#endif
