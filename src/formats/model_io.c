/* Model weights files: safetensors with the architecture as JSON metadata. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/safetensors.h"

/* ---------------------------------------------------------------- architecture JSON */

/* The keys of the VAE_METADATA_KEY object; the first N_REQUIRED must be present. */
enum {
    K_FORMAT,
    K_INPUT,
    K_ENCODER,
    K_DECODER,
    K_LATENT,
    K_MODEL,
    K_OUT,
    K_CLASSES,
    K_ACT,
    K_CODE_ACT,
    K_LIK,
    K_SIGMA,
    K_SLOPE,
    K_DEC_ONLY,
    K_CLASSIFIER,
    N_KEYS
};
#define N_REQUIRED 5
#define LAYER_WANT                                                                                                     \
    "a list of at most 8 layers (widths, or objects like {\"conv\":32,\"kernel\":4,\"stride\":2,\"pad\":1})"
static const vae_st_key arch_keys[N_KEYS] = {
    {"format", "1 or 2"},
    {"input", "[channels, height, width]"},
    {"encoder", LAYER_WANT},
    {"decoder", LAYER_WANT},
    {"latent", "a non-negative integer"},
    {"model", "\"vae\", \"ae\" or \"m2\""},
    {"out", "a layer object ({\"linear\":D} or {\"conv_transpose\":channels,...})"},
    {"classes", "a non-negative integer"},
    {"activation", "\"relu\", \"leaky_relu\", \"tanh\", \"sigmoid\" or \"identity\""},
    {"code_activation", "\"relu\", \"leaky_relu\", \"tanh\", \"sigmoid\" or \"identity\""},
    {"likelihood", "\"bernoulli\", \"gaussian\", \"gaussian_learned\" or \"student_t\""},
    {"sigma", "a number"},
    {"leaky_slope", "a number"},
    {"decoder_only", "true or false"},
    {"classifier", "a list of linear layers"},
};

/* Array v of at most maxn non-negative ints into dst; 0 on success. */
static int get_ints(const vae_json *j, int v, int *dst, int maxn, int *n) {
    uint64_t x;
    int count = vae_json_count(j, v);
    if (vae_json_kind_of(j, v) != VAE_JSON_ARRAY || count > maxn) return -1;
    for (int i = 0, e = vae_json_first(j, v); i < count; i++, e = vae_json_next(j, e)) {
        if (vae_json_uint(j, e, 0x7fffffff, &x)) return -1;
        dst[i] = (int)x;
    }
    *n = count;
    return 0;
}

static int get_int(const vae_json *j, int v, int *dst) {
    uint64_t x;
    if (vae_json_uint(j, v, 0x7fffffff, &x)) return -1;
    *dst = (int)x;
    return 0;
}

/* String v naming one of n enum values (name(i)); 0 on success. */
static int get_enum(const vae_json *j, int v, const char *(*name)(int), int n, int *dst) {
    for (int i = 0; i < n; i++)
        if (vae_json_string_eq(j, v, name(i))) {
            *dst = i;
            return 0;
        }
    return -1;
}

static const char *act_name(int i) { return vae_activation_name((vae_activation)i); }
static const char *lik_name(int i) { return vae_likelihood_name((vae_likelihood)i); }
static const char *kind_name(int i) { return vae_model_kind_name((vae_model_kind)i); }
static const char *layer_name(int i) { return vae_layer_kind_name((vae_layer_kind)i); }

/* One layer: a width (linear), or an object with exactly one of
 * "linear"/"conv"/"conv_transpose" (its width or channels) and the options
 * its kind has: "shape" (linear), "kernel", "stride", "pad", "out_pad"
 * (transposed). 0 on success. */
static int get_layer(const vae_json *j, int v, int *width, vae_layer *l) {
    memset(l, 0, sizeof *l);
    if (vae_json_kind_of(j, v) != VAE_JSON_OBJECT) return get_int(j, v, width);
    static const char *const opts[] = {"shape", "kernel", "stride", "pad", "out_pad"};
    int have_kind = 0, n = vae_json_count(j, v), seen = 0, k = vae_json_first(j, v);
    for (int i = 0; i < n; i++, k = vae_json_next(j, k)) {
        int e, o = 0, dims;
        if (!get_enum(j, k, layer_name, VAE_LAYER_CONV_TRANSPOSE + 1, &e)) {
            if (have_kind++ || get_int(j, k + 1, width)) return -1;
            l->kind = (vae_layer_kind)e;
            continue;
        }
        while (o < 5 && !vae_json_string_eq(j, k, opts[o])) o++;
        if (o == 5 || (seen & (1 << o))) return -1;
        seen |= 1 << o;
        if (o == 0 ? get_ints(j, k + 1, l->shape, 3, &dims) || dims != 3
                   : get_int(j, k + 1,
                             o == 1   ? &l->kernel
                             : o == 2 ? &l->stride
                             : o == 3 ? &l->pad
                                      : &l->out_pad))
            return -1;
    }
    /* linear takes only "shape"; conv needs "kernel" and has no "shape" or "out_pad" */
    if (!have_kind) return -1;
    if (l->kind == VAE_LAYER_LINEAR) return seen & ~1 ? -1 : 0;
    if (!(seen & 2) || (seen & 1) || (l->kind == VAE_LAYER_CONV && (seen & 16))) return -1;
    if (!(seen & 4)) l->stride = 1;
    return 0;
}

static int get_layers(const vae_json *j, int v, int *widths, vae_layer *layers, int *n) {
    int count = vae_json_count(j, v);
    if (vae_json_kind_of(j, v) != VAE_JSON_ARRAY || count > VAE_MAX_LAYERS) return -1;
    for (int i = 0, e = vae_json_first(j, v); i < count; i++, e = vae_json_next(j, e))
        if (get_layer(j, e, &widths[i], &layers[i])) return -1;
    *n = count;
    return 0;
}

/* What arch_value fills: the architecture and the "out" layer's stated
 * width (checked once the input shape is known). */
typedef struct {
    vae_arch *a;
    int out_width;
} arch_parse;

/* Parses one key's value into p; 0 on success. */
static int arch_value(const vae_json *j, int key, int v, void *p) {
    vae_arch *a = ((arch_parse *)p)->a;
    int *out_width = &((arch_parse *)p)->out_width;
    int n, e, in[3];
    switch (key) {
    case K_FORMAT: return get_int(j, v, &n) || n < 1 || n > 2;
    case K_INPUT:
        if (get_ints(j, v, in, 3, &n) || n != 3) return -1;
        a->image_c = in[0], a->image_h = in[1], a->image_w = in[2];
        return 0;
    case K_ENCODER: return get_layers(j, v, a->enc_hidden, a->enc_layer, &a->n_enc);
    case K_DECODER: return get_layers(j, v, a->dec_hidden, a->dec_layer, &a->n_dec);
    case K_CLASSIFIER: {
        vae_layer l[VAE_MAX_LAYERS];
        if (get_layers(j, v, a->cls_hidden, l, &a->n_cls)) return -1;
        for (int i = 0; i < a->n_cls; i++)
            if (l[i].kind != VAE_LAYER_LINEAR || l[i].shape[0]) return -1;
        return 0;
    }
    case K_LATENT: return get_int(j, v, &a->latent);
    case K_OUT:
        return vae_json_kind_of(j, v) != VAE_JSON_OBJECT || get_layer(j, v, out_width, &a->out_layer) ||
               a->out_layer.shape[0];
    case K_CLASSES: return get_int(j, v, &a->n_classes);
    case K_MODEL:
    case K_ACT:
    case K_CODE_ACT:
    case K_LIK:
        if (get_enum(j, v,
                     key == K_MODEL ? kind_name
                     : key == K_LIK ? lik_name
                                    : act_name,
                     key == K_MODEL ? VAE_KIND_M2 + 1
                     : key == K_LIK ? VAE_LIK_STUDENT_T + 1
                                    : VAE_ACT_IDENTITY + 1,
                     &e))
            return -1;
        if (key == K_MODEL)
            a->kind = (vae_model_kind)e;
        else if (key == K_LIK)
            a->lik = (vae_likelihood)e;
        else if (key == K_ACT)
            a->act = (vae_activation)e;
        else
            a->code_act = (vae_activation)e;
        return 0;
    case K_SIGMA: return vae_json_float(j, v, &a->sigma);
    case K_SLOPE: return vae_json_float(j, v, &a->leaky_slope);
    case K_DEC_ONLY: return vae_json_bool(j, v, &a->decoder_only);
    }
    return -1;
}

/* json: {"format":1|2,"input":[c,h,w],"encoder":[layers],"decoder":[layers],
 * "latent":L, optional "model","out","classes","activation","code_activation",
 * "likelihood","sigma","leaky_slope","decoder_only","classifier"} -> a (optional keys
 * default as in vae_arch_default). Only the JSON is checked here;
 * vae_arch_validate judges the values. */
vae_status vae_arch_from_json(const char *json, size_t len, vae_arch *a, vae_error *err) {
    if (!json || !a) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_arch_default(a);
    arch_parse p = {a, -1};
    vae_status s = vae_st_arch_keys(json, len, arch_keys, N_KEYS, N_REQUIRED, arch_value, &p, "architecture", err);
    int want = a->out_layer.kind == VAE_LAYER_LINEAR ? vae_arch_input_dim(a) : a->image_c;
    if (!s && p.out_width >= 0 && p.out_width != want)
        s = vae_fail(err, VAE_ERR_METADATA, "architecture metadata: the \"out\" layer has width %d, the images need %d",
                     p.out_width, want);
    return s ? s : vae_ok(err);
}

static void put_ints(char *buf, size_t cap, size_t *pos, const int *v, int n) {
    for (int i = 0; i < n; i++) vae_append(buf, cap, pos, "%s%d", i ? "," : "[", v[i]);
    vae_append(buf, cap, pos, n ? "]" : "[]");
}

static void put_layer(char *buf, size_t cap, size_t *pos, int width, const vae_layer *l) {
    vae_append(buf, cap, pos, "{\"%s\":%d", vae_layer_kind_name(l->kind), width);
    if (l->kind == VAE_LAYER_LINEAR && l->shape[0]) {
        vae_append(buf, cap, pos, ",\"shape\":");
        put_ints(buf, cap, pos, l->shape, 3);
    } else if (l->kind != VAE_LAYER_LINEAR) {
        vae_append(buf, cap, pos, ",\"kernel\":%d,\"stride\":%d,\"pad\":%d", l->kernel, l->stride, l->pad);
        if (l->kind == VAE_LAYER_CONV_TRANSPOSE) vae_append(buf, cap, pos, ",\"out_pad\":%d", l->out_pad);
    }
    vae_append(buf, cap, pos, "}");
}

static void put_layers(char *buf, size_t cap, size_t *pos, const int *widths, const vae_layer *layers, int n) {
    vae_append(buf, cap, pos, "[");
    for (int i = 0; i < n; i++) {
        if (i) vae_append(buf, cap, pos, ",");
        put_layer(buf, cap, pos, widths[i], &layers[i]);
    }
    vae_append(buf, cap, pos, "]");
}

/* a -> the documented JSON (format 2, every layer an object), keys in the
 * documented order. */
vae_status vae_arch_to_json(const vae_arch *a, char *buf, size_t cap, vae_error *err) {
    size_t pos = 0;
    int input[3];
    if (!buf || !cap) return vae_fail(err, VAE_ERR_ARG, "NULL or empty output buffer");
    buf[0] = '\0';
    vae_status s = vae_arch_validate(a, err);
    if (s) return s;
    input[0] = a->image_c, input[1] = a->image_h, input[2] = a->image_w;
    vae_append(buf, cap, &pos, "{\"format\":2,\"model\":\"%s\",\"input\":", vae_model_kind_name(a->kind));
    put_ints(buf, cap, &pos, input, 3);
    vae_append(buf, cap, &pos, ",\"encoder\":");
    put_layers(buf, cap, &pos, a->enc_hidden, a->enc_layer, a->n_enc);
    vae_append(buf, cap, &pos, ",\"decoder\":");
    put_layers(buf, cap, &pos, a->dec_hidden, a->dec_layer, a->n_dec);
    vae_append(buf, cap, &pos, ",\"out\":");
    put_layer(buf, cap, &pos, a->out_layer.kind == VAE_LAYER_LINEAR ? vae_arch_input_dim(a) : a->image_c,
              &a->out_layer);
    vae_append(buf, cap, &pos, ",\"latent\":%d,\"classes\":%d,\"activation\":\"%s\",", a->latent, a->n_classes,
               vae_activation_name(a->act));
    if (a->kind == VAE_KIND_AE)
        vae_append(buf, cap, &pos, "\"code_activation\":\"%s\",", vae_activation_name(a->code_act));
    vae_append(buf, cap, &pos, "\"likelihood\":\"%s\",\"sigma\":", vae_likelihood_name(a->lik));
    vae_json_put_float(buf, cap, &pos, a->sigma);
    vae_append(buf, cap, &pos, ",\"leaky_slope\":");
    vae_json_put_float(buf, cap, &pos, a->leaky_slope);
    vae_append(buf, cap, &pos, ",\"decoder_only\":%s", a->decoder_only ? "true" : "false");
    if (a->kind == VAE_KIND_M2) {
        static const vae_layer linear[VAE_MAX_LAYERS];
        vae_append(buf, cap, &pos, ",\"classifier\":");
        put_layers(buf, cap, &pos, a->cls_hidden, linear, a->n_cls);
    }
    vae_append(buf, cap, &pos, "}");
    return vae_st_arch_json_end(buf, cap, pos, err);
}

/* ---------------------------------------------------------------- load */

/* The file's tensor NAME_scale of I8 tensor NAME, or NULL. */
static const vae_st_tensor *scale_of(const vae_st_file *f, const char *name) {
    size_t len = strlen(name);
    for (int i = 0; i < f->n_tensors; i++) {
        const char *s = f->tensors[i].name;
        if (!strncmp(s, name, len) && !strcmp(s + len, "_scale")) return &f->tensors[i];
    }
    return NULL;
}

/* Whether file tensor t is the scale of an I8 tensor (loaded with it). */
static int is_scale(const vae_st_file *f, const vae_st_tensor *t) {
    size_t len = strlen(t->name);
    if (len <= 6 || strcmp(t->name + len - 6, "_scale")) return 0;
    for (int i = 0; i < f->n_tensors; i++)
        if (f->tensors[i].dtype == VAE_DTYPE_I8 && strlen(f->tensors[i].name) == len - 6 &&
            !strncmp(f->tensors[i].name, t->name, len - 6))
            return 1;
    return 0;
}

/* dst [rows, numel/rows] holds an I8 tensor's integers: times its per-row scale. */
static vae_status dequantize(const vae_st_file *f, const vae_st_tensor *t, const char *nm, int rows, float *dst,
                             vae_error *err) {
    const vae_st_tensor *st = scale_of(f, t->name);
    if (!st) return vae_fail(err, VAE_ERR_MISSING, "tensor \"%s\" is I8 but the file has no \"%s_scale\"", nm, nm);
    if (st->dtype == VAE_DTYPE_I8)
        return vae_fail(err, VAE_ERR_DTYPE, "tensor \"%s_scale\" must be a float tensor, not I8", nm);
    if (st->ndim != 1 || st->numel != (size_t)rows)
        return vae_fail(err, VAE_ERR_SHAPE, "tensor \"%s_scale\" must hold one value per row of \"%s\" (%d)", nm, nm,
                        rows);
    float *scale = malloc((size_t)rows * sizeof *scale);
    if (!scale) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for the scales of \"%s\"", nm);
    vae_st_read_f32(f, st, scale);
    vae_status s = VAE_OK;
    for (int r = 0; r < rows && !s; r++)
        if (scale[r] - scale[r] != 0)
            s = vae_fail(err, VAE_ERR_NONFINITE, "tensor \"%s_scale\": element %d is %s", nm, r,
                         scale[r] != scale[r] ? "NaN" : "infinite");
    size_t cols = t->numel / (size_t)rows;
    for (size_t k = 0; !s && k < t->numel; k++) {
        dst[k] *= scale[k / cols];
        if (dst[k] - dst[k] != 0) /* a huge scale times 127 overflows */
            s = vae_fail(err, VAE_ERR_NONFINITE, "tensor \"%s\": element %zu is infinite (its scale is too large)", nm,
                         k);
    }
    free(scale);
    return s;
}

/* Copies file tensor t into the matching table tensor of m, checking name,
 * shape and finiteness. */
static vae_status load_tensor(vae_model *m, const vae_st_file *f, const vae_st_tensor *t, char *seen, vae_error *err) {
    char nm[48];
    int i = vae_model_find_tensor(m, t->name);
    vae_st_printable(t->name, nm, sizeof nm);
    if (i < 0) return vae_fail(err, VAE_ERR_UNKNOWN, "tensor \"%s\" is not part of this architecture", nm);
    const vae_param_info *p = &m->t[i];
    float *dst = m->params + p->offset;
    vae_status s = vae_st_load_into(f, t, nm, p->ndim, p->shape, dst, err);
    if (!s && t->dtype == VAE_DTYPE_I8) s = dequantize(f, t, nm, p->shape[0], dst, err);
    if (!s) seen[i] = 1;
    return s;
}

static vae_status load_model(vae_model **out, const vae_st_file *f, vae_error *err) {
    const char *js = vae_st_arch_meta(f, err);
    vae_arch a;
    vae_error e;
    vae_model *m;
    char seen[VAE_MAX_TENSORS] = {0};
    size_t values = 0;
    if (!js) return VAE_ERR_METADATA;
    vae_status s = vae_arch_from_json(js, strlen(js), &a, err);
    if (s) return s;
    if (vae_arch_validate(&a, &e)) return vae_fail(err, VAE_ERR_METADATA, "architecture metadata: %s", e.msg);
    for (int i = 0; i < f->n_tensors; i++) values += f->tensors[i].numel;
    /* A hostile header can name a huge architecture; a file that cannot hold
     * its weights gets no multi-gigabyte allocation (small ones go on to the
     * precise per-tensor diagnosis). */
    uint64_t need = vae_arch_param_count(&a);
    if (need > values && need > (1u << 24))
        return vae_fail(err, VAE_ERR_MISSING, "architecture needs %llu parameters, the file holds only %zu values",
                        (unsigned long long)need, values);
    if ((s = vae_model_create(&m, &a, err))) return s;
    for (int i = 0; i < f->n_tensors && !s; i++)
        if (!is_scale(f, &f->tensors[i])) s = load_tensor(m, f, &f->tensors[i], seen, err);
    for (int i = 0; i < m->n_tensors && !s; i++)
        if (!seen[i]) s = vae_fail(err, VAE_ERR_MISSING, "tensor \"%s\" is missing from the file", m->t[i].name);
    if (s) {
        vae_model_free(m);
        return s;
    }
    vae_model_pack(m); /* once, not per call */
    *out = m;
    return vae_ok(err);
}

vae_status vae_model_load(vae_model **out, const uint8_t *buf, size_t len, vae_error *err) {
    vae_st_file f;
    if (!out) return vae_fail(err, VAE_ERR_ARG, "output pointer is NULL");
    *out = NULL;
    vae_status s = vae_st_parse(&f, buf, len, err);
    if (s) return s;
    s = load_model(out, &f, err);
    vae_st_free(&f);
    return s;
}

/* ---------------------------------------------------------------- save */

static int is_decoder_tensor(const char *name) { return strncmp(name, "decoder.", 8) == 0; }

vae_status vae_model_save(const vae_model *m, vae_dtype dtype, int decoder_only, const char *const *meta_kv, int n_meta,
                          uint8_t **out, size_t *out_len, vae_error *err) {
    vae_st_entry ent[2 * VAE_MAX_TENSORS];
    char arch_json[VAE_ARCH_JSON_MAX], scale_names[VAE_MAX_TENSORS][56];
    int n = 0, q8 = dtype == VAE_DTYPE_Q8;
    if (!m || !out || !out_len) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (dtype != VAE_DTYPE_F32 && dtype != VAE_DTYPE_F16 && !q8)
        return vae_fail(err, VAE_ERR_ARG, "models are saved as F32, F16 or Q8, not %s", vae_dtype_name(dtype));
    if (n_meta < 0 || n_meta > 1000 || (n_meta && !meta_kv))
        return vae_fail(err, VAE_ERR_ARG, "bad metadata count %d", n_meta);
    vae_arch a = m->arch;
    a.decoder_only = decoder_only || a.decoder_only;
    vae_status s = vae_arch_to_json(&a, arch_json, sizeof arch_json, err);
    if (s) return s;
    const char **kv = malloc(((size_t)n_meta + 1) * 2 * sizeof *kv);
    if (!kv) return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    kv[0] = VAE_METADATA_KEY;
    kv[1] = arch_json;
    if (n_meta) memcpy(kv + 2, meta_kv, (size_t)n_meta * 2 * sizeof *kv);
    /* Q8: the integers and the scales of every matrix and conv kernel, rows first. */
    size_t count = vae_model_param_count(m);
    int8_t *qs = q8 ? malloc(count ? count : 1) : NULL;
    float *scales = q8 ? malloc((count ? count : 1) * sizeof *scales) : NULL;
    size_t qpos = 0, spos = 0;
    if (q8 && (!qs || !scales)) {
        free(kv), free(qs), free(scales);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for the quantised weights");
    }
    for (int i = 0; i < m->n_tensors; i++) {
        const vae_param_info *p = &m->t[i];
        const float *w = m->params + p->offset;
        if (a.decoder_only && !is_decoder_tensor(p->name)) continue;
        ent[n] = (vae_st_entry){p->name, p->ndim, {0}, w, NULL};
        for (int d = 0; d < p->ndim; d++) ent[n].shape[d] = (uint64_t)p->shape[d];
        if (q8 && p->ndim >= 2) {
            size_t rows = (size_t)p->shape[0], cols = p->numel / rows;
            for (size_t r = 0; r < rows; r++) {
                float mx = 0;
                for (size_t c = 0; c < cols; c++) mx = fmaxf(mx, fabsf(w[r * cols + c]));
                float sc = mx / 127.0f;
                scales[spos + r] = sc;
                for (size_t c = 0; c < cols; c++)
                    qs[qpos + r * cols + c] = (int8_t)(sc > 0 ? floorf(w[r * cols + c] / sc + 0.5f) : 0);
            }
            ent[n].q8 = qs + qpos;
            vae_format(scale_names[i], sizeof scale_names[i], "%s_scale", p->name);
            ent[++n] = (vae_st_entry){scale_names[i], 1, {rows}, scales + spos, NULL};
            qpos += p->numel, spos += rows;
        }
        n++;
    }
    s = vae_st_write(ent, n, q8 ? VAE_DTYPE_F32 : dtype, kv, n_meta + 1, out, out_len, err);
    free(kv);
    free(qs);
    free(scales);
    return s;
}

void vae_buffer_free(void *p) { free(p); }

vae_status vae_model_decoder_copy(const vae_model *m, vae_model **out, vae_error *err) {
    vae_model *c;
    if (!m || !out) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    *out = NULL;
    vae_arch a = m->arch;
    a.decoder_only = 1;
    vae_status s = vae_model_create(&c, &a, err);
    if (s) return s;
    for (int i = 0; i < c->n_tensors; i++) {
        int src = vae_model_find_tensor(m, c->t[i].name);
        memcpy(c->params + c->t[i].offset, m->params + m->t[src].offset, c->t[i].numel * sizeof(float));
    }
    *out = c;
    return vae_ok(err);
}
