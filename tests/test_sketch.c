/* SketchRNN (models/sketch.h): finite differences of the whole batch loss
 * (ragged lengths with a one-point drawing, the KL above and below its
 * floor) against every parameter's gradient; a ragged batch gives each
 * drawing what it gives alone; bad drawings get readable errors; decoding
 * is deterministic at temperature 0, does not depend on the batch at
 * temperature > 0, and keeps within the model's limit; completion starts
 * with the prefix; sampling is the decoding of its seed's latents; files (F32 bit for
 * bit, F16 the nearest halves, errors for bad metadata and truncations);
 * the PyTorch golden fixture (tools/make_golden_sketch.py): encoder outputs,
 * losses and every gradient at the 1e-5 relative bar. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "fdcheck.h"
#include "fixture.h"
#include "formats/safetensors.h"
#include "internal.h"
#include "layers/layers.h"
#include "models/sketch.h"

/* the loss (tens of nats) in float32 leaves ~3e-5 of noise in a central
 * difference at h = 1e-2 (fdcheck's relative error adds 1e-2 below); a
 * wrong gradient is off by far more */
#define FD_TOL 6e-3

static const vae_sketch_arch arch = {
    .enc_hidden = 3, .dec_hidden = 4, .latent = 2, .mixtures = 2, .max_len = 6, .scale = 2.0f};

/* Three drawings of 4, 6 and 1 points in the data's units. */
static const float pts_a[] = {1, 2, 0, -3, 1, 1, 2, 2, 0, 0.5f, -1, 1};
static const float pts_b[] = {-2, 0, 0, 1, 1, 0, 3, -1, 1, 0, 2, 0, -1, -1, 0, 2, 0.5f, 1};
static const float pts_c[] = {4, -2, 1};
static const vae_sketch_drawing batch[3] = {{pts_a, 4}, {pts_b, 6}, {pts_c, 1}};

typedef struct {
    vae_sketch *m;
    float w_kl, kl_min;
} loss_ctx;

/* The batch loss with eps from seed 5 (compute_grads draws the same). */
static double batch_loss(void *p) {
    loss_ctx *c = p;
    float xy[3], pen[3], kl[3];
    vae_rng rng;
    vae_rng_seed(&rng, 5);
    vae_sketch_loss(c->m, batch, 3, NULL, &rng, xy, pen, kl, NULL);
    double rec = 0.0, k = 0.0;
    for (int b = 0; b < 3; b++) rec += (double)xy[b] + pen[b], k += kl[b];
    k /= 3;
    return rec / 3 + c->w_kl * (k > c->kl_min ? k : c->kl_min);
}

static void check_gradients(void) {
    vae_sketch *m;
    vae_error err;
    CHECK(!vae_sketch_create(&m, &arch, 4, 7, &err), "create: %s", err.msg);
    size_t n = vae_sketch_param_count(m);
    float *p = vae_sketch_params(m), *g = malloc(n * sizeof *g);
    /* bigger weights than the init, so the mixture's components differ */
    for (size_t i = 0; i < n; i++) p[i] *= 2.0f;
    const float floors[2] = {0.0f, 1e3f}; /* the KL counts; the KL under its floor (no gradient) */
    for (int k = 0; k < 2; k++) {
        loss_ctx c = {m, 0.7f, floors[k]};
        vae_rng rng;
        vae_sketch_stats st;
        vae_rng_seed(&rng, 5);
        CHECK(!vae_sketch_compute_grads(m, batch, 3, NULL, c.w_kl, c.kl_min, &rng, &st, &err), "grads: %s", err.msg);
        CHECK(fabs(st.loss - batch_loss(&c)) < 1e-4 * fabs(st.loss), "stats loss %g vs %g", st.loss, batch_loss(&c));
        memcpy(g, vae_sketch_grads(m), n * sizeof *g);
        for (int i = 0; i < vae_sketch_tensor_count(m); i++) {
            vae_tensor t;
            char what[80];
            vae_sketch_tensor(m, i, &t, NULL);
            vae_format(what, sizeof what, "%s%s", t.name, k ? " (KL floored)" : "");
            fd_check(what, t.data, t.numel, g + t.offset, batch_loss, &c, 1e-2f, FD_TOL, 0);
        }
    }
    free(g);
    vae_sketch_free(m);
}

static void check_ragged_and_errors(void) {
    vae_sketch *m;
    vae_error err;
    vae_sketch_create(&m, &arch, 4, 3, &err);
    float eps[6] = {0.3f, -1.0f, 0.5f, 0.2f, -0.7f, 1.1f}, xy[3], pen[3], kl[3], xy1, pen1, kl1;
    vae_sketch_loss(m, batch, 3, eps, NULL, xy, pen, kl, &err);
    for (int b = 0; b < 3; b++) {
        vae_sketch_loss(m, &batch[b], 1, eps + 2 * b, NULL, &xy1, &pen1, &kl1, &err);
        CHECK(fabsf(xy1 - xy[b]) < 1e-5f && fabsf(pen1 - pen[b]) < 1e-5f && kl1 == kl[b],
              "drawing %d alone %g %g %g, in the batch %g %g %g", b, xy1, pen1, kl1, xy[b], pen[b], kl[b]);
    }
    float bad[] = {1, 2, 0.5f};
    vae_sketch_drawing d[2] = {batch[0], {bad, 1}};
    CHECK(vae_sketch_loss(m, d, 2, eps, NULL, xy, pen, kl, &err) == VAE_ERR_ARG &&
              !strcmp(err.msg, "drawing 2: point 1: pen lift 0.5 is neither 0 nor 1"),
          "bad lift: %s", err.msg);
    d[1] = (vae_sketch_drawing){pts_b, 0};
    CHECK(vae_sketch_loss(m, d, 2, eps, NULL, xy, pen, kl, &err) == VAE_ERR_ARG &&
              !strcmp(err.msg, "drawing 2: empty drawing"),
          "empty: %s", err.msg);
    float longer[21] = {0};
    d[1] = (vae_sketch_drawing){longer, 7};
    CHECK(vae_sketch_loss(m, d, 2, eps, NULL, xy, pen, kl, &err) == VAE_ERR_ARG &&
              !strcmp(err.msg, "drawing 2: drawing of 7 points is longer than the model's limit 6"),
          "long: %s", err.msg);
    bad[0] = NAN, bad[2] = 0;
    d[1] = (vae_sketch_drawing){bad, 1};
    CHECK(vae_sketch_loss(m, d, 2, eps, NULL, xy, pen, kl, &err) == VAE_ERR_NONFINITE, "NaN: %s", err.msg);

    /* decoding: greedy twice the same; sampled drawings independent of the batch */
    float z[10], out1[5 * 18], out2[5 * 18];
    int len1[5], len2[5];
    vae_rng rng;
    vae_rng_seed(&rng, 1);
    vae_rng_normals(&rng, z, 10);
    CHECK(!vae_sketch_decode(m, z, 5, 0.0f, NULL, out1, len1, &err), "decode: %s", err.msg);
    CHECK(!vae_sketch_decode(m, z, 5, 0.0f, NULL, out2, len2, &err), "decode: %s", err.msg);
    CHECK(!memcmp(len1, len2, sizeof len1), "greedy decoding differs");
    for (int b = 0; b < 5; b++)
        CHECK(!memcmp(out1 + b * 18, out2 + b * 18, len1[b] * 3 * sizeof(float)), "greedy drawing %d differs", b);
    vae_rng_seed(&rng, 2);
    vae_sketch_decode(m, z, 5, 0.8f, &rng, out1, len1, &err);
    vae_rng_seed(&rng, 2);
    vae_sketch_decode(m, z, 2, 0.8f, &rng, out2, len2, &err);
    vae_sketch_decode(m, z + 4, 3, 0.8f, &rng, out2 + 2 * 18, len2 + 2, &err);
    int same = 1;
    for (int b = 0; b < 5; b++) {
        CHECK(len1[b] >= 0 && len1[b] <= 6, "decoded length %d", len1[b]);
        /* the same draws; the matrix kernels may round a row differently in another batch */
        same &= len1[b] == len2[b];
        for (int i = 0; i < len1[b] * 3; i++) same &= fabsf(out1[b * 18 + i] - out2[b * 18 + i]) < 1e-4f;
        for (int i = 0; i < len1[b]; i++) CHECK(out1[b * 18 + i * 3 + 2] == 0 || out1[b * 18 + i * 3 + 2] == 1, "lift");
        if (len1[b] == 6) CHECK(out1[b * 18 + 17] == 1.0f, "a drawing cut at the limit lifts the pen");
    }
    CHECK(same, "sampled drawings depend on the batch they are decoded in");
    /* completion: the prefix comes back as it is, then the decoder goes on */
    float done[18];
    int n_done;
    vae_rng_seed(&rng, 3);
    CHECK(!vae_sketch_complete(m, &batch[0], NULL, 0.5f, &rng, done, &n_done, &err), "complete: %s", err.msg);
    CHECK(n_done >= 4 && n_done <= 6 && !memcmp(done, pts_a, 3 * 3 * sizeof(float)),
          "completion of %d points does not start with the prefix", n_done);
    CHECK(!vae_sketch_complete(m, &batch[1], z, 0.0f, NULL, done, &n_done, &err) && n_done == 6 &&
              !memcmp(done, pts_b, 5 * 3 * sizeof(float)) && done[17] == 1.0f,
          "a prefix at the limit: %d points", n_done);
    /* sample = decode of seed's normals with the draws from seed + 1 */
    vae_sketch_sample(m, 5, 9, 0.7f, out1, len1, &err);
    vae_rng_seed(&rng, 9);
    vae_rng_normals(&rng, z, 10);
    vae_rng_seed(&rng, 10);
    vae_sketch_decode(m, z, 5, 0.7f, &rng, out2, len2, &err);
    same = !memcmp(len1, len2, sizeof len1);
    for (int b = 0; b < 5; b++) same &= !memcmp(out1 + b * 18, out2 + b * 18, len1[b] * 3 * sizeof(float));
    CHECK(same, "sample is not the decoding of its seed's latents");
    z[3] = INFINITY;
    CHECK(vae_sketch_decode(m, z, 5, 0.0f, NULL, out1, len1, &err) == VAE_ERR_NONFINITE, "z inf: %s", err.msg);
    z[1] = NAN;
    CHECK(vae_sketch_complete(m, &batch[0], z, 0.0f, NULL, done, &n_done, &err) == VAE_ERR_NONFINITE, "z inf: %s",
          err.msg);
    vae_sketch_free(m);
}

/* Writes the file of m with its architecture JSON replaced by json (NULL: kept). */
static uint8_t *with_arch(const vae_sketch *m, const char *json, size_t *len) {
    uint8_t *buf;
    vae_tensor t[20];
    for (int i = 0; i < 20; i++) vae_sketch_tensor(m, i, &t[i], NULL);
    char arch[512];
    vae_sketch_arch_to_json(vae_sketch_get_arch(m), arch, sizeof arch, NULL);
    vae_st_save_table(t, 20, VAE_DTYPE_F32, json ? json : arch, NULL, 0, &buf, len, NULL);
    return buf;
}

/* save -> load: F32 the same bits and losses, F16 the nearest halves; bad metadata and truncations are errors. */
static void check_files(void) {
    vae_sketch *m, *r = NULL;
    vae_error err;
    uint8_t *buf;
    size_t len;
    vae_sketch_create(&m, &arch, 3, 4, &err);
    const char *kv[] = {"train.steps", "12"};
    CHECK(!vae_sketch_save(m, VAE_DTYPE_F32, kv, 1, &buf, &len, &err), "save: %s", err.msg);
    CHECK(vae_sketch_file(buf, len) == 1, "not recognised as a sketch model");
    CHECK(!vae_sketch_load(&r, buf, len, 3, &err), "load: %s", err.msg);
    if (r) {
        CHECK(!memcmp(vae_sketch_get_arch(r), &arch, sizeof arch), "architecture differs after the round trip");
        CHECK(!memcmp(vae_sketch_params(r), vae_sketch_params(m), vae_sketch_param_count(m) * sizeof(float)),
              "F32 weights differ after the round trip");
        vae_sketch_free(r), r = NULL;
    }
    for (size_t cut = 0; cut < len; cut += 1 + cut / 3)
        CHECK(vae_sketch_load(&r, buf, cut, 3, &err) != VAE_OK && !r, "a file cut at %zu bytes loads", cut);
    vae_buffer_free(buf);
    CHECK(!vae_sketch_save(m, VAE_DTYPE_F16, NULL, 0, &buf, &len, &err) && !vae_sketch_load(&r, buf, len, 3, &err),
          "F16: %s", err.msg);
    if (r) {
        const float *a = vae_sketch_params(m), *b = vae_sketch_params(r);
        int near = 1;
        for (size_t i = 0; i < vae_sketch_param_count(m); i++) near &= b[i] == vae_f16_to_f32(vae_f32_to_f16(a[i]));
        CHECK(near, "F16 weights are not the nearest halves");
        vae_sketch_free(r), r = NULL;
    }
    vae_buffer_free(buf);
    static const struct {
        const char *json, *msg;
    } bad[] = {
        {"{\"format\":2,\"model\":\"sketch\",\"enc_hidden\":3,\"dec_hidden\":4,\"latent\":2,\"mixtures\":2,"
         "\"max_len\":6}",
         "sketch model metadata: missing \"scale\""},
        {"{\"format\":2,\"model\":\"sketch\",\"enc_hidden\":3,\"dec_hidden\":4,\"latent\":2,\"mixtures\":2,"
         "\"max_len\":6,\"scale\":-1}",
         "sketch model metadata: offset scale -1 is not a positive number"},
        {"{\"format\":2,\"model\":\"sketch\",\"enc_hidden\":3,\"dec_hidden\":4,\"latent\":2,\"mixtures\":99,"
         "\"max_len\":6,\"scale\":2}",
         "sketch model metadata: encoder 3, decoder 4, latent 2, mixtures 99, points 6: want 1..4096, 1..4096, "
         "1..1024, 1..64, 1..4096"},
        {"{\"format\":2,\"model\":\"sketch\",\"enc_hidden\":3,\"dec_hidden\":4,\"latent\":2,\"mixtures\":2,"
         "\"max_len\":6,\"scale\":2,\"depth\":1}",
         "sketch model metadata: unknown key \"depth\""},
        {"{\"format\":2,\"model\":\"sketch\",\"enc_hidden\":3,\"dec_hidden\":5,\"latent\":2,\"mixtures\":2,"
         "\"max_len\":6,\"scale\":2}",
         "tensor \"decoder.init.weight\": shape [8,2] in the file, the architecture needs [10,2]"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        buf = with_arch(m, bad[i].json, &len);
        CHECK(vae_sketch_load(&r, buf, len, 3, &err) != VAE_OK && !strcmp(err.msg, bad[i].msg), "bad %zu: %s", i,
              err.msg);
        vae_buffer_free(buf);
    }
    vae_sketch_free(m);
}

/* The PyTorch model of tools/make_golden_sketch.py with its weights. */
static void check_golden(void) {
    fixture fx;
    if (!fixture_load(VAE_TEST_DATA_DIR "/golden_sketch.bin", &fx)) {
        CHECK(0, "missing tests/data/golden_sketch.bin (tools/make_golden_sketch.py)");
        return;
    }
    const float *a = fixture_get(&fx, "arch", 7);
    if (!a) return;
    vae_sketch_arch ga = {(int)a[0], (int)a[1], (int)a[2], (int)a[3], (int)a[4], a[5]};
    int n = (int)a[6], L = ga.latent;
    vae_sketch *m;
    vae_error err;
    CHECK(!vae_sketch_create(&m, &ga, n, 0, &err), "create: %s", err.msg);
    for (int i = 0; i < vae_sketch_tensor_count(m); i++) {
        vae_tensor t;
        vae_sketch_tensor(m, i, &t, NULL);
        const float *v = fixture_get(&fx, t.name, t.numel);
        if (v) memcpy(t.data, v, t.numel * sizeof *v);
    }
    const float *lens = fixture_get(&fx, "lengths", n), *pts = fixture_get(&fx, "points", (size_t)n * ga.max_len * 3);
    const float *eps = fixture_get(&fx, "eps", (size_t)n * L), *w = fixture_get(&fx, "w_kl", 2);
    if (!lens || !pts || !eps || !w) return;
    vae_sketch_drawing d[16];
    for (int b = 0; b < n; b++) d[b] = (vae_sketch_drawing){pts + (size_t)b * ga.max_len * 3, (int)lens[b]};
    float mu[64], logvar[64], xy[16], pen[16], kl[16];
    vae_sketch_encode(m, d, n, mu, logvar, &err);
    fixture_compare("mu", mu, fixture_get(&fx, "mu", (size_t)n * L), (size_t)n * L, 1e-5);
    fixture_compare("logvar", logvar, fixture_get(&fx, "logvar", (size_t)n * L), (size_t)n * L, 1e-5);
    CHECK(!vae_sketch_loss(m, d, n, eps, NULL, xy, pen, kl, &err), "loss: %s", err.msg);
    fixture_compare("rec_xy", xy, fixture_get(&fx, "rec_xy", n), n, 1e-5);
    fixture_compare("rec_pen", pen, fixture_get(&fx, "rec_pen", n), n, 1e-5);
    fixture_compare("kl", kl, fixture_get(&fx, "kl", n), n, 1e-5);
    vae_sketch_stats st;
    CHECK(!vae_sketch_compute_grads(m, d, n, eps, w[0], w[1], NULL, &st, &err), "grads: %s", err.msg);
    const float *loss = fixture_get(&fx, "loss", 1);
    if (loss) fixture_compare("loss", (float[]){(float)st.loss}, loss, 1, 1e-5);
    const float *g = vae_sketch_grads(m);
    for (int i = 0; i < vae_sketch_tensor_count(m); i++) {
        vae_tensor t;
        char name[80];
        vae_sketch_tensor(m, i, &t, NULL);
        vae_format(name, sizeof name, "grad.%s", t.name);
        fixture_compare(name, g + t.offset, fixture_get(&fx, name, t.numel), t.numel, 1e-5);
    }
    fixture_free(&fx);
    vae_sketch_free(m);
}

int main(void) {
    check_gradients();
    check_ragged_and_errors();
    check_files();
    check_golden();
    return check_result("test_sketch");
}
