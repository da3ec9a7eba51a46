/* libFuzzer: any bytes through vae_words_load; a word model that loads must
 * run (loss, greedy and sampled decoding), save (F32) and load again with
 * the same weights. The corpus holds a small word VAE, a language model and
 * a model with its own vocabulary. */
#include <stdlib.h>
#include <string.h>

#include "models/words.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    vae_words *m, *r;
    vae_error err;
    if (vae_words_load(&m, data, size, 2, &err) != VAE_OK) {
        if (m || !err.msg[0]) abort(); /* failures leave no model and always say why */
        return 0;
    }
    const vae_words_arch *a = vae_words_get_arch(m);
    float eps[2048] = {0}, rec[2], kl[2];
    char word[2][2] = {{a->vocab[0], 0}, {a->vocab[strlen(a->vocab) - 1], 0}}, out[2 * 257];
    const char *words[2] = {word[0], word[1]};
    vae_rng rng;
    vae_rng_seed(&rng, 1);
    vae_words_loss(m, words, 2, eps, rec, kl, NULL);
    vae_words_decode(m, eps, 2, 0.0f, NULL, out, NULL);
    vae_words_decode(m, eps, 2, 1.0f, &rng, out, NULL);
    uint8_t *buf;
    size_t len;
    if (vae_words_save(m, VAE_DTYPE_F32, NULL, 0, &buf, &len, NULL) != VAE_OK) abort();
    if (vae_words_load(&r, buf, len, 2, NULL) != VAE_OK) abort();
    size_t n = vae_words_param_count(m);
    if (vae_words_param_count(r) != n || memcmp(vae_words_params(m), vae_words_params(r), n * sizeof(float))) abort();
    vae_words_free(r);
    vae_buffer_free(buf);
    vae_words_free(m);
    return 0;
}
