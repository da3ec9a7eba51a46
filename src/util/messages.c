#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/* ---------------------------------------------------------------- formatting
 *
 * The library's own small printf: the C library's (with its long-double
 * float code) would be a fifth of the WebAssembly module. It knows what the
 * library's messages and JSON use: %s; %d, %u, %x with l or ll, %zu (width
 * and the 0 flag); %g with a precision (also as .*); %%. */

typedef struct {
    char *buf;
    size_t cap, len; /* len counts what would have been written */
} sink;

static void emit(sink *o, char c) {
    if (o->len + 1 < o->cap) o->buf[o->len] = c;
    o->len++;
}

static void emit_str(sink *o, const char *s, size_t n) {
    while (n--) emit(o, *s++);
}

/* An integer's digits right-aligned in width, zero- or space-padded. */
static void emit_int(sink *o, unsigned long long v, int neg, unsigned base, int width, int zero) {
    char d[24];
    int n = 0;
    do d[n++] = "0123456789abcdef"[v % base];
    while (v /= base);
    width -= n + neg;
    if (!zero)
        while (width-- > 0) emit(o, ' ');
    if (neg) emit(o, '-');
    while (width-- > 0) emit(o, '0');
    while (n) emit(o, d[--n]);
}

/* v * 10^k with one rounding while 10^k is exact (|k| <= 22), so a value
 * that lies exactly halfway between two decimals stays exactly halfway. */
static double scale10(double v, int k) {
    if (k > 22 || k < -22) {
        v = scale10(v, k / 2);
        k -= k / 2;
    }
    double p = 1;
    for (int i = k < 0 ? -k : k; i > 0; i--) p *= 10;
    return k < 0 ? v / p : v * p;
}

/* The first p (<= 17) significant digits of v > 0, rounded half to even as
 * printf does, into d; returns the decimal exponent of the first. Exact ties
 * are exact (the scaling rounds once while |k| <= 22); a value within about
 * an ulp of a tie may round the other way in the last digit (a float in a
 * few hundred million at nine digits): plenty for messages, and put_float
 * checks its round trip anyway. */
static int decimal_digits(double v, int p, char *d) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int b = (int)(bits >> 52 & 0x7ff) - 1023; /* v >= 2^b (subnormals: 2^-1023 > v, fixed below) */
    int e = (int)floor((b > -1023 ? b : -1075) * 0.30102999566398120) - 1; /* at most the exponent */
    double lo = scale10(1, p - 1), t;
    /* Only upwards, so rounding noise near a power of ten cannot make it cycle. */
    while ((t = scale10(v, p - 1 - e)) >= 10 * lo) e++;
    double m = rint(t);
    if (m == 10 * lo) m = lo, e++; /* 9.96 to two digits is 10 */
    for (uint64_t u = (uint64_t)m, i = (uint64_t)p; i--; u /= 10) d[i] = (char)('0' + u % 10);
    return e;
}

/* %.<p>g: p significant digits, trailing zeros dropped, exponent form when
 * the exponent is below -4 or not below p. */
static void emit_g(sink *o, double v, int p) {
    char d[17];
    if (signbit(v)) emit(o, '-'), v = -v;
    if (isnan(v) || isinf(v)) {
        emit_str(o, isnan(v) ? "nan" : "inf", 3);
        return;
    }
    p = p < 1 ? 1 : p > 17 ? 17 : p;
    int e = 0, n = p;
    if (v == 0)
        memset(d, '0', sizeof d);
    else
        e = decimal_digits(v, p, d);
    while (n > 1 && d[n - 1] == '0') n--;
    if (e < -4 || e >= p) {
        emit(o, d[0]);
        if (n > 1) emit(o, '.'), emit_str(o, d + 1, (size_t)n - 1);
        emit(o, 'e');
        emit(o, e < 0 ? '-' : '+');
        emit_int(o, (unsigned long long)(e < 0 ? -e : e), 0, 10, 2, 1);
    } else if (e >= 0) {
        emit_str(o, d, (size_t)e + 1);
        if (n > e + 1) emit(o, '.'), emit_str(o, d + e + 1, (size_t)(n - e - 1));
    } else {
        emit_str(o, "0.000", (size_t)(1 - e));
        emit_str(o, d, (size_t)n);
    }
}

int vae_vformat(char *buf, size_t cap, const char *fmt, va_list ap) {
    sink o = {buf, cap, 0};
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            emit(&o, *fmt);
            continue;
        }
        int zero = *++fmt == '0', width = 0, prec = 6, size = 0; /* size: 1 l, 2 ll, 3 z */
        for (fmt += zero; *fmt >= '0' && *fmt <= '9'; fmt++) width = 10 * width + (*fmt - '0');
        if (*fmt == '.') {
            if (*++fmt == '*')
                prec = va_arg(ap, int), fmt++;
            else
                for (prec = 0; *fmt >= '0' && *fmt <= '9'; fmt++) prec = 10 * prec + (*fmt - '0');
        }
        for (; *fmt == 'l'; fmt++) size++;
        if (*fmt == 'z') size = 3, fmt++;
        unsigned long long u;
        switch (*fmt) {
        case 'd': {
            long long v = size == 2 ? va_arg(ap, long long) : size ? va_arg(ap, long) : va_arg(ap, int);
            emit_int(&o, v < 0 ? 0 - (unsigned long long)v : (unsigned long long)v, v < 0, 10, width, zero);
            continue;
        }
        case 'u':
        case 'x':
            u = size == 3   ? va_arg(ap, size_t)
                : size == 2 ? va_arg(ap, unsigned long long)
                : size      ? va_arg(ap, unsigned long)
                            : va_arg(ap, unsigned);
            emit_int(&o, u, 0, *fmt == 'x' ? 16 : 10, width, zero);
            continue;
        case 's': {
            const char *s = va_arg(ap, const char *);
            emit_str(&o, s, strlen(s));
            continue;
        }
        case 'g': emit_g(&o, va_arg(ap, double), prec); continue;
        case '%': emit(&o, '%'); continue;
        }
        break; /* not a conversion the library uses (the compiler checks formats): stop */
    }
    if (cap) buf[o.len < cap ? o.len : cap - 1] = '\0';
    return (int)o.len;
}

int vae_format(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vae_vformat(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

void vae_append(char *buf, size_t cap, size_t *pos, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vae_vformat(*pos < cap ? buf + *pos : NULL, *pos < cap ? cap - *pos : 0, fmt, ap);
    va_end(ap);
    *pos += n > 0 ? (size_t)n : 0;
}

/* ---------------------------------------------------------------- errors */

vae_status vae_fail(vae_error *err, vae_status code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vae_vformat(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}
vae_status vae_ok(vae_error *err) {
    if (err) {
        err->code = VAE_OK;
        err->msg[0] = '\0';
    }
    return VAE_OK;
}

const char *vae_status_name(vae_status s) {
    /* Indexed by value, so an entry cannot drift from its code; a code
     * without an entry reads as "VAE_ERR_?" (web/test/status.test.mjs checks
     * this table against vae.h, vae.js and vae.d.ts). */
#define NAME(code) [code] = #code
    static const char *const names[] = {
        NAME(VAE_OK),          NAME(VAE_ERR_ARG),       NAME(VAE_ERR_NOMEM),
        NAME(VAE_ERR_IO),      NAME(VAE_ERR_TRUNCATED), NAME(VAE_ERR_HEADER_SIZE),
        NAME(VAE_ERR_JSON),    NAME(VAE_ERR_DTYPE),     NAME(VAE_ERR_OFFSETS),
        NAME(VAE_ERR_LAYOUT),  NAME(VAE_ERR_SHAPE),     NAME(VAE_ERR_MISSING),
        NAME(VAE_ERR_UNKNOWN), NAME(VAE_ERR_NONFINITE), NAME(VAE_ERR_METADATA),
        NAME(VAE_ERR_IDX),     NAME(VAE_ERR_STATE),
    };
#undef NAME
    if ((unsigned)s < sizeof names / sizeof names[0] && names[s]) return names[s];
    return "VAE_ERR_?";
}
