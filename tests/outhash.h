/* FNV-1a over every fast-path output, pinned per build kind so a change of
 * bits on any target fails: every SIMD build (native through SIMDe, with gcc
 * or clang, ASan or not, and wasm under Node) must give the SIMD hash, every
 * scalar-only build (VAE_NO_SIMD, native or wasm) the scalar one. The two
 * differ by design: the SIMD kernels sum in another order and approximate
 * exp with their own polynomial, where the scalar twins call libm (glibc's
 * and Emscripten's musl's expf/log1pf give the same bits here). Include
 * after check.h. */
#ifndef VAE_TEST_OUTHASH_H
#define VAE_TEST_OUTHASH_H
#include <stdint.h>
#include <stdio.h>

static uint64_t out_hash = 14695981039346656037u;

static void hash_floats(const float *p, size_t n) {
    const unsigned char *c = (const unsigned char *)p;
    for (size_t i = 0; i < n * sizeof *p; i++) out_hash = (out_hash ^ c[i]) * 1099511628211u;
}

static void check_hash(uint64_t simd, uint64_t scalar) {
#ifdef VAE_NO_SIMD
    uint64_t want = scalar;
#else
    uint64_t want = simd;
#endif
    printf("output hash %016llx (pinned %016llx)\n", (unsigned long long)out_hash, (unsigned long long)want);
    CHECK(out_hash == want, "output hash %016llx, pinned %016llx: the fast paths' bits changed",
          (unsigned long long)out_hash, (unsigned long long)want);
}
#endif
