/* Table-driven --option parsing and the generated per-command help. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void cli_usage_error(const cli_cmd *cmd, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cli_die(EXIT_USAGE, "%s: %s (see 'vae %s --help')", cmd->name, msg, cmd->name);
}

static void range_error(const cli_cmd *cmd, const cli_opt *o, const char *value) {
    if (o->hi >= 1e6) cli_usage_error(cmd, "--%s must be at least %g, got '%s'", o->name, o->lo, value);
    cli_usage_error(cmd, "--%s must be between %g and %g, got '%s'", o->name, o->lo, o->hi, value);
}

/* Strict integer: the whole string, no overflow. */
static int parse_long(const char *s, long long *out) {
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return *s && !*end && errno == 0;
}

int cli_parse_ints(const char *s, cli_ints *out, double lo, double hi) {
    out->n = 0;
    for (const char *p = s;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[32];
        long long v;
        if (out->n == VAE_MAX_LAYERS || len == 0 || len >= sizeof item) return 0;
        memcpy(item, p, len);
        item[len] = '\0';
        if (!parse_long(item, &v) || v < lo || v > hi) return 0;
        out->v[out->n++] = (int)v;
        if (!comma) return 1;
        p = comma + 1;
    }
}

static void set_value(const cli_cmd *cmd, cli_opt *o, const char *v) {
    long long i;
    switch (o->kind) {
    case OPT_STR:
        if (!*v) cli_usage_error(cmd, "--%s needs a non-empty value", o->name);
        *(const char **)o->dst = v;
        break;
    case OPT_INT:
        if (!parse_long(v, &i)) cli_usage_error(cmd, "--%s expects an integer, got '%s'", o->name, v);
        if (i < o->lo || i > o->hi) range_error(cmd, o, v);
        *(int *)o->dst = (int)i;
        break;
    case OPT_U64: {
        char *end;
        errno = 0;
        unsigned long long u = strtoull(v, &end, 10);
        if (*v < '0' || *v > '9' || *end || errno)
            cli_usage_error(cmd, "--%s expects a non-negative integer, got '%s'", o->name, v);
        *(uint64_t *)o->dst = u;
        break;
    }
    case OPT_FLOAT: {
        char *end;
        double d = strtod(v, &end);
        if (!*v || *end || !isfinite(d)) cli_usage_error(cmd, "--%s expects a number, got '%s'", o->name, v);
        if (d < o->lo || d > o->hi) range_error(cmd, o, v);
        *(float *)o->dst = (float)d;
        break;
    }
    case OPT_INTS:
        if (!cli_parse_ints(v, o->dst, o->lo, o->hi))
            cli_usage_error(cmd, "--%s expects 1 to %d comma-separated integers in [%g, %g], got '%s'", o->name,
                            VAE_MAX_LAYERS, o->lo, o->hi, v);
        break;
    case OPT_CHOICE: {
        char list[256] = "";
        for (int c = 0; o->choices[c]; c++) {
            if (!strcmp(v, o->choices[c])) {
                *(int *)o->dst = c;
                return;
            }
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", c ? ", " : "", o->choices[c]);
        }
        cli_usage_error(cmd, "--%s must be one of %s, got '%s'", o->name, list, v);
    }
    case OPT_FLAG: *(int *)o->dst = 1; break;
    }
}

/* The value an option holds before parsing, for the help; "" when none. */
static const char *default_text(const cli_opt *o, char *buf, size_t size) {
    buf[0] = '\0';
    switch (o->kind) {
    case OPT_STR:
        if (*(const char **)o->dst) snprintf(buf, size, "%s", *(const char **)o->dst);
        break;
    case OPT_INT:
        if (*(int *)o->dst >= o->lo && *(int *)o->dst <= o->hi) snprintf(buf, size, "%d", *(int *)o->dst);
        break;
    case OPT_U64: snprintf(buf, size, "%llu", (unsigned long long)*(uint64_t *)o->dst); break;
    case OPT_FLOAT:
        if (*(float *)o->dst >= o->lo && *(float *)o->dst <= o->hi) snprintf(buf, size, "%g", *(float *)o->dst);
        break;
    case OPT_CHOICE: snprintf(buf, size, "%s", o->choices[*(int *)o->dst]); break;
    case OPT_INTS: {
        const cli_ints *l = o->dst;
        for (int i = 0; i < l->n; i++) snprintf(buf + strlen(buf), size - strlen(buf), "%s%d", i ? "," : "", l->v[i]);
        break;
    }
    case OPT_FLAG: break;
    }
    return buf;
}

static void print_help(const cli_cmd *cmd) {
    printf("usage: vae %s %s\n\n%s\n\noptions:\n", cmd->name, cmd->synopsis, cmd->about);
    int width = 0;
    for (int i = 0; i < cmd->n_opts; i++) {
        const cli_opt *o = &cmd->opts[i];
        int w = (int)strlen(o->name) + 2 + (o->kind == OPT_FLAG ? 0 : 1 + (int)strlen(o->meta));
        if (w > width) width = w;
    }
    for (int i = 0; i < cmd->n_opts; i++) {
        const cli_opt *o = &cmd->opts[i];
        char opt[128], def[128];
        snprintf(opt, sizeof opt, "--%s%s%s", o->name, o->kind == OPT_FLAG ? "" : " ",
                 o->kind == OPT_FLAG ? "" : o->meta);
        default_text(o, def, sizeof def);
        printf("  %-*s  %s%s%s%s\n", width, opt, o->help, *def ? " (default: " : "", def, *def ? ")" : "");
    }
    printf("  %-*s  %s\n", width, "--help", "print this help");
}

void cli_parse(cli_cmd *cmd, int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_help(cmd);
            exit(0);
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0) cli_usage_error(cmd, "unexpected argument '%s'", arg);
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        cli_opt *o = NULL;
        for (int k = 0; k < cmd->n_opts && !o; k++)
            if (strlen(cmd->opts[k].name) == len && !strncmp(cmd->opts[k].name, name, len)) o = &cmd->opts[k];
        if (!o) cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name);
        const char *value = NULL;
        if (o->kind == OPT_FLAG) {
            if (eq) cli_usage_error(cmd, "--%s takes no value", o->name);
        } else if (eq) {
            value = eq + 1;
        } else if (i + 1 < argc && strncmp(argv[i + 1], "--", 2) != 0) {
            value = argv[++i];
        } else {
            cli_usage_error(cmd, "--%s needs a value", o->name);
        }
        set_value(cmd, o, value);
        o->given = 1;
    }
}

static const cli_opt *find(const cli_cmd *cmd, const char *name) {
    for (int i = 0; i < cmd->n_opts; i++)
        if (!strcmp(cmd->opts[i].name, name)) return &cmd->opts[i];
    return NULL;
}

int cli_given(const cli_cmd *cmd, const char *name) {
    const cli_opt *o = find(cmd, name);
    return o && o->given;
}

void cli_require(const cli_cmd *cmd, const char *name) {
    if (!cli_given(cmd, name)) cli_usage_error(cmd, "--%s is required", name);
}
