/* Golden test of the sequence layers against PyTorch (fixtures from
 * tools/make_golden_lstm.py, reference in float64): embedding -> nn.LSTM over
 * a ragged batch (pack_padded_sequence) -> linear head -> masked
 * cross-entropy, plus projections of the final states. Compares the forward
 * outputs, the loss and every gradient; prints the largest difference per
 * tensor relative to the tensor's largest magnitude (bar: 1e-5). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "layers/layers.h"

#define TOL 1e-5

static float *zeros(size_t n) { return calloc(n ? n : 1, sizeof(float)); }

static int *ints(const float *v, size_t n) {
    int *p = malloc((n ? n : 1) * sizeof *p);
    for (size_t i = 0; i < n && v; i++) p[i] = (int)v[i];
    return p;
}

static double dot(const float *a, const float *b, size_t n) {
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* The fixture's name for LSTM tensor k of layer l, direction d, under prefix
 * ("init.lstm.weight_ih_l0_reverse"), and its place in the weight block. */
static const char *lstm_key(char *key, size_t cap, const char *prefix, const vae_lstm_shape *s, int l, int d, int k,
                            size_t *off, size_t *n) {
    char tname[64];
    *off = vae_lstm_offset(s, l, d, (vae_lstm_tensor)k);
    *n = vae_lstm_numel(s, l, (vae_lstm_tensor)k);
    vae_lstm_name(tname, sizeof tname, l, d, (vae_lstm_tensor)k);
    snprintf(key, cap, "%s.lstm.%s", prefix, tname);
    return key;
}

static void run_case(const char *name) {
    char path[512], key[128];
    snprintf(path, sizeof path, "%s/%s.bin", VAE_TEST_DATA_DIR, name);
    fixture fx;
    CHECK(fixture_load(path, &fx), "cannot read %s", path);
    const float *a = fx.n ? fixture_get(&fx, "arch", 8) : NULL;
    if (!a) return;
    printf("%s\n", name);
    int T = (int)a[0], B = (int)a[1], V = (int)a[2], E = (int)a[3], H = (int)a[4], has_h0 = (int)a[7];
    vae_lstm_shape s = {.T = T, .B = B, .I = E, .H = H, .layers = (int)a[5], .dirs = (int)a[6]};
    int Y = s.dirs * H;
    size_t TB = (size_t)T * B, ns = (size_t)s.layers * s.dirs * B * H, nw = vae_lstm_param_floats(&s);

    int *len = ints(fixture_get(&fx, "len", B), B), *ids = ints(fixture_get(&fx, "ids", TB), TB);
    int *target = ints(fixture_get(&fx, "target", TB), TB);
    const float *emb = fixture_get(&fx, "init.emb.weight", (size_t)V * E);
    const float *wh = fixture_get(&fx, "init.head.weight", (size_t)V * Y), *bh = fixture_get(&fx, "init.head.bias", V);
    const float *h0 = has_h0 ? fixture_get(&fx, "h0", ns) : NULL, *c0 = has_h0 ? fixture_get(&fx, "c0", ns) : NULL;
    const float *phn = fixture_get(&fx, "phn", ns), *pcn = fixture_get(&fx, "pcn", ns);
    float *w = zeros(nw), *dw = zeros(nw);
    int missing = !emb || !wh || !bh || !phn || !pcn || (has_h0 && (!h0 || !c0));
    for (int l = 0; l < s.layers; l++)
        for (int d = 0; d < s.dirs; d++)
            for (int k = 0; k < 4; k++) {
                size_t off, n;
                lstm_key(key, sizeof key, "init", &s, l, d, k, &off, &n);
                const float *v = fixture_get(&fx, key, n);
                if (v) memcpy(w + off, v, n * sizeof *w);
                missing |= !v;
            }
    if (missing) goto done;

    /* forward */
    float *x = zeros(TB * E), *out = zeros(TB * Y), *hn = zeros(ns), *cn = zeros(ns), *logits = zeros(TB * V);
    float *rowloss = zeros(TB), *cache = zeros(vae_lstm_cache_floats(&s)), *work = zeros(vae_lstm_work_floats(&s));
    vae_embedding_forward(x, ids, emb, (int)TB, E);
    vae_lstm_forward(out, hn, cn, cache, x, len, h0, c0, w, &s);
    vae_linear_forward(logits, out, wh, bh, (int)TB, Y, V);
    vae_softmax_xent_forward(rowloss, logits, target, (int)TB, V);
    int n_valid = 0;
    double xent = 0.0;
    for (size_t i = 0; i < TB; i++) n_valid += target[i] >= 0, xent += rowloss[i];
    float loss = (float)(xent / n_valid + dot(hn, phn, ns) + dot(cn, pcn, ns));
    fixture_compare("x (embedded)", x, fixture_get(&fx, "x", TB * E), TB * E, TOL);
    fixture_compare("out", out, fixture_get(&fx, "out", TB * Y), TB * Y, TOL);
    fixture_compare("hn", hn, fixture_get(&fx, "hn", ns), ns, TOL);
    fixture_compare("cn", cn, fixture_get(&fx, "cn", ns), ns, TOL);
    fixture_compare("logits", logits, fixture_get(&fx, "logits", TB * V), TB * V, TOL);
    fixture_compare("loss", &loss, fixture_get(&fx, "loss", 1), 1, TOL);

    /* backward */
    float *dlogits = zeros(TB * V), *dout = zeros(TB * Y), *dwh = zeros((size_t)V * Y), *dbh = zeros(V);
    float *dx = zeros(TB * E), *demb = zeros((size_t)V * E), *dh0 = zeros(ns), *dc0 = zeros(ns);
    vae_softmax_xent_backward(dlogits, logits, target, (int)TB, V, 1.0f / n_valid);
    vae_linear_backward(dout, dwh, dbh, dlogits, out, wh, (int)TB, Y, V);
    vae_lstm_backward(dx, dw, has_h0 ? dh0 : NULL, has_h0 ? dc0 : NULL, work, dout, phn, pcn, x, len, cache, w, &s);
    vae_embedding_backward(demb, dx, ids, (int)TB, E);
    fixture_compare("grad.emb.weight", demb, fixture_get(&fx, "grad.emb.weight", (size_t)V * E), (size_t)V * E, TOL);
    fixture_compare("grad.head.weight", dwh, fixture_get(&fx, "grad.head.weight", (size_t)V * Y), (size_t)V * Y, TOL);
    fixture_compare("grad.head.bias", dbh, fixture_get(&fx, "grad.head.bias", V), V, TOL);
    for (int l = 0; l < s.layers; l++)
        for (int d = 0; d < s.dirs; d++)
            for (int k = 0; k < 4; k++) {
                size_t off, n;
                lstm_key(key, sizeof key, "grad", &s, l, d, k, &off, &n);
                fixture_compare(key, dw + off, fixture_get(&fx, key, n), n, TOL);
            }
    if (has_h0) {
        fixture_compare("grad.h0", dh0, fixture_get(&fx, "grad.h0", ns), ns, TOL);
        fixture_compare("grad.c0", dc0, fixture_get(&fx, "grad.c0", ns), ns, TOL);
    }
    float *all[] = {x, out, hn, cn, logits, rowloss, cache, work, dlogits, dout, dwh, dbh, dx, demb, dh0, dc0};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
done:
    free(len), free(ids), free(target), free(w), free(dw);
    fixture_free(&fx);
}

int main(void) {
    run_case("lstm_bi2_ragged");
    run_case("lstm_uni1_ragged");
    return check_result("test_golden_lstm");
}
