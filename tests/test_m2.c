/* The semi-supervised M2 model: finite-difference checks of the labelled,
 * unlabelled and mixed losses' gradients (eps passed in), the PyTorch
 * golden fixture (tools/make_golden_m2.py: probabilities, loss, every
 * gradient, 5 Adam steps), the file format's round trip, classification,
 * the batch checks, and the pinned bits of a short training run. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fdcheck.h"
#include "fixture.h"
#include "internal.h"
#include "outhash.h"

static vae_rng rng;

static void fill(float *v, size_t n, float lo, float hi) {
    for (size_t i = 0; i < n; i++) v[i] = lo + (hi - lo) * vae_rng_uniform(&rng);
}

enum { N = 4, C = 3, MAXR = N * C };

/* 1x2x3 images; encoder 9 -> 5 -> 2, decoder 5 -> 4 -> 6, classifier 6 -> 4 -> 3. */
static vae_arch small_arch(vae_activation act) {
    vae_arch a;
    vae_arch_default(&a);
    a.image_h = 2, a.image_w = 3;
    a.n_enc = 1, a.enc_hidden[0] = 5;
    a.n_dec = 1, a.dec_hidden[0] = 4;
    a.n_cls = 1, a.cls_hidden[0] = 4;
    a.latent = 2, a.n_classes = C;
    a.kind = VAE_KIND_M2;
    a.act = act;
    return a;
}

typedef struct {
    vae_model *m;
    vae_work *w;
    vae_m2_rows r;
    float x[N * 6], eps[MAXR * 2], xr[MAXR * 6], scale[MAXR];
    int labels[N], yr[MAXR];
    float beta, alpha;
} m2_ctx;

static double m2_loss(void *p) {
    m2_ctx *c = p;
    vae_m2_terms t;
    vae_m2_pass(c->m, c->w, &c->r, NULL, c->x, c->labels, N, c->eps, c->beta, c->alpha, &t);
    return t.loss / N;
}

/* Every parameter's gradient against finite differences, and the
 * trainer's loss and gradients against the pass's. */
static void check_grads(const char *what, vae_activation act, const int *labels) {
    vae_arch a = small_arch(act);
    m2_ctx c = {.beta = 0.7f, .alpha = 3.0f};
    c.r = (vae_m2_rows){c.xr, c.scale, c.yr};
    vae_error err;
    CHECK(vae_model_init(&c.m, &a, 5, &err) == VAE_OK, "init: %s", err.msg);
    memcpy(c.labels, labels, sizeof c.labels);
    fill(c.x, N * 6, 0, 1);
    int rows = vae_m2_row_count(c.m, labels, N);
    vae_rng_normals(&rng, c.eps, (size_t)rows * 2);
    c.w = vae_work_new(c.m, rows, 1);
    float *grads = calloc(c.m->n_params, sizeof(float));
    vae_m2_terms t;
    vae_m2_pass(c.m, c.w, &c.r, grads, c.x, c.labels, N, c.eps, c.beta, c.alpha, &t);
    double loss = t.loss / N;

    vae_train_config tc;
    vae_train_config_default(&tc);
    tc.beta = c.beta, tc.alpha = c.alpha;
    vae_trainer *tr;
    vae_step_stats st;
    CHECK(vae_trainer_init(&tr, c.m, &tc, &err) == VAE_OK, "trainer: %s", err.msg);
    CHECK(vae_trainer_compute_grads(tr, c.x, c.labels, N, c.eps, &st, &err) == VAE_OK, "grads: %s", err.msg);
    CHECK(fabs(st.loss - loss) <= 1e-6 * fabs(loss), "trainer loss %g vs pass loss %g", st.loss, loss);
    CHECK(!memcmp(vae_trainer_grads(tr), grads, c.m->n_params * sizeof(float)), "trainer gradients differ");
    vae_trainer_free(tr);

    printf(" %s (loss %.4f)\n", what, loss);
    for (int i = 0; i < c.m->n_tensors; i++) {
        vae_param_info *pi = &c.m->t[i];
        fd_check(pi->name, c.m->params + pi->offset, pi->numel, grads + pi->offset, m2_loss, &c, 1e-2f, 5e-3, 0);
    }
    free(grads);
    vae_work_free(c.w);
    vae_model_free(c.m);
}

static void check_golden(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/m2_tanh_bernoulli.bin", VAE_TEST_DATA_DIR);
    fixture fx;
    CHECK(fixture_load(path, &fx), "cannot read %s", path);
    const fixture_record *ar = fx.n ? fixture_find(&fx, "arch") : NULL, *lr = fixture_find(&fx, "labels");
    const float *tr = fixture_get(&fx, "train", 3); /* beta alpha lr */
    if (!ar || !lr || !tr) return;
    printf("golden m2_tanh_bernoulli\n");
    /* arch record: D h w classes n_enc enc.. n_dec dec.. n_cls cls.. latent act */
    const float *v = ar->v;
    vae_arch a;
    vae_arch_default(&a);
    int k = 1;
    a.kind = VAE_KIND_M2;
    a.image_h = (int)v[k++];
    a.image_w = (int)v[k++];
    a.n_classes = (int)v[k++];
    a.n_enc = (int)v[k++];
    for (int i = 0; i < a.n_enc; i++) a.enc_hidden[i] = (int)v[k++];
    a.n_dec = (int)v[k++];
    for (int i = 0; i < a.n_dec; i++) a.dec_hidden[i] = (int)v[k++];
    a.n_cls = (int)v[k++];
    for (int i = 0; i < a.n_cls; i++) a.cls_hidden[i] = (int)v[k++];
    a.latent = (int)v[k++];
    a.act = (vae_activation)v[k++];

    vae_model *m;
    vae_error err;
    CHECK(vae_model_create(&m, &a, &err) == VAE_OK, "create: %s", err.msg);
    char key[128];
    for (int i = 0; i < m->n_tensors; i++) {
        snprintf(key, sizeof key, "init.%s", m->t[i].name);
        const float *p = fixture_get(&fx, key, m->t[i].numel);
        if (p) memcpy(m->params + m->t[i].offset, p, m->t[i].numel * sizeof(float));
    }
    int n = (int)lr->n, labels[16];
    for (int b = 0; b < n; b++) labels[b] = (int)lr->v[b];
    int rows = vae_m2_row_count(m, labels, n), L = a.latent;
    const float *x = fixture_get(&fx, "x", (size_t)n * m->D), *eps = fixture_get(&fx, "eps", (size_t)6 * rows * L);
    if (!x || !eps) return;

    float probs[16 * 8];
    CHECK(vae_model_classify(m, x, n, probs, &err) == VAE_OK, "classify: %s", err.msg);
    fixture_compare("probs", probs, fixture_get(&fx, "probs", (size_t)n * a.n_classes), (size_t)n * a.n_classes, 1e-5);

    vae_train_config tc;
    vae_train_config_default(&tc);
    tc.beta = tr[0], tc.alpha = tr[1], tc.lr = tr[2];
    vae_trainer *t;
    vae_step_stats st;
    CHECK(vae_trainer_init(&t, m, &tc, &err) == VAE_OK, "trainer: %s", err.msg);
    CHECK(vae_trainer_compute_grads(t, x, labels, n, eps, &st, &err) == VAE_OK, "grads: %s", err.msg);
    float loss = (float)st.loss;
    fixture_compare("loss", &loss, fixture_get(&fx, "loss", 1), 1, 1e-5);
    for (int i = 0; i < m->n_tensors; i++) {
        snprintf(key, sizeof key, "grad.%s", m->t[i].name);
        fixture_compare(key, vae_trainer_grads(t) + m->t[i].offset, fixture_get(&fx, key, m->t[i].numel), m->t[i].numel,
                        1e-5);
    }
    for (int s = 1; s <= 5; s++)
        CHECK(vae_trainer_step(t, x, labels, n, eps + (size_t)s * rows * L, &st, &err) == VAE_OK, "step %d: %s", s,
              err.msg);
    for (int i = 0; i < m->n_tensors; i++) {
        snprintf(key, sizeof key, "step5.%s", m->t[i].name);
        fixture_compare(key, m->params + m->t[i].offset, fixture_get(&fx, key, m->t[i].numel), m->t[i].numel, 1e-4);
    }
    vae_trainer_free(t);
    vae_model_free(m);
    fixture_free(&fx);
}

/* Trains a few mixed steps (eps from the trainer's seed), saves, loads:
 * the same architecture, tensors and probabilities, bit for bit, and the
 * same file again. */
static void check_file(void) {
    vae_arch a = small_arch(VAE_ACT_RELU);
    a.n_cls = 2, a.cls_hidden[1] = 3;
    vae_model *m, *back;
    vae_trainer *t;
    vae_error err;
    vae_train_config tc;
    vae_train_config_default(&tc);
    CHECK(vae_model_init(&m, &a, 9, &err) == VAE_OK, "init: %s", err.msg);
    CHECK(vae_trainer_init(&t, m, &tc, &err) == VAE_OK, "trainer: %s", err.msg);
    float x[N * 6];
    int labels[N] = {2, -1, -1, 0};
    fill(x, N * 6, 0, 1);
    for (int s = 0; s < 3; s++) CHECK(vae_trainer_step(t, x, labels, N, NULL, NULL, &err) == VAE_OK, "%s", err.msg);
    vae_trainer_free(t);
    uint8_t *buf, *buf2;
    size_t len, len2;
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, NULL, 0, &buf, &len, &err) == VAE_OK, "save: %s", err.msg);
    CHECK(vae_model_load(&back, buf, len, &err) == VAE_OK, "load: %s", err.msg);
    if (!back) return;
    const vae_arch *b = vae_model_arch(back);
    CHECK(b->kind == VAE_KIND_M2 && b->n_cls == 2 && b->cls_hidden[0] == 4 && b->cls_hidden[1] == 3 &&
              b->n_classes == C,
          "architecture back: kind %d, %d classifier layers, %d classes", b->kind, b->n_cls, b->n_classes);
    CHECK(back->n_tensors == m->n_tensors && back->n_params == m->n_params &&
              !memcmp(back->params, m->params, m->n_params * sizeof(float)),
          "tensors differ after the round trip");
    CHECK(vae_model_find_tensor(back, "classifier.layers.1.weight") >= 0 &&
              vae_model_find_tensor(back, "classifier.out.bias") >= 0,
          "classifier tensors missing");
    float p1[N * C], p2[N * C];
    CHECK(vae_model_classify(m, x, N, p1, &err) == VAE_OK && vae_model_classify(back, x, N, p2, &err) == VAE_OK,
          "classify: %s", err.msg);
    CHECK(!memcmp(p1, p2, sizeof p1), "probabilities differ after the round trip");
    for (int i = 0; i < N; i++) CHECK(fabsf(p1[i * C] + p1[i * C + 1] + p1[i * C + 2] - 1.0f) < 1e-6f, "row %d", i);
    CHECK(vae_model_save(back, VAE_DTYPE_F32, 0, NULL, 0, &buf2, &len2, &err) == VAE_OK, "save: %s", err.msg);
    CHECK(len == len2 && !memcmp(buf, buf2, len), "the reloaded model saves to different bytes");
    vae_buffer_free(buf2);
    /* a decoder-only copy has no classifier, and says so */
    vae_model *dec;
    CHECK(vae_model_decoder_copy(m, &dec, &err) == VAE_OK, "decoder copy: %s", err.msg);
    CHECK(vae_model_classify(dec, x, N, p1, &err) != VAE_OK, "a decoder-only M2 classified");
    vae_model_free(dec);
    vae_buffer_free(buf);
    vae_model_free(back);
    vae_model_free(m);
}

static void check_errors(void) {
    vae_arch a = small_arch(VAE_ACT_TANH);
    vae_model *m;
    vae_trainer *t;
    vae_error err;
    vae_train_config tc;
    vae_train_config_default(&tc);
    CHECK(vae_model_init(&m, &a, 1, &err) == VAE_OK, "init: %s", err.msg);
    CHECK(vae_trainer_init(&t, m, &tc, &err) == VAE_OK, "trainer: %s", err.msg);
    float x[N * 6] = {0}, p[N * C];
    int high[N] = {0, 1, C, -1}, low[N] = {0, -2, 1, 1};
    CHECK(vae_trainer_step(t, x, high, N, NULL, NULL, &err) == VAE_ERR_ARG, "label %d accepted", C);
    printf("  label out of range: %s\n", err.msg);
    CHECK(vae_trainer_step(t, x, low, N, NULL, NULL, &err) == VAE_ERR_ARG, "label -2 accepted");
    CHECK(vae_trainer_step(t, x, NULL, N, NULL, NULL, &err) == VAE_OK, "all unlabelled: %s", err.msg);
    CHECK(vae_model_encode(m, x, low, N, p, NULL, &err) == VAE_ERR_ARG, "encode took label -2");
    vae_trainer_free(t);
    tc.alpha = -1;
    CHECK(vae_trainer_init(&t, m, &tc, &err) == VAE_ERR_ARG, "alpha -1 accepted");
    vae_model_free(m);

    a.n_classes = 1;
    CHECK(vae_arch_validate(&a, &err) == VAE_ERR_ARG, "an M2 with one class validated");
    a = small_arch(VAE_ACT_TANH);
    a.kind = VAE_KIND_VAE;
    CHECK(vae_arch_validate(&a, &err) == VAE_ERR_ARG, "a CVAE with a classifier validated");
    a.n_cls = 0;
    CHECK(vae_model_init(&m, &a, 1, &err) == VAE_OK, "CVAE: %s", err.msg);
    CHECK(vae_model_classify(m, x, N, p, &err) == VAE_ERR_STATE, "a CVAE classified");
    vae_model_free(m);
}

/* Ten mixed steps, eps drawn by the trainer: the weights and probabilities
 * must have the same bits on every build of a kind (outhash.h). */
static void check_bits(void) {
    vae_arch a = small_arch(VAE_ACT_RELU);
    vae_model *m;
    vae_trainer *t;
    vae_error err;
    vae_train_config tc;
    vae_train_config_default(&tc);
    tc.lr = 1e-2f, tc.alpha = 2.0f, tc.seed = 3;
    CHECK(vae_model_init(&m, &a, 4, &err) == VAE_OK, "init: %s", err.msg);
    CHECK(vae_trainer_init(&t, m, &tc, &err) == VAE_OK, "trainer: %s", err.msg);
    float x[N * 6], p[N * C];
    int labels[N] = {1, -1, 0, -1};
    vae_rng data;
    vae_rng_seed(&data, 5);
    for (int s = 0; s < 10; s++) {
        for (int i = 0; i < N * 6; i++) x[i] = vae_rng_uniform(&data);
        CHECK(vae_trainer_step(t, x, labels, N, NULL, NULL, &err) == VAE_OK, "step %d: %s", s, err.msg);
    }
    CHECK(vae_model_classify(m, x, N, p, &err) == VAE_OK, "classify: %s", err.msg);
    hash_floats(m->params, m->n_params);
    hash_floats(p, N * C);
    check_hash(0x38b9c979aaf44ad3u, 0x0bfa7df9004dfcc4u);
    vae_trainer_free(t);
    vae_model_free(m);
}

int main(void) {
    vae_rng_seed(&rng, 11);
    static const int labelled[N] = {0, 2, 1, 2}, unlabelled[N] = {-1, -1, -1, -1}, mixed[N] = {-1, 1, -1, 0};
    printf("gradients\n");
    check_grads("labelled, tanh", VAE_ACT_TANH, labelled);
    check_grads("unlabelled, tanh", VAE_ACT_TANH, unlabelled);
    check_grads("mixed, sigmoid", VAE_ACT_SIGMOID, mixed);
    check_golden();
    printf("file and errors\n");
    check_file();
    check_errors();
    check_bits();
    return check_result("test_m2");
}
