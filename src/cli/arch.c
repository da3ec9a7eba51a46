/* Model options spelled on the command line: noise (mask:P, gaussian:S) and
 * layer lists, which summaries print the same way: one token per layer,
 *   400          linear, 400 wide
 *   3136@64x7x7  linear, its output viewed as 64 channels of 7x7 for conv layers
 *   conv32k4s2p1 conv, 32 channels, kernel 4, stride 2, pad 1 (stride 1, pad 0 by default)
 *   convt1k4s2p1o0  transposed conv, optional output padding o
 * so that what `vae info` prints can be typed back into `vae train`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Reads digits at *s into *v (1..VAE_MAX_DIM, or 0.. with zero_ok); 0 on failure. */
static int read_num(const char **s, int *v, int zero_ok) {
    char *end;
    long x = strtol(*s, &end, 10);
    if (end == *s || *s[0] == '-' || *s[0] == '+' || x < !zero_ok || x > VAE_MAX_DIM) return 0;
    *v = (int)x;
    *s = end;
    return 1;
}

/* One token into width and layer; 0 if malformed. */
static int parse_layer(const char *tok, int *width, vae_layer *l) {
    memset(l, 0, sizeof *l);
    const char *s = tok;
    if (!strncmp(s, "convt", 5) || !strncmp(s, "conv", 4)) {
        l->kind = s[4] == 't' ? VAE_LAYER_CONV_TRANSPOSE : VAE_LAYER_CONV;
        s += l->kind == VAE_LAYER_CONV ? 4 : 5;
        if (!read_num(&s, width, 0)) return 0;
        l->stride = 1;
        for (int seen = 0; *s;) {
            char key = *s++;
            int bit = key == 'k' ? 1 : key == 's' ? 2 : key == 'p' ? 4 : key == 'o' ? 8 : 0;
            int *dst = key == 'k' ? &l->kernel : key == 's' ? &l->stride : key == 'p' ? &l->pad : &l->out_pad;
            if (!bit || (seen & bit) || (bit == 8 && l->kind == VAE_LAYER_CONV) || !read_num(&s, dst, bit >= 4))
                return 0;
            seen |= bit;
        }
        return l->kernel > 0;
    }
    if (!read_num(&s, width, 0)) return 0;
    if (!*s) return 1;
    return *s++ == '@' && read_num(&s, &l->shape[0], 0) && *s++ == 'x' && read_num(&s, &l->shape[1], 0) &&
           *s++ == 'x' && read_num(&s, &l->shape[2], 0) && !*s;
}

int cli_parse_layers(const char *spec, int *n, int *widths, vae_layer *layers, char *bad, size_t bad_size) {
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    *n = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        if (*n == VAE_MAX_LAYERS || !parse_layer(tok, &widths[*n], &layers[*n])) {
            snprintf(bad, bad_size, "%s", *n == VAE_MAX_LAYERS ? "more than 8 layers" : tok);
            return 0;
        }
        ++*n;
    }
    return 1;
}

const char *cli_format_layer(char *buf, size_t size, int width, const vae_layer *l) {
    if (l->kind == VAE_LAYER_LINEAR && l->shape[0]) {
        snprintf(buf, size, "%d@%dx%dx%d", width, l->shape[0], l->shape[1], l->shape[2]);
    } else if (l->kind == VAE_LAYER_LINEAR) {
        snprintf(buf, size, "%d", width);
    } else {
        int n = snprintf(buf, size, "%s%dk%ds%dp%d", l->kind == VAE_LAYER_CONV ? "conv" : "convt", width, l->kernel,
                         l->stride, l->pad);
        if (l->out_pad && n >= 0 && (size_t)n < size) snprintf(buf + n, size - (size_t)n, "o%d", l->out_pad);
    }
    return buf;
}

const char *cli_describe_arch(char *buf, size_t size, const vae_arch *a) {
    size_t o = 0;
    char layer[64];
#define PUT(...) (o += (size_t)snprintf(buf + o, o < size ? size - o : 0, __VA_ARGS__))
    PUT("%s ", a->decoder_only          ? "decoder"
               : a->kind == VAE_KIND_AE ? "AE"
               : a->kind == VAE_KIND_M2 ? "M2"
               : a->n_classes           ? "CVAE"
                                        : "VAE");
    if (!a->decoder_only) {
        if (a->n_enc && a->enc_layer[0].kind != VAE_LAYER_LINEAR)
            PUT("%dx%dx%d-", a->image_c, a->image_h, a->image_w);
        else
            PUT("%d-", vae_arch_input_dim(a));
        for (int i = 0; i < a->n_enc; i++)
            PUT("%s-", cli_format_layer(layer, sizeof layer, a->enc_hidden[i], &a->enc_layer[i]));
    }
    PUT("%d-", a->latent);
    for (int i = 0; i < a->n_dec; i++)
        PUT("%s-", cli_format_layer(layer, sizeof layer, a->dec_hidden[i], &a->dec_layer[i]));
    if (a->out_layer.kind == VAE_LAYER_LINEAR)
        PUT("%d", vae_arch_input_dim(a));
    else
        PUT("%s", cli_format_layer(layer, sizeof layer, a->image_c, &a->out_layer));
    if (a->n_classes) PUT(", %d classes", a->n_classes);
    if (a->kind == VAE_KIND_M2 && !a->decoder_only) {
        PUT(", classifier %d-", vae_arch_input_dim(a));
        for (int i = 0; i < a->n_cls; i++) PUT("%d-", a->cls_hidden[i]);
        PUT("%d", a->n_classes);
    }
    PUT(", %s", vae_activation_name(a->act));
    if (a->act == VAE_ACT_LEAKY_RELU) PUT(" (slope %g)", a->leaky_slope);
    if (a->kind == VAE_KIND_AE) PUT(", code %s", vae_activation_name(a->code_act));
    PUT(", %s", vae_likelihood_name(a->lik));
    if (a->lik == VAE_LIK_GAUSSIAN) PUT(" (sigma %g)", a->sigma);
#undef PUT
    return buf;
}

void cli_noise_opt(const cli_cmd *cmd, const char *spec, vae_noise *noise, float *level) {
    char *end = NULL;
    *noise = VAE_NOISE_NONE;
    if (!spec) return;
    const char *colon = strchr(spec, ':');
    *noise = colon && !strncmp(spec, "mask:", 5)       ? VAE_NOISE_MASK
             : colon && !strncmp(spec, "gaussian:", 9) ? VAE_NOISE_GAUSSIAN
                                                       : VAE_NOISE_NONE;
    if (*noise) *level = strtof(colon + 1, &end);
    if (!*noise || end == colon + 1 || *end)
        cli_usage_error(cmd, "--noise: '%s' is not mask:P or gaussian:SIGMA", spec);
}
