/* Word model files (formats/words_io.c): the PyTorch tensor names, F32
 * round trips bit for bit (same weights, same loss), F16 to the nearest
 * half, a vocabulary of its own, and readable errors for bad metadata,
 * tensors that do not fit, and every truncation of a good file. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "formats/safetensors.h"
#include "models/words.h"

static const char *batch[] = {"cat", "horse", "a", "zebra"};

static vae_words *make(int latent, const char *vocab) {
    vae_words_arch a = {.embed = 4, .hidden = 6, .latent = latent, .max_len = 7};
    strcpy(a.vocab, vocab);
    vae_words *m = NULL;
    vae_error err;
    CHECK(vae_words_create(&m, &a, 4, 9, &err) == VAE_OK, "create: %s", err.msg);
    return m;
}

static void check_names(void) {
    static const char *want[] = {"embedding.weight",
                                 "encoder.rnn.weight_ih_l0",
                                 "encoder.rnn.weight_hh_l0",
                                 "encoder.rnn.bias_ih_l0",
                                 "encoder.rnn.bias_hh_l0",
                                 "encoder.rnn.weight_ih_l0_reverse",
                                 "encoder.rnn.weight_hh_l0_reverse",
                                 "encoder.rnn.bias_ih_l0_reverse",
                                 "encoder.rnn.bias_hh_l0_reverse",
                                 "encoder.mu.weight",
                                 "encoder.mu.bias",
                                 "encoder.logvar.weight",
                                 "encoder.logvar.bias",
                                 "decoder.init.weight",
                                 "decoder.init.bias",
                                 "decoder.rnn.weight_ih_l0",
                                 "decoder.rnn.weight_hh_l0",
                                 "decoder.rnn.bias_ih_l0",
                                 "decoder.rnn.bias_hh_l0",
                                 "decoder.out.weight",
                                 "decoder.out.bias"};
    static const int shapes[][2] = {{29, 4}, {24, 4}, {24, 6}, {24, 0}, {24, 0}, {24, 4}, {24, 6},
                                    {24, 0}, {24, 0}, {3, 12}, {3, 0},  {3, 12}, {3, 0},  {6, 3},
                                    {6, 0},  {24, 7}, {24, 6}, {24, 0}, {24, 0}, {29, 6}, {29, 0}};
    vae_words *m = make(3, "");
    int n = vae_words_tensor_count(m);
    size_t total = 0;
    CHECK(n == 21, "%d tensors", n);
    for (int i = 0; i < n && i < 21; i++) {
        vae_tensor t;
        vae_words_tensor(m, i, &t, NULL);
        CHECK(!strcmp(t.name, want[i]), "tensor %d: %s, want %s", i, t.name, want[i]);
        CHECK(t.ndim == (shapes[i][1] ? 2 : 1) && t.shape[0] == shapes[i][0] &&
                  (t.ndim == 1 || t.shape[1] == shapes[i][1]),
              "%s: shape [%d, %d]", t.name, t.shape[0], t.shape[1]);
        CHECK(t.offset == total, "%s at %zu, want %zu (block order)", t.name, t.offset, total);
        total += t.numel;
    }
    CHECK(total == vae_words_param_count(m), "tensors cover %zu of %zu parameters", total, vae_words_param_count(m));
    vae_words_free(m);
    m = make(0, "");
    CHECK(vae_words_tensor_count(m) == 7, "a language model has %d tensors", vae_words_tensor_count(m));
    vae_words_free(m);
}

/* save -> load: F32 gives the same bits and the same losses, F16 the nearest halves. */
static void check_round_trip(int latent, const char *vocab) {
    vae_words *m = make(latent, vocab), *r = NULL;
    uint8_t *buf;
    size_t len;
    vae_error err;
    const char *kv[] = {"train.seed", "3"};
    CHECK(vae_words_save(m, VAE_DTYPE_F32, kv, 1, &buf, &len, &err) == VAE_OK, "save: %s", err.msg);
    CHECK(vae_words_file(buf, len) == 1, "not recognised as a word model");
    CHECK(vae_words_load(&r, buf, len, 4, &err) == VAE_OK, "load: %s", err.msg);
    if (!r) return;
    size_t n = vae_words_param_count(m);
    CHECK(vae_words_param_count(r) == n && !memcmp(vae_words_params(m), vae_words_params(r), n * sizeof(float)),
          "F32 weights differ after the round trip");
    CHECK(!strcmp(vae_words_get_arch(r)->vocab, vae_words_get_arch(m)->vocab), "vocabulary %s",
          vae_words_get_arch(r)->vocab);
    const char *words[4];
    for (int i = 0; i < 4; i++) words[i] = vocab[0] ? (const char *[]){"x.y", "yy", "x", "."}[i] : batch[i];
    float eps[4 * 3] = {0.5f, -1, 0.25f, 2, 0, -0.5f, 1, 1, -1, 0.1f, 0.2f, 0.3f};
    float rec[2][4], kl[2][4];
    CHECK(vae_words_loss(m, words, 4, latent ? eps : NULL, rec[0], kl[0], &err) == VAE_OK, "loss: %s", err.msg);
    CHECK(vae_words_loss(r, words, 4, latent ? eps : NULL, rec[1], kl[1], &err) == VAE_OK, "loss: %s", err.msg);
    CHECK(!memcmp(rec[0], rec[1], sizeof rec[0]) && !memcmp(kl[0], kl[1], sizeof kl[0]),
          "losses differ after the round trip: %g vs %g", rec[0][0], rec[1][0]);
    vae_words_free(r);
    vae_buffer_free(buf);

    CHECK(vae_words_save(m, VAE_DTYPE_F16, NULL, 0, &buf, &len, &err) == VAE_OK, "save F16: %s", err.msg);
    CHECK(vae_words_load(&r, buf, len, 4, &err) == VAE_OK, "load F16: %s", err.msg);
    double worst = 0;
    for (size_t i = 0; r && i < n; i++) {
        double a = vae_words_params(m)[i], b = vae_words_params(r)[i];
        worst = fmax(worst, fabs(a - b) / fmax(fabs(a), 6.1e-5));
    }
    CHECK(r && worst <= 1.0 / 2048, "F16 weights off by %g relative (half precision: 2^-11)", worst);
    vae_words_free(r);
    vae_buffer_free(buf);
    vae_words_free(m);
}

/* A file of m's tensors (all, or all but `drop`; `nan` poisons one value)
 * with the architecture JSON arch. */
static uint8_t *file_with(const vae_words *m, const char *arch, const char *drop, int nan, const char *extra,
                          size_t *len) {
    vae_st_entry ent[32];
    int n = 0;
    static float poisoned[4096], one[1];
    for (int i = 0; i < vae_words_tensor_count(m); i++) {
        vae_tensor t;
        vae_words_tensor(m, i, &t, NULL);
        if (drop && !strcmp(t.name, drop)) continue;
        ent[n] = (vae_st_entry){t.name, t.ndim, {(uint64_t)t.shape[0], (uint64_t)t.shape[1]}, t.data, NULL};
        if (nan && i == 2) {
            memcpy(poisoned, t.data, t.numel * sizeof(float));
            poisoned[5] = NAN;
            ent[n].data = poisoned;
        }
        n++;
    }
    if (extra) ent[n++] = (vae_st_entry){extra, 1, {1}, one, NULL};
    const char *kv[] = {VAE_METADATA_KEY, arch};
    uint8_t *buf = NULL;
    vae_error err;
    CHECK(vae_st_write(ent, n, VAE_DTYPE_F32, kv, arch ? 1 : 0, &buf, len, &err) == VAE_OK, "write: %s", err.msg);
    return buf;
}

static void expect_error(const vae_words *m, const char *arch, const char *drop, int nan, const char *extra,
                         vae_status code, const char *msg) {
    size_t len;
    uint8_t *buf = file_with(m, arch, drop, nan, extra, &len);
    vae_words *r = (vae_words *)1;
    vae_error err = {0};
    vae_status s = vae_words_load(&r, buf, len, 4, &err);
    if (s == VAE_OK) vae_words_free(r), r = NULL;
    CHECK(s == code && !strcmp(err.msg, msg) && !r, "%s: %s (%s), want %s (%s)", arch ? arch : "no metadata",
          vae_status_name(s), err.msg, vae_status_name(code), msg);
    vae_buffer_free(buf);
}

#define ARCH(rest) "{\"format\":2,\"model\":\"words\"," rest "}"
#define GOOD ARCH("\"vocab\":\"abcdefghijklmnopqrstuvwxyz\",\"max_len\":7,\"embed\":4,\"hidden\":6,\"latent\":3")

static void check_errors(void) {
    vae_words *m = make(3, "");
    const vae_status META = VAE_ERR_METADATA;
    expect_error(m, GOOD, NULL, 0, NULL, VAE_OK, "");
    expect_error(m, NULL, NULL, 0, NULL, META,
                 "__metadata__ has no \"vae_wasm.arch\" entry: not a vae-wasm model file");
    expect_error(m, "{\"format\":2,", NULL, 0, NULL, META, "architecture metadata: malformed JSON near byte 12");
    expect_error(m, "[1]", NULL, 0, NULL, META, "architecture metadata is not a JSON object");
    expect_error(m, ARCH("\"max_len\":7,\"embed\":4,\"hidden\":6,\"latent\":3"), NULL, 0, NULL, META,
                 "word model metadata: missing \"vocab\"");
    expect_error(m, ARCH("\"vocab\":\"ab\",\"vocab\":\"ab\""), NULL, 0, NULL, META,
                 "word model metadata: duplicate key \"vocab\"");
    expect_error(m, ARCH("\"layers\":2"), NULL, 0, NULL, META, "word model metadata: unknown key \"layers\"");
    expect_error(m, "{\"format\":1}", NULL, 0, NULL, META, "word model metadata: \"format\" must be 2");
    expect_error(m, ARCH("\"vocab\":7"), NULL, 0, NULL, META,
                 "word model metadata: \"vocab\" must be a string of 1 to 95 characters");
    expect_error(m, ARCH("\"vocab\":\"\""), NULL, 0, NULL, META,
                 "word model metadata: \"vocab\" must be a string of 1 to 95 characters");
    expect_error(m, ARCH("\"hidden\":-6"), NULL, 0, NULL, META,
                 "word model metadata: \"hidden\" must be an integer in 1..4096");
    expect_error(m, ARCH("\"vocab\":\"abca\",\"max_len\":7,\"embed\":4,\"hidden\":6,\"latent\":3"), NULL, 0, NULL, META,
                 "word model metadata: vocabulary character 4 (byte 0x61) repeats one before it");
    expect_error(m, ARCH("\"vocab\":\"ab\\tc\",\"max_len\":7,\"embed\":4,\"hidden\":6,\"latent\":3"), NULL, 0, NULL,
                 META, "word model metadata: vocabulary character 3 (byte 0x09) is not printable ASCII");
    expect_error(m, ARCH("\"vocab\":\"ab\",\"max_len\":300,\"embed\":4,\"hidden\":6,\"latent\":3"), NULL, 0, NULL, META,
                 "word model metadata: word limit 300 not in 1..256");
    expect_error(m, ARCH("\"vocab\":\"ab\",\"max_len\":7,\"embed\":4,\"hidden\":0,\"latent\":3"), NULL, 0, NULL, META,
                 "word model metadata: embedding 4, hidden 0, latent 3 out of range (1..1024, 1..4096, 0..1024)");
    /* values that do not fit the architecture */
    expect_error(m,
                 ARCH("\"vocab\":\"abcdefghijklmnopqrstuvwxyz\",\"max_len\":7,\"embed\":4,\"hidden\":6,\"latent\":2"),
                 NULL, 0, NULL, VAE_ERR_SHAPE,
                 "tensor \"encoder.mu.weight\": shape [3,12] in the file, the architecture needs [2,12]");
    expect_error(m, ARCH("\"vocab\":\"abcdefghijklmnopqrstuvwxy\",\"max_len\":7,\"embed\":4,\"hidden\":6,\"latent\":3"),
                 NULL, 0, NULL, VAE_ERR_SHAPE,
                 "tensor \"embedding.weight\": shape [29,4] in the file, the architecture needs [28,4]");
    expect_error(m,
                 ARCH("\"vocab\":\"abcdefghijklmnopqrstuvwxyz\",\"max_len\":7,\"embed\":4,\"hidden\":6,\"latent\":0"),
                 NULL, 0, NULL, VAE_ERR_UNKNOWN, "tensor \"encoder.rnn.weight_ih_l0\" is not part of this word model");
    expect_error(m, GOOD, "decoder.init.bias", 0, NULL, VAE_ERR_MISSING,
                 "tensor \"decoder.init.bias\" is missing from the file");
    expect_error(m, GOOD, NULL, 0, "decoder.extra", VAE_ERR_UNKNOWN,
                 "tensor \"decoder.extra\" is not part of this word model");
    expect_error(m, GOOD, NULL, 1, NULL, VAE_ERR_NONFINITE, "tensor \"encoder.rnn.weight_hh_l0\": element 5 is NaN");
    expect_error(m, ARCH("\"vocab\":\"ab\",\"max_len\":256,\"embed\":1024,\"hidden\":4096,\"latent\":1024"), NULL, 0,
                 NULL, VAE_ERR_MISSING, "architecture needs 289537029 parameters, the file holds only 1357 values");

    /* every prefix of a good file, and every byte of its header flipped, fails cleanly or loads */
    size_t len;
    uint8_t *buf = file_with(m, GOOD, NULL, 0, NULL, &len), *copy = malloc(len);
    int failed = 0;
    for (size_t cut = 0; cut < len; cut++) {
        vae_words *r;
        vae_error err;
        memcpy(copy, buf, cut);
        failed += vae_words_load(&r, copy, cut, 2, &err) != VAE_OK && err.msg[0] && !r;
    }
    CHECK(failed == (int)len, "%d of %zu truncations refused with a message", failed, len);
    size_t header = 8 + (size_t)buf[0] + 256 * buf[1];
    for (size_t i = 0; i < header; i++) {
        vae_words *r;
        memcpy(copy, buf, len);
        copy[i] ^= 0x5a;
        if (vae_words_load(&r, copy, len, 2, NULL) == VAE_OK) vae_words_free(r);
    }
    free(copy);
    vae_buffer_free(buf);
    vae_words_free(m);
}

int main(void) {
    check_names();
    check_round_trip(3, "");
    check_round_trip(0, "");
    check_round_trip(3, "xy.");
    check_errors();
    return check_result("test_words_format");
}
