/* safetensors reading and writing from memory.
 *
 * File layout: u64 little-endian header length N, N bytes of JSON header
 * {"__metadata__":{str:str,...}, "name":{"dtype":"F32","shape":[...],
 *  "data_offsets":[begin,end]}, ...}, then the data section; offsets are
 * bytes relative to the start of the data section. */
#ifndef VAE_SAFETENSORS_H
#define VAE_SAFETENSORS_H

#include "formats/json.h"
#include "internal.h"

#define VAE_ST_MAX_HEADER (100u * 1000u * 1000u) /* bytes of JSON header */
#define VAE_ST_MAX_DIMS 8

typedef struct {
    const char *name;
    vae_dtype dtype;
    int ndim;
    uint64_t shape[VAE_ST_MAX_DIMS];
    size_t numel;
    size_t begin, end; /* bytes into the data section */
} vae_st_tensor;

typedef struct {
    int n_tensors;
    vae_st_tensor *tensors; /* in header order */
    int n_meta;
    const char **meta;   /* key0, value0, key1, value1, ... */
    const uint8_t *data; /* the data section, inside the caller's buffer */
    size_t data_len;
    char *strings; /* owns every name, key and value */
} vae_st_file;

size_t vae_dtype_size(vae_dtype d);
/* s for an error message: control characters as '?', cut to cap with "...". */
const char *vae_st_printable(const char *s, char *buf, size_t cap);
const char *vae_dtype_name(vae_dtype d); /* "F32", "F16", "BF16", "I8" */

/* Parses and checks the whole file (header, dtypes, offsets, layout, metadata).
 * f borrows buf for `data`; release with vae_st_free. */
vae_status vae_st_parse(vae_st_file *f, const uint8_t *buf, size_t len, vae_error *err);
void vae_st_free(vae_st_file *f);
/* The metadata value for key, or NULL. */
const char *vae_st_meta(const vae_st_file *f, const char *key);
/* Decodes tensor t (any supported dtype, little-endian) into dst[t->numel]. */
void vae_st_read_f32(const vae_st_file *f, const vae_st_tensor *t, float *dst);

/* "[400,784]" for error messages. */
static inline const char *vae_st_shape_str(char *buf, size_t cap, int ndim, const uint64_t *shape) {
    size_t pos = 0;
    vae_append(buf, cap, &pos, "[");
    for (int d = 0; d < ndim; d++) vae_append(buf, cap, &pos, "%s%llu", d ? "," : "", (unsigned long long)shape[d]);
    vae_append(buf, cap, &pos, "]");
    return buf;
}

/* Checks file tensor t's shape against shape[ndim] (ndim <= 4),
 * decodes it into dst and checks every value is finite; errors name it nm
 * (its name through vae_st_printable).
 * Inline: as a call it costs the image module 56 bytes gzipped (its page
 * budget). */
static inline __attribute__((always_inline)) vae_status vae_st_load_into(const vae_st_file *f, const vae_st_tensor *t,
                                                                         const char *nm, int ndim, const int *shape,
                                                                         float *dst, vae_error *err) {
    char have[200], want[64];
    uint64_t wshape[4];
    int same = t->ndim == ndim;
    for (int d = 0; d < ndim; d++) {
        wshape[d] = (uint64_t)shape[d];
        same = same && t->shape[d] == wshape[d];
    }
    if (!same)
        return vae_fail(err, VAE_ERR_SHAPE, "tensor \"%s\": shape %s in the file, the architecture needs %s", nm,
                        vae_st_shape_str(have, sizeof have, t->ndim, t->shape),
                        vae_st_shape_str(want, sizeof want, ndim, wshape));
    vae_st_read_f32(f, t, dst);
    for (size_t k = 0; k < t->numel; k++)
        if (dst[k] - dst[k] != 0)
            return vae_fail(err, VAE_ERR_NONFINITE, "tensor \"%s\": element %zu is %s", nm, k,
                            dst[k] != dst[k] ? "NaN" : "infinite");
    return VAE_OK;
}

/* One tensor to write: f32 values stored as the file's dtype. */
typedef struct {
    const char *name;
    int ndim;
    uint64_t shape[VAE_ST_MAX_DIMS];
    const float *data; /* product(shape) values */
    const int8_t *q8;  /* instead of data: written as I8, whatever the file's dtype */
} vae_st_entry;

/* Writes the entries in the given order, contiguous, as dtype (F32 or F16),
 * with metadata meta_kv (n_meta key/value pairs, interleaved). The header is
 * padded with spaces so the data section starts 8-byte aligned.
 * *out is malloc'd. Bad names or metadata return VAE_ERR_ARG. */
vae_status vae_st_write(const vae_st_entry *t, int n, vae_dtype dtype, const char *const *meta_kv, int n_meta,
                        uint8_t **out, size_t *out_len, vae_error *err);

/* ---------------------------------------------------------------- model tables (model_table.c)
 * The sequence models' files: the architecture as a JSON object of known
 * keys, the model kind under "model", and the weights as a table of named
 * tensors (vae_tensor, data pointing into the model). */
typedef struct {
    const char *name, *want; /* the key, and what its value must be (for the message) */
} vae_st_key;
/* Parses the value v of keys[key] into arch; 0 on success. */
typedef int (*vae_st_key_fn)(const vae_json *j, int key, int v, void *arch);
/* Every key of json through value, each at most once and the first
 * n_required present (n_keys <= 32); messages start with "<what> metadata:".
 * The caller judges the ranges. */
vae_status vae_st_arch_keys(const char *json, size_t len, const vae_st_key *keys, int n_keys, int n_required,
                            vae_st_key_fn value, void *arch, const char *what, vae_error *err);
/* The architecture JSON of f (its VAE_METADATA_KEY entry); NULL, err
 * VAE_ERR_METADATA, when it has none (not a vae-wasm model file). */
const char *vae_st_arch_meta(const vae_st_file *f, vae_error *err);
/* The end of writing an architecture's JSON into buf[cap] (pos bytes
 * wanted): an error, and buf "", when it did not fit. */
vae_status vae_st_arch_json_end(char *buf, size_t cap, size_t pos, vae_error *err);
/* 1 if buf is a safetensors file whose architecture says "model":kind. */
int vae_st_model_kind(const uint8_t *buf, size_t len, const char *kind);
/* A hostile header can name a huge model: no large allocation for a file
 * that cannot hold `need` weights (small ones get the per-tensor diagnosis). */
vae_status vae_st_check_values(const vae_st_file *f, uint64_t need, vae_error *err);
/* Fills the nt (<= 64) tensors from the file: each exactly there, shapes
 * checked, values finite; a tensor not in the table is not part of "what". */
vae_status vae_st_load_table(const vae_st_file *f, const vae_tensor *t, int nt, const char *what, vae_error *err);
/* The file of the tensors (F32 or F16) with the architecture under
 * VAE_METADATA_KEY and meta_kv's pairs; *out is malloc'd. */
vae_status vae_st_save_table(const vae_tensor *t, int nt, vae_dtype dtype, const char *arch_json,
                             const char *const *meta_kv, int n_meta, uint8_t **out, size_t *out_len, vae_error *err);

#endif
