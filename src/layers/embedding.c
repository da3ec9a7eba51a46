/* The embedding layer: a table lookup per character (layers.h). */
#include <string.h>

#include "layers/layers.h"

void vae_embedding_forward(float *out, const int *ids, const float *table, int N, int E) {
    for (int n = 0; n < N; n++) {
        float *o = out + (size_t)n * E;
        if (ids[n] < 0)
            memset(o, 0, (size_t)E * sizeof *o);
        else
            memcpy(o, table + (size_t)ids[n] * E, (size_t)E * sizeof *o);
    }
}

void vae_embedding_backward(float *dtable, const float *dout, const int *ids, int N, int E) {
    for (int n = 0; n < N; n++) {
        if (ids[n] < 0) continue;
        float *d = dtable + (size_t)ids[n] * E;
        const float *g = dout + (size_t)n * E;
        for (int e = 0; e < E; e++) d[e] += g[e];
    }
}
