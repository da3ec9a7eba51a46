/* File reading (with gunzip), atomic writing and model loading. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "cli.h"
#include "formats/safetensors.h"

uint8_t *cli_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) cli_die(EXIT_RUNTIME, "cannot open %s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = cli_alloc(cap, 1);
    for (;;) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        buf = realloc(buf, cap *= 2);
        if (!buf) cli_die(EXIT_RUNTIME, "%s: out of memory", path);
    }
    if (ferror(f)) cli_die(EXIT_RUNTIME, "cannot read %s: %s", path, strerror(errno));
    fclose(f);
    *len = n;
    return buf;
}

/* Inflates every gzip member in `in` (gzip allows concatenation). */
static uint8_t *gunzip(const char *path, const uint8_t *in, size_t in_len, size_t *out_len) {
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) cli_die(EXIT_RUNTIME, "%s: cannot start zlib", path);
    size_t cap = in_len * 4 + 1024, n = 0;
    uint8_t *out = cli_alloc(cap, 1);
    zs.next_in = (Bytef *)in;
    for (;;) {
        if (n == cap) {
            out = realloc(out, cap *= 2);
            if (!out) cli_die(EXIT_RUNTIME, "%s: out of memory", path);
        }
        /* zlib counts in uInt: feed at most 1 GB at a time. */
        size_t in_left = (size_t)(in + in_len - zs.next_in), out_left = cap - n;
        zs.avail_in = (uInt)(in_left < (1u << 30) ? in_left : (1u << 30));
        zs.avail_out = (uInt)(out_left < (1u << 30) ? out_left : (1u << 30));
        zs.next_out = out + n;
        uInt before = zs.avail_out;
        int rc = inflate(&zs, Z_NO_FLUSH);
        n += before - zs.avail_out;
        if (rc == Z_STREAM_END) {
            if (zs.next_in == in + in_len) break;
            inflateReset(&zs);
        } else if (rc == Z_BUF_ERROR && n < cap) {
            cli_die(EXIT_RUNTIME, "%s: truncated gzip data", path);
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
            cli_die(EXIT_RUNTIME, "%s: corrupt gzip data (%s)", path, zs.msg ? zs.msg : zError(rc));
        }
    }
    inflateEnd(&zs);
    *out_len = n;
    return out;
}

uint8_t *cli_read_maybe_gz(const char *path, size_t *len) {
    uint8_t *raw = cli_read_file(path, len);
    if (*len < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
    uint8_t *out = gunzip(path, raw, *len, len);
    free(raw);
    return out;
}

static _Noreturn void write_failed(const char *tmp, const char *path, int fd) {
    int e = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    cli_die(EXIT_RUNTIME, "cannot write %s: %s", path, strerror(e));
}

/* Writes to what path already is, for a device or a pipe (/dev/stdout, a
 * FIFO): a rename would replace it with a regular file (/dev/null, as root). */
static void write_in_place(const char *path, const void *buf, size_t len) {
    int fd = open(path, O_WRONLY);
    if (fd < 0) write_failed("", path, -1);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const uint8_t *)buf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) write_failed("", path, fd);
        off += (size_t)w;
    }
    if (close(fd) != 0) write_failed("", path, -1);
}

void cli_write_atomic(const char *path, const void *buf, size_t len) {
    cli_check_interrupt();
    struct stat st;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        write_in_place(path, buf, len);
        return;
    }
    size_t tmp_len = strlen(path) + 32;
    char *tmp = cli_alloc(tmp_len, 1);
    snprintf(tmp, tmp_len, "%s.tmp-%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0) write_failed(tmp, path, -1);
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const uint8_t *)buf + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) write_failed(tmp, path, fd);
        off += (size_t)w;
    }
    if (fsync(fd) != 0) write_failed(tmp, path, fd);
    if (close(fd) != 0) write_failed(tmp, path, -1);
    /* The last moment to honour Ctrl-C: after the rename the file is there. */
    if (cli_signal) {
        unlink(tmp);
        cli_check_interrupt();
    }
    if (rename(tmp, path) != 0) write_failed(tmp, path, -1);
    free(tmp);
}

void cli_check_writable(const char *path) {
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) cli_die(EXIT_RUNTIME, "cannot write %s: it is a directory", path);
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) { /* a device or a pipe: written in place */
        if (access(path, W_OK) != 0) cli_die(EXIT_RUNTIME, "cannot write %s: %s", path, strerror(errno));
        return;
    }
    const char *slash = strrchr(path, '/');
    char *dir = cli_alloc(strlen(path) + 2, 1);
    if (slash)
        memcpy(dir, path, (size_t)(slash - path) + 1);
    else
        dir[0] = '.';
    if (access(dir, W_OK) != 0) cli_die(EXIT_RUNTIME, "cannot write %s: %s", path, strerror(errno));
    free(dir);
}

vae_model *cli_load_model(const char *path) {
    size_t len;
    uint8_t *buf = cli_read_file(path, &len);
    vae_model *m = NULL;
    vae_error err;
    if (vae_model_load(&m, buf, len, &err) != VAE_OK) cli_die_lib(path, &err);
    free(buf);
    return m;
}

void cli_write_model(const char *path, uint8_t *buf, size_t len, const char *dtype, int quiet) {
    cli_write_atomic(path, buf, len);
    if (!quiet) {
        char size[32];
        printf("wrote %s (%s, %s)\n", path, dtype, cli_fmt_bytes(size, len));
    }
    vae_buffer_free(buf);
}

uint8_t *cli_read_meta(const char *path, size_t *len, vae_st_file *meta) {
    uint8_t *buf = cli_read_file(path, len);
    vae_error err;
    if (meta && vae_st_parse(meta, buf, *len, &err)) cli_die_lib(path, &err);
    if (meta) meta->data = NULL; /* buf goes before meta; the metadata strings are meta's own */
    return buf;
}
