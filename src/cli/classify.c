/* `vae classify`: an M2 model's classifier q(y|x) on IDX images: the most
 * probable class of each image, or against labels the error rate and the
 * confusion matrix. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

int cmd_classify(int argc, char **argv) {
    const char *model = NULL, *images = NULL, *labels = NULL, *m1 = NULL;
    cli_opt opts[] = {
        CLI_STR("model", model, "FILE", "M2 model file (safetensors)"),
        CLI_STR("images", images, "FILE", "images, IDX (gzip or raw)"),
        CLI_STR("labels", labels, "FILE", "their labels, IDX: print the error and the confusion matrix instead"),
        CLI_STR("m1", m1, "FILE", "M1+M2: the VAE whose latent means the model was trained on (vae train --m1)"),
    };
    cli_cmd cmd = {"classify", "--model FILE --images FILE [--labels FILE]",
                   "Prints the most probable class under an M2 model's classifier q(y|x), one\n"
                   "line per image; with --labels, a line 'error: X.XX%' (the percentage of\n"
                   "images classified wrongly) and the confusion matrix (rows: true class,\n"
                   "columns: predicted class).",
                   opts, CLI_OPT_COUNT(opts)};
    cli_parse(&cmd, argc, argv);
    cli_require(&cmd, "model");
    cli_require(&cmd, "images");

    vae_model *m = cli_load_model(model);
    const vae_arch *a = vae_model_arch(m);
    if (a->kind != VAE_KIND_M2 || a->decoder_only) {
        char arch[512];
        cli_describe_arch(arch, sizeof arch, a);
        vae_model_free(m);
        cli_die(EXIT_RUNTIME, "%s has no classifier (%s): only M2 models classify", model, arch);
    }
    cli_dataset d;
    cli_dataset_load(&d, images, labels);
    if (m1) cli_dataset_encode(&d, m1, NULL);
    if (labels)
        cli_check_data(m, &d, images, "--labels");
    else
        cli_check_images(m, &d, images);
    int C = a->n_classes;
    float *probs = cli_alloc((size_t)d.n * C, sizeof *probs);
    vae_error err;
    if (vae_model_classify(m, d.x, d.n, probs, &err) != VAE_OK) cli_die_lib("classify", &err);
    int *pred = cli_alloc((size_t)d.n, sizeof *pred), wrong = 0;
    for (int i = 0; i < d.n; i++) {
        const float *p = probs + (size_t)i * C;
        for (int k = 1; k < C; k++) pred[i] = p[k] > p[pred[i]] ? k : pred[i];
        wrong += labels && pred[i] != d.y[i];
    }
    if (!labels) {
        for (int i = 0; i < d.n; i++) printf("%d\n", pred[i]);
    } else {
        int *confusion = cli_alloc((size_t)C * C, sizeof *confusion);
        for (int i = 0; i < d.n; i++) confusion[d.y[i] * C + pred[i]]++;
        char count[32];
        printf("error: %.2f%%\n", 100.0 * wrong / d.n);
        printf("confusion matrix of %s images (rows: true class, columns: predicted)\n",
               cli_fmt_count(count, (uint64_t)d.n));
        printf("%5s", "");
        for (int k = 0; k < C; k++) printf(" %6d", k);
        printf("\n");
        for (int t = 0; t < C; t++) {
            printf("%5d", t);
            for (int k = 0; k < C; k++) printf(" %6d", confusion[t * C + k]);
            printf("\n");
        }
        free(confusion);
    }
    free(pred);
    free(probs);
    cli_dataset_free(&d);
    vae_model_free(m);
    return 0;
}
