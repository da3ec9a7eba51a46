/* safetensors parsing/writing and the strict JSON layer over jsmn.
 * This is the only file that includes jsmn.h: JSMN_STATIC keeps its functions
 * private to this object, so nothing else in the library can clash with it. */
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "safetensors.h"

/* ================================================================= JSON */

#define JSON_MAX_TOKENS (1 << 20) /* caps token memory for hostile headers */

struct vae_json {
    const char *js;
    int len;
    int n;
    jsmntok_t *t;
};

static int is_ws(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_digit(char c) {
    return c >= '0' && c <= '9';
}

int vae_utf8_valid(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i++];
        int more;
        unsigned lo = 0x80, hi = 0xbf; /* allowed range of the first continuation byte */
        if (c < 0x80) continue;
        if (c >= 0xc2 && c <= 0xdf) more = 1;
        else if (c == 0xe0) more = 2, lo = 0xa0;            /* no overlongs */
        else if (c == 0xed) more = 2, hi = 0x9f;            /* no surrogates */
        else if (c >= 0xe1 && c <= 0xef) more = 2;
        else if (c == 0xf0) more = 3, lo = 0x90;            /* no overlongs */
        else if (c == 0xf4) more = 3, hi = 0x8f;            /* <= U+10FFFF */
        else if (c >= 0xf1 && c <= 0xf3) more = 3;
        else return 0;
        if ((size_t)more > len - i || s[i] < lo || s[i] > hi) return 0;
        for (int k = 1; k < more; k++)
            if ((s[i + k] & 0xc0) != 0x80) return 0;
        i += (size_t)more;
    }
    return 1;
}

static int hex4(const char *s, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        unsigned d;
        if (is_digit(c)) d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') d = (unsigned)(c - 'A' + 10);
        else return -1;
        v = v * 16 + d;
    }
    *out = v;
    return 0;
}

#define UNESCAPE_BAD (-1) /* malformed escape or lone surrogate */
#define UNESCAPE_NUL (-2) /* well-formed, but contains U+0000 */

/* Unescapes the raw string body s[0..n) into out (if not NULL; no NUL added).
 * Returns the unescaped length, UNESCAPE_BAD or UNESCAPE_NUL. The output is
 * never longer than the input, so out may be sized n. */
static int unescape(const char *s, int n, char *out) {
    int o = 0, has_nul = 0;
    for (int i = 0; i < n;) {
        if (s[i] != '\\') {
            if (out) out[o] = s[i];
            o++, i++;
            continue;
        }
        if (i + 1 >= n) return UNESCAPE_BAD;
        char e = s[i + 1], c;
        i += 2;
        switch (e) {
        case '"': c = '"'; break;
        case '\\': c = '\\'; break;
        case '/': c = '/'; break;
        case 'b': c = '\b'; break;
        case 'f': c = '\f'; break;
        case 'n': c = '\n'; break;
        case 'r': c = '\r'; break;
        case 't': c = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (n - i < 4 || hex4(s + i, &cp)) return UNESCAPE_BAD;
            i += 4;
            if (cp >= 0xdc00 && cp <= 0xdfff) return UNESCAPE_BAD;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                /* \uD8xx\uDCxx: a surrogate pair, 6 more input bytes -> 4 output bytes */
                if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u' || hex4(s + i + 2, &lo) || lo < 0xdc00 ||
                    lo > 0xdfff)
                    return UNESCAPE_BAD;
                i += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0) has_nul = 1;
            unsigned char u[4];
            int k;
            if (cp < 0x80) u[0] = (unsigned char)cp, k = 1;
            else if (cp < 0x800) u[0] = (unsigned char)(0xc0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3f)), k = 2;
            else if (cp < 0x10000)
                u[0] = (unsigned char)(0xe0 | cp >> 12), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)),
                u[2] = (unsigned char)(0x80 | (cp & 0x3f)), k = 3;
            else
                u[0] = (unsigned char)(0xf0 | cp >> 18), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3f)),
                u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3f)), u[3] = (unsigned char)(0x80 | (cp & 0x3f)), k = 4;
            if (out) memcpy(out + o, u, (size_t)k);
            o += k;
            continue;
        }
        default: return UNESCAPE_BAD;
        }
        if (out) out[o] = c;
        o++;
    }
    return has_nul ? UNESCAPE_NUL : o;
}

/* RFC 8259 number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int number_ok(const char *s, int n) {
    int i = 0, d;
    if (i < n && s[i] == '-') i++;
    if (i < n && s[i] == '0') i++;
    else if (i < n && s[i] >= '1' && s[i] <= '9')
        while (i < n && is_digit(s[i])) i++;
    else
        return 0;
    if (i < n && s[i] == '.') {
        for (d = ++i; i < n && is_digit(s[i]);) i++;
        if (i == d) return 0;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        for (d = i; i < n && is_digit(s[i]);) i++;
        if (i == d) return 0;
    }
    return i == n;
}

static int literal_is(const char *s, int n, const char *lit) {
    return (size_t)n == strlen(lit) && memcmp(s, lit, (size_t)n) == 0;
}

/* 1 if js[from..to) is whitespace around exactly one `sep` (only whitespace if sep is 0). */
static int gap_ok(const char *js, int from, int to, char sep) {
    int i = from;
    while (i < to && is_ws(js[i])) i++;
    if (sep) {
        if (i >= to || js[i] != sep) return 0;
        for (i++; i < to && is_ws(js[i]);) i++;
    }
    return i == to;
}

/* jsmn tokenises leniently (it accepts "[1 2]", "[1,]", "{"a"::1}"), so the
 * grammar is enforced here: walking the tokens in source order, the text
 * between consecutive tokens must be exactly the separator the grammar wants,
 * every string must be valid UTF-8 without raw control characters, and every
 * primitive a number, true, false or null. On failure returns the offending
 * byte position and sets *why. */
static int json_check(const vae_json *j, const char **why) {
    typedef struct {
        int tok, items, k; /* container token, children expected, children seen */
    } frame;
    const jsmntok_t *t = j->t;
    const char *js = j->js;
    frame *st = malloc((size_t)j->n * sizeof *st);
    int depth = 0, pos = 0, bad = -1;
    if (!st) {
        *why = "out of memory";
        return 0;
    }
    for (int i = 0; i < j->n && bad < 0; i++) {
        int is_key = 0, is_str = t[i].type == JSMN_STRING;
        int s = t[i].start - is_str, e = t[i].end + is_str;
        char sep = 0;
        if (depth == 0 && i > 0) {
            *why = "more than one top-level value", bad = s;
            break;
        }
        if (depth > 0) {
            frame *f = &st[depth - 1];
            if (t[f->tok].type == JSMN_OBJECT) {
                is_key = f->k % 2 == 0;
                sep = is_key ? (f->k ? ',' : 0) : ':';
            } else {
                sep = f->k ? ',' : 0;
            }
            f->k++;
        }
        if (!gap_ok(js, pos, s, sep)) {
            *why = sep == ':' ? "expected ':'" : sep == ',' ? "expected ','" : "unexpected character", bad = pos;
            break;
        }
        if (is_key && !is_str) {
            *why = "object key is not a string", bad = s;
            break;
        }
        if (t[i].type == JSMN_OBJECT || t[i].type == JSMN_ARRAY) {
            int items = t[i].size * (t[i].type == JSMN_OBJECT ? 2 : 1);
            st[depth++] = (frame){i, items, 0};
            pos = s + 1;
        } else {
            const char *body = js + t[i].start;
            int n = t[i].end - t[i].start;
            if (t[i].size != is_key) {
                *why = is_key ? "expected ':' after key" : "misplaced ':'", bad = e;
                break;
            }
            if (is_str) {
                for (int k = 0; k < n && bad < 0; k++)
                    if ((unsigned char)body[k] < 0x20) *why = "control character in string", bad = t[i].start + k;
                if (bad < 0 && !vae_utf8_valid(body, (size_t)n)) *why = "string is not valid UTF-8", bad = s;
                if (bad < 0 && unescape(body, n, NULL) == UNESCAPE_BAD) *why = "bad escape in string", bad = s;
            } else if (!number_ok(body, n) && !literal_is(body, n, "true") && !literal_is(body, n, "false") &&
                       !literal_is(body, n, "null")) {
                *why = "invalid literal", bad = s;
            }
            pos = e;
        }
        /* Close every container whose children are all seen. */
        while (bad < 0 && depth > 0 && st[depth - 1].k == st[depth - 1].items) {
            const jsmntok_t *c = &t[st[depth - 1].tok];
            if (!gap_ok(js, pos, c->end - 1, 0)) *why = "expected ',' or end of container", bad = pos;
            pos = c->end;
            depth--;
        }
    }
    if (bad < 0 && depth > 0) *why = "unexpected end", bad = j->len;
    if (bad < 0 && !gap_ok(js, pos, j->len, 0)) *why = "trailing characters", bad = pos;
    free(st);
    if (bad >= 0) return bad + 1;
    return 0;
}

vae_status vae_json_parse(vae_json **out, const char *js, size_t len, vae_status code, const char *what,
                          vae_error *err) {
    jsmn_parser p;
    vae_json *j;
    int n, r;
    *out = NULL;
    if (len > VAE_ST_MAX_HEADER) return vae_fail(err, code, "%s: JSON of %zu bytes is too long", what, len);
    jsmn_init(&p);
    n = jsmn_parse(&p, js, len, NULL, 0);
    if (n < 0) return vae_fail(err, code, "%s: malformed JSON near byte %u", what, p.pos);
    if (n == 0) return vae_fail(err, code, "%s: empty JSON", what);
    if (n > JSON_MAX_TOKENS) return vae_fail(err, code, "%s: JSON has over %d values", what, JSON_MAX_TOKENS);
    j = calloc(1, sizeof *j);
    if (!j || !(j->t = malloc((size_t)n * sizeof *j->t))) {
        free(j);
        return vae_fail(err, VAE_ERR_NOMEM, "%s: out of memory for %d JSON tokens", what, n);
    }
    j->js = js, j->len = (int)len;
    jsmn_init(&p);
    r = jsmn_parse(&p, js, len, j->t, (unsigned)n);
    if (r < 0) {
        vae_json_free(j);
        return vae_fail(err, code, "%s: malformed JSON near byte %u", what, p.pos);
    }
    j->n = r;
    const char *why = "";
    int at = r > 0 ? json_check(j, &why) : 1;
    if (at) {
        vae_json_free(j);
        return vae_fail(err, code, "%s: malformed JSON at byte %d: %s", what, at - 1, r > 0 ? why : "empty");
    }
    *out = j;
    return VAE_OK;
}

void vae_json_free(vae_json *j) {
    if (!j) return;
    free(j->t);
    free(j);
}

vae_json_kind vae_json_kind_of(const vae_json *j, int v) {
    switch (j->t[v].type) {
    case JSMN_OBJECT: return VAE_JSON_OBJECT;
    case JSMN_ARRAY: return VAE_JSON_ARRAY;
    case JSMN_STRING: return VAE_JSON_STRING;
    default: return VAE_JSON_PRIMITIVE;
    }
}

int vae_json_count(const vae_json *j, int v) {
    return j->t[v].type == JSMN_OBJECT || j->t[v].type == JSMN_ARRAY ? j->t[v].size : 0;
}

int vae_json_first(const vae_json *j, int v) {
    (void)j;
    return v + 1;
}

int vae_json_next(const vae_json *j, int v) {
    /* Pre-order: a token's subtree is it plus, recursively, `size` children
     * (an object's keys each own their value). */
    int pending = 1;
    while (pending > 0 && v < j->n) pending += j->t[v++].size - 1;
    return v;
}

int vae_json_string(const vae_json *j, int v, char *buf, size_t cap) {
    const jsmntok_t *t = &j->t[v];
    if (t->type != JSMN_STRING) return -1;
    int n = unescape(j->js + t->start, t->end - t->start, NULL);
    if (n < 0 || (size_t)n >= cap) return -1;
    unescape(j->js + t->start, t->end - t->start, buf);
    buf[n] = '\0';
    return n;
}

int vae_json_string_eq(const vae_json *j, int v, const char *s) {
    const jsmntok_t *t = &j->t[v];
    const char *raw = j->js + t->start;
    size_t n = (size_t)(t->end - t->start);
    char tmp[256];
    if (t->type != JSMN_STRING) return 0;
    if (!memchr(raw, '\\', n)) return n == strlen(s) && memcmp(raw, s, n) == 0;
    return vae_json_string(j, v, tmp, sizeof tmp) >= 0 && strcmp(tmp, s) == 0;
}

int vae_json_uint(const vae_json *j, int v, uint64_t max, uint64_t *out) {
    const jsmntok_t *t = &j->t[v];
    const char *s = j->js + t->start;
    int n = t->end - t->start;
    uint64_t x = 0;
    if (t->type != JSMN_PRIMITIVE || n < 1 || (n > 1 && s[0] == '0')) return -1;
    for (int i = 0; i < n; i++) {
        if (!is_digit(s[i])) return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (x > (max - d) / 10) return -1;
        x = x * 10 + d;
    }
    *out = x;
    return 0;
}

/* A JSON number (grammar already checked) to the nearest float, without the
 * C library's strtof, whose long-double machinery would double the size of
 * the WebAssembly module. Up to 19 significant digits go into an exact
 * integer; one multiplication or division by an exact power of ten (10^0..
 * 10^22) rounds once to double, then to float. Longer or more extreme
 * numbers are within an ulp, which is all metadata ever needs. */
int vae_json_parse_float(const char *s, int n, float *out) {
    static const double p10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    int i = 0, neg = 0, digits = 0, exp10 = 0;
    uint64_t mant = 0;
    if (!number_ok(s, n)) return -1;
    if (s[i] == '-') neg = 1, i++;
    for (int frac = 0; i < n && (is_digit(s[i]) || s[i] == '.'); i++) {
        if (s[i] == '.') {
            frac = 1;
            continue;
        }
        if (digits < 19) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            if (mant) digits++;
            exp10 -= frac;
        } else {
            exp10 += !frac; /* dropped integer digit */
        }
    }
    if (i < n) { /* exponent */
        int e = 0, eneg = s[++i] == '-';
        if (s[i] == '-' || s[i] == '+') i++;
        for (; i < n; i++) e = e < 100000 ? e * 10 + (s[i] - '0') : e;
        exp10 += eneg ? -e : e;
    }
    double v = (double)mant;
    for (; exp10 > 22 && v != 0 && v < 1e300; exp10 -= 22) v *= 1e22;
    for (; exp10 < -22 && v != 0; exp10 += 22) v /= 1e22;
    v = exp10 >= 0 ? v * p10[exp10 < 22 ? exp10 : 22] : v / p10[-exp10];
    float f = (float)(neg ? -v : v);
    if (f - f != 0) return -1; /* overflowed to inf */
    *out = f;
    return 0;
}

int vae_json_float(const vae_json *j, int v, float *out) {
    const jsmntok_t *t = &j->t[v];
    if (t->type != JSMN_PRIMITIVE) return -1;
    return vae_json_parse_float(j->js + t->start, t->end - t->start, out);
}

int vae_json_bool(const vae_json *j, int v, int *out) {
    const jsmntok_t *t = &j->t[v];
    const char *s = j->js + t->start;
    int n = t->end - t->start;
    if (t->type != JSMN_PRIMITIVE) return -1;
    if (literal_is(s, n, "true")) *out = 1;
    else if (literal_is(s, n, "false")) *out = 0;
    else return -1;
    return 0;
}

int vae_json_put_string(char *buf, size_t cap, size_t *pos, const char *s) {
    static const char hex[] = "0123456789abcdef";
    size_t p = *pos;
    /* Worst case: every byte becomes \u00XX, plus the quotes and the NUL. */
    size_t need = 6 * strlen(s) + 3;
    if (p > cap || need > cap - p) {
        *pos = cap + 1;
        return -1;
    }
    buf[p++] = '"';
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[p++] = '\\';
            buf[p++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(buf + p, "\\u00", 4);
            buf[p + 4] = hex[c >> 4];
            buf[p + 5] = hex[c & 15];
            p += 6;
        } else {
            buf[p++] = (char)c;
        }
    }
    buf[p++] = '"';
    buf[p] = '\0';
    *pos = p;
    return 0;
}

/* ================================================================= safetensors */

size_t vae_dtype_size(vae_dtype d) {
    return d == VAE_DTYPE_F32 ? 4 : 2;
}

const char *vae_dtype_name(vae_dtype d) {
    return d == VAE_DTYPE_F32 ? "F32" : d == VAE_DTYPE_F16 ? "F16" : "BF16";
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

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

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
static vae_status parse_metadata(vae_st_file *f, const vae_json *j, int v, char **arena, size_t *left,
                                 vae_error *err) {
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
            if (!strcmp(dt, "F32")) t->dtype = VAE_DTYPE_F32;
            else if (!strcmp(dt, "F16")) t->dtype = VAE_DTYPE_F16;
            else if (!strcmp(dt, "BF16")) t->dtype = VAE_DTYPE_BF16;
            else
                return vae_fail(err, VAE_ERR_DTYPE, "tensor \"%s\": dtype \"%s\" is not supported (F32, F16, BF16)",
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
                        !have_dtype ? "dtype" : !have_shape ? "shape" : "data_offsets");
    if (off[0] > off[1])
        return vae_fail(err, VAE_ERR_OFFSETS, "tensor \"%s\": data_offsets [%llu, %llu] begin after they end", nm,
                        (unsigned long long)off[0], (unsigned long long)off[1]);
    if (off[1] > data_len)
        return vae_fail(err, VAE_ERR_OFFSETS, "tensor \"%s\": data_offsets [%llu, %llu] outside the %zu-byte data section",
                        nm, (unsigned long long)off[0], (unsigned long long)off[1], data_len);
    /* Element count times element size must equal the span; the product can
     * only be checked once it is known not to overflow. */
    uint64_t bytes = vae_dtype_size(t->dtype), span = off[1] - off[0];
    for (int d = 0; d < t->ndim && bytes <= span; d++) {
        if (t->shape[d] != 0 && bytes > UINT64_MAX / t->shape[d]) bytes = UINT64_MAX;
        else bytes *= t->shape[d];
    }
    if (bytes != span)
        return vae_fail(err, VAE_ERR_OFFSETS, "tensor \"%s\": data_offsets span %llu bytes but shape and dtype need %s%llu",
                        nm, (unsigned long long)span, bytes > span ? "more than " : "",
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
        return vae_fail(err, VAE_ERR_LAYOUT, "bytes %zu..%zu of the data section belong to no tensor", pos, f->data_len);
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

static vae_status parse_entries(vae_st_file *f, const vae_json *j, vae_error *err) {
    int n = vae_json_count(j, 0), have_meta = 0;
    size_t left = (size_t)j->len + 1;
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
    if (len < 8) return vae_fail(err, VAE_ERR_TRUNCATED, "file of %zu bytes is shorter than the 8-byte header length", len);
    uint64_t n = le64(buf);
    if (n > VAE_ST_MAX_HEADER)
        return vae_fail(err, VAE_ERR_HEADER_SIZE, "header length %llu is over the %u-byte limit", (unsigned long long)n,
                        VAE_ST_MAX_HEADER);
    if (n > len - 8)
        return vae_fail(err, VAE_ERR_HEADER_SIZE, "header length %llu runs past the end of the %zu-byte file",
                        (unsigned long long)n, len);
    f->data = buf + 8 + n;
    f->data_len = len - 8 - (size_t)n;
    s = vae_json_parse(&j, (const char *)buf + 8, (size_t)n, VAE_ERR_JSON, "safetensors header", err);
    /* Unescaped strings plus their NULs never outgrow the quoted originals. */
    if (!s && !(f->strings = malloc((size_t)n + 1))) s = vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    if (!s) s = parse_entries(f, j, err);
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
            if (!strcmp(t[k].name, t[i].name)) return vae_fail(err, VAE_ERR_ARG, "duplicate tensor \"%s\"", SHOW(t[i].name));
        if (numel && !t[i].data) return vae_fail(err, VAE_ERR_ARG, "tensor \"%s\": NULL data", SHOW(t[i].name));
        if (numel * 4 > SIZE_MAX / 2 - *nbytes) return vae_fail(err, VAE_ERR_ARG, "tensors too large");
        *nbytes += numel * vae_dtype_size(dtype);
        *strbytes += strlen(t[i].name);
    }
    return VAE_OK;
}

vae_status vae_st_write(const vae_st_entry *t, int n, vae_dtype dtype, const char *const *kv, int n_meta,
                        uint8_t **out, size_t *out_len, vae_error *err) {
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
        size_t bytes = vae_dtype_size(dtype);
        for (int d = 0; d < t[i].ndim; d++) bytes *= (size_t)t[i].shape[d];
        vae_append(hdr, cap, &pos, "%s", n_meta || i ? "," : "");
        vae_json_put_string(hdr, cap, &pos, t[i].name);
        vae_append(hdr, cap, &pos, ":{\"dtype\":\"%s\",\"shape\":[", vae_dtype_name(dtype));
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
            if (dtype == VAE_DTYPE_F32) {
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
