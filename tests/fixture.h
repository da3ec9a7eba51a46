/* PyTorch fixtures (tools/make_golden*.py): records of a u32 name
 * length, the name, a u32 count and that many little-endian float32 values,
 * and the comparison every golden test prints. Include after check.h. */
#ifndef VAE_TEST_FIXTURE_H
#define VAE_TEST_FIXTURE_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char name[96];
    uint32_t n;
    float *v;
} fixture_record;

typedef struct {
    fixture_record r[128];
    int n;
} fixture;

static int fixture_u32(FILE *f, uint32_t *v) {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) return 0;
    *v = b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
    return 1;
}

/* Reads every record; returns how many (0 if the file is missing). */
static int fixture_load(const char *path, fixture *fx) {
    FILE *f = fopen(path, "rb");
    uint32_t len;
    fx->n = 0;
    if (!f) return 0;
    while (fx->n < 128 && fixture_u32(f, &len)) {
        fixture_record *r = &fx->r[fx->n];
        if (len >= sizeof r->name || fread(r->name, 1, len, f) != len || !fixture_u32(f, &r->n)) break;
        r->name[len] = '\0';
        r->v = malloc((r->n ? r->n : 1) * sizeof(float));
        if (!r->v) break;
        if (fread(r->v, sizeof(float), r->n, f) != r->n) { /* the fixtures are little-endian like us */
            free(r->v);
            break;
        }
        fx->n++;
    }
    fclose(f);
    return fx->n;
}

static void fixture_free(fixture *fx) {
    for (int i = 0; i < fx->n; i++) free(fx->r[i].v);
    fx->n = 0;
}

static const fixture_record *fixture_find(const fixture *fx, const char *name) {
    for (int i = 0; i < fx->n; i++)
        if (!strcmp(fx->r[i].name, name)) return &fx->r[i];
    CHECK(0, "fixture has no record %s", name);
    return NULL;
}

/* The record's values if it holds `want` of them, else NULL (and a failed check). */
static const float *fixture_get(const fixture *fx, const char *name, size_t want) {
    const fixture_record *r = fixture_find(fx, name);
    if (!r) return NULL;
    CHECK(r->n == want, "record %s has %u values, want %zu", name, r->n, want);
    return r->n == want ? r->v : NULL;
}

/* max |got - ref| / max |ref|, printed, checked against tol (skipped if ref is NULL). */
static void fixture_compare(const char *what, const float *got, const float *ref, size_t n, double tol) {
    if (!ref) return;
    double diff = 0.0, mag = 0.0;
    for (size_t i = 0; i < n; i++) {
        diff = fmax(diff, fabs((double)got[i] - ref[i]));
        mag = fmax(mag, fabs((double)ref[i]));
    }
    double rel = diff / (mag > 0.0 ? mag : 1.0);
    printf("  %-32s max diff %.3e  relative %.3e\n", what, diff, rel);
    CHECK(rel <= tol, "%s: relative difference %.3e above %.0e", what, rel, tol);
}
#endif
