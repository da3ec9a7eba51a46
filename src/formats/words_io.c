/* Word model files (models/words.h): safetensors with the architecture as
 * JSON metadata under VAE_METADATA_KEY, tensors named as the PyTorch module
 * of tools/word_vae.py names them. */
#include <stdlib.h>
#include <string.h>

#include "formats/safetensors.h"
#include "models/words.h"

enum { K_FORMAT, K_MODEL, K_VOCAB, K_MAX_LEN, K_EMBED, K_HIDDEN, K_LATENT, N_KEYS };
static const vae_st_key keys[N_KEYS] = {
    {"format", "2"},
    {"model", "\"words\""},
    {"vocab", "a string of 1 to 95 characters"},
    {"max_len", "an integer in 1..256"},
    {"embed", "an integer in 1..1024"},
    {"hidden", "an integer in 1..4096"},
    {"latent", "an integer in 0..1024"},
};

/* Parses one key's value into the architecture; 0 on success. The ranges
 * are judged by vae_words_arch_validate. */
static int words_value(const vae_json *j, int key, int v, void *arch) {
    vae_words_arch *a = arch;
    uint64_t x;
    int *dst[N_KEYS] = {
        [K_MAX_LEN] = &a->max_len, [K_EMBED] = &a->embed, [K_HIDDEN] = &a->hidden, [K_LATENT] = &a->latent};
    switch (key) {
    case K_FORMAT: return vae_json_uint(j, v, 2, &x) || x != 2;
    case K_MODEL: return !vae_json_string_eq(j, v, "words");
    case K_VOCAB: return vae_json_string(j, v, a->vocab, sizeof a->vocab) < 1;
    default:
        if (vae_json_uint(j, v, 1u << 20, &x)) return -1;
        *dst[key] = (int)x;
        return 0;
    }
}

vae_status vae_words_arch_from_json(const char *json, size_t len, vae_words_arch *a, vae_error *err) {
    if (!json || !a) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    memset(a, 0, sizeof *a);
    vae_status s = vae_st_arch_keys(json, len, keys, N_KEYS, N_KEYS, words_value, a, "word model", err);
    return s ? s : vae_ok(err);
}

vae_status vae_words_arch_to_json(const vae_words_arch *a, char *buf, size_t cap, vae_error *err) {
    size_t pos = 0;
    if (!buf || !cap) return vae_fail(err, VAE_ERR_ARG, "NULL or empty output buffer");
    buf[0] = '\0';
    vae_status s = vae_words_arch_validate(a, err);
    if (s) return s;
    vae_append(buf, cap, &pos, "{\"format\":2,\"model\":\"words\",\"vocab\":");
    vae_json_put_string(buf, cap, &pos, a->vocab[0] ? a->vocab : "abcdefghijklmnopqrstuvwxyz");
    vae_append(buf, cap, &pos, ",\"max_len\":%d,\"embed\":%d,\"hidden\":%d,\"latent\":%d}", a->max_len, a->embed,
               a->hidden, a->latent);
    return vae_st_arch_json_end(buf, cap, pos, err);
}

int vae_words_file(const uint8_t *buf, size_t len) { return vae_st_model_kind(buf, len, "words"); }

/* The model's tensor table (at most 32 tensors). */
static int words_table(const vae_words *m, vae_tensor *t) {
    int n = vae_words_tensor_count(m);
    for (int i = 0; i < n; i++) vae_words_tensor(m, i, &t[i], NULL);
    return n;
}

static vae_status load(vae_words **out, const vae_st_file *f, int cap, vae_error *err) {
    const char *js = vae_st_arch_meta(f, err);
    vae_words_arch a;
    vae_words *m;
    vae_tensor t[32];
    if (!js) return VAE_ERR_METADATA;
    vae_status s = vae_words_arch_from_json(js, strlen(js), &a, err);
    if (s) return s;
    vae_error e;
    if (vae_words_arch_validate(&a, &e)) return vae_fail(err, VAE_ERR_METADATA, "word model metadata: %s", e.msg);
    if ((s = vae_st_check_values(f, vae_words_arch_param_count(&a), err))) return s;
    if ((s = vae_words_create(&m, &a, cap, 0, err))) return s;
    if ((s = vae_st_load_table(f, t, words_table(m, t), "word model", err))) {
        vae_words_free(m);
        return s;
    }
    *out = m;
    return vae_ok(err);
}

vae_status vae_words_load(vae_words **out, const uint8_t *buf, size_t len, int cap, vae_error *err) {
    vae_st_file f;
    if (!out) return vae_fail(err, VAE_ERR_ARG, "output pointer is NULL");
    *out = NULL;
    vae_status s = vae_st_parse(&f, buf, len, err);
    if (s) return s;
    s = load(out, &f, cap, err);
    vae_st_free(&f);
    return s;
}

vae_status vae_words_save(const vae_words *m, vae_dtype dtype, const char *const *meta_kv, int n_meta, uint8_t **out,
                          size_t *out_len, vae_error *err) {
    char arch_json[512];
    vae_tensor t[32];
    if (!m) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_status s = vae_words_arch_to_json(vae_words_get_arch(m), arch_json, sizeof arch_json, err);
    return s ? s : vae_st_save_table(t, words_table(m, t), dtype, arch_json, meta_kv, n_meta, out, out_len, err);
}
