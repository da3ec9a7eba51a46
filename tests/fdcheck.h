/* Finite-difference gradient check shared by the gradient tests. Include
 * after check.h. */
#ifndef VAE_TEST_FDCHECK_H
#define VAE_TEST_FDCHECK_H
#include <math.h>
#include <stdio.h>

typedef double (*fd_loss_fn)(void *ctx);

static double fd_rel_err(double num, double a) { return fabs(num - a) / (fabs(num) + fabs(a) + 1e-2); }

/* Compares analytic[i] with the central difference of f around each v[i];
 * returns and prints the largest relative error. With kinks, a mismatch may
 * instead match one of the one-sided differences: at a ReLU kink the central
 * difference straddles two slopes. */
static double fd_check(const char *what, float *v, size_t n, const float *analytic, fd_loss_fn f, void *ctx, float h,
                       double tol, int kinks) {
    double worst = 0.0;
    for (size_t i = 0; i < n; i++) {
        float keep = v[i];
        v[i] = keep + h;
        double up = f(ctx);
        v[i] = keep - h;
        double down = f(ctx);
        v[i] = keep;
        double num = (up - down) / (2.0 * h), a = analytic[i];
        double err = fd_rel_err(num, a);
        if (kinks && err > tol) {
            double mid = f(ctx), e1 = fd_rel_err((up - mid) / h, a), e2 = fd_rel_err((mid - down) / h, a);
            err = e1 < e2 ? e1 : e2;
        }
        if (!(err <= worst)) worst = err;
        CHECK(err <= tol, "%s[%zu]: analytic %.6g numeric %.6g", what, i, a, num);
    }
    printf("  %-44s max rel err %.2e\n", what, worst);
    return worst;
}
#endif
