/* Word model files (models/words.h): safetensors with the architecture as
 * JSON metadata under VAE_METADATA_KEY, tensors named as the PyTorch module
 * of tools/word_vae.py names them. */
#include <stdlib.h>
#include <string.h>

#include "formats/safetensors.h"
#include "models/words.h"

enum { K_FORMAT, K_MODEL, K_VOCAB, K_MAX_LEN, K_EMBED, K_HIDDEN, K_LATENT, N_KEYS };
static const struct {
    const char *name, *want;
} keys[N_KEYS] = {
    {"format", "2"},
    {"model", "\"words\""},
    {"vocab", "a string of 1 to 95 characters"},
    {"max_len", "an integer in 1..256"},
    {"embed", "an integer in 1..1024"},
    {"hidden", "an integer in 1..4096"},
    {"latent", "an integer in 0..1024"},
};

/* Parses one key's value into a; 0 on success. The ranges are judged by
 * vae_words_arch_validate. */
static int words_value(const vae_json *j, int key, int v, vae_words_arch *a) {
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
    vae_json *j;
    int seen[N_KEYS] = {0}, k, i, n;
    if (!json || !a) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    memset(a, 0, sizeof *a);
    vae_status s = vae_json_parse(&j, json, len, VAE_ERR_METADATA, "architecture metadata", err);
    if (s) return s;
    if (vae_json_kind_of(j, 0) != VAE_JSON_OBJECT) {
        vae_json_free(j);
        return vae_fail(err, VAE_ERR_METADATA, "architecture metadata is not a JSON object");
    }
    n = vae_json_count(j, 0);
    for (i = 0, k = vae_json_first(j, 0); i < n && !s; i++, k = vae_json_next(j, k)) {
        int key = 0;
        while (key < N_KEYS && !vae_json_string_eq(j, k, keys[key].name)) key++;
        if (key == N_KEYS) {
            char name[40];
            if (vae_json_string(j, k, name, sizeof name) < 0) strcpy(name, "?");
            s = vae_fail(err, VAE_ERR_METADATA, "word model metadata: unknown key \"%s\"",
                         vae_st_printable(name, (char[40]){0}, 40));
        } else if (seen[key]++) {
            s = vae_fail(err, VAE_ERR_METADATA, "word model metadata: duplicate key \"%s\"", keys[key].name);
        } else if (words_value(j, key, k + 1, a)) {
            s = vae_fail(err, VAE_ERR_METADATA, "word model metadata: \"%s\" must be %s", keys[key].name,
                         keys[key].want);
        }
    }
    vae_json_free(j);
    for (k = 0; k < N_KEYS && !s; k++)
        if (!seen[k]) s = vae_fail(err, VAE_ERR_METADATA, "word model metadata: missing \"%s\"", keys[k].name);
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
    if (pos >= cap) {
        buf[0] = '\0';
        return vae_fail(err, VAE_ERR_ARG, "architecture JSON needs %zu bytes, buffer has %zu", pos + 1, cap);
    }
    return vae_ok(err);
}

/* The "model" value of a parsed file's architecture: 1 if "words". */
static int is_words(const vae_st_file *f) {
    const char *js = vae_st_meta(f, VAE_METADATA_KEY);
    vae_json *j;
    int words = 0;
    if (!js || vae_json_parse(&j, js, strlen(js), VAE_ERR_METADATA, "", NULL)) return 0;
    if (vae_json_kind_of(j, 0) == VAE_JSON_OBJECT)
        for (int i = 0, k = vae_json_first(j, 0); i < vae_json_count(j, 0); i++, k = vae_json_next(j, k))
            if (vae_json_string_eq(j, k, "model")) words = vae_json_string_eq(j, k + 1, "words");
    vae_json_free(j);
    return words;
}

int vae_words_file(const uint8_t *buf, size_t len) {
    vae_st_file f;
    if (vae_st_parse(&f, buf, len, NULL)) return 0;
    int words = is_words(&f);
    vae_st_free(&f);
    return words;
}

static vae_status load(vae_words **out, const vae_st_file *f, int cap, vae_error *err) {
    const char *js = vae_st_meta(f, VAE_METADATA_KEY);
    vae_words_arch a;
    vae_words *m;
    size_t values = 0;
    char seen[32] = {0};
    if (!js)
        return vae_fail(err, VAE_ERR_METADATA, "__metadata__ has no \"%s\" entry: not a vae-wasm model file",
                        VAE_METADATA_KEY);
    vae_status s = vae_words_arch_from_json(js, strlen(js), &a, err);
    if (s) return s;
    vae_error e;
    if (vae_words_arch_validate(&a, &e)) return vae_fail(err, VAE_ERR_METADATA, "word model metadata: %s", e.msg);
    /* a hostile header can name a huge model: no large allocation for a
     * file that cannot hold its weights (small ones get the per-tensor
     * diagnosis) */
    for (int i = 0; i < f->n_tensors; i++) values += f->tensors[i].numel;
    uint64_t need = vae_words_arch_param_count(&a);
    if (need > values && need > (1u << 16))
        return vae_fail(err, VAE_ERR_MISSING, "architecture needs %llu parameters, the file holds only %zu values",
                        (unsigned long long)need, values);
    if ((s = vae_words_create(&m, &a, cap, 0, err))) return s;
    int nt = vae_words_tensor_count(m);
    for (int i = 0; i < f->n_tensors && !s; i++) {
        const vae_st_tensor *t = &f->tensors[i];
        vae_tensor w;
        char nm[48];
        int k = 0;
        while (k < nt && (vae_words_tensor(m, k, &w, NULL), strcmp(w.name, t->name))) k++;
        vae_st_printable(t->name, nm, sizeof nm);
        if (k == nt)
            s = vae_fail(err, VAE_ERR_UNKNOWN, "tensor \"%s\" is not part of this word model", nm);
        else if (!(s = vae_st_load_into(f, t, nm, w.ndim, w.shape, w.data, err)))
            seen[k] = 1;
    }
    for (int k = 0; k < nt && !s; k++) {
        vae_tensor w;
        vae_words_tensor(m, k, &w, NULL);
        if (!seen[k]) s = vae_fail(err, VAE_ERR_MISSING, "tensor \"%s\" is missing from the file", w.name);
    }
    if (s) {
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
    vae_st_entry ent[32];
    char arch_json[512];
    if (!m || !out || !out_len) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (dtype != VAE_DTYPE_F32 && dtype != VAE_DTYPE_F16)
        return vae_fail(err, VAE_ERR_ARG, "models are saved as F32 or F16, not %s", vae_dtype_name(dtype));
    if (n_meta < 0 || n_meta > 1000 || (n_meta && !meta_kv))
        return vae_fail(err, VAE_ERR_ARG, "bad metadata count %d", n_meta);
    vae_status s = vae_words_arch_to_json(vae_words_get_arch(m), arch_json, sizeof arch_json, err);
    if (s) return s;
    int n = vae_words_tensor_count(m);
    for (int i = 0; i < n; i++) {
        vae_tensor t;
        vae_words_tensor(m, i, &t, NULL);
        ent[i] = (vae_st_entry){t.name, t.ndim, {(uint64_t)t.shape[0], (uint64_t)t.shape[1]}, t.data, NULL};
    }
    const char **kv = malloc(((size_t)n_meta + 1) * 2 * sizeof *kv);
    if (!kv) return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    kv[0] = VAE_METADATA_KEY;
    kv[1] = arch_json;
    if (n_meta) memcpy(kv + 2, meta_kv, (size_t)n_meta * 2 * sizeof *kv);
    s = vae_st_write(ent, n, dtype, kv, n_meta + 1, out, out_len, err);
    free(kv);
    return s;
}
