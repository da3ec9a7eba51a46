/* One spelling of SIMD for every target: the wasm_simd128.h intrinsics.
 * Emscripten with -msimd128 compiles them to wasm SIMD; native builds get
 * them through SIMDe, which maps each one to SSE/NEON (no FMA: every
 * multiply and add stays separate, so native and wasm round alike).
 * With VAE_NO_SIMD this header provides nothing. */
#ifndef VAE_SIMD_H
#define VAE_SIMD_H

#ifndef VAE_NO_SIMD
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
#endif

#endif
