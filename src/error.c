#include <stdarg.h>
#include <stdio.h>

#include "internal.h"

vae_status vae_fail(vae_error *err, vae_status code, const char *fmt, ...) {
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

vae_status vae_ok(vae_error *err) {
    if (err) {
        err->code = VAE_OK;
        err->msg[0] = '\0';
    }
    return VAE_OK;
}

const char *vae_status_name(vae_status s) {
    static const char *const names[] = {
        "VAE_OK",          "VAE_ERR_ARG",     "VAE_ERR_NOMEM",   "VAE_ERR_IO",       "VAE_ERR_TRUNCATED",
        "VAE_ERR_HEADER_SIZE", "VAE_ERR_JSON", "VAE_ERR_DTYPE",  "VAE_ERR_OFFSETS",  "VAE_ERR_LAYOUT",
        "VAE_ERR_SHAPE",   "VAE_ERR_MISSING", "VAE_ERR_UNKNOWN", "VAE_ERR_NONFINITE", "VAE_ERR_METADATA",
        "VAE_ERR_IDX",     "VAE_ERR_STATE",
    };
    if ((unsigned)s < sizeof names / sizeof names[0]) return names[s];
    return "VAE_ERR_?";
}
