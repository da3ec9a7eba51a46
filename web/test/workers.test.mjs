/* trainer({workers: N}): data parallel over worker threads, no shared
 * memory. The same seed and N give the same bits; N = 1 is the plain path;
 * N = 2 agrees with it to rounding and with `vae train --threads 2` as the
 * plain paths agree; a failing worker rejects fit and every worker ends. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { VAE, VAEError, haveCli, runCli, scratch, mnistDigits, writeIdx, tensorValues, compare } from './helpers.mjs';

const dir = scratch();
const settings = { epochs: 1, batchSize: 100, seed: 9, beta: 0.5, noise: 'gaussian', noiseLevel: 0.2 };

async function trained(images, workers) {
  const model = await VAE.create({ encoder: [64], latent: 8, seed: 9 });
  const resolved = await model.trainer({ ...settings, workers }).fit({ images });
  const out = model.toSafetensors();
  assert.deepEqual(resolved, out, `${workers} workers: fit resolved with other weights than the model's`);
  model.dispose();
  return out;
}

test('workers: the same N gives the same weights; 1 is the plain path; 2 agrees with 1 and with vae train --threads 2', async () => {
  const data = mnistDigits(1000), files = writeIdx(dir, 'train', data);
  const { images } = await VAE.readIDX(files.images);
  const one = await trained(images, 1), two = await trained(images, 2), again = await trained(images, 2);
  assert.deepEqual(two, again, 'two runs with 2 workers differ');
  const c = compare(tensorValues(one), tensorValues(two));
  console.log(`2 workers vs 1 after an epoch of 10 steps: ${c.differ} weights differ, max abs ${c.maxAbs}`);
  assert.ok(c.differ > 0 && c.maxAbs < 1e-4, JSON.stringify(c));
  if (!haveCli) return;
  const out = join(dir, 'threads2.safetensors');
  runCli('train', '--train-images', files.images, '--hidden', 64, '--latent', 8, '--epochs', 1, '--batch', 100,
    '--seed', 9, '--beta', 0.5, '--noise', 'gaussian:0.2', '--threads', 2, '--quiet', '--out', out);
  const native = await VAE.load(readFileSync(out)), nat = tensorValues(native.toSafetensors());
  native.dispose();
  const n = compare(tensorValues(two), nat);
  console.log(`2 workers vs vae train --threads 2: ${n.differ} of ${nat.length} differ (max rel ${n.maxRel})`);
  assert.equal(n.differ, 0, JSON.stringify(n)); // here glibc's and musl's expf/log1pf agree on every value
});

test('a worker that fails rejects fit with a VAEError, and every worker ends', async () => {
  const bad = join(dir, 'bad-worker.mjs');
  writeFileSync(bad, `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => { if (m.type === 'replica') parentPort.postMessage({ type: 'ready' }); else throw new Error('out of luck'); });`);
  const model = await VAE.create({ encoder: [16], latent: 2, seed: 1 });
  const trainer = model.trainer({ epochs: 1, batchSize: 8, workers: 3 });
  trainer._workerUrl = pathToFileURL(bad);
  await assert.rejects(trainer.fit({ images: new Float32Array(784 * 16).fill(0.5) }), (e) =>
    e instanceof VAEError && /^fit: a training worker failed: out of luck/.test(e.message));
  assert.equal(trainer.state, 'failed');
  assert.equal(trainer._pool.length, 3);
  assert.ok(trainer._pool.every((s) => s.w.threadId === -1), 'a worker still runs');
  model.dispose();
});

test('workers: pause, resume, cancel, progress and snapshots as with one', async () => {
  const { images } = await VAE.readIDX(writeIdx(dir, 'pause', mnistDigits(400)).images);
  const model = await VAE.create({ encoder: [32], latent: 4, seed: 2 });
  const trainer = model.trainer({ epochs: 20, batchSize: 40, workers: 2, snapshotEvery: 5 });
  const seen = { progress: 0, snapshot: 0 };
  trainer.on('progress', (e) => {
    seen.progress++;
    if (e.totalStep === 3) {
      trainer.pause();
      setTimeout(() => (assert.equal(seen.progress, 3, 'steps while paused'), trainer.resume()), 50);
    }
    if (e.totalStep === 12) trainer.cancel();
  });
  trainer.on('snapshot', (e) => (seen.snapshot++, assert.ok(e.weights instanceof Uint8Array)));
  await assert.rejects(trainer.fit({ images }), (e) => e.code === 'ABORTED');
  assert.deepEqual(seen, { progress: 12, snapshot: 2 });
  assert.equal(trainer.state, 'cancelled');
  assert.ok(trainer._pool.every((s) => s.w.threadId === -1), 'a worker still runs');
  model.dispose();
});
