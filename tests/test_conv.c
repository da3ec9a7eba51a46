/* conv2d and conv_transpose2d: the fast layers against their scalar twins
 * over awkward shapes, finite-difference gradient checks, the PyTorch golden
 * fixtures (tools/make_golden_conv.py), and shape/argument errors. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testbuf.h"
#include "outhash.h"
#include "fixture.h"
#include "fdcheck.h"
#include "layers/conv.h"

#define TOL 1e-5 /* fast vs scalar, scaled by each output's magnitude */

static vae_rng rng;

/* ---------------------------------------------------------------- buffers */

static float *buf_rand(size_t n) {
    float *p = buf(n);
    for (size_t i = 0; i < n; i++) p[i] = 2.0f * vae_rng_uniform(&rng) - 1.0f;
    return p;
}

static float *buf_map(const float *a, size_t n, int absolute) {
    float *p = buf(n);
    for (size_t i = 0; i < n; i++) p[i] = absolute ? fabsf(a[i]) : a[i];
    return p;
}

static float *buf_fill(size_t n, float v) {
    float *p = buf(n);
    for (size_t i = 0; i < n; i++) p[i] = v;
    return p;
}

/* ---------------------------------------------------------------- the two layers */

typedef vae_status (*fwd_fn)(float *, const float *, const float *, const float *, const vae_conv_shape *, void *,
                             size_t, vae_error *);
typedef vae_status (*bwd_fn)(float *, float *, float *, const float *, const float *, const float *,
                             const vae_conv_shape *, void *, size_t, vae_error *);
typedef void (*fwd_scalar_fn)(float *, const float *, const float *, const float *, const vae_conv_shape *);
typedef void (*bwd_scalar_fn)(float *, float *, float *, const float *, const float *, const float *,
                              const vae_conv_shape *);

static const struct {
    const char *name;
    fwd_fn fwd;
    bwd_fn bwd;
    fwd_scalar_fn fwd_scalar;
    bwd_scalar_fn bwd_scalar;
} LAYER[2] = {
    {"conv2d", vae_conv2d_forward, vae_conv2d_backward, vae_conv2d_forward_scalar, vae_conv2d_backward_scalar},
    {"conv_transpose2d", vae_conv_transpose2d_forward, vae_conv_transpose2d_backward,
     vae_conv_transpose2d_forward_scalar, vae_conv_transpose2d_backward_scalar},
};

static size_t in_numel(const vae_conv_shape *s) { return (size_t)s->n * s->c_in * s->h_in * s->w_in; }
static size_t out_numel(const vae_conv_shape *s) { return (size_t)s->n * s->c_out * s->h_out * s->w_out; }
static size_t w_numel(const vae_conv_shape *s) { return (size_t)s->c_in * s->c_out * s->kh * s->kw; }

static void describe(char *out, size_t cap, const vae_conv_shape *s) {
    snprintf(out, cap, "%s n=%d %dx%dx%d -> %dx%dx%d k=%dx%d s=%d p=%d op=%d", LAYER[s->kind].name, s->n, s->c_in,
             s->h_in, s->w_in, s->c_out, s->h_out, s->w_out, s->kh, s->kw, s->stride, s->pad, s->out_pad);
}

/* A workspace of exactly the advertised size (at least one byte for malloc). */
static void *workspace(const vae_conv_shape *s, size_t *bytes) {
    *bytes = vae_conv_workspace_bytes(s);
    void *p = malloc(*bytes ? *bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* ---------------------------------------------------------------- fast vs scalar */

enum { T_Y, T_DX, T_DW, T_DB, N_T };
static const char *const TENSOR[N_T] = {"out", "dinp", "dw", "db"};
static double worst[2][N_T];

/* got against ref within TOL of mag (the same computation on absolute values). */
static void compare_scaled(const vae_conv_shape *s, int t, const float *got, const float *ref, const float *mag,
                           size_t n) {
    double rel = 0.0;
    hash_floats(got, n);
    for (size_t i = 0; i < n; i++) {
        double r = fabs((double)got[i] - ref[i]) / ((double)mag[i] + 1e-30);
        if (!(r <= rel)) rel = r; /* NaN sticks */
    }
    if (!(rel <= worst[s->kind][t])) worst[s->kind][t] = rel;
    char d[160];
    describe(d, sizeof d, s);
    CHECK(rel <= TOL, "%s %s: scaled error %g", d, TENSOR[t], rel);
}

/* Forward and backward of the fast layer against the scalar twin; backward
 * accumulates onto random gradients; NULL gradients are skipped. */
static void fast_vs_scalar(const vae_conv_shape *s) {
    const int k = s->kind;
    size_t nx = in_numel(s), ny = out_numel(s), nw = w_numel(s), nb = (size_t)s->c_out, wsb;
    void *ws = workspace(s, &wsb);
    float *x = buf_rand(nx), *w = buf_rand(nw), *b = buf_rand(nb), *dy = buf_rand(ny);
    float *ax = buf_map(x, nx, 1), *aw = buf_map(w, nw, 1), *ab = buf_map(b, nb, 1), *ady = buf_map(dy, ny, 1);
    char d[160];
    describe(d, sizeof d, s);
    vae_error err;

    float *y = buf_fill(ny, NAN), *y2 = buf_fill(ny, NAN), *yref = buf(ny), *ymag = buf(ny);
    CHECK(LAYER[k].fwd(y, x, w, b, s, ws, wsb, &err) == VAE_OK, "%s forward: %s", d, err.msg);
    CHECK(LAYER[k].fwd(y2, x, w, b, s, ws, wsb, &err) == VAE_OK, "%s forward: %s", d, err.msg);
    LAYER[k].fwd_scalar(yref, x, w, b, s);
    LAYER[k].fwd_scalar(ymag, ax, aw, ab, s);
    compare_scaled(s, T_Y, y, yref, ymag, ny);
    CHECK(!memcmp(y, y2, ny * sizeof *y), "%s forward not deterministic", d);

    /* gradients start random (accumulation) in one block: dinp, dw, db */
    size_t ng = nx + nw + nb;
    float *g0 = buf_rand(ng), *g = buf_map(g0, ng, 0), *gref = buf_map(g0, ng, 0), *gmag = buf_map(g0, ng, 1);
    CHECK(LAYER[k].bwd(g, g + nx, g + nx + nw, dy, x, w, s, ws, wsb, &err) == VAE_OK, "%s backward: %s", d, err.msg);
    LAYER[k].bwd_scalar(gref, gref + nx, gref + nx + nw, dy, x, w, s);
    LAYER[k].bwd_scalar(gmag, gmag + nx, gmag + nx + nw, ady, ax, aw, s);
    compare_scaled(s, T_DX, g, gref, gmag, nx);
    compare_scaled(s, T_DW, g + nx, gref + nx, gmag + nx, nw);
    compare_scaled(s, T_DB, g + nx + nw, gref + nx + nw, gmag + nx + nw, nb);

    /* each gradient on its own gives the same bits as all three together */
    for (int only = 0; only < 3; only++) {
        float *h = buf_map(g0, ng, 0);
        CHECK(LAYER[k].bwd(only == 0 ? h : NULL, only == 1 ? h + nx : NULL, only == 2 ? h + nx + nw : NULL, dy,
                           only == 1 ? x : NULL, only == 0 ? w : NULL, s, ws, wsb, &err) == VAE_OK,
              "%s backward, one gradient: %s", d, err.msg);
        size_t off = only == 0 ? 0 : only == 1 ? nx : nx + nw, len = only == 0 ? nx : only == 1 ? nw : nb;
        CHECK(!memcmp(h + off, g + off, len * sizeof *h), "%s %s alone differs", d, TENSOR[T_DX + only]);
        CHECK(!memcmp(h, g0, off * sizeof *h) && !memcmp(h + off + len, g0 + off + len, (ng - off - len) * sizeof *h),
              "%s skipped gradients were touched", d);
        buf_free(h);
    }
    float *all[] = {x, w, b, dy, ax, aw, ab, ady, y, y2, yref, ymag, g0, g, gref, gmag};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
    free(ws);
}

static int sweep(void) {
    static const int chans[] = {1, 3, 5}, sizes[] = {1, 4, 5, 7, 8, 9};
    int shapes = 0, combo = 0;
    for (int kind = 0; kind < 2; kind++)
        for (int kh = 1; kh <= 5; kh++)
            for (int stride = 1; stride <= 3; stride++)
                for (int pad = 0; pad <= 2; pad++, combo++) {
                    /* vary the rest from one combination to the next */
                    vae_conv_shape s = {.kind = (vae_conv_kind)kind,
                                        .n = combo % 2 ? 3 : 1,
                                        .c_in = chans[combo % 3],
                                        .c_out = chans[(combo / 3) % 3],
                                        .h_in = sizes[combo % 6],
                                        .w_in = sizes[(combo * 5 + 3) % 6],
                                        .kh = kh,
                                        .kw = combo % 4 ? kh : kh % 5 + 1,
                                        .stride = stride,
                                        .pad = pad,
                                        .out_pad = kind ? combo % stride : 0};
                    if (vae_conv_shape_check(&s, NULL) != VAE_OK) continue; /* kernel larger than the padded input */
                    fast_vs_scalar(&s);
                    shapes++;
                }
    /* full 4x8 tiles and the conv-VAE layers (small batch) */
    static const vae_conv_shape big[] = {
        {VAE_CONV2D, 2, 5, 11, 9, 9, 3, 3, 1, 1, 0, 0, 0},
        {VAE_CONV_TRANSPOSE2D, 2, 9, 6, 5, 5, 3, 3, 2, 1, 1, 0, 0},
        {VAE_CONV2D, 2, 1, 28, 28, 32, 4, 4, 2, 1, 0, 0, 0},
        {VAE_CONV2D, 1, 32, 14, 14, 64, 4, 4, 2, 1, 0, 0, 0},
        {VAE_CONV_TRANSPOSE2D, 1, 64, 7, 7, 32, 4, 4, 2, 1, 0, 0, 0},
        {VAE_CONV_TRANSPOSE2D, 2, 32, 14, 14, 1, 4, 4, 2, 1, 0, 0, 0},
        {VAE_CONV2D, 1, 32, 32, 32, 64, 4, 4, 2, 1, 0, 0, 0},
        {VAE_CONV_TRANSPOSE2D, 1, 128, 8, 8, 64, 4, 4, 2, 1, 0, 0, 0},
        /* 7x7 positions at batch 5: a group of 4 images side by side, then one alone */
        {VAE_CONV2D, 5, 32, 14, 14, 64, 4, 4, 2, 1, 0, 0, 0},
        {VAE_CONV_TRANSPOSE2D, 5, 64, 7, 7, 32, 4, 4, 2, 1, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof big / sizeof *big; i++) {
        vae_conv_shape s = big[i];
        vae_error err;
        CHECK(vae_conv_shape_check(&s, &err) == VAE_OK, "shape %zu: %s", i, err.msg);
        fast_vs_scalar(&s);
        shapes++;
    }
    return shapes;
}

/* ---------------------------------------------------------------- gradient checks */

typedef struct {
    vae_conv_shape s;
    float *x, *w, *b, *proj, *out;
    void *ws;
    size_t wsb;
} grad_ctx;

static double projected_loss(grad_ctx *c) {
    LAYER[c->s.kind].fwd(c->out, c->x, c->w, c->b, &c->s, c->ws, c->wsb, NULL);
    double sum = 0.0;
    for (size_t i = 0; i < out_numel(&c->s); i++) sum += (double)c->out[i] * c->proj[i];
    return sum;
}

/* The layers are linear in each of x, w and b, so the central difference has
 * no truncation error and there are no kinks: a large step only shrinks the
 * float32 rounding in the loss. */
static double projected_loss_fd(void *c) { return projected_loss(c); }

static void layer_fd_check(const char *what, grad_ctx *c, float *v, size_t n, const float *analytic) {
    fd_check(what, v, n, analytic, projected_loss_fd, c, 0.25f, 1e-3, 0);
}

static void grad_check(vae_conv_shape s) {
    vae_error err;
    CHECK(vae_conv_shape_check(&s, &err) == VAE_OK, "%s", err.msg);
    grad_ctx c = {.s = s};
    size_t nx = in_numel(&s), ny = out_numel(&s), nw = w_numel(&s);
    c.x = buf_rand(nx);
    c.w = buf_rand(nw);
    c.b = buf_rand((size_t)s.c_out);
    c.proj = buf_rand(ny);
    c.out = buf(ny);
    c.ws = workspace(&s, &c.wsb);
    float *dx = buf_fill(nx, 0.0f), *dw = buf_fill(nw, 0.0f), *db = buf_fill((size_t)s.c_out, 0.0f);
    CHECK(LAYER[s.kind].bwd(dx, dw, db, c.proj, c.x, c.w, &s, c.ws, c.wsb, &err) == VAE_OK, "%s", err.msg);
    char d[160], what[200];
    describe(d, sizeof d, &s);
    printf(" %s\n", d);
    snprintf(what, sizeof what, "%s dinp", LAYER[s.kind].name);
    layer_fd_check(what, &c, c.x, nx, dx);
    snprintf(what, sizeof what, "%s dw", LAYER[s.kind].name);
    layer_fd_check(what, &c, c.w, nw, dw);
    snprintf(what, sizeof what, "%s db", LAYER[s.kind].name);
    layer_fd_check(what, &c, c.b, (size_t)s.c_out, db);
    float *all[] = {c.x, c.w, c.b, c.proj, c.out, dx, dw, db};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
    free(c.ws);
}

/* ---------------------------------------------------------------- PyTorch golden */

static void golden(const char *name) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s.bin", VAE_TEST_DATA_DIR, name);
    fixture fx;
    int nr = fixture_load(path, &fx);
    CHECK(nr == 9, "%s: %d records, want 9", path, nr);
    const float *sh = fixture_get(&fx, "shape", 13);
    if (!sh) return;
    vae_conv_shape s = {.kind = (vae_conv_kind)sh[0],
                        .n = (int)sh[1],
                        .c_in = (int)sh[2],
                        .h_in = (int)sh[3],
                        .w_in = (int)sh[4],
                        .c_out = (int)sh[5],
                        .kh = (int)sh[6],
                        .kw = (int)sh[7],
                        .stride = (int)sh[8],
                        .pad = (int)sh[9],
                        .out_pad = (int)sh[10]};
    vae_error err;
    CHECK(vae_conv_shape_check(&s, &err) == VAE_OK, "%s: %s", name, err.msg);
    CHECK(s.h_out == (int)sh[11] && s.w_out == (int)sh[12], "%s: output %dx%d, PyTorch %dx%d", name, s.h_out, s.w_out,
          (int)sh[11], (int)sh[12]);
    size_t nx = in_numel(&s), ny = out_numel(&s), nw = w_numel(&s), nb = (size_t)s.c_out, wsb;
    const float *x = fixture_get(&fx, "x", nx), *w = fixture_get(&fx, "w", nw), *b = fixture_get(&fx, "b", nb);
    const float *p = fixture_get(&fx, "proj", ny);
    if (!x || !w || !b || !p) return;
    void *ws = workspace(&s, &wsb);
    printf("%s\n", name);
    for (int fast = 1; fast >= 0; fast--) {
        float *y = buf(ny), *dx = buf_fill(nx, 0.0f), *dw = buf_fill(nw, 0.0f), *db = buf_fill(nb, 0.0f);
        if (fast) {
            CHECK(LAYER[s.kind].fwd(y, x, w, b, &s, ws, wsb, &err) == VAE_OK, "%s", err.msg);
            CHECK(LAYER[s.kind].bwd(dx, dw, db, p, x, w, &s, ws, wsb, &err) == VAE_OK, "%s", err.msg);
        } else {
            LAYER[s.kind].fwd_scalar(y, x, w, b, &s);
            LAYER[s.kind].bwd_scalar(dx, dw, db, p, x, w, &s);
        }
        const char *tag = fast ? "fast" : "scalar";
        char what[64];
        snprintf(what, sizeof what, "%s out", tag);
        fixture_compare(what, y, fixture_get(&fx, "y", ny), ny, 1e-5);
        snprintf(what, sizeof what, "%s dinp", tag);
        fixture_compare(what, dx, fixture_get(&fx, "dx", nx), nx, 1e-5);
        snprintf(what, sizeof what, "%s dw", tag);
        fixture_compare(what, dw, fixture_get(&fx, "dw", nw), nw, 1e-5);
        snprintf(what, sizeof what, "%s db", tag);
        fixture_compare(what, db, fixture_get(&fx, "db", nb), nb, 1e-5);
        float *all[] = {y, dx, dw, db};
        for (size_t i = 0; i < 4; i++) buf_free(all[i]);
    }
    free(ws);
    fixture_free(&fx);
}

/* ---------------------------------------------------------------- errors */

/* Shape check fails with VAE_ERR_ARG and a message containing `words`. */
static void expect_bad_shape(vae_conv_shape s, const char *words) {
    vae_error err = {0};
    vae_status st = vae_conv_shape_check(&s, &err);
    CHECK(st == VAE_ERR_ARG && err.code == VAE_ERR_ARG && strstr(err.msg, words), "want \"%s\", got %s: %s", words,
          vae_status_name(st), err.msg);
    printf("  rejected: %s\n", err.msg);
}

static void errors(void) {
    printf("errors\n");
    const vae_conv_shape ok = {VAE_CONV2D, 2, 3, 8, 8, 4, 4, 4, 2, 1, 0, 0, 0};
    vae_conv_shape s = ok;
    s.kh = 11;
    expect_bad_shape(s, "larger than the padded input 10x10");
    s = ok;
    s.stride = 0;
    expect_bad_shape(s, "stride = 0");
    s = ok;
    s.out_pad = 1;
    expect_bad_shape(s, "out_pad = 1, want 0");
    s = ok;
    s.kind = VAE_CONV_TRANSPOSE2D;
    s.out_pad = 2;
    expect_bad_shape(s, "smaller than stride 2");
    s = (vae_conv_shape){VAE_CONV_TRANSPOSE2D, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0};
    expect_bad_shape(s, "output would be -1x-1");
    s = (vae_conv_shape){VAE_CONV2D, 1, 4096, 4096, 4096, 1, 1, 1, 1, 0, 0, 0, 0};
    expect_bad_shape(s, "elements");
    s = (vae_conv_shape){VAE_CONV_TRANSPOSE2D, 1, 65536, 65536, 65536, 65536, 65536, 65536, 65536, 0, 0, 0, 0};
    expect_bad_shape(s, "elements"); /* 2^96 patch elements must not overflow the check */
    s = ok;
    s.kind = (vae_conv_kind)7;
    expect_bad_shape(s, "unknown kind");
    CHECK(vae_conv_shape_check(NULL, NULL) == VAE_ERR_ARG, "NULL shape");

    /* the layers refuse bad calls before writing anything */
    s = ok;
    vae_error err;
    CHECK(vae_conv_shape_check(&s, &err) == VAE_OK, "%s", err.msg);
    size_t nx = in_numel(&s), ny = out_numel(&s), nw = w_numel(&s), wsb;
    void *ws = workspace(&s, &wsb);
    float *x = buf_rand(nx), *w = buf_rand(nw), *y = buf_fill(ny, 7.0f), *dx = buf_fill(nx, 7.0f);
    vae_conv_shape stale = s;
    stale.h_in = 10; /* h_out stays 4, the fields now give 5 */
    CHECK(vae_conv2d_forward(y, x, w, NULL, &stale, ws, wsb, &err) == VAE_ERR_ARG && strstr(err.msg, "5x4"),
          "stale shape: %s", err.msg);
    CHECK(vae_conv_transpose2d_forward(y, x, w, NULL, &s, ws, wsb, &err) == VAE_ERR_ARG &&
              strstr(err.msg, "shape is for conv2d"),
          "kind mismatch: %s", err.msg);
    CHECK(vae_conv2d_forward(NULL, x, w, NULL, &s, ws, wsb, &err) == VAE_ERR_ARG, "NULL out: %s", err.msg);
    CHECK(vae_conv2d_backward(dx, NULL, NULL, y, x, NULL, &s, ws, wsb, &err) == VAE_ERR_ARG, "dinp without w: %s",
          err.msg);
    if (wsb) { /* VAE_NO_SIMD needs no workspace */
        CHECK(vae_conv2d_forward(y, x, w, NULL, &s, ws, wsb - 1, &err) == VAE_ERR_ARG && strstr(err.msg, "workspace"),
              "small workspace: %s", err.msg);
        printf("  rejected: %s\n", err.msg);
        CHECK(vae_conv2d_backward(dx, NULL, NULL, y, x, w, &s, NULL, wsb, &err) == VAE_ERR_ARG, "NULL workspace: %s",
              err.msg);
    }
    int untouched = 1;
    for (size_t i = 0; i < ny; i++) untouched &= y[i] == 7.0f;
    for (size_t i = 0; i < nx; i++) untouched &= dx[i] == 7.0f;
    CHECK(untouched, "a refused call wrote its output");
    int dims[4];
    vae_conv_weight_dims(&s, dims);
    CHECK(dims[0] == 4 && dims[1] == 3 && dims[2] == 4 && dims[3] == 4, "conv2d weight dims");
    s.kind = VAE_CONV_TRANSPOSE2D;
    vae_conv_weight_dims(&s, dims);
    CHECK(dims[0] == 3 && dims[1] == 4, "conv_transpose2d weight dims");
    float *all[] = {x, w, y, dx};
    for (size_t i = 0; i < 4; i++) buf_free(all[i]);
    free(ws);
}

int main(void) {
    vae_rng_seed(&rng, 2024);
#ifdef VAE_NO_SIMD
    printf("built with VAE_NO_SIMD: the fast path is the scalar twin\n");
#endif
    int shapes = sweep();
    printf("%d shapes, fast vs scalar, max error scaled by magnitude:\n", shapes);
    for (int k = 0; k < 2; k++)
        printf("  %-17s out %.2e  dinp %.2e  dw %.2e  db %.2e\n", LAYER[k].name, worst[k][T_Y], worst[k][T_DX],
               worst[k][T_DW], worst[k][T_DB]);
    check_hash(0x6ec01e9bb997f0d7u, 0xe0579f5633498b01u);

    printf("gradient checks (central differences of sum(proj * out))\n");
    grad_check((vae_conv_shape){VAE_CONV2D, 2, 2, 5, 6, 3, 3, 3, 2, 1, 0, 0, 0});
    grad_check((vae_conv_shape){VAE_CONV2D, 1, 3, 4, 5, 9, 2, 1, 1, 0, 0, 0, 0});
    grad_check((vae_conv_shape){VAE_CONV_TRANSPOSE2D, 2, 3, 3, 4, 2, 4, 4, 2, 1, 1, 0, 0});
    grad_check((vae_conv_shape){VAE_CONV_TRANSPOSE2D, 1, 2, 3, 2, 9, 3, 3, 3, 2, 2, 0, 0});

    static const char *const fixtures[] = {"conv_k4s2p1",   "conv_k3s1p1_odd",   "conv_k3s3p2_unused",
                                           "conv_t_k4s2p1", "conv_t_k3s2p1_op1", "conv_t_k5s3p2_op2"};
    for (size_t i = 0; i < sizeof fixtures / sizeof *fixtures; i++) golden(fixtures[i]);
    errors();
    return check_result("test_conv");
}
