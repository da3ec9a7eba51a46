/* SIMD matrix kernels against their scalar twins over awkward shapes.
 * Errors are scaled by each output's magnitude (the same sum over |terms|),
 * since the kernels sum in different orders and agree only to rounding. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "testbuf.h"
#include "outhash.h"
#include "kernels/kernels.h"

#define TOL 1e-5

static uint32_t rng_state = 12345u;

/* xorshift32 uniform in [-1, 1): the test needs no more than that. */
static float urand(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return (float)(rng_state >> 8) / 8388608.0f - 1.0f;
}

static float *buf_rand(size_t n) {
    float *p = buf(n);
    for (size_t i = 0; i < n; i++) p[i] = urand();
    return p;
}

static float *buf_abs(const float *a, size_t n) {
    if (!a) return NULL;
    float *p = buf(n);
    for (size_t i = 0; i < n; i++) p[i] = fabsf(a[i]);
    return p;
}

static float *buf_copy(const float *a, size_t n) {
    float *p = buf(n);
    memcpy(p, a, n * sizeof *p);
    return p;
}

/* Worst error of one kernel over the whole sweep. */
typedef struct {
    const char *name;
    double abs, rel;
} worst;

/* Checks got against ref within TOL of mag (the same op on absolute values). */
static void compare(worst *w, const float *got, const float *ref, const float *mag, size_t n, int M, int N, int K) {
    double rel = 0.0;
    hash_floats(got, n);
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - (double)ref[i]);
        double r = d / ((double)mag[i] + 1e-30);
        if (!(d <= w->abs)) w->abs = d;
        if (!(r <= rel)) rel = r;
    }
    if (rel > w->rel) w->rel = rel;
    CHECK(rel <= TOL, "%s M=%d N=%d K=%d: scaled error %g", w->name, M, N, K, rel);
}

#ifndef VAE_NO_SIMD
#define DYW_SIMD vae_matmul_dyw_4x8_wasmsimd
#define DYTX_SIMD vae_matmul_dytx_4x8_wasmsimd
#else /* the scalar-only build: the dispatchers must be the scalar kernels */
#define DYW_SIMD vae_matmul_dyw_scalar
#define DYTX_SIMD vae_matmul_dytx_scalar
#endif

#ifndef VAE_NO_SIMD
#define XWT_SIMD vae_matmul_xwt_4x8_wasmsimd
#else
#define XWT_SIMD vae_matmul_xwt_scalar
#endif

/* The sparse xwt with W packed (P) or not (NULL); the scalar-only build's
 * dispatchers must be the scalar kernel. */
static void XWT_SPARSE(float *Y, const float *X, const float *W, const float *P, const float *b, int M, int N, int K) {
#ifndef VAE_NO_SIMD
    vae_matmul_xwt_sparse_1x28_wasmsimd(Y, X, W, P, b, M, N, K);
#else
    vae_matmul_xwt_scalar(Y, X, W, b, M, N, K);
#endif
}

/* W [N,K] packed for the xwt kernels, in a buffer of its own (poisoned
 * first, so a panel's unwritten columns would show). */
static float *packed(const float *W, int N, int K) {
    size_t n = vae_matmul_xwt_pack_floats(N, K);
    float *P = buf(n ? n : 1);
    for (size_t i = 0; i < n; i++) P[i] = NAN;
    vae_matmul_xwt_pack(P, W, N, K);
    return P;
}

static worst w_xwt = {.name = "xwt"}, w_dyw = {.name = "dyw"}, w_dytx = {.name = "dytx"},
             w_sparse = {.name = "xwt sparse"}, w_packed = {.name = "xwt packed"};

/* Y = X W^T + b with and without b; Y starts as NaN to prove it is overwritten. */
static void test_xwt(int M, int N, int K, int with_b) {
    size_t nY = (size_t)M * N;
    float *X = buf_rand((size_t)M * K), *W = buf_rand((size_t)N * K), *b = with_b ? buf_rand(N) : NULL;
    float *aX = buf_abs(X, (size_t)M * K), *aW = buf_abs(W, (size_t)N * K), *ab = buf_abs(b, N);
    float *ref = buf(nY), *mag = buf(nY), *got = buf(nY), *again = buf(nY), *disp = buf(nY);
    float *P = packed(W, N, K), *pgot = buf(nY), *pdisp = buf(nY);
    for (size_t i = 0; i < nY; i++) got[i] = again[i] = disp[i] = pgot[i] = pdisp[i] = NAN;
    vae_matmul_xwt_scalar(ref, X, W, b, M, N, K);
    vae_matmul_xwt_scalar(mag, aX, aW, ab, M, N, K);
    XWT_SIMD(got, X, W, b, M, N, K);
    XWT_SIMD(again, X, W, b, M, N, K);
    vae_matmul_xwt(disp, X, W, b, M, N, K);
    /* W packed once (a model's weights): from 4 rows the dispatcher's bits,
     * below them the sparse kernel's rows (per call or packed, alike) */
    vae_matmul_xwt_packed(pdisp, X, W, P, b, M, N, K);
    if (M < 4) XWT_SPARSE(pgot, X, W, NULL, b, M, N, K);
    compare(&w_xwt, got, ref, mag, nY, M, N, K);
    compare(&w_packed, pdisp, ref, mag, nY, M, N, K);
    CHECK(!memcmp(got, again, nY * sizeof *got), "xwt M=%d N=%d K=%d not deterministic", M, N, K);
    CHECK(!memcmp(got, disp, nY * sizeof *got), "xwt dispatcher M=%d N=%d K=%d", M, N, K);
    CHECK(!memcmp(M < 4 ? pgot : disp, pdisp, nY * sizeof *got),
          "xwt M=%d N=%d K=%d: W packed once gives other bits than packed per call", M, N, K);
    float *all[] = {X, W, b, aX, aW, ab, ref, mag, got, again, disp, P, pgot, pdisp};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
}

/* The sparse xwt on X with a given share of zeros (some of them -0), W with
 * some zeros of both signs: within TOL of the scalar twin, bit for bit the
 * dense kernel from 4 rows up (below, the dense one sums dot products along
 * K instead), and the dispatcher gives one of the two. */
static void test_xwt_sparse(int M, int N, int K, double zeros, int with_b) {
    size_t nY = (size_t)M * N, nX = (size_t)M * K, nW = (size_t)N * K;
    float *X = buf_rand(nX), *W = buf_rand(nW), *b = with_b ? buf_rand(N) : NULL;
    for (size_t i = 0; i < nX; i++)
        if ((urand() + 1.0f) * 0.5f < zeros) X[i] = i % 3 ? 0.0f : -0.0f;
    for (size_t i = 0; i < nW; i += 7) W[i] = i % 2 ? 0.0f : -0.0f;
    float *aX = buf_abs(X, nX), *aW = buf_abs(W, nW), *ab = buf_abs(b, N);
    float *ref = buf(nY), *mag = buf(nY), *got = buf(nY), *dense = buf(nY), *disp = buf(nY);
    float *P = packed(W, N, K), *pgot = buf(nY);
    for (size_t i = 0; i < nY; i++) got[i] = disp[i] = pgot[i] = NAN;
    vae_matmul_xwt_scalar(ref, X, W, b, M, N, K);
    vae_matmul_xwt_scalar(mag, aX, aW, ab, M, N, K);
    XWT_SPARSE(got, X, W, NULL, b, M, N, K);
    XWT_SPARSE(pgot, X, W, P, b, M, N, K);
    XWT_SIMD(dense, X, W, b, M, N, K);
    vae_matmul_xwt(disp, X, W, b, M, N, K);
    CHECK(!memcmp(got, pgot, nY * sizeof *got), "xwt sparse M=%d N=%d K=%d zeros %g: W packed once gives other bits", M,
          N, K, zeros);
    compare(&w_sparse, got, ref, mag, nY, M, N, K);
    if (M >= 4)
        CHECK(!memcmp(got, dense, nY * sizeof *got), "xwt sparse M=%d N=%d K=%d zeros %g: not the dense bits", M, N, K,
              zeros);
    CHECK(!memcmp(disp, got, nY * sizeof *got) || !memcmp(disp, dense, nY * sizeof *got),
          "xwt dispatcher M=%d N=%d K=%d zeros %g: neither kernel's bits", M, N, K, zeros);
    float *all[] = {X, W, b, aX, aW, ab, ref, mag, got, dense, disp, P, pgot};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
}

/* dX += dY W, into zero or random dX. */
static void test_dyw(int M, int N, int K, int nonzero) {
    size_t nX = (size_t)M * K;
    float *dY = buf_rand((size_t)M * N), *W = buf_rand((size_t)N * K), *dX0 = buf_rand(nX);
    if (!nonzero) memset(dX0, 0, nX * sizeof *dX0);
    float *adY = buf_abs(dY, (size_t)M * N), *aW = buf_abs(W, (size_t)N * K);
    float *ref = buf_copy(dX0, nX), *mag = buf_abs(dX0, nX), *got = buf_copy(dX0, nX);
    float *again = buf_copy(dX0, nX), *disp = buf_copy(dX0, nX);
    vae_matmul_dyw_scalar(ref, dY, W, M, N, K);
    vae_matmul_dyw_scalar(mag, adY, aW, M, N, K);
    DYW_SIMD(got, dY, W, M, N, K);
    DYW_SIMD(again, dY, W, M, N, K);
    vae_matmul_dyw(disp, dY, W, M, N, K);
    compare(&w_dyw, got, ref, mag, nX, M, N, K);
    CHECK(!memcmp(got, again, nX * sizeof *got), "dyw M=%d N=%d K=%d not deterministic", M, N, K);
    CHECK(!memcmp(got, disp, nX * sizeof *got), "dyw dispatcher M=%d N=%d K=%d", M, N, K);
    float *all[] = {dY, W, dX0, adY, aW, ref, mag, got, again, disp};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
}

/* dW += dY^T X and db += colsum(dY), into zero or random dW/db; db NULL or not. */
static void test_dytx(int M, int N, int K, int nonzero, int with_db) {
    size_t nW = (size_t)N * K, nb = with_db ? (size_t)N : 0;
    float *dY = buf_rand((size_t)M * N), *X = buf_rand((size_t)M * K), *dW0 = buf_rand(nW + nb);
    if (!nonzero) memset(dW0, 0, (nW + nb) * sizeof *dW0);
    float *adY = buf_abs(dY, (size_t)M * N), *aX = buf_abs(X, (size_t)M * K);
    /* dW and db side by side in one block: [0, nW) then [nW, nW + nb) */
    float *ref = buf_copy(dW0, nW + nb), *mag = buf_abs(dW0, nW + nb), *got = buf_copy(dW0, nW + nb);
    float *again = buf_copy(dW0, nW + nb), *disp = buf_copy(dW0, nW + nb);
#define DB(p) (with_db ? (p) + nW : NULL)
    vae_matmul_dytx_scalar(ref, DB(ref), dY, X, M, N, K);
    vae_matmul_dytx_scalar(mag, DB(mag), adY, aX, M, N, K);
    DYTX_SIMD(got, DB(got), dY, X, M, N, K);
    DYTX_SIMD(again, DB(again), dY, X, M, N, K);
    vae_matmul_dytx(disp, DB(disp), dY, X, M, N, K);
#undef DB
    compare(&w_dytx, got, ref, mag, nW + nb, M, N, K);
    CHECK(!memcmp(got, again, (nW + nb) * sizeof *got), "dytx M=%d N=%d K=%d not deterministic", M, N, K);
    CHECK(!memcmp(got, disp, (nW + nb) * sizeof *got), "dytx dispatcher M=%d N=%d K=%d", M, N, K);
    float *all[] = {dY, X, dW0, adY, aX, ref, mag, got, again, disp};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) buf_free(all[i]);
}

static void test_shape(int M, int N, int K, int variant) {
    test_xwt(M, N, K, variant & 1);
    test_dyw(M, N, K, variant & 1);
    test_dytx(M, N, K, variant & 1, variant >> 1 & 1);
}

int main(void) {
    static const int dims[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 63, 64, 65, 130};
    const int nd = (int)(sizeof dims / sizeof *dims);
    int shapes = 0;
    /* Every triple of the small sizes; past that, one triple in three (all
     * tails still meet every size) so the sweep stays quick under sanitizers. */
    for (int i = 0; i < nd; i++)
        for (int j = 0; j < nd; j++)
            for (int k = 0; k < nd; k++) {
                int M = dims[i], N = dims[j], K = dims[k];
                if ((long)M * N * K > 4096 && (i + 2 * j + 4 * k) % 3) continue;
                test_shape(M, N, K, i + j + k);
                shapes++;
            }
    /* The sparse xwt: every panel width and tail (N), depth blocks and their
     * tails (K), row passes and their tails (M), at densities 0..1. */
    static const int sm[] = {1, 3, 4, 5, 9, 64, 130}, sn[] = {1, 4, 7, 8, 15, 27, 28, 31, 47, 60, 400},
                     sk[] = {1, 2, 7, 64, 255, 256, 257, 400, 513};
    static const double sz[] = {0.0, 0.1, 0.5, 0.9, 1.0};
    int sparse_shapes = 0;
    for (int i = 0; i < 7; i++)
        for (int j = 0; j < 11; j++)
            for (int k = 0; k < 9; k++) {
                long work = (long)sm[i] * sn[j] * sk[k];
                if (work > 100000 && (i + j + k) % 4) continue;
                test_xwt_sparse(sm[i], sn[j], sk[k], sz[(i + j + k) % 5], (i + k) & 1);
                if (work <= 4096)
                    for (int z = 0; z < 5; z++) test_xwt_sparse(sm[i], sn[j], sk[k], sz[z], z & 1);
                sparse_shapes++;
            }
    static const int layers[][3] = {{64, 784, 400}, {1, 400, 784}, {128, 20, 400}};
    for (int i = 0; i < 3; i++)
        for (int v = 0; v < 4; v++, shapes++) test_shape(layers[i][0], layers[i][1], layers[i][2], v);
    for (int z = 0; z < 5; z++) test_xwt_sparse(64, 784, 400, sz[z], 1); /* the decoder's output layer */
    printf("%d shapes, %d sparse xwt shapes; max |simd - scalar| (abs, scaled by magnitude):\n", shapes, sparse_shapes);
    worst *all[] = {&w_xwt, &w_dyw, &w_dytx, &w_sparse, &w_packed};
    for (int i = 0; i < 5; i++) printf("  %-10s %.3g  %.3g\n", all[i]->name, all[i]->abs, all[i]->rel);
    check_hash(0xd370da566f2f6a03u, 0x7fb43fbbf8f4f2c4u);
    return check_result("test_kernels");
}
