/* vae: train, evaluate and draw from variational autoencoders. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"train", cmd_train, "train a VAE, conditional VAE or semi-supervised M2 on IDX images"},
    {"eval", cmd_eval, "test loss and importance-weighted log-likelihood"},
    {"classify", cmd_classify, "an M2 model's predictions; error and confusion matrix against labels"},
    {"score", cmd_score, "per-image anomaly scores; ROC AUC against a second image set"},
    {"sample", cmd_sample, "PNG grid of images decoded from random latents"},
    {"interpolate", cmd_interpolate, "PNG strip between two latents"},
    {"reconstruct", cmd_reconstruct, "PNG of images, optionally corrupted, and their reconstructions"},
    {"manifold", cmd_manifold, "PNG of the learned 2-D latent manifold"},
    {"info", cmd_info, "architecture, tensors and metadata of a model file"},
    {"export", cmd_export, "rewrite a model as F16 or F32, whole or decoder only"},
    {"forward", cmd_forward, "raw float32 forward pass (for tests and tools)"},
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

static int find_command(const char *name) {
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(name, commands[i].name)) return (int)i;
    cli_die(EXIT_USAGE, "unknown command '%s' (see 'vae help')", name);
}

int main(int argc, char **argv) {
    if (argc < 2) cli_die(EXIT_USAGE, "no command (see 'vae help')");
    if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        if (argc > 2) { /* vae help <command> */
            char *args[] = {argv[2], "--help", NULL};
            return commands[find_command(argv[2])].run(2, args);
        }
        printf("usage: vae <command> [options]\n\ncommands:\n");
        for (size_t i = 0; i < N_COMMANDS; i++) printf("  %-12s %s\n", commands[i].name, commands[i].summary);
        printf("\n'vae <command> --help' describes a command's options.\n");
        return 0;
    }
    cli_install_signals();
    return commands[find_command(argv[1])].run(argc - 1, argv + 1);
}
