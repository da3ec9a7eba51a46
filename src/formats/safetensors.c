/* safetensors parsing and writing (safetensors.h). */
#include <stdlib.h>
#include <string.h>

#include "formats/safetensors.h"

size_t vae_dtype_size(vae_dtype d) { return d == VAE_DTYPE_F32 ? 4 : d == VAE_DTYPE_I8 ? 1 : 2; }

const char *vae_dtype_name(vae_dtype d) {
    return d == VAE_DTYPE_F32    ? "F32"
           : d == VAE_DTYPE_F16  ? "F16"
           : d == VAE_DTYPE_I8   ? "I8"
           : d == VAE_DTYPE_BF16 ? "BF16"
                                 : "Q8";
}

const char *vae_st_printable(const char *s, char *buf, size_t cap) {
    size_t i = 0, n = strlen(s);
    for (; i < n && i + 4 < cap; i++) buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
    if (i < n && cap >= 4) memcpy(buf + (i = cap - 4), "...", 3), i += 3;
    buf[i] = '\0';
    return buf;
}

#define SHOW(s) vae_st_printable((s), (char[48]){0}, 48)

static uint64_t le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* qsort's contract as a heapsort: O(n log n) on any input (a hostile header
 * may list millions of tensors) in a sixth of the C library's wasm code. */
static void swap_bytes(char *a, char *b, size_t size) {
    for (size_t i = 0; i < size; i++) {
        char t = a[i];
        a[i] = b[i];
        b[i] = t;
    }
}

static void sift_down(char *base, size_t size, size_t i, size_t n, int (*cmp)(const void *, const void *)) {
    for (size_t c; (c = 2 * i + 1) < n; i = c) {
        if (c + 1 < n && cmp(base + c * size, base + (c + 1) * size) < 0) c++;
        if (cmp(base + i * size, base + c * size) >= 0) return;
        swap_bytes(base + i * size, base + c * size, size);
    }
}

static void heap_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *)) {
    char *b = base;
    for (size_t i = n / 2; i-- > 0;) sift_down(b, size, i, n, cmp);
    for (size_t end = n; end-- > 1;) {
        swap_bytes(b, b + end * size, size);
        sift_down(b, size, 0, end, cmp);
    }
}

static int cmp_name(const void *a, const void *b) {
    return strcmp((*(const vae_st_tensor *const *)a)->name, (*(const vae_st_tensor *const *)b)->name);
}

static int cmp_offsets(const void *a, const void *b) {
    const vae_st_tensor *x = *(const vae_st_tensor *const *)a, *y = *(const vae_st_tensor *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Unescapes JSON string v into the arena; NULL if it holds U+0000. */
static const char *arena_string(const vae_json *j, int v, char **arena, size_t *left) {
    int n = vae_json_string(j, v, *arena, *left);
    if (n < 0) return NULL;
    const char *s = *arena;
    *arena += n + 1;
    *left -= (size_t)n + 1;
    return s;
}

/* "__metadata__": {str: str, ...}; keys free of control characters. */
static vae_status parse_metadata(vae_st_file *f, const vae_json *j, int v, char **arena, size_t *left, vae_error *err) {
    int n = vae_json_count(j, v);
    if (vae_json_kind_of(j, v) != VAE_JSON_OBJECT)
        return vae_fail(err, VAE_ERR_METADATA, "__metadata__ is not an object of strings");
    f->meta = malloc(((size_t)n * 2 + 1) * sizeof *f->meta);
    if (!f->meta) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %d metadata entries", n);
    for (int i = 0, k = vae_json_first(j, v); i < n; i++, k = vae_json_next(j, k)) {
        const char *key = arena_string(j, k, arena, left), *val;
        if (!key || !*key) return vae_fail(err, VAE_ERR_METADATA, "__metadata__ key %d is empty or contains U+0000", i);
        for (const char *c = key; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                return vae_fail(err, VAE_ERR_METADATA, "__metadata__ key \"%s\" contains a control character",
                                SHOW(key));
        if (vae_json_kind_of(j, k + 1) != VAE_JSON_STRING)
            return vae_fail(err, VAE_ERR_METADATA, "__metadata__ value of \"%s\" is not a string", SHOW(key));
        if (!(val = arena_string(j, k + 1, arena, left)))
            return vae_fail(err, VAE_ERR_METADATA, "__metadata__ value of \"%s\" contains U+0000", SHOW(key));
        f->meta[2 * f->n_meta] = key;
        f->meta[2 * f->n_meta + 1] = val;
        f->n_meta++;
    }
    return VAE_OK;
}

/* {"dtype": "F32", "shape": [d0, ...], "data_offsets": [begin, end]} */
static vae_status parse_tensor(vae_st_tensor *t, const vae_json *j, int v, size_t data_len, vae_error *err) {
    const char *nm = SHOW(t->name);
    int have_dtype = 0, have_shape = 0, have_offsets = 0;
    uint64_t off[2] = {0, 0};
    if (vae_json_kind_of(j, v) != VAE_JSON_OBJECT)
        return vae_fail(err, VAE_ERR_JSON, "tensor \"%s\": entry is not an object", nm);
    for (int i = 0, k = vae_json_first(j, v); i < vae_json_count(j, v); i++, k = vae_json_next(j, k)) {
        int val = k + 1;
        if (vae_json_string_eq(j, k, "dtype") && !have_dtype++) {
            char dt[16];
            if (vae_json_kind_of(j, val) != VAE_JSON_STRING)
                return vae_fail(err, VAE_ERR_JSON, "tensor \"%s\": dtype is not a string", nm);
            if (vae_json_string(j, val, dt, sizeof dt) < 0) dt[0] = '\0';
            if (!strcmp(dt, "F32"))
                t->dtype = VAE_DTYPE_F32;
            else if (!strcmp(dt, "F16"))
                t->dtype = VAE_DTYPE_F16;
            else if (!strcmp(dt, "BF16"))
                t->dtype = VAE_DTYPE_BF16;
            else if (!strcmp(dt, "I8"))
                t->dtype = VAE_DTYPE_I8;
            else
                return vae_fail(err, VAE_ERR_DTYPE, "tensor \"%s\": dtype \"%s\" is not supported (F32, F16, BF16, I8)",
                                nm, SHOW(dt));
        } else if (vae_json_string_eq(j, k, "shape") && !have_shape++) {
            int n = vae_json_count(j, val);
            if (vae_json_kind_of(j, val) != VAE_JSON_ARRAY || n > VAE_ST_MAX_DIMS)
                return vae_fail(err, VAE_ERR_JSON, "tensor \"%s\": shape is not an array of at most %d integers", nm,
                                VAE_ST_MAX_DIMS);
            t->ndim = n;
            for (int d = 0; d < n; d++)
                if (vae_json_uint(j, val + 1 + d, UINT64_MAX, &t->shape[d]))
                    return vae_fail(err, VAE_ERR_JSON, "tensor \"%s\": shape[%d] is not a non-negative integer", nm, d);
        } else if (vae_json_string_eq(j, k, "data_offsets") && !have_offsets++) {
            if (vae_json_kind_of(j, val) != VAE_JSON_ARRAY || vae_json_count(j, val) != 2 ||
                vae_json_uint(j, val + 1, UINT64_MAX, &off[0]) || vae_json_uint(j, val + 2, UINT64_MAX, &off[1]))
                return vae_fail(err, VAE_ERR_JSON, "tensor \"%s\": data_offsets is not [begin, end]", nm);
        } else {
            char key[32];
            if (vae_json_string(j, k, key, sizeof key) < 0) strcpy(key, "?");
            return vae_fail(err, VAE_ERR_JSON, "tensor \"%s\": unexpected or duplicate field \"%s\"", nm, SHOW(key));
        }
    }
    if (!have_dtype || !have_shape || !have_offsets)
        return vae_fail(err, VAE_ERR_JSON, "tensor \"%s\": missing %s", nm,
                        !have_dtype   ? "dtype"
                        : !have_shape ? "shape"
                                      : "data_offsets");
    if (off[0] > off[1])
        return vae_fail(err, VAE_ERR_OFFSETS, "tensor \"%s\": data_offsets [%llu, %llu] begin after they end", nm,
                        (unsigned long long)off[0], (unsigned long long)off[1]);
    if (off[1] > data_len)
        return vae_fail(err, VAE_ERR_OFFSETS,
                        "tensor \"%s\": data_offsets [%llu, %llu] outside the %zu-byte data section", nm,
                        (unsigned long long)off[0], (unsigned long long)off[1], data_len);
    /* Element count times element size must equal the span; the product can
     * only be checked once it is known not to overflow. */
    uint64_t bytes = vae_dtype_size(t->dtype), span = off[1] - off[0];
    for (int d = 0; d < t->ndim && bytes <= span; d++) {
        if (t->shape[d] != 0 && bytes > UINT64_MAX / t->shape[d])
            bytes = UINT64_MAX;
        else
            bytes *= t->shape[d];
    }
    if (bytes != span)
        return vae_fail(err, VAE_ERR_OFFSETS,
                        "tensor \"%s\": data_offsets span %llu bytes but shape and dtype need %s%llu", nm,
                        (unsigned long long)span, bytes > span ? "more than " : "",
                        (unsigned long long)(bytes > span ? span : bytes));
    t->begin = (size_t)off[0];
    t->end = (size_t)off[1];
    t->numel = (size_t)(span / vae_dtype_size(t->dtype));
    return VAE_OK;
}

/* Tensors must tile the data section exactly, in some order. */
static vae_status check_layout(vae_st_file *f, const vae_st_tensor **by, vae_error *err) {
    size_t pos = 0;
    heap_sort(by, (size_t)f->n_tensors, sizeof *by, cmp_offsets);
    for (int i = 0; i < f->n_tensors; i++) {
        if (by[i]->begin < pos)
            return vae_fail(err, VAE_ERR_LAYOUT, "tensor \"%s\" overlaps the tensor before it (bytes %zu..%zu)",
                            SHOW(by[i]->name), by[i]->begin, pos);
        if (by[i]->begin > pos)
            return vae_fail(err, VAE_ERR_LAYOUT, "bytes %zu..%zu of the data section belong to no tensor", pos,
                            by[i]->begin);
        pos = by[i]->end;
    }
    if (pos != f->data_len)
        return vae_fail(err, VAE_ERR_LAYOUT, "bytes %zu..%zu of the data section belong to no tensor", pos,
                        f->data_len);
    return VAE_OK;
}

static vae_status check_unique(vae_st_file *f, const vae_st_tensor **by, vae_error *err) {
    heap_sort(by, (size_t)f->n_tensors, sizeof *by, cmp_name);
    for (int i = 1; i < f->n_tensors; i++)
        if (!strcmp(by[i - 1]->name, by[i]->name))
            return vae_fail(err, VAE_ERR_JSON, "duplicate tensor \"%s\"", SHOW(by[i]->name));
    /* Metadata keys are the even entries; sorting pairs by key keeps values with them. */
    const char **keys = malloc(((size_t)f->n_meta + 1) * sizeof *keys);
    if (!keys) return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < f->n_meta; i++) keys[i] = f->meta[2 * i];
    heap_sort(keys, (size_t)f->n_meta, sizeof *keys, cmp_str);
    for (int i = 1; i < f->n_meta; i++)
        if (!strcmp(keys[i - 1], keys[i])) {
            vae_fail(err, VAE_ERR_JSON, "duplicate __metadata__ key \"%s\"", SHOW(keys[i]));
            free(keys);
            return VAE_ERR_JSON;
        }
    free(keys);
    return VAE_OK;
}

/* The string arena holds header_len + 1 bytes: every unescaped string fits. */
static vae_status parse_entries(vae_st_file *f, const vae_json *j, size_t header_len, vae_error *err) {
    int n = vae_json_count(j, 0), have_meta = 0;
    size_t left = header_len + 1;
    char *arena = f->strings;
    vae_status s;
    if (vae_json_kind_of(j, 0) != VAE_JSON_OBJECT) return vae_fail(err, VAE_ERR_JSON, "header is not a JSON object");
    f->tensors = calloc((size_t)n + 1, sizeof *f->tensors);
    if (!f->tensors) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %d tensors", n);
    for (int i = 0, k = vae_json_first(j, 0); i < n; i++, k = vae_json_next(j, k)) {
        const char *name = arena_string(j, k, &arena, &left);
        if (!name) return vae_fail(err, VAE_ERR_JSON, "header key %d contains U+0000", i);
        if (!strcmp(name, "__metadata__")) {
            if (have_meta++) return vae_fail(err, VAE_ERR_JSON, "duplicate key \"__metadata__\"");
            s = parse_metadata(f, j, k + 1, &arena, &left, err);
        } else {
            vae_st_tensor *t = &f->tensors[f->n_tensors++];
            t->name = name;
            s = parse_tensor(t, j, k + 1, f->data_len, err);
        }
        if (s) return s;
    }
    const vae_st_tensor **by = malloc(((size_t)f->n_tensors + 1) * sizeof *by);
    if (!by) return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    for (int i = 0; i < f->n_tensors; i++) by[i] = &f->tensors[i];
    s = check_unique(f, by, err);
    if (!s) s = check_layout(f, by, err);
    free(by);
    return s;
}

vae_status vae_st_parse(vae_st_file *f, const uint8_t *buf, size_t len, vae_error *err) {
    vae_json *j = NULL;
    vae_status s;
    memset(f, 0, sizeof *f);
    if (!buf && len) return vae_fail(err, VAE_ERR_ARG, "NULL buffer");
    if (len < 8)
        return vae_fail(err, VAE_ERR_TRUNCATED, "file of %zu bytes is shorter than the 8-byte header length", len);
    uint64_t n = le64(buf);
    if (n > VAE_ST_MAX_HEADER) { /* text (a Git LFS pointer, HTML), an image, a gzip file...: say so */
        char start[9] = {0};
        memcpy(start, buf, 8);
        return vae_fail(err, VAE_ERR_HEADER_SIZE,
                        "not a safetensors file: it starts with \"%s\", not an 8-byte header length", SHOW(start));
    }
    if (n > len - 8)
        return vae_fail(err, VAE_ERR_HEADER_SIZE, "header length %llu runs past the end of the %zu-byte file",
                        (unsigned long long)n, len);
    f->data = buf + 8 + n;
    f->data_len = len - 8 - (size_t)n;
    s = vae_json_parse(&j, (const char *)buf + 8, (size_t)n, VAE_ERR_JSON, "safetensors header", err);
    /* Unescaped strings plus their NULs never outgrow the quoted originals. */
    if (!s && !(f->strings = malloc((size_t)n + 1))) s = vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    if (!s) s = parse_entries(f, j, (size_t)n, err);
    vae_json_free(j);
    if (s) {
        vae_st_free(f);
        return s;
    }
    return vae_ok(err);
}

void vae_st_free(vae_st_file *f) {
    free(f->tensors);
    free(f->meta);
    free(f->strings);
    memset(f, 0, sizeof *f);
}

const char *vae_st_meta(const vae_st_file *f, const char *key) {
    for (int i = 0; i < f->n_meta; i++)
        if (!strcmp(f->meta[2 * i], key)) return f->meta[2 * i + 1];
    return NULL;
}

void vae_st_read_f32(const vae_st_file *f, const vae_st_tensor *t, float *dst) {
    const uint8_t *p = f->data + t->begin;
    for (size_t i = 0; i < t->numel; i++) {
        if (t->dtype == VAE_DTYPE_F32) {
            uint32_t x = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
                         (uint32_t)p[4 * i + 3] << 24;
            memcpy(&dst[i], &x, sizeof x);
        } else if (t->dtype == VAE_DTYPE_I8) {
            dst[i] = (float)(int8_t)p[i];
        } else {
            uint16_t h = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
            dst[i] = t->dtype == VAE_DTYPE_F16 ? vae_f16_to_f32(h) : vae_bf16_to_f32(h);
        }
    }
}

/* ----------------------------------------------------------------- writer */

/* Names and metadata: UTF-8; keys non-empty and without control characters. */
static int string_ok(const char *s, int is_key) {
    if (!s || (is_key && !*s) || !vae_utf8_valid(s, strlen(s))) return 0;
    for (; is_key && *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return 0;
    return 1;
}

static vae_status check_entries(const vae_st_entry *t, int n, vae_dtype dtype, const char *const *kv, int n_meta,
                                size_t *nbytes, size_t *strbytes, vae_error *err) {
    *nbytes = *strbytes = 0;
    if (dtype != VAE_DTYPE_F32 && dtype != VAE_DTYPE_F16)
        return vae_fail(err, VAE_ERR_ARG, "can only write F32 or F16, not %d", (int)dtype);
    if (n < 0 || n_meta < 0 || (n_meta && !kv)) return vae_fail(err, VAE_ERR_ARG, "bad tensor or metadata count");
    *nbytes = *strbytes = 0;
    for (int i = 0; i < n_meta; i++) {
        if (!string_ok(kv[2 * i], 1) || !string_ok(kv[2 * i + 1], 0))
            return vae_fail(err, VAE_ERR_ARG, "metadata pair %d: key or value is not a valid UTF-8 string", i);
        for (int k = 0; k < i; k++)
            if (!strcmp(kv[2 * k], kv[2 * i]))
                return vae_fail(err, VAE_ERR_ARG, "duplicate metadata key \"%s\"", SHOW(kv[2 * i]));
        *strbytes += strlen(kv[2 * i]) + strlen(kv[2 * i + 1]);
    }
    for (int i = 0; i < n; i++) {
        size_t numel = 1;
        if (!string_ok(t[i].name, 1) || !strcmp(t[i].name, "__metadata__"))
            return vae_fail(err, VAE_ERR_ARG, "tensor %d: invalid name", i);
        if (t[i].ndim < 0 || t[i].ndim > VAE_ST_MAX_DIMS)
            return vae_fail(err, VAE_ERR_ARG, "tensor \"%s\": %d dimensions", SHOW(t[i].name), t[i].ndim);
        for (int d = 0; d < t[i].ndim; d++) {
            if (t[i].shape[d] && numel > SIZE_MAX / 4 / t[i].shape[d])
                return vae_fail(err, VAE_ERR_ARG, "tensor \"%s\": too large", SHOW(t[i].name));
            numel *= (size_t)t[i].shape[d];
        }
        for (int k = 0; k < i; k++)
            if (!strcmp(t[k].name, t[i].name))
                return vae_fail(err, VAE_ERR_ARG, "duplicate tensor \"%s\"", SHOW(t[i].name));
        if (numel && !t[i].data && !t[i].q8)
            return vae_fail(err, VAE_ERR_ARG, "tensor \"%s\": NULL data", SHOW(t[i].name));
        if (numel * 4 > SIZE_MAX / 2 - *nbytes) return vae_fail(err, VAE_ERR_ARG, "tensors too large");
        *nbytes += numel * (t[i].q8 ? 1 : vae_dtype_size(dtype));
        *strbytes += strlen(t[i].name);
    }
    return VAE_OK;
}

vae_status vae_st_write(const vae_st_entry *t, int n, vae_dtype dtype, const char *const *kv, int n_meta, uint8_t **out,
                        size_t *out_len, vae_error *err) {
    size_t data_bytes, str_bytes, pos = 0, off = 0;
    vae_status s = check_entries(t, n, dtype, kv, n_meta, &data_bytes, &str_bytes, err);
    if (s) return s;
    /* Every string escapes to at most 6 bytes a byte; the fixed JSON per tensor
     * and the numbers (<= 20 digits each) fit in 64 + 24 per number. */
    size_t cap = 6 * str_bytes + (size_t)(n + n_meta) * (64 + 24 * (VAE_ST_MAX_DIMS + 2)) + 64;
    char *hdr = malloc(cap);
    if (!hdr) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for the header");
    vae_append(hdr, cap, &pos, "{");
    if (n_meta) {
        vae_append(hdr, cap, &pos, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            vae_append(hdr, cap, &pos, i ? "," : "");
            vae_json_put_string(hdr, cap, &pos, kv[2 * i]);
            vae_append(hdr, cap, &pos, ":");
            vae_json_put_string(hdr, cap, &pos, kv[2 * i + 1]);
        }
        vae_append(hdr, cap, &pos, "}");
    }
    for (int i = 0; i < n; i++) {
        vae_dtype dt = t[i].q8 ? VAE_DTYPE_I8 : dtype;
        size_t bytes = vae_dtype_size(dt);
        for (int d = 0; d < t[i].ndim; d++) bytes *= (size_t)t[i].shape[d];
        vae_append(hdr, cap, &pos, "%s", n_meta || i ? "," : "");
        vae_json_put_string(hdr, cap, &pos, t[i].name);
        vae_append(hdr, cap, &pos, ":{\"dtype\":\"%s\",\"shape\":[", vae_dtype_name(dt));
        for (int d = 0; d < t[i].ndim; d++)
            vae_append(hdr, cap, &pos, "%s%llu", d ? "," : "", (unsigned long long)t[i].shape[d]);
        vae_append(hdr, cap, &pos, "],\"data_offsets\":[%zu,%zu]}", off, off + bytes);
        off += bytes;
    }
    vae_append(hdr, cap, &pos, "}");
    if (pos >= cap) { /* cannot happen with the bound above; never write past it */
        free(hdr);
        return vae_fail(err, VAE_ERR_ARG, "header larger than estimated");
    }
    size_t hlen = pos + (8 - (8 + pos) % 8) % 8; /* pad with spaces: data starts 8-aligned */
    if (hlen > VAE_ST_MAX_HEADER || data_bytes > SIZE_MAX - 8 - hlen) {
        free(hdr);
        return vae_fail(err, VAE_ERR_ARG, "file too large");
    }
    uint8_t *buf = malloc(8 + hlen + data_bytes);
    if (!buf) {
        free(hdr);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for a %zu-byte file", 8 + hlen + data_bytes);
    }
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)((uint64_t)hlen >> (8 * i));
    memcpy(buf + 8, hdr, pos);
    memset(buf + 8 + pos, ' ', hlen - pos);
    free(hdr);
    uint8_t *p = buf + 8 + hlen;
    for (int i = 0; i < n; i++) {
        size_t numel = 1;
        for (int d = 0; d < t[i].ndim; d++) numel *= (size_t)t[i].shape[d];
        for (size_t e = 0; e < numel; e++) {
            if (t[i].q8) {
                *p++ = (uint8_t)t[i].q8[e];
            } else if (dtype == VAE_DTYPE_F32) {
                uint32_t x;
                memcpy(&x, &t[i].data[e], sizeof x);
                for (int b = 0; b < 4; b++) *p++ = (uint8_t)(x >> (8 * b));
            } else {
                uint16_t h = vae_f32_to_f16(t[i].data[e]);
                *p++ = (uint8_t)h;
                *p++ = (uint8_t)(h >> 8);
            }
        }
    }
    *out = buf;
    *out_len = 8 + hlen + data_bytes;
    return vae_ok(err);
}
