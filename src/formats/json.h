/* A small strict JSON layer over jsmn, shared by the safetensors header and
 * the architecture metadata: RFC 8259 syntax, UTF-8 strings, one value. */
#ifndef VAE_JSON_H
#define VAE_JSON_H

#include <string.h>

#include "internal.h"

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

/* Appends the shortest %g of f that reads back as the same float (0.01f as
 * 0.01). Inline: each caller compiles its own, as the page's wasm budget
 * wants (a shared function there costs bytes). */
static inline void vae_json_put_float(char *buf, size_t cap, size_t *pos, float f) {
    char tmp[32];
    for (int p = 1; p <= 9; p++) {
        float back;
        vae_format(tmp, sizeof tmp, "%.*g", p, f);
        if (vae_json_parse_float(tmp, (int)strlen(tmp), &back) == 0 && back == f) break;
    }
    vae_append(buf, cap, pos, "%s", tmp);
}

/* 1 if s is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
int vae_utf8_valid(const char *s, size_t len);

#endif
