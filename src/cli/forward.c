/* `vae forward`: the whole forward pass on raw float32 files, so tests and
 * converters can compare every intermediate against another implementation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_forward(int argc, char **argv) {
    if (cli_seq_model_arg(argc, argv) == CLI_WORDS_MODEL) return cmd_forward_words(argc, argv); /* words.c */
    const char *model = NULL, *input = NULL, *labels_file = NULL, *eps_file = NULL, *out = NULL;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "model file (safetensors)"),
        CLI_STR("input", input, "FILE", "images, raw little-endian float32 [n, D]"),
        CLI_STR("labels", labels_file, "FILE", "labels, raw little-endian int32 [n] (conditional model)"),
        CLI_STR("eps", eps_file, "FILE", "noise, raw little-endian float32 [n, latent] (default 0)"),
        CLI_STR("out", out, "FILE", "output, raw little-endian float32"),
    };
    cli_cmd cmd = {"forward", "--model FILE --input FILE --out FILE [options]",
                   "Writes, per image and concatenated: mu [latent], logvar [latent], the decoded\n"
                   "means [D] of z = mu + exp(logvar/2) * eps, the reconstruction loss and the KL.\n"
                   "For an autoencoder, mu is the code (and z); logvar and the KL are 0.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "input");
    cli_require(&cmd, "out");
    vae_model *m = cli_load_model(model);
    const vae_arch *a = vae_model_arch(m);
    if (a->decoder_only) cli_die(EXIT_RUNTIME, "%s holds only a decoder: it cannot encode", model);
    if (!a->n_classes && labels_file) cli_usage_error(&cmd, "--labels given but the model is not conditional");
    if (a->n_classes && !labels_file) cli_usage_error(&cmd, "the model is conditional: give --labels");
    /* An AE's code is z itself: noise would change the decoded means but not the loss beside them. */
    if (a->kind == VAE_KIND_AE && eps_file) cli_usage_error(&cmd, "--eps given but an autoencoder draws no noise");
    int D = vae_arch_input_dim(a), L = a->latent, n, count;
    float *x = cli_read_f32(input, D, &n);
    int *y = NULL;
    if (labels_file) {
        y = cli_read_i32(labels_file, &count);
        if (count != n) cli_die(EXIT_RUNTIME, "%s has %d labels for %d images", labels_file, count, n);
        for (int i = 0; i < n; i++)
            if (y[i] < 0 || y[i] >= a->n_classes)
                cli_die(EXIT_RUNTIME, "%s: label %d of image %d is out of range for a model of %d classes", labels_file,
                        y[i], i, a->n_classes);
    }
    float *eps = cli_alloc((size_t)n * L, sizeof(float));
    if (eps_file) {
        free(eps);
        eps = cli_read_f32(eps_file, L, &count);
        if (count != n) cli_die(EXIT_RUNTIME, "%s has noise for %d images, %s has %d", eps_file, count, input, n);
    }

    size_t row = 2 * (size_t)L + (size_t)D + 2;
    size_t nL = (size_t)n * L;
    float *work = cli_alloc((size_t)n, (3 * (size_t)L + (size_t)D + 2) * sizeof(float));
    float *mu = work, *logvar = mu + nL, *z = logvar + nL, *dec = z + nL, *rec = dec + (size_t)n * D, *kl = rec + n;
    vae_error err;
    if (vae_model_encode(m, x, y, n, mu, logvar, &err) != VAE_OK) cli_die_lib("encoding", &err);
    for (size_t i = 0; i < nL; i++) z[i] = mu[i] + expf(0.5f * logvar[i]) * eps[i];
    if (vae_model_decode(m, z, y, n, dec, &err) != VAE_OK) cli_die_lib("decoding", &err);
    if (vae_model_loss(m, x, y, n, eps, rec, kl, &err) != VAE_OK) cli_die_lib("loss", &err);

    float *res = cli_alloc((size_t)n * row, sizeof(float));
    for (int i = 0; i < n; i++) {
        float *r = res + (size_t)i * row;
        memcpy(r, mu + (size_t)i * L, (size_t)L * sizeof *r);
        memcpy(r + L, logvar + (size_t)i * L, (size_t)L * sizeof *r);
        memcpy(r + 2 * L, dec + (size_t)i * D, (size_t)D * sizeof *r);
        r[2 * L + D] = rec[i];
        r[2 * L + D + 1] = kl[i];
    }
    cli_write_f32(out, res, (size_t)n * row);
    free(res);
    free(work);
    free(x);
    free(y);
    free(eps);
    vae_model_free(m);
    return 0;
}
