/* `vae export`: rewrite a model file as F16 or F32, whole or decoder only
 * (what a page that only generates needs). */
#include <stdio.h>

#include "cli.h"

int cmd_export(int argc, char **argv) {
    if (cli_words_model_arg(argc, argv)) return cmd_export_words(argc, argv); /* words.c */
    static const char *const dtypes[] = {"f32", "f16", "q8", NULL};
    const char *model = NULL, *out = NULL;
    int dtype = 1, decoder_only = 0;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "model file (safetensors)"),
        CLI_STR("out", out, "FILE", "file to write"),
        CLI_CHOICE("dtype", dtype, "T", "stored weights: f32, f16 or q8 (int8 rows with a scale each)", dtypes),
        CLI_FLAG("decoder-only", decoder_only, "keep only the decoder (enough to sample and interpolate latents)"),
    };
    cli_cmd cmd = {"export", "--model FILE --out FILE [options]",
                   "Writes the model again with F16 (default) or F32 weights, optionally only its\n"
                   "decoder. F16 rounds to nearest even.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "out");
    cli_check_writable(out);
    vae_model *m = cli_load_model(model);
    const char *kv[] = {"export.from", cli_basename(model)};
    uint8_t *buf;
    size_t len;
    vae_error err;
    if (vae_model_save(m, (vae_dtype[]){VAE_DTYPE_F32, VAE_DTYPE_F16, VAE_DTYPE_Q8}[dtype], decoder_only, kv, 1, &buf,
                       &len, &err) != VAE_OK)
        cli_die_lib("saving", &err);
    cli_write_atomic(out, buf, len);
    char size[32];
    printf("wrote %s (%s%s, %s)\n", out, (const char *[]){"F32", "F16", "Q8"}[dtype],
           decoder_only ? ", decoder only" : "", cli_fmt_bytes(size, len));
    vae_buffer_free(buf);
    vae_model_free(m);
    return 0;
}
