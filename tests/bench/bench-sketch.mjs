// SketchRNN (src/models/sketch.h) in Node 20: our SIMD and scalar wasm, our
// native build (bench_sketch), TensorFlow.js's wasm backend (SIMD, 1
// thread: tf.layers.lstm in a bidirectional wrapper to encode, its LSTM
// cell step by step to decode, the mixture and pen losses in tf ops) and
// @magenta/sketch (its SketchRNN on that same tfjs wasm backend), with the
// same weights (pretrained/hanzi-sketch-vae.safetensors unless given), in
// one run:
//   decode1  one character from a code (batch 1, the step loop: each point
//            is read back before the next step): greedy, temperature 0, so
//            that every peer draws the same points (checked) and the loops
//            are equally long
//   step100  one Adam step at batch 100: BiLSTM encoder, z, the KL with its
//            floor, the teacher-forced decoder, mixture and pen NLL, BPTT,
//            the gradient norm clipped to 1
// The batch: 100 characters our model samples (seeds 1..100, temperature
// 0.4), so no data set is needed; the first one's code is decoded.
//
// @magenta/sketch can run our decoder, not the whole model, so it takes part
// in decode1 only: it is a decoder-only SketchRNN (no encoder, no training,
// its LSTM reads the 5 stroke values alone). Given a code z, our decoder is
// that with W_z z added to the LSTM bias and tanh(linear(z)) as the start
// state, so those weights go into its checkpoint format (kernel and bias
// columns in its gate order i, j, f, o; its forget bias of 1 taken off;
// output columns pen first; NMIXTURE, fixed at 20 in the class, set to
// ours). The format stores weights as int16 steps of 10/32767, not the
// same weights, so the exact F32 tensors then replace the ones it built
// (the check below is exact; the timing does not depend on the values). Its
// head differs from ours: sigma = exp(raw), rho = tanh(raw), where ours
// bound log sigma to 4 tanh(raw / 4) and rho to 0.95 tanh(raw): greedy
// decoding uses neither, so it draws the same points.
//
// Prints CPU ms per call (the process's time: on a shared, loaded machine
// wall time mostly measures waiting) and ratios (peer / ours-simd), the
// issue's targets (reported, never asserted; the load is printed beside),
// the checks that the peers compute the same model, and writes
// results/bench-sketch-node.json.
//   node tests/bench/bench-sketch.mjs [--check] [MODEL.safetensors]
// --check: the checks only, no timing.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { parseSafetensors, table } from './suite.mjs';
import { dist, interleaved, root, serve, tfjs, timed, vae } from './node-libs.mjs';

const METRICS = ['decode1', 'step100'], BATCH = 100, LOG_2PI = Math.log(2 * Math.PI);
const args = process.argv.slice(2), checkOnly = args[0] === '--check';
const modelPath = args[checkOnly ? 1 : 0] ?? path.join(root, 'pretrained/hanzi-sketch-vae.safetensors');

/* A drawing's strokes (absolute points) as stroke-3 rows dx, dy, lift. */
function rowsOf(strokes) {
  const rows = [];
  let x = 0, y = 0;
  for (const s of strokes)
    s.forEach(([px, py], j) => {
      rows.push(px - x, py - y, j === s.length - 1 ? 1 : 0);
      (x = px), (y = py);
    });
  return rows;
}

const argmax = (v, from, n) => {
  let j = 0;
  for (let i = 1; i < n; i++) if (v[from + i] > v[from + j]) j = i;
  return j;
};

/* The greedy decoding loop every peer shares: next(prev stroke-5, t) runs
 * one step and gives {dx, dy, pen} in scaled units; returns the points
 * [dx, dy, lift] in the data's units as the library writes them (the end
 * state, or max_len points, ends it; the last point lifts the pen). */
function greedyLoop(N, scale, next) {
  const pts = [];
  let prev = [0, 0, 1, 0, 0];
  for (let t = 0; t <= N; t++) {
    const { dx, dy, pen } = next(prev);
    if (pen === 2 || t === N) {
      if (pts.length) pts[pts.length - 1][2] = 1;
      break;
    }
    pts.push([Math.fround(dx * scale), Math.fround(dy * scale), pen]);
    prev = [dx, dy, pen === 0 ? 1 : 0, pen === 1 ? 1 : 0, 0];
  }
  return pts;
}

/* Our module (simd or not): decoding with the inference module, training in
 * the training module (a model loaded there for batches of 100). */
async function ours(VAE, simd, file, z0, batch, klMin) {
  const m = await VAE.load(file, { simd });
  const train = await VAE.load(file, { simd, seqWasm: readFileSync(path.join(dist, `vae-seq-train-${simd ? 'simd' : 'nosimd'}.wasm`)) });
  const rt = train._runtime, x = rt.x;
  const h = rt.scope('bench', (mem) => x.vw_sketch_train_load(mem.bytes(file), file.length, BATCH));
  if (!h) throw rt.error('bench');
  let seed = 3n;
  /* {rec_xy, rec_pen, kl, loss, gradient norm}; eps given: the gradients only */
  const step = (eps) => rt.scope('bench', (mem) => {
    const st = mem.alloc(40);
    rt.check('bench', x.vw_sketch_train_step(h, mem.f32(batch.rows), mem.i32(batch.lens), BATCH, eps ? mem.f32(eps) : 0, 1, klMin, 1e-3, 1, seed++, st));
    return Array.from(new Float64Array(rt.buffer, st, 5));
  });
  return {
    decode1: () => {
      const r = rowsOf(m.decodeStrokes(z0, { temperature: 0, seed: 1 }));
      return Array.from({ length: r.length / 3 }, (_, i) => r.slice(3 * i, 3 * i + 3));
    },
    step100: () => step(null),
    grads: (eps) => step(eps),
  };
}

/* Keras LSTM weights from PyTorch's (p: encoder.rnn, sfx: _l0): kernels
 * transposed, one bias (b_ih + b_hh), gates i, f, c, o in both. */
function kerasLSTM(tf, T, p, sfx) {
  const w = (k) => T[`${p}.${k}${sfx}`];
  return [tf.tensor2d(w('weight_ih').data, w('weight_ih').shape).transpose(), tf.tensor2d(w('weight_hh').data, w('weight_hh').shape).transpose(),
    tf.add(tf.tensor1d(w('bias_ih').data), tf.tensor1d(w('bias_hh').data))];
}

/* The same model in TensorFlow.js (wasm backend). */
async function tfjsPeer(tf, T, arch, z0, batch, klMin) {
  await tf.setBackend('wasm');
  await tf.ready();
  const { enc_hidden: He, dec_hidden: Hd, latent: L, mixtures: M, max_len: N, scale } = arch, n = BATCH;
  const init = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }; // the file's weights replace them
  const lstm = (units, opts) => tf.layers.lstm({ units, recurrentActivation: 'sigmoid', ...init, ...opts });
  const enc = tf.layers.bidirectional({ layer: lstm(He, {}), mergeMode: 'concat', inputShape: [null, 5] });
  enc.build([null, null, 5]);
  enc.setWeights([...kerasLSTM(tf, T, 'encoder.rnn', '_l0'), ...kerasLSTM(tf, T, 'encoder.rnn', '_l0_reverse')]);
  const dec = lstm(Hd, { returnSequences: true });
  // built by a first call with an initial state (building it beforehand makes that call build it again)
  tf.tidy(() => dec.apply(tf.zeros([1, 1, 5 + L]), { initialState: [tf.zeros([1, Hd]), tf.zeros([1, Hd])] }));
  dec.setWeights(kerasLSTM(tf, T, 'decoder.rnn', '_l0'));
  const cell = tf.layers.lstmCell({ units: Hd, recurrentActivation: 'sigmoid', ...init });
  cell.build([null, 5 + L]);
  cell.setWeights(kerasLSTM(tf, T, 'decoder.rnn', '_l0'));
  const v = (name) => tf.variable(T[name].shape.length === 2 ? tf.tensor2d(T[name].data, T[name].shape) : tf.tensor1d(T[name].data));
  const [muW, muB, lvW, lvB, initW, initB, outW, outB] = ['encoder.mu', 'encoder.logvar', 'decoder.init', 'decoder.out'].flatMap((p) => [v(`${p}.weight`), v(`${p}.bias`)]);
  const dense = (x, w, b) => tf.add(tf.matMul(x, w, false, true), b);
  const start = (z, rows) => {
    const hc = tf.tanh(dense(z, initW, initB));
    return [hc.slice([0, 0], [rows, Hd]), hc.slice([0, Hd], [rows, Hd])];
  };

  const zt = tf.tensor2d(z0, [1, L]);
  const decode1 = () => tf.tidy(() => {
    let [h, c] = start(zt, 1);
    return greedyLoop(N, scale, (prev) => {
      [h, , c] = cell.call([tf.concat([tf.tensor2d(prev, [1, 5]), zt], 1), h, c], {});
      const y = dense(h, outW, outB).dataSync(); // the next step's input: read back each step
      const j = argmax(y, 0, M);
      return { dx: y[M + j], dy: y[2 * M + j], pen: argmax(y, 6 * M, 3) };
    });
  });

  // the batch as tensors, once: encoder input and mask, decoder input, targets and masks
  const Te = Math.max(...batch.lens), Td = Te + 1;
  const xe = new Float32Array(n * Te * 5), em = new Float32Array(n * Te), xd = new Float32Array(n * Td * 5);
  const tgt = new Float32Array(n * Td * 5), pm = new Float32Array(n * Td), qm = new Float32Array(n * Td);
  const s5 = (out, o, r, i) => out.set([r[3 * i] / scale, r[3 * i + 1] / scale, 1 - r[3 * i + 2], r[3 * i + 2], 0], o);
  for (let b = 0, off = 0; b < n; off += 3 * batch.lens[b++]) {
    const r = batch.rows.subarray(off), len = batch.lens[b];
    for (let t = 0; t < len; t++) s5(xe, (b * Te + t) * 5, r, t), (em[b * Te + t] = 1), s5(xd, (b * Td + t + 1) * 5, r, t);
    xd[b * Td * 5 + 2] = 1; // S_0: the pen on the paper
    for (let t = 0; t <= len; t++) {
      if (t < len) s5(tgt, (b * Td + t) * 5, r, t), (pm[b * Td + t] = 1);
      else tgt[(b * Td + t) * 5 + 4] = 1; // the end
      qm[b * Td + t] = 1;
    }
  }
  const xeT = tf.tensor3d(xe, [n, Te, 5]), emT = tf.tensor2d(em, [n, Te]).cast('bool'), xdT = tf.tensor3d(xd, [n, Td, 5]);
  const tgtT = tf.tensor2d(tgt, [n * Td, 5]), pmT = tf.tensor1d(pm), qmT = tf.tensor1d(qm);
  const squash = (raw, k) => tf.mul(k, tf.tanh(tf.div(raw, k)));
  /* the batch loss (and its parts) at z = mu + exp(logvar / 2) eps */
  const loss = (eps) => {
    const hcat = enc.apply(xeT, { mask: emT }), mu = dense(hcat, muW, muB), lv = dense(hcat, lvW, lvB);
    const z = tf.add(mu, tf.mul(tf.exp(tf.mul(lv, 0.5)), eps));
    const kl = tf.mean(tf.mul(-0.5, tf.sum(tf.sub(tf.add(1, lv), tf.add(tf.square(mu), tf.exp(lv))), 1)));
    const y = dec.apply(tf.concat([xdT, tf.tile(tf.expandDims(z, 1), [1, Td, 1])], 2), { initialState: start(z, n) });
    const out = dense(tf.reshape(y, [n * Td, Hd]), outW, outB);
    const [pi, mx, my, rsx, rsy, rrho, pen] = tf.split(out, [M, M, M, M, M, M, 3], 1);
    const [dx, dy, pt] = tf.split(tgtT, [1, 1, 3], 1);
    const lsx = squash(rsx, 4), lsy = squash(rsy, 4), rho = tf.mul(0.95, tf.tanh(rrho)), q = tf.sub(1, tf.square(rho));
    const zx = tf.div(tf.sub(dx, mx), tf.exp(lsx)), zy = tf.div(tf.sub(dy, my), tf.exp(lsy));
    const Z = tf.sub(tf.add(tf.square(zx), tf.square(zy)), tf.mul(tf.mul(2, rho), tf.mul(zx, zy)));
    const a = tf.sub(tf.sub(tf.sub(tf.logSoftmax(pi), tf.add(LOG_2PI, tf.add(lsx, lsy))), tf.mul(0.5, tf.log(q))), tf.div(Z, tf.mul(2, q)));
    const recXY = tf.div(tf.sum(tf.mul(tf.neg(tf.logSumExp(a, 1)), pmT)), n);
    const recPen = tf.div(tf.sum(tf.mul(tf.neg(tf.sum(tf.mul(pt, tf.logSoftmax(pen)), 1)), qmT)), n);
    return { total: tf.add(tf.add(recXY, recPen), tf.maximum(kl, klMin)), recXY, recPen, kl };
  };
  /* gradients of the loss; the global norm as ours (PyTorch's b_ih and b_hh,
   * one Keras bias here, each get the bias's gradient: it counts twice);
   * with keep, the loss's parts (else disposed) */
  const twice = new Set([...enc.trainableWeights, ...dec.trainableWeights].filter((w) => /bias$/.test(w.name)).map((w) => w.name));
  if (twice.size !== 3) throw new Error(`expected 3 LSTM biases, found ${[...twice]}`);
  const grads = (eps, keep) => {
    let parts;
    const { grads: g } = tf.variableGrads(() => {
      parts = loss(eps);
      if (keep) Object.values(parts).forEach((x) => tf.keep(x));
      return parts.total;
    });
    const norm = Math.sqrt(tf.addN(Object.entries(g).map(([name, x]) => tf.mul(twice.has(name) ? 2 : 1, tf.sum(tf.square(x))))).dataSync()[0]);
    return { g, norm, parts };
  };
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const step100 = () => tf.tidy(() => {
    const { g, norm } = grads(tf.randomNormal([n, L]));
    const k = norm > 1 ? 1 / (norm + 1e-6) : 1; // clip the gradient norm to 1, as ours
    opt.applyGradients(Object.fromEntries(Object.entries(g).map(([name, x]) => [name, tf.mul(x, k)])));
  });
  const check = (eps) => tf.tidy(() => {
    const { norm, parts } = grads(tf.tensor2d(eps, [n, L]), true);
    const [xy, pen, kl, total] = [parts.recXY, parts.recPen, parts.kl, parts.total].map((t) => t.dataSync()[0]);
    Object.values(parts).forEach((x) => x.dispose());
    return [xy, pen, kl, total, norm];
  });
  return { decode1, step100, grads: check };
}

/* @magenta/sketch's decoder-only SketchRNN given our decoder at code z0
 * (see the top of this file). Its class computes on the tfjs it imports:
 * package.json's override makes that this run's tfjs, with the wasm backend. */
async function magentaPeer(T, arch, z0) {
  const { SketchRNN } = (await import('@magenta/sketch')).default;
  const { dec_hidden: H, latent: L, mixtures: M, max_len: N, scale } = arch, P = 6 * M + 3;
  const Wih = T['decoder.rnn.weight_ih_l0'].data, Whh = T['decoder.rnn.weight_hh_l0'].data;
  const bih = T['decoder.rnn.bias_ih_l0'].data, bhh = T['decoder.rnn.bias_hh_l0'].data;
  const Wo = T['decoder.out.weight'].data, bo = T['decoder.out.bias'].data, I = 5 + L;
  const gate = [0, 2, 1, 3]; // its column block k (i, j, f, o) is our row block gate[k] (i, f, g, o)
  const xh = new Float32Array(5 * 4 * H), hh = new Float32Array(H * 4 * H), bias = new Float32Array(4 * H);
  for (let k = 0; k < 4; k++)
    for (let u = 0; u < H; u++) {
      const row = gate[k] * H + u, col = k * H + u;
      for (let r = 0; r < 5; r++) xh[r * 4 * H + col] = Wih[row * I + r];
      for (let r = 0; r < H; r++) hh[r * 4 * H + col] = Whh[row * H + r];
      let b = bih[row] + bhh[row] - (k === 2 ? 1 : 0); // tf.basicLSTMCell adds a forget bias of 1
      for (let j = 0; j < L; j++) b += Wih[row * I + 5 + j] * z0[j];
      bias[col] = b;
    }
  const ok = new Float32Array(H * P), ob = new Float32Array(P); // its columns: pen (3), then pi, mu, sigma, rho as ours
  for (let c = 0; c < P; c++) {
    const row = c < 3 ? 6 * M + c : c - 3;
    for (let r = 0; r < H; r++) ok[r * P + c] = Wo[row * H + r];
    ob[c] = bo[row];
  }
  // its checkpoint: [info, shapes, base64 int16 arrays of w * 32767 / 10]
  const weights = [ok, ob, xh, hh, bias], dims = [[H, P], [P], [5, 4 * H], [H, 4 * H], [4 * H]];
  let outside = 0, quant = 0;
  const strings = weights.map((w) => {
    const q = Int16Array.from(w, (x) => Math.max(-32767, Math.min(32767, Math.round((x * 32767) / 10))));
    w.forEach((x, i) => ((outside += Math.abs(x) > 10), (quant = Math.max(quant, Math.abs(x - (10 * q[i]) / 32767)))));
    return Buffer.from(q.buffer).toString('base64');
  });
  const mag = new SketchRNN('');
  mag.NMIXTURE = M;
  mag.instantiateFromJSON({ scale_factor: scale, mode: 'gen', name: 'vae-wasm' }, dims, strings);
  mag.setPixelFactor(1);
  const tf = (await import('@tensorflow/tfjs')).default;
  mag.rawVars.forEach((t) => t.dispose());
  mag.outputKernel = tf.tensor2d(ok, [H, P]);
  mag.outputBias = tf.tensor1d(ob);
  mag.lstmKernel = tf.concat2d([tf.tensor2d(xh, [5, 4 * H]), tf.tensor2d(hh, [H, 4 * H])], 0);
  mag.lstmBias = tf.tensor1d(bias);
  mag.rawVars = [mag.outputKernel, mag.outputBias, mag.lstmKernel, mag.lstmBias];
  // the start state tanh(linear(z0)), as its {c, h}
  const Wi = T['decoder.init.weight'].data, bi = T['decoder.init.bias'].data, hc = new Float32Array(2 * H);
  for (let r = 0; r < 2 * H; r++) {
    let s = bi[r];
    for (let j = 0; j < L; j++) s += Wi[r * L + j] * z0[j];
    hc[r] = Math.tanh(s);
  }
  let sigma = 0;
  const decode1 = () => {
    let state = { h: hc.slice(0, H), c: hc.slice(H) };
    return greedyLoop(N, 1, (prev) => {
      state = mag.update([prev[0] * scale, prev[1] * scale, prev[2], prev[3], prev[4]], state);
      const pdf = mag.getPDF(state, 1, 1), j = argmax(pdf.pi, 0, M);
      // its sigma against ours from the same raw output: exp(raw) vs exp(4 tanh(raw / 4))
      for (const s of pdf.sigmaX.subarray(0, M)) sigma = Math.max(sigma, Math.abs(Math.log(s) - 4 * Math.tanh(Math.log(s) / 4)));
      return { dx: pdf.muX[j], dy: pdf.muY[j], pen: argmax(pdf.pen, 0, 3) };
    }).map(([dx, dy, lift]) => [Math.fround(dx * scale), Math.fround(dy * scale), lift]);
  };
  return { decode1, format: { outside, quantStep: 10 / 32767, maxQuantError: quant }, logSigmaDiff: () => sigma };
}

/* Largest difference between two point lists, or Infinity if their lengths differ. */
function pointsDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  a.forEach((p, i) => p.forEach((x, k) => (d = Math.max(d, Math.abs(x - b[i][k])))));
  return d;
}

async function main() {
  const VAE = await vae(), tf = await tfjs();
  const file = readFileSync(modelPath), T = parseSafetensors(file);
  const m = await VAE.load(file), info = m.info;
  const arch = { enc_hidden: info.encHidden, dec_hidden: info.decHidden, latent: info.latent, mixtures: info.mixtures, max_len: info.maxLength, scale: info.scale };
  const klMin = 0.2 * arch.latent; // `vae train --strokes`'s default floor
  const sampled = [];
  for (let seed = 1; sampled.length < BATCH; seed++) {
    const s = m.sampleStrokes({ seed, temperature: 0.4 });
    if (s.length) sampled.push(s);
  }
  const drawings = sampled.map(rowsOf), z0 = m.encodeStrokes(sampled[0]).mu;
  const batch = { rows: Float32Array.from(drawings.flat()), lens: Int32Array.from(drawings, (d) => d.length / 3) };
  m.dispose();
  const work = path.join(root, 'build/bench-sketch');
  mkdirSync(work, { recursive: true });
  writeFileSync(path.join(work, 'drawings.txt'), drawings.map((d) => d.join(' ')).join('\n') + '\n');
  const say = (s) => process.stdout.write(s);
  const mean = batch.lens.reduce((a, b) => a + b, 0) / BATCH;
  say(`model ${path.basename(modelPath)}: ${info.summary}; batch: ${BATCH} sampled characters, ${mean.toFixed(1)} points on average, longest ${Math.max(...batch.lens)}\n`);
  const peers = {
    'ours-simd': await ours(VAE, true, file, z0, batch, klMin),
    'ours-nosimd': await ours(VAE, false, file, z0, batch, klMin),
    'tfjs-wasm': await tfjsPeer(tf, T, arch, z0, batch, klMin),
    'magenta-sketch': await magentaPeer(T, arch, z0),
    native: serve(process.env.BENCH_SKETCH_NATIVE || path.join(root, 'build/native/bench_sketch'), [modelPath, path.join(work, 'drawings.txt'), String(klMin)], METRICS),
  };

  // the same computation: the decoded character, and the loss and gradient norm at z = mu
  const drawn = Object.fromEntries(['ours-simd', 'tfjs-wasm', 'magenta-sketch'].map((p) => [p, peers[p].decode1()]));
  const eps = new Float32Array(BATCH * arch.latent), g = { ours: peers['ours-simd'].grads(eps), tfjs: peers['tfjs-wasm'].grads(eps) };
  const rel = Math.max(...g.ours.map((x, i) => Math.abs(x - g.tfjs[i]) / Math.max(1, Math.abs(x))));
  const same = {
    decoded: { points: drawn['ours-simd'].length, tfjsMaxDiff: pointsDiff(drawn['ours-simd'], drawn['tfjs-wasm']), magentaMaxDiff: pointsDiff(drawn['ours-simd'], drawn['magenta-sketch']) },
    lossAtMu: { names: ['rec_xy', 'rec_pen', 'kl', 'loss', 'grad_norm'], ours: g.ours, tfjs: g.tfjs, maxRelDiff: rel },
    magenta: { ...peers['magenta-sketch'].format, maxLogSigmaDiff: peers['magenta-sketch'].logSigmaDiff() },
  };
  const f = (v) => v.map((x) => x.toFixed(4)).join(', ');
  say(`same model: greedy character of ${same.decoded.points} points, max |ours - tfjs| ${same.decoded.tfjsMaxDiff.toExponential(2)}, |ours - magenta| ${same.decoded.magentaMaxDiff.toExponential(2)} (data units)\n`);
  say(`  batch loss at z = mu (rec_xy, rec_pen, KL, loss, gradient norm): ours ${f(g.ours)}; tfjs ${f(g.tfjs)}; max relative difference ${rel.toExponential(2)}\n`);
  say(`  magenta's checkpoint format: ${same.magenta.outside} weights outside its +-10, int16 steps of ${same.magenta.quantStep.toExponential(2)} (largest rounding ${same.magenta.maxQuantError.toExponential(2)}; exact weights set after); its log sigma differs from our bounded one by up to ${same.magenta.maxLogSigmaDiff.toFixed(3)} on this character (greedy decoding reads neither)\n`);
  if (checkOnly) return peers.native.close();

  const load0 = os.loadavg()[0], results = {};
  for (const metric of METRICS) {
    const list = Object.entries(peers).filter(([, p]) => p[metric]).map(([name, p]) => ({ name, run: name === 'native' ? p[metric] : timed(p[metric]) }));
    const ms = await interleaved(list);
    list.forEach((p, i) => ((results[p.name] ??= {})[metric] = ms[i]));
    say(`${metric}: ${list.map((p, i) => `${p.name} ${ms[i].toFixed(3)} ms`).join(', ')} (load ${os.loadavg()[0].toFixed(2)})\n`);
  }
  peers.native.close();
  const load1 = os.loadavg()[0];
  say(`\n${table(results, METRICS)}\n(CPU time; load average ${load0.toFixed(2)} -> ${load1.toFixed(2)} on ${os.cpus().length} cores; magenta-sketch has no training)\n\n`);

  const o = results['ours-simd'], t = results['tfjs-wasm'], g2 = results['magenta-sketch'], n = results.native, lines = [];
  const line = (what, ok, detail) => lines.push(`${ok ? 'met    ' : 'NOT met'}  ${what}: ${detail}`);
  line('sampling one character >= 5x faster than tfjs-wasm', t.decode1 / o.decode1 >= 5, `${(t.decode1 / o.decode1).toFixed(1)}x`);
  line('sampling one character >= 5x faster than @magenta/sketch', g2.decode1 / o.decode1 >= 5, `${(g2.decode1 / o.decode1).toFixed(1)}x`);
  line('training step at batch 100 >= 5x faster than tfjs-wasm', t.step100 / o.step100 >= 5, `${(t.step100 / o.step100).toFixed(1)}x`);
  for (const k of METRICS) lines.push(`         ${k}: our wasm / native ${(o[k] / n[k]).toFixed(2)}x, scalar wasm / SIMD wasm ${(results['ours-nosimd'][k] / o[k]).toFixed(2)}x`);
  say(lines.join('\n') + '\n');
  mkdirSync(path.join(root, 'tests/bench/results'), { recursive: true });
  writeFileSync(path.join(root, 'tests/bench/results/bench-sketch-node.json'), JSON.stringify({
    date: new Date().toISOString(), node: process.version, load: [load0, load1], cores: os.cpus().length, model: path.basename(modelPath),
    batch: { n: BATCH, meanPoints: mean, longest: Math.max(...batch.lens) }, same, results, targets: lines,
  }, null, 1) + '\n');
}

await main();
