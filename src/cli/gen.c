/* The drawing commands: sample, interpolate, manifold, reconstruct. Each
 * decodes a set of latents and writes them as one PNG grid. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Options every drawing command has. */
typedef struct {
    const char *model, *out, *latents;
    int scale, label;
} draw_opts;

/* A label of -1 (out of range: not shown as a default) means "none". */
#define DRAW_OPTS(g)                                                                                                   \
    CLI_STR("model", (g).model, "FILE", "model file (safetensors)"),                                                   \
        CLI_STR("out", (g).out, "FILE", "PNG file to write"),                                                          \
        CLI_STR("latents", (g).latents, "FILE", "also write the latents drawn (float32 [n, latent])"),                 \
        CLI_INT("scale", (g).scale, "N", "screen pixels per image pixel", 1, 32),                                      \
        CLI_INT("label", (g).label, "L", "class to draw, for a conditional model", 0, VAE_MAX_DIM)

#define DRAW_DEFAULTS                                                                                                  \
    { NULL, NULL, NULL, 2, -1 }

/* Loads the model after parsing; checks --label against it. */
static vae_model *draw_open(const cli_cmd *cmd, const draw_opts *g) {
    cli_require(cmd, "model");
    cli_require(cmd, "out");
    if (g->latents) cli_check_writable(g->latents);
    vae_model *m = cli_load_model(g->model);
    int classes = vae_model_arch(m)->n_classes;
    if (g->label >= 0 && !classes) cli_usage_error(cmd, "--label given but the model is not conditional");
    if (g->label >= classes && classes)
        cli_usage_error(cmd, "--label %d is out of range: the model has %d classes", g->label, classes);
    return m;
}

/* Decodes z [n, latent] with labels (NULL unless conditional) into a grid. */
static void draw(vae_model *m, const draw_opts *g, const float *z, const int *labels, int n, int cols) {
    const vae_arch *a = vae_model_arch(m);
    float *img = cli_alloc((size_t)n * vae_arch_input_dim(a), sizeof(float));
    vae_error err;
    if (vae_model_decode(m, z, a->n_classes ? labels : NULL, n, img, &err) != VAE_OK) cli_die_lib("decoding", &err);
    cli_write_grid(g->out, img, n, cols, a, g->scale);
    if (g->latents) cli_write_f32(g->latents, z, (size_t)n * a->latent);
    free(img);
}

int cmd_sample(int argc, char **argv) {
    int kind = cli_seq_model_arg(argc, argv); /* words.c, sketch.c */
    if (kind == CLI_WORDS_MODEL) return cmd_sample_words(argc, argv);
    if (kind == CLI_SKETCH_MODEL) return cmd_sample_sketch(argc, argv);
    draw_opts g = DRAW_DEFAULTS;
    int n = 64, cols = 8;
    uint64_t seed = 1;
    float temperature = 1;
    cli_opt opts[] = {
        DRAW_OPTS(g),
        CLI_INT("n", n, "N", "number of images", 1, 10000),
        CLI_INT("cols", cols, "N", "images per row", 1, 10000),
        CLI_U64("seed", seed, "S", "seed of the latents"),
        CLI_FLOAT("temperature", temperature, "T", "latents drawn from N(0, T^2 I)", 0, 100),
    };
    cli_cmd cmd = {"sample", "--model FILE --out FILE [options]",
                   "Decodes latents z ~ N(0, T^2 I) into a PNG grid. For a conditional model without\n"
                   "--label, each row is one class (--cols images per class, --n is ignored).\n"
                   "A word model prints words instead: --model WORDS --help shows how.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    vae_model *m = draw_open(&cmd, &g);
    const vae_arch *a = vae_model_arch(m);
    if (a->n_classes && g.label < 0) n = a->n_classes * cols;
    float *z = cli_alloc((size_t)n * a->latent, sizeof(float));
    int *labels = cli_alloc((size_t)n, sizeof(int));
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    vae_rng_normals(&rng, z, (size_t)n * a->latent);
    for (size_t i = 0; i < (size_t)n * a->latent; i++) z[i] *= temperature;
    for (int i = 0; i < n; i++) labels[i] = g.label >= 0 ? g.label : i / cols;
    draw(m, &g, z, labels, n, cols);
    vae_model_free(m);
    free(z);
    free(labels);
    return 0;
}

int cmd_interpolate(int argc, char **argv) {
    int kind = cli_seq_model_arg(argc, argv); /* words.c, sketch.c */
    if (kind == CLI_WORDS_MODEL) return cmd_interpolate_words(argc, argv);
    if (kind == CLI_SKETCH_MODEL) return cmd_interpolate_sketch(argc, argv);
    static const char *const methods[] = {"linear", "slerp", NULL};
    draw_opts g = DRAW_DEFAULTS;
    const char *images = NULL, *labels_file = NULL;
    int ia = 0, ib = 1, steps = 10, method = 0, rows = 1;
    uint64_t seed = 1;
    cli_opt opts[] = {
        DRAW_OPTS(g),
        CLI_STR("images", images, "FILE", "interpolate between encoded images of this IDX file"),
        CLI_STR("labels", labels_file, "FILE", "labels of --images (conditional model)"),
        CLI_INT("a", ia, "I", "index of the first image", 0, 1e9),
        CLI_INT("b", ib, "J", "index of the second image", 0, 1e9),
        CLI_U64("seed", seed, "S", "seed of the random end points (without --images)"),
        CLI_INT("steps", steps, "N", "images per row, end points included", 2, 1000),
        CLI_CHOICE("method", method, "M", "linear or slerp", methods),
        CLI_INT("rows", rows, "R", "rows (pairs a+r, b+r, or R random pairs)", 1, 1000),
    };
    cli_cmd cmd = {"interpolate", "--model FILE --out FILE [--images FILE --a I --b J | --seed S] [options]",
                   "Decodes points on the path between two latents: the encoder means of images\n"
                   "a and b, or two random N(0, I) draws. Row r uses images a+r and b+r. A\n"
                   "conditional model decodes with --label, else the label of image a (else 0).\n"
                   "A word model prints the words between two words: --model WORDS --help.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    if (!images && (cli_given(&cmd, "a") || cli_given(&cmd, "b") || labels_file))
        cli_usage_error(&cmd, "--a, --b and --labels need --images");
    if (images && cli_given(&cmd, "seed")) cli_usage_error(&cmd, "give either --images or --seed, not both");
    vae_model *m = draw_open(&cmd, &g);
    const vae_arch *a = vae_model_arch(m);
    int L = a->latent;
    float *ends = cli_alloc((size_t)2 * rows * L, sizeof(float)); /* row r: a at 2r, b at 2r+1 */
    int *end_labels = cli_alloc((size_t)2 * rows, sizeof(int));
    if (images) {
        if (a->decoder_only) cli_die(EXIT_RUNTIME, "%s holds only a decoder: it cannot encode images", g.model);
        cli_dataset d;
        cli_dataset_load(&d, images, labels_file);
        cli_check_data(m, &d, images, "--labels");
        if (ia + rows > d.n || ib + rows > d.n)
            cli_usage_error(&cmd, "--a %d, --b %d and --rows %d need %d images, %s has %d", ia, ib, rows,
                            (ia > ib ? ia : ib) + rows, images, d.n);
        cli_subset s = {&d, cli_alloc((size_t)2 * rows, sizeof(int)), 2 * rows};
        for (int r = 0; r < rows; r++) s.idx[2 * r] = ia + r, s.idx[2 * r + 1] = ib + r;
        float *x = cli_alloc((size_t)2 * rows * vae_arch_input_dim(a), sizeof(float));
        float *logvar = cli_alloc((size_t)2 * rows * L, sizeof(float));
        cli_subset_gather(&s, NULL, 0, s.n, x, d.y ? end_labels : NULL);
        vae_error err;
        if (vae_model_encode(m, x, a->n_classes ? end_labels : NULL, s.n, ends, logvar, &err) != VAE_OK)
            cli_die_lib("encoding", &err);
        free(x);
        free(logvar);
        cli_subset_free(&s);
        cli_dataset_free(&d);
    } else {
        vae_rng rng;
        vae_rng_seed(&rng, seed);
        vae_rng_normals(&rng, ends, (size_t)2 * rows * L);
    }
    float *z = cli_alloc((size_t)rows * steps * L, sizeof(float));
    int *labels = cli_alloc((size_t)rows * steps, sizeof(int));
    for (int r = 0; r < rows; r++)
        for (int s = 0; s < steps; s++) {
            int k = r * steps + s;
            vae_latent_path(ends + (size_t)2 * r * L, ends + (size_t)(2 * r + 1) * L, L, (double)s / (steps - 1),
                            method, z + (size_t)k * L);
            labels[k] = g.label >= 0 ? g.label : end_labels[2 * r];
        }
    draw(m, &g, z, labels, rows * steps, steps);
    vae_model_free(m);
    free(ends);
    free(end_labels);
    free(z);
    free(labels);
    return 0;
}

int cmd_reconstruct(int argc, char **argv) {
    draw_opts g = DRAW_DEFAULTS;
    const char *images = NULL, *labels_file = NULL, *noise_spec = NULL;
    int first = 0, n = 8;
    uint64_t seed = 1;
    cli_opt opts[] = {
        DRAW_OPTS(g),
        CLI_STR("images", images, "FILE", "images to reconstruct, IDX"),
        CLI_STR("labels", labels_file, "FILE", "their labels (conditional model)"),
        CLI_INT("first", first, "I", "index of the first image", 0, 1e9),
        CLI_INT("n", n, "N", "number of images (one column each)", 1, 1000),
        CLI_STR("noise", noise_spec, "N", "corrupt the inputs first: mask:P or gaussian:SIGMA"),
        CLI_U64("seed", seed, "S", "seed of the noise"),
    };
    cli_cmd cmd = {"reconstruct", "--model FILE --images FILE --out FILE [options]",
                   "Encodes images (to z = mu) and decodes them again. The grid's rows: the images,\n"
                   "with --noise the corrupted inputs, then the reconstructions (of the corrupted\n"
                   "inputs: what a denoising model is for).",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "images");
    vae_noise noise;
    float level = 0;
    cli_noise_opt(&cmd, noise_spec, &noise, &level);
    if (g.label >= 0) cli_usage_error(&cmd, "--label does not apply: the images' labels are used");
    vae_model *m = draw_open(&cmd, &g);
    const vae_arch *a = vae_model_arch(m);
    if (a->decoder_only) cli_die(EXIT_RUNTIME, "%s holds only a decoder: it cannot encode images", g.model);
    cli_dataset d;
    cli_dataset_load(&d, images, labels_file);
    cli_check_data(m, &d, images, "--labels");
    if (first + n > d.n)
        cli_usage_error(&cmd, "--first %d and --n %d need %d images, %s has %d", first, n, first + n, images, d.n);
    int D = vae_arch_input_dim(a), rows = noise ? 3 : 2, L = a->latent;
    cli_subset s = {&d, cli_alloc((size_t)n, sizeof(int)), n};
    for (int i = 0; i < n; i++) s.idx[i] = first + i;
    float *grid = cli_alloc((size_t)rows * n * D, sizeof(float)), *z = cli_alloc((size_t)2 * n * L, sizeof(float));
    int *labels = cli_alloc((size_t)n, sizeof(int));
    cli_subset_gather(&s, NULL, 0, n, grid, d.y ? labels : NULL);
    float *input = grid + (size_t)(rows - 2) * n * D, *out = grid + (size_t)(rows - 1) * n * D;
    vae_rng rng;
    vae_rng_seed(&rng, seed);
    vae_error err;
    if ((noise && vae_noise_apply(&rng, noise, level, grid, input, (size_t)n * D, &err) != VAE_OK) ||
        vae_model_encode(m, input, a->n_classes ? labels : NULL, n, z, z + (size_t)n * L, &err) != VAE_OK ||
        vae_model_decode(m, z, a->n_classes ? labels : NULL, n, out, &err) != VAE_OK)
        cli_die_lib("reconstructing", &err);
    cli_write_grid(g.out, grid, rows * n, n, a, g.scale);
    cli_subset_free(&s);
    cli_dataset_free(&d);
    vae_model_free(m);
    free(grid);
    free(z);
    free(labels);
    return 0;
}

int cmd_manifold(int argc, char **argv) {
    draw_opts g = DRAW_DEFAULTS;
    int grid = 20;
    cli_ints dims = {2, {0, 1}};
    cli_opt opts[] = {
        DRAW_OPTS(g),
        CLI_INT("grid", grid, "N", "images per side", 2, 200),
        CLI_INTS("dims", dims, "I,J", "latent dimensions along x and y", 0, VAE_MAX_DIM),
    };
    cli_cmd cmd = {"manifold", "--model FILE --out FILE [options]",
                   "Kingma & Welling's learned manifold: the cell centres (i+0.5)/N of a regular\n"
                   "grid on the unit square, mapped through the inverse normal CDF to two latent\n"
                   "dimensions (x to the right, y upwards); the other dimensions are 0.",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    if (dims.n != 2 || dims.v[0] == dims.v[1]) cli_usage_error(&cmd, "--dims needs two different dimensions");
    vae_model *m = draw_open(&cmd, &g);
    int L = vae_model_arch(m)->latent;
    if (L < 2) cli_die(EXIT_RUNTIME, "%s: a manifold needs a latent space of 2 or more dimensions, not %d", g.model, L);
    if (dims.v[0] >= L || dims.v[1] >= L)
        cli_usage_error(&cmd, "--dims %d,%d: the latent space has dimensions 0 to %d", dims.v[0], dims.v[1], L - 1);
    float *z = cli_alloc((size_t)grid * grid * L, sizeof(float));
    int *labels = cli_alloc((size_t)grid * grid, sizeof(int));
    for (int i = 0; i < grid; i++)
        for (int j = 0; j < grid; j++) {
            float *zk = z + ((size_t)i * grid + j) * L;
            zk[dims.v[0]] = (float)vae_probit((j + 0.5) / grid);
            zk[dims.v[1]] = (float)vae_probit((grid - i - 0.5) / grid);
            labels[i * grid + j] = g.label >= 0 ? g.label : 0;
        }
    draw(m, &g, z, labels, grid * grid, grid);
    vae_model_free(m);
    free(z);
    free(labels);
    return 0;
}
