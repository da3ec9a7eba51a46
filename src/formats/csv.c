/* CSV and TSV tables (vae.h "tables"), and the spec that turns their rows
 * into model inputs and back (standardisation, windows, per-point scores).
 * Every byte of the text is untrusted: fields are spans into it, lengths are
 * checked before copies, and counts are capped before allocations. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "formats/safetensors.h"

#define CSV_MAX_FIELDS (1 << 20)  /* header fields */
#define CSV_MAX_VALUES (1u << 28) /* floats in a table (1 GiB) */
#define CSV_MAX_NUMBER 96         /* longest number text read */

/* ---------------------------------------------------------------- fields */

typedef struct {
    const char *s;
    size_t len, pos;
    int line; /* of the character at pos, from 1 */
    char delim;
} cursor;

typedef struct {
    const char *s; /* the field's text without surrounding quotes or spaces */
    size_t len;
    int quoted; /* "" inside s stands for one quote */
    int last;   /* the record ends after this field */
} field;

static int is_space(char c) { return c == ' ' || c == '\t'; }

/* The record's next field. */
static vae_status next_field(cursor *c, field *f, vae_error *err) {
    const char *s = c->s;
    size_t i = c->pos, n = c->len;
    /* Tabs are spaces only when they do not separate fields. */
    while (i < n && s[i] != c->delim && is_space(s[i])) i++;
    if (i < n && s[i] == '"') {
        int start_line = c->line;
        size_t b = ++i;
        for (;; i++) {
            if (i >= n) return vae_fail(err, VAE_ERR_ARG, "line %d: a quoted field is never closed", start_line);
            if (s[i] == '\n') c->line++;
            if (s[i] == '"') {
                if (i + 1 < n && s[i + 1] == '"') {
                    i++;
                    continue;
                }
                break;
            }
        }
        f->s = s + b, f->len = i - b, f->quoted = 1;
        i++;
        while (i < n && s[i] != c->delim && is_space(s[i])) i++;
        if (i < n && s[i] != c->delim && s[i] != '\n' && !(s[i] == '\r' && i + 1 < n && s[i + 1] == '\n'))
            return vae_fail(err, VAE_ERR_ARG, "line %d: text after a quoted field's closing quote", c->line);
    } else {
        size_t b = i;
        while (i < n && s[i] != c->delim && s[i] != '\n') {
            if (s[i] == '"') return vae_fail(err, VAE_ERR_ARG, "line %d: a quote inside an unquoted field", c->line);
            i++;
        }
        size_t e = i;
        if (e > b && s[e - 1] == '\r' && (e == n || s[e] == '\n')) e--;
        while (e > b && is_space(s[e - 1])) e--;
        f->s = s + b, f->len = e - b, f->quoted = 0;
    }
    f->last = i >= n || s[i] == '\n' || s[i] == '\r';
    if (i < n && s[i] == '\r') i++;
    if (i < n) {
        if (s[i] == '\n') c->line++;
        i++;
    }
    c->pos = i;
    return vae_ok(err);
}

/* A field's text unescaped into a malloc'd string (NULL if out of memory);
 * *len its length (a NUL inside makes it differ from strlen). */
static char *field_dup(const field *f, size_t *len) {
    char *out = malloc(f->len + 1);
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < f->len; i++) {
        out[o++] = f->s[i];
        if (f->quoted && f->s[i] == '"') i++;
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* At the end of the text, or only line ends left (a file's trailing blank lines). */
static int only_blank_lines(const cursor *c) {
    for (size_t i = c->pos; i < c->len; i++)
        if (c->s[i] != '\n' && c->s[i] != '\r') return 0;
    return 1;
}

/* ---------------------------------------------------------------- numbers */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

static int text_is(const char *s, size_t n, const char *word) {
    size_t w = strlen(word);
    if (n != w) return 0;
    for (size_t i = 0; i < n; i++)
        if ((s[i] | 0x20) != word[i]) return 0;
    return 1;
}

enum { NUM_OK, NUM_MISSING, NUM_BAD };

/* [+-](digits[.digits*] | .digits)([eE][+-]digits), rewritten as a JSON
 * number (sign, no leading zeros, digits on both sides of the point) for the
 * library's one float reader. */
static int parse_number(const field *f, float *out) {
    char t[CSV_MAX_NUMBER], j[CSV_MAX_NUMBER + 4];
    size_t n = 0, i = 0, o = 0;
    if (f->len == 0) return NUM_MISSING;
    if (f->len >= sizeof t) return NUM_BAD;
    for (size_t k = 0; k < f->len; k++) { /* a quoted number is still a number */
        t[n++] = f->s[k];
        if (f->quoted && f->s[k] == '"') k++;
    }
    if (n == 1 && t[0] == '?') return NUM_MISSING;
    if (text_is(t, n, "na") || text_is(t, n, "nan") || text_is(t, n, "null") || text_is(t, n, "n/a"))
        return NUM_MISSING;
    if (t[i] == '+' || t[i] == '-') {
        if (t[i] == '-') j[o++] = '-';
        i++;
    }
    while (i < n && t[i] == '0' && i + 1 < n && is_digit(t[i + 1])) i++; /* leading zeros */
    size_t int_digits = 0;
    while (i < n && is_digit(t[i])) j[o++] = t[i++], int_digits++;
    if (!int_digits) j[o++] = '0';
    size_t frac_digits = 0;
    if (i < n && t[i] == '.') {
        i++;
        j[o++] = '.';
        while (i < n && is_digit(t[i])) j[o++] = t[i++], frac_digits++;
        if (!frac_digits) o--; /* "5." */
    }
    if (!int_digits && !frac_digits) return NUM_BAD;
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        j[o++] = t[i++];
        if (i < n && (t[i] == '+' || t[i] == '-')) j[o++] = t[i++];
        size_t e = 0;
        while (i < n && is_digit(t[i])) j[o++] = t[i++], e++;
        if (!e) return NUM_BAD;
    }
    if (i != n) return NUM_BAD;
    return vae_json_parse_float(j, (int)o, out) ? NUM_BAD : NUM_OK;
}

/* ---------------------------------------------------------------- the table */

/* Header names, the columns chosen and the label's place. */
typedef struct {
    int n_fields;
    char **names; /* [n_fields] */
    int *slot;    /* [n_fields]: column of the table, LABEL, or SKIP */
    int cols, label;
} layout;

enum { SKIP = -1, LABEL = -2 };

#define SHOW(s) vae_st_printable((s), (char[44]){0}, 44)

static void layout_free(layout *l) {
    for (int i = 0; l->names && i < l->n_fields; i++) free(l->names[i]);
    free(l->names);
    free(l->slot);
}

static vae_status read_header(cursor *c, layout *l, vae_error *err) {
    int cap = 16;
    l->names = malloc((size_t)cap * sizeof *l->names);
    if (!l->names) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for the header");
    for (field f = {0}; !f.last;) {
        vae_status s = next_field(c, &f, err);
        if (s) return s;
        if (l->n_fields == CSV_MAX_FIELDS)
            return vae_fail(err, VAE_ERR_ARG, "line 1: more than %d columns", CSV_MAX_FIELDS);
        if (l->n_fields == cap) {
            char **more = realloc(l->names, (size_t)(cap *= 2) * sizeof *more);
            if (!more) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for the header");
            l->names = more;
        }
        size_t len;
        char *name = field_dup(&f, &len);
        if (!name) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for the header");
        l->names[l->n_fields++] = name;
        if (strlen(name) != len || !vae_utf8_valid(name, len))
            return vae_fail(err, VAE_ERR_ARG, "line 1, column %d: the name is not UTF-8 text", l->n_fields);
    }
    l->slot = malloc((size_t)l->n_fields * sizeof *l->slot);
    if (!l->slot) return vae_fail(err, VAE_ERR_NOMEM, "out of memory for the header");
    for (int i = 0; i < l->n_fields; i++) l->slot[i] = SKIP;
    return vae_ok(err);
}

/* The header field a name or 1-based number stands for (a name first), or -1. */
static int find_column(const layout *l, const char *want) {
    for (int i = 0; i < l->n_fields; i++)
        if (!strcmp(l->names[i], want)) return i;
    long v = 0;
    for (const char *p = want; *p; p++) {
        if (!is_digit(*p) || v > CSV_MAX_FIELDS) return -1;
        v = v * 10 + (*p - '0');
    }
    return *want && v >= 1 && v <= l->n_fields ? (int)v - 1 : -1;
}

static vae_status unknown_column(const layout *l, const char *want, const char *what, vae_error *err) {
    char list[120];
    size_t pos = 0;
    for (int i = 0; i < l->n_fields && pos < sizeof list; i++)
        vae_append(list, sizeof list, &pos, "%s%s", i ? ", " : "", SHOW(l->names[i]));
    if (pos >= sizeof list) memcpy(list + sizeof list - 4, "...", 4);
    return vae_fail(err, VAE_ERR_ARG, "no %scolumn \"%s\" in the header (%d columns: %s)", what, SHOW(want),
                    l->n_fields, list);
}

/* Which fields become which columns. The default (no columns given) looks
 * at the first record, at `first`. */
static vae_status choose_columns(const cursor *first, const vae_csv_options *o, layout *l, vae_error *err) {
    if (o->label) {
        int k = find_column(l, o->label);
        if (k >= 0)
            l->slot[k] = LABEL, l->label = k;
        else if (!o->label_optional)
            return unknown_column(l, o->label, "label ", err);
    }
    if (o->columns) {
        if (o->n_columns < 1 || o->n_columns > VAE_MAX_DIM)
            return vae_fail(err, VAE_ERR_ARG, "%d columns asked for: 1..%d can be read", o->n_columns, VAE_MAX_DIM);
        for (int j = 0; j < o->n_columns; j++) {
            if (!o->columns[j]) return vae_fail(err, VAE_ERR_ARG, "column %d of the list is NULL", j + 1);
            int k = find_column(l, o->columns[j]);
            if (k < 0) return unknown_column(l, o->columns[j], "", err);
            if (l->slot[k] == LABEL)
                return vae_fail(err, VAE_ERR_ARG, "column %d (\"%s\") is the label column: it cannot be read as data",
                                k + 1, SHOW(l->names[k]));
            if (l->slot[k] >= 0)
                return vae_fail(err, VAE_ERR_ARG, "column %d (\"%s\") is asked for twice", k + 1, SHOW(l->names[k]));
            l->slot[k] = j;
        }
        l->cols = o->n_columns;
    } else {
        cursor c = *first;
        int k = 0;
        for (field f = {0}; !f.last && k < l->n_fields; k++) {
            float v;
            vae_status s = next_field(&c, &f, err);
            if (s) return s;
            if (l->slot[k] == LABEL || !l->names[k][0]) continue;
            if (parse_number(&f, &v) == NUM_OK && l->cols < VAE_MAX_DIM) l->slot[k] = l->cols++;
        }
        if (!l->cols)
            return vae_fail(err, VAE_ERR_ARG, "line %d: no named column holds a number (choose the columns)",
                            first->line);
    }
    /* Column names key the model file's metadata: they must tell the columns apart. */
    for (int a = 0; a < l->n_fields; a++)
        for (int b = a + 1; l->slot[a] >= 0 && b < l->n_fields; b++)
            if (l->slot[b] >= 0 && !strcmp(l->names[a], l->names[b]))
                return vae_fail(err, VAE_ERR_ARG, "columns %d and %d are both named \"%s\"", a + 1, b + 1,
                                SHOW(l->names[a]));
    return vae_ok(err);
}

static vae_status bad_value(const layout *l, int line, int k, const field *f, int kind, vae_error *err) {
    char text[CSV_MAX_NUMBER];
    size_t n = f->len < sizeof text - 1 ? f->len : sizeof text - 1;
    memcpy(text, f->s, n);
    text[n] = '\0';
    if (kind == NUM_MISSING && !f->len)
        return vae_fail(err, VAE_ERR_ARG, "line %d, column %d (\"%s\"): missing value", line, k + 1, SHOW(l->names[k]));
    return vae_fail(err, VAE_ERR_ARG, "line %d, column %d (\"%s\"): %s \"%s\"", line, k + 1, SHOW(l->names[k]),
                    kind == NUM_MISSING ? "missing value" : "not a number:", SHOW(text));
}

/* The records after the header into t (x and labels sized for `cap_rows`). */
static vae_status read_rows(cursor *c, const layout *l, vae_table *t, int cap_rows, vae_error *err) {
    while (!only_blank_lines(c)) {
        int line = c->line, k = 0;
        if (t->rows == cap_rows)
            return vae_fail(err, VAE_ERR_ARG, "line %d: more than %u values", line, CSV_MAX_VALUES);
        if (c->s[c->pos] == '\n' || (c->s[c->pos] == '\r' && c->pos + 1 < c->len && c->s[c->pos + 1] == '\n'))
            return vae_fail(err, VAE_ERR_ARG, "line %d: empty line", line);
        float *row = t->x + (size_t)t->rows * (size_t)t->cols;
        for (field f = {0}; !f.last; k++) {
            vae_status s = next_field(c, &f, err);
            if (s) return s;
            if (k >= l->n_fields || l->slot[k] == SKIP) continue;
            float v;
            int kind = parse_number(&f, &v);
            if (kind != NUM_OK) return bad_value(l, line, k, &f, kind, err);
            if (l->slot[k] >= 0) {
                row[l->slot[k]] = v;
            } else if (v == 0 || v == 1) {
                t->labels[t->rows] = (int)v;
            } else {
                return vae_fail(err, VAE_ERR_ARG,
                                "line %d, column %d (\"%s\"): label %g is not 0 (normal) or 1 (anomaly)", line, k + 1,
                                SHOW(l->names[k]), v);
            }
        }
        if (k != l->n_fields)
            return vae_fail(err, VAE_ERR_ARG, "line %d: %d fields, the header has %d", line, k, l->n_fields);
        t->rows++;
    }
    if (!t->rows) return vae_fail(err, VAE_ERR_ARG, "no data rows after the header");
    return vae_ok(err);
}

vae_status vae_csv_parse(const char *text, size_t len, const vae_csv_options *o, vae_table *t, vae_error *err) {
    if (!t) return vae_fail(err, VAE_ERR_ARG, "NULL table");
    memset(t, 0, sizeof *t);
    if (!o || (!text && len)) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) text += 3, len -= 3;
    cursor c = {text, len, 0, 1, o->delimiter};
    if (only_blank_lines(&c)) return vae_fail(err, VAE_ERR_ARG, "the file is empty");
    if (o->delimiter != 0 && o->delimiter != ',' && o->delimiter != '\t')
        return vae_fail(err, VAE_ERR_ARG, "the delimiter must be a comma or a tab");
    if (!c.delim) {
        size_t tabs = 0, commas = 0;
        for (size_t i = 0; i < len && text[i] != '\n'; i++) tabs += text[i] == '\t', commas += text[i] == ',';
        c.delim = tabs > commas ? '\t' : ',';
    }
    layout l = {0};
    l.label = -1;
    vae_status s = read_header(&c, &l, err);
    if (!s && only_blank_lines(&c)) s = vae_fail(err, VAE_ERR_ARG, "no data rows after the header");
    if (!s) s = choose_columns(&c, o, &l, err);
    t->cols = l.cols;
    /* A row takes a line of at least n_fields bytes (its delimiters and line
     * end), so the buffers grow with the text, whatever it holds. */
    size_t cap_rows = s ? 0 : (len - c.pos) / (size_t)l.n_fields + 1;
    if (cap_rows > 0x7fffffff) cap_rows = 0x7fffffff;
    if (!s && cap_rows * (size_t)t->cols > CSV_MAX_VALUES) cap_rows = CSV_MAX_VALUES / (size_t)t->cols;
    if (!s) {
        t->x = malloc(cap_rows * (size_t)t->cols * sizeof *t->x);
        t->labels = l.label >= 0 ? malloc(cap_rows * sizeof *t->labels) : NULL;
        t->names = calloc((size_t)t->cols, sizeof *t->names);
        if (!t->x || !t->names || (l.label >= 0 && !t->labels)) s = vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    }
    if (!s) s = read_rows(&c, &l, t, (int)cap_rows, err);
    for (int k = 0; !s && k < l.n_fields; k++)
        if (l.slot[k] >= 0) t->names[l.slot[k]] = l.names[k], l.names[k] = NULL;
    layout_free(&l);
    if (s) {
        vae_table_free(t);
        return s;
    }
    float *fit = realloc(t->x, (size_t)t->rows * (size_t)t->cols * sizeof *fit);
    if (fit) t->x = fit;
    return vae_ok(err);
}

static void free_names(char **names, int n) {
    for (int i = 0; names && i < n; i++) free(names[i]);
    free(names);
}

void vae_table_free(vae_table *t) {
    if (!t) return;
    free(t->x);
    free(t->labels);
    free_names(t->names, t->cols);
    memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------------- the spec */

void vae_table_spec_free(vae_table_spec *s) {
    if (!s) return;
    free_names(s->names, s->cols);
    free(s->mean);
    free(s->std);
    free(s->step);
    free(s->label);
    memset(s, 0, sizeof *s);
}

static char *str_dup(const char *s) {
    char *d = malloc(strlen(s) + 1);
    if (d) strcpy(d, s);
    return d;
}

/* Room for the spec's arrays and names; s->cols set. */
static vae_status spec_alloc(vae_table_spec *s, int cols, vae_error *err) {
    s->cols = cols;
    s->names = calloc((size_t)cols, sizeof *s->names);
    s->mean = malloc((size_t)cols * sizeof *s->mean);
    s->std = malloc((size_t)cols * sizeof *s->std);
    s->step = calloc((size_t)cols, sizeof *s->step);
    if (!s->names || !s->mean || !s->std || !s->step) {
        vae_table_spec_free(s);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    }
    return vae_ok(err);
}

static vae_status check_window(int window, int rows, vae_error *err) {
    if (window < 0 || window > VAE_MAX_DIM)
        return vae_fail(err, VAE_ERR_ARG, "window %d must be 0..%d", window, VAE_MAX_DIM);
    if (window > rows)
        return vae_fail(err, VAE_ERR_ARG, "a window of %d rows is longer than the %d rows", window, rows);
    return vae_ok(err);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The smallest gap between distinct values of v[n] (sorts v). */
static float smallest_gap(float *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_float);
    float gap = INFINITY;
    for (int i = 1; i < n; i++)
        if (v[i] > v[i - 1] && v[i] - v[i - 1] < gap) gap = v[i] - v[i - 1];
    return gap;
}

vae_status vae_table_spec_fit(vae_table_spec *s, const vae_table *t, int window, vae_error *err) {
    if (!s) return vae_fail(err, VAE_ERR_ARG, "NULL spec");
    memset(s, 0, sizeof *s);
    if (!t || !t->x || t->cols < 1 || t->rows < 1) return vae_fail(err, VAE_ERR_ARG, "empty table");
    vae_status st = check_window(window, t->rows, err);
    if (st) return st;
    if ((long long)t->cols * (window ? window : 1) > VAE_MAX_DIM)
        return vae_fail(err, VAE_ERR_ARG, "%d columns in windows of %d make inputs over %d values", t->cols, window,
                        VAE_MAX_DIM);
    if ((st = spec_alloc(s, t->cols, err))) return st;
    s->window = window;
    s->spread = VAE_TABLE_SPREAD;
    float *column = malloc((size_t)t->rows * sizeof *column);
    if (!column) {
        vae_table_spec_free(s);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    }
    for (int j = 0; j < t->cols; j++) {
        double sum = 0, sq = 0, first = 0;
        int n = 0, varies = 0;
        for (int i = 0; i < t->rows; i++) {
            if (t->labels && t->labels[i]) continue;
            double v = column[n] = t->x[(size_t)i * t->cols + j];
            if (!n) first = v;
            varies |= v != first;
            sum += v, n++;
        }
        double mean = n ? sum / n : 0;
        for (int i = 0; i < t->rows; i++)
            if (!t->labels || !t->labels[i])
                sq += (t->x[(size_t)i * t->cols + j] - mean) * (t->x[(size_t)i * t->cols + j] - mean);
        float sd = n ? (float)sqrt(sq / n) : 0, inv = 1.0f / (VAE_TABLE_SPREAD * sd);
        if (!n || !varies || !(sd > 0) || sd - sd != 0 || inv - inv != 0) {
            const char *name = t->names ? t->names[j] : "";
            vae_table_spec_free(s);
            free(column);
            if (!n) return vae_fail(err, VAE_ERR_ARG, "no row is labelled normal (0): nothing to learn from");
            return vae_fail(err, VAE_ERR_ARG,
                            "column \"%s\" is constant (%g in every %srow): it cannot be standardised", SHOW(name),
                            first, t->labels ? "normal " : "");
        }
        s->mean[j] = (float)mean;
        s->std[j] = sd;
        s->step[j] = smallest_gap(column, n);
        if (!(s->names[j] = str_dup(t->names ? t->names[j] : ""))) {
            vae_table_spec_free(s);
            free(column);
            return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
        }
    }
    free(column);
    return vae_ok(err);
}

static void put_floats(char *buf, size_t cap, size_t *pos, const float *v, int n) {
    for (int i = 0; i < n; i++) {
        vae_append(buf, cap, pos, i ? "," : "[");
        vae_json_put_float(buf, cap, pos, v[i]);
    }
    vae_append(buf, cap, pos, "]");
}

vae_status vae_table_spec_to_json(const vae_table_spec *s, char **json, vae_error *err) {
    if (!s || !json || s->cols < 1 || !s->names || !s->mean || !s->std) return vae_fail(err, VAE_ERR_ARG, "empty spec");
    *json = NULL;
    /* Escaped strings take at most 6 bytes a byte, a float with its comma 17. */
    size_t cap = 128 + (s->label ? 6 * strlen(s->label) : 0);
    for (int j = 0; j < s->cols; j++) cap += 6 * strlen(s->names[j]) + 4 + 3 * 20;
    char *buf = malloc(cap);
    if (!buf) return vae_fail(err, VAE_ERR_NOMEM, "out of memory");
    size_t pos = 0;
    vae_append(buf, cap, &pos, "{\"columns\":[");
    for (int j = 0; j < s->cols; j++) {
        if (j) vae_append(buf, cap, &pos, ",");
        vae_json_put_string(buf, cap, &pos, s->names[j]);
    }
    vae_append(buf, cap, &pos, "],\"mean\":");
    put_floats(buf, cap, &pos, s->mean, s->cols);
    vae_append(buf, cap, &pos, ",\"std\":");
    put_floats(buf, cap, &pos, s->std, s->cols);
    vae_append(buf, cap, &pos, ",\"step\":");
    put_floats(buf, cap, &pos, s->step, s->cols);
    vae_append(buf, cap, &pos, ",\"spread\":");
    vae_json_put_float(buf, cap, &pos, s->spread);
    vae_append(buf, cap, &pos, ",\"window\":%d", s->window);
    if (s->label) {
        vae_append(buf, cap, &pos, ",\"label\":");
        vae_json_put_string(buf, cap, &pos, s->label);
    }
    vae_append(buf, cap, &pos, "}");
    if (pos >= cap) {
        free(buf);
        return vae_fail(err, VAE_ERR_ARG, "table spec JSON does not fit in %zu bytes", cap);
    }
    *json = buf;
    return vae_ok(err);
}

/* Array v of n floats (positive ones if positive) into dst; 0 on success. */
static int get_floats(const vae_json *j, int v, int n, float *dst, int positive) {
    if (v < 0 || vae_json_kind_of(j, v) != VAE_JSON_ARRAY || vae_json_count(j, v) != n) return -1;
    for (int i = 0, e = vae_json_first(j, v); i < n; i++, e = vae_json_next(j, e))
        if (vae_json_float(j, e, &dst[i]) || (positive && !(dst[i] > 0))) return -1;
    return 0;
}

static int member(const vae_json *j, const char *key) {
    if (vae_json_kind_of(j, 0) != VAE_JSON_OBJECT) return -1;
    for (int k = vae_json_first(j, 0), c = 0; c < vae_json_count(j, 0); c++, k = vae_json_next(j, k))
        if (vae_json_string_eq(j, k, key)) return k + 1;
    return -1;
}

/* A string value as a malloc'd copy, or NULL. */
static char *get_string(const vae_json *j, int v) {
    for (size_t cap = 64; cap <= ((size_t)1 << 20); cap *= 4) {
        char *buf = malloc(cap);
        if (!buf) return NULL;
        if (vae_json_string(j, v, buf, cap) >= 0) return buf;
        free(buf);
    }
    return NULL;
}

static vae_status spec_from_json(vae_table_spec *s, const vae_json *j, vae_error *err) {
#define BAD(what) vae_fail(err, VAE_ERR_METADATA, "table metadata: " what)
    int cols = member(j, "columns");
    if (cols < 0 || vae_json_kind_of(j, cols) != VAE_JSON_ARRAY || vae_json_count(j, cols) < 1 ||
        vae_json_count(j, cols) > VAE_MAX_DIM)
        return BAD("\"columns\" must be a list of 1 to 65536 names");
    vae_status st = spec_alloc(s, vae_json_count(j, cols), err);
    if (st) return st;
    for (int i = 0, e = vae_json_first(j, cols); i < s->cols; i++, e = vae_json_next(j, e))
        if (!(s->names[i] = get_string(j, e))) return BAD("a column name is not a string");
    uint64_t w;
    int wv = member(j, "window");
    if (get_floats(j, member(j, "mean"), s->cols, s->mean, 0) || get_floats(j, member(j, "std"), s->cols, s->std, 1))
        return BAD("\"mean\" and \"std\" must list a number (std: positive) per column");
    /* "step" came with the dequantising noise: older files train without it */
    int sv = member(j, "step");
    if (sv >= 0 && get_floats(j, sv, s->cols, s->step, 1))
        return BAD("\"step\" must list a positive number per column");
    if (vae_json_float(j, member(j, "spread"), &s->spread) || !(s->spread > 0))
        return BAD("\"spread\" must be a positive number");
    if (wv < 0 || vae_json_uint(j, wv, VAE_MAX_DIM, &w) || (long long)s->cols * (w ? (long long)w : 1) > VAE_MAX_DIM)
        return BAD("\"window\" must be an integer, with window * columns <= 65536");
    s->window = (int)w;
    int lv = member(j, "label");
    if (lv >= 0 && !(s->label = get_string(j, lv))) return BAD("\"label\" must be a string");
#undef BAD
    return vae_ok(err);
}

vae_status vae_table_spec_parse(vae_table_spec *s, const char *json, size_t len, vae_error *err) {
    if (!s) return vae_fail(err, VAE_ERR_ARG, "NULL spec");
    memset(s, 0, sizeof *s);
    vae_json *j = NULL;
    vae_status st = vae_json_parse(&j, json, len, VAE_ERR_METADATA, "table metadata", err);
    if (!st) st = spec_from_json(s, j, err);
    vae_json_free(j);
    if (st) vae_table_spec_free(s);
    return st;
}

vae_status vae_table_spec_load(vae_table_spec *s, const uint8_t *file, size_t len, vae_error *err) {
    if (!s) return vae_fail(err, VAE_ERR_ARG, "NULL spec");
    memset(s, 0, sizeof *s);
    vae_st_file f;
    vae_status st = vae_st_parse(&f, file, len, err);
    if (st) return st;
    const char *meta = vae_st_meta(&f, VAE_TABLE_KEY);
    if (!meta)
        st = vae_fail(err, VAE_ERR_METADATA, "the model has no table metadata (%s): it was not trained on a table",
                      VAE_TABLE_KEY);
    else
        st = vae_table_spec_parse(s, meta, strlen(meta), err);
    vae_st_free(&f);
    return st;
}

/* ---------------------------------------------------------------- inputs and scores */

vae_status vae_table_inputs(const vae_table_spec *s, const vae_table *t, float **x, int **labels, int *n,
                            vae_error *err) {
    if (!s || !t || !x || !n || !t->x) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    *x = NULL;
    if (labels) *labels = NULL;
    if (t->cols != s->cols)
        return vae_fail(err, VAE_ERR_ARG, "the table has %d columns, the spec %d", t->cols, s->cols);
    vae_status st = check_window(s->window, t->rows, err);
    if (st) return st;
    int w = s->window ? s->window : 1, count = t->rows - w + 1;
    size_t D = (size_t)w * (size_t)s->cols;
    float *out = malloc((size_t)count * D * sizeof *out);
    int *lab = labels && t->labels ? malloc((size_t)count * sizeof *lab) : NULL;
    if (!out || (labels && t->labels && !lab)) {
        free(out);
        free(lab);
        return vae_fail(err, VAE_ERR_NOMEM, "out of memory for %d inputs of %zu values", count, D);
    }
    /* Window i is rows i..i+w-1, each row's values in column order. */
    for (int i = 0; i < count; i++) {
        const float *src = t->x + (size_t)i * s->cols;
        for (size_t d = 0; d < D; d++) {
            int j = (int)(d % (size_t)s->cols);
            out[(size_t)i * D + d] = 0.5f + (src[d] - s->mean[j]) / (s->spread * s->std[j]);
        }
        if (lab) {
            lab[i] = 0;
            for (int r = i; r < i + w; r++) lab[i] |= t->labels[r];
        }
    }
    *x = out;
    if (labels) *labels = lab;
    *n = count;
    return vae_ok(err);
}

vae_status vae_table_dequant(const vae_table_spec *s, float *width, vae_error *err) {
    if (!s || !width || !s->step) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    size_t D = (size_t)(s->window ? s->window : 1) * (size_t)s->cols;
    for (size_t d = 0; d < D; d++) {
        int j = (int)(d % (size_t)s->cols);
        width[d] = s->step[j] / (s->spread * s->std[j]);
    }
    return vae_ok(err);
}

vae_status vae_table_point_scores(const vae_table_spec *s, const float *scores, int n, float *points, vae_error *err) {
    if (!s || !scores || !points || n < 1) return vae_fail(err, VAE_ERR_ARG, "NULL argument or no scores");
    int w = s->window ? s->window : 1;
    /* Point p is covered by windows max(0, p-w+1) .. min(p, n-1): a running sum over them. */
    double sum = 0;
    for (int p = 0; p < n + w - 1; p++) {
        if (p < n) sum += scores[p];
        if (p - w >= 0) sum -= scores[p - w];
        int lo = p - w + 1 > 0 ? p - w + 1 : 0, hi = p < n - 1 ? p : n - 1;
        points[p] = (float)(sum / (hi - lo + 1));
    }
    return vae_ok(err);
}
