/* The fully connected layer, nn.Linear's layout: the matrix kernels do the work. */
#include "kernels/kernels.h"
#include "layers/layers.h"

void vae_linear_forward(float *out, const float *inp, const float *w, const float *b, int B, int I, int O) {
    vae_matmul_xwt(out, inp, w, b, B, O, I);
}

void vae_linear_forward_packed(float *out, const float *inp, const float *w, const float *wp, const float *b, int B,
                               int I, int O) {
    vae_matmul_xwt_packed(out, inp, w, wp, b, B, O, I);
}

void vae_linear_backward(float *dinp, float *dw, float *db, const float *dout, const float *inp, const float *w, int B,
                         int I, int O) {
    if (dinp) vae_matmul_dyw(dinp, dout, w, B, O, I);
    vae_matmul_dytx(dw, db, dout, inp, B, O, I);
}
