/* vae-wasm's word models (src/models/words.h: the character-level word VAE,
 * or the language model of the same code), for VAE.load and VAE.create. vae.js
 * imports this module, and it fetches vae-seq-simd.wasm (or -nosimd), only on
 * the first word model, so pages that show images load neither; training
 * (create, fit) runs in vae-seq-train-simd.wasm, fetched on first use. vae.js
 * hands over its helpers (`kit`): errors are the same VAEErrors, trainers
 * the same objects (events, pause, resume, cancel, a Worker).
 *
 * Words are strings of the model's vocabulary (info.vocab), 1 to
 * info.maxLength characters; latents are Float32Arrays [n, latent]. Sampling,
 * decoding and training are the library's: the same seed gives the words
 * `vae sample --seed` and `vae interpolate` print, and the weights of `vae
 * train --words`. */

const runtimes = new Map(); // Promise<Runtime> of each module: kind and SIMD choice

/* vae.js's helpers, in the order it lists them. */
const KIT = ['instantiate', 'fail', 'options', 'integer', 'finite', 'seed64', 'randomSeed', 'rows', 'pathPoint', 'choice', 'init', 'Model', 'create', 'Trainer', 'WorkerTrainer'];
const kitOf = (list) => Object.fromEntries(KIT.map((k, i) => [k, list[i]]));

/* The module of a kind ('seq-' or 'seq-train-'), compiled once per SIMD
 * choice (undefined: the engine's); a failed fetch can be retried. */
function runtime(k, kind, simd) {
  const key = kind + simd;
  if (!runtimes.has(key)) runtimes.set(key, k.instantiate({ simd }, kind).catch((e) => (runtimes.delete(key), Promise.reject(e))));
  return runtimes.get(key);
}

export async function load(list, bytes, name, o) {
  const kit = kitOf(list);
  const rt = o.seqWasm !== undefined || o.simd !== undefined ? await kit.instantiate({ wasm: o.seqWasm, simd: o.simd }, 'seq-') : await runtime(kit, 'seq-');
  return new WordModel(kit, rt, handle(rt, name, bytes));
}

function handle(rt, what, bytes) {
  const h = rt.scope(what, (mem) => rt.x.vw_words_load(mem.bytes(bytes), bytes.length));
  if (!h) throw rt.error(what);
  return h;
}

const AZ = 'abcdefghijklmnopqrstuvwxyz';

/* VAE.create({model: 'words', ...}): a fresh model, weights from seed as `vae train --words --seed`. */
export async function create(list, config) {
  const k = kitOf(list), what = 'create';
  const c = k.options(what, config, ['model', 'vocab', 'maxLength', 'embed', 'hidden', 'latent', 'seed']);
  const vocab = c.vocab ?? AZ;
  if (typeof vocab !== 'string') k.fail(`${what}: vocab must be a string of characters`);
  const arch = {
    format: 2, model: 'words', vocab, max_len: k.integer(what, 'maxLength', c.maxLength ?? 24, 1, 256),
    embed: k.integer(what, 'embed', c.embed ?? 32, 1, 1024), hidden: k.integer(what, 'hidden', c.hidden ?? 128, 1, 4096),
    latent: k.integer(what, 'latent', c.latent ?? 16, 0, 1024),
  };
  const rt = await runtime(k, 'seq-train-');
  const h = rt.scope(what, (mem) => rt.x.vw_words_create(mem.cstring(JSON.stringify(arch)), k.seed64(what, c.seed ?? 1)));
  if (!h) throw rt.error(what);
  return new WordModel(k, rt, h);
}

/* The options of a word model's trainer, defaults as `vae train --words`. */
function trainOptions(k, opts) {
  const w = 'trainer', o = k.options(w, opts, ['epochs', 'batchSize', 'lr', 'clip', 'dropout', 'warmupEpochs', 'seed', 'snapshotEvery', 'worker', 'workers']);
  return {
    epochs: k.integer(w, 'epochs', o.epochs ?? 10, 0, 1e7),
    batchSize: k.integer(w, 'batchSize', o.batchSize ?? 64, 1, 256),
    lr: k.finite(w, 'lr', o.lr ?? 2e-3, 0),
    clip: k.finite(w, 'clip', o.clip ?? 5, 0),
    dropout: k.finite(w, 'dropout', o.dropout ?? 0.3, 0),
    warmupEpochs: k.integer(w, 'warmupEpochs', o.warmupEpochs ?? 2, 0, 1e6),
    seed: k.seed64(w, o.seed ?? 1),
    snapshotEvery: k.integer(w, 'snapshotEvery', o.snapshotEvery ?? 0, 0, 1e9),
  };
}

/* fit's words: an array of strings, or {words}. */
function wordList(k, data) {
  const words = Array.isArray(data) ? data : data?.words;
  if (!Array.isArray(words)) k.fail('fit: expected the words as an array of strings (or {words})');
  words.forEach((w, i) => {
    if (typeof w !== 'string' || w.includes('\0')) k.fail(`fit: word ${i + 1} is not a string without U+0000`);
  });
  return words;
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

  /** The weights as a safetensors file (`vae train --words`'s format): dtype 'f32' (default) or 'f16'. */
  toSafetensors(opts) {
    const what = 'toSafetensors', k = this.#k, o = k.options(what, opts, ['dtype', 'metadata']), h = this.#handle(what), rt = this.#rt;
    const dtype = k.choice(what, 'dtype', o.dtype, ['f32', 'f16']) === 'f16' ? 1 : 0; // vae_dtype
    const meta = Object.entries(o.metadata ?? {});
    for (const [key, v] of meta) if (typeof v !== 'string') k.fail(`${what}: metadata value of '${key}' must be a string`);
    return rt.scope(what, (mem) => {
      const out = mem.alloc(8);
      rt.check(what, rt.x.vw_words_save(h, dtype, mem.cstring(meta.flat().join('\0')), meta.length, out));
      const [p, len] = new Uint32Array(rt.buffer, out, 2), bytes = new Uint8Array(rt.buffer, p, len).slice();
      rt.x.free(p);
      return bytes;
    });
  }

  /** A trainer of this model (in this thread, or in a Worker with {worker: true}): fit(words) trains
   * as `vae train --words` does (5% held out, the same seeds give the same weights). */
  trainer(opts) {
    this.#handle('trainer');
    const k = this.#k, o = trainOptions(k, opts);
    if (opts?.worker) {
      const t = new k.WorkerTrainer(this, { worker: opts.worker });
      t._opts = { ...opts, worker: undefined };
      return t;
    }
    const t = new k.Trainer(this, {}, (what) => this.#handle(what));
    t._o = o;
    return t;
  }

  /** @internal The training module's runtime. */
  async _toTraining() {
    const rt = await runtime(this.#k, 'seq-train-', this.#rt.simd);
    if (rt === this.#rt) return;
    const h = handle(rt, 'fit', this.toSafetensors());
    this.#rt.x.vw_release(this.#handle('fit'));
    this.#rt = rt;
    this.#h = h;
  }

  /** @internal Replaces the weights with a file's (the worker's result). */
  _adopt(bytes) {
    const h = handle(this.#rt, 'train', bytes);
    this.#rt.x.vw_release(this.#handle('train'));
    this.#h = h;
  }

  /** @internal */
  get _runtime() {
    return this.#rt;
  }

  /** @internal What the training worker needs: the training module and the words. */
  async _workerJob(data) {
    return { seq: true, module: (await runtime(this.#k, 'seq-train-', this.#rt.simd)).module, data: { words: wordList(this.#k, data) } };
  }

  /** @internal Trainer.fit of a word model (vae-train.js calls it): the epochs
   * of `vae train --words`, one step per turn of the event loop. */
  async _fit(t, data, { gate, skipStep }) {
    const k = this.#k, o = t._o, words = wordList(k, data);
    await this._toTraining();
    const rt = this.#rt, x = rt.x, h = this.#handle('fit');
    const info = rt.alloc('fit', 72), sizes = rt.alloc('fit', 12);
    let r = 0;
    try {
      const json = JSON.stringify({ batchSize: o.batchSize, lr: o.lr, clip: o.clip, dropout: o.dropout, warmupEpochs: o.warmupEpochs });
      r = rt.scope('fit', (mem) => x.vw_words_run_create(h, mem.cstring(json), mem.cstring(words.join('\0')), words.length, o.seed, sizes));
      if (!r) throw rt.error('fit');
      const [nTrain, nTest, stepsPerEpoch] = new Int32Array(rt.buffer, sizes, 3), total = o.epochs * stepsPerEpoch, start = performance.now();
      const run = { nonfinite: 0 };
      let done = 0;
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        const t0 = performance.now();
        let seen = 0, sum = 0, wordsDone = 0, last = 0;
        run.skipped = 0;
        while (!last) {
          await gate(t);
          const status = x.vw_words_run_step(r, info);
          const [, step, nb, epochDone, beta, rec, kl, loss] = new Float64Array(rt.buffer, info, 8);
          last = epochDone;
          wordsDone += nb;
          done++;
          if (status) {
            skipStep(rt.error('fit'), run);
            continue;
          }
          run.nonfinite = 0;
          sum += loss * nb;
          seen += nb;
          const now = performance.now(), elapsed = (now - start) / 1000;
          t._emit('progress', {
            epoch, epochs: o.epochs, step, stepsPerEpoch, totalStep: done, totalSteps: total, loss, reconstruction: rec, kl, beta,
            epochLoss: sum / seen, wordsPerSecond: wordsDone / ((now - t0) / 1000), elapsed, eta: (elapsed / done) * (total - done),
          });
          if (o.snapshotEvery && done % o.snapshotEvery === 0) t._emit('snapshot', { epoch, step, totalStep: done, weights: this.toSafetensors() });
        }
        rt.check('fit', x.vw_words_run_evaluate(r, info));
        const [hr, hk, correct] = new Float64Array(rt.buffer, info, 3);
        t._emit('epoch', {
          epoch, epochs: o.epochs, loss: seen ? sum / seen : NaN, skipped: run.skipped, seconds: (performance.now() - t0) / 1000, trainWords: nTrain,
          heldOut: { words: nTest, bound: (hr + hk) / nTest, reconstruction: hr / nTest, kl: hk / nTest, accuracy: this.info.latent ? correct / nTest : null },
        });
      }
      return this.toSafetensors();
    } finally {
      x.vw_release(r);
      x.free(info);
      x.free(sizes);
    }
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
