/* The wasm heap does not grow with use: after a few warm-up rounds, 10,000
 * load/dispose cycles (MLP and conv), 10,000 decodes and 10,000 failing
 * calls leave the bytes malloc hands out unchanged and the wasm memory no
 * larger, in both instances: loaded models live in the inference one, models
 * from VAE.create (and training) in the training one. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VAE, CONV_VAE } from './helpers.mjs';

/* Each instance's memory the same before and after, and the training one
 * loaded (the tests' models come from VAE.create). */
function same(what, before, after) {
  const show = (side) => `${side} heap ${before[side]?.heapUsed} -> ${after[side]?.heapUsed} B, memory ${before[side]?.wasmBytes} -> ${after[side]?.wasmBytes} B`;
  console.log(`${what}: ${show('inference')}; ${show('training')}`);
  for (const side of ['inference', 'training']) {
    assert.ok(after[side], `${what}: the ${side} instance is loaded`);
    assert.deepEqual(after[side], before[side], `${what}: ${side} instance`);
  }
}

async function steady(what, round) {
  for (let i = 0; i < 5; i++) await round(i); // warm-up: first allocations, memory growth
  const before = await VAE.memory();
  for (let i = 0; i < 10000; i++) await round(i);
  same(what, before, await VAE.memory());
}

test('10,000 load/dispose cycles', async () => {
  const source = await VAE.create({ encoder: [64], latent: 8 });
  const bytes = source.toSafetensors();
  source.dispose();
  await steady('load/dispose', async () => (await VAE.load(bytes)).dispose());
});

test('10,000 conv model load/encode/decode/dispose cycles', async () => {
  const source = await VAE.create({ ...CONV_VAE, model: 'ae', codeActivation: 'sigmoid' });
  const bytes = source.toSafetensors(), images = source.sample(4, { seed: 1 });
  source.dispose();
  await steady('conv load/encode/decode/dispose', async () => {
    const m = await VAE.load(bytes);
    m.decode(m.encode(images).mu);
    m.dispose();
  });
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

for (const [what, config] of [['', { encoder: [32], latent: 4 }], [' (conv)', CONV_VAE]])
  test(`training frees everything it allocated${what}`, async () => {
    // workers: 1: the steps run in this thread's training instance, the one
    // measured (a pool's replicas live in Workers that end with the fit)
    const opts = { epochs: 1, batchSize: 16, workers: 1 };
    const model = await VAE.create(config);
    const images = new Float32Array(model.info.inputSize * 64).fill(0.5);
    await model.trainer(opts).fit({ images }); // warm-up
    const before = await VAE.memory();
    for (let i = 0; i < 20; i++) await model.trainer(opts).fit({ images });
    const t = model.trainer({ ...opts, epochs: 100 });
    t.on('progress', (e) => e.totalStep === 3 && t.cancel());
    await assert.rejects(t.fit({ images }), /cancelled/);
    same(`training${what}`, before, await VAE.memory());
    model.dispose();
  });
