/* nn.LSTM forward and backpropagation through time (layers.h has the
 * shapes). Per layer and direction, the input projection of all T steps is
 * one matrix product straight into the gate buffer; only the recurrent
 * product h_{t-1} W_hh^T runs per step, then the element-wise cell (a SIMD
 * kernel beside its libm twin). Backward keeps the gate gradients of every
 * step, so the three weight gradients and dx are again one product each.
 *
 * Cache, per layer and direction (k = layer dirs + dir):
 *   gates [T, B, 4H]   i f g o after the activations
 *   hs, cs [T+1, B, H] states in time order with the initial state in the
 *                      extra slot: slot 0 forward, slot T reverse, so the
 *                      state before step t is slot t (forward) or t+1
 *                      (reverse) and the previous states of all steps are
 *                      T contiguous slots
 *   tc [T, B, H]       tanh(c_t)
 * then each layer's output but the last's [T, B, dirs H] (the next layer's
 * input) and a [B, 4H] scratch for the recurrent product. */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "kernels/kernels.h"
#include "kernels/simd_math.h"
#include "layers/layers.h"

static int layer_in(const vae_lstm_shape *s, int l) { return l ? s->dirs * s->H : s->I; }

static size_t per_dir(const vae_lstm_shape *s) {
    size_t TB = (size_t)s->T * s->B, H = (size_t)s->H;
    return TB * 4 * H + 2 * (TB + s->B) * H + TB * H;
}

size_t vae_lstm_param_floats(const vae_lstm_shape *s) { return vae_lstm_offset(s, s->layers, 0, VAE_LSTM_W_IH); }

int vae_lstm_cols(const vae_lstm_shape *s, int layer, vae_lstm_tensor which) {
    return which == VAE_LSTM_W_IH ? layer_in(s, layer) : which == VAE_LSTM_W_HH ? s->H : 0;
}

size_t vae_lstm_numel(const vae_lstm_shape *s, int layer, vae_lstm_tensor which) {
    int cols = vae_lstm_cols(s, layer, which);
    return 4 * (size_t)s->H * (cols ? cols : 1);
}

size_t vae_lstm_offset(const vae_lstm_shape *s, int layer, int dir, vae_lstm_tensor which) {
    size_t off = 0;
    for (int l = 0; l <= layer; l++)
        for (int d = 0; d < s->dirs; d++)
            for (int k = 0; k < 4; k++) {
                if (l == layer && d == dir && k == (int)which) return off;
                off += vae_lstm_numel(s, l, (vae_lstm_tensor)k);
            }
    return off;
}

int vae_lstm_name(char *buf, size_t cap, int layer, int dir, vae_lstm_tensor which) {
    static const char *kind[] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    return vae_format(buf, cap, "%s_l%d%s", kind[which], layer, dir ? "_reverse" : "");
}

size_t vae_lstm_cache_floats(const vae_lstm_shape *s) {
    size_t TB = (size_t)s->T * s->B;
    return (size_t)s->layers * s->dirs * per_dir(s) + (size_t)(s->layers - 1) * TB * s->dirs * s->H +
           (size_t)s->B * 4 * s->H;
}

size_t vae_lstm_work_floats(const vae_lstm_shape *s) {
    size_t TB = (size_t)s->T * s->B;
    return TB * 4 * s->H + (s->layers > 1 ? 2 * TB * s->dirs * s->H : 0) + 2 * (size_t)s->B * s->H;
}

/* One layer and direction's part of the cache. */
typedef struct {
    float *gates, *hs, *cs, *tc;
} dir_cache;

static dir_cache dir_at(const vae_lstm_shape *s, const float *cache, int l, int d) {
    float *p = (float *)cache + (size_t)(l * s->dirs + d) * per_dir(s);
    size_t TB = (size_t)s->T * s->B, H = (size_t)s->H;
    dir_cache c = {p, p + TB * 4 * H, p + (TB + s->B) * H + TB * 4 * H, NULL};
    c.tc = c.cs + (TB + s->B) * H;
    return c;
}

/* Layer l's output inside the cache (l < layers - 1). */
static float *layer_out(const vae_lstm_shape *s, const float *cache, int l) {
    return (float *)cache + (size_t)s->layers * s->dirs * per_dir(s) + (size_t)l * s->T * s->B * s->dirs * s->H;
}

static int active(const int *len, int b, int t) { return !len || t < len[b]; }

#ifndef VAE_NO_SIMD
void vae_lstm_cell_forward_wasmsimd(float *gates, float *c, float *tc, float *h, const float *ah, const float *c_prev,
                                    int B, int H) {
    for (int b = 0; b < B; b++) {
        float *g = gates + (size_t)b * 4 * H;
        const float *r = ah + (size_t)b * 4 * H;
        size_t o = (size_t)b * H;
        for (int j = 0; j < H; j += 4) {
            size_t w = (size_t)(H - j);
            v128_t ai = wasm_f32x4_add(vae_load_part(g + j, w), vae_load_part(r + j, w));
            v128_t af = wasm_f32x4_add(vae_load_part(g + H + j, w), vae_load_part(r + H + j, w));
            v128_t ag = wasm_f32x4_add(vae_load_part(g + 2 * H + j, w), vae_load_part(r + 2 * H + j, w));
            v128_t ao = wasm_f32x4_add(vae_load_part(g + 3 * H + j, w), vae_load_part(r + 3 * H + j, w));
            v128_t i = vae_sigmoid_f32x4(ai), f = vae_sigmoid_f32x4(af), gg = vae_tanh_f32x4(ag);
            v128_t og = vae_sigmoid_f32x4(ao);
            v128_t cv = wasm_f32x4_add(wasm_f32x4_mul(f, vae_load_part(c_prev + o + j, w)), wasm_f32x4_mul(i, gg));
            v128_t t = vae_tanh_f32x4(cv);
            vae_store_part(g + j, i, w);
            vae_store_part(g + H + j, f, w);
            vae_store_part(g + 2 * H + j, gg, w);
            vae_store_part(g + 3 * H + j, og, w);
            vae_store_part(c + o + j, cv, w);
            vae_store_part(tc + o + j, t, w);
            vae_store_part(h + o + j, wasm_f32x4_mul(og, t), w);
        }
    }
}
#endif

void vae_lstm_cell_forward_scalar(float *gates, float *c, float *tc, float *h, const float *ah, const float *c_prev,
                                  int B, int H) {
    for (int b = 0; b < B; b++) {
        float *g = gates + (size_t)b * 4 * H;
        const float *r = ah + (size_t)b * 4 * H;
        size_t o = (size_t)b * H;
        for (int j = 0; j < H; j++) {
            float i = vae_sigmoid(g[j] + r[j]), f = vae_sigmoid(g[H + j] + r[H + j]);
            float gg = vae_tanh(g[2 * H + j] + r[2 * H + j]), og = vae_sigmoid(g[3 * H + j] + r[3 * H + j]);
            float cv = f * c_prev[o + j] + i * gg, t = vae_tanh(cv);
            g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = og;
            c[o + j] = cv, tc[o + j] = t, h[o + j] = og * t;
        }
    }
}

/* Copies state k of [layers dirs, B, H] (or zeros if src is NULL). */
static void load_state(float *dst, const float *src, int k, const vae_lstm_shape *s) {
    size_t n = (size_t)s->B * s->H;
    if (src)
        memcpy(dst, src + k * n, n * sizeof *dst);
    else
        memset(dst, 0, n * sizeof *dst);
}

void vae_lstm_forward(float *out, float *hn, float *cn, float *cache, const float *x, const int *len, const float *h0,
                      const float *c0, const float *w, const vae_lstm_shape *s) {
    int T = s->T, B = s->B, H = s->H, Y = s->dirs * H;
    size_t BH = (size_t)B * H;
    float *ah = cache + vae_lstm_cache_floats(s) - (size_t)B * 4 * H;
    for (int l = 0; l < s->layers; l++) {
        const float *in = l ? layer_out(s, cache, l - 1) : x;
        float *y = l == s->layers - 1 ? out : layer_out(s, cache, l);
        for (int d = 0; d < s->dirs; d++) {
            dir_cache c = dir_at(s, cache, l, d);
            int k = l * s->dirs + d, first = d ? T : 0;
            const float *w_hh = w + vae_lstm_offset(s, l, d, VAE_LSTM_W_HH);
            const float *b_hh = w + vae_lstm_offset(s, l, d, VAE_LSTM_B_HH);
            vae_matmul_xwt(c.gates, in, w + vae_lstm_offset(s, l, d, VAE_LSTM_W_IH),
                           w + vae_lstm_offset(s, l, d, VAE_LSTM_B_IH), T * B, 4 * H, layer_in(s, l));
            load_state(c.hs + first * BH, h0, k, s);
            load_state(c.cs + first * BH, c0, k, s);
            for (int step = 0; step < T; step++) {
                int t = d ? T - 1 - step : step, prev = d ? t + 1 : t, cur = d ? t : t + 1;
                float *g = c.gates + (size_t)t * 4 * BH;
                vae_matmul_xwt(ah, c.hs + prev * BH, w_hh, b_hh, B, 4 * H, H);
                SIMD_OR_SCALAR(vae_lstm_cell_forward)
                (g, c.cs + cur * BH, c.tc + t * BH, c.hs + cur * BH, ah, c.cs + prev * BH, B, H);
                for (int b = 0; b < B; b++) {
                    float *hy = y + ((size_t)t * B + b) * Y + d * H, *hc = c.hs + cur * BH + (size_t)b * H;
                    if (active(len, b, t)) {
                        memcpy(hy, hc, H * sizeof *hy);
                    } else { /* carry the state past the end; the output is padding */
                        memcpy(hc, c.hs + prev * BH + (size_t)b * H, H * sizeof *hc);
                        memcpy(c.cs + cur * BH + (size_t)b * H, c.cs + prev * BH + (size_t)b * H, H * sizeof *hc);
                        memset(hy, 0, H * sizeof *hy);
                    }
                }
            }
            int last = d ? 0 : T;
            if (hn) memcpy(hn + k * BH, c.hs + last * BH, BH * sizeof *hn);
            if (cn) memcpy(cn + k * BH, c.cs + last * BH, BH * sizeof *cn);
        }
    }
}

/* One step back through the cell for the active rows: with dh (the state's
 * gradient plus the output's) and dc, writes the pre-activation gradients
 * da [B, 4H] (zeros for inactive rows, whose dh and dc pass through),
 * turns dc into dc_{t-1} and clears dh of active rows for the recurrent product to fill. */
static void cell_backward(float *da, float *dh, float *dc, const float *dy, int ldy, const float *gates,
                          const float *c_prev, const float *tc, const int *len, int t, int B, int H) {
    for (int b = 0; b < B; b++) {
        float *a = da + (size_t)b * 4 * H, *h = dh + (size_t)b * H, *cc = dc + (size_t)b * H;
        if (!active(len, b, t)) {
            memset(a, 0, 4 * (size_t)H * sizeof *a);
            continue;
        }
        const float *g = gates + (size_t)b * 4 * H, *cp = c_prev + (size_t)b * H, *th = tc + (size_t)b * H;
        const float *y = dy ? dy + (size_t)b * ldy : NULL;
        for (int j = 0; j < H; j++) {
            float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
            float dhj = h[j] + (y ? y[j] : 0.0f);
            float dcj = cc[j] + dhj * o * (1.0f - th[j] * th[j]);
            a[j] = dcj * gg * i * (1.0f - i);
            a[H + j] = dcj * cp[j] * f * (1.0f - f);
            a[2 * H + j] = dcj * i * (1.0f - gg * gg);
            a[3 * H + j] = dhj * th[j] * o * (1.0f - o);
            cc[j] = dcj * f;
            h[j] = 0.0f;
        }
    }
}

void vae_lstm_backward(float *dx, float *dw, float *dh0, float *dc0, float *work, const float *dout, const float *dhn,
                       const float *dcn, const float *x, const int *len, const float *cache, const float *w,
                       const vae_lstm_shape *s) {
    int T = s->T, B = s->B, H = s->H, Y = s->dirs * H;
    size_t BH = (size_t)B * H, TB = (size_t)T * B;
    float *da = work, *dy_next = da + TB * 4 * H, *dh = dy_next + (s->layers > 1 ? 2 * TB * Y : 0), *dc = dh + BH;
    const float *dy = dout;
    for (int l = s->layers - 1; l >= 0; l--) {
        const float *in = l ? layer_out(s, cache, l - 1) : x;
        int I = layer_in(s, l);
        /* the gradient for the layer below; layer 0's is the caller's dx */
        float *din = l ? dy_next + (l % 2) * TB * Y : dx;
        if (l) memset(din, 0, TB * Y * sizeof *din);
        for (int d = 0; d < s->dirs; d++) {
            dir_cache c = dir_at(s, cache, l, d);
            int k = l * s->dirs + d;
            const float *w_ih = w + vae_lstm_offset(s, l, d, VAE_LSTM_W_IH);
            const float *w_hh = w + vae_lstm_offset(s, l, d, VAE_LSTM_W_HH);
            load_state(dh, dhn, k, s);
            load_state(dc, dcn, k, s);
            for (int step = T - 1; step >= 0; step--) {
                int t = d ? T - 1 - step : step, prev = d ? t + 1 : t;
                float *a = da + (size_t)t * 4 * BH;
                cell_backward(a, dh, dc, dy ? dy + (size_t)t * B * Y + d * H : NULL, Y, c.gates + (size_t)t * 4 * BH,
                              c.cs + prev * BH, c.tc + t * BH, len, t, B, H);
                vae_matmul_dyw(dh, a, w_hh, B, 4 * H, H);
            }
            if (dh0)
                for (size_t i = 0; i < BH; i++) dh0[k * BH + i] += dh[i];
            if (dc0)
                for (size_t i = 0; i < BH; i++) dc0[k * BH + i] += dc[i];
            /* the previous states of all steps: slots 0..T-1 forward, 1..T reverse */
            vae_matmul_dytx(dw + vae_lstm_offset(s, l, d, VAE_LSTM_W_HH), dw + vae_lstm_offset(s, l, d, VAE_LSTM_B_HH),
                            da, c.hs + (d ? BH : 0), (int)TB, 4 * H, H);
            vae_matmul_dytx(dw + vae_lstm_offset(s, l, d, VAE_LSTM_W_IH), dw + vae_lstm_offset(s, l, d, VAE_LSTM_B_IH),
                            da, in, (int)TB, 4 * H, I);
            if (din) vae_matmul_dyw(din, da, w_ih, (int)TB, 4 * H, I);
        }
        dy = din;
    }
}
