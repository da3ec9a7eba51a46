/* M2, the semi-supervised VAE of Kingma, Rezende, Mohamed and Welling,
 * "Semi-Supervised Learning with Deep Generative Models" (2014): the CVAE's
 * passes (model.c) on the rows of a batch, every class of an unlabelled
 * image in one pass, weighted by the classifier's q(y|x). */
#include <math.h>
#include <string.h>

#include "internal.h"
#include "layers/layers.h"

static int is_labelled(const int *labels, int b) { return labels && labels[b] >= 0; }

int vae_m2_row_count(const vae_model *m, const int *labels, int n) {
    int rows = 0;
    for (int b = 0; b < n; b++) rows += is_labelled(labels, b) ? 1 : m->arch.n_classes;
    return rows;
}

vae_status vae_m2_check_batch(const vae_model *m, const float *x, const int *labels, int n, vae_error *err) {
    if (!m) return vae_fail(err, VAE_ERR_ARG, "model is NULL");
    if (m->arch.kind != VAE_KIND_M2 || m->arch.decoder_only)
        return vae_fail(err, VAE_ERR_STATE, "unlabelled images need an M2 model (with its classifier)");
    if (n < 1) return vae_fail(err, VAE_ERR_ARG, "batch size %d must be at least 1", n);
    if (!x) return vae_fail(err, VAE_ERR_ARG, "images pointer is NULL");
    int C = m->arch.n_classes;
    for (int b = 0; labels && b < n; b++)
        if (labels[b] < -1 || labels[b] >= C)
            return vae_fail(err, VAE_ERR_ARG, "label %d of item %d is outside 0..%d (or -1: unlabelled)", labels[b], b,
                            C - 1);
    return vae_check_finite(x, (size_t)n * m->D, "image", err);
}

/* Labelled image with log q = lq [C]: E + alpha (-log q_y); the classifier's
 * logit gradient alpha s (q - onehot(y)). */
static double labelled_loss(const float *lq, int y, int C, double e, float alpha, float s, float *dl,
                            vae_m2_terms *out) {
    out->xent -= lq[y];
    out->labelled++;
    for (int k = 0; dl && k < C; k++) dl[k] = alpha * s * (expf(lq[k]) - (k == y ? 1.0f : 0.0f));
    return e - (double)alpha * lq[y];
}

/* Unlabelled image: U = sum_y q_y (E_y + log q_y) (= E_q[E] - H(q)); the
 * rows' scales s q_y; through the softmax, dU/dlogit_k = q_k (E_k + log q_k - U). */
static double unlabelled_loss(const float *lq, const float *rec, const float *kl, int C, float beta, float s,
                              float *row_scale, float *dl, vae_m2_terms *out) {
    double u = 0.0;
    for (int k = 0; k < C; k++) {
        double q = expf(lq[k]);
        u += q * ((double)rec[k] + beta * kl[k] + lq[k]);
        out->rec += q * rec[k];
        out->kl += q * kl[k];
        out->entropy -= q * lq[k];
        row_scale[k] = (float)q * s;
    }
    for (int k = 0; dl && k < C; k++) {
        float q = expf(lq[k]);
        dl[k] = s * q * (float)((double)rec[k] + beta * kl[k] + lq[k] - u);
    }
    return u;
}

void vae_m2_pass(const vae_model *m, vae_work *w, vae_m2_rows *r, float *grads, const float *x, const int *labels,
                 int n, const float *eps, float beta, float alpha, vae_m2_terms *out) {
    int C = m->arch.n_classes, D = m->D, rows = 0;
    for (int b = 0; b < n; b++)
        for (int k = 0; k < (is_labelled(labels, b) ? 1 : C); k++, rows++) {
            memcpy(r->x + (size_t)rows * D, x + (size_t)b * D, (size_t)D * sizeof(float));
            r->y[rows] = is_labelled(labels, b) ? labels[b] : k;
        }
    vae_forward(m, w, r->x, NULL, r->y, rows, eps, NULL);
    vae_classifier_forward(m, w, x, n);
    vae_log_softmax_forward(w->clogits, w->clogits, n, C); /* the backward needs only the activations */

    memset(out, 0, sizeof *out);
    float s = 1.0f / (float)(w->mean_n ? w->mean_n : n);
    for (int b = 0, i = 0; b < n; b++) {
        const float *lq = w->clogits + (size_t)b * C;
        float *dl = grads ? w->dclogits + (size_t)b * C : NULL;
        if (is_labelled(labels, b)) {
            out->rec += w->rec[i];
            out->kl += w->kl[i];
            out->loss += labelled_loss(lq, labels[b], C, (double)w->rec[i] + beta * w->kl[i], alpha, s, dl, out);
            r->scale[i++] = s;
        } else {
            out->loss += unlabelled_loss(lq, w->rec + i, w->kl + i, C, beta, s, r->scale + i, dl, out);
            i += C;
        }
    }
    if (!grads) return;
    vae_backward(m, w, grads, r->x, NULL, rows, eps, beta, NULL, r->scale);
    vae_classifier_backward(m, w, grads, x, n);
}
