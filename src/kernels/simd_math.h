/* Element-wise float math on four lanes, written once with wasm_simd128.h
 * intrinsics (natively through SIMDe, like the matrix kernels). Only IEEE
 * operations that round alike everywhere (+, -, *, /, compares, bit
 * operations; no libm, no fused multiply-add), so wasm and native builds
 * give the same bits. The polynomials are Chebyshev interpolants fitted for
 * this file (coefficients rounded to float). The scalar twins are the libm
 * loops in layers/activations.c, losses.c and lstm.c. Nothing here exists under VAE_NO_SIMD. */
#ifndef VAE_SIMD_MATH_H
#define VAE_SIMD_MATH_H

#include "simd.h"

#ifndef VAE_NO_SIMD

#define VAE_F32X4(c) wasm_f32x4_splat(c)

/* exp(x) for x <= 89 (or NaN), within 1 ulp of the exact value over tests/test_simd_math.c's
 * sweep; gradual underflow to subnormals and 0, overflow to inf, NaN stays NaN. x = n ln2 + r with
 * |r| <= ln2/2, exp(r) = 1 + r + r^2 q(r), times 2^n in two normal factors
 * so that subnormal results round once. */
static inline v128_t vae_exp_upto89_f32x4(v128_t x) {
    /* below this the result is 0 anyway; keeps 2^(n/2) normal (pmax: NaN
     * passes through) */
    x = wasm_f32x4_pmax(x, VAE_F32X4(-104.0f));
    /* n = round(x / ln2): adding 1.5 * 2^23 rounds to an integer, which
     * the low mantissa bits then hold */
    const v128_t magic = VAE_F32X4(0x1.8p23f);
    v128_t t = wasm_f32x4_add(wasm_f32x4_mul(x, VAE_F32X4(0x1.715476p+0f)), magic);
    v128_t nf = wasm_f32x4_sub(t, magic);
    v128_t n = wasm_i32x4_sub(t, magic);
    /* Cody-Waite: n * ln2_hi is exact (9-bit constant), so r loses only ln2_lo's rounding */
    v128_t r = wasm_f32x4_sub(x, wasm_f32x4_mul(nf, VAE_F32X4(0x1.63p-1f)));
    r = wasm_f32x4_sub(r, wasm_f32x4_mul(nf, VAE_F32X4(-0x1.bd0106p-13f)));
    v128_t q = VAE_F32X4(0x1.6d10fcp-10f);
    q = wasm_f32x4_add(wasm_f32x4_mul(q, r), VAE_F32X4(0x1.120b62p-7f));
    q = wasm_f32x4_add(wasm_f32x4_mul(q, r), VAE_F32X4(0x1.55551ap-5f));
    q = wasm_f32x4_add(wasm_f32x4_mul(q, r), VAE_F32X4(0x1.5554dep-3f));
    q = wasm_f32x4_add(wasm_f32x4_mul(q, r), VAE_F32X4(0.5f));
    v128_t p = wasm_f32x4_add(VAE_F32X4(1.0f), wasm_f32x4_add(r, wasm_f32x4_mul(wasm_f32x4_mul(r, r), q)));
    v128_t n1 = wasm_i32x4_shr(n, 1), n2 = wasm_i32x4_sub(n, n1);
    v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
    v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
    return wasm_f32x4_mul(wasm_f32x4_mul(p, s1), s2);
}

/* exp(x) for any x: past 89 it is inf anyway (pmin: NaN passes through). */
static inline v128_t vae_exp_f32x4(v128_t x) { return vae_exp_upto89_f32x4(wasm_f32x4_pmin(x, VAE_F32X4(89.0f))); }

/* exp(-|x|) in (0, 1], the one exp that sigmoid and softplus need: -|x| needs
 * no upper clamp (one step less on sigmoid's critical path, 6% of its time in V8). */
static inline v128_t vae_exp_neg_abs_f32x4(v128_t x) { return vae_exp_upto89_f32x4(wasm_v128_or(x, VAE_F32X4(-0.0f))); }

/* 1 / (1 + exp(-x)), never overflowing: exp(-|x|) and 1 or it as the numerator. */
static inline v128_t vae_sigmoid_f32x4(v128_t x) {
    v128_t e = vae_exp_neg_abs_f32x4(x);
    v128_t num = wasm_v128_bitselect(VAE_F32X4(1.0f), e, wasm_f32x4_ge(x, VAE_F32X4(0.0f)));
    return wasm_f32x4_div(num, wasm_f32x4_add(VAE_F32X4(1.0f), e));
}

/* sigmoid(x) = 1 / (1 + 2^y), y = -x log2(e) clamped to [-104, 89] (exp's
 * bounds; NaN passes), for the arrays of vae_sigmoid_forward (a decoder's
 * output means, 7% of decoding 64 latents): 19 vector steps instead of 34
 * through exp, at most 7.6e-7 from the exact value and 6.2e-6 of it (2^f's
 * polynomial and y's rounding); below 1.62e-27 (x < -61.69) it stays there.
 * The LSTM and losses keep the one above. 2^y = 2^n 2^f, n = round(y),
 * |f| <= 1/2, 2^f = 1 + f q(f), q of degree 3. */
static inline v128_t vae_sigmoid_coarse_f32x4(v128_t x) {
    v128_t y = wasm_f32x4_mul(x, VAE_F32X4(-0x1.715476p+0f));
    y = wasm_f32x4_pmax(wasm_f32x4_pmin(y, VAE_F32X4(89.0f)), VAE_F32X4(-104.0f));
    const v128_t magic = VAE_F32X4(0x1.8p23f); /* rounds to an integer, which the low bits then hold */
    v128_t t = wasm_f32x4_add(y, magic);
    v128_t f = wasm_f32x4_sub(y, wasm_f32x4_sub(t, magic));
    v128_t q = VAE_F32X4(0x1.3a02ccp-7f);
    q = wasm_f32x4_add(wasm_f32x4_mul(q, f), VAE_F32X4(0x1.c9fc46p-5f));
    q = wasm_f32x4_add(wasm_f32x4_mul(q, f), VAE_F32X4(0x1.ec0378p-3f));
    q = wasm_f32x4_add(wasm_f32x4_mul(q, f), VAE_F32X4(0x1.62e12cp-1f));
    v128_t s = wasm_i32x4_shl(wasm_i32x4_add(t, wasm_i32x4_splat(127)), 23);
    v128_t e = wasm_f32x4_mul(wasm_f32x4_add(VAE_F32X4(1.0f), wasm_f32x4_mul(f, q)), s);
    return wasm_f32x4_div(VAE_F32X4(1.0f), wasm_f32x4_add(VAE_F32X4(1.0f), e));
}

/* tanh(x): below |x| = 0.625 the odd polynomial x + x t q(t), t = x^2 (no
 * cancellation near 0); above, (1 - e) / (1 + e) with e = exp(-2|x|) <= 0.29,
 * which goes to 1 without overflow. The sign is x's (so -0 and NaN pass). */
static inline v128_t vae_tanh_f32x4(v128_t x) {
    v128_t sign = wasm_v128_and(x, VAE_F32X4(-0.0f)), ax = wasm_v128_xor(x, sign);
    v128_t t = wasm_f32x4_mul(ax, ax);
    v128_t q = VAE_F32X4(-0x1.76ebd6p-8f);
    q = wasm_f32x4_add(wasm_f32x4_mul(q, t), VAE_F32X4(0x1.524452p-6f));
    q = wasm_f32x4_add(wasm_f32x4_mul(q, t), VAE_F32X4(-0x1.b83abep-5f));
    q = wasm_f32x4_add(wasm_f32x4_mul(q, t), VAE_F32X4(0x1.1106d6p-3f));
    q = wasm_f32x4_add(wasm_f32x4_mul(q, t), VAE_F32X4(-0x1.55553p-2f));
    v128_t small = wasm_f32x4_add(ax, wasm_f32x4_mul(wasm_f32x4_mul(ax, t), q));
    v128_t e = vae_exp_upto89_f32x4(wasm_f32x4_mul(ax, VAE_F32X4(-2.0f)));
    v128_t large = wasm_f32x4_div(wasm_f32x4_sub(VAE_F32X4(1.0f), e), wasm_f32x4_add(VAE_F32X4(1.0f), e));
    v128_t r = wasm_v128_bitselect(small, large, wasm_f32x4_lt(ax, VAE_F32X4(0.625f)));
    return wasm_v128_or(r, sign);
}

/* log(1 + exp(-|x|)) in [0, ln2]: with e = exp(-|x|) and s = e / (2 + e) in
 * [0, 1/3], log1p(e) = 2 atanh(s) = 2s + s t g(t), t = s^2. */
static inline v128_t vae_log1p_exp_neg_abs_f32x4(v128_t x) {
    v128_t e = vae_exp_neg_abs_f32x4(x);
    v128_t s = wasm_f32x4_div(e, wasm_f32x4_add(VAE_F32X4(2.0f), e)), t = wasm_f32x4_mul(s, s);
    v128_t g = VAE_F32X4(0x1.12f598p-2f);
    g = wasm_f32x4_add(wasm_f32x4_mul(g, t), VAE_F32X4(0x1.21249ap-2f));
    g = wasm_f32x4_add(wasm_f32x4_mul(g, t), VAE_F32X4(0x1.99ad6cp-2f));
    g = wasm_f32x4_add(wasm_f32x4_mul(g, t), VAE_F32X4(0x1.55554cp-1f));
    return wasm_f32x4_add(wasm_f32x4_add(s, s), wasm_f32x4_mul(wasm_f32x4_mul(s, t), g));
}

#endif
#endif
