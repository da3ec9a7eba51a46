/* wasm-SIMD f32 matrix kernels and the dispatchers the layers call.
 *
 * All three ops are one accumulate C[rows, cols] += A[rows, depth] . B[depth, cols]
 * with B's columns contiguous, computed in 4x8 output tiles held in eight v128
 * accumulators: per step of depth, two vector loads of B, four broadcasts of
 * A, eight multiplies and eight adds.
 *   dyw:  C = dX, A = dY, B = W (W[n, :] is contiguous along K).
 *   dytx: C = dW, A = dY^T (strided view), B = X.
 *   xwt:  C = Y, A = X, B = W^T, which is not contiguous along N, so it is
 *         read in strips of 8 columns, k-major: a model's weights packed
 *         once (vae_matmul_xwt_pack), other W packed per call into a bounded
 *         stack strip per block of K; for fewer than 4 rows, dot products
 *         along K instead.
 * xwt also has a sparse kernel for X with many zeros (post-ReLU activations,
 * images): 1x28 tiles stepping through each row's nonzero k only, with the
 * same sums less their +-0 terms; the dispatcher counts X's zeros to pick.
 * It reads W^T in 28-column panels, which a model packs once per weights
 * too, beside the 8-column strips (vae_matmul_xwt_packed takes both, and
 * with them also serves fewer than 4 rows).
 * The order of every sum is fixed by the shapes alone, and multiplies and
 * adds are never fused, so a kernel gives the same bits on every call and on
 * every target. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/kernels.h"
#include "kernels/simd.h"

#ifndef VAE_NO_SIMD

#if defined(__GNUC__)
#define NOINLINE static __attribute__((noinline))
#else
#define NOINLINE static
#endif

/* Depth block of xwt's sums: each output adds its block's sum, in order
 * from zero, to Y. The sparse kernel's W^T panels are PANEL (28, its
 * widest step, PANEL_NV vectors) columns wide; packed per call, a panel's
 * block is 28 * 256 floats = 28 KB of stack. */
#define XWT_KC 256
#define PANEL 28
#define PANEL_NV 7

/* Strided read-only matrix: element (i, j) at p[i*rs + j*cs]. */
typedef struct {
    const float *p;
    size_t rs, cs;
} view;

/* C[rows, 4*nv] += A[rows, depth] . B[depth, 4*nv], B rows ldb floats apart.
 * rows <= 4 and nv <= 2 are constants at every call, so acc[][] is registers.
 * Each output sums its products over k in order from zero, then adds to C. */
ALWAYS_INLINE void tile(float *C, size_t ldc, view A, const float *B, size_t ldb, int depth, int rows, int nv) {
    v128_t acc[4][2];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++) acc[r][v] = wasm_f32x4_splat(0.0f);
    const float *bk = B, *ak = A.p;
    for (int k = 0; k < depth; k++, bk += ldb, ak += A.cs) {
        v128_t bv[2];
        for (int v = 0; v < nv; v++) bv[v] = wasm_v128_load(bk + 4 * v);
        for (int r = 0; r < rows; r++) {
            /* splat of a load: wasm gets load32_splat either way, while
             * SIMDe turns load32_splat into integer shuffles but this into
             * one vbroadcastss (native 1.3x) */
            v128_t a = wasm_f32x4_splat(ak[r * A.rs]);
            for (int v = 0; v < nv; v++) acc[r][v] = wasm_f32x4_add(acc[r][v], wasm_f32x4_mul(a, bv[v]));
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++) {
            float *c = C + r * ldc + 4 * v;
            wasm_v128_store(c, wasm_f32x4_add(wasm_v128_load(c), acc[r][v]));
        }
}

/* C[rows, 4*nv] += A[rows, depth] . B[depth, 4*nv], any rows: 4-row tiles,
 * then 1-row tiles for the last rows % 4 (the same sums). */
NOINLINE void strip(float *C, size_t ldc, view A, const float *B, size_t ldb, int depth, int rows, int nv) {
    /* literal (rows, nv) pairs so that each tile() is specialised; the last
     * rows % 4 one at a time (tiles of 2 and 3 rows cost 1 KB of wasm) */
    for (int i = 0; i < rows; i += rows - i < 4 ? 1 : 4) {
        float *c = C + (size_t)i * ldc;
        view a = {A.p + (size_t)i * A.rs, A.rs, A.cs};
        if (rows - i < 4)
            nv == 2 ? tile(c, ldc, a, B, ldb, depth, 1, 2) : tile(c, ldc, a, B, ldb, depth, 1, 1);
        else
            nv == 2 ? tile(c, ldc, a, B, ldb, depth, 4, 2) : tile(c, ldc, a, B, ldb, depth, 4, 1);
    }
}

/* C[rows, cols] += A[rows, depth] . B[depth, cols] for the last cols < 4
 * columns, where a vector would read past the end of a row. */
static void strip_scalar(float *C, size_t ldc, view A, view B, int depth, int rows, int cols) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            float s = 0.0f;
            for (int k = 0; k < depth; k++) s += A.p[i * A.rs + k * A.cs] * B.p[k * B.rs + j * B.cs];
            C[i * ldc + j] += s;
        }
}

/* Width in vectors of the column strip starting at j of cols: 2, 1, or 0 for
 * the scalar remainder. */
static int strip_nv(int j, int cols) { return cols - j >= 8 ? 2 : cols - j >= 4 ? 1 : 0; }

/* C[rows, cols] += A[rows, depth] . B[depth, cols], B rows ldb floats apart.
 * Column strips outermost so a strip of B stays in cache across all rows. */
static void gemm_acc(float *C, size_t ldc, view A, const float *B, size_t ldb, int depth, int rows, int cols) {
    int j = 0;
    for (int nv; (nv = strip_nv(j, cols)) > 0; j += 4 * nv) strip(C + j, ldc, A, B + j, ldb, depth, rows, nv);
    if (j < cols) strip_scalar(C + j, ldc, A, (view){B + j, ldb, 1}, depth, rows, cols - j);
}

/* 4x4 transpose of rows r[0..3]. */
ALWAYS_INLINE void transpose4(v128_t r[4]) {
    v128_t t0 = wasm_i32x4_shuffle(r[0], r[1], 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r[2], r[3], 0, 4, 1, 5);
    v128_t t2 = wasm_i32x4_shuffle(r[0], r[1], 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r[2], r[3], 2, 6, 3, 7);
    r[0] = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5);
    r[1] = wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7);
    r[2] = wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5);
    r[3] = wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7);
}

/* P[kc, 4*nv] = W[4*nv, kc]^T into rows ldp floats apart; W rows ldw
 * floats apart. Once per panel, not per step: inlined into both xwt kernels
 * it would only cost size (the wasm budget). */
NOINLINE void pack_wt(float *P, int ldp, const float *W, size_t ldw, int kc, int nv) {
    int w = 4 * nv, k = 0;
    for (; k + 4 <= kc; k += 4)
        for (int v = 0; v < nv; v++) {
            v128_t r[4];
            for (int q = 0; q < 4; q++) r[q] = wasm_v128_load(W + (4 * v + q) * ldw + k);
            transpose4(r);
            for (int q = 0; q < 4; q++) wasm_v128_store(P + (k + q) * ldp + 4 * v, r[q]);
        }
    for (; k < kc; k++)
        for (int j = 0; j < w; j++) P[k * ldp + j] = W[j * ldw + k];
}

/* Width in vectors, at most wide, of the widest pass that fits in cols (0: none). */
static int piece_nv(int cols, int wide) { return cols >= 4 * wide ? wide : cols >= 8 ? 2 : cols >= 4 ? 1 : 0; }

/* Width in vectors of the widest sparse pass (and packed panel piece) that fits in cols (0: none):
 * 784 is 28 passes of 28 columns, 400 is 14 and one of 8, 20 two of 8 and one of 4. */
static int sparse_nv(int cols) { return piece_nv(cols, PANEL_NV); }

size_t vae_matmul_xwt_pack_floats(int N, int K) {
    int cols = N & ~3; /* all but the last N % 4 columns */
    return ((size_t)cols + (size_t)(cols + PANEL - 1) / PANEL * PANEL) * (size_t)K;
}

/* W^T twice, all but the last N % 4 columns. First the dense tiles' strips,
 * 8 columns (the last maybe 4) k-major, contiguous: P[n0 K + 4 nv k + j] (read
 * through the 28-column rows instead, the tiles ran 18% slower, more than
 * packing per call cost). Then, from (N & ~3) K on, the sparse kernel's
 * panels: panel p holds columns PANEL p .. PANEL p + PANEL - 1 over all of K,
 * k-major: [(p K + k) PANEL + j] (the last one's columns past N & ~3 are never
 * read, nor written). */
void vae_matmul_xwt_pack(float *P, const float *W, int N, int K) {
    int cols = N & ~3;
    for (int wide = 2; wide <= PANEL_NV; wide += PANEL_NV - 2, P += (size_t)cols * K)
        for (int n0 = 0, nv; (nv = piece_nv(cols - n0, wide)) > 0; n0 += 4 * nv) {
            int ldp = wide == 2 ? 4 * nv : PANEL;
            pack_wt(P + (size_t)(n0 - n0 % ldp) * K + n0 % ldp, ldp, W + (size_t)n0 * K, (size_t)K, K, nv);
        }
}

/* W^T's columns n0 .. n0 + 4 nv (within one panel ldp columns wide) for
 * depth block k0 (kc deep), rows ldp floats apart: in the packed panels P if
 * there are some, else packed now into buf. Not inlined: its callers would
 * be unswitched on P (code size, the wasm budget). */
NOINLINE const float *panel(float *buf, int ldp, const float *P, const float *W, int n0, int nv, int k0, int kc,
                            int K) {
    if (P) return P + ((size_t)(n0 - n0 % ldp) * K + (size_t)k0 * ldp + n0 % ldp);
    pack_wt(buf, ldp, W + (size_t)n0 * K + k0, (size_t)K, kc, nv);
    return buf;
}

/* Y[M, 4*(N/4)] += X[M,K] . W[N,K]^T as dot products along K, four columns
 * at a time, transposed and summed at the end. Returns the columns done. */
static int xwt_dot(float *Y, const float *X, const float *W, const float *P, int M, int N, int K) {
    for (int m = 0; m < M; m++) {
        const float *x = X + (size_t)m * K;
        for (int n = 0; n + 4 <= N; n += 4) {
            const float *w = W + (size_t)n * K;
            v128_t acc[4];
            for (int j = 0; j < 4; j++) acc[j] = wasm_f32x4_splat(0.0f);
            int k = 0;
            for (; k + 4 <= K; k += 4) {
                v128_t xv = wasm_v128_load(x + k);
                for (int j = 0; j < 4; j++)
                    acc[j] = wasm_f32x4_add(acc[j], wasm_f32x4_mul(xv, wasm_v128_load(w + j * (size_t)K + k)));
            }
            transpose4(acc);
            v128_t s = wasm_f32x4_add(wasm_f32x4_add(acc[0], acc[1]), wasm_f32x4_add(acc[2], acc[3]));
            float t[4] = {0};
            for (; k < K; k++)
                for (int j = 0; j < 4; j++) t[j] += x[k] * w[j * (size_t)K + k];
            float *y = Y + (size_t)m * N + n;
            wasm_v128_store(y, wasm_f32x4_add(wasm_v128_load(y), wasm_f32x4_add(s, wasm_v128_load(t))));
        }
    }
    return N & ~3;
}

/* Y[M, cols] += X[M,K] . W[N,K]^T for the leading cols (all but N % 4) in
 * 4x8 tiles, one W^T strip (8 or 4 columns, XWT_KC deep) at a time: from the
 * packed weights if there are some, else packed now. Returns cols. */
static int xwt_tiles(float *Y, const float *X, const float *W, const float *P, int M, int N, int K) {
    float buf[XWT_KC * 8];
    int n0 = 0;
    for (int nv; (nv = strip_nv(n0, N)) > 0; n0 += 4 * nv)
        for (int k0 = 0; k0 < K; k0 += XWT_KC) {
            int kc = K - k0 < XWT_KC ? K - k0 : XWT_KC;
            const float *b = panel(buf, 4 * nv, P, W, n0, nv, k0, kc, K);
            strip(Y + n0, (size_t)N, (view){X + k0, (size_t)K, 1}, b, (size_t)(4 * nv), kc, M, nv);
        }
    return n0;
}

/* Sparse xwt: rows of X whose nonzero lists are built per pass (8 bytes
 * per entry of a depth block, so SPARSE_ROWS * XWT_KC * 8 bytes of stack), and
 * the widest column pass in vectors. In V8 a 1-row step is bound by its
 * loads (one per vector of W^T, one broadcast of x), so wider is better,
 * but TurboFan hoists a step's loads above its arithmetic: 7 vectors take
 * 15 registers (accumulators, loads, broadcast), all it allocates on x64;
 * 8 spill. */
#define SPARSE_ROWS 64

/* A row's nonzeros of a depth block, in order: the bits of their x, then
 * (LIST entries on) the byte offsets of their rows in a panel. A step reads
 * both at constant offsets from one pointer. LIST leaves 4 entries of slack:
 * the lists are written 4 at a time. */
#define LIST (XWT_KC + 4)
typedef uint32_t nonzeros[2 * LIST];

/* Byte shuffles that move the lanes set in a 4-bit mask to the front, in order. */
#define L4(j) 4 * j, 4 * j + 1, 4 * j + 2, 4 * j + 3
static const uint8_t compact[16][16] = {
    {0},
    {L4(0)},
    {L4(1)},
    {L4(0), L4(1)},
    {L4(2)},
    {L4(0), L4(2)},
    {L4(1), L4(2)},
    {L4(0), L4(1), L4(2)},
    {L4(3)},
    {L4(0), L4(3)},
    {L4(1), L4(3)},
    {L4(0), L4(1), L4(3)},
    {L4(2), L4(3)},
    {L4(0), L4(2), L4(3)},
    {L4(1), L4(2), L4(3)},
    {L4(0), L4(1), L4(2), L4(3)},
};
#undef L4

/* Lists the nonzeros of x[0, kc) (NaN counts, -0 does not: as x != 0) into
 * nz, four at a time: a lane mask picks the shuffle that packs them. Returns
 * their count. */
static int list_nonzeros(nonzeros *nz, const float *x, int kc) {
    int c = 0;
    v128_t off = wasm_i32x4_make(0, PANEL * 4, PANEL * 8, PANEL * 12);
    for (int k = 0; k < kc; k += 4) {
        v128_t v = vae_load_part(x + k, (size_t)(kc - k)); /* zeros past kc: not listed */
        int m = wasm_i32x4_bitmask(wasm_f32x4_ne(v, wasm_f32x4_splat(0.0f)));
        v128_t s = wasm_v128_load(compact[m]);
        wasm_v128_store(*nz + c, wasm_i8x16_swizzle(v, s));
        wasm_v128_store(*nz + LIST + c, wasm_i8x16_swizzle(off, s));
        c += __builtin_popcount((unsigned)m);
        off = wasm_i32x4_add(off, wasm_i32x4_splat(PANEL * 16));
    }
    return c;
}

/* y[0, 4*nv] += x * P[row, 0:4*nv] summed over the cnt listed nonzeros, in
 * order from zero. */
ALWAYS_INLINE void sparse_row(float *y, const nonzeros *nz, int cnt, const float *P, int nv) {
    v128_t acc[PANEL_NV];
    for (int v = 0; v < nv; v++) acc[v] = wasm_f32x4_splat(0.0f);
    for (const uint32_t *e = *nz, *end = e + cnt; e < end; e++) {
        const float *p = (const float *)((const char *)P + e[LIST]);
        float x;
        memcpy(&x, e, sizeof x);
        v128_t a = wasm_f32x4_splat(x);
        for (int v = 0; v < nv; v++) acc[v] = wasm_f32x4_add(acc[v], wasm_f32x4_mul(a, wasm_v128_load(p + 4 * v)));
    }
    for (int v = 0; v < nv; v++) wasm_v128_store(y + 4 * v, wasm_f32x4_add(wasm_v128_load(y + 4 * v), acc[v]));
}

/* Y[M, cols] += X[M,K] . W[N,K]^T for the panels' columns, skipping the
 * zeros of X: per depth block, each row lists its nonzero k; then each
 * column pass (28, 8 or 4 columns) meets every row's list in 1-row
 * tiles, one step per nonzero. Each output sums the dense tile's products per
 * depth block in the same order, less those of zeros, which for finite W
 * are +-0 and change no bits (s + +-0 == s, as a sum that starts at +0
 * never is -0). Returns cols. */
static int xwt_sparse(float *Y, const float *X, const float *W, const float *P, int M, int N, int K) {
    float buf[XWT_KC * PANEL];
    nonzeros nz[SPARSE_ROWS];
    int cnt[SPARSE_ROWS], cols = N & ~3;
    if (P) P += (size_t)cols * K; /* the sparse panels, after the dense strips */
    for (int m0 = 0; m0 < M; m0 += SPARSE_ROWS) {
        int rows = M - m0 < SPARSE_ROWS ? M - m0 : SPARSE_ROWS;
        for (int k0 = 0; k0 < K; k0 += XWT_KC) {
            int kc = K - k0 < XWT_KC ? K - k0 : XWT_KC;
            for (int r = 0; r < rows; r++) cnt[r] = list_nonzeros(&nz[r], X + (size_t)(m0 + r) * K + k0, kc);
            for (int n0 = 0, nv; (nv = sparse_nv(cols - n0)) > 0; n0 += 4 * nv) {
                const float *p = panel(buf, PANEL, P, W, n0, nv, k0, kc, K);
                for (int r = 0; r < rows; r++) {
                    float *y = Y + (size_t)(m0 + r) * N + n0;
                    /* literal widths so that each sparse_row() is specialised */
                    switch (nv) {
                    case PANEL_NV: sparse_row(y, &nz[r], cnt[r], p, PANEL_NV); break;
                    case 2: sparse_row(y, &nz[r], cnt[r], p, 2); break;
                    default: sparse_row(y, &nz[r], cnt[r], p, 1); break;
                    }
                }
            }
        }
    }
    return cols;
}

typedef int (*xwt_cols_fn)(float *Y, const float *X, const float *W, const float *P, int M, int N, int K);

/* Y[M,N] = bias (or zero), then += X . W^T: cols(...) does all but the
 * last N % 4 columns, which get scalar dot products along K. */
static void xwt_with(xwt_cols_fn cols, float *Y, const float *X, const float *W, const float *P, const float *b, int M,
                     int N, int K) {
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) Y[(size_t)m * N + n] = b ? b[n] : 0.0f;
    int n0 = cols(Y, X, W, P, M, N, K);
    if (n0 < N)
        strip_scalar(Y + n0, (size_t)N, (view){X, (size_t)K, 1}, (view){W + (size_t)n0 * K, 1, (size_t)K}, K, M,
                     N - n0);
}

/* Packing W^T costs about one row's worth of products, so below 4 rows
 * plain dot products along K are faster. */
void vae_matmul_xwt_4x8_wasmsimd(float *Y, const float *X, const float *W, const float *b, int M, int N, int K) {
    xwt_with(M < 4 ? xwt_dot : xwt_tiles, Y, X, W, NULL, b, M, N, K);
}

void vae_matmul_xwt_sparse_1x28_wasmsimd(float *Y, const float *X, const float *W, const float *P, const float *b,
                                         int M, int N, int K) {
    xwt_with(xwt_sparse, Y, X, W, P, b, M, N, K);
}

/* dX[M,K] += dY[M,N] . W[N,K]. */
void vae_matmul_dyw_4x8_wasmsimd(float *dX, const float *dY, const float *W, int M, int N, int K) {
    gemm_acc(dX, (size_t)K, (view){dY, (size_t)N, 1}, W, (size_t)K, N, M, K);
}

/* dW[N,K] += dY[M,N]^T . X[M,K];  db[N] += column sums of dY (db may be NULL). */
void vae_matmul_dytx_4x8_wasmsimd(float *dW, float *db, const float *dY, const float *X, int M, int N, int K) {
    gemm_acc(dW, (size_t)K, (view){dY, 1, (size_t)N}, X, (size_t)K, M, N, K);
    if (!db) return;
    int n = 0;
    for (; n + 4 <= N; n += 4) {
        v128_t s = wasm_f32x4_splat(0.0f);
        for (int m = 0; m < M; m++) s = wasm_f32x4_add(s, wasm_v128_load(dY + (size_t)m * N + n));
        wasm_v128_store(db + n, wasm_f32x4_add(wasm_v128_load(db + n), s));
    }
    for (; n < N; n++) {
        float s = 0.0f;
        for (int m = 0; m < M; m++) s += dY[(size_t)m * N + n];
        db[n] += s;
    }
}

#define XWT vae_matmul_xwt_4x8_wasmsimd
#define DYW vae_matmul_dyw_4x8_wasmsimd
#define DYTX vae_matmul_dytx_4x8_wasmsimd
#else
#define XWT vae_matmul_xwt_scalar
#define DYW vae_matmul_dyw_scalar
#define DYTX vae_matmul_dytx_scalar

/* The scalar twins take W as it is: nothing to pack. */
size_t vae_matmul_xwt_pack_floats(int N, int K) { return 0; }
void vae_matmul_xwt_pack(float *P, const float *W, int N, int K) {}
#endif

#ifndef VAE_NO_SIMD
/* Whether the sparse xwt beats the dense one on X [M,K] for N outputs. In
 * V8 a sparse step costs about 3/2 of a dense one per output (it is bound by
 * its loads) and listing a row's nonzeros about 10 dense steps per entry of
 * X (tests/bench/bench_kernels.c measures both kernels), so from 4 rows
 * (fewer are not packed) it wins when 3 nnz + 20 M K / N <= 2 M K:
 * from 1/3 zeros at N = 784, from 2/3 at N = 20 (an encoder head after
 * ReLU: about 9/10 zeros). */
static int xwt_sparse_pays(const float *X, int M, int N, int K) {
    if (M < 4) return 0;
    size_t n = (size_t)M * K;
    /* nonzeros per lane (a true lane is -1): written out, as clang's own
     * vectorising of the scalar count took more bytes (the wasm budget) */
    v128_t c = wasm_i32x4_splat(0);
    for (size_t i = 0; i < n; i += 4)
        c = wasm_i32x4_sub(c, wasm_f32x4_ne(vae_load_part(X + i, n - i), wasm_f32x4_splat(0.0f)));
    c = wasm_i32x4_add(c, wasm_i32x4_shuffle(c, c, 2, 3, 0, 1));
    size_t nnz = (uint32_t)(wasm_i32x4_extract_lane(c, 0) + wasm_i32x4_extract_lane(c, 1));
    return 3 * nnz + 20 * n / (size_t)N <= 2 * n;
}
#endif

void vae_matmul_xwt(float *Y, const float *X, const float *W, const float *b, int M, int N, int K) {
#ifndef VAE_NO_SIMD
    if (xwt_sparse_pays(X, M, N, K)) {
        vae_matmul_xwt_sparse_1x28_wasmsimd(Y, X, W, NULL, b, M, N, K);
        return;
    }
#endif
    XWT(Y, X, W, b, M, N, K);
}

/* Below 4 rows the sparse kernel's 1-row passes read the packed panels
 * (xwt_dot would read W); from 4 rows, vae_matmul_xwt's choice, the dense
 * tiles reading the packed strips. */
void vae_matmul_xwt_packed(float *Y, const float *X, const float *W, const float *P, const float *b, int M, int N,
                           int K) {
#ifndef VAE_NO_SIMD
    xwt_with(M < 4 || xwt_sparse_pays(X, M, N, K) ? xwt_sparse : xwt_tiles, Y, X, W, P, b, M, N, K);
#else
    vae_matmul_xwt_scalar(Y, X, W, b, M, N, K);
#endif
}

void vae_matmul_dyw(float *dX, const float *dY, const float *W, int M, int N, int K) { DYW(dX, dY, W, M, N, K); }

void vae_matmul_dytx(float *dW, float *db, const float *dY, const float *X, int M, int N, int K) {
    DYTX(dW, db, dY, X, M, N, K);
}
