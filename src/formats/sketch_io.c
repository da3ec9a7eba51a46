/* SketchRNN files (models/sketch.h): safetensors with the architecture as
 * JSON metadata under VAE_METADATA_KEY, tensors named as the PyTorch module
 * of tools/make_golden_sketch.py names them. */
#include <string.h>

#include "formats/safetensors.h"
#include "models/sketch.h"

enum { K_FORMAT, K_MODEL, K_ENC, K_DEC, K_LATENT, K_MIX, K_MAX_LEN, K_SCALE, N_KEYS };
static const vae_st_key keys[N_KEYS] = {
    {"format", "2"},
    {"model", "\"sketch\""},
    {"enc_hidden", "an integer in 1..4096"},
    {"dec_hidden", "an integer in 1..4096"},
    {"latent", "an integer in 1..1024"},
    {"mixtures", "an integer in 1..64"},
    {"max_len", "an integer in 1..4096"},
    {"scale", "a positive number"},
};

/* One key's value into the architecture; 0 on success (the ranges are
 * judged by vae_sketch_arch_validate). */
static int sketch_value(const vae_json *j, int key, int v, void *arch) {
    vae_sketch_arch *a = arch;
    uint64_t x;
    int *dst[N_KEYS] = {[K_ENC] = &a->enc_hidden,
                        [K_DEC] = &a->dec_hidden,
                        [K_LATENT] = &a->latent,
                        [K_MIX] = &a->mixtures,
                        [K_MAX_LEN] = &a->max_len};
    switch (key) {
    case K_FORMAT: return vae_json_uint(j, v, 2, &x) || x != 2;
    case K_MODEL: return !vae_json_string_eq(j, v, "sketch");
    case K_SCALE: return vae_json_float(j, v, &a->scale);
    default:
        if (vae_json_uint(j, v, 1u << 20, &x)) return -1;
        *dst[key] = (int)x;
        return 0;
    }
}

vae_status vae_sketch_arch_from_json(const char *json, size_t len, vae_sketch_arch *a, vae_error *err) {
    if (!json || !a) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    memset(a, 0, sizeof *a);
    vae_status s = vae_st_arch_keys(json, len, keys, N_KEYS, N_KEYS, sketch_value, a, "sketch model", err);
    vae_error e;
    if (!s && vae_sketch_arch_validate(a, &e)) s = vae_fail(err, VAE_ERR_METADATA, "sketch model metadata: %s", e.msg);
    return s ? s : vae_ok(err);
}

vae_status vae_sketch_arch_to_json(const vae_sketch_arch *a, char *buf, size_t cap, vae_error *err) {
    size_t pos = 0;
    if (!buf || !cap) return vae_fail(err, VAE_ERR_ARG, "NULL or empty output buffer");
    buf[0] = '\0';
    vae_status s = vae_sketch_arch_validate(a, err);
    if (s) return s;
    vae_append(buf, cap, &pos,
               "{\"format\":2,\"model\":\"sketch\",\"enc_hidden\":%d,\"dec_hidden\":%d,\"latent\":%d,\"mixtures\":%d,"
               "\"max_len\":%d,\"scale\":",
               a->enc_hidden, a->dec_hidden, a->latent, a->mixtures, a->max_len);
    vae_json_put_float(buf, cap, &pos, a->scale);
    vae_append(buf, cap, &pos, "}");
    return vae_st_arch_json_end(buf, cap, pos, err);
}

int vae_sketch_file(const uint8_t *buf, size_t len) { return vae_st_model_kind(buf, len, "sketch"); }

/* The model's tensor table (at most 32 tensors). */
static int sketch_table(const vae_sketch *m, vae_tensor *t) {
    int n = vae_sketch_tensor_count(m);
    for (int i = 0; i < n; i++) vae_sketch_tensor(m, i, &t[i], NULL);
    return n;
}

vae_status vae_sketch_load(vae_sketch **out, const uint8_t *buf, size_t len, int cap, vae_error *err) {
    vae_st_file f;
    vae_sketch_arch a;
    vae_sketch *m = NULL;
    vae_tensor t[32];
    if (!out) return vae_fail(err, VAE_ERR_ARG, "output pointer is NULL");
    *out = NULL;
    vae_status s = vae_st_parse(&f, buf, len, err);
    if (s) return s;
    const char *js = vae_st_arch_meta(&f, err);
    s = js ? VAE_OK : VAE_ERR_METADATA;
    if (!s) s = vae_sketch_arch_from_json(js, strlen(js), &a, err);
    if (!s) s = vae_st_check_values(&f, vae_sketch_arch_param_count(&a), err);
    if (!s) s = vae_sketch_alloc(&m, &a, cap, err);
    if (!s) s = vae_st_load_table(&f, t, sketch_table(m, t), "sketch model", err);
    vae_st_free(&f);
    if (s) {
        vae_sketch_free(m);
        return s;
    }
    *out = m;
    return vae_ok(err);
}

vae_status vae_sketch_save(const vae_sketch *m, vae_dtype dtype, const char *const *meta_kv, int n_meta, uint8_t **out,
                           size_t *out_len, vae_error *err) {
    char arch_json[512];
    vae_tensor t[32];
    if (!m) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_status s = vae_sketch_arch_to_json(vae_sketch_get_arch(m), arch_json, sizeof arch_json, err);
    return s ? s : vae_st_save_table(t, sketch_table(m, t), dtype, arch_json, meta_kv, n_meta, out, out_len, err);
}
