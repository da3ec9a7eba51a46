/* Seeds: the same seed gives the same samples, and training with a seed
 * gives the weights `vae train --seed` gives on the same IDX files.
 *
 * Training runs forward and backward through expf/log1pf (glibc natively,
 * musl in wasm) and sums every gradient in a fixed order; the matmuls are
 * bit-identical (see native.test.mjs). So the weights are bit-identical
 * where the two math libraries agree; the test allows 1e-5 relative per
 * weight for a last-bit difference in expf or log1pf amplified by Adam over
 * the run, and reports how many weights differ at all. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { VAE, haveCli, runCli, scratch, mnistDigits, shapes, CONV_VAE, CONV_VAE_CLI, writeIdx, tensorValues, compare } from './helpers.mjs';

const dir = scratch();

test('the same seed gives the same samples; another seed others', async () => {
  const model = await VAE.create({ latent: 8, encoder: [64], seed: 1 });
  const a = model.sample(5, { seed: 42 }), b = model.sample(5, { seed: 42 }), c = model.sample(5, { seed: 43 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(await VAE.randomNormal(10, 42n), await VAE.randomNormal(10, 42));
  const again = await VAE.create({ latent: 8, encoder: [64], seed: 1 });
  assert.deepEqual(again.toSafetensors(), model.toSafetensors(), 'create with a seed is deterministic');
  model.dispose();
  again.dispose();
});

/* Weights of a file, re-saved without its metadata, so only tensors compare. */
async function weights(bytes) {
  const m = await VAE.load(bytes);
  const out = m.toSafetensors();
  m.dispose();
  return out;
}

test('training with a seed gives the weights of vae train', { skip: !haveCli && 'build/native/vae is missing' }, async () => {
  const data = mnistDigits(1000), files = writeIdx(dir, 'train', data), out = join(dir, 'native.safetensors');
  const settings = { epochs: 2, batchSize: 100, seed: 9, beta: 0.5, warmupEpochs: 1, workers: 1 }; // as --threads 1
  runCli('train', '--train-images', files.images, '--hidden', 64, '--latent', 8, '--epochs', 2, '--batch', 100,
    '--seed', 9, '--beta', 0.5, '--warmup-epochs', 1, '--quiet', '--out', out);

  const { images } = await VAE.readIDX(files.images);
  const model = await VAE.create({ encoder: [64], latent: 8, seed: 9 });
  await model.trainer(settings).fit({ images });
  const ours = tensorValues(model.toSafetensors()), native = tensorValues(await weights(readFileSync(out)));
  const c = compare(ours, native);
  console.log(`trained weights vs native: ${c.differ} of ${ours.length} differ (max rel ${c.maxRel}, max abs ${c.maxAbs})`);
  assert.ok(c.maxRel <= 1e-5 || c.maxAbs <= 1e-7, JSON.stringify(c));

  // The same run in a worker thread is the same wasm: bit-identical.
  const inWorker = await VAE.create({ encoder: [64], latent: 8, seed: 9 });
  await inWorker.trainer({ ...settings, worker: true }).fit({ images });
  assert.deepEqual(inWorker.toSafetensors(), model.toSafetensors());
  model.dispose();
  inWorker.dispose();
});

test('a conditional model trains like vae train --conditional', { skip: !haveCli && 'build/native/vae is missing' }, async () => {
  const data = mnistDigits(600), files = writeIdx(dir, 'cond', data), out = join(dir, 'cond.safetensors');
  runCli('train', '--train-images', files.images, '--train-labels', files.labels, '--conditional', '--hidden', 32,
    '--latent', 4, '--epochs', 1, '--batch', 64, '--seed', 4, '--quiet', '--out', out);
  const { images, labels } = await VAE.readIDX(files.images, files.labels);
  const model = await VAE.create({ encoder: [32], latent: 4, classes: 10, seed: 4 });
  await model.trainer({ epochs: 1, batchSize: 64, seed: 4, workers: 1 }).fit({ images, labels });
  const c = compare(tensorValues(model.toSafetensors()), tensorValues(await weights(readFileSync(out))));
  console.log(`conditional weights vs native: ${c.differ} differ (max rel ${c.maxRel})`);
  assert.ok(c.maxRel <= 1e-5 || c.maxAbs <= 1e-7, JSON.stringify(c));
  model.dispose();
});

/* Conv layers train the same way: backward through the conv kernels, and an
 * AE's mask noise and KL sparsity, drawn and summed as natively; here the
 * math libraries agree too, so the weights are bit-identical. */
for (const [what, args, kind, options] of [
  ['a conv VAE', [], {}, {}],
  ['a conv AE with mask noise and KL sparsity', ['--model', 'ae', '--code-activation', 'sigmoid', '--noise', 'mask:0.2', '--sparsity', 'kl'],
    { model: 'ae', codeActivation: 'sigmoid' }, { noise: 'mask', noiseLevel: 0.2, sparsity: 'kl' }],
])
  test(`${what} trains like vae train`, { skip: !haveCli && 'build/native/vae is missing' }, async () => {
    const files = writeIdx(dir, 'shapes', shapes(64)), out = join(dir, 'conv.safetensors');
    runCli('train', '--train-images', files.images, ...CONV_VAE_CLI, '--epochs', 2, '--batch', 16, '--seed', 6, '--quiet', ...args,
      '--out', out);
    const model = await VAE.create({ ...CONV_VAE, ...kind, seed: 6 });
    await model.trainer({ epochs: 2, batchSize: 16, seed: 6, workers: 1, ...options }).fit(await VAE.readIDX(files.images));
    const c = compare(tensorValues(model.toSafetensors()), tensorValues(await weights(readFileSync(out))));
    console.log(`${what}: trained weights vs native: ${c.differ} differ (max rel ${c.maxRel})`);
    assert.equal(c.differ, 0, JSON.stringify(c));
    model.dispose();
  });
