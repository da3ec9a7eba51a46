/* IDX parsing: good images and labels, and each malformed case with its code. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "vae.h"

/* Writes magic and dims (big-endian) then body bytes; returns the length. */
static size_t make_idx(uint8_t *out, uint32_t magic, int ndim, const uint32_t *dims, size_t body) {
    uint32_t words[4];
    size_t len = 0;
    words[0] = magic;
    for (int d = 0; d < ndim; d++) words[d + 1] = dims[d];
    for (int w = 0; w <= ndim; w++)
        for (int b = 3; b >= 0; b--) out[len++] = (uint8_t)(words[w] >> (8 * b));
    for (size_t i = 0; i < body; i++) out[len++] = (uint8_t)(i * 37);
    return len;
}

static void expect_images(const char *what, const uint8_t *buf, size_t len, vae_status want) {
    float *px = NULL;
    int n, r, c;
    vae_error e;
    vae_status s = vae_idx_images(buf, len, &px, &n, &r, &c, &e);
    printf("  images %-28s -> %s: %s\n", what, vae_status_name(s), e.msg);
    CHECK(s == want, "%s: got %s, want %s", what, vae_status_name(s), vae_status_name(want));
    CHECK(s != VAE_OK || px, "%s", what);
    vae_buffer_free(px);
}

static void expect_labels(const char *what, const uint8_t *buf, size_t len, vae_status want) {
    int *lab = NULL, n;
    vae_error e;
    vae_status s = vae_idx_labels(buf, len, &lab, &n, &e);
    printf("  labels %-28s -> %s: %s\n", what, vae_status_name(s), e.msg);
    CHECK(s == want, "%s: got %s, want %s", what, vae_status_name(s), vae_status_name(want));
    vae_buffer_free(lab);
}

int main(void) {
    uint8_t buf[512];
    uint32_t img_dims[3] = {3, 4, 5}, lab_dims[1] = {7};
    size_t len;

    /* Good images: 3 x 4 x 5, pixels = byte / 255. */
    len = make_idx(buf, 0x803, 3, img_dims, 60);
    buf[len - 1] = 255;
    {
        float *px;
        int n, r, c;
        vae_error e;
        CHECK(vae_idx_images(buf, len, &px, &n, &r, &c, &e) == VAE_OK, "%s", e.msg);
        CHECK(n == 3 && r == 4 && c == 5, "dims %d %d %d", n, r, c);
        int ok = 1;
        for (int i = 0; i < 59; i++) ok &= px[i] == (float)(uint8_t)(i * 37) / 255.0f;
        CHECK(ok, "pixel values");
        CHECK(px[0] == 0.0f && px[59] == 1.0f, "0 -> 0, 255 -> 1: %g %g", px[0], px[59]);
        vae_buffer_free(px);
    }
    /* Good labels. */
    len = make_idx(buf, 0x801, 1, lab_dims, 7);
    {
        int *lab, n;
        vae_error e;
        CHECK(vae_idx_labels(buf, len, &lab, &n, &e) == VAE_OK, "%s", e.msg);
        CHECK(n == 7 && lab[1] == 37 && lab[6] == (uint8_t)(6 * 37), "labels n=%d", n);
        vae_buffer_free(lab);
    }

    printf("malformed IDX data:\n");
    len = make_idx(buf, 0x803, 3, img_dims, 60);
    expect_images("empty", buf, 0, VAE_ERR_TRUNCATED);
    expect_images("3 bytes", buf, 3, VAE_ERR_TRUNCATED);
    expect_images("header cut", buf, 10, VAE_ERR_TRUNCATED);
    expect_images("body short by 1", buf, len - 1, VAE_ERR_TRUNCATED);
    len = make_idx(buf, 0x803, 3, img_dims, 61);
    expect_images("1 trailing byte", buf, len, VAE_ERR_IDX);
    len = make_idx(buf, 0x801, 1, lab_dims, 7);
    expect_images("labels magic", buf, len, VAE_ERR_IDX);
    len = make_idx(buf, 0x0d03, 3, img_dims, 60);
    expect_images("float type 0x0d", buf, len, VAE_ERR_IDX);
    uint32_t zero[3] = {3, 0, 5};
    len = make_idx(buf, 0x803, 3, zero, 0);
    expect_images("zero dimension", buf, len, VAE_ERR_IDX);
    uint32_t huge[3] = {0x7fffffff, 0x7fffffff, 0x7fffffff};
    len = make_idx(buf, 0x803, 3, huge, 64);
    expect_images("huge dims (overflow)", buf, len, VAE_ERR_TRUNCATED);
    uint32_t big[3] = {0x80000000u, 1, 1};
    len = make_idx(buf, 0x803, 3, big, 64);
    expect_images("dimension over 2^31-1", buf, len, VAE_ERR_IDX);
    expect_images("NULL buffer", NULL, 100, VAE_ERR_ARG);

    len = make_idx(buf, 0x801, 1, lab_dims, 7);
    expect_labels("body short by 1", buf, len - 1, VAE_ERR_TRUNCATED);
    len = make_idx(buf, 0x801, 1, lab_dims, 8);
    expect_labels("1 trailing byte", buf, len, VAE_ERR_IDX);
    len = make_idx(buf, 0x803, 3, img_dims, 60);
    expect_labels("images magic", buf, len, VAE_ERR_IDX);
    uint32_t zl[1] = {0};
    len = make_idx(buf, 0x801, 1, zl, 0);
    expect_labels("zero labels", buf, len, VAE_ERR_IDX);
    return check_result("test_idx");
}
