/* The native `vae` command-line tool: shared declarations.
 *
 * Error policy: a failing command prints exactly one line `vae: <what>` on
 * stderr and exits (2 for usage errors, 1 for runtime errors, 128+signal when
 * interrupted). Output files are only ever created by an atomic rename, so a
 * failed or interrupted command leaves nothing behind. */
#ifndef VAE_CLI_H
#define VAE_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "formats/safetensors.h"
#include "vae.h"

enum { EXIT_RUNTIME = 1, EXIT_USAGE = 2 };

/* ---------------------------------------------------------------- util.c */

#if defined(__GNUC__)
#define CLI_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CLI_PRINTF(a, b)
#endif

_Noreturn void cli_die(int status, const char *fmt, ...) CLI_PRINTF(2, 3);
/* Dies with "vae: <what>: <library message>". */
_Noreturn void cli_die_lib(const char *what, const vae_error *e);
/* Dies if SIGINT/SIGTERM arrived; call between units of work. */
void cli_check_interrupt(void);
void cli_install_signals(void);
extern volatile sig_atomic_t cli_signal;

/* A one-line status on stderr, rewritten in place; only when stderr is a
 * terminal. cli_die and cli_progress_clear erase it. */
void cli_progress(const char *fmt, ...) CLI_PRINTF(1, 2);
void cli_progress_clear(void);

void *cli_alloc(size_t count, size_t size); /* zeroed; dies on overflow or OOM */
double cli_now(void);                       /* monotonic seconds */
const char *cli_basename(const char *path);
/* Human-readable forms into caller buffers of at least 32 bytes. */
const char *cli_fmt_duration(char *buf, double seconds);
const char *cli_fmt_count(char *buf, uint64_t n); /* 652,824 */
const char *cli_fmt_bytes(char *buf, uint64_t n); /* 2.6 MB */

/* ---------------------------------------------------------------- io.c */

/* Whole file; dies with a one-line message on failure. Free with free(). */
uint8_t *cli_read_file(const char *path, size_t *len);
/* Like cli_read_file, but gunzips when the file starts with the gzip magic. */
uint8_t *cli_read_maybe_gz(const char *path, size_t *len);
/* Writes path.tmp-<pid>, fsyncs and renames it over path. Any failure or a
 * pending SIGINT/SIGTERM removes the temporary and dies. */
void cli_write_atomic(const char *path, const void *buf, size_t len);
/* Dies early, before long work, if cli_write_atomic(path) cannot succeed. */
void cli_check_writable(const char *path);
vae_model *cli_load_model(const char *path);
/* A sequence model's file written (cli_write_atomic), "wrote PATH (DTYPE, SIZE)"
 * unless quiet, and buf freed (vae_buffer_free). */
void cli_write_model(const char *path, uint8_t *buf, size_t len, const char *dtype, int quiet);
/* The whole file, and (meta not NULL) its safetensors metadata, which
 * outlives buf (release with vae_st_free). */
uint8_t *cli_read_meta(const char *path, size_t *len, vae_st_file *meta);

/* ---------------------------------------------------------------- arch.c */

/* "VAE 784-400-20-400-784, relu, bernoulli" style summary, layers written as
 * cli_parse_layers reads them, into buf (>= 256 bytes). */
const char *cli_describe_arch(char *buf, size_t size, const vae_arch *a);
/* A comma-separated layer list ("conv32k4s2p1,256", see arch.c) into widths
 * and layers; 0 on malformed input, with the offending token in bad. */
int cli_parse_layers(const char *spec, int *n, int *widths, vae_layer *layers, char *bad, size_t bad_size);
/* The token of one layer. */
const char *cli_format_layer(char *buf, size_t size, int width, const vae_layer *l);

/* ---------------------------------------------------------------- opts.c */

typedef enum { OPT_STR, OPT_INT, OPT_U64, OPT_FLOAT, OPT_FLAG, OPT_INTS, OPT_CHOICE } cli_opt_kind;

typedef struct {
    int n;
    int v[VAE_MAX_LAYERS];
} cli_ints;

/* One --option. dst's type follows kind: const char *, int, uint64_t, float,
 * int (flag: set to 1), cli_ints, int (choice: index into choices). The help
 * shows the value dst holds before parsing as the default, unless it means
 * "not set": a NULL string, an empty list or a number outside [lo, hi]. */
typedef struct {
    const char *name; /* without the leading dashes */
    cli_opt_kind kind;
    void *dst;
    const char *meta; /* value placeholder in the help, "N", "FILE" */
    const char *help;
    double lo, hi;              /* inclusive range for numbers and list items */
    const char *const *choices; /* NULL-terminated, for OPT_CHOICE */
    int given;                  /* set by the parser */
} cli_opt;

/* Table entries: name, variable, value placeholder, help[, range or choices]. */
#define CLI_STR(nm, var, mt, hl)                                                                                       \
    { .name = nm, .kind = OPT_STR, .dst = &(var), .meta = mt, .help = hl }
#define CLI_U64(nm, var, mt, hl)                                                                                       \
    { .name = nm, .kind = OPT_U64, .dst = &(var), .meta = mt, .help = hl }
#define CLI_FLAG(nm, var, hl)                                                                                          \
    { .name = nm, .kind = OPT_FLAG, .dst = &(var), .meta = "", .help = hl }
#define CLI_INT(nm, var, mt, hl, l, h)                                                                                 \
    { .name = nm, .kind = OPT_INT, .dst = &(var), .meta = mt, .help = hl, .lo = l, .hi = h }
#define CLI_FLOAT(nm, var, mt, hl, l, h)                                                                               \
    { .name = nm, .kind = OPT_FLOAT, .dst = &(var), .meta = mt, .help = hl, .lo = l, .hi = h }
#define CLI_INTS(nm, var, mt, hl, l, h)                                                                                \
    { .name = nm, .kind = OPT_INTS, .dst = &(var), .meta = mt, .help = hl, .lo = l, .hi = h }
#define CLI_CHOICE(nm, var, mt, hl, ch)                                                                                \
    { .name = nm, .kind = OPT_CHOICE, .dst = &(var), .meta = mt, .help = hl, .choices = ch }

typedef struct {
    const char *name;     /* "train" */
    const char *synopsis; /* "--model FILE --out FILE [options]" */
    const char *about;    /* what the command does, printed under the usage */
    cli_opt *opts;
    int n_opts;
} cli_cmd;

/* Parses argv[1..] (argv[0] is the command name) into the option table;
 * prints the help and exits 0 on --help, dies with status 2 on bad input. */
void cli_parse(cli_cmd *cmd, int argc, char **argv);
int cli_given(const cli_cmd *cmd, const char *name);
void cli_require(const cli_cmd *cmd, const char *name);
_Noreturn void cli_usage_error(const cli_cmd *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);
/* --noise "mask:P" or "gaussian:SIGMA" (arch.c; spec NULL: no noise), or a usage
 * error. The level is checked by the library. */
void cli_noise_opt(const cli_cmd *cmd, const char *spec, vae_noise *noise, float *level);
/* Parses "a,b,c" of integers in [lo, hi]; returns 0 on malformed input. */
int cli_parse_ints(const char *s, cli_ints *out, double lo, double hi);

#define CLI_OPT_COUNT(table) ((int)(sizeof(table) / sizeof((table)[0])))

/* ---------------------------------------------------------------- data.c */

/* IDX images (c = 1) and optional labels, in the library's buffers. */
typedef struct {
    float *x; /* [n, h*w] */
    int *y;   /* [n] or NULL */
    int n, h, w;
} cli_dataset;

/* A selection of a dataset's rows (training or test split). */
typedef struct {
    const cli_dataset *d;
    int *idx;
    int n;
} cli_subset;

void cli_dataset_load(cli_dataset *d, const char *images, const char *labels);
void cli_dataset_free(cli_dataset *d);
/* M1+M2 (Kingma et al. 2014): replaces the images by their latent means
 * under the VAE in file m1, as VAE_M1_CENTRE + VAE_M1_SCALE * mu (an M2
 * then models those, 1 x latent); *sd (sd not NULL) gets their posterior
 * standard deviations [n, latent] on that scale, malloc'd. */
#define VAE_M1_CENTRE 0.5f
#define VAE_M1_SCALE 0.125f
void cli_dataset_encode(cli_dataset *d, const char *m1, float **sd);
int cli_dataset_max_label(const cli_dataset *d);
void cli_subset_all(cli_subset *s, const cli_dataset *d);
/* Splits d into train and test: the last `tail` rows, or the last
 * `per_class` rows of every class (needs labels). */
void cli_subset_split(const cli_dataset *d, int tail, int per_class, cli_subset *train, cli_subset *test);
void cli_subset_free(cli_subset *s);
/* Copies rows order[start..start+count) (or start.. when order is NULL) of
 * the subset into xb [count, D] and, when yb is not NULL, yb [count]. */
void cli_subset_gather(const cli_subset *s, const int *order, int start, int count, float *xb, int *yb);
/* Raw little-endian float32 / int32 files. */
float *cli_read_f32(const char *path, int row, int *n_rows);
int *cli_read_i32(const char *path, int *n);
void cli_write_f32(const char *path, const float *v, size_t n);

/* ---------------------------------------------------------------- table.c */

/* A CSV/TSV file (tab-separated when named .tsv, else as its header says)
 * for training: --columns "a,b" (NULL: the numeric ones), an optional label
 * column (0 normal, 1 anomaly), windows of `window` rows (0: none). d gets the
 * normal inputs (1 x 1 x cols, or 1 x W x cols), spec their standardisation
 * (to save with the model); *anomalies counts the inputs left out. */
void cli_table_train(const char *path, const char *columns, const char *label, int window, cli_dataset *d,
                     vae_table_spec *spec, int *anomalies);
/* A file to score with a table model: the spec's columns, every input in
 * order; the rows' labels (label, or the spec's label column if the file
 * has it; else NULL) and the row count. */
void cli_table_score(const char *path, const vae_table_spec *spec, const char *label, cli_dataset *d, int **labels,
                     int *rows);
/* A model file's table spec, or a one-line death. */
vae_table_spec cli_table_spec(const char *model);

/* ---------------------------------------------------------------- eval.c */

/* Per-image reconstruction and KL [s->n] over a subset, in batches: eps drawn
 * from rng, or z = mu when rng is NULL. kl may be NULL. Labels are passed
 * when the model is conditional. */
void cli_loss_terms(vae_model *m, const cli_subset *s, int batch, vae_rng *rng, float *rec, float *kl);
/* Per-image importance-weighted log p(x) [s->n], k samples each from rng. */
void cli_iwae_terms(vae_model *m, const cli_subset *s, int batch, int k, vae_rng *rng, float *ll);
/* Mean per-image reconstruction and KL over a subset, eps from a generator
 * seeded with `seed`. Labels are passed when the model is conditional. */
void cli_eval_loss(vae_model *m, const cli_subset *s, int batch, uint64_t seed, double *rec, double *kl);
/* Dies unless the images have the model's size. */
void cli_check_images(const vae_model *m, const cli_dataset *d, const char *images);
/* Dies unless the images have the model's size and, for a conditional model,
 * come with labels in range (`labels_opt` names the option that gives them). */
void cli_check_data(const vae_model *m, const cli_dataset *d, const char *images, const char *labels_opt);

/* ---------------------------------------------------------------- png.c */

/* Writes n images (row-major c*h*w floats in [0,1], channel-major) as a grid
 * of `cols` columns, each pixel scale x scale, with 1-pixel separators. */
void cli_write_grid(const char *path, const float *images, int n, int cols, const vae_arch *a, int scale);

/* ---------------------------------------------------------------- words.c */

struct vae_words;
/* "word VAE, vocabulary a-z, embedding 32, ..." into buf (>= 256 bytes). */
const char *cli_describe_words(char *buf, size_t size, const struct vae_words *m);
/* Whether the file named by --model in argv is a word model or a sketch
 * model: the command then runs its twin of words.c or sketch.c (0 for an
 * image model or when there is no such readable file: the command itself
 * reports that). */
enum { CLI_WORDS_MODEL = 1, CLI_SKETCH_MODEL };
int cli_seq_model_arg(int argc, char **argv);

/* ---------------------------------------------------------------- sketch.c */

struct vae_sketch;
/* "SketchRNN: encoder BiLSTM 128, ..." into buf (>= 256 bytes). */
const char *cli_describe_sketch(char *buf, size_t size, const struct vae_sketch *m);

/* ---------------------------------------------------------------- commands */

int cmd_train(int argc, char **argv);
/* The word model's commands (words.c): vae train --words, and sample,
 * interpolate, eval and forward of a word model. */
int cmd_train_words(int argc, char **argv);
int cmd_sample_words(int argc, char **argv);
int cmd_interpolate_words(int argc, char **argv);
int cmd_eval_words(int argc, char **argv);
int cmd_forward_words(int argc, char **argv);
/* SketchRNN's (sketch.c): vae train --strokes, and eval, sample and interpolate of a sketch model. */
int cmd_train_sketch(int argc, char **argv);
int cmd_eval_sketch(int argc, char **argv);
int cmd_sample_sketch(int argc, char **argv);
int cmd_interpolate_sketch(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_score(int argc, char **argv);
int cmd_sample(int argc, char **argv);
int cmd_interpolate(int argc, char **argv);
int cmd_reconstruct(int argc, char **argv);
int cmd_manifold(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_forward(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_classify(int argc, char **argv); /* classify.c */

#endif
