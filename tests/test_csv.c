/* CSV/TSV tables: parsing (quotes, TSV, defaults, selection, labels), each
 * malformed case with its exact one-line message, the spec (standardisation,
 * its metadata round trip through a model file, windows) and per-point scores. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vae.h"

static vae_status parse(const char *text, const vae_csv_options *o, vae_table *t, vae_error *e) {
    return vae_csv_parse(text, strlen(text), o, t, e);
}

/* text fails with exactly msg, and leaves the table zeroed. */
static void expect_error(const char *text, const vae_csv_options *o, const char *msg) {
    vae_table t;
    vae_error e = {0};
    vae_status s = parse(text, o, &t, &e);
    CHECK(s == VAE_ERR_ARG && !strcmp(e.msg, msg), "got %s \"%s\", want \"%s\"", vae_status_name(s), e.msg, msg);
    CHECK(!t.x && !t.names && !t.labels && !t.rows, "table left allocated after \"%s\"", msg);
}

int main(void) {
    vae_csv_options none = {0};
    vae_table t;
    vae_error e;

    /* Defaults: every named column whose first value is a number; quotes, CRLF, a BOM, spaces, number forms. */
    const char *good = "\xef\xbb\xbfid,\"x, y\",name,z\r\n1, 2.5 ,\"a,b\",.5\r\n2,-3e1,c,+4.\r\n3,\"7\",\"say "
                       "\"\"hi\"\"\",007\r\n\r\n";
    CHECK(parse(good, &none, &t, &e) == VAE_OK, "%s", e.msg);
    CHECK(t.rows == 3 && t.cols == 3 && !t.labels, "%d x %d", t.rows, t.cols);
    CHECK(t.cols == 3 && !strcmp(t.names[0], "id") && !strcmp(t.names[1], "x, y") && !strcmp(t.names[2], "z"), "names");
    static const float want[] = {1, 2.5f, 0.5f, 2, -30, 4, 3, 7, 7};
    CHECK(t.x && !memcmp(t.x, want, sizeof want), "values %g %g %g / %g %g %g / %g %g %g", t.x[0], t.x[1], t.x[2],
          t.x[3], t.x[4], t.x[5], t.x[6], t.x[7], t.x[8]);
    vae_table_free(&t);

    /* TSV (guessed from the header), columns by name and by number, in the order asked, and a label. */
    const char *cols[] = {"c", "1"};
    vae_csv_options sel = {.columns = cols, .n_columns = 2, .label = "y"};
    CHECK(parse("a\tb\tc\ty\n1\t2\t3\t0\n4\t5\t6\t1\n", &sel, &t, &e) == VAE_OK, "%s", e.msg);
    CHECK(t.rows == 2 && t.cols == 2 && t.labels && t.labels[0] == 0 && t.labels[1] == 1, "labels");
    CHECK(t.x[0] == 3 && t.x[1] == 1 && t.x[2] == 6 && t.x[3] == 4 && !strcmp(t.names[1], "a"), "selection order");
    vae_table_free(&t);
    /* Zero with a huge negative exponent (the float reader once indexed its power table with it). */
    CHECK(parse("a\n0e-730\n1e-50\n", &none, &t, &e) == VAE_OK && t.x[0] == 0 && t.x[1] == 0, "%s", e.msg);
    vae_table_free(&t);
    vae_csv_options opt_label = {.label = "y", .label_optional = 1};
    CHECK(parse("a,b\n1,2\n3,5", &opt_label, &t, &e) == VAE_OK && !t.labels && t.cols == 2, "optional label: %s",
          e.msg);
    vae_table_free(&t);

    /* Each malformed input: one line naming where. */
    expect_error("", &none, "the file is empty");
    expect_error("\n\r\n", &none, "the file is empty");
    expect_error("a,b\n", &none, "no data rows after the header");
    expect_error("a,b\n1,2\n3\n", &none, "line 3: 1 fields, the header has 2");
    expect_error("a,b\n1,2\n3,4,5\n", &none, "line 3: 3 fields, the header has 2");
    expect_error("a,b\n1,2\n3,x7\n", &none, "line 3, column 2 (\"b\"): not a number: \"x7\"");
    expect_error("a,b\n1,2\n3,\n", &none, "line 3, column 2 (\"b\"): missing value");
    expect_error("a,b\n1,2\nNA,4\n", &none, "line 3, column 1 (\"a\"): missing value \"NA\"");
    expect_error("a,b\n1,2\n\n3,4\n", &none, "line 3: empty line");
    expect_error("a,b\n1,2\n3,1e999\n", &none, "line 3, column 2 (\"b\"): not a number: \"1e999\"");
    expect_error("a,b\n\"1,2\n3,4\n", &none, "line 2: a quoted field is never closed");
    expect_error("a,b\n1,2\"\n", &none, "line 2: a quote inside an unquoted field");
    expect_error("a,b\n\"1\"x,2\n", &none, "line 2: text after a quoted field's closing quote");
    expect_error("a,b\nx,y\n", &none, "line 2: no named column holds a number (choose the columns)");
    expect_error("a,a\n1,2\n", &none, "columns 1 and 2 are both named \"a\"");
    expect_error("a,\"b\xff\"\n1,2\n", &none, "line 1, column 2: the name is not UTF-8 text");
    const char *missing[] = {"q"};
    vae_csv_options bad_sel = {.columns = missing, .n_columns = 1};
    expect_error("a,b\n1,2\n", &bad_sel, "no column \"q\" in the header (2 columns: a, b)");
    vae_csv_options bad_label = {.label = "y"};
    expect_error("a,b\n1,2\n", &bad_label, "no label column \"y\" in the header (2 columns: a, b)");
    expect_error("a,y\n1,0\n2,2\n", &bad_label, "line 3, column 2 (\"y\"): label 2 is not 0 (normal) or 1 (anomaly)");

    /* The spec: mean and std of the normal rows, constant columns refused. */
    vae_table_spec sp;
    CHECK(parse("a,b,y\n1,10,0\n3,10,1\n3,30,0\n", &bad_label, &t, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_table_spec_fit(&sp, &t, 0, &e) == VAE_OK, "%s", e.msg);
    CHECK(sp.cols == 2 && sp.mean[0] == 2 && sp.std[0] == 1 && sp.mean[1] == 20 && sp.std[1] == 10, "normal rows only");
    vae_table_spec_free(&sp);
    vae_table_free(&t);

    /* Steps: the smallest gap between distinct values of the normal rows (repeats and the anomaly's 1.1 aside). */
    CHECK(parse("a,b,y\n3,0.5,0\n1,0.25,0\n3,1,0\n1.1,2,1\n7,0.5,0\n", &bad_label, &t, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_table_spec_fit(&sp, &t, 0, &e) == VAE_OK, "%s", e.msg);
    CHECK(sp.step[0] == 2 && sp.step[1] == 0.25f, "steps %g %g", sp.step[0], sp.step[1]);
    /* In the model's units, step / (8 std); and the noise: centred, one width wide, fresh each draw. */
    float width[2], rows[2000];
    CHECK(vae_table_dequant(&sp, width, &e) == VAE_OK && width[0] == 2 / (8 * sp.std[0]) &&
              width[1] == 0.25f / (8 * sp.std[1]),
          "widths %g %g", width[0], width[1]);
    vae_rng r;
    vae_rng_seed(&r, 5);
    memset(rows, 0, sizeof rows);
    CHECK(vae_dequant_apply(&r, width, rows, 1000, 2, &e) == VAE_OK, "%s", e.msg);
    double lo[2] = {1, 1}, hi[2] = {-1, -1}, sum[2] = {0, 0};
    for (int i = 0; i < 2000; i++) {
        lo[i % 2] = fmin(lo[i % 2], rows[i]), hi[i % 2] = fmax(hi[i % 2], rows[i]), sum[i % 2] += rows[i];
    }
    for (int j = 0; j < 2; j++)
        CHECK(lo[j] >= -0.5 * width[j] && hi[j] < 0.5 * width[j] && hi[j] - lo[j] > 0.99 * width[j] &&
                  fabs(sum[j] / 1000) < 0.03 * width[j],
              "column %d's noise: %g..%g, mean %g, width %g", j, lo[j], hi[j], sum[j] / 1000, width[j]);
    vae_table_spec_free(&sp);
    vae_table_free(&t);
    CHECK(parse("a,b,y\n1,10,0\n3,30,1\n3,10,0\n", &bad_label, &t, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_table_spec_fit(&sp, &t, 0, &e) == VAE_ERR_ARG &&
              !strcmp(e.msg, "column \"b\" is constant (10 in every normal row): it cannot be standardised"),
          "%s", e.msg);
    CHECK(!sp.names && !sp.mean, "spec left allocated");
    vae_table_free(&t);

    /* Windows: inputs, labels, per-point scores, and the spec through a model file's metadata. */
    CHECK(parse("t,s\n0,1\n1,2\n2,3\n3,4\n4,5\n", &none, &t, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_table_spec_fit(&sp, &t, 6, &e) == VAE_ERR_ARG, "window longer than the series");
    CHECK(vae_table_spec_fit(&sp, &t, 3, &e) == VAE_OK, "%s", e.msg);
    sp.label = malloc(8);
    strcpy(sp.label, "y\"z");
    float *x;
    int *lab, n;
    CHECK(vae_table_inputs(&sp, &t, &x, &lab, &n, &e) == VAE_OK && n == 3 && !lab, "%s", e.msg);
    /* mean 2, std sqrt 2 for column t: row 1's value 1 is at 0.5 - 1 / (8 sqrt 2). */
    CHECK(fabsf(x[2] - (0.5f - 1.0f / (8.0f * sqrtf(2.0f)))) < 1e-6f && x[6] == x[2 + 6 - 2] && x[6] != x[0],
          "window layout %g %g", x[2], x[6]);
    free(x);
    float scores[3] = {3, 6, 9}, points[5];
    CHECK(vae_table_point_scores(&sp, scores, 3, points, &e) == VAE_OK, "%s", e.msg);
    CHECK(points[0] == 3 && points[1] == 4.5f && points[2] == 6 && points[3] == 7.5f && points[4] == 9,
          "points %g %g %g %g %g", points[0], points[1], points[2], points[3], points[4]);
    char *json;
    CHECK(vae_table_spec_to_json(&sp, &json, &e) == VAE_OK, "%s", e.msg);
    printf("  spec %s\n", json);
    vae_arch a;
    vae_arch_default(&a);
    a.image_h = 3, a.image_w = 2, a.enc_hidden[0] = a.dec_hidden[0] = 4, a.latent = 2;
    vae_model *m;
    CHECK(vae_model_init(&m, &a, 1, &e) == VAE_OK, "%s", e.msg);
    const char *kv[] = {VAE_TABLE_KEY, json};
    uint8_t *file;
    size_t len;
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, kv, 1, &file, &len, &e) == VAE_OK, "%s", e.msg);
    vae_table_spec back;
    CHECK(vae_table_spec_load(&back, file, len, &e) == VAE_OK, "%s", e.msg);
    CHECK(back.cols == 2 && back.window == 3 && back.spread == sp.spread && !strcmp(back.names[1], "s") && back.label &&
              !strcmp(back.label, "y\"z") && back.mean[0] == sp.mean[0] && back.std[1] == sp.std[1] &&
              back.step[0] == 1 && back.step[1] == 1,
          "round trip");
    vae_table_spec_free(&back);
    vae_buffer_free(file);
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, NULL, 0, &file, &len, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_table_spec_load(&back, file, len, &e) == VAE_ERR_METADATA, "an image model has no spec");
    vae_buffer_free(file);
    const char *broken[] = {VAE_TABLE_KEY, "{\"columns\":[\"a\"],\"mean\":[1],\"std\":[0],\"spread\":8,\"window\":0}"};
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, broken, 1, &file, &len, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_table_spec_load(&back, file, len, &e) == VAE_ERR_METADATA && strstr(e.msg, "std"), "%s", e.msg);
    vae_buffer_free(file);
    /* a file from before the steps: no noise; a step of 0 in a new one is an error */
    const char *old[] = {VAE_TABLE_KEY, "{\"columns\":[\"a\"],\"mean\":[1],\"std\":[2],\"spread\":8,\"window\":0}"};
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, old, 1, &file, &len, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_table_spec_load(&back, file, len, &e) == VAE_OK && back.step[0] == 0, "%s", e.msg);
    vae_table_spec_free(&back);
    vae_buffer_free(file);
    const char *zero[] = {VAE_TABLE_KEY,
                          "{\"columns\":[\"a\"],\"mean\":[1],\"std\":[2],\"step\":[0],\"spread\":8,\"window\":0}"};
    CHECK(vae_model_save(m, VAE_DTYPE_F32, 0, zero, 1, &file, &len, &e) == VAE_OK, "%s", e.msg);
    CHECK(vae_table_spec_load(&back, file, len, &e) == VAE_ERR_METADATA && strstr(e.msg, "\"step\""), "%s", e.msg);
    vae_buffer_free(file);
    vae_model_free(m);
    vae_buffer_free(json);
    vae_table_spec_free(&sp);
    vae_table_free(&t);
    return check_result("test_csv");
}
