/* IEEE binary16 and bfloat16 <-> binary32, by bit manipulation so that every
 * platform (and wasm) rounds identically: round to nearest, ties to even;
 * overflow goes to infinity; NaN stays NaN (quietened, sign kept). */
#include <string.h>

#include "internal.h"

static uint32_t f32_bits(float f) {
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return x;
}

static float bits_f32(uint32_t x) {
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

/* v >> shift, rounded to nearest even on the dropped bits (1 <= shift < 32). */
static uint32_t shift_round_even(uint32_t v, int shift) {
    uint32_t q = v >> shift, rem = v & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return q;
}

uint16_t vae_f32_to_f16(float f) {
    uint32_t x = f32_bits(f);
    uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
    x &= 0x7fffffff;
    if (x > 0x7f800000) return sign | 0x7e00 | (uint16_t)((x >> 13) & 0x3ff); /* NaN */
    if (x >= 0x47800000) return sign | 0x7c00; /* >= 65536 (and inf): past the largest half */
    if (x >= 0x38800000) {
        /* Normal half: rebias the exponent (127 -> 15) and round the mantissa;
         * a carry out of the mantissa correctly bumps the exponent, up to inf. */
        return sign | (uint16_t)shift_round_even(x - 0x38000000, 13);
    }
    if (x <= 0x33000000) return sign; /* <= 2^-25: rounds to zero (the tie goes to even 0) */
    /* Subnormal half, in units of 2^-24: m * 2^(e-150) / 2^-24 = m >> (126 - e).
     * Rounding up to 0x400 gives the smallest normal, which is the right encoding. */
    uint32_t e = x >> 23, m = (x & 0x7fffff) | 0x800000;
    return sign | (uint16_t)shift_round_even(m, (int)(126 - e));
}

float vae_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16;
    uint32_t exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    if (exp == 0x1f) return bits_f32(sign | 0x7f800000 | (mant << 13));
    if (exp != 0) return bits_f32(sign | ((exp + 112) << 23) | (mant << 13));
    if (mant == 0) return bits_f32(sign);
    /* Subnormal half: normalise, every one is a normal float. */
    uint32_t e = 113;
    while (!(mant & 0x400)) {
        mant <<= 1;
        e--;
    }
    return bits_f32(sign | (e << 23) | ((mant & 0x3ff) << 13));
}

uint16_t vae_f32_to_bf16(float f) {
    uint32_t x = f32_bits(f);
    if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40); /* quiet NaN */
    /* Rounding the low half away; a carry into the exponent reaches inf correctly. */
    return (uint16_t)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

float vae_bf16_to_f32(uint16_t h) { return bits_f32((uint32_t)h << 16); }
