/* vae_format (the library's own printf, src/util/messages.c) against the C library's
 * snprintf: every conversion the library uses, truncation, and %g for
 * special values, decimal-looking values, exact ties and random floats and
 * doubles at every precision the library prints. */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "formats/safetensors.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15u;
static uint64_t next_u64(void) { /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Formats with both and compares the text and the returned length. */
#define SAME(fmt, ...)                                                                                                 \
    do {                                                                                                               \
        char want[128], got[128];                                                                                      \
        int nw = snprintf(want, sizeof want, fmt, __VA_ARGS__);                                                        \
        int ng = vae_format(got, sizeof got, fmt, __VA_ARGS__);                                                        \
        CHECK(nw == ng && !strcmp(want, got), "format \"%s\": snprintf \"%s\" (%d), ours \"%s\" (%d)", fmt, want, nw,  \
              got, ng);                                                                                                \
    } while (0)

static void integers(void) {
    static const long long v[] = {0,
                                  1,
                                  -1,
                                  9,
                                  10,
                                  -10,
                                  255,
                                  4096,
                                  99999,
                                  INT_MAX,
                                  INT_MIN,
                                  (long long)UINT_MAX,
                                  LLONG_MAX,
                                  LLONG_MIN,
                                  1234567890123LL,
                                  -987654321098LL};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
        SAME("%d|%u|%x|%08x|%5d", (int)v[i], (unsigned)v[i], (unsigned)v[i], (unsigned)v[i], (int)v[i]);
        SAME("%ld|%lu|%lld|%llu", (long)v[i], (unsigned long)v[i], v[i], (unsigned long long)v[i]);
        SAME("%zu bytes|%03d|%08x", (size_t)v[i], (int)v[i], (unsigned)v[i]);
    }
    SAME("%llu|%zu", ULLONG_MAX, SIZE_MAX);
    for (int i = 0; i < 2000; i++) {
        uint64_t r = next_u64();
        SAME("%d %u %x %lld %llu %zu", (int)r, (unsigned)(r >> 7), (unsigned)(r >> 3), (long long)r,
             (unsigned long long)r >> (r & 63), (size_t)r);
    }
}

static void strings(void) {
    SAME("%s", "");
    SAME("tensor \"%s\": %s%llu, 100%% of %s", "encoder.layers.0", "more than ", 42ULL, "it");
    SAME("no conversions at all%s", "");
    /* Truncation: the same prefix, always NUL-terminated, the full length returned. */
    for (size_t cap = 0; cap < 24; cap++) {
        char want[24], got[24];
        memset(want, 'x', sizeof want);
        memset(got, 'x', sizeof got);
        int nw = snprintf(cap ? want : NULL, cap, "abc %d %s %g", -12345, "defgh", 0.25);
        int ng = vae_format(cap ? got : NULL, cap, "abc %d %s %g", -12345, "defgh", 0.25);
        CHECK(nw == ng && !memcmp(want, got, sizeof want), "cap %zu: \"%.24s\" vs \"%.24s\"", cap, want, got);
    }
}

static void appending(void) {
    char buf[16];
    size_t pos = 0;
    vae_append(buf, sizeof buf, &pos, "[%d", 1);
    vae_append(buf, sizeof buf, &pos, ",%s]", "two");
    CHECK(pos == 7 && !strcmp(buf, "[1,two]"), "pos %zu \"%s\"", pos, buf);
    vae_append(buf, sizeof buf, &pos, "%s", "0123456789"); /* does not fit: pos passes cap */
    CHECK(pos == 17 && !strcmp(buf, "[1,two]01234567"), "pos %zu \"%s\"", pos, buf);
    vae_append(buf, sizeof buf, &pos, "%d", 7); /* past cap: counts only */
    CHECK(pos == 18 && !strcmp(buf, "[1,two]01234567"), "pos %zu \"%s\"", pos, buf);
}

/* Values within about an ulp of a decimal tie (the double 9.9999995 to 7
 * digits) may differ in the last digit (util/messages.c): none of those here. */
static void g_special(void) {
    static const double v[] = {0.0,     -0.0,    INFINITY, -INFINITY, NAN,     -NAN,    1.0,  -1.0,
                               0.5,     0.25,    0.125,    2.5,       3.5,     1e-5,    1e-4, 0.0001234565,
                               123456,  1234567, 999999.5, 9999995,   9.99999, 1e21,    1e22, 1e23,
                               DBL_MAX, DBL_MIN, 4.9e-324, FLT_MAX,   FLT_MIN, 1.4e-45, 100,  1e100};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        for (int p = 0; p <= 9; p++) SAME("%.*g", p, v[i]);
    for (size_t i = 0; i < sizeof v / sizeof *v; i++) SAME("x %g y", v[i]);
    /* Decimals as people write them, at the precision they were written and below. */
    for (int k = -20000; k <= 20000; k += 7)
        for (int e = -12; e <= 12; e += 3) {
            float f = (float)(k * pow(10, e));
            for (int p = 1; p <= 9; p++) SAME("%.*g", p, (double)f);
            SAME("%g", k * pow(10, e));
        }
}

/* Random floats (bit patterns: every exponent) at precisions 1..9, the
 * shortest round trip as formats/model_io.c's put_float finds it, and random
 * doubles at the default precision, which is what messages print. */
static void g_random(void) {
    int roundtrip_fail = 0;
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = (uint32_t)next_u64();
        float f;
        memcpy(&f, &bits, sizeof f);
        if (!isfinite(f)) continue;
        for (int p = 1; p <= 9; p++) SAME("%.*g", p, (double)f);
        char tmp[32];
        float back = 0;
        int p = 1;
        for (; p <= 9; p++) {
            vae_format(tmp, sizeof tmp, "%.*g", p, (double)f);
            if (vae_json_parse_float(tmp, (int)strlen(tmp), &back) == 0 && back == f) break;
        }
        roundtrip_fail += p > 9;
    }
    CHECK(roundtrip_fail == 0, "%d floats did not read back from 9 digits", roundtrip_fail);
    for (int i = 0; i < 200000; i++) {
        uint64_t bits = next_u64();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (isfinite(d)) SAME("%g", d);
    }
}

int main(void) {
    integers();
    strings();
    appending();
    g_special();
    g_random();
    return check_result("test_format");
}
