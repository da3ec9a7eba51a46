/* `vae info`: what a model file holds. The library validates the file; the
 * stored dtypes and the metadata strings, which the model does not keep, are
 * read back from the (then known-good) safetensors JSON header. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSMN_STATIC
#include <jsmn.h>

#include "cli.h"
#include "models/sketch.h"
#include "models/words.h"

typedef struct {
    const char *json;
    jsmntok_t *tok;
    int n;
} header;

/* Index of the token after token i and everything nested in it. */
static int skip(const header *h, int i) {
    int j = i + 1;
    for (int c = 0; c < h->tok[i].size; c++) j = skip(h, j);
    return j;
}

static int tok_eq(const header *h, int i, const char *s) {
    const jsmntok_t *t = &h->tok[i];
    return t->type == JSMN_STRING && (size_t)(t->end - t->start) == strlen(s) &&
           !strncmp(h->json + t->start, s, strlen(s));
}

/* Prints a JSON string token with the common escapes undone. */
static void print_str(const header *h, int i) {
    const char *s = h->json + h->tok[i].start, *end = h->json + h->tok[i].end;
    for (; s < end; s++) {
        if (*s == '\\' && s + 1 < end && strchr("\"\\/", s[1]))
            putchar(*++s);
        else
            putchar(*s);
    }
}

/* The string token, then spaces up to `width` columns plus a gap of two. */
static void print_padded(const header *h, int i, int width) {
    print_str(h, i);
    int len = h->tok[i].end - h->tok[i].start;
    printf("%*s", (len < width ? width - len : 0) + 2, "");
}

/* Value token of `key` in the object at token obj, or -1. */
static int lookup(const header *h, int obj, const char *key) {
    for (int c = 0, k = obj + 1; c < h->tok[obj].size; c++, k = skip(h, k))
        if (tok_eq(h, k, key)) return k + 1;
    return -1;
}

static void parse_header(header *h, const uint8_t *buf, size_t len, const char *path) {
    uint64_t hlen = 0;
    for (int b = 7; b >= 0 && len >= 8; b--) hlen = hlen << 8 | buf[b];
    if (len < 8 || hlen > len - 8) cli_die(EXIT_RUNTIME, "%s: bad safetensors header", path);
    h->json = (const char *)buf + 8;
    jsmn_parser p;
    jsmn_init(&p);
    int n = jsmn_parse(&p, h->json, (size_t)hlen, NULL, 0);
    if (n < 1) cli_die(EXIT_RUNTIME, "%s: bad safetensors header", path);
    h->tok = cli_alloc((size_t)n, sizeof *h->tok);
    jsmn_init(&p);
    h->n = jsmn_parse(&p, h->json, (size_t)hlen, h->tok, (unsigned)n);
    if (h->n < 1 || h->tok[0].type != JSMN_OBJECT) cli_die(EXIT_RUNTIME, "%s: bad safetensors header", path);
}

/* The tensor table (stored dtypes from the header) and the metadata. */
static void print_tensors(const header *h, const vae_tensor *t, int n) {
    int width = 4;
    for (int i = 0; i < n; i++)
        if ((int)strlen(t[i].name) > width) width = (int)strlen(t[i].name);
    printf("tensors     %d\n", n);
    printf("  %-*s  dtype  shape\n", width, "name");
    for (int i = 0; i < n; i++) {
        int v = lookup(h, 0, t[i].name), dt = v < 0 ? -1 : lookup(h, v, "dtype");
        printf("  %-*s  ", width, t[i].name);
        if (dt < 0)
            printf("%-5s  ", "?");
        else
            print_padded(h, dt, 5);
        for (int d = 0; d < t[i].ndim; d++) printf("%s%d", d ? ", " : "[", t[i].shape[d]);
        printf("]\n");
    }
    int meta = lookup(h, 0, "__metadata__");
    if (meta >= 0 && h->tok[meta].type == JSMN_OBJECT && h->tok[meta].size > 0) {
        printf("metadata\n");
        for (int c = 0, k = meta + 1; c < h->tok[meta].size; c++, k = skip(h, k)) {
            printf("  ");
            print_padded(h, k, width);
            print_str(h, k + 1);
            printf("\n");
        }
    }
}

int cmd_info(int argc, char **argv) {
    const char *model = NULL;
    cli_opt opts[] = {CLI_STR("model", model, "FILE", "model file (safetensors)")};
    cli_cmd cmd = {"info", "--model FILE",
                   "Prints a model file's architecture, parameter count, tensors (stored dtype and\n"
                   "shape) and metadata; image, word and sketch models alike.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    size_t len;
    uint8_t *buf = cli_read_file(model, &len);
    char text[512], num[32];
    vae_error err;
    int n;
    vae_tensor *t;
    /* the three kinds differ in what they load and describe; the rest is shared */
    vae_words *w = NULL;
    vae_sketch *k = NULL;
    vae_model *m = NULL;
    size_t params;
    if (vae_words_file(buf, len)) {
        if (vae_words_load(&w, buf, len, 1, &err) != VAE_OK) cli_die_lib(model, &err);
        printf("file        %s, %s\n", model, cli_fmt_bytes(num, len));
        printf("model       %s\n", cli_describe_words(text, sizeof text, w));
        params = vae_words_param_count(w);
        t = cli_alloc((size_t)(n = vae_words_tensor_count(w)), sizeof *t);
        for (int i = 0; i < n; i++) vae_words_tensor(w, i, &t[i], NULL);
    } else if (vae_sketch_file(buf, len)) {
        if (vae_sketch_load(&k, buf, len, 1, &err) != VAE_OK) cli_die_lib(model, &err);
        printf("file        %s, %s\n", model, cli_fmt_bytes(num, len));
        printf("model       %s\n", cli_describe_sketch(text, sizeof text, k));
        params = vae_sketch_param_count(k);
        t = cli_alloc((size_t)(n = vae_sketch_tensor_count(k)), sizeof *t);
        for (int i = 0; i < n; i++) vae_sketch_tensor(k, i, &t[i], NULL);
    } else {
        if (vae_model_load(&m, buf, len, &err) != VAE_OK) cli_die_lib(model, &err);
        const vae_arch *a = vae_model_arch(m);
        printf("file        %s, %s\n", model, cli_fmt_bytes(num, len));
        printf("model       %s\n", cli_describe_arch(text, sizeof text, a));
        printf("input       %dx%dx%d (%d values)\n", a->image_c, a->image_h, a->image_w, vae_arch_input_dim(a));
        params = vae_model_param_count(m);
        t = cli_alloc((size_t)(n = vae_model_tensor_count(m)), sizeof *t);
        for (int i = 0; i < n; i++) vae_model_tensor(m, i, &t[i], NULL);
    }
    printf("parameters  %s\n", cli_fmt_count(num, params));
    header h;
    parse_header(&h, buf, len, model);
    print_tensors(&h, t, n);
    free(h.tok);
    vae_words_free(w);
    vae_sketch_free(k);
    vae_model_free(m);
    free(t);
    free(buf);
    return 0;
}
