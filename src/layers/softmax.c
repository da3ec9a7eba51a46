/* Softmax, log-softmax and softmax cross-entropy over a vocabulary (layers.h): log-sum-exp with the
 * row maximum subtracted, so no exp overflows; the sum in double and its log
 * through vae_log (the same bits everywhere, no libm log in the wasm). */
#include <math.h>

#include "internal.h"
#include "layers/layers.h"

static float row_max(const float *l, int V) {
    float m = l[0];
    for (int v = 1; v < V; v++) m = l[v] > m ? l[v] : m;
    return m;
}

/* sum_v exp(l[v] - m) >= 1 (the maximum's own term). */
static double sum_exp(const float *l, float m, int V) {
    double s = 0.0;
    for (int v = 0; v < V; v++) s += expf(l[v] - m);
    return s;
}

void vae_softmax_xent_forward(float *loss, const float *logits, const int *target, int N, int V) {
    for (int n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * V;
        if (target[n] < 0) {
            loss[n] = 0.0f;
            continue;
        }
        float m = row_max(l, V);
        loss[n] = (float)((double)m + vae_log(sum_exp(l, m, V)) - l[target[n]]);
    }
}

void vae_softmax_xent_backward(float *dlogits, const float *logits, const int *target, int N, int V, float scale) {
    for (int n = 0; n < N; n++) {
        if (target[n] < 0) continue;
        const float *l = logits + (size_t)n * V;
        float *d = dlogits + (size_t)n * V;
        float m = row_max(l, V), inv = (float)(1.0 / sum_exp(l, m, V));
        for (int v = 0; v < V; v++) d[v] += scale * (expf(l[v] - m) * inv - (v == target[n] ? 1.0f : 0.0f));
    }
}

void vae_softmax_forward(float *probs, const float *logits, int N, int V) {
    for (int n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * V;
        float m = row_max(l, V), inv = (float)(1.0 / sum_exp(l, m, V));
        for (int v = 0; v < V; v++) probs[(size_t)n * V + v] = expf(l[v] - m) * inv;
    }
}

void vae_log_softmax_forward(float *logp, const float *logits, int N, int V) {
    for (int n = 0; n < N; n++) {
        const float *l = logits + (size_t)n * V;
        float m = row_max(l, V);
        double lse = (double)m + vae_log(sum_exp(l, m, V));
        for (int v = 0; v < V; v++) logp[(size_t)n * V + v] = (float)(l[v] - lse);
    }
}
