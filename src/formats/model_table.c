/* What the sequence models' files share (formats/safetensors.h): the
 * architecture's JSON keys, the model kind, and loading and saving a model
 * as a table of named tensors (words_io.c, sketch_io.c; model_io.c reads
 * the image models' architecture keys with it too). */
#include <stdlib.h>
#include <string.h>

#include "formats/safetensors.h"

vae_status vae_st_arch_keys(const char *json, size_t len, const vae_st_key *keys, int n_keys, int n_required,
                            vae_st_key_fn value, void *arch, const char *what, vae_error *err) {
    vae_json *j;
    int seen[32] = {0}, k, i, n;
    if (!json || !arch || n_keys > 32) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_status s = vae_json_parse(&j, json, len, VAE_ERR_METADATA, "architecture metadata", err);
    if (s) return s;
    if (vae_json_kind_of(j, 0) != VAE_JSON_OBJECT) {
        vae_json_free(j);
        return vae_fail(err, VAE_ERR_METADATA, "architecture metadata is not a JSON object");
    }
    n = vae_json_count(j, 0);
    for (i = 0, k = vae_json_first(j, 0); i < n && !s; i++, k = vae_json_next(j, k)) {
        int key = 0;
        while (key < n_keys && !vae_json_string_eq(j, k, keys[key].name)) key++;
        if (key == n_keys) {
            char name[40];
            if (vae_json_string(j, k, name, sizeof name) < 0) strcpy(name, "?");
            s = vae_fail(err, VAE_ERR_METADATA, "%s metadata: unknown key \"%s\"", what,
                         vae_st_printable(name, (char[40]){0}, 40));
        } else if (seen[key]++) {
            s = vae_fail(err, VAE_ERR_METADATA, "%s metadata: duplicate key \"%s\"", what, keys[key].name);
        } else if (value(j, key, k + 1, arch)) {
            s = vae_fail(err, VAE_ERR_METADATA, "%s metadata: \"%s\" must be %s", what, keys[key].name, keys[key].want);
        }
    }
    vae_json_free(j);
    for (k = 0; k < n_required && !s; k++)
        if (!seen[k]) s = vae_fail(err, VAE_ERR_METADATA, "%s metadata: missing \"%s\"", what, keys[k].name);
    return s ? s : vae_ok(err);
}

const char *vae_st_arch_meta(const vae_st_file *f, vae_error *err) {
    const char *js = vae_st_meta(f, VAE_METADATA_KEY);
    if (!js)
        vae_fail(err, VAE_ERR_METADATA, "__metadata__ has no \"%s\" entry: not a vae-wasm model file",
                 VAE_METADATA_KEY);
    return js;
}

vae_status vae_st_arch_json_end(char *buf, size_t cap, size_t pos, vae_error *err) {
    if (pos >= cap) {
        buf[0] = '\0';
        return vae_fail(err, VAE_ERR_ARG, "architecture JSON needs %zu bytes, buffer has %zu", pos + 1, cap);
    }
    return vae_ok(err);
}

int vae_st_model_kind(const uint8_t *buf, size_t len, const char *kind) {
    vae_st_file f;
    vae_json *j;
    int is = 0;
    if (vae_st_parse(&f, buf, len, NULL)) return 0;
    const char *js = vae_st_meta(&f, VAE_METADATA_KEY);
    if (js && !vae_json_parse(&j, js, strlen(js), VAE_ERR_METADATA, "", NULL)) {
        if (vae_json_kind_of(j, 0) == VAE_JSON_OBJECT)
            for (int i = 0, k = vae_json_first(j, 0); i < vae_json_count(j, 0); i++, k = vae_json_next(j, k))
                if (vae_json_string_eq(j, k, "model")) is = vae_json_string_eq(j, k + 1, kind);
        vae_json_free(j);
    }
    vae_st_free(&f);
    return is;
}

vae_status vae_st_check_values(const vae_st_file *f, uint64_t need, vae_error *err) {
    size_t values = 0;
    for (int i = 0; i < f->n_tensors; i++) values += f->tensors[i].numel;
    if (need > values && need > (1u << 16))
        return vae_fail(err, VAE_ERR_MISSING, "architecture needs %llu parameters, the file holds only %zu values",
                        (unsigned long long)need, values);
    return vae_ok(err);
}

vae_status vae_st_load_table(const vae_st_file *f, const vae_tensor *t, int nt, const char *what, vae_error *err) {
    char seen[64] = {0};
    vae_status s = VAE_OK;
    if (nt > 64) return vae_fail(err, VAE_ERR_ARG, "%d tensors, at most 64", nt);
    for (int i = 0; i < f->n_tensors && !s; i++) {
        const vae_st_tensor *ft = &f->tensors[i];
        char nm[48];
        int k = 0;
        while (k < nt && strcmp(t[k].name, ft->name)) k++;
        vae_st_printable(ft->name, nm, sizeof nm);
        if (k == nt)
            s = vae_fail(err, VAE_ERR_UNKNOWN, "tensor \"%s\" is not part of this %s", nm, what);
        else if (!(s = vae_st_load_into(f, ft, nm, t[k].ndim, t[k].shape, t[k].data, err)))
            seen[k] = 1;
    }
    for (int k = 0; k < nt && !s; k++)
        if (!seen[k]) s = vae_fail(err, VAE_ERR_MISSING, "tensor \"%s\" is missing from the file", t[k].name);
    return s ? s : vae_ok(err);
}

vae_status vae_st_save_table(const vae_tensor *t, int nt, vae_dtype dtype, const char *arch_json,
                             const char *const *meta_kv, int n_meta, uint8_t **out, size_t *out_len, vae_error *err) {
    vae_st_entry ent[64];
    if (!out || !out_len) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (dtype != VAE_DTYPE_F32 && dtype != VAE_DTYPE_F16)
        return vae_fail(err, VAE_ERR_ARG, "models are saved as F32 or F16, not %s", vae_dtype_name(dtype));
    if (n_meta < 0 || n_meta > 1000 || (n_meta && !meta_kv))
        return vae_fail(err, VAE_ERR_ARG, "bad metadata count %d", n_meta);
    if (nt > 64) return vae_fail(err, VAE_ERR_ARG, "%d tensors, at most 64", nt);
    for (int i = 0; i < nt; i++)
        ent[i] =
            (vae_st_entry){t[i].name, t[i].ndim, {(uint64_t)t[i].shape[0], (uint64_t)t[i].shape[1]}, t[i].data, NULL};
    const char **kv = malloc(((size_t)n_meta + 1) * 2 * sizeof *kv);
    if (!kv) return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    kv[0] = VAE_METADATA_KEY;
    kv[1] = arch_json;
    if (n_meta) memcpy(kv + 2, meta_kv, (size_t)n_meta * 2 * sizeof *kv);
    vae_status s = vae_st_write(ent, nt, dtype, kv, n_meta + 1, out, out_len, err);
    free(kv);
    return s;
}
