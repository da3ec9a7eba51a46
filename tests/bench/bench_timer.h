/* Timing shared by the native benchmarks. Machines are shared and noisy, so
 * a figure is the median of several repetitions, each repeating the call
 * until it lasts at least 20 ms (calibrated once, untimed). */
#ifndef BENCH_TIMER_H
#define BENCH_TIMER_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define BENCH_MAX_REPS 64

static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds per call of fn(arg) over reps (<= BENCH_MAX_REPS) repetitions. */
static inline double bench_seconds_per_call(void (*fn)(void *), void *arg, int reps) {
    int calls = 1;
    for (;;) {
        double t0 = bench_now();
        for (int i = 0; i < calls; i++) fn(arg);
        if (bench_now() - t0 >= 0.02 || calls >= 1 << 20) break;
        calls *= 2;
    }
    double t[BENCH_MAX_REPS];
    if (reps > BENCH_MAX_REPS) reps = BENCH_MAX_REPS;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        for (int i = 0; i < calls; i++) fn(arg);
        t[r] = (bench_now() - t0) / calls;
    }
    qsort(t, (size_t)reps, sizeof *t, bench_cmp_double);
    return t[reps / 2];
}

/* The process's CPU seconds (a --serve benchmark's figure: on a shared
 * machine, time spent preempted would swamp the wall clock). */
static inline double bench_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The file's bytes, NUL-terminated, *len without the NUL; NULL if unreadable. */
static inline char *bench_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    if (size < 0 || fseek(f, 0, SEEK_SET) || !(buf = malloc((size_t)size + 1)) ||
        fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[size] = '\0';
    *len = (size_t)size;
    return buf;
}

#endif
