/* The character-level word VAE (models/words.h): the layers of
 * layers/layers.h wired into encoder and decoder, its backward pass and an
 * Adam step. Batches are time-major (step t of word b at row t n + b); every
 * buffer is made once for `cap` words of max_len characters. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "layers/layers.h"
#include "models/seq.h"
#include "models/words.h"

/* The tensors in block order: the embedding, then models/seq.h's. */
enum { T_EMB, T_ENC, T_MU_W, T_MU_B, T_LV_W, T_LV_B, T_INIT_W, T_INIT_B, T_DEC, T_OUT_W, T_OUT_B, T_COUNT };
_Static_assert(T_COUNT - T_ENC == VAE_SEQ_BLOCKS, "the helpers of models/seq.h index m->off + T_ENC by their blocks");

struct vae_words {
    vae_words_arch a;
    int cap, E, H, L, V;
    signed char id[256]; /* byte -> token id, -1 outside the vocabulary */
    size_t off[T_COUNT + 1], n_params;
    vae_seq_table tt;
    float *params, *grads; /* one block: weights, gradients, Adam's two moments (models/seq.h) */
    double beta1_t, beta2_t;
    /* per batch (n words, T = longest + 1 steps) */
    int *enc_ids, *dec_ids, *target, *enc_len, *dec_len;
    float *xe, *ye, *hn_e, *hcat, *mu, *logvar, *eps, *z, *h0, *c0, *h1, *c1, *xemb, *xd, *yd, *logits, *rowloss;
    float *rec, *kl; /* per word */
    float *cache_e, *cache_d, *work;
    float *dlogits, *dyd, *dxd, *dh0, *dz, *dmu, *dlogvar, *dhcat, *dhn_e, *dxe, *dxemb;
    char *decoded;
    vae_rng *word_rng; /* sampling: one stream per word */
};

static vae_lstm_shape enc_shape(const vae_words *m, int T, int n) {
    return (vae_lstm_shape){.T = T, .B = n, .I = m->E, .H = m->H, .layers = 1, .dirs = 2};
}

static vae_lstm_shape dec_shape(const vae_words *m, int T, int n) {
    return (vae_lstm_shape){.T = T, .B = n, .I = m->E + m->L, .H = m->H, .layers = 1, .dirs = 1};
}

void vae_words_free(vae_words *m) {
    if (!m) return;
    void *all[] = {m->params,  m->enc_ids, m->dec_ids, m->target,  m->enc_len, m->dec_len, m->xe,
                   m->ye,      m->hn_e,    m->hcat,    m->mu,      m->logvar,  m->eps,     m->z,
                   m->h0,      m->c0,      m->h1,      m->c1,      m->rec,     m->kl,      m->xemb,
                   m->xd,      m->yd,      m->logits,  m->rowloss, m->cache_e, m->cache_d, m->work,
                   m->dlogits, m->dyd,     m->dxd,     m->dh0,     m->dz,      m->dmu,     m->dlogvar,
                   m->dhcat,   m->dhn_e,   m->dxe,     m->dxemb,   m->decoded, m->word_rng};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
    free(m);
}

size_t vae_words_param_count(const vae_words *m) { return m ? m->n_params : 0; }
int vae_words_capacity(const vae_words *m) { return m ? m->cap : 0; }

static size_t zmax(size_t a, size_t b) { return a > b ? a : b; }

static const char AZ[] = "abcdefghijklmnopqrstuvwxyz";

vae_status vae_words_arch_validate(const vae_words_arch *a, vae_error *err) {
    if (!a) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (a->embed < 1 || a->embed > 1024 || a->hidden < 1 || a->hidden > 4096 || a->latent < 0 || a->latent > 1024)
        return vae_fail(err, VAE_ERR_ARG, "embedding %d, hidden %d, latent %d out of range (1..1024, 1..4096, 0..1024)",
                        a->embed, a->hidden, a->latent);
    if (a->max_len < 1 || a->max_len > 256)
        return vae_fail(err, VAE_ERR_ARG, "word limit %d not in 1..256", a->max_len);
    char seen[256] = {0};
    size_t n = strnlen(a->vocab, sizeof a->vocab);
    if (n == sizeof a->vocab) return vae_fail(err, VAE_ERR_ARG, "vocabulary over %d characters", VAE_WORDS_MAX_VOCAB);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)a->vocab[i];
        if (c < 0x20 || c > 0x7e)
            return vae_fail(err, VAE_ERR_ARG, "vocabulary character %zu (byte 0x%02x) is not printable ASCII", i + 1,
                            c);
        if (seen[c]++)
            return vae_fail(err, VAE_ERR_ARG, "vocabulary character %zu (byte 0x%02x) repeats one before it", i + 1, c);
    }
    return vae_ok(err);
}

const char *vae_words_vocab_text(const char *vocab, char *buf, size_t cap) {
    size_t pos = 0, n = strlen(vocab);
    buf[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && vocab[j + 1] == vocab[j] + 1) j++;
        /* the library's formatter has no %c */
        char run[4] = {vocab[i], '-', vocab[j], '\0'};
        if (j - i < 2) run[1] = '\0', j = i;
        vae_append(buf, cap, &pos, "%s", run);
        i = j + 1;
    }
    return buf;
}

/* Sizes of the T_* blocks; d gets the shared ones' shapes (h0 the initial
 * state, a logit per token). */
static void block_sizes(const vae_words_arch *a, int V, vae_seq_dims *d, size_t *sizes) {
    int E = a->embed, H = a->hidden, L = a->latent;
    vae_lstm_shape es = {.T = 1, .B = 1, .I = E, .H = H, .layers = 1, .dirs = 2};
    vae_lstm_shape ds = {.T = 1, .B = 1, .I = E + L, .H = H, .layers = 1, .dirs = 1};
    *d = (vae_seq_dims){es, ds, L, H, V};
    sizes[T_EMB] = (size_t)V * E;
    vae_seq_block_sizes(d, sizes + T_ENC);
}

static int vocab_size(const vae_words_arch *a) { return VAE_WORD_FIRST + (int)(a->vocab[0] ? strlen(a->vocab) : 26); }

uint64_t vae_words_arch_param_count(const vae_words_arch *a) {
    size_t sizes[T_COUNT];
    uint64_t n = 0;
    vae_seq_dims d;
    if (vae_words_arch_validate(a, NULL)) return 0;
    block_sizes(a, vocab_size(a), &d, sizes);
    for (int i = 0; i < T_COUNT; i++) n += sizes[i];
    return n;
}

vae_status vae_words_create(vae_words **out, const vae_words_arch *a, int cap, uint64_t seed, vae_error *err) {
    if (!out || !a) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    *out = NULL;
    vae_status st = vae_words_arch_validate(a, err);
    if (st) return st;
    if (cap < 1 || cap > 65536) return vae_fail(err, VAE_ERR_ARG, "batch capacity %d not in 1..65536", cap);
    vae_words *m = calloc(1, sizeof *m);
    if (!m) return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    m->a = *a;
    if (!a->vocab[0]) memcpy(m->a.vocab, AZ, sizeof AZ);
    memset(m->id, -1, sizeof m->id);
    for (int i = 0; m->a.vocab[i]; i++) m->id[(unsigned char)m->a.vocab[i]] = (signed char)(VAE_WORD_FIRST + i);
    m->cap = cap, m->E = a->embed, m->H = a->hidden, m->L = a->latent, m->V = vocab_size(a);
    int E = m->E, H = m->H, L = m->L, V = m->V, Te = a->max_len, Td = a->max_len + 1;
    vae_lstm_shape es = enc_shape(m, Te, cap), ds = dec_shape(m, Td, cap);
    vae_seq_dims d;
    size_t sizes[T_COUNT];
    block_sizes(a, V, &d, sizes);
    for (int i = 0; i < T_COUNT; i++) m->off[i + 1] = m->off[i] + sizes[i];
    m->n_params = m->off[T_COUNT];
    vae_seq_table_add(&m->tt, "embedding.weight", V, E, m->off[T_EMB]);
    vae_seq_table_add_blocks(&m->tt, &d, m->off + T_ENC);
    size_t N = (size_t)cap, TeN = (size_t)Te * N, TdN = (size_t)Td * N;
    float **fb[] = {&m->params,  &m->xe,      &m->ye,      &m->hn_e,  &m->hcat,   &m->mu,      &m->logvar,
                    &m->eps,     &m->z,       &m->h0,      &m->c0,    &m->h1,     &m->c1,      &m->rec,
                    &m->kl,      &m->xemb,    &m->xd,      &m->yd,    &m->logits, &m->rowloss, &m->cache_e,
                    &m->cache_d, &m->work,    &m->dlogits, &m->dyd,   &m->dxd,    &m->dh0,     &m->dz,
                    &m->dmu,     &m->dlogvar, &m->dhcat,   &m->dhn_e, &m->dxe,    &m->dxemb};
    size_t fn[] = {4 * m->n_params,
                   TeN * E,
                   TeN * 2 * H,
                   2 * N * H,
                   N * 2 * H,
                   N * L,
                   N * L,
                   N * L,
                   N * L,
                   N * H,
                   N * H,
                   N * H,
                   N * H,
                   N,
                   N,
                   TdN * E,
                   TdN * (E + L),
                   TdN * H,
                   TdN * V,
                   TdN,
                   L ? vae_lstm_cache_floats(&es) : 0,
                   vae_lstm_cache_floats(&ds),
                   zmax(L ? vae_lstm_work_floats(&es) : 0, vae_lstm_work_floats(&ds)),
                   TdN * V,
                   TdN * H,
                   TdN * (E + L),
                   N * H,
                   N * L,
                   N * L,
                   N * L,
                   N * 2 * H,
                   2 * N * H,
                   TeN * E,
                   TdN * E};
    int ok = vae_seq_alloc_floats(fb, fn, sizeof fn / sizeof *fn);
    ok &= (m->enc_ids = calloc(TeN, sizeof(int))) && (m->dec_ids = calloc(TdN, sizeof(int))) &&
          (m->target = calloc(TdN, sizeof(int))) && (m->enc_len = calloc(N, sizeof(int))) &&
          (m->dec_len = calloc(N, sizeof(int))) && (m->decoded = calloc(N * (a->max_len + 1), 1)) &&
          (m->word_rng = calloc(N, sizeof(vae_rng)));
    if (!ok) {
        vae_words_free(m);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for a word model with %zu parameters", m->n_params);
    }
    m->grads = m->params + m->n_params;
    m->beta1_t = m->beta2_t = 1.0;

    /* PyTorch's defaults: N(0, 1) embeddings, U(+-1/sqrt(fan)) elsewhere */
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    float *p = m->params;
    vae_rng_normals(&rng, p + m->off[T_EMB], sizes[T_EMB]);
    vae_seq_init_blocks(p, &d, m->off + T_ENC, sizes + T_ENC, &rng);
    *out = m;
    return vae_ok(err);
}

const vae_words_arch *vae_words_get_arch(const vae_words *m) { return m ? &m->a : NULL; }

int vae_words_tensor_count(const vae_words *m) { return m ? m->tt.n : 0; }

vae_status vae_words_tensor(const vae_words *m, int i, vae_tensor *out, vae_error *err) {
    if (!m || !out) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    return vae_seq_table_get(&m->tt, m->params, i, out, err);
}

vae_status vae_words_check(const vae_words *m, const char *word, size_t len, vae_error *err) {
    if (!m || !word) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (len == 0) return vae_fail(err, VAE_ERR_ARG, "empty word");
    if (len > (size_t)m->a.max_len)
        return vae_fail(err, VAE_ERR_ARG, "word of %zu characters is longer than the model's limit %d", len,
                        m->a.max_len);
    for (size_t i = 0; i < len; i++)
        if (m->id[(unsigned char)word[i]] < 0) {
            char text[3 * VAE_WORDS_MAX_VOCAB + 1];
            return vae_fail(err, VAE_ERR_ARG, "character %zu (byte 0x%02x) is not in the vocabulary %s", i + 1,
                            (unsigned char)word[i], vae_words_vocab_text(m->a.vocab, text, sizeof text));
        }
    return vae_ok(err);
}

/* Checks the batch; returns its longest word (0 on error). */
static int check_batch(const vae_words *m, const char *const *words, int n, vae_error *err) {
    if (!m || !words) return vae_fail(err, VAE_ERR_ARG, "NULL argument"), 0;
    if (n < 1 || n > m->cap) return vae_fail(err, VAE_ERR_ARG, "batch of %d words, want 1..%d", n, m->cap), 0;
    int longest = 0;
    for (int b = 0; b < n; b++) {
        size_t len = words[b] ? strlen(words[b]) : 0;
        vae_error e;
        if (!words[b] || vae_words_check(m, words[b], len, &e))
            return vae_fail(err, VAE_ERR_ARG, "word %d: %s", b + 1, words[b] ? e.msg : "NULL"), 0;
        if ((int)len > longest) longest = (int)len;
    }
    return longest;
}

/* Encoder: ids, lengths, embedding, BiLSTM, mu and logvar of n words over Te steps. */
static void encode(vae_words *m, const char *const *words, int n, int Te) {
    int E = m->E, H = m->H, L = m->L;
    const float *p = m->params;
    for (int b = 0; b < n; b++) {
        int len = (int)strlen(words[b]);
        m->enc_len[b] = len;
        for (int t = 0; t < Te; t++) m->enc_ids[t * n + b] = t < len ? m->id[(unsigned char)words[b][t]] : -1;
    }
    vae_lstm_shape es = enc_shape(m, Te, n);
    vae_embedding_forward(m->xe, m->enc_ids, p + m->off[T_EMB], Te * n, E);
    vae_lstm_forward(m->ye, m->hn_e, NULL, m->cache_e, m->xe, m->enc_len, NULL, NULL, p + m->off[T_ENC], &es);
    vae_seq_head_forward(m->hcat, m->mu, m->logvar, m->hn_e, p, m->off + T_ENC, n, H, L);
}

/* Decoder input rows [embedding(ids[r]), z[r % n]] for Td n rows. */
static void decoder_input(vae_words *m, const int *ids, const float *z, int rows, int n) {
    int E = m->E, L = m->L;
    vae_embedding_forward(m->xemb, ids, m->params + m->off[T_EMB], rows, E);
    for (int r = 0; r < rows; r++) {
        float *x = m->xd + (size_t)r * (E + L);
        memcpy(x, m->xemb + (size_t)r * E, E * sizeof *x);
        if (L) memcpy(x + E, z + (size_t)(r % n) * L, L * sizeof *x);
    }
}

/* The whole forward pass on a checked batch: rowloss, and rec, kl per word;
 * eps given or (NULL) drawn from rng. */
static void forward(vae_words *m, const char *const *words, int n, int longest, float dropout, vae_rng *rng,
                    const float *eps, float *rec, float *kl) {
    int L = m->L, H = m->H, V = m->V, Td = longest + 1;
    const float *p = m->params;
    if (L) {
        encode(m, words, n, longest);
        if (eps)
            memcpy(m->eps, eps, (size_t)n * L * sizeof *eps);
        else
            vae_rng_normals(rng, m->eps, (size_t)n * L);
        vae_reparam_forward(m->z, L, m->mu, m->logvar, m->eps, n, L);
        vae_linear_forward(m->h0, m->z, p + m->off[T_INIT_W], p + m->off[T_INIT_B], n, L, H);
        vae_kl_forward(kl, m->mu, m->logvar, n, L);
    } else {
        memset(kl, 0, n * sizeof *kl);
    }
    for (int b = 0; b < n; b++) {
        int len = (int)strlen(words[b]);
        m->dec_len[b] = len + 1;
        for (int t = 0; t < Td; t++) {
            int prev = t == 0 ? VAE_WORD_BOS : t <= len ? m->id[(unsigned char)words[b][t - 1]] : -1;
            if (t > 0 && t <= len && dropout > 0.0f && vae_rng_uniform(rng) < dropout) prev = VAE_WORD_UNK;
            m->dec_ids[t * n + b] = prev;
            m->target[t * n + b] = t < len ? m->id[(unsigned char)words[b][t]] : t == len ? VAE_WORD_EOS : -1;
        }
    }
    vae_lstm_shape ds = dec_shape(m, Td, n);
    decoder_input(m, m->dec_ids, m->z, Td * n, n);
    vae_lstm_forward(m->yd, NULL, NULL, m->cache_d, m->xd, m->dec_len, L ? m->h0 : NULL, NULL, p + m->off[T_DEC], &ds);
    vae_linear_forward(m->logits, m->yd, p + m->off[T_OUT_W], p + m->off[T_OUT_B], Td * n, H, V);
    vae_softmax_xent_forward(m->rowloss, m->logits, m->target, Td * n, V);
    for (int b = 0; b < n; b++) {
        double s = 0.0;
        for (int t = 0; t < Td; t++) s += m->rowloss[t * n + b];
        rec[b] = (float)s;
    }
}

/* Gradient of mean_b (rec_b + beta kl_b) into m->grads (zeroed here). */
static void backward(vae_words *m, int n, int longest, float beta) {
    int E = m->E, H = m->H, L = m->L, V = m->V, Te = longest, Td = longest + 1;
    size_t rows = (size_t)Td * n;
    const float *p = m->params;
    float *g = m->grads;
    memset(g, 0, m->n_params * sizeof *g);
    memset(m->dlogits, 0, rows * V * sizeof(float));
    memset(m->dyd, 0, rows * H * sizeof(float));
    memset(m->dxd, 0, rows * (E + L) * sizeof(float));
    vae_softmax_xent_backward(m->dlogits, m->logits, m->target, (int)rows, V, 1.0f / n);
    vae_linear_backward(m->dyd, g + m->off[T_OUT_W], g + m->off[T_OUT_B], m->dlogits, m->yd, p + m->off[T_OUT_W],
                        (int)rows, H, V);
    vae_lstm_shape ds = dec_shape(m, Td, n);
    memset(m->dh0, 0, (size_t)n * H * sizeof(float));
    vae_lstm_backward(m->dxd, g + m->off[T_DEC], L ? m->dh0 : NULL, NULL, m->work, m->dyd, NULL, NULL, m->xd,
                      m->dec_len, m->cache_d, p + m->off[T_DEC], &ds);
    for (size_t r = 0; r < rows; r++) memcpy(m->dxemb + r * E, m->dxd + r * (E + L), E * sizeof(float));
    vae_embedding_backward(g + m->off[T_EMB], m->dxemb, m->dec_ids, (int)rows, E);
    if (!L) return;

    /* z feeds h0 and every decoder step */
    vae_seq_z_grad(m->dz, m->dxd, rows, n, E + L, L);
    vae_linear_backward(m->dz, g + m->off[T_INIT_W], g + m->off[T_INIT_B], m->dh0, m->z, p + m->off[T_INIT_W], n, L, H);
    memset(m->dmu, 0, (size_t)n * L * sizeof(float));
    memset(m->dlogvar, 0, (size_t)n * L * sizeof(float));
    vae_reparam_backward(m->dmu, m->dlogvar, m->dz, L, m->logvar, m->eps, n, L);
    vae_kl_backward(m->dmu, m->dlogvar, m->mu, m->logvar, n, L, beta / n);
    vae_seq_head_backward(m->dhn_e, m->dhcat, g, m->dmu, m->dlogvar, m->hcat, p, m->off + T_ENC, n, H, L);
    vae_lstm_shape es = enc_shape(m, Te, n);
    memset(m->dxe, 0, (size_t)Te * n * E * sizeof(float));
    vae_lstm_backward(m->dxe, g + m->off[T_ENC], NULL, NULL, m->work, NULL, m->dhn_e, NULL, m->xe, m->enc_len,
                      m->cache_e, p + m->off[T_ENC], &es);
    vae_embedding_backward(g + m->off[T_EMB], m->dxe, m->enc_ids, Te * n, E);
}

float *vae_words_params(vae_words *m) { return m ? m->params : NULL; }
const float *vae_words_grads(const vae_words *m) { return m ? m->grads : NULL; }

vae_status vae_words_compute_grads(vae_words *m, const char *const *words, int n, float beta, float dropout,
                                   vae_rng *rng, vae_words_stats *st, vae_error *err) {
    int longest = check_batch(m, words, n, err);
    if (!longest) return err ? err->code : VAE_ERR_ARG;
    if (!rng || !st) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (!(dropout >= 0.0f && dropout <= 1.0f)) return vae_fail(err, VAE_ERR_ARG, "dropout %g not in [0, 1]", dropout);
    forward(m, words, n, longest, dropout, rng, NULL, m->rec, m->kl);
    double srec = 0.0, skl = 0.0;
    for (int b = 0; b < n; b++) srec += m->rec[b], skl += m->kl[b];
    backward(m, n, longest, beta);
    double g2 = vae_sum_squares(m->grads, m->n_params);
    *st = (vae_words_stats){srec / n, skl / n, (srec + beta * skl) / n, sqrt(g2)};
    if (!isfinite(srec) || !isfinite(skl) || !isfinite(g2))
        return vae_fail(err, VAE_ERR_NONFINITE, "loss or gradient is not finite (rec %g, kl %g)", srec / n, skl / n);
    return vae_ok(err);
}

vae_status vae_words_train_step(vae_words *m, const char *const *words, int n, float beta, float dropout,
                                const vae_train_config *c, vae_rng *rng, vae_words_stats *st, vae_error *err) {
    vae_words_stats local;
    if (!st) st = &local;
    if (!c) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_status s = vae_words_compute_grads(m, words, n, beta, dropout, rng, st, err);
    if (s) return s; /* nothing updated */
    vae_seq_adam_step(m->params, m->n_params, c, st->grad_norm, &m->beta1_t, &m->beta2_t);
    return vae_ok(err);
}

/* Token drawn from softmax(l[V] / temperature): the first whose cumulative
 * weight passes a uniform draw (double sums, so every build picks the same). */
static int sample_token(const float *l, int V, float temperature, vae_rng *rng) {
    float w[VAE_WORD_FIRST + VAE_WORDS_MAX_VOCAB], top = l[0];
    double sum = 0.0;
    for (int v = 1; v < V; v++) top = l[v] > top ? l[v] : top;
    for (int v = 0; v < V; v++) sum += w[v] = expf((l[v] - top) / temperature);
    double u = vae_rng_uniform(rng) * sum, c = 0.0;
    for (int v = 0; v < V - 1; v++)
        if ((c += w[v]) > u) return v;
    return V - 1;
}

/* Decoding of z [n, L] (ignored for a language model) into m->decoded:
 * greedy at temperature 0, else sampled: word b from its own stream, seeded
 * by the b-th draw from rng, so a word does not depend on how many are
 * decoded beside it. */
static void decode(vae_words *m, const float *z, int n, float temperature, vae_rng *rng) {
    int H = m->H, L = m->L, V = m->V, W = m->a.max_len + 1;
    const float *p = m->params;
    vae_lstm_shape one = dec_shape(m, 1, n);
    float *h = m->h0, *c = m->c0, *hn = m->h1, *cn = m->c1;
    int *prev = m->dec_ids, *done = m->enc_len; /* free while decoding */
    if (L)
        vae_linear_forward(h, z, p + m->off[T_INIT_W], p + m->off[T_INIT_B], n, L, H);
    else
        memset(h, 0, (size_t)n * H * sizeof *h);
    memset(c, 0, (size_t)n * H * sizeof *c);
    memset(m->decoded, 0, (size_t)n * W);
    for (int b = 0; b < n; b++) prev[b] = VAE_WORD_BOS, done[b] = 0;
    if (temperature > 0.0f) vae_seq_streams(m->word_rng, n, rng);
    for (int t = 0, left = n; t < W && left; t++) { /* until every word has ended */
        decoder_input(m, prev, z, n, n);
        vae_lstm_forward(m->yd, hn, cn, m->cache_d, m->xd, NULL, h, c, p + m->off[T_DEC], &one);
        vae_linear_forward(m->logits, m->yd, p + m->off[T_OUT_W], p + m->off[T_OUT_B], n, H, V);
        for (int b = 0; b < n; b++) {
            const float *l = m->logits + (size_t)b * V;
            int best = 0;
            if (done[b]) continue;
            if (temperature > 0.0f)
                best = sample_token(l, V, temperature, &m->word_rng[b]);
            else
                for (int v = 1; v < V; v++) best = l[v] > l[best] ? v : best;
            if (best < VAE_WORD_FIRST || t == W - 1) done[b] = 1, left--;
            if (!done[b]) m->decoded[(size_t)b * W + t] = m->a.vocab[best - VAE_WORD_FIRST];
            prev[b] = best;
        }
        float *swap = h;
        h = hn, hn = swap, swap = c, c = cn, cn = swap;
    }
}

vae_status vae_words_decode(vae_words *m, const float *z, int n, float temperature, vae_rng *rng, char *out,
                            vae_error *err) {
    if (!m || !out || (m->L && !z) || (temperature > 0.0f && !rng)) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_status s = vae_seq_check_codes(z, n, m->L, temperature, err);
    if (s) return s;
    size_t W = (size_t)m->a.max_len + 1;
    for (int i = 0; i < n; i += m->cap) { /* per-word streams: the batches do not change the words */
        int nb = n - i < m->cap ? n - i : m->cap;
        decode(m, m->L ? z + (size_t)i * m->L : NULL, nb, temperature, rng);
        memcpy(out + i * W, m->decoded, nb * W);
    }
    return vae_ok(err);
}

vae_status vae_words_sample(vae_words *m, int n, uint64_t seed, float temperature, char *out, vae_error *err) {
    if (!m || !out) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (n < 1) return vae_fail(err, VAE_ERR_ARG, "%d words to sample", n);
    float *z = m->L ? malloc((size_t)n * m->L * sizeof *z) : NULL;
    if (m->L && !z) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %d latents", n);
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    if (z) vae_rng_normals(&rng, z, (size_t)n * m->L);
    vae_rng_seed(&rng, seed + 1);
    vae_status s = vae_words_decode(m, z, n, temperature, &rng, out, err);
    free(z);
    return s;
}

vae_status vae_words_encode(vae_words *m, const char *const *words, int n, float *mu, float *logvar, vae_error *err) {
    int longest = check_batch(m, words, n, err);
    if (!longest) return err ? err->code : VAE_ERR_ARG;
    if (!m->L) return vae_fail(err, VAE_ERR_STATE, "a language model has no latent code");
    if (!mu) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    encode(m, words, n, longest);
    memcpy(mu, m->mu, (size_t)n * m->L * sizeof *mu);
    if (logvar) memcpy(logvar, m->logvar, (size_t)n * m->L * sizeof *logvar);
    return vae_ok(err);
}

vae_status vae_words_eval(vae_words *m, const char *const *words, int n, vae_rng *rng, float *rec, float *kl,
                          int *correct, vae_error *err) {
    int longest = check_batch(m, words, n, err);
    if (!longest) return err ? err->code : VAE_ERR_ARG;
    if (!rng || !rec || !kl) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    forward(m, words, n, longest, 0.0f, rng, NULL, rec, kl);
    if (correct) {
        int W = m->a.max_len + 1;
        if (m->L) decode(m, m->mu, n, 0.0f, NULL);
        for (int b = 0; b < n; b++) correct[b] = m->L && !strcmp(m->decoded + (size_t)b * W, words[b]);
    }
    return vae_ok(err);
}

vae_status vae_words_loss(vae_words *m, const char *const *words, int n, const float *eps, float *rec, float *kl,
                          vae_error *err) {
    int longest = check_batch(m, words, n, err);
    if (!longest) return err ? err->code : VAE_ERR_ARG;
    if ((m->L && !eps) || !rec || !kl) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    forward(m, words, n, longest, 0.0f, NULL, eps, rec, kl);
    return vae_ok(err);
}
