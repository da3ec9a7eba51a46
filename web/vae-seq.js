/* vae-wasm's word models (src/models/words.h: the character-level word VAE,
 * or the language model of the same code), for VAE.load. vae.js imports
 * this module, and it fetches vae-seq-simd.wasm (or -nosimd), only on the
 * first word model, so pages that show images load neither. vae.js hands
 * over its helpers (`kit`): errors are the same VAEErrors.
 *
 * Words are strings of the model's vocabulary (info.vocab), 1 to
 * info.maxLength characters; latents are Float32Arrays [n, latent]. Sampling
 * and decoding are the library's: the same seed gives the words `vae
 * sample --seed` and `vae interpolate` print. */

let shared = null; // Promise<Runtime> of the default module

/* vae.js's helpers, in the order it lists them. */
const KIT = ['instantiate', 'fail', 'options', 'integer', 'finite', 'seed64', 'randomSeed', 'rows', 'pathPoint', 'choice'];

export async function load(list, bytes, name, o) {
  const kit = Object.fromEntries(KIT.map((k, i) => [k, list[i]]));
  let rt;
  if (o.seqWasm !== undefined || o.simd !== undefined) rt = await kit.instantiate({ wasm: o.seqWasm, simd: o.simd }, 'seq-');
  else {
    shared ??= kit.instantiate({}, 'seq-');
    shared.catch(() => (shared = null)); // a failed fetch can be retried
    rt = await shared;
  }
  const h = rt.scope(name, (mem) => rt.x.vw_words_load(mem.bytes(bytes), bytes.length));
  if (!h) throw rt.error(name);
  return new WordModel(kit, rt, h);
}

export class WordModel {
  #k;
  #rt;
  #h;

  /** @internal Use VAE.load. */
  constructor(kit, rt, h) {
    this.#k = kit;
    this.#rt = rt;
    this.#h = h;
    const p = rt.x.vw_words_arch_json(h);
    if (!p) {
      const e = rt.error('info');
      this.dispose();
      throw e;
    }
    const a = JSON.parse(rt.string(p));
    this.info = Object.freeze({
      model: 'words',
      summary: a.latent
        ? `word VAE: embedding ${a.embed}, encoder BiLSTM ${a.hidden}, decoder LSTM ${a.hidden}, latent ${a.latent}, words up to ${a.max_len}`
        : `word language model: embedding ${a.embed}, LSTM ${a.hidden}, words up to ${a.max_len}`,
      vocab: a.vocab,
      maxLength: a.max_len,
      embed: a.embed,
      hidden: a.hidden,
      latent: a.latent,
      parameters: rt.x.vw_words_param_count(h),
      simd: rt.simd,
    });
  }

  #handle(what) {
    if (!this.#h) this.#k.fail(`${what}: this model has been disposed`, 'VAE_ERR_STATE');
    return this.#h;
  }

  #temperature(what, t, dflt) {
    return Math.fround(this.#k.finite(what, 'temperature', t ?? dflt, 0)); // the library takes a float
  }

  /* The words written out [n, maxLength + 1] (NUL-terminated, ASCII). */
  #read(out, n) {
    const W = this.info.maxLength + 1, u8 = new Uint8Array(this.#rt.buffer, out, n * W), words = [];
    for (let b = 0; b < n; b++) {
      let s = '';
      for (let i = b * W; u8[i]; i++) s += String.fromCharCode(u8[i]);
      words.push(s);
    }
    return words;
  }

  #decode(what, z, n, temperature, seed) {
    const h = this.#handle(what), rt = this.#rt;
    return rt.scope(what, (mem) => {
      const out = mem.alloc(n * (this.info.maxLength + 1));
      rt.check(what, rt.x.vw_words_decode(h, z ? mem.f32(z) : 0, n, temperature, seed, out));
      return this.#read(out, n);
    });
  }

  /** Encoder means and log-variances of words: {mu, logvar}, each [n, latent]. */
  encodeWords(words) {
    const what = 'encodeWords', h = this.#handle(what), rt = this.#rt, L = this.info.latent;
    if (!L) this.#k.fail(`${what}: a language model has no latent code`, 'VAE_ERR_STATE');
    if (typeof words === 'string') words = [words];
    if (!Array.isArray(words) || !words.length) this.#k.fail(`${what}: words must be a non-empty array of strings`);
    words.forEach((w, i) => {
      if (typeof w !== 'string') this.#k.fail(`${what}: word ${i + 1} is a ${typeof w}, not a string`);
      if (w.includes('\0')) this.#k.fail(`${what}: word ${i + 1} contains U+0000`);
    });
    const n = words.length;
    return rt.scope(what, (mem) => {
      const mu = mem.alloc(4 * n * L), logvar = mem.alloc(4 * n * L);
      rt.check(what, rt.x.vw_words_encode(h, mem.cstring(words.join('\0')), n, mu, logvar));
      return { mu: mem.readF32(mu, n * L), logvar: mem.readF32(logvar, n * L) };
    });
  }

  /** Words decoded from latents z [n, latent]: greedy by default, else each
   * character drawn from softmax(logits / temperature) with seed. */
  decodeWords(z, opts) {
    const what = 'decodeWords', k = this.#k, o = k.options(what, opts, ['temperature', 'seed']), L = this.info.latent;
    this.#handle(what);
    if (!L) k.fail(`${what}: a language model has no latent code: use sampleWords`, 'VAE_ERR_STATE');
    const { data, n } = k.rows(what, 'z', z, L, `latent size ${L}`);
    const seed = o.seed === undefined ? k.randomSeed() : k.seed64(what, o.seed);
    return this.#decode(what, data, n, this.#temperature(what, o.temperature, 0), seed);
  }

  /** n words drawn as `vae sample` draws them: z ~ N(0, I) from seed, each
   * character from softmax(logits / temperature) (default 1; 0: greedy). */
  sampleWords(n, opts) {
    const what = 'sampleWords', k = this.#k, o = k.options(what, opts, ['seed', 'temperature']);
    const h = this.#handle(what), rt = this.#rt;
    k.integer(what, 'n', n, 1, 1e6);
    const t = this.#temperature(what, o.temperature, 1);
    const seed = o.seed === undefined ? k.randomSeed() : k.seed64(what, o.seed);
    return rt.scope(what, (mem) => {
      const out = mem.alloc(n * (this.info.maxLength + 1));
      rt.check(what, rt.x.vw_words_sample(h, n, seed, t, out));
      return this.#read(out, n);
    });
  }

  /** The words decoded at `steps` points (end points included) of the path
   * between the codes of words a and b, as `vae interpolate` prints them. */
  interpolateWords(a, b, steps = 8, opts) {
    const what = 'interpolateWords', k = this.#k, o = k.options(what, opts, ['method', 'temperature', 'seed']);
    k.integer(what, 'steps', steps, 2, 1e5);
    const slerp = k.choice(what, 'method', o.method, ['linear', 'slerp']) === 'slerp', L = this.info.latent;
    const t = this.#temperature(what, o.temperature, 0);
    const seed = o.seed === undefined ? (t ? k.randomSeed() : 0n) : k.seed64(what, o.seed);
    if (!L) k.fail(`${what}: a language model has no latent space to walk`, 'VAE_ERR_STATE');
    const { mu } = this.encodeWords([a, b]);
    const za = mu.subarray(0, L), zb = mu.subarray(L), z = new Float32Array(steps * L);
    for (let s = 0; s < steps; s++) k.pathPoint(za, zb, s / (steps - 1), slerp, z, s * L);
    return this.#decode(what, z, steps, t, seed);
  }

  /** Frees the model's memory in the module; later calls fail with VAE_ERR_STATE. */
  dispose() {
    if (this.#h) this.#rt.x.vw_release(this.#h);
    this.#h = 0;
  }

  get disposed() {
    return !this.#h;
  }
}
