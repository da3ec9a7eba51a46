/* Activations: sigmoid (a SIMD kernel beside its libm twin), ReLU, leaky
 * ReLU, tanh, sigmoid as hidden-layer activations. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "kernels/simd_math.h"
#include "layers/layers.h"

float vae_sigmoid(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x); /* never overflows for x < 0 */
    return e / (1.0f + e);
}

/* Through expf, which glibc and Emscripten's musl round alike (their tanhf
 * do not), so scalar builds agree bit for bit on every target; below |x| =
 * 1/16, where 1 - e^(-2|x|) would cancel, the odd series (error < 4e-9). */
float vae_tanh(float x) {
    float a = fabsf(x);
    if (a < 0.0625f) {
        float t = x * x;
        return x + x * t * (-1.0f / 3.0f + t * (2.0f / 15.0f));
    }
    float e = expf(-2.0f * a);
    return copysignf((1.0f - e) / (1.0f + e), x);
}

#ifndef VAE_NO_SIMD
/* The coarse sigmoid (within 8e-7), four independent vectors a step: one
 * sigmoid is a long chain of dependent steps, and with one vector a step V8's
 * code waited on it (64x784 values in Node: 0.103 ms; four a step: 0.062 ms).
 * Not inlined: clang gave the zero-padded tail its own copy (page bytes). */
__attribute__((noinline)) static void sigmoid16(float *y, const float *x) {
    v128_t a = vae_sigmoid_coarse_f32x4(wasm_v128_load(x)), b = vae_sigmoid_coarse_f32x4(wasm_v128_load(x + 4));
    v128_t c = vae_sigmoid_coarse_f32x4(wasm_v128_load(x + 8)), d = vae_sigmoid_coarse_f32x4(wasm_v128_load(x + 12));
    wasm_v128_store(y, a);
    wasm_v128_store(y + 4, b);
    wasm_v128_store(y + 8, c);
    wasm_v128_store(y + 12, d);
}

void vae_sigmoid_forward_wasmsimd(float *out, const float *in, size_t n) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) sigmoid16(out + i, in + i);
    if (i < n) {
        float t[16] = {0};
        memcpy(t, in + i, (n - i) * sizeof(float));
        sigmoid16(t, t);
        memcpy(out + i, t, (n - i) * sizeof(float));
    }
}
#endif

void vae_sigmoid_forward_scalar(float *out, const float *in, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = vae_sigmoid(in[i]);
}

void vae_sigmoid_forward(float *out, const float *in, size_t n) { SIMD_OR_SCALAR(vae_sigmoid_forward)(out, in, n); }

void vae_act_forward(float *out, const float *inp, size_t n, vae_activation act, float slope) {
    switch (act) {
    case VAE_ACT_RELU: {
        size_t i = 0;
#ifndef VAE_NO_SIMD
        /* pmax(0, v) = 0 < v ? v : 0, as below, without a branch: V8 compiles
         * a scalar float select to one, which real activations mispredict
         * (in wasm, ~10% of a conv VAE decode) */
        for (; i + 4 <= n; i += 4)
            wasm_v128_store(out + i, wasm_f32x4_pmax(wasm_f32x4_splat(0.0f), wasm_v128_load(inp + i)));
#endif
        for (; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        break;
    }
    case VAE_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) out[i] = inp[i] > 0.0f ? inp[i] : slope * inp[i];
        break;
    case VAE_ACT_TANH:
        for (size_t i = 0; i < n; i++) out[i] = vae_tanh(inp[i]);
        break;
    case VAE_ACT_SIGMOID: vae_sigmoid_forward(out, inp, n); break;
    case VAE_ACT_IDENTITY:
        if (out != inp) memmove(out, inp, n * sizeof(float));
        break;
    }
}

void vae_act_backward(float *dinp, const float *dout, const float *out, size_t n, vae_activation act, float slope) {
    switch (act) {
    case VAE_ACT_RELU:
        for (size_t i = 0; i < n; i++) dinp[i] += out[i] > 0.0f ? dout[i] : 0.0f;
        break;
    case VAE_ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) dinp[i] += out[i] > 0.0f ? dout[i] : slope * dout[i];
        break;
    case VAE_ACT_TANH:
        for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
        break;
    case VAE_ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) dinp[i] += dout[i] * out[i] * (1.0f - out[i]);
        break;
    case VAE_ACT_IDENTITY:
        for (size_t i = 0; i < n; i++) dinp[i] += dout[i];
        break;
    }
}
