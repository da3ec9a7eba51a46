/* Errors, signals, progress line, allocation and number formatting. */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

volatile sig_atomic_t cli_signal = 0;
static int progress_shown = 0;

void cli_progress(const char *fmt, ...) {
    static int tty = -1;
    if (tty < 0) tty = isatty(STDERR_FILENO);
    if (!tty) return;
    va_list ap;
    va_start(ap, fmt);
    fputc('\r', stderr);
    vfprintf(stderr, fmt, ap);
    fputs("\033[K", stderr); /* erase what a longer previous line left */
    va_end(ap);
    fflush(stderr);
    progress_shown = 1;
}

void cli_progress_clear(void) {
    if (!progress_shown) return;
    fputs("\r\033[K", stderr);
    fflush(stderr);
    progress_shown = 0;
}

void cli_die(int status, const char *fmt, ...) {
    cli_progress_clear();
    fflush(stdout);
    va_list ap;
    va_start(ap, fmt);
    fputs("vae: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(status);
}

void cli_die_lib(const char *what, const vae_error *e) {
    cli_die(EXIT_RUNTIME, "%s: %s", what, e->msg[0] ? e->msg : vae_status_name(e->code));
}

static void on_signal(int sig) { cli_signal = sig; }

/* Installed unconditionally (also where a non-interactive shell ignores
 * SIGINT for background jobs) so `kill -INT` always stops training cleanly. */
void cli_install_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void cli_check_interrupt(void) {
    if (cli_signal) cli_die(128 + cli_signal, "interrupted, nothing written");
}

void *cli_alloc(size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) cli_die(EXIT_RUNTIME, "out of memory (%zu x %zu bytes)", count, size);
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) cli_die(EXIT_RUNTIME, "out of memory (%zu x %zu bytes)", count, size);
    return p;
}

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

const char *cli_basename(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const char *cli_fmt_duration(char *buf, double s) {
    if (s < 0 || s != s) s = 0;
    if (s > 0 && s < 1)
        snprintf(buf, 32, "%.0f ms", 1e3 * s);
    else if (s < 60)
        snprintf(buf, 32, "%.1f s", s);
    else if (s < 3600)
        snprintf(buf, 32, "%dm %02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, 32, "%dh %02dm", (int)(s / 3600), (int)(s / 60) % 60);
    return buf;
}

const char *cli_fmt_count(char *buf, uint64_t n) {
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i && (len - i) % 3 == 0) buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

const char *cli_fmt_bytes(char *buf, uint64_t n) {
    if (n < 1000)
        snprintf(buf, 32, "%llu bytes", (unsigned long long)n);
    else if (n < 1000000)
        snprintf(buf, 32, "%.1f kB", n / 1e3);
    else if (n < 1000000000)
        snprintf(buf, 32, "%.1f MB", n / 1e6);
    else
        snprintf(buf, 32, "%.2f GB", n / 1e9);
    return buf;
}
