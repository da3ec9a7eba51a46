/* Training runs of word models (models/words.h): the loop of `vae train
 * --words` as a library object, so that the CLI and vae-seq.js (in a page or
 * its Worker) run the same code and the same seeds give the same weights. */
#include <stdlib.h>
#include <string.h>

#include "formats/json.h"
#include "models/words.h"

enum { EVAL_BATCH = 256 }; /* held-out words per evaluation call; the figures do not depend on it */

struct vae_words_run {
    vae_words *m;
    vae_words_train_opts o;
    vae_train_config c;
    char *text;         /* the words, NUL-terminated one after another */
    const char **train; /* into text */
    const char **test;
    const char **order; /* the batch */
    int *perm;
    int n_train, n_test, steps_per_epoch;
    int epoch, pos;                 /* the next step: epoch (1-based), first word of the shuffle */
    int64_t warm_steps, steps_done; /* steps taken (finite ones: the KL weight follows them) */
    vae_rng rng;                    /* the shuffles, eps and dropout */
};

void vae_words_train_opts_default(vae_words_train_opts *o) {
    *o = (vae_words_train_opts){.batch = 64, .warmup_epochs = 2, .lr = 2e-3f, .clip = 5.0f, .dropout = 0.3f};
}

vae_status vae_words_train_opts_from_json(const char *json, size_t len, vae_words_train_opts *o, vae_error *err) {
    static const char *const names[] = {"batchSize", "lr", "clip", "dropout", "warmupEpochs"};
    vae_json *j;
    if (!json || !o) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_words_train_opts_default(o);
    vae_status s = vae_json_parse(&j, json, len, VAE_ERR_ARG, "training options", err);
    if (s) return s;
    if (vae_json_kind_of(j, 0) != VAE_JSON_OBJECT) s = vae_fail(err, VAE_ERR_ARG, "training options are not an object");
    for (int i = 0, k = vae_json_first(j, 0), n = vae_json_count(j, 0); i < n && !s; i++, k = vae_json_next(j, k)) {
        int key = 0;
        uint64_t u = 0;
        while (key < 5 && !vae_json_string_eq(j, k, names[key])) key++;
        if (key == 5) {
            s = vae_fail(err, VAE_ERR_ARG, "training options: unknown key");
        } else if (key == 0 || key == 4 ? vae_json_uint(j, k + 1, 0x7fffffff, &u)
                                        : vae_json_float(j, k + 1,
                                                         key == 1   ? &o->lr
                                                         : key == 2 ? &o->clip
                                                                    : &o->dropout)) {
            s = vae_fail(err, VAE_ERR_ARG, "training options: \"%s\" must be a %s", names[key],
                         key == 0 || key == 4 ? "non-negative integer" : "number");
        } else if (key == 0) {
            o->batch = (int)u;
        } else if (key == 4) {
            o->warmup_epochs = (int)u;
        }
    }
    vae_json_free(j);
    return s ? s : vae_ok(err);
}

void vae_words_run_free(vae_words_run *r) {
    if (!r) return;
    free(r->text), free(r->train), free(r->test), free(r->order), free(r->perm);
    free(r);
}

vae_status vae_words_run_create(vae_words_run **out, vae_words *m, const char *const *words, int n,
                                const vae_words_train_opts *o, uint64_t seed, vae_error *err) {
    if (!out || !m || !words || !o) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    *out = NULL;
    int cap = vae_words_capacity(m);
    if (o->batch < 1 || o->batch > cap)
        return vae_fail(err, VAE_ERR_ARG, "batch of %d words not in 1..%d (the model's batch capacity)", o->batch, cap);
    if (!(o->lr >= 0.0f && o->lr <= 1e3f))
        return vae_fail(err, VAE_ERR_ARG, "learning rate %g not in [0, 1000]", o->lr);
    if (!(o->clip >= 0.0f && o->clip <= 1e9f)) return vae_fail(err, VAE_ERR_ARG, "clip %g not in [0, 1e9]", o->clip);
    if (!(o->dropout >= 0.0f && o->dropout <= 1.0f))
        return vae_fail(err, VAE_ERR_ARG, "dropout %g not in [0, 1]", o->dropout);
    if (o->warmup_epochs < 0 || o->warmup_epochs > 1000000)
        return vae_fail(err, VAE_ERR_ARG, "warm-up of %d epochs not in 0..1000000", o->warmup_epochs);
    if (n < 2) return vae_fail(err, VAE_ERR_ARG, "%d words; need at least 2 (one is held out)", n);
    size_t bytes = 0;
    for (int i = 0; i < n; i++) {
        vae_error e;
        size_t len = words[i] ? strlen(words[i]) : 0;
        if (!words[i] || vae_words_check(m, words[i], len, &e))
            return vae_fail(err, VAE_ERR_ARG, "word %d: %s", i + 1, words[i] ? e.msg : "NULL");
        bytes += len + 1;
    }
    vae_words_run *r = calloc(1, sizeof *r);
    if (!r) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for a training run");
    r->text = malloc(bytes), r->perm = malloc((size_t)n * sizeof *r->perm);
    r->n_test = n / 20 ? n / 20 : 1, r->n_train = n - r->n_test;
    r->train = malloc((size_t)r->n_train * sizeof *r->train), r->test = malloc((size_t)r->n_test * sizeof *r->test);
    r->order = malloc((size_t)o->batch * sizeof *r->order);
    if (!r->text || !r->perm || !r->train || !r->test || !r->order) {
        vae_words_run_free(r);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %d words", n);
    }
    /* the held-out words: the first 5% of a shuffle seeded with seed + 1 */
    vae_rng_seed(&r->rng, seed + 1);
    vae_rng_permutation(&r->rng, r->perm, n);
    char *p = r->text;
    for (int i = 0; i < n; i++) {
        size_t len = strlen(words[r->perm[i]]) + 1;
        memcpy(p, words[r->perm[i]], len);
        if (i < r->n_test)
            r->test[i] = p;
        else
            r->train[i - r->n_test] = p;
        p += len;
    }
    r->m = m, r->o = *o;
    vae_train_config_default(&r->c);
    r->c.lr = o->lr, r->c.clip_norm = o->clip;
    r->steps_per_epoch = (r->n_train + o->batch - 1) / o->batch;
    r->warm_steps = (int64_t)o->warmup_epochs * r->steps_per_epoch;
    r->epoch = 1;
    vae_rng_seed(&r->rng, seed + 2);
    *out = r;
    return vae_ok(err);
}

void vae_words_run_sizes(const vae_words_run *r, int *n_train, int *n_test, int *steps_per_epoch) {
    *n_train = r->n_train, *n_test = r->n_test, *steps_per_epoch = r->steps_per_epoch;
}

const char *const *vae_words_run_heldout(const vae_words_run *r) { return r->test; }

vae_status vae_words_run_step(vae_words_run *r, vae_words_step_info *info, vae_error *err) {
    if (!r || !info) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    int B = r->o.batch, nb = r->n_train - r->pos < B ? r->n_train - r->pos : B;
    if (r->pos == 0) vae_rng_permutation(&r->rng, r->perm, r->n_train);
    for (int b = 0; b < nb; b++) r->order[b] = r->train[r->perm[r->pos + b]];
    float beta =
        r->warm_steps > 0 && r->steps_done < r->warm_steps ? (float)r->steps_done / (float)r->warm_steps : 1.0f;
    *info = (vae_words_step_info){.epoch = r->epoch, .step = r->pos / B + 1, .n = nb, .beta = beta};
    vae_status s = vae_words_train_step(r->m, r->order, nb, beta, r->o.dropout, &r->c, &r->rng, &info->stats, err);
    if (s && s != VAE_ERR_NONFINITE) return s; /* a bad call: the run stays where it was */
    if (!s) r->steps_done++;
    r->pos += nb;
    if (r->pos == r->n_train) r->pos = 0, r->epoch++, info->epoch_done = 1;
    return s;
}

vae_status vae_words_evaluate(vae_words *m, const char *const *words, int n, vae_words_heldout *out, vae_error *err) {
    if (!m || !words || !out) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    float rec[EVAL_BATCH], kl[EVAL_BATCH];
    int correct[EVAL_BATCH], cap = vae_words_capacity(m), chunk = cap < EVAL_BATCH ? cap : EVAL_BATCH;
    int latent = vae_words_get_arch(m)->latent;
    vae_rng rng;
    vae_rng_seed(&rng, VAE_EVAL_SEED);
    *out = (vae_words_heldout){.n = n};
    for (int i = 0; i < n; i += chunk) {
        int nb = n - i < chunk ? n - i : chunk;
        vae_status s = vae_words_eval(m, words + i, nb, &rng, rec, kl, latent ? correct : NULL, err);
        if (s) return s;
        for (int b = 0; b < nb; b++) out->rec += rec[b], out->kl += kl[b], out->correct += latent && correct[b];
    }
    return vae_ok(err);
}

vae_status vae_words_run_evaluate(vae_words_run *r, vae_words_heldout *out, vae_error *err) {
    if (!r) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    return vae_words_evaluate(r->m, r->test, r->n_test, out, err);
}
