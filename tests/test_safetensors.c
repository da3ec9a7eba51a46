/* Weights files: F32/F16 round trips, BF16 reading, half-precision edge cases,
 * the architecture JSON, and one test per malformed-file error code. The bad
 * files are built here, from a header string and a data section. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "formats/safetensors.h"

/* 8-byte little-endian header length, header, data. */
static uint8_t *make_file(const char *header, const uint8_t *data, size_t dlen, size_t *len) {
    size_t n = strlen(header);
    uint8_t *f = malloc(8 + n + dlen + 1);
    for (int i = 0; i < 8; i++) f[i] = (uint8_t)((uint64_t)n >> (8 * i));
    memcpy(f + 8, header, n);
    if (dlen) memcpy(f + 8 + n, data, dlen);
    *len = 8 + n + dlen;
    return f;
}

static void expect(const char *what, const uint8_t *buf, size_t len, vae_status want) {
    vae_model *m = NULL;
    vae_error e;
    vae_status s = vae_model_load(&m, buf, len, &e);
    printf("  %-34s -> %-19s %s\n", what, vae_status_name(s), e.msg);
    CHECK(s == want, "%s: got %s, want %s", what, vae_status_name(s), vae_status_name(want));
    CHECK((s == VAE_OK) == (m != NULL), "%s: model pointer", what);
    CHECK(s == VAE_OK || strlen(e.msg) > 0, "%s: empty message", what);
    vae_model_free(m);
}

static void expect_header(const char *what, const char *header, size_t dlen, vae_status want) {
    static const uint8_t zeros[64];
    size_t len;
    uint8_t *f = make_file(header, zeros, dlen, &len);
    expect(what, f, len, want);
    free(f);
}

/* ---------------------------------------------------------------- model files built by hand */

/* D = 1*2*3 = 6, encoder [4], decoder [4], latent 2. */
#define SMALL_ARCH                                                                                                     \
    "{\"format\":1,\"input\":[1,2,3],\"encoder\":[4],\"decoder\":[4],\"latent\":2,\"classes\":0,"                      \
    "\"activation\":\"relu\",\"likelihood\":\"bernoulli\",\"sigma\":1,\"leaky_slope\":0.01,\"decoder_only\":false}"

typedef struct {
    const char *name;
    int rows, cols; /* cols 0: 1-D */
} spec;

static const spec small_table[] = {
    {"encoder.layers.0.weight", 4, 6}, {"encoder.layers.0.bias", 4, 0}, {"encoder.mu.weight", 2, 4},
    {"encoder.mu.bias", 2, 0},         {"encoder.logvar.weight", 2, 4}, {"encoder.logvar.bias", 2, 0},
    {"decoder.layers.0.weight", 4, 2}, {"decoder.layers.0.bias", 4, 0}, {"decoder.out.weight", 6, 4},
    {"decoder.out.bias", 6, 0},
};
#define N_SMALL 10

/* Escapes a JSON document as a JSON string body (quotes only: no backslashes in ours). */
static void escape_into(char *dst, const char *src) {
    for (; *src; src++) {
        if (*src == '"') *dst++ = '\\';
        *dst++ = *src;
    }
    *dst = '\0';
}

/* A file with the given tensors (dtype "F32", "F16" or "BF16"), element i of
 * the whole data section = i / 64, and metadata {"vae_wasm.arch": arch}
 * (no metadata if arch is NULL). */
static uint8_t *build(const char *arch, const spec *t, int n, const char *dtype, size_t *len) {
    char header[8192], esc[2048];
    size_t pos = 0, off = 0, esize = strcmp(dtype, "F32") ? 2 : 4;
    pos += (size_t)snprintf(header + pos, sizeof header - pos, "{");
    if (arch) {
        escape_into(esc, arch);
        pos += (size_t)snprintf(header + pos, sizeof header - pos, "\"__metadata__\":{\"%s\":\"%s\"}", VAE_METADATA_KEY,
                                esc);
    }
    for (int i = 0; i < n; i++) {
        size_t bytes = esize * (size_t)t[i].rows * (size_t)(t[i].cols ? t[i].cols : 1);
        char shape[32];
        if (t[i].cols)
            snprintf(shape, sizeof shape, "[%d,%d]", t[i].rows, t[i].cols);
        else
            snprintf(shape, sizeof shape, "[%d]", t[i].rows);
        pos += (size_t)snprintf(header + pos, sizeof header - pos,
                                "%s\"%s\":{\"dtype\":\"%s\",\"shape\":%s,\"data_offsets\":[%zu,%zu]}",
                                arch || i ? "," : "", t[i].name, dtype, shape, off, off + bytes);
        off += bytes;
    }
    snprintf(header + pos, sizeof header - pos, "}");
    uint8_t *data = malloc(off + 1);
    for (size_t i = 0; i < off / esize; i++) {
        float v = (float)i / 64.0f;
        uint16_t h = !strcmp(dtype, "F16") ? vae_f32_to_f16(v) : vae_f32_to_bf16(v);
        if (esize == 4)
            memcpy(data + 4 * i, &v, 4);
        else
            data[2 * i] = (uint8_t)h, data[2 * i + 1] = (uint8_t)(h >> 8);
    }
    uint8_t *f = make_file(header, data, off, len);
    free(data);
    return f;
}

static size_t data_start(const uint8_t *f) {
    size_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | f[i];
    return 8 + n;
}

static void expect_built(const char *what, const char *arch, const spec *t, int n, vae_status want) {
    size_t len;
    uint8_t *f = build(arch, t, n, "F32", &len);
    expect(what, f, len, want);
    free(f);
}

/* The small table with tensor `drop` removed (or -1), and `extra` appended (or NULL). */
static int variant(spec *out, int drop, const spec *extra) {
    int n = 0;
    for (int i = 0; i < N_SMALL; i++)
        if (i != drop) out[n++] = small_table[i];
    if (extra) out[n++] = *extra;
    return n;
}

/* SMALL_ARCH with `from` replaced by `to`. */
static void expect_arch(const char *what, const char *from, const char *to, vae_status want) {
    char arch[1024];
    const char *at = strstr(SMALL_ARCH, from);
    snprintf(arch, sizeof arch, "%.*s%s%s", (int)(at - SMALL_ARCH), SMALL_ARCH, to, at + strlen(from));
    expect_built(what, arch, small_table, N_SMALL, want);
}

static void test_malformed(void) {
    spec t[N_SMALL + 1];
    size_t len;
    uint8_t *f;
    printf("malformed files:\n");

    f = make_file("{}", NULL, 0, &len);
    expect("truncated (5 bytes)", f, 5, VAE_ERR_TRUNCATED);
    expect("empty buffer", f, 0, VAE_ERR_TRUNCATED);
    f[0] = 100; /* claims a 100-byte header in a 10-byte file */
    expect("header length past end", f, len, VAE_ERR_HEADER_SIZE);
    f[0] = 0, f[3] = 0x10; /* 2^28 > 100 MB */
    expect("header over 100 MB", f, len, VAE_ERR_HEADER_SIZE);
    memset(f, 0xff, 8);
    expect("header length 2^64-1", f, len, VAE_ERR_HEADER_SIZE);
    free(f);
    /* A text file says what it is not before any number. */
    const char *text = "hello world, this is a README\n";
    vae_model *m = NULL;
    vae_error e;
    CHECK(vae_model_load(&m, (const uint8_t *)text, strlen(text), &e) == VAE_ERR_HEADER_SIZE && !m, "text file");
    CHECK(!strcmp(e.msg, "not a safetensors file: it starts with \"hello wo\", not an 8-byte header length"),
          "text file message: %s", e.msg);

    static const char *const bad_json[] = {
        "",
        "   ",
        "{",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1 1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],,\"data_offsets\":[0,4]}}",
        "{\"a\"::{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\" {\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}} {}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}x",
        "{\"a\":{\"dtype\":F32,\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[tru],\"data_offsets\":[0,4]}}",
        "{\"\xff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\\u0000\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\x01\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "[]",
        "{\"a\":[]}",
        "{\"a\":{\"dtype\":1,\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1.0],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,99999999999999999999]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}",
        "{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
        "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}",
    };
    for (size_t i = 0; i < sizeof bad_json / sizeof *bad_json; i++) {
        char what[64];
        snprintf(what, sizeof what, "malformed JSON #%zu", i);
        expect_header(what, bad_json[i], 4, VAE_ERR_JSON);
    }
    expect_header("duplicate tensor name",
                  "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                  8, VAE_ERR_JSON);
    expect_header("duplicate __metadata__", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, VAE_ERR_JSON);
    expect_header("duplicate metadata key", "{\"__metadata__\":{\"k\":\"1\",\"k\":\"2\"}}", 0, VAE_ERR_JSON);
    expect_header("unknown dtype F64", "{\"a\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8,
                  VAE_ERR_DTYPE);
    expect_header("unknown dtype I16", "{\"a\":{\"dtype\":\"I16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                  VAE_ERR_DTYPE);
    expect_header("offsets past the data", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
                  VAE_ERR_OFFSETS);
    expect_header("offsets begin > end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}", 4,
                  VAE_ERR_OFFSETS);
    expect_header("size != numel * dtype", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4,
                  VAE_ERR_OFFSETS);
    expect_header("shape product overflows",
                  "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,0]}}", 0,
                  VAE_ERR_OFFSETS);
    expect_header("overlapping tensors",
                  "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                  12, VAE_ERR_LAYOUT);
    expect_header("data not covered (tail)", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8,
                  VAE_ERR_LAYOUT);
    expect_header("data not covered (gap)",
                  "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
                  12, VAE_ERR_LAYOUT);
    expect_header("metadata not an object", "{\"__metadata__\":[]}", 0, VAE_ERR_METADATA);
    expect_header("metadata value not a string", "{\"__metadata__\":{\"k\":1}}", 0, VAE_ERR_METADATA);
    expect_header("metadata key with control char", "{\"__metadata__\":{\"k\\n\":\"v\"}}", 0, VAE_ERR_METADATA);
    expect_header("no architecture metadata", "{\"__metadata__\":{\"k\":\"v\"}}", 0, VAE_ERR_METADATA);
    expect_header("no metadata at all", "{}", 0, VAE_ERR_METADATA);

    expect_arch("arch: missing latent", ",\"latent\":2", "", VAE_ERR_METADATA);
    expect_arch("arch: latent negative", "\"latent\":2", "\"latent\":-2", VAE_ERR_METADATA);
    expect_arch("arch: latent zero (invalid)", "\"latent\":2", "\"latent\":0", VAE_ERR_METADATA);
    expect_arch("arch: format 3", "\"format\":1", "\"format\":3", VAE_ERR_METADATA);
    expect_arch("arch: layer object", "\"encoder\":[4]", "\"encoder\":[{\"linear\":4}]", VAE_OK);
    expect_arch("arch: layer with two kinds", "\"encoder\":[4]", "\"encoder\":[{\"linear\":4,\"conv\":4}]",
                VAE_ERR_METADATA);
    expect_arch("arch: layer without kind", "\"encoder\":[4]", "\"encoder\":[{\"shape\":[4,1,1]}]", VAE_ERR_METADATA);
    expect_arch("arch: linear with a kernel", "\"encoder\":[4]", "\"encoder\":[{\"linear\":4,\"kernel\":3}]",
                VAE_ERR_METADATA);
    expect_arch("arch: conv without kernel", "\"encoder\":[4]", "\"encoder\":[{\"conv\":4}]", VAE_ERR_METADATA);
    expect_arch("arch: conv with out_pad", "\"encoder\":[4]", "\"encoder\":[{\"conv\":4,\"kernel\":1,\"out_pad\":1}]",
                VAE_ERR_METADATA);
    expect_arch("arch: unknown layer option", "\"encoder\":[4]",
                "\"encoder\":[{\"conv\":4,\"kernel\":1,\"dilation\":2}]", VAE_ERR_METADATA);
    expect_arch("arch: reshape that does not hold the width", "\"decoder\":[4]",
                "\"decoder\":[{\"linear\":4,\"shape\":[1,2,3]}]", VAE_ERR_METADATA);
    expect_arch("arch: out width not the image size", "\"latent\":2", "\"latent\":2,\"out\":{\"linear\":5}",
                VAE_ERR_METADATA);
    expect_arch("arch: conv kernel larger than its input", "\"encoder\":[4]", "\"encoder\":[{\"conv\":4,\"kernel\":3}]",
                VAE_ERR_METADATA);
    expect_arch("arch: unknown model kind", "\"latent\":2", "\"latent\":2,\"model\":\"gan\"", VAE_ERR_METADATA);
    expect_arch("arch: input of 2 dims", "[1,2,3]", "[2,3]", VAE_ERR_METADATA);
    expect_arch("arch: 9 encoder layers", "\"encoder\":[4]", "\"encoder\":[4,4,4,4,4,4,4,4,4]", VAE_ERR_METADATA);
    expect_arch("arch: unknown activation", "\"relu\"", "\"gelu\"", VAE_ERR_METADATA);
    expect_arch("arch: unknown key", "\"classes\":0", "\"clases\":0", VAE_ERR_METADATA);
    expect_arch("arch: duplicate key", "\"classes\":0", "\"classes\":0,\"classes\":0", VAE_ERR_METADATA);
    expect_arch("arch: sigma a string", "\"sigma\":1", "\"sigma\":\"1\"", VAE_ERR_METADATA);
    expect_arch("arch: sigma overflows", "\"sigma\":1", "\"sigma\":1e39", VAE_ERR_METADATA);
    expect_arch("arch: malformed JSON", "}", ",}", VAE_ERR_METADATA);
    expect_arch("arch: huge (no allocation)", "\"encoder\":[4]", "\"encoder\":[65536,65536,65536]", VAE_ERR_MISSING);

    /* The model-level checks, on files that are valid safetensors. */
    expect_built("valid hand-built file", SMALL_ARCH, small_table, N_SMALL, VAE_OK);
    variant(t, -1, NULL);
    t[2].cols = 5; /* encoder.mu.weight [2,5], needs [2,4] */
    expect_built("shape mismatch", SMALL_ARCH, t, N_SMALL, VAE_ERR_SHAPE);
    spec flat = {"encoder.mu.bias", 1, 2};
    int n = variant(t, 3, &flat);
    expect_built("shape: 2-D where 1-D", SMALL_ARCH, t, n, VAE_ERR_SHAPE);
    n = variant(t, 9, NULL);
    expect_built("missing tensor", SMALL_ARCH, t, n, VAE_ERR_MISSING);
    spec extra = {"encoder.extra", 3, 0};
    n = variant(t, -1, &extra);
    expect_built("unknown tensor", SMALL_ARCH, t, n, VAE_ERR_UNKNOWN);

    f = build(SMALL_ARCH, small_table, N_SMALL, "F32", &len);
    float nan = NAN;
    memcpy(f + data_start(f) + 20, &nan, 4);
    expect("NaN weight (F32)", f, len, VAE_ERR_NONFINITE);
    free(f);
    f = build(SMALL_ARCH, small_table, N_SMALL, "F16", &len);
    f[data_start(f) + 2] = 0x00, f[data_start(f) + 3] = 0x7c; /* element 1 = +inf */
    expect("infinite weight (F16)", f, len, VAE_ERR_NONFINITE);
    free(f);
}

/* ---------------------------------------------------------------- round trips */

static int params_equal(vae_model *a, vae_model *b) {
    size_t n = vae_model_param_count(a);
    return n == vae_model_param_count(b) && memcmp(vae_model_params(a), vae_model_params(b), n * sizeof(float)) == 0;
}

static void test_round_trips(void) {
    vae_arch a;
    vae_model *m, *r, *r2;
    vae_error e;
    uint8_t *buf, *buf2;
    size_t len, len2;
    vae_arch_default(&a);
    a.image_h = a.image_w = 5;
    a.n_enc = 2, a.enc_hidden[1] = 7, a.enc_hidden[0] = 9;
    a.dec_hidden[0] = 8, a.latent = 3, a.n_classes = 4;
    a.act = VAE_ACT_LEAKY_RELU, a.leaky_slope = 0.2f;
    a.lik = VAE_LIK_GAUSSIAN_LEARNED;
    CHECK(vae_model_init(&m, &a, 42, &e) == VAE_OK, "%s", e.msg);
    vae_model_params(m)[vae_model_param_count(m) - 1] = -0.75f; /* a non-zero log sigma */

    /* F32: bit-identical, and a second save gives the same bytes. */
    const char *kv[] = {"note", "he said \"hi\"\n\\ \xc3\xa9", "epochs", "10"};
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, kv, 2, &buf, &len, &e) == VAE_OK, "%s", e.msg);
    CHECK(data_start(buf) % 8 == 0, "data section at %zu is not 8-aligned", data_start(buf));
    CHECK(vae_model_load(&r, buf, len, &e) == VAE_OK, "F32 reload: %s", e.msg);
    CHECK(params_equal(m, r), "F32 round trip not bit-identical");
    CHECK(!memcmp(vae_model_arch(r), &a, sizeof a), "architecture changed in the round trip");
    CHECK(vae_model_save(r, VAE_DTYPE_F32, 0, kv, 2, &buf2, &len2, &e) == VAE_OK, "%s", e.msg);
    CHECK(len == len2 && !memcmp(buf, buf2, len), "F32 save is not stable");
    {
        vae_st_file f;
        CHECK(vae_st_parse(&f, buf, len, &e) == VAE_OK, "%s", e.msg);
        const char *note = vae_st_meta(&f, "note");
        CHECK(note && !strcmp(note, kv[1]), "metadata escaping round trip: %s", note ? note : "(none)");
        CHECK(f.n_meta == 3 && vae_st_meta(&f, VAE_METADATA_KEY), "metadata entries %d", f.n_meta);
        vae_st_free(&f);
    }
    vae_buffer_free(buf2);
    vae_model_free(r);
    vae_buffer_free(buf);

    /* F16: within half precision; F16 -> load -> F16 is byte-identical. */
    CHECK(vae_model_save(m, VAE_DTYPE_F16, 0, NULL, 0, &buf, &len, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_model_load(&r, buf, len, &e) == VAE_OK, "F16 reload: %s", e.msg);
    {
        const float *p = vae_model_params(m), *q = vae_model_params(r);
        double worst = 0;
        for (size_t i = 0; i < vae_model_param_count(m); i++) {
            double d = fabs((double)p[i] - q[i]) / fmax(fabs(p[i]), 6.1e-5);
            if (d > worst) worst = d;
        }
        CHECK(worst <= 1.0 / 2048, "F16 relative error %g", worst);
    }
    CHECK(vae_model_save(r, VAE_DTYPE_F16, 0, NULL, 0, &buf2, &len2, &e) == VAE_OK, "%s", e.msg);
    CHECK(len == len2 && !memcmp(buf, buf2, len), "F16 file does not re-save identically");
    vae_buffer_free(buf2);
    vae_model_free(r);
    vae_buffer_free(buf);

    /* Decoder only: the file and the copy hold exactly the decoder. */
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 1, NULL, 0, &buf, &len, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_model_load(&r, buf, len, &e) == VAE_OK, "decoder-only reload: %s", e.msg);
    CHECK(vae_model_decoder_copy(m, &r2, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_model_arch(r)->decoder_only == 1, "decoder_only flag not restored");
    CHECK(params_equal(r, r2), "decoder-only file differs from the decoder copy");
    for (int i = 0; i < vae_model_tensor_count(r); i++) {
        vae_tensor t;
        CHECK(vae_model_tensor(r, i, &t, &e) == VAE_OK && !e.msg[0], "tensor %d: %s", i, e.msg);
        CHECK(!strncmp(t.name, "decoder.", 8), "decoder-only file has %s", t.name);
    }
    vae_tensor none;
    CHECK(vae_model_tensor(r, vae_model_tensor_count(r), &none, &e) == VAE_ERR_ARG && e.code == VAE_ERR_ARG &&
              strstr(e.msg, "tensor index"),
          "past the last tensor: %s", e.msg);
    CHECK(strstr((const char *)buf + 8, "\"decoder_only\\\":true") != NULL, "decoder_only not in the metadata");
    vae_model_free(r);
    vae_model_free(r2);
    vae_buffer_free(buf);

    /* Arguments the writer refuses. */
    const char *bad_key[] = {"a\tb", "v"}, *dup_key[] = {VAE_METADATA_KEY, "x"}, *bad_utf8[] = {"k", "\xc3("};
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, bad_key, 1, &buf, &len, &e) == VAE_ERR_ARG, "control char key");
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, dup_key, 1, &buf, &len, &e) == VAE_ERR_ARG, "reserved key");
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, bad_utf8, 1, &buf, &len, &e) == VAE_ERR_ARG, "bad UTF-8 value");
    CHECK(vae_model_save(m, VAE_DTYPE_BF16, 0, NULL, 0, &buf, &len, &e) == VAE_ERR_ARG, "BF16 save");
    vae_model_free(m);
}

static void test_bf16(void) {
    /* BF16 file by hand: element i = i / 64 is exact in bfloat16 for i < 256. */
    size_t len;
    vae_model *m;
    vae_error e;
    uint8_t *f = build(SMALL_ARCH, small_table, N_SMALL, "BF16", &len);
    CHECK(vae_model_load(&m, f, len, &e) == VAE_OK, "BF16 load: %s", e.msg);
    if (m) {
        const float *p = vae_model_params(m);
        int ok = 1;
        for (size_t i = 0; i < vae_model_param_count(m); i++) ok &= p[i] == (float)i / 64.0f;
        CHECK(ok, "BF16 values");
    }
    vae_model_free(m);
    free(f);
}

/* ---------------------------------------------------------------- conversions and JSON */

static float from_bits(uint32_t x) {
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static void test_half(void) {
    static const struct {
        float f;
        uint16_t h;
    } down[] = {
        {0.0f, 0x0000},
        {-0.0f, 0x8000},
        {1.0f, 0x3c00},
        {-2.0f, 0xc000},
        {65504.0f, 0x7bff},
        {65519.99f, 0x7bff},
        {65520.0f, 0x7c00},
        {1e6f, 0x7c00},
        {-1e6f, 0xfc00},
        {INFINITY, 0x7c00},
        {-INFINITY, 0xfc00},
        {0x1p-14f, 0x0400},
        {0x1p-24f, 0x0001},
        {0x1p-25f, 0x0000},
        {0x1.8p-25f, 0x0001},
        {0x1.ffcp-15f, 0x0400},
        {0x3ffp-24f, 0x03ff},
        {0.1f, 0x2e66},
        {1.0f + 0x1p-11f, 0x3c00},
        {1.0f + 0x3p-11f, 0x3c02},
        {0x1p-30f, 0x0000},
        {-0x1p-24f, 0x8001},
        {0x1.004p0f, 0x3c01},
    };
    for (size_t i = 0; i < sizeof down / sizeof *down; i++)
        CHECK(vae_f32_to_f16(down[i].f) == down[i].h, "f16(%a) = %04x, want %04x", down[i].f, vae_f32_to_f16(down[i].f),
              down[i].h);
    uint16_t hn = vae_f32_to_f16(NAN);
    CHECK((hn & 0x7c00) == 0x7c00 && (hn & 0x3ff), "f16(NaN) = %04x", hn);
    CHECK(vae_f16_to_f32(0x0001) == 0x1p-24f && vae_f16_to_f32(0x03ff) == 0x3ffp-24f, "f16 subnormals");
    CHECK(vae_f16_to_f32(0x7bff) == 65504.0f && vae_f16_to_f32(0xfc00) == -INFINITY, "f16 max / -inf");
    CHECK(isnan(vae_f16_to_f32(0x7e00)) && signbit(vae_f16_to_f32(0x8000)), "f16 NaN / -0");
    int all = 1;
    for (uint32_t h = 0; h < 0x10000; h++)
        if ((h & 0x7c00) != 0x7c00 || !(h & 0x3ff)) all &= vae_f32_to_f16(vae_f16_to_f32((uint16_t)h)) == h;
    CHECK(all, "every non-NaN half survives f16 -> f32 -> f16");

    CHECK(vae_f32_to_bf16(1.0f) == 0x3f80 && vae_bf16_to_f32(0x3f80) == 1.0f, "bf16 1");
    CHECK(vae_f32_to_bf16(1.0f + 0x1p-8f) == 0x3f80, "bf16 tie to even (down)");
    CHECK(vae_f32_to_bf16(1.0f + 0x3p-8f) == 0x3f82, "bf16 tie to even (up)");
    CHECK(vae_f32_to_bf16(from_bits(0x7f7fffff)) == 0x7f80, "bf16 overflow to inf");
    CHECK(vae_f32_to_bf16(-INFINITY) == 0xff80, "bf16 -inf");
    CHECK(isnan(vae_bf16_to_f32(vae_f32_to_bf16(from_bits(0x7f800001)))), "bf16 NaN with low payload");
}

static void test_arch_json(void) {
    vae_arch a, b;
    vae_error e;
    char buf[1024];
    vae_arch_default(&a);
    CHECK(vae_arch_to_json(&a, buf, sizeof buf, &e) == VAE_OK, "%s", e.msg);
    CHECK(!strcmp(buf, "{\"format\":2,\"model\":\"vae\",\"input\":[1,28,28],\"encoder\":[{\"linear\":400}],"
                       "\"decoder\":[{\"linear\":400}],\"out\":{\"linear\":784},\"latent\":20,\"classes\":0,"
                       "\"activation\":\"relu\",\"likelihood\":\"bernoulli\",\"sigma\":1,\"leaky_slope\":0.01,"
                       "\"decoder_only\":false}"),
          "default arch JSON is not the documented example: %s", buf);
    CHECK(vae_arch_to_json(&a, buf, 40, &e) == VAE_ERR_ARG, "small buffer");
    a.image_c = 3, a.n_enc = 0, a.n_dec = 3, a.dec_hidden[1] = 17, a.dec_hidden[2] = 5;
    a.n_classes = 10, a.act = VAE_ACT_TANH, a.lik = VAE_LIK_GAUSSIAN, a.sigma = 0.1f, a.leaky_slope = 1.0f / 3;
    a.decoder_only = 1;
    CHECK(vae_arch_to_json(&a, buf, sizeof buf, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_arch_from_json(buf, strlen(buf), &b, &e) == VAE_OK, "%s", e.msg);
    CHECK(!memcmp(&a, &b, sizeof a), "arch JSON round trip: %s", buf);
    /* a convolutional autoencoder: 1x8x8 -> conv 4x4x4 -> 16 -> code 3 -> 16 as 4x2x2 -> 4x4x4 -> 1x8x8 */
    vae_arch_default(&a);
    a.image_h = a.image_w = 8, a.kind = VAE_KIND_AE, a.code_act = VAE_ACT_SIGMOID, a.latent = 3;
    a.n_enc = 2, a.enc_hidden[0] = 4, a.enc_hidden[1] = 16;
    a.enc_layer[0] = (vae_layer){VAE_LAYER_CONV, 4, 2, 1, 0, {0, 0, 0}};
    a.n_dec = 2, a.dec_hidden[0] = 16, a.dec_hidden[1] = 4;
    a.dec_layer[0] = (vae_layer){VAE_LAYER_LINEAR, 0, 0, 0, 0, {4, 2, 2}};
    a.dec_layer[1] = (vae_layer){VAE_LAYER_CONV_TRANSPOSE, 4, 2, 1, 0, {0, 0, 0}};
    a.out_layer = (vae_layer){VAE_LAYER_CONV_TRANSPOSE, 3, 2, 1, 1, {0, 0, 0}};
    CHECK(vae_arch_to_json(&a, buf, sizeof buf, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_arch_from_json(buf, strlen(buf), &b, &e) == VAE_OK, "%s", e.msg);
    CHECK(!memcmp(&a, &b, sizeof a), "conv arch JSON round trip: %s", buf);
    a.n_classes = 2;
    CHECK(vae_arch_validate(&a, &e) == VAE_ERR_ARG && strstr(e.msg, "must be linear"), "conditional conv: %s", e.msg);
    a.n_classes = 0, a.out_layer.out_pad = 0;
    CHECK(vae_arch_validate(&a, &e) == VAE_ERR_ARG && strstr(e.msg, "7x7"), "output size checked: %s", e.msg);
    const char *minimal = "{\"format\":1,\"input\":[1,4,4],\"encoder\":[],\"decoder\":[8],\"latent\":2}";
    CHECK(vae_arch_from_json(minimal, strlen(minimal), &b, &e) == VAE_OK, "%s", e.msg);
    CHECK(b.n_enc == 0 && b.n_dec == 1 && b.sigma == 1.0f && b.leaky_slope == 0.01f && b.act == VAE_ACT_RELU &&
              b.lik == VAE_LIK_BERNOULLI && b.n_classes == 0 && !b.decoder_only,
          "optional keys default");
}

/* Our JSON number parser (no strtof in the wasm build) against the C library's. */
static void test_parse_float(void) {
    static const char *const cases[] = {"0.01",
                                        "1",
                                        "0.1",
                                        "-0",
                                        "1e-05",
                                        "3.4028235e38",
                                        "1e-45",
                                        "1.17549435e-38",
                                        "123456789012345678901234",
                                        "2.5",
                                        "-7.25e3",
                                        "1E2",
                                        "0.000000000000000000000000000000000000000012",
                                        "0.30000001192092896"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        float f = 0;
        CHECK(vae_json_parse_float(cases[i], (int)strlen(cases[i]), &f) == 0 && f == strtof(cases[i], NULL),
              "%s parsed as %.9g, strtof says %.9g", cases[i], f, strtof(cases[i], NULL));
    }
    float f;
    CHECK(vae_json_parse_float("3.5e38", 6, &f) == -1, "float overflow accepted");
    CHECK(vae_json_parse_float("1.", 2, &f) == -1 && vae_json_parse_float("01", 2, &f) == -1, "bad number accepted");
    uint32_t x = 1;
    int fails = 0;
    for (int i = 0; i < 200000; i++) { /* %.9g of any finite float reads back exactly */
        x = x * 1664525u + 1013904223u;
        float v, back;
        memcpy(&v, &x, 4);
        if (!isfinite(v)) continue;
        char t[32];
        snprintf(t, sizeof t, "%.9g", v);
        fails += vae_json_parse_float(t, (int)strlen(t), &back) != 0 || back != v;
    }
    CHECK(fails == 0, "%d of 200000 floats did not round-trip through %%.9g", fails);
}

/* Rewrites the Q8 file buf with tensor `name` changed by fn (its scale or its
 * integers), so the loader's checks can be tried one by one. */
typedef void (*q8_edit)(vae_st_entry *ent, int *n, int i, float *scratch);

static vae_status q8_variant(vae_model *m, q8_edit fn, const char *target, vae_error *e) {
    uint8_t *buf, *out;
    size_t len, out_len;
    vae_st_file f;
    vae_model *r = NULL;
    CHECK(vae_model_save(m, VAE_DTYPE_Q8, 0, NULL, 0, &buf, &len, e) == VAE_OK, "%s", e->msg);
    CHECK(vae_st_parse(&f, buf, len, e) == VAE_OK, "%s", e->msg);
    vae_st_entry ent[2 * VAE_MAX_TENSORS];
    static float values[1 << 16], scratch[1 << 12];
    static int8_t ints[1 << 16];
    size_t vpos = 0;
    int n = 0;
    for (int i = 0; i < f.n_tensors; i++) {
        const vae_st_tensor *t = &f.tensors[i];
        ent[n] = (vae_st_entry){t->name, t->ndim, {0}, values + vpos, NULL};
        for (int d = 0; d < t->ndim; d++) ent[n].shape[d] = t->shape[d];
        vae_st_read_f32(&f, t, values + vpos);
        if (t->dtype == VAE_DTYPE_I8) {
            for (size_t k = 0; k < t->numel; k++) ints[vpos + k] = (int8_t)values[vpos + k];
            ent[n].q8 = ints + vpos;
        }
        vpos += t->numel;
        n++;
        if (!strcmp(t->name, target)) fn(ent, &n, n - 1, scratch);
    }
    const char *kv[] = {VAE_METADATA_KEY, vae_st_meta(&f, VAE_METADATA_KEY)};
    CHECK(vae_st_write(ent, n, VAE_DTYPE_F32, kv, 1, &out, &out_len, e) == VAE_OK, "%s", e->msg);
    vae_status s = vae_model_load(&r, out, out_len, e);
    vae_model_free(r);
    vae_buffer_free(out);
    vae_st_free(&f);
    vae_buffer_free(buf);
    return s;
}

static void drop_it(vae_st_entry *ent, int *n, int i, float *scratch) { (void)ent, (void)i, (void)scratch, --*n; }
static void shorter(vae_st_entry *ent, int *n, int i, float *scratch) { (void)n, (void)scratch, ent[i].shape[0]--; }
static void nan_scale(vae_st_entry *ent, int *n, int i, float *scratch) {
    (void)n;
    memcpy(scratch, ent[i].data, (size_t)ent[i].shape[0] * sizeof *scratch);
    scratch[1] = NAN;
    ent[i].data = scratch;
}
static void huge_scale(vae_st_entry *ent, int *n, int i, float *scratch) {
    (void)n;
    for (uint64_t r = 0; r < ent[i].shape[0]; r++) scratch[r] = 3e38f; /* finite, but 127 times it is not */
    ent[i].data = scratch;
}
static void int_scale(vae_st_entry *ent, int *n, int i, float *scratch) {
    (void)n, (void)scratch;
    static int8_t ones[1 << 12];
    memset(ones, 1, sizeof ones);
    ent[i].q8 = ones;
}
static void stray_scale(vae_st_entry *ent, int *n, int i, float *scratch) {
    (void)scratch;
    ent[*n] = ent[i];
    ent[(*n)++].name = "encoder.layers.0.bias_scale"; /* the bias is F32: no scale belongs to it */
}

/* Q8: every weight matrix as int8 rows with an F32 scale each (within half a
 * step of the original), everything else F32 (exact); every broken scale is
 * refused with a message that names it. */
static void test_q8(void) {
    vae_arch a;
    vae_model *m, *r;
    vae_error e;
    uint8_t *buf, *f32;
    size_t len, len32;
    vae_arch_default(&a);
    a.image_h = a.image_w = 6, a.enc_hidden[0] = a.dec_hidden[0] = 24, a.latent = 3;
    CHECK(vae_model_init(&m, &a, 7, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_model_save(m, VAE_DTYPE_Q8, 0, NULL, 0, &buf, &len, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, NULL, 0, &f32, &len32, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_model_load(&r, buf, len, &e) == VAE_OK, "Q8 reload: %s", e.msg);
    int worse = 0, inexact = 0;
    for (int i = 0; i < vae_model_tensor_count(m); i++) {
        vae_tensor t, u;
        vae_model_tensor(m, i, &t, &e);
        vae_model_tensor(r, i, &u, &e);
        size_t rows = (size_t)t.shape[0], cols = t.numel / rows;
        for (size_t row = 0; row < rows; row++) {
            float mx = 0;
            for (size_t c = 0; c < cols; c++) mx = fmaxf(mx, fabsf(t.data[row * cols + c]));
            for (size_t c = 0; c < cols; c++) {
                float d = fabsf(t.data[row * cols + c] - u.data[row * cols + c]);
                if (t.ndim >= 2 && d > mx / 254.0f * 1.0001f) worse++;
                if (t.ndim < 2 && d != 0) inexact++;
            }
        }
    }
    CHECK(worse == 0, "%d quantised weights more than half a step off", worse);
    CHECK(inexact == 0, "%d biases changed", inexact);
    CHECK(len * 2 < len32, "Q8 file %zu bytes against F32 %zu", len, len32); /* headers weigh in a model this small */
    vae_model_free(r);
    vae_buffer_free(buf);
    vae_buffer_free(f32);

    struct {
        const char *what, *target, *msg;
        q8_edit fn;
        vae_status want;
    } bad[] = {
        {"no scale", "encoder.layers.0.weight_scale",
         "tensor \"encoder.layers.0.weight\" is I8 but the file has no \"encoder.layers.0.weight_scale\"", drop_it,
         VAE_ERR_MISSING},
        {"a short scale", "encoder.mu.weight_scale",
         "tensor \"encoder.mu.weight_scale\" must hold one value per row of \"encoder.mu.weight\" (3)", shorter,
         VAE_ERR_SHAPE},
        {"a NaN scale", "decoder.out.weight_scale", "tensor \"decoder.out.weight_scale\": element 1 is NaN", nan_scale,
         VAE_ERR_NONFINITE},
        {"a huge scale", "encoder.mu.weight_scale",
         "tensor \"encoder.mu.weight\": element 0 is infinite (its scale is too large)", huge_scale, VAE_ERR_NONFINITE},
        {"an I8 scale", "decoder.layers.0.weight_scale",
         "tensor \"decoder.layers.0.weight_scale\" must be a float tensor, not I8", int_scale, VAE_ERR_DTYPE},
        {"a scale of an F32 tensor", "encoder.layers.0.weight_scale",
         "tensor \"encoder.layers.0.bias_scale\" is not part of this architecture", stray_scale, VAE_ERR_UNKNOWN},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vae_status s = q8_variant(m, bad[i].fn, bad[i].target, &e);
        CHECK(s == bad[i].want && strstr(e.msg, bad[i].msg), "Q8 %s: status %d, \"%s\"", bad[i].what, s, e.msg);
    }
    vae_model_free(m);
}

int main(void) {
    test_half();
    test_parse_float();
    test_arch_json();
    test_bf16();
    test_round_trips();
    test_q8();
    test_malformed();
    return check_result("test_safetensors");
}
