/* The strict JSON layer (json.h) over jsmn. This is the only file that
 * includes jsmn.h: JSMN_STATIC keeps its functions private to this object,
 * so nothing else in the library can clash with it. */
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#define JSMN_STRICT
#include <jsmn.h>

#include "formats/json.h"

#define JSON_MAX_TOKENS (1 << 20)             /* caps token memory for hostile headers */
#define JSON_MAX_BYTES (100u * 1000u * 1000u) /* as the safetensors header limit */

struct vae_json {
    const char *js;
    int len;
    int n;
    jsmntok_t *t;
};

static int is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

static int is_digit(char c) { return c >= '0' && c <= '9'; }

int vae_utf8_valid(const char *str, size_t len) {
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i++];
        int more;
        unsigned lo = 0x80, hi = 0xbf; /* allowed range of the first continuation byte */
        if (c < 0x80) continue;
        if (c >= 0xc2 && c <= 0xdf)
            more = 1;
        else if (c == 0xe0)
            more = 2, lo = 0xa0; /* no overlongs */
        else if (c == 0xed)
            more = 2, hi = 0x9f; /* no surrogates */
        else if (c >= 0xe1 && c <= 0xef)
            more = 2;
        else if (c == 0xf0)
            more = 3, lo = 0x90; /* no overlongs */
        else if (c == 0xf4)
            more = 3, hi = 0x8f; /* <= U+10FFFF */
        else if (c >= 0xf1 && c <= 0xf3)
            more = 3;
        else
            return 0;
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
        if (is_digit(c))
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
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
                if (n - i < 6 || s[i] != '\\' || s[i + 1] != 'u' || hex4(s + i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                    return UNESCAPE_BAD;
                i += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0) has_nul = 1;
            unsigned char u[4];
            int k;
            if (cp < 0x80)
                u[0] = (unsigned char)cp, k = 1;
            else if (cp < 0x800)
                u[0] = (unsigned char)(0xc0 | cp >> 6), u[1] = (unsigned char)(0x80 | (cp & 0x3f)), k = 2;
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
    if (i < n && s[i] == '0')
        i++;
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
    if (len > JSON_MAX_BYTES) return vae_fail(err, code, "%s: JSON of %zu bytes is too long", what, len);
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
        for (; i < n; i++) e = e < 100 ? e * 10 + (s[i] - '0') : e; /* |e| <= 999: far past float range */
        exp10 += eneg ? -e : e;
    }
    double v = (double)mant;
    for (; exp10 > 22 && v != 0 && v < 1e300; exp10 -= 22) v *= 1e22;
    /* Down to exp10 >= -22 even for a zero mantissa (0e-999), so p10[-exp10] is in range. */
    for (; exp10 < -22; exp10 += 22) v /= 1e22;
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
    if (literal_is(s, n, "true"))
        *out = 1;
    else if (literal_is(s, n, "false"))
        *out = 0;
    else
        return -1;
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
