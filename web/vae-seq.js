/* vae-wasm's sequence models for VAE.load: word models (src/models/words.h:
 * the character-level word VAE, or the language model of the same code) and
 * sketch models (src/models/sketch.h: SketchRNN). vae.js imports this
 * module, and it fetches vae-seq-simd.wasm (or -nosimd), only on the first
 * such model, so pages that show images load neither; training a word model
 * (create, fit) runs in vae-seq-train-simd.wasm, fetched on first use. vae.js
 * hands over its helpers (`kit`): errors are the same VAEErrors, trainers the
 * same objects (events, pause, resume, cancel, a Worker).
 *
 * Words are strings of the model's vocabulary (info.vocab), 1 to
 * info.maxLength characters; latents are Float32Arrays [n, latent]. Sampling,
 * decoding and training are the library's: the same seed gives the words
 * `vae sample --seed` and `vae interpolate` print, and the weights of `vae
 * train --words`.
 *
 * A drawing is an array of strokes, a stroke an array of [x, y] points in
 * the data's units, absolute from the origin the model starts at (for the
 * characters of tools/hanzi_strokes.py: the centre of the 1024-unit box, y
 * down); the pen goes down at a stroke's first point and up after its last. */

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
  const { arch, parameters } = describe(bytes), sketch = arch.model === 'sketch';
  const h = rt.scope(name, (mem) => rt.x[sketch ? 'vw_sketch_load' : 'vw_words_load'](mem.bytes(bytes), bytes.length));
  if (!h) throw rt.error(name);
  const m = new (sketch ? SketchModel : WordModel)(kit, rt, h, arch, parameters);
  my(m).file = bytes.slice(); // what a word model's toSafetensors gives back before training
  return m;
}

/* A model file's architecture and parameter count, read off its header (the
 * loader checks every tensor against the architecture, so the header's
 * shapes count the parameters). */
function describe(bytes) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))); // vae.js has parsed it once
  let parameters = 0;
  for (const [k, t] of Object.entries(head)) if (k !== '__metadata__') parameters += t.shape.reduce((a, d) => a * d, 1);
  return { arch: JSON.parse(head.__metadata__['vae_wasm.arch']), parameters };
}

/* A word model's handle in runtime rt, from a file. */
function loadWords(rt, what, bytes) {
  const h = rt.scope(what, (mem) => rt.x.vw_words_load(mem.bytes(bytes), bytes.length));
  if (!h) throw rt.error(what);
  return h;
}

/* A word model's file (`vae train --words`'s format): dtype 0 F32, 1 F16; meta [key, value] pairs. */
function saveWords(rt, what, h, dtype, meta) {
  return rt.scope(what, (mem) => {
    const out = mem.alloc(8);
    rt.check(what, rt.x.vw_words_save(h, dtype, mem.cstring(meta.flat().join('\0')), meta.length, out));
    const [p, len] = new Uint32Array(rt.buffer, out, 2), bytes = new Uint8Array(rt.buffer, p, len).slice();
    rt.x.free(p);
    return bytes;
  });
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
  return new WordModel(k, rt, h, arch, rt.x.vw_words_param_count(h));
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

/* Each model's kit, runtime and handle, out of reach of its users (no raw
 * memory through a property). */
const priv = new WeakMap();
const my = (m) => priv.get(m);

/* The live handle, or a VAE_ERR_STATE error. */
function handle(m, what) {
  const p = my(m);
  if (!p.h) p.k.fail(`${what}: this model has been disposed`, 'VAE_ERR_STATE');
  return p.h;
}

function temperature(m, what, t, dflt) {
  return Math.fround(my(m).k.finite(what, 'temperature', t ?? dflt, 0)); // the library takes a float
}

/* A seed option, or a random one. */
function seedOf(m, what, s) {
  const { k } = my(m);
  return s === undefined ? k.randomSeed() : k.seed64(what, s);
}

/* What both models share: construction and disposal. */
class SeqModel {
  /** @internal Use VAE.load. */
  constructor(kit, rt, h) {
    priv.set(this, { k: kit, rt, h });
  }

  /** Frees the model's memory in the module; later calls fail with VAE_ERR_STATE. */
  dispose() {
    const p = my(this);
    if (p.h) p.rt.x.vw_release(p.h);
    p.h = 0;
  }

  get disposed() {
    return !my(this).h;
  }

  /** @internal */
  get _runtime() {
    return my(this).rt;
  }
}

export class WordModel extends SeqModel {
  /** @internal Use VAE.load. */
  constructor(kit, rt, h, a, parameters) {
    super(kit, rt, h);
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
      parameters,
      simd: rt.simd,
    });
  }

  /* The words written out [n, maxLength + 1] (NUL-terminated, ASCII). */
  #read(out, n) {
    const W = this.info.maxLength + 1, u8 = new Uint8Array(my(this).rt.buffer, out, n * W), words = [];
    for (let b = 0; b < n; b++) {
      let s = '';
      for (let i = b * W; u8[i]; i++) s += String.fromCharCode(u8[i]);
      words.push(s);
    }
    return words;
  }

  #decode(what, z, n, temperature, seed) {
    const h = handle(this, what), rt = my(this).rt;
    return rt.scope(what, (mem) => {
      const out = mem.alloc(n * (this.info.maxLength + 1));
      rt.check(what, rt.x.vw_words_decode(h, z ? mem.f32(z) : 0, n, temperature, seed, out));
      return this.#read(out, n);
    });
  }

  /** Encoder means and log-variances of words: {mu, logvar}, each [n, latent]. */
  encodeWords(words) {
    const what = 'encodeWords', h = handle(this, what), rt = my(this).rt, L = this.info.latent;
    if (!L) my(this).k.fail(`${what}: a language model has no latent code`, 'VAE_ERR_STATE');
    if (typeof words === 'string') words = [words];
    if (!Array.isArray(words) || !words.length) my(this).k.fail(`${what}: words must be a non-empty array of strings`);
    words.forEach((w, i) => {
      if (typeof w !== 'string') my(this).k.fail(`${what}: word ${i + 1} is a ${typeof w}, not a string`);
      if (w.includes('\0')) my(this).k.fail(`${what}: word ${i + 1} contains U+0000`);
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
    const what = 'decodeWords', k = my(this).k, o = k.options(what, opts, ['temperature', 'seed']), L = this.info.latent;
    handle(this, what);
    if (!L) k.fail(`${what}: a language model has no latent code: use sampleWords`, 'VAE_ERR_STATE');
    const { data, n } = k.rows(what, 'z', z, L, `latent size ${L}`);
    const seed = o.seed === undefined ? k.randomSeed() : k.seed64(what, o.seed);
    return this.#decode(what, data, n, temperature(this, what, o.temperature, 0), seed);
  }

  /** n words drawn as `vae sample` draws them: z ~ N(0, I) from seed, each
   * character from softmax(logits / temperature) (default 1; 0: greedy). */
  sampleWords(n, opts) {
    const what = 'sampleWords', k = my(this).k, o = k.options(what, opts, ['seed', 'temperature']);
    const h = handle(this, what), rt = my(this).rt;
    k.integer(what, 'n', n, 1, 1e6);
    const t = temperature(this, what, o.temperature, 1);
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
    const what = 'interpolateWords', k = my(this).k, o = k.options(what, opts, ['method', 'temperature', 'seed']);
    k.integer(what, 'steps', steps, 2, 1e5);
    const slerp = k.choice(what, 'method', o.method, ['linear', 'slerp']) === 'slerp', L = this.info.latent;
    const t = temperature(this, what, o.temperature, 0);
    const seed = o.seed === undefined ? (t ? k.randomSeed() : 0n) : k.seed64(what, o.seed);
    if (!L) k.fail(`${what}: a language model has no latent space to walk`, 'VAE_ERR_STATE');
    const { mu } = this.encodeWords([a, b]);
    const za = mu.subarray(0, L), zb = mu.subarray(L), z = new Float32Array(steps * L);
    for (let s = 0; s < steps; s++) k.pathPoint(za, zb, s / (steps - 1), slerp, z, s * L);
    return this.#decode(what, z, steps, t, seed);
  }

  /** The weights as a safetensors file (`vae train --words`'s format): dtype 'f32' (default) or 'f16'. */
  toSafetensors(opts) {
    const what = 'toSafetensors', { k, rt } = my(this), o = k.options(what, opts, ['dtype', 'metadata']), h = handle(this, what);
    const dtype = k.choice(what, 'dtype', o.dtype, ['f32', 'f16']) === 'f16' ? 1 : 0; // vae_dtype
    const meta = Object.entries(o.metadata ?? {});
    for (const [key, v] of meta) if (typeof v !== 'string') k.fail(`${what}: metadata value of '${key}' must be a string`);
    if (rt.x.vw_words_save) return saveWords(rt, what, h, dtype, meta);
    // the inference module has no writer (its size budget): a loaded model gives back its file
    if (o.dtype || meta.length) k.fail(`${what}: dtype and metadata need the training code: call after fit() (or on a VAE.create model)`, 'VAE_ERR_STATE');
    return my(this).file.slice();
  }

  /** A trainer of this model (in this thread, or in a Worker with {worker: true}): fit(words) trains
   * as `vae train --words` does (5% held out, the same seeds give the same weights). */
  trainer(opts) {
    handle(this, 'trainer');
    const k = my(this).k, o = trainOptions(k, opts);
    if (opts?.worker) {
      const t = new k.WorkerTrainer(this, { worker: opts.worker });
      t._opts = { ...opts, worker: undefined };
      return t;
    }
    const t = new k.Trainer(this, {}, (what) => handle(this, what));
    t._o = o;
    return t;
  }

  /** @internal The training module's runtime. */
  async _toTraining() {
    const p = my(this), rt = await runtime(p.k, 'seq-train-', p.rt.simd);
    if (rt === p.rt) return;
    const h = loadWords(rt, 'fit', this.toSafetensors());
    p.rt.x.vw_release(handle(this, 'fit'));
    (p.rt = rt), (p.h = h);
  }

  /** @internal Replaces the weights with a file's (the worker's result). */
  _adopt(bytes) {
    const p = my(this), h = loadWords(p.rt, 'train', bytes);
    p.rt.x.vw_release(handle(this, 'train'));
    (p.h = h), (p.file = bytes);
  }

  /** @internal What the training worker needs: the training module and the words. */
  async _workerJob(data) {
    return { seq: true, module: (await runtime(my(this).k, 'seq-train-', my(this).rt.simd)).module, data: { words: wordList(my(this).k, data) } };
  }

  /** @internal Trainer.fit of a word model (vae-train.js calls it): the epochs
   * of `vae train --words`, one step per turn of the event loop. */
  async _fit(t, data, { gate, skipStep }) {
    const k = my(this).k, o = t._o, words = wordList(k, data);
    await this._toTraining();
    const rt = my(this).rt, x = rt.x, h = handle(this, 'fit');
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
}

/* A drawing's strokes as stroke-3 rows [n, 3] (dx, dy, lift), checked. */
function toRows(k, what, name, strokes, limit) {
  if (!Array.isArray(strokes) || !strokes.length) k.fail(`${what}: ${name} must be a non-empty array of strokes`);
  let n = 0;
  strokes.forEach((s, i) => {
    if (!Array.isArray(s) || !s.length) k.fail(`${what}: ${name}: stroke ${i + 1} must be a non-empty array of [x, y] points`);
    s.forEach((p, j) => {
      if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === 'number' && Number.isFinite(v)))
        k.fail(`${what}: ${name}: stroke ${i + 1}, point ${j + 1} must be [x, y] of finite numbers`);
    });
    n += s.length;
  });
  if (n > limit) k.fail(`${what}: ${name} has ${n} points, over the model's limit of ${limit}`);
  const rows = new Float32Array(3 * n);
  let x = 0, y = 0, r = 0;
  for (const s of strokes)
    s.forEach(([px, py], j) => {
      rows.set([px - x, py - y, j === s.length - 1 ? 1 : 0], 3 * r++);
      (x = px), (y = py);
    });
  return rows;
}

/* n rows of stroke-3 (dx, dy, lift) as strokes of absolute [x, y] points. */
function toStrokes(rows, n) {
  const strokes = [];
  let x = 0, y = 0, cur = [];
  for (let i = 0; i < n; i++) {
    (x += rows[3 * i]), (y += rows[3 * i + 1]);
    cur.push([x, y]);
    if (rows[3 * i + 2]) strokes.push(cur), (cur = []);
  }
  if (cur.length) strokes.push(cur);
  return strokes;
}

export class SketchModel extends SeqModel {
  /** @internal Use VAE.load. */
  constructor(kit, rt, h, a, parameters) {
    super(kit, rt, h);
    this.info = Object.freeze({
      model: 'sketch',
      summary: `SketchRNN: encoder BiLSTM ${a.enc_hidden}, decoder LSTM ${a.dec_hidden}, latent ${a.latent}, ${a.mixtures} mixture components, drawings up to ${a.max_len} points`,
      encHidden: a.enc_hidden,
      decHidden: a.dec_hidden,
      latent: a.latent,
      mixtures: a.mixtures,
      maxLength: a.max_len,
      scale: a.scale,
      parameters,
      simd: rt.simd,
    });
  }

  /* Runs call(mem, out, len) for n drawings written [n, maxLength, 3] with
   * their lengths; the drawings, each cut at maxSteps points. */
  #drawings(what, n, maxSteps, call) {
    const { rt } = my(this), N = this.info.maxLength;
    return rt.scope(what, (mem) => {
      const out = mem.alloc(12 * n * N), len = mem.alloc(4 * n);
      rt.check(what, call(mem, out, len));
      const rows = new Float32Array(rt.buffer, out, 3 * n * N), lens = new Int32Array(rt.buffer, len, n);
      return Array.from({ length: n }, (_, b) => toStrokes(rows.subarray(3 * b * N), Math.min(lens[b], maxSteps)));
    });
  }

  #z(what, z) {
    const { k } = my(this), L = this.info.latent, { data, n } = k.rows(what, 'z', z, L, `latent size ${L}`);
    if (n !== 1) k.fail(`${what}: expected one z of ${L} values, got ${data.length}`, 'VAE_ERR_SHAPE');
    return data;
  }

  #maxSteps(what, v) {
    return v === undefined ? Infinity : my(this).k.integer(what, 'maxSteps', v, 1, this.info.maxLength);
  }

  /** One generated drawing: z ~ N(0, I) from seed (or the z given), each
   * point drawn from the mixture at temperature (default 0.4; 0: the
   * likeliest); without z, the first drawing of `vae sample --seed`. */
  sampleStrokes(opts) {
    const what = 'sampleStrokes', o = my(this).k.options(what, opts, ['seed', 'temperature', 'z', 'maxSteps']);
    const h = handle(this, what), { rt } = my(this), t = temperature(this, what, o.temperature, 0.4);
    const seed = seedOf(this, what, o.seed), max = this.#maxSteps(what, o.maxSteps);
    if (o.z !== undefined) return this.decodeStrokes(o.z, { temperature: t, seed, maxSteps: o.maxSteps });
    return this.#drawings(what, 1, max, (mem, out, len) => rt.x.vw_sketch_sample(h, 1, seed, t, out, len))[0];
  }

  /** The encoder's mean and log-variance of a drawing: {mu, logvar}, each [latent]. */
  encodeStrokes(strokes) {
    const what = 'encodeStrokes', h = handle(this, what), { k, rt } = my(this), L = this.info.latent;
    const rows = toRows(k, what, 'strokes', strokes, this.info.maxLength);
    return rt.scope(what, (mem) => {
      const mu = mem.alloc(4 * L), logvar = mem.alloc(4 * L);
      rt.check(what, rt.x.vw_sketch_encode(h, mem.f32(rows), mem.i32([rows.length / 3]), 1, mu, logvar));
      return { mu: mem.readF32(mu, L), logvar: mem.readF32(logvar, L) };
    });
  }

  /** The drawing decoded from a latent z [latent]: points drawn at
   * temperature (default 0.4; 0: the likeliest) with seed, at most maxSteps. */
  decodeStrokes(z, opts) {
    const what = 'decodeStrokes', o = my(this).k.options(what, opts, ['temperature', 'seed', 'maxSteps']);
    const h = handle(this, what), { rt } = my(this), zz = this.#z(what, z);
    const t = temperature(this, what, o.temperature, 0.4), seed = seedOf(this, what, o.seed);
    const max = this.#maxSteps(what, o.maxSteps);
    return this.#drawings(what, 1, max, (mem, out, len) => rt.x.vw_sketch_decode(h, mem.f32(zz), 1, t, seed, out, len))[0];
  }

  /** The model finishes a drawing someone started: the prefix's strokes,
   * then the model's, from the prefix's own code (or z), at temperature. */
  complete(prefix, opts) {
    const what = 'complete', o = my(this).k.options(what, opts, ['temperature', 'seed', 'z']);
    const h = handle(this, what), { k, rt } = my(this);
    const rows = toRows(k, what, 'prefix', prefix, this.info.maxLength);
    const zz = o.z === undefined ? null : this.#z(what, o.z);
    const t = temperature(this, what, o.temperature, 0.4), seed = seedOf(this, what, o.seed);
    return this.#drawings(what, 1, Infinity, (mem, out, len) =>
      rt.x.vw_sketch_complete(h, mem.f32(rows), rows.length / 3, zz ? mem.f32(zz) : 0, t, seed, out, len))[0];
  }

  /** Drawings at `steps` points (default 8, end points included) of the path
   * between the codes of drawings a and b, each decoded with the same seed
   * (as `vae interpolate` draws them). */
  interpolateStrokes(a, b, steps = 8, opts) {
    const what = 'interpolateStrokes', k = my(this).k, o = k.options(what, opts, ['method', 'temperature', 'seed']);
    k.integer(what, 'steps', steps, 2, 1e4);
    const slerp = k.choice(what, 'method', o.method, ['slerp', 'linear']) === 'slerp', L = this.info.latent;
    const t = temperature(this, what, o.temperature, 0.1), seed = o.seed === undefined ? 1n : k.seed64(what, o.seed);
    const za = this.encodeStrokes(a).mu, zb = this.encodeStrokes(b).mu, z = new Float32Array(L);
    return Array.from({ length: steps }, (_, s) => {
      k.pathPoint(za, zb, s / (steps - 1), slerp, z, 0);
      return this.decodeStrokes(z, { temperature: t, seed });
    });
  }

  /** Draws a drawing on a canvas (or its 2D context), fitted to its bounding
   * box with a margin; with {animate: true} point by point over `duration`
   * ms (default 1200), returning a Promise that resolves when done. Options:
   * color, lineWidth, margin (a share of the size, default 0.08), clear
   * (default true), box ([x0, y0, x1, y1]: the region of the data's units to
   * fit instead of the drawing's bounding box, so that drawings keep their
   * place and size, e.g. a character's em box). */
  drawStrokes(canvas, strokes, opts) {
    const what = 'drawStrokes', k = my(this).k, o = k.options(what, opts, ['animate', 'duration', 'color', 'lineWidth', 'margin', 'clear', 'box']);
    toRows(k, what, 'strokes', strokes, Infinity); // checks them
    if (o.box !== undefined && !(Array.isArray(o.box) && o.box.length === 4 && o.box.every(Number.isFinite) && o.box[2] > o.box[0] && o.box[3] > o.box[1]))
      k.fail(`${what}: box must be [x0, y0, x1, y1] with x1 > x0 and y1 > y0`);
    return drawStrokes(k, canvas, strokes, o);
  }
}

/* SketchModel.drawStrokes. */
function drawStrokes(k, canvas, strokes, opts) {
  const c = typeof canvas?.getContext === 'function' ? canvas.getContext('2d') : canvas;
  if (!c || typeof c.lineTo !== 'function') k.fail('drawStrokes: canvas must be a canvas or its 2D context');
  const W = c.canvas.width, H = c.canvas.height, pts = strokes.flat();
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const [x0, y0, x1, y1] = opts.box ?? [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
  const m = opts.margin ?? 0.08, s = (Math.min(W, H) * (1 - 2 * m)) / Math.max(x1 - x0, y1 - y0, 1e-6);
  const ox = W / 2 - (s * (x0 + x1)) / 2, oy = H / 2 - (s * (y0 + y1)) / 2;
  if (opts.clear ?? true) c.clearRect(0, 0, W, H);
  c.strokeStyle = opts.color ?? '#111';
  c.lineWidth = opts.lineWidth ?? Math.max(1, Math.min(W, H) / 40);
  c.lineCap = c.lineJoin = 'round';
  /* the first k points, stroke by stroke */
  const upTo = (k) => {
    for (const st of strokes) {
      if (k <= 0) break;
      c.beginPath();
      const part = st.slice(0, k);
      part.forEach(([x, y], i) => (i ? c.lineTo : c.moveTo).call(c, ox + s * x, oy + s * y));
      if (part.length === 1) c.lineTo(ox + s * part[0][0] + 0.01, oy + s * part[0][1]); // a dot
      c.stroke();
      k -= st.length;
    }
  };
  if (!opts.animate) return upTo(pts.length);
  const total = pts.length, ms = opts.duration ?? 1200;
  return new Promise((done) => {
    const t0 = performance.now();
    const frame = (now) => {
      const k = Math.min(total, Math.ceil((total * (now - t0)) / ms));
      if (opts.clear ?? true) c.clearRect(0, 0, W, H);
      upTo(k);
      if (k < total) requestAnimationFrame(frame);
      else done();
    };
    requestAnimationFrame(frame);
  });
}
