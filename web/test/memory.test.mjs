/* The wasm heap does not grow with use: after a few warm-up rounds, 10,000
 * load/dispose cycles, 10,000 decodes and 10,000 failing calls leave the
 * bytes malloc hands out unchanged and the wasm memory no larger. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VAE } from './helpers.mjs';

async function steady(what, round) {
  for (let i = 0; i < 5; i++) await round(i); // warm-up: first allocations, memory growth
  const before = await VAE.memory();
  for (let i = 0; i < 10000; i++) await round(i);
  const after = await VAE.memory();
  console.log(`${what}: heap in use ${before.heapUsed} -> ${after.heapUsed} bytes, wasm memory ${before.wasmBytes} -> ${after.wasmBytes}`);
  assert.equal(after.heapUsed, before.heapUsed, `${what}: heap in use`);
  assert.equal(after.wasmBytes, before.wasmBytes, `${what}: wasm memory`);
}

test('10,000 load/dispose cycles', async () => {
  const source = await VAE.create({ encoder: [64], latent: 8 });
  const bytes = source.toSafetensors();
  source.dispose();
  await steady('load/dispose', async () => (await VAE.load(bytes)).dispose());
});

test('10,000 decodes, samples and encodes', async () => {
  const model = await VAE.create({ encoder: [400], latent: 20 });
  const z = new Float32Array(20 * 4);
  await steady('decode', () => model.decode(z));
  await steady('sample + encode', (i) => model.encode(model.sample(2, { seed: i })));
  model.dispose();
});

test('10,000 failing calls', async () => {
  const model = await VAE.create({ encoder: [64], latent: 8 });
  const bad = model.toSafetensors().slice(0, 500), nan = new Float32Array(8).fill(NaN);
  await steady('failures', async () => {
    await VAE.load(bad).catch(() => {});
    try {
      model.decode(nan);
    } catch {}
  });
  model.dispose();
});

test('training frees everything it allocated', async () => {
  const model = await VAE.create({ encoder: [32], latent: 4 });
  const images = new Float32Array(784 * 64).fill(0.5);
  await model.trainer({ epochs: 1, batchSize: 16 }).fit({ images }); // warm-up
  const before = await VAE.memory();
  for (let i = 0; i < 20; i++) await model.trainer({ epochs: 1, batchSize: 16 }).fit({ images });
  const t = model.trainer({ epochs: 100, batchSize: 16 });
  t.on('progress', (e) => e.totalStep === 3 && t.cancel());
  await assert.rejects(t.fit({ images }), /cancelled/);
  assert.equal((await VAE.memory()).heapUsed, before.heapUsed);
  model.dispose();
});
