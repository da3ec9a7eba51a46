/* safetensors reading and writing from memory, and the small strict JSON layer
 * (over jsmn) that the header and the architecture metadata share.
 *
 * File layout: u64 little-endian header length N, N bytes of JSON header
 * {"__metadata__":{str:str,...}, "name":{"dtype":"F32","shape":[...],
 *  "data_offsets":[begin,end]}, ...}, then the data section; offsets are
 * bytes relative to the start of the data section. */
#ifndef VAE_SAFETENSORS_H
#define VAE_SAFETENSORS_H

#include "internal.h"

#define VAE_ST_MAX_HEADER (100u * 1000u * 1000u) /* bytes of JSON header */
#define VAE_ST_MAX_DIMS 8

/* ---------------------------------------------------------------- JSON */

/* A parsed, syntax-checked JSON document. Values are addressed by index:
 * 0 is the root; children follow their parent (pre-order). */
typedef struct vae_json vae_json;

typedef enum { VAE_JSON_OBJECT, VAE_JSON_ARRAY, VAE_JSON_STRING, VAE_JSON_PRIMITIVE } vae_json_kind;

/* Parses js[0..len) strictly (RFC 8259 syntax, UTF-8 strings, one value).
 * Failures return `code` with a message starting with `what`. */
vae_status vae_json_parse(vae_json **out, const char *js, size_t len, vae_status code, const char *what,
                          vae_error *err);
void vae_json_free(vae_json *j);

vae_json_kind vae_json_kind_of(const vae_json *j, int v);
/* Members of an object, elements of an array. */
int vae_json_count(const vae_json *j, int v);
/* Iterating children: first child of a container, then the one after v
 * (skipping v's subtree). An object's children are its keys: a key's value is
 * key + 1, and next(key) skips key and value together. */
int vae_json_first(const vae_json *j, int v);
int vae_json_next(const vae_json *j, int v);

/* String value unescaped into buf (NUL-terminated). Returns its length, or -1
 * if v is not a string, contains U+0000 or does not fit in cap. */
int vae_json_string(const vae_json *j, int v, char *buf, size_t cap);
/* 1 if string v unescapes to exactly s. */
int vae_json_string_eq(const vae_json *j, int v, const char *s);
/* A non-negative integer literal (no sign, fraction or exponent) <= max. 0 on success. */
int vae_json_uint(const vae_json *j, int v, uint64_t max, uint64_t *out);
/* Any JSON number that is finite as a float. 0 on success. */
int vae_json_float(const vae_json *j, int v, float *out);
/* s[0..n) as a JSON number, rounded to float; -1 if malformed or out of range. */
int vae_json_parse_float(const char *s, int n, float *out);
/* true / false. 0 on success. */
int vae_json_bool(const vae_json *j, int v, int *out);

/* Appends s to buf[*pos..cap) as a quoted, escaped JSON string; keeps
 * buf NUL-terminated. Returns -1 (and leaves *pos past cap) when it does not fit. */
int vae_json_put_string(char *buf, size_t cap, size_t *pos, const char *s);

/* 1 if s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int vae_utf8_valid(const char *s, size_t len);

/* ---------------------------------------------------------------- safetensors */

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
    vae_st_tensor *tensors;   /* in header order */
    int n_meta;
    const char **meta;        /* key0, value0, key1, value1, ... */
    const uint8_t *data;      /* the data section, inside the caller's buffer */
    size_t data_len;
    char *strings;            /* owns every name, key and value */
} vae_st_file;

size_t vae_dtype_size(vae_dtype d);
/* s for an error message: control characters as '?', cut to cap with "...". */
const char *vae_st_printable(const char *s, char *buf, size_t cap);
const char *vae_dtype_name(vae_dtype d); /* "F32", "F16", "BF16" */

/* Parses and checks the whole file (header, dtypes, offsets, layout, metadata).
 * f borrows buf for `data`; release with vae_st_free. */
vae_status vae_st_parse(vae_st_file *f, const uint8_t *buf, size_t len, vae_error *err);
void vae_st_free(vae_st_file *f);
/* The metadata value for key, or NULL. */
const char *vae_st_meta(const vae_st_file *f, const char *key);
/* Decodes tensor t (any supported dtype, little-endian) into dst[t->numel]. */
void vae_st_read_f32(const vae_st_file *f, const vae_st_tensor *t, float *dst);

/* One tensor to write: f32 values stored as the file's dtype. */
typedef struct {
    const char *name;
    int ndim;
    uint64_t shape[VAE_ST_MAX_DIMS];
    const float *data; /* product(shape) values */
} vae_st_entry;

/* Writes the entries in the given order, contiguous, as dtype (F32 or F16),
 * with metadata meta_kv (n_meta key/value pairs, interleaved). The header is
 * padded with spaces so the data section starts 8-byte aligned.
 * *out is malloc'd. Bad names or metadata return VAE_ERR_ARG. */
vae_status vae_st_write(const vae_st_entry *t, int n, vae_dtype dtype, const char *const *meta_kv, int n_meta,
                        uint8_t **out, size_t *out_len, vae_error *err);

#endif
