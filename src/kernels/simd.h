/* One spelling of SIMD for every target: the wasm_simd128.h intrinsics.
 * Emscripten with -msimd128 compiles them to wasm SIMD; native builds get
 * them through SIMDe, which maps each one to SSE/NEON (no FMA: every
 * multiply and add stays separate, so native and wasm round alike).
 * With VAE_NO_SIMD this header provides nothing. */
#ifndef VAE_SIMD_H
#define VAE_SIMD_H

#ifndef VAE_NO_SIMD
#include <stddef.h>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#else
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

#if defined(__GNUC__)
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#define ALWAYS_INLINE static inline
#endif

/* The first w <= 4 floats at p as a vector (zeros past them), and back:
 * array tails take the same SIMD path as the rest. */
ALWAYS_INLINE v128_t vae_load_part(const float *p, size_t w) {
    if (w >= 4) return wasm_v128_load(p);
    float t[4] = {0};
    for (size_t j = 0; j < w; j++) t[j] = p[j];
    return wasm_v128_load(t);
}

ALWAYS_INLINE void vae_store_part(float *p, v128_t v, size_t w) {
    if (w >= 4) {
        wasm_v128_store(p, v);
        return;
    }
    float t[4];
    wasm_v128_store(t, v);
    for (size_t j = 0; j < w; j++) p[j] = t[j];
}
#endif

/* A dispatcher's choice between a kernel and its scalar twin: f_wasmsimd, or
 * f_scalar under VAE_NO_SIMD. */
#ifndef VAE_NO_SIMD
#define SIMD_OR_SCALAR(f) f##_wasmsimd
#else
#define SIMD_OR_SCALAR(f) f##_scalar
#endif

#endif
