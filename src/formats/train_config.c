/* Training options as JSON (internal.h): what vae.js's trainer passes to the
 * wasm, instead of a long list of positional arguments. */
#include <string.h>

#include "formats/safetensors.h" /* vae_st_printable, json.h */

enum {
    K_OPT,
    K_LR,
    K_BETAS,
    K_EPS,
    K_DECAY,
    K_MOMENTUM,
    K_CLIP,
    K_BETA,
    K_WARMUP,
    K_NOISE,
    K_NOISE_LEVEL,
    K_SPARSITY,
    K_SPARSITY_WEIGHT,
    K_RHO,
    K_CONTRACTIVE,
    K_ALPHA,
    N_KEYS
};

static const struct {
    const char *name, *want;
} keys[N_KEYS] = {
    {"optimizer", "\"adam\" or \"sgd\""},
    {"lr", "a number"},
    {"betas", "[beta1, beta2]"},
    {"eps", "a number"},
    {"weightDecay", "a number"},
    {"momentum", "a number"},
    {"clip", "a number"},
    {"beta", "a number"},
    {"warmupSteps", "a non-negative integer"},
    {"noise", "\"none\", \"mask\" or \"gaussian\""},
    {"noiseLevel", "a number"},
    {"sparsity", "\"none\", \"l1\" or \"kl\""},
    {"sparsityWeight", "a number"},
    {"rho", "a number"},
    {"contractive", "a number"},
    {"alpha", "a number"},
};

/* String v as the index of one of the n names, or -1. */
static int name_of(const vae_json *j, int v, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (vae_json_string_eq(j, v, names[i])) return i;
    return -1;
}

/* Parses value v of key into c; 0 on success. */
static int config_value(const vae_json *j, int key, int v, vae_train_config *c) {
    static const char *const opts[] = {"adam", "sgd"}, *const noises[] = {"none", "mask", "gaussian"},
                             *const sparsities[] = {"none", "l1", "kl"};
    float *const floats[N_KEYS] = {[K_LR] = &c->lr,
                                   [K_EPS] = &c->adam_eps,
                                   [K_DECAY] = &c->weight_decay,
                                   [K_MOMENTUM] = &c->momentum,
                                   [K_CLIP] = &c->clip_norm,
                                   [K_BETA] = &c->beta,
                                   [K_NOISE_LEVEL] = &c->noise_level,
                                   [K_SPARSITY_WEIGHT] = &c->sparsity_weight,
                                   [K_RHO] = &c->sparsity_rho,
                                   [K_CONTRACTIVE] = &c->contractive,
                                   [K_ALPHA] = &c->alpha};
    uint64_t u;
    int e;
    switch (key) {
    case K_OPT:
        if ((e = name_of(j, v, opts, 2)) < 0) return -1;
        c->opt = (vae_optimizer)e;
        return 0;
    case K_NOISE:
        if ((e = name_of(j, v, noises, 3)) < 0) return -1;
        c->noise = (vae_noise)e;
        return 0;
    case K_SPARSITY:
        if ((e = name_of(j, v, sparsities, 3)) < 0) return -1;
        c->sparsity = (vae_sparsity)e;
        return 0;
    case K_BETAS:
        return vae_json_kind_of(j, v) != VAE_JSON_ARRAY || vae_json_count(j, v) != 2 ||
               vae_json_float(j, v + 1, &c->adam_beta1) || vae_json_float(j, v + 2, &c->adam_beta2);
    case K_WARMUP:
        if (vae_json_uint(j, v, 0x7fffffff, &u)) return -1;
        c->warmup_steps = (int)u;
        return 0;
    default: return vae_json_float(j, v, floats[key]);
    }
}

vae_status vae_train_config_from_json(const char *json, size_t len, vae_train_config *c, vae_error *err) {
    vae_json *j;
    int seen[N_KEYS] = {0};
    if (!json || !c) return vae_fail(err, VAE_ERR_ARG, "NULL argument");
    vae_train_config_default(c);
    vae_status s = vae_json_parse(&j, json, len, VAE_ERR_ARG, "training options", err);
    if (s) return s;
    if (vae_json_kind_of(j, 0) != VAE_JSON_OBJECT)
        s = vae_fail(err, VAE_ERR_ARG, "training options are not a JSON object");
    for (int i = 0, k = vae_json_first(j, 0), n = vae_json_count(j, 0); i < n && !s; i++, k = vae_json_next(j, k)) {
        int key = 0;
        while (key < N_KEYS && !vae_json_string_eq(j, k, keys[key].name)) key++;
        if (key == N_KEYS) {
            char name[40];
            if (vae_json_string(j, k, name, sizeof name) < 0) strcpy(name, "?");
            s = vae_fail(err, VAE_ERR_ARG, "training options: unknown key \"%s\"",
                         vae_st_printable(name, (char[40]){0}, 40));
        } else if (seen[key]++) {
            s = vae_fail(err, VAE_ERR_ARG, "training options: duplicate key \"%s\"", keys[key].name);
        } else if (config_value(j, key, k + 1, c)) {
            s = vae_fail(err, VAE_ERR_ARG, "training options: \"%s\" must be %s", keys[key].name, keys[key].want);
        }
    }
    vae_json_free(j);
    return s ? s : vae_ok(err);
}
