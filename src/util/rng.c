/* Seeded generator: xoshiro128** (32-bit state words, so wasm32 and x86-64
 * run the same integer code), seeded through splitmix64. Normals come from
 * Marsaglia's polar method with vae_log (exact_log.c), written in double precision
 * from + - * / only, so every IEEE platform produces the same bits (the C
 * library's logf differs between glibc and Emscripten's musl). */
#include <math.h>

#include "internal.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void vae_rng_seed(vae_rng *r, uint64_t seed) {
    uint64_t x = seed;
    uint64_t a = splitmix64(&x), b = splitmix64(&x);
    r->s[0] = (uint32_t)a;
    r->s[1] = (uint32_t)(a >> 32);
    r->s[2] = (uint32_t)b;
    r->s[3] = (uint32_t)(b >> 32);
    if (!(r->s[0] | r->s[1] | r->s[2] | r->s[3])) r->s[0] = 1; /* all-zero state is a fixed point */
    r->spare = 0.0f;
    r->has_spare = 0;
}

static uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

uint32_t vae_rng_u32(vae_rng *r) {
    uint32_t *s = r->s;
    uint32_t result = rotl(s[1] * 5u, 7) * 9u;
    uint32_t t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
}

float vae_rng_uniform(vae_rng *r) { return (float)(vae_rng_u32(r) >> 8) * (1.0f / 16777216.0f); }

uint32_t vae_rng_below(vae_rng *r, uint32_t n) {
    /* Reject the low 2^32 mod n values so every residue is equally likely. */
    uint32_t threshold = (uint32_t)(-n) % n;
    for (;;) {
        uint32_t x = vae_rng_u32(r);
        if (x >= threshold) return x % n;
    }
}

float vae_rng_normal(vae_rng *r) {
    if (r->has_spare) {
        r->has_spare = 0;
        return r->spare;
    }
    for (;;) {
        /* 32-bit uniforms in (-1, 1); doubles keep every bit. */
        double u = (vae_rng_u32(r) + 0.5) * (2.0 / 4294967296.0) - 1.0;
        double v = (vae_rng_u32(r) + 0.5) * (2.0 / 4294967296.0) - 1.0;
        double s = u * u + v * v;
        if (s >= 1.0 || s == 0.0) continue;
        double f = sqrt(-2.0 * vae_log(s) / s); /* sqrt is correctly rounded everywhere */
        r->spare = (float)(v * f);
        r->has_spare = 1;
        return (float)(u * f);
    }
}

void vae_rng_normals(vae_rng *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = vae_rng_normal(r);
}

void vae_rng_permutation(vae_rng *r, int *perm, int n) {
    for (int i = 0; i < n; i++) perm[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)vae_rng_below(r, (uint32_t)i + 1u);
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}
