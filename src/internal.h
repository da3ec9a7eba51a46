/* Shared between the library's own .c files; not installed, not public. */
#ifndef VAE_INTERNAL_H
#define VAE_INTERNAL_H

#include "vae.h"

#if defined(__GNUC__)
#define VAE_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VAE_PRINTF(a, b)
#endif

/* Fills err (if not NULL) and returns code, so callers can `return vae_fail(...)`. */
vae_status vae_fail(vae_error *err, vae_status code, const char *fmt, ...) VAE_PRINTF(3, 4);
/* Clears err to VAE_OK; returns VAE_OK. */
vae_status vae_ok(vae_error *err);

#define VAE_MAX_TENSORS (2 * (VAE_MAX_LAYERS * 2 + 4) + 1)
#define VAE_NAME_MAX 48

typedef struct {
    char name[VAE_NAME_MAX];
    int ndim;
    int shape[2];
    size_t offset, numel; /* in floats */
} vae_param_info;

/* One linear layer's place in the parameter block. */
typedef struct {
    int in, out;
    int w, b; /* tensor indices */
} vae_linear_ref;

struct vae_model {
    vae_arch arch;
    int D;                      /* input dim */
    int n_tensors;
    vae_param_info t[VAE_MAX_TENSORS];
    size_t n_params;
    float *params;              /* one block, carved by t[] */
    /* layer map (tensor indices into t[]); encoder parts unused when decoder_only */
    int n_enc, n_dec;
    vae_linear_ref enc[VAE_MAX_LAYERS], mu, logvar, dec[VAE_MAX_LAYERS], out;
    int logsigma;               /* tensor index, or -1 */
};

/* Builds the size table and allocates a zeroed parameter block (no init). */
vae_status vae_model_create(vae_model **out, const vae_arch *arch, vae_error *err);
int vae_model_find_tensor(const vae_model *m, const char *name); /* index or -1 */

/* IEEE half / bfloat16 conversions (round to nearest even on the way down). */
uint16_t vae_f32_to_f16(float f);
float vae_f16_to_f32(uint16_t h);
uint16_t vae_f32_to_bf16(float f);
float vae_bf16_to_f32(uint16_t h);

/* Architecture <-> metadata JSON (model_io.c). json is NUL-terminated. */
vae_status vae_arch_from_json(const char *json, size_t len, vae_arch *a, vae_error *err);
/* Writes the JSON into buf (cap bytes, NUL-terminated); returns VAE_ERR_ARG if too small. */
vae_status vae_arch_to_json(const vae_arch *a, char *buf, size_t cap, vae_error *err);

#endif
