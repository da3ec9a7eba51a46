/* The sequence layers: the LSTM cell's SIMD kernel against its libm twin;
 * masking (a ragged batch gives each sequence what it gives alone, zeros past
 * its end); finite-difference gradients of the LSTM (one and two layers,
 * one and two directions, ragged lengths with a 0, initial and final
 * states), of the embedding and of the softmax cross-entropy (masked rows,
 * huge logits). Prints a hash of the fast paths' outputs (native and wasm
 * built alike must agree). */
#include <math.h>
#include <string.h>

#include "check.h"
#include "outhash.h"
#include "fdcheck.h"
#include "testbuf.h"
#include "internal.h"
#include "layers/layers.h"

static vae_rng rng;

/* float32 forwards summed into a loss of ~100 terms leave ~1e-5 of noise in
 * a central difference at h = 1e-2; a wrong gradient is off by far more */
#define FD_TOL 3e-3

static void fill(float *v, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * vae_rng_uniform(&rng);
}

static double dot(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* ---------------------------------------------------------------- cell kernel */

#ifndef VAE_NO_SIMD
/* float ulps between a and b (same sign assumed near each other). */
static double ulp_diff(float a, float b) {
    if (a == b) return 0.0;
    int e;
    frexp(fmax(fabs(a), fabs(b)), &e);
    return fabs((double)a - b) / ldexp(1.0, e - 24 > -149 ? e - 24 : -149);
}
#endif

static void check_cell(void) {
#ifndef VAE_NO_SIMD
    enum { CB = 5, CH = 7 }; /* odd: the part loads and stores at the tails */
    float *pre = buf(CB * 4 * CH), *g1 = buf(CB * 4 * CH), *g2 = buf(CB * 4 * CH), *ah = buf(CB * 4 * CH);
    float *cp = buf(CB * CH), *out1 = buf(3 * CB * CH), *out2 = buf(3 * CB * CH);
    double worst = 0.0;
    for (int round = 0; round < 200; round++) {
        float span = round < 100 ? 4.0f : 40.0f; /* the working range, then saturation */
        fill(pre, CB * 4 * CH, -span, span);
        fill(ah, CB * 4 * CH, -1, 1);
        fill(cp, CB * CH, -3, 3);
        memcpy(g1, pre, CB * 4 * CH * sizeof *pre);
        memcpy(g2, pre, CB * 4 * CH * sizeof *pre);
        vae_lstm_cell_forward_wasmsimd(g1, out1, out1 + CB * CH, out1 + 2 * CB * CH, ah, cp, CB, CH);
        vae_lstm_cell_forward_scalar(g2, out2, out2 + CB * CH, out2 + 2 * CB * CH, ah, cp, CB, CH);
        hash_floats(g1, CB * 4 * CH);
        hash_floats(out1, 3 * CB * CH);
        for (int i = 0; i < CB * 4 * CH; i++) worst = fmax(worst, ulp_diff(g1[i], g2[i]));
        /* c and h are sums and products of gates: compare on the scale of the state */
        for (int i = 0; i < 3 * CB * CH; i++)
            worst = fmax(worst, fabs((double)out1[i] - out2[i]) / (fabs(out2[i]) + 1.0) / 0x1p-24);
    }
    printf("  lstm cell SIMD vs scalar twin: max %.2f ulp\n", worst);
    CHECK(worst <= 8.0, "lstm cell: %g ulp from the scalar twin", worst);
    buf_free(pre), buf_free(g1), buf_free(g2), buf_free(ah), buf_free(cp), buf_free(out1), buf_free(out2);
#else
    printf("  built with VAE_NO_SIMD: no cell kernel to compare\n");
#endif
}

/* ---------------------------------------------------------------- LSTM */

typedef struct {
    vae_lstm_shape s;
    const int *len;
    float *x, *w, *h0, *c0, *out, *hn, *cn, *cache, *pout, *phn, *pcn; /* p*: the loss's projections */
} lstm_ctx;

static size_t n_out(const vae_lstm_shape *s) { return (size_t)s->T * s->B * s->dirs * s->H; }
static size_t n_state(const vae_lstm_shape *s) { return (size_t)s->layers * s->dirs * s->B * s->H; }

static lstm_ctx lstm_new(vae_lstm_shape s, const int *len) {
    lstm_ctx c = {.s = s, .len = len};
    size_t nx = (size_t)s.T * s.B * s.I, ns = n_state(&s);
    c.x = buf(nx), c.w = buf(vae_lstm_param_floats(&s)), c.h0 = buf(ns), c.c0 = buf(ns);
    c.out = buf(n_out(&s)), c.hn = buf(ns), c.cn = buf(ns), c.cache = buf(vae_lstm_cache_floats(&s));
    c.pout = buf(n_out(&s)), c.phn = buf(ns), c.pcn = buf(ns);
    fill(c.x, nx, -1, 1);
    fill(c.w, vae_lstm_param_floats(&s), -0.6f, 0.6f);
    fill(c.h0, ns, -0.5f, 0.5f);
    fill(c.c0, ns, -0.5f, 0.5f);
    fill(c.pout, n_out(&s), -1, 1);
    fill(c.phn, ns, -1, 1);
    fill(c.pcn, ns, -1, 1);
    return c;
}

static void lstm_free(lstm_ctx *c) {
    float *all[] = {c->x, c->w, c->h0, c->c0, c->out, c->hn, c->cn, c->cache, c->pout, c->phn, c->pcn};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
}

static double lstm_loss(void *p) {
    lstm_ctx *c = p;
    vae_lstm_forward(c->out, c->hn, c->cn, c->cache, c->x, c->len, c->h0, c->c0, c->w, &c->s);
    size_t ns = n_state(&c->s);
    return dot(c->out, c->pout, n_out(&c->s)) + dot(c->hn, c->phn, ns) + dot(c->cn, c->pcn, ns);
}

/* Each sequence of the ragged batch run alone over its own length must give
 * the batch's outputs and states (to rounding: the matrix kernels sum in
 * another order for fewer than 4 rows) and exact zeros past its end. */
static int differs(float got, float want) { return !(fabs((double)got - want) <= 1e-6 * (1.0 + fabs(want))); }

static void check_masking(lstm_ctx *c) {
    const vae_lstm_shape *s = &c->s;
    int Y = s->dirs * s->H, bad = 0;
    lstm_loss(c);
    for (int b = 0; b < s->B; b++) {
        int n = c->len[b];
        vae_lstm_shape one = *s;
        one.B = 1, one.T = n ? n : 1;
        size_t ns = n_state(&one);
        float *x = buf((size_t)n * s->I + 1), *out = buf((size_t)n * Y + 1), *h0 = buf(ns), *c0 = buf(ns);
        float *hn = buf(ns), *cn = buf(ns), *cache = buf(vae_lstm_cache_floats(&one));
        for (int t = 0; t < n; t++) memcpy(x + t * s->I, c->x + ((size_t)t * s->B + b) * s->I, s->I * sizeof *x);
        for (int k = 0; k < s->layers * s->dirs; k++) {
            memcpy(h0 + k * s->H, c->h0 + ((size_t)k * s->B + b) * s->H, s->H * sizeof *h0);
            memcpy(c0 + k * s->H, c->c0 + ((size_t)k * s->B + b) * s->H, s->H * sizeof *c0);
        }
        if (n) {
            vae_lstm_forward(out, hn, cn, cache, x, NULL, h0, c0, c->w, &one);
        } else { /* an empty sequence keeps its initial state */
            memcpy(hn, h0, ns * sizeof *hn);
            memcpy(cn, c0, ns * sizeof *cn);
        }
        for (int t = 0; t < s->T; t++)
            for (int j = 0; j < Y; j++) {
                float got = c->out[((size_t)t * s->B + b) * Y + j];
                bad += t < n ? differs(got, out[t * Y + j]) : got != 0.0f;
            }
        for (int k = 0; k < s->layers * s->dirs; k++)
            for (int j = 0; j < s->H; j++) {
                size_t i = ((size_t)k * s->B + b) * s->H + j;
                bad += differs(c->hn[i], hn[k * s->H + j]) || differs(c->cn[i], cn[k * s->H + j]);
            }
        float *all[] = {x, out, h0, c0, hn, cn, cache};
        for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
    }
    printf("  masking: %d values differ from the sequences run alone\n", bad);
    CHECK(bad == 0, "%d outputs or states of the ragged batch differ from the sequences alone", bad);
}

static void check_lstm(const char *name, vae_lstm_shape s, const int *len) {
    printf("%s (T %d B %d I %d H %d, %d layer(s), %d direction(s))\n", name, s.T, s.B, s.I, s.H, s.layers, s.dirs);
    lstm_ctx c = lstm_new(s, len);
    size_t nx = (size_t)s.T * s.B * s.I, nw = vae_lstm_param_floats(&s), ns = n_state(&s);
    float *dx = buf(nx), *dw = buf(nw), *dh0 = buf(ns), *dc0 = buf(ns), *work = buf(vae_lstm_work_floats(&s));
    memset(dx, 0, nx * sizeof *dx), memset(dw, 0, nw * sizeof *dw);
    memset(dh0, 0, ns * sizeof *dh0), memset(dc0, 0, ns * sizeof *dc0);
    lstm_loss(&c);
    hash_floats(c.out, n_out(&s));
    vae_lstm_backward(dx, dw, dh0, dc0, work, c.pout, c.phn, c.pcn, c.x, len, c.cache, c.w, &s);
    hash_floats(dw, nw);
    char what[80];
    fd_check("dx", c.x, nx, dx, lstm_loss, &c, 1e-2f, FD_TOL, 0);
    fd_check("dh0", c.h0, ns, dh0, lstm_loss, &c, 1e-2f, FD_TOL, 0);
    fd_check("dc0", c.c0, ns, dc0, lstm_loss, &c, 1e-2f, FD_TOL, 0);
    for (int l = 0; l < s.layers; l++)
        for (int d = 0; d < s.dirs; d++)
            for (int k = 0; k < 4; k++) {
                size_t off = vae_lstm_offset(&s, l, d, (vae_lstm_tensor)k);
                size_t n = vae_lstm_numel(&s, l, (vae_lstm_tensor)k);
                vae_lstm_name(what, sizeof what, l, d, (vae_lstm_tensor)k);
                fd_check(what, c.w + off, n, dw + off, lstm_loss, &c, 1e-2f, FD_TOL, 0);
            }
    /* the outputs alone (no state gradients) and no dx: the encoder's and the first layer's cases */
    float *dw2 = buf(nw);
    memset(dw2, 0, nw * sizeof *dw2);
    memset(c.phn, 0, ns * sizeof *c.phn), memset(c.pcn, 0, ns * sizeof *c.pcn);
    memset(dw, 0, nw * sizeof *dw);
    vae_lstm_backward(dx, dw, NULL, NULL, work, c.pout, c.phn, c.pcn, c.x, len, c.cache, c.w, &s);
    vae_lstm_backward(NULL, dw2, NULL, NULL, work, c.pout, NULL, NULL, c.x, len, c.cache, c.w, &s);
    CHECK(!memcmp(dw, dw2, nw * sizeof *dw), "%s: NULL dhn, dcn, dx differ from zeros", name);
    if (len) check_masking(&c);
    buf_free(dx), buf_free(dw), buf_free(dw2), buf_free(dh0), buf_free(dc0), buf_free(work);
    lstm_free(&c);
}

/* ---------------------------------------------------------------- head */

enum { N = 6, V = 7, E = 3 };

typedef struct {
    float table[V * E], logits[N * V], proj[N * E];
    int ids[N], target[N];
} head_ctx;

static double embedding_loss(void *p) {
    head_ctx *c = p;
    float out[N * E];
    vae_embedding_forward(out, c->ids, c->table, N, E);
    return dot(out, c->proj, N * E);
}

static double xent_loss(void *p) {
    head_ctx *c = p;
    float loss[N];
    vae_softmax_xent_forward(loss, c->logits, c->target, N, V);
    return dot(loss, c->proj, N);
}

static void check_head(void) {
    printf("head\n");
    head_ctx c = {.ids = {2, 0, -1, 2, 6, 5}, .target = {1, -1, 0, 6, 3, 3}};
    fill(c.table, V * E, -1, 1);
    fill(c.logits, N * V, -3, 3);
    fill(c.proj, N * E, 0.5f, 1.5f);
    float dtable[V * E] = {0}, dlogits[N * V] = {0}, out[N * E], loss[N];
    vae_embedding_forward(out, c.ids, c.table, N, E);
    int pad_zero = out[2 * E] == 0.0f && out[2 * E + 1] == 0.0f && out[2 * E + 2] == 0.0f;
    CHECK(pad_zero, "embedding of a padding id is not zeros");
    vae_embedding_backward(dtable, c.proj, c.ids, N, E);
    fd_check("embedding dtable", c.table, V * E, dtable, embedding_loss, &c, 1e-2f, FD_TOL, 0);

    for (int n = 0; n < N; n++)
        vae_softmax_xent_backward(dlogits + n * V, c.logits + n * V, c.target + n, 1, V, c.proj[n]);
    fd_check("softmax xent dlogits", c.logits, N * V, dlogits, xent_loss, &c, 1e-2f, FD_TOL, 0);
    double masked = 0.0;
    for (int v = 0; v < V; v++) masked += fabs(dlogits[V + v]);
    vae_softmax_xent_forward(loss, c.logits, c.target, N, V);
    CHECK(loss[1] == 0.0f && masked == 0.0, "masked row: loss %g, gradient %g", loss[1], masked);

    /* a uniform row costs log V; huge logits stay finite and exact */
    float flat[V] = {0}, big[V] = {1e4f, -1e4f, 3e4f, 0, 0, 0, 0}, l1[1], l2[2], dbig[2 * V] = {0};
    int t0 = 0, tb[2] = {2, 0};
    vae_softmax_xent_forward(l1, flat, &t0, 1, V);
    CHECK(fabs(l1[0] - log(V)) < 1e-6, "uniform row: %g, want log %d", l1[0], V);
    float big2[2 * V];
    memcpy(big2, big, sizeof big), memcpy(big2 + V, big, sizeof big);
    vae_softmax_xent_forward(l2, big2, tb, 2, V);
    vae_softmax_xent_backward(dbig, big2, tb, 2, V, 1.0f);
    CHECK(l2[0] == 0.0f && l2[1] == 2e4f, "huge logits: %g %g, want 0 and 2e4", l2[0], l2[1]);
    int finite = 1;
    for (int i = 0; i < 2 * V; i++) finite &= isfinite(dbig[i]);
    CHECK(finite && dbig[V] == -1.0f && dbig[V + 2] == 1.0f, "huge logits' gradient");
}

int main(void) {
    vae_rng_seed(&rng, 11);
    check_cell();
    static const int ragged[] = {5, 2, 0, 4, 1};
    check_lstm("lstm", (vae_lstm_shape){.T = 4, .B = 3, .I = 3, .H = 5, .layers = 1, .dirs = 1}, NULL);
    check_lstm("lstm ragged, 2 layers", (vae_lstm_shape){.T = 5, .B = 5, .I = 3, .H = 4, .layers = 2, .dirs = 1},
               ragged);
    check_lstm("bilstm ragged, 2 layers", (vae_lstm_shape){.T = 5, .B = 5, .I = 2, .H = 3, .layers = 2, .dirs = 2},
               ragged);
    check_head();
    check_hash(0xcab2ea23e1fa04a6u, 0x8c9217b69d102e03u);
    return check_result("test_lstm");
}
