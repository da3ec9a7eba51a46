/* `vae export`: rewrite a model file as F16 or F32, whole or decoder only
 * (what a page that only generates needs). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "models/sketch.h"
#include "models/words.h"

/* The metadata pairs of an export: the file's train.* ones and export.from =
 * from's base name; free() the array. */
static const char **export_meta(const vae_st_file *meta, const char *from, int *n_kv) {
    const char **kv = cli_alloc((size_t)meta->n_meta * 2 + 2, sizeof(char *));
    int n = 0;
    for (int i = 0; i < meta->n_meta; i++)
        if (!strncmp(meta->meta[2 * i], "train.", 6))
            kv[2 * n] = meta->meta[2 * i], kv[2 * n++ + 1] = meta->meta[2 * i + 1];
    kv[2 * n] = "export.from", kv[2 * n++ + 1] = cli_basename(from);
    *n_kv = n;
    return kv;
}

/* A word or sketch model again with F16 or F32 weights; its train.*
 * metadata stays (so vae eval --holdout finds the training split in the copy). */
static int export_seq(int argc, char **argv, int kind) {
    static const char *const dtypes[] = {"f32", "f16", NULL};
    const char *model = NULL, *out = NULL;
    int dtype = 1;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "word or sketch model file (safetensors)"),
        CLI_STR("out", out, "FILE", "file to write"),
        CLI_CHOICE("dtype", dtype, "T", "stored weights: f32 or f16", dtypes),
    };
    cli_cmd cmd = {"export", "--model FILE --out FILE [--dtype T]",
                   "Writes the word or sketch model again with F16 (default) or F32 weights (F16\n"
                   "rounds to nearest even), keeping its training metadata.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "out");
    cli_check_writable(out);
    vae_st_file meta;
    size_t len;
    uint8_t *buf = cli_read_meta(model, &len, &meta), *file;
    int n_kv;
    const char **kv = export_meta(&meta, model, &n_kv);
    vae_dtype dt = dtype ? VAE_DTYPE_F16 : VAE_DTYPE_F32;
    vae_error err;
    if (kind == CLI_WORDS_MODEL) {
        vae_words *w;
        if (vae_words_load(&w, buf, len, 1, &err)) cli_die_lib(model, &err);
        if (vae_words_save(w, dt, kv, n_kv, &file, &len, &err)) cli_die_lib("saving", &err);
        vae_words_free(w);
    } else {
        vae_sketch *k;
        if (vae_sketch_load(&k, buf, len, 1, &err)) cli_die_lib(model, &err);
        if (vae_sketch_save(k, dt, kv, n_kv, &file, &len, &err)) cli_die_lib("saving", &err);
        vae_sketch_free(k);
    }
    cli_write_model(out, file, len, dtype ? "F16" : "F32", 0);
    free(buf);
    free(kv);
    vae_st_free(&meta);
    return 0;
}

int cmd_export(int argc, char **argv) {
    int kind = cli_seq_model_arg(argc, argv); /* words.c, sketch.c */
    if (kind) return export_seq(argc, argv, kind);
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
