/* M2 (semi-supervised) in JS: classify() against `vae classify`, fit() on
 * labelled images against `vae train --model m2`, and -1 labels for the
 * unlabelled images. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { VAE, haveCli, runCli, scratch, mnistDigits, writeIdx, tensorValues, compare } from './helpers.mjs';

const skip = !haveCli && 'build/native/vae is missing (run build-scripts/build.sh)';
const dir = scratch();
const M2 = { model: 'm2', encoder: [32], latent: 4, classes: 10, classifier: [32] };

const argmax = (p, C) => Array.from({ length: p.length / C }, (_, i) => {
  let best = 0;
  for (let k = 1; k < C; k++) if (p[i * C + k] > p[i * C + best]) best = k;
  return best;
});

test('an M2 trained by vae train classifies as vae classify does, and samples a chosen digit', { skip }, async () => {
  const train = writeIdx(dir, 'train', mnistDigits(600)), out = join(dir, 'm2.safetensors');
  runCli('train', '--model', 'm2', '--train-images', train.images, '--labels', train.labels, '--labelled', 50,
    '--hidden', 32, '--latent', 4, '--epochs', 2, '--batch', 50, '--seed', 2, '--quiet', '--out', out);
  const model = await VAE.load(readFileSync(out));
  assert.equal(model.info.summary, runCli('info', '--model', out).match(/^model +(.*)$/m)[1]);
  assert.deepEqual(model.info.classifier, [32]);
  const { images } = await VAE.readIDX(train.images);
  const probs = await model.classify(images);
  assert.equal(probs.length, 600 * 10);
  for (let i = 0; i < 600; i++) {
    const sum = probs.subarray(i * 10, i * 10 + 10).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `probabilities of image ${i} sum to ${sum}`);
  }
  const native = runCli('classify', '--model', out, '--images', train.images).trim().split('\n').map(Number);
  assert.deepEqual(argmax(probs, 10), native, 'the same class for every image');
  const sevens = model.sample(4, { seed: 1, label: 7 });
  assert.equal(sevens.length, 4 * 784);
  model.dispose();
});

test('fit on labelled images gives the weights of vae train --model m2', { skip }, async () => {
  const data = mnistDigits(300), files = writeIdx(dir, 'all', data), out = join(dir, 'all.safetensors');
  runCli('train', '--model', 'm2', '--train-images', files.images, '--labels', files.labels, '--hidden', 32, '--latent', 4,
    '--epochs', 2, '--batch', 50, '--seed', 5, '--quiet', '--out', out);
  const model = await VAE.create({ ...M2, seed: 5 });
  await model.trainer({ epochs: 2, batchSize: 50, seed: 5, workers: 1 }).fit(await VAE.readIDX(files.images, files.labels));
  const native = await VAE.load(readFileSync(out));
  const c = compare(tensorValues(model.toSafetensors()), tensorValues(native.toSafetensors()));
  console.log(`M2 weights vs native: ${c.differ} differ (max rel ${c.maxRel}, max abs ${c.maxAbs})`);
  assert.ok(c.maxRel <= 1e-5 || c.maxAbs <= 1e-7, JSON.stringify(c));
  model.dispose();
  native.dispose();
});

test('fit takes -1 for unlabelled images (M2 only), deterministically, and learns from them', async () => {
  const { bytes, labels } = mnistDigits(1000);
  const images = Float32Array.from(bytes, (v) => v / 255);
  const some = labels.map((l, i) => (i < 100 ? l : -1)); // 10 labels per class, 900 unlabelled
  const run = async () => {
    const m = await VAE.create({ ...M2, seed: 3 });
    const events = [];
    const t = m.trainer({ epochs: 10, batchSize: 100, lr: 3e-3, alpha: 20, seed: 3, workers: 1 });
    t.on('epoch', (e) => events.push(e.loss));
    await t.fit({ images, labels: some });
    return { m, events };
  };
  const a = await run(), b = await run();
  assert.deepEqual(a.m.toSafetensors(), b.m.toSafetensors(), 'the same seed gives the same weights');
  assert.ok(a.events.every(Number.isFinite), `finite epoch losses ${a.events}`);
  const wrong = argmax(await a.m.classify(images.subarray(100 * 784)), 10).filter((p, i) => p !== labels[100 + i]).length;
  console.log(`M2 from 100 labels of 1000 npm digits, 10 epochs: ${(wrong / 9).toFixed(1)}% of the unlabelled misclassified`);
  assert.ok(wrong < 900 * 0.5, `at most half wrong: ${wrong} of 900 wrong`);

  const cvae = await VAE.create({ encoder: [16], latent: 2, classes: 10 });
  await assert.rejects(cvae.trainer({ epochs: 1 }).fit({ images, labels: some }), /labels -1 of item 100 is not an integer in 0\.\.9$/);
  await assert.rejects(cvae.classify(images.subarray(0, 784)), { code: 'VAE_ERR_STATE', message: /only M2 models classify/ });
  cvae.dispose();
  a.m.dispose();
  b.m.dispose();
});
