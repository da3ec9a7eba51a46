/* The C surface web/vae.js calls (WebAssembly build only).
 *
 * Objects are reached through small integer handles, not pointers: a handle
 * carries a generation, so a stale one (a disposed model) is reported as an
 * error instead of touching freed memory. Every call that can fail returns a
 * vae_status (or 0 for "no handle") and leaves the library's readable
 * message in one error record that JS reads with vw_error_code/_message.
 * The module is single-threaded, so one record and a few statics suffice.
 *
 * Built three times: with VW_TRAINING the trainer's calls and fresh models
 * are exported too (the module vae.js fetches for create() and a model's
 * first fit); without, the smaller module for everything else; with VW_SEQ
 * the word and sketch models (models/words.h, models/sketch.h) instead of
 * the image models, the module vae-seq.js fetches on the first such model. */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#ifdef VW_SEQ
#include "models/sketch.h"
#include "models/words.h"
#endif

#define EXPORT __attribute__((used, visibility("default")))

static vae_error g_err;

EXPORT int vw_error_code(void) { return g_err.code; }
EXPORT const char *vw_error_message(void) { return g_err.msg; }
/* A status's name: vae.js names errors (and tests their codes) through this. */
EXPORT const char *vw_status_name(int s) { return vae_status_name((vae_status)s); }

/* Whether this module was built with wasm SIMD (so info.simd describes the
 * module actually running, whatever file name it was loaded from). */
EXPORT int vw_simd(void) {
#ifdef __wasm_simd128__
    return 1;
#else
    return 0;
#endif
}

/* Bytes malloc currently hands out (emmalloc's in-use count, through
 * mallinfo), for the leak tests; the wasm memory itself only ever grows. */
EXPORT size_t vw_heap_used(void) { return mallinfo().uordblks; }

/* ---------------------------------------------------------------- handles */

/* H_MODEL: a vae_model, or in the VW_SEQ build a vae_words; H_SKETCH a vae_sketch. */
typedef enum { H_FREE = 0, H_MODEL, H_TRAINER, H_RNG, H_SKETCH } handle_kind;

typedef struct {
    void *p;
    int kind;
    int owner;    /* trainer: its model's handle (freed with it) */
    unsigned gen; /* bumped on release, so old handles stop matching */
} slot;

#define SLOT_BITS 16
static slot *slots; /* slot 0 is never used: handle 0 means "none" */
static int n_slots;

static const char *const kind_names[] = {"object", "model", "trainer", "random generator", "model"};

static int handle_new(int kind, void *p, int owner) {
    int i = 1;
    while (i < n_slots && slots[i].kind != H_FREE) i++;
    if (i >= n_slots) { /* full (or not yet made: slot 0 is reserved) */
        if (n_slots == 1 << SLOT_BITS) {
            vae_fail(&g_err, VAE_ERR_NOMEM, "too many live objects (%d): dispose some", n_slots - 1);
            return 0;
        }
        int cap = n_slots ? 2 * n_slots : 16;
        slot *s = realloc(slots, (size_t)cap * sizeof *s);
        if (!s) {
            vae_fail(&g_err, VAE_ERR_NOMEM, "out of memory for a handle");
            return 0;
        }
        memset(s + n_slots, 0, (size_t)(cap - n_slots) * sizeof *s);
        slots = s;
        i = n_slots ? n_slots : 1;
        n_slots = cap;
    }
    slots[i].p = p;
    slots[i].kind = kind;
    slots[i].owner = owner;
    vae_ok(&g_err);
    return (int)((slots[i].gen & 0x7fff) << SLOT_BITS | (unsigned)i);
}

/* The object behind h if it is live and of the given kind, else NULL with an error. */
static void *handle_get(int h, int kind) {
    unsigned i = (unsigned)h & ((1u << SLOT_BITS) - 1), gen = (unsigned)h >> SLOT_BITS;
    if (h <= 0 || i >= (unsigned)n_slots || slots[i].kind != kind || (slots[i].gen & 0x7fff) != gen) {
        vae_fail(&g_err, VAE_ERR_STATE, "this %s has been disposed", kind_names[kind]);
        return NULL;
    }
    return slots[i].p;
}

static void slot_release(int i) {
    switch (slots[i].kind) {
#ifdef VW_SEQ
    case H_MODEL: vae_words_free(slots[i].p); break;
    case H_SKETCH: vae_sketch_free(slots[i].p); break;
#else
    case H_MODEL: vae_model_free(slots[i].p); break;
#endif
#if defined(VW_SEQ) && defined(VW_TRAINING)
    case H_TRAINER: vae_words_run_free(slots[i].p); break;
#elif defined(VW_TRAINING)
    case H_TRAINER: vae_trainer_free(slots[i].p); break;
#endif
    case H_RNG: free(slots[i].p); break;
    }
    slots[i].p = NULL;
    slots[i].kind = H_FREE;
    slots[i].gen++;
}

/* Frees any object; a model takes its trainers with it (they borrow it).
 * Stale or unknown handles are ignored, so dispose() can be repeated. */
EXPORT void vw_release(int h) {
    unsigned i = (unsigned)h & ((1u << SLOT_BITS) - 1);
    if (h <= 0 || i >= (unsigned)n_slots || slots[i].kind == H_FREE ||
        (slots[i].gen & 0x7fff) != (unsigned)h >> SLOT_BITS)
        return;
    if (slots[i].kind == H_MODEL)
        for (int j = 1; j < n_slots; j++)
            if (slots[j].kind == H_TRAINER && slots[j].owner == h) slot_release(j);
    slot_release((int)i);
}

enum { MAX_META = 64 };

/* meta: n key, value pairs as NUL-terminated strings one after another, into kv [2 n]. */
static inline __attribute__((always_inline)) vae_status split_meta(const char **kv, const char *meta, int n) {
    if (n < 0 || n > MAX_META) return vae_fail(&g_err, VAE_ERR_ARG, "too many metadata entries (%d)", n);
    for (int i = 0; i < 2 * n; i++) {
        kv[i] = meta;
        meta += strlen(meta) + 1;
    }
    return vae_ok(&g_err);
}

#ifndef VW_SEQ
/* ---------------------------------------------------------------- models */

static int model_handle(vae_status s, vae_model *m) {
    if (s) return 0;
    int h = handle_new(H_MODEL, m, 0);
    if (!h) vae_model_free(m);
    return h;
}

EXPORT int vw_model_load(const uint8_t *buf, size_t len) {
    vae_model *m = NULL;
    return model_handle(vae_model_load(&m, buf, len, &g_err), m);
}

EXPORT int vw_model_decoder_copy(int h) {
    vae_model *m = handle_get(h, H_MODEL), *c = NULL;
    return m ? model_handle(vae_model_decoder_copy(m, &c, &g_err), c) : 0;
}

/* The architecture as JSON (valid until the next call), or NULL. */
EXPORT const char *vw_model_arch_json(int h) {
    static char json[VAE_ARCH_JSON_MAX];
    vae_model *m = handle_get(h, H_MODEL);
    if (!m || vae_arch_to_json(vae_model_arch(m), json, sizeof json, &g_err)) return NULL;
    return json;
}

EXPORT double vw_model_param_count(int h) {
    vae_model *m = handle_get(h, H_MODEL);
    return m ? (double)vae_model_param_count(m) : -1;
}

EXPORT int vw_encode(int h, const float *x, const int *labels, int n, float *mu, float *logvar) {
    vae_model *m = handle_get(h, H_MODEL);
    return m ? vae_model_encode(m, x, labels, n, mu, logvar, &g_err) : g_err.code;
}

EXPORT int vw_decode(int h, const float *z, const int *labels, int n, float *out) {
    vae_model *m = handle_get(h, H_MODEL);
    return m ? vae_model_decode(m, z, labels, n, out, &g_err) : g_err.code;
}

EXPORT int vw_loss(int h, const float *x, const int *labels, int n, const float *eps, float *rec, float *kl) {
    vae_model *m = handle_get(h, H_MODEL);
    return m ? vae_model_loss(m, x, labels, n, eps, rec, kl, &g_err) : g_err.code;
}

EXPORT int vw_iwae(int h, const float *x, const int *labels, int n, int k, int rng_h, float *ll) {
    vae_model *m = handle_get(h, H_MODEL);
    vae_rng *r = m ? handle_get(rng_h, H_RNG) : NULL;
    return r ? vae_model_iwae(m, x, labels, n, k, r, ll, &g_err) : g_err.code;
}

/* meta: n_meta key/value pairs as consecutive NUL-terminated strings
 * (k0 v0 k1 v1 ...). out[0] = malloc'd bytes (caller frees), out[1] = length. */
EXPORT int vw_save(int h, int dtype, int decoder_only, const char *meta, int n_meta, uintptr_t *out) {
    vae_model *m = handle_get(h, H_MODEL);
    if (!m) return g_err.code;
    const char *kv[2 * MAX_META];
    if (split_meta(kv, meta, n_meta)) return g_err.code;
    uint8_t *buf = NULL;
    size_t len = 0;
    vae_status s = vae_model_save(m, (vae_dtype)dtype, decoder_only, kv, n_meta, &buf, &len, &g_err);
    out[0] = (uintptr_t)buf;
    out[1] = len;
    return s;
}

#endif /* !VW_SEQ */

#if defined(VW_TRAINING) && !defined(VW_SEQ)
/* ---------------------------------------------------------------- training */

/* M2's q(y|x) (Model.classify, in the training build: the page does not fetch it). */
EXPORT int vw_classify(int h, const float *x, int n, float *probs) {
    vae_model *m = handle_get(h, H_MODEL);
    return m ? vae_model_classify(m, x, n, probs, &g_err) : g_err.code;
}

/* arch_json: the VAE_METADATA_KEY object, NUL-terminated; weights drawn from seed. */
EXPORT int vw_model_create(const char *arch_json, uint64_t seed) {
    vae_arch a;
    vae_model *m = NULL;
    vae_status s = vae_arch_from_json(arch_json, strlen(arch_json), &a, &g_err);
    if (!s) s = vae_arch_validate(&a, &g_err);
    if (!s) s = vae_model_init(&m, &a, seed, &g_err);
    return model_handle(s, m);
}

/* config: the training options as JSON (vae_train_config_from_json),
 * NUL-terminated; the trainer's own noise drawn from seed. */
EXPORT int vw_trainer_create(int model_h, const char *config, uint64_t seed) {
    vae_model *m = handle_get(model_h, H_MODEL);
    vae_train_config c;
    if (!m || vae_train_config_from_json(config, strlen(config), &c, &g_err)) return 0;
    c.seed = seed;
    vae_trainer *t = NULL;
    if (vae_trainer_init(&t, m, &c, &g_err)) return 0;
    int h = handle_new(H_TRAINER, t, model_h);
    if (!h) vae_trainer_free(t);
    return h;
}

static void write_stats(double *stats, const vae_step_stats *st) {
    double out[7] = {st->loss, st->rec, st->kl, st->grad_norm, st->beta_used, (double)st->step, st->penalty};
    memcpy(stats, out, sizeof out);
}

/* One optimiser step; stats = loss, rec, kl, grad_norm, beta_used, step, penalty. */
EXPORT int vw_trainer_step(int h, const float *x, const int *labels, int n, double *stats) {
    vae_trainer *t = handle_get(h, H_TRAINER);
    if (!t) return g_err.code;
    vae_step_stats st;
    vae_status s = vae_trainer_step(t, x, labels, n, NULL, &st, &g_err);
    if (s) return s;
    write_stats(stats, &st);
    return VAE_OK;
}
/* trainer({workers: N}) (vae-train.js), the data-parallel step of vae.h:
 * the coordinator draws, each worker's replica computes its share, the
 * coordinator sums in the fixed tree and steps. sums: 8 doubles a share
 * (rec, kl, pen, loss, xent, entropy, n, labelled). */
EXPORT int vw_batch_share(int n, int shares, int i, int *first) { return vae_batch_share(n, shares, i, first); }

EXPORT int vw_trainer_eps_count(int h, const int *labels, int n) {
    vae_trainer *t = handle_get(h, H_TRAINER);
    return t ? vae_trainer_eps_count(t, labels, n) : 0;
}

EXPORT int vw_trainer_draw(int h, const float *x, const int *labels, int n, float *eps, float *noisy) {
    vae_trainer *t = handle_get(h, H_TRAINER);
    return t ? vae_trainer_draw(t, x, labels, n, eps, noisy, &g_err) : g_err.code;
}

EXPORT int vw_trainer_share(int h, const float *x, const float *xin, const int *labels, int n, int batch_n,
                            const float *eps, float *grads, double *sums) {
    vae_trainer *t = handle_get(h, H_TRAINER);
    vae_share_sums s;
    vae_status st = t ? vae_trainer_share_grads(t, x, xin, labels, n, batch_n, eps, grads, &s, &g_err) : g_err.code;
    if (st) return st;
    double out[8] = {s.rec, s.kl, s.pen, s.loss, s.xent, s.entropy, s.n, s.labelled};
    memcpy(sums, out, sizeof out);
    return VAE_OK;
}

/* grads: `shares` gradient buffers; stats as vw_trainer_step's. */
EXPORT int vw_trainer_apply(int h, float **grads, const double *sums, int shares, double *stats) {
    vae_trainer *t = handle_get(h, H_TRAINER);
    if (!t) return g_err.code;
    vae_share_sums s[256];
    if (shares < 1 || shares > 256) return vae_fail(&g_err, VAE_ERR_ARG, "%d shares (1 to 256)", shares);
    for (int i = 0; i < shares; i++) {
        const double *d = sums + 8 * i;
        s[i] = (vae_share_sums){d[0], d[1], d[2], d[3], d[4], d[5], (int)d[6], (int)d[7]};
    }
    vae_step_stats st;
    vae_status r = vae_trainer_apply(t, grads, s, shares, &st, &g_err);
    if (r) return r;
    write_stats(stats, &st);
    return VAE_OK;
}

/* A replica takes the coordinator's weights (params NULL: keeps its own) and step count. */
EXPORT int vw_trainer_sync(int h, const float *params, double steps) {
    vae_trainer *t = handle_get(h, H_TRAINER);
    return t ? vae_trainer_sync(t, params, (int64_t)steps, &g_err) : g_err.code;
}

/* The model's parameter block [vw_model_param_count] (0: no such model):
 * vae-train.js copies a step's weights straight out of the coordinator and
 * into a replica, with no staging copy. */
EXPORT float *vw_model_params(int h) {
    vae_model *m = handle_get(h, H_MODEL);
    return m ? vae_model_params(m) : NULL;
}

/* The order of a training epoch (vae train shuffles the same way). */
EXPORT int vw_rng_permutation(int h, int *perm, int n) {
    vae_rng *r = handle_get(h, H_RNG);
    if (!r) return g_err.code;
    vae_rng_permutation(r, perm, n);
    return vae_ok(&g_err);
}

/* ---------------------------------------------------------------- tables */

/* vae-table.js's CSV reader and table spec (formats/csv.c), in this module
 * because a table's model is trained here. Names and column lists are
 * consecutive NUL-terminated strings. */

/* A malloc'd table (vw_table_free), or NULL; n_columns 0: the default columns. */
EXPORT vae_table *vw_csv_parse(const char *text, size_t len, int delim, const char *columns, int n_columns,
                               const char *label, int label_optional) {
    if (n_columns < 0 || n_columns > VAE_MAX_DIM) {
        vae_fail(&g_err, VAE_ERR_ARG, "%d columns asked for: 1..%d can be read", n_columns, VAE_MAX_DIM);
        return NULL;
    }
    const char **list = n_columns ? malloc((size_t)n_columns * sizeof *list) : NULL;
    vae_table *t = malloc(sizeof *t);
    if (!t || (n_columns && !list)) {
        free(list);
        free(t);
        vae_fail(&g_err, VAE_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; list && i < n_columns; i++, columns += strlen(columns) + 1) list[i] = columns;
    vae_csv_options o = {(char)delim, n_columns ? list : NULL, n_columns, label, label_optional};
    vae_status s = vae_csv_parse(text, len, &o, t, &g_err);
    free(list);
    if (s) {
        free(t);
        return NULL;
    }
    return t;
}

EXPORT void vw_table_free(vae_table *t) {
    vae_table_free(t);
    free(t);
}

/* The spec fitted to rows x [rows, cols] (labels: NULL or [rows]) as malloc'd JSON, or NULL. */
EXPORT char *vw_table_spec(const float *x, int *labels, int rows, int cols, const char *names, int window,
                           const char *label) {
    char **list = cols > 0 && cols <= VAE_MAX_DIM ? malloc((size_t)cols * sizeof *list) : NULL;
    if (!list) {
        vae_fail(&g_err, VAE_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (int i = 0; i < cols; i++, names += strlen(names) + 1) list[i] = (char *)names;
    vae_table t = {rows, cols, (float *)x, labels, list};
    vae_table_spec spec;
    char *json = NULL;
    if (!vae_table_spec_fit(&spec, &t, window, &g_err)) {
        spec.label = (char *)label;
        vae_table_spec_to_json(&spec, &json, &g_err);
        spec.label = NULL; /* not ours to free */
        vae_table_spec_free(&spec);
    }
    free(list);
    return json;
}

/* out = {inputs (malloc'd [n, D]), their labels (malloc'd [n] or NULL), n}. */
EXPORT int vw_table_inputs(const char *spec_json, const float *x, int *labels, int rows, int cols, int32_t *out) {
    vae_table_spec spec;
    vae_status s = vae_table_spec_parse(&spec, spec_json, strlen(spec_json), &g_err);
    if (s) return s;
    vae_table t = {rows, cols, (float *)x, labels, NULL};
    float *in = NULL;
    int *lab = NULL, n = 0;
    s = vae_table_inputs(&spec, &t, &in, &lab, &n, &g_err);
    vae_table_spec_free(&spec);
    out[0] = (int32_t)(uintptr_t)in, out[1] = (int32_t)(uintptr_t)lab, out[2] = n;
    return s;
}

/* width [D]: the inputs' step widths (vae_table_dequant). */
EXPORT int vw_table_dequant(const char *spec_json, float *width) {
    vae_table_spec spec;
    vae_status s = vae_table_spec_parse(&spec, spec_json, strlen(spec_json), &g_err);
    if (s) return s;
    s = vae_table_dequant(&spec, width, &g_err);
    vae_table_spec_free(&spec);
    return s;
}

/* A batch x [n, D] dequantised in place with generator h's draws (a table model's fit). */
EXPORT int vw_dequant(int h, const float *width, float *x, int n, int D) {
    vae_rng *r = handle_get(h, H_RNG);
    return r ? vae_dequant_apply(r, width, x, n, D, &g_err) : g_err.code;
}

/* points [n + window - 1]: each row's score from the scores of n inputs. */
EXPORT int vw_table_points(const char *spec_json, const float *scores, int n, float *points) {
    vae_table_spec spec;
    vae_status s = vae_table_spec_parse(&spec, spec_json, strlen(spec_json), &g_err);
    if (s) return s;
    s = vae_table_point_scores(&spec, scores, n, points, &g_err);
    vae_table_spec_free(&spec);
    return s;
}

#endif

/* ---------------------------------------------------------------- random */

EXPORT int vw_rng_create(uint64_t seed) {
    vae_rng *r = malloc(sizeof *r);
    if (!r) {
        vae_fail(&g_err, VAE_ERR_NOMEM, "out of memory for a random generator");
        return 0;
    }
    vae_rng_seed(r, seed);
    int h = handle_new(H_RNG, r, 0);
    if (!h) free(r);
    return h;
}

EXPORT int vw_rng_normals(int h, float *out, int n) {
    vae_rng *r = handle_get(h, H_RNG);
    if (!r) return g_err.code;
    vae_rng_normals(r, out, (size_t)n);
    return vae_ok(&g_err);
}

#ifdef VW_SEQ
/* ---------------------------------------------------------------- word models */

/* Words per batch inside the library (the results do not depend on it): the
 * training module's runs take trainer batches of up to 256; inference loads
 * allocate for 32 (a smaller buffer loads faster). */
#ifdef VW_TRAINING
enum { WORDS_CAP = 256 };
#else
enum { WORDS_CAP = 32 };
#endif

/* (vae-seq.js reads a model's architecture and parameter count off the file's header.) */
EXPORT int vw_words_load(const uint8_t *buf, size_t len) {
    vae_words *m = NULL;
    if (vae_words_load(&m, buf, len, WORDS_CAP, &g_err)) return 0;
    int h = handle_new(H_MODEL, m, 0);
    if (!h) vae_words_free(m);
    return h;
}

/* words: n NUL-terminated words one after another; mu, logvar [n, latent]. */
EXPORT int vw_words_encode(int h, const char *words, int n, float *mu, float *logvar) {
    vae_words *m = handle_get(h, H_MODEL);
    if (!m) return g_err.code;
    int L = vae_words_get_arch(m)->latent;
    const char *batch[WORDS_CAP];
    for (int i = 0; i < n; i += WORDS_CAP) {
        int nb = n - i < WORDS_CAP ? n - i : WORDS_CAP;
        for (int b = 0; b < nb; b++) {
            size_t len = strlen(words);
            vae_error e;
            if (vae_words_check(m, words, len, &e))
                return vae_fail(&g_err, VAE_ERR_ARG, "word %d: %s", i + b + 1, e.msg);
            batch[b] = words;
            words += len + 1;
        }
        vae_status s = vae_words_encode(m, batch, nb, mu + (size_t)i * L, logvar + (size_t)i * L, &g_err);
        if (s) return s;
    }
    return vae_ok(&g_err);
}

/* out [n, max_len + 1]: z [n, latent] decoded (models/words.h), draws seeded by seed. */
EXPORT int vw_words_decode(int h, const float *z, int n, float temperature, uint64_t seed, char *out) {
    vae_words *m = handle_get(h, H_MODEL);
    if (!m) return g_err.code;
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    return vae_words_decode(m, z, n, temperature, &rng, out, &g_err);
}

/* out [n, max_len + 1]: n words as `vae sample` draws them. */
EXPORT int vw_words_sample(int h, int n, uint64_t seed, float temperature, char *out) {
    vae_words *m = handle_get(h, H_MODEL);
    return m ? vae_words_sample(m, n, seed, temperature, out, &g_err) : g_err.code;
}

#ifdef VW_TRAINING
/* (Saving lives in the training module only: the inference module's budget;
 * vae-seq.js hands back a loaded model's own file.) */
/* out = {bytes (malloc'd; caller frees), length}: the file, meta as vw_save's. */
EXPORT int vw_words_save(int h, int dtype, const char *meta, int n_meta, uintptr_t *out) {
    vae_words *m = handle_get(h, H_MODEL);
    const char *kv[2 * MAX_META];
    if (!m || split_meta(kv, meta, n_meta)) return g_err.code;
    uint8_t *buf = NULL;
    size_t len = 0;
    vae_status s = vae_words_save(m, (vae_dtype)dtype, kv, n_meta, &buf, &len, &g_err);
    out[0] = (uintptr_t)buf, out[1] = len;
    return s;
}

/* The parameter count of model h (a fresh model has no file whose header would tell). */
EXPORT double vw_words_param_count(int h) {
    vae_words *m = handle_get(h, H_MODEL);
    return m ? (double)vae_words_param_count(m) : 0;
}

/* A fresh model of the architecture JSON (models/words.h's metadata), weights from seed. */
EXPORT int vw_words_create(const char *arch_json, uint64_t seed) {
    vae_words_arch a;
    vae_words *m = NULL;
    if (vae_words_arch_from_json(arch_json, strlen(arch_json), &a, &g_err) ||
        vae_words_create(&m, &a, WORDS_CAP, seed, &g_err))
        return 0;
    int h = handle_new(H_MODEL, m, 0);
    if (!h) vae_words_free(m);
    return h;
}

/* A training run of model h (models/words.h) on n NUL-terminated words,
 * options as JSON; sizes = {training words, held out, steps per epoch}. */
EXPORT int vw_words_run_create(int model_h, const char *options, const char *words, int n, uint64_t seed,
                               int32_t *sizes) {
    vae_words *m = handle_get(model_h, H_MODEL);
    vae_words_train_opts o;
    if (!m || vae_words_train_opts_from_json(options, strlen(options), &o, &g_err)) return 0;
    if (n < 0 || n > (1 << 24)) return vae_fail(&g_err, VAE_ERR_ARG, "%d words", n), 0;
    const char **list = malloc((size_t)(n ? n : 1) * sizeof *list);
    if (!list) return vae_fail(&g_err, VAE_ERR_NOMEM, "out of memory for %d words", n), 0;
    for (int i = 0; i < n; i++) list[i] = words, words += strlen(words) + 1;
    vae_words_run *r = NULL;
    vae_status s = vae_words_run_create(&r, m, list, n, &o, seed, &g_err);
    free(list);
    if (s) return 0;
    vae_words_run_sizes(r, &sizes[0], &sizes[1], &sizes[2]);
    int h = handle_new(H_TRAINER, r, model_h);
    if (!h) vae_words_run_free(r);
    return h;
}

/* The run's next step; info = {epoch, step, words, epoch done, beta, rec, kl, loss, gradient norm}. */
EXPORT int vw_words_run_step(int h, double *info) {
    vae_words_run *r = handle_get(h, H_TRAINER);
    vae_words_step_info i = {0};
    if (!r) return g_err.code;
    vae_status s = vae_words_run_step(r, &i, &g_err);
    double v[] = {i.epoch, i.step, i.n, i.epoch_done, i.beta, i.stats.rec, i.stats.kl, i.stats.loss, i.stats.grad_norm};
    memcpy(info, v, sizeof v);
    return s;
}

/* out = {rec, kl, correct, n}: sums over the run's held-out words. */
EXPORT int vw_words_run_evaluate(int h, double *out) {
    vae_words_run *r = handle_get(h, H_TRAINER);
    vae_words_heldout e;
    if (!r || vae_words_run_evaluate(r, &e, &g_err)) return g_err.code;
    double v[] = {e.rec, e.kl, e.correct, e.n};
    memcpy(out, v, sizeof v);
    return 0;
}
#endif /* VW_TRAINING */
/* ---------------------------------------------------------------- sketch models */

/* Drawings per batch inside the library (its buffers grow with it; the
 * results do not depend on it). */
enum { SKETCH_CAP = 8 };

EXPORT int vw_sketch_load(const uint8_t *buf, size_t len) {
    vae_sketch *m = NULL;
    if (vae_sketch_load(&m, buf, len, SKETCH_CAP, &g_err)) return 0;
    int h = handle_new(H_SKETCH, m, 0);
    if (!h) vae_sketch_free(m);
    return h;
}

/* batch [n]: the drawings of n point counts lens whose stroke-3 points
 * follow one another from pts; returns the points after them. */
static const float *sketch_batch(vae_sketch_drawing *batch, const float *pts, const int *lens, int n) {
    for (int b = 0; b < n; b++) {
        batch[b] = (vae_sketch_drawing){pts, lens[b]};
        pts += (size_t)(lens[b] > 0 ? lens[b] : 0) * 3;
    }
    return pts;
}

/* pts: n drawings' stroke-3 points one after another, lens [n] their counts; mu, logvar [n, latent]. */
EXPORT int vw_sketch_encode(int h, const float *pts, const int *lens, int n, float *mu, float *logvar) {
    vae_sketch *m = handle_get(h, H_SKETCH);
    if (!m) return g_err.code;
    int L = vae_sketch_get_arch(m)->latent;
    vae_sketch_drawing batch[SKETCH_CAP];
    for (int i = 0; i < n; i += SKETCH_CAP) {
        int nb = n - i < SKETCH_CAP ? n - i : SKETCH_CAP;
        pts = sketch_batch(batch, pts, lens + i, nb); /* vae-seq.js has checked each drawing, naming it */
        vae_status s = vae_sketch_encode(m, batch, nb, mu + (size_t)i * L, logvar + (size_t)i * L, &g_err);
        if (s) return s;
    }
    return vae_ok(&g_err);
}

/* out [n, max_len, 3], len [n]: z [n, latent] decoded, draws seeded by seed. */
EXPORT int vw_sketch_decode(int h, const float *z, int n, float temperature, uint64_t seed, float *out, int *len) {
    vae_sketch *m = handle_get(h, H_SKETCH);
    if (!m) return g_err.code;
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    return vae_sketch_decode(m, z, n, temperature, &rng, out, len, &g_err);
}

/* out [n, max_len, 3], len [n]: n drawings as `vae sample` draws them. */
EXPORT int vw_sketch_sample(int h, int n, uint64_t seed, float temperature, float *out, int *len) {
    vae_sketch *m = handle_get(h, H_SKETCH);
    return m ? vae_sketch_sample(m, n, seed, temperature, out, len, &g_err) : g_err.code;
}

/* out [max_len, 3], *len: the n_pts points of pts finished by the model (z NULL: the prefix's mean code). */
EXPORT int vw_sketch_complete(int h, const float *pts, int n_pts, const float *z, float temperature, uint64_t seed,
                              float *out, int *len) {
    vae_sketch *m = handle_get(h, H_SKETCH);
    if (!m) return g_err.code;
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    vae_sketch_drawing d = {pts, n_pts};
    return vae_sketch_complete(m, &d, z, temperature, &rng, out, len, &g_err);
}

#ifdef VW_TRAINING
/* A sketch model from a file for batches of up to cap drawings (the
 * inference module's take SKETCH_CAP): what tests/bench/bench-sketch.mjs
 * trains. */
EXPORT int vw_sketch_train_load(const uint8_t *buf, size_t len, int cap) {
    vae_sketch *m = NULL;
    if (vae_sketch_load(&m, buf, len, cap, &g_err)) return 0;
    int h = handle_new(H_SKETCH, m, 0);
    if (!h) vae_sketch_free(m);
    return h;
}

/* The batch loss's gradients of n drawings (pts, lens as vw_sketch_encode's)
 * at z = mu + exp(logvar / 2) eps: with eps [n, latent] given, no step;
 * eps 0: drawn from seed, then one Adam step of rate lr with the gradient
 * norm clipped to clip (0: off). stats = {rec_xy, rec_pen, kl, loss,
 * gradient norm}, batch means. */
EXPORT int vw_sketch_train_step(int h, const float *pts, const int *lens, int n, const float *eps, float w_kl,
                                float kl_min, float lr, float clip, uint64_t seed, double *stats) {
    vae_sketch *m = handle_get(h, H_SKETCH);
    if (!m) return g_err.code;
    if (n < 1 || n > (1 << 16)) return vae_fail(&g_err, VAE_ERR_ARG, "batch of %d drawings", n);
    vae_sketch_drawing *batch = malloc((size_t)n * sizeof *batch);
    if (!batch) return vae_fail(&g_err, VAE_ERR_NOMEM, "out of memory for %d drawings", n);
    sketch_batch(batch, pts, lens, n);
    vae_sketch_stats st = {0};
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    vae_train_config c;
    vae_train_config_default(&c);
    c.lr = lr, c.clip_norm = clip;
    vae_status s = eps ? vae_sketch_compute_grads(m, batch, n, eps, w_kl, kl_min, NULL, &st, &g_err)
                       : vae_sketch_train_step(m, batch, n, w_kl, kl_min, &c, &rng, &st, &g_err);
    free(batch);
    double v[] = {st.rec_xy, st.rec_pen, st.kl, st.loss, st.grad_norm};
    memcpy(stats, v, sizeof v);
    return s;
}
#endif /* VW_TRAINING */
#else
/* ---------------------------------------------------------------- IDX data */

/* out = {pixels (malloc'd [n, rows*cols]; caller frees), n, rows, cols}. */
EXPORT int vw_idx_images(const uint8_t *buf, size_t len, int32_t *out) {
    float *pixels = NULL;
    int n = 0, rows = 0, cols = 0;
    vae_status s = vae_idx_images(buf, len, &pixels, &n, &rows, &cols, &g_err);
    out[0] = (int32_t)(uintptr_t)pixels;
    out[1] = n, out[2] = rows, out[3] = cols;
    return s;
}

/* out = {labels (malloc'd [n]; caller frees), n}. */
EXPORT int vw_idx_labels(const uint8_t *buf, size_t len, int32_t *out) {
    int *labels = NULL, n = 0;
    vae_status s = vae_idx_labels(buf, len, &labels, &n, &g_err);
    out[0] = (int32_t)(uintptr_t)labels;
    out[1] = n;
    return s;
}
#endif
