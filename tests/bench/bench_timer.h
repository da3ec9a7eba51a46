/* Timing shared by the native benchmarks. Machines are shared and noisy, so
 * a figure is the median of several repetitions, each repeating the call
 * until it lasts at least 20 ms (calibrated once, untimed). */
#ifndef BENCH_TIMER_H
#define BENCH_TIMER_H

#include <stdlib.h>
#include <time.h>

#define BENCH_MAX_REPS 64

static double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int bench_cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median seconds per call of fn(arg) over reps (<= BENCH_MAX_REPS) repetitions. */
static double bench_seconds_per_call(void (*fn)(void *), void *arg, int reps) {
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

#endif
