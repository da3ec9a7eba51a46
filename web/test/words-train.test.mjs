/* Training word models in JS (VAE.create({model: 'words'}), trainer, fit)
 * against `vae train --words` on the same list and options: the weights
 * equal the CLI's bit for bit, in this thread and in a Worker; the same seed
 * twice gives the same weights; pause, resume, cancel, progress and epoch
 * events (the held-out figures of the CLI's table); errors are VAEErrors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { VAE, rejectsVAEError as rejects, haveCli, runCli, scratch } from './helpers.mjs';

const skip = !haveCli && 'build/native/vae is missing (run build-scripts/build.sh)';
const dir = scratch();

/* 240 words of 1-9 letters from a fixed generator (as words.test.mjs). */
const words = Array.from({ length: 240 }, (_, i) =>
  Array.from({ length: (i % 9) + 1 }, (_, j) => String.fromCharCode(97 + ((i * 7 + (j + 1) * (j + 1) * 3) % 26))).join(''));
const ARCH = { model: 'words', embed: 8, hidden: 16, latent: 4, maxLength: 12, seed: 5 };
const OPTS = { epochs: 2, batchSize: 32, lr: 0.004, clip: 2, dropout: 0.25, warmupEpochs: 1, seed: 5 };
const CLI = ['--embed', 8, '--hidden', 16, '--latent', 4, '--max-len', 12, '--epochs', 2, '--batch', 32, '--lr', 0.004,
  '--clip', 2, '--dropout', 0.25, '--warmup-epochs', 1, '--seed', 5];

/* The tensors of a safetensors file (header offsets and bytes), without its metadata. */
function tensors(bytes) {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  const { __metadata__, ...head } = JSON.parse(Buffer.from(bytes.subarray(8, 8 + n)).toString()); // eslint-disable-line no-unused-vars
  return Object.fromEntries(Object.entries(head).map(([k, v]) => [k, Buffer.from(bytes.subarray(8 + n + v.data_offsets[0], 8 + n + v.data_offsets[1])).toString('hex')]));
}

function cliWeights(list, args) {
  writeFileSync(join(dir, 'list.txt'), list.join('\n') + '\n');
  runCli('train', '--words', join(dir, 'list.txt'), ...args, '--quiet', '--out', join(dir, 'cli.safetensors'));
  return readFileSync(join(dir, 'cli.safetensors'));
}

test('fit in this thread: vae train --words\'s weights bit for bit; events carry its held-out figures', { skip }, async () => {
  const cli = tensors(cliWeights(words, CLI));
  const m = await VAE.create(ARCH);
  assert.equal(m.constructor.name, 'WordModel');
  const t = m.trainer(OPTS), progress = [], epochs = [];
  t.on('progress', (e) => progress.push(e));
  t.on('epoch', (e) => epochs.push(e));
  const weights = await t.fit({ words });
  assert.equal(t.state, 'done');
  assert.deepEqual(tensors(weights), cli);
  assert.deepEqual(tensors(m.toSafetensors()), cli, 'the model holds the trained weights');
  assert.equal(progress.length, 2 * Math.ceil(228 / 32)); // 12 of 240 held out
  assert.deepEqual([progress[0].beta, progress.at(-1).totalStep, progress.at(-1).totalSteps], [0, 16, 16]);
  assert.equal(epochs.length, 2);
  assert.equal(epochs[1].heldOut.words, 12);
  // the held-out figures are vae eval --holdout's on the saved model
  writeFileSync(join(dir, 'js.safetensors'), weights);
  const ev = runCli('eval', '--model', join(dir, 'js.safetensors'), '--words', join(dir, 'list.txt'), '--holdout', '--split-seed', 5);
  const [, bound, rec, kl] = ev.match(/NLL bound +([\d.]+) nats\/word = rec ([\d.]+) \+ KL ([\d.]+)/).map(Number);
  const h = epochs[1].heldOut;
  assert.deepEqual([h.bound.toFixed(4), h.reconstruction.toFixed(4), h.kl.toFixed(4)].map(Number), [bound, rec, kl]);
  assert.equal(typeof h.accuracy, 'number');
  m.dispose();
});

test('fit in a Worker: the same weights; the model takes them; the same seed twice is the same', { skip }, async () => {
  const cli = tensors(cliWeights(words, CLI));
  for (let run = 0; run < 2; run++) {
    const m = await VAE.create(ARCH), t = m.trainer({ ...OPTS, worker: true });
    let epochs = 0;
    t.on('epoch', () => epochs++);
    const weights = await t.fit(words);
    assert.deepEqual(tensors(weights), cli, `run ${run + 1}`);
    assert.deepEqual(tensors(m.toSafetensors()), cli);
    assert.equal(epochs, 2);
    assert.equal(m.sampleWords(3, { seed: 1 }).length, 3);
    m.dispose();
  }
});

test('a loaded model trains on from its weights; F16 files too', { skip }, async () => {
  const base = await VAE.create(ARCH), file = base.toSafetensors({ dtype: 'f16' });
  base.dispose();
  const m = await VAE.load(file), t = m.trainer({ ...OPTS, epochs: 1 });
  const before = m.sampleWords(4, { seed: 3, temperature: 0 });
  await t.fit({ words });
  assert.equal(m.info.maxLength, 12);
  assert.notDeepEqual(m.sampleWords(4, { seed: 3, temperature: 0 }), before);
  m.dispose();
});

test('pause, resume and cancel, in this thread and in a Worker', { skip }, async () => {
  for (const worker of [false, true]) {
    const m = await VAE.create(ARCH), t = m.trainer({ ...OPTS, epochs: 50, worker });
    let steps = 0;
    const paused = new Promise((resolve) => t.on('progress', () => ++steps === 3 && (t.pause(), resolve())));
    const run = t.fit({ words });
    await paused;
    const at = steps;
    await new Promise((r) => setTimeout(r, 150));
    assert.ok(steps - at <= 2, `paused (${steps - at} steps after pause)`);
    assert.equal(t.state, 'paused');
    t.resume();
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(steps > at, 'resumed');
    t.cancel();
    await assert.rejects(run, (e) => e.code === 'ABORTED');
    assert.equal(t.state, 'cancelled');
    m.dispose();
  }
});

test('batchSize: the default (64) and the largest (256) train, a loaded model as a created one, as the CLI', { skip }, async () => {
  const big = Array.from({ length: 600 }, (_, i) => words[i % words.length] + String.fromCharCode(97 + (i % 23)));
  const args = (b) => CLI.map((v, i) => (CLI[i - 1] === '--batch' ? b : CLI[i - 1] === '--epochs' ? 1 : v));
  for (const batchSize of [undefined, 256]) {
    const cli = tensors(cliWeights(big, args(batchSize ?? 64)));
    const m = await VAE.create(ARCH);
    assert.deepEqual(tensors(await m.trainer({ ...OPTS, epochs: 1, batchSize }).fit({ words: big })), cli, `batch ${batchSize}`);
    const loaded = await VAE.load(await VAE.create(ARCH).then((c) => c.toSafetensors()));
    assert.deepEqual(tensors(await loaded.trainer({ ...OPTS, epochs: 1, batchSize }).fit({ words: big })), cli, `loaded, batch ${batchSize}`);
    m.dispose(), loaded.dispose();
  }
});

test('errors: bad words, options and models are VAEErrors', { skip }, async () => {
  const m = await VAE.create(ARCH);
  await rejects(() => m.trainer(OPTS).fit({ words: ['good', "don't"] }), 'VAE_ERR_ARG', /fit: word 2: character 4 \(byte 0x27\) is not in the vocabulary a-z/);
  await rejects(() => m.trainer(OPTS).fit({ words: ['one'] }), 'VAE_ERR_ARG', /fit: 1 words; need at least 2/);
  await rejects(() => m.trainer({ ...OPTS, worker: true }).fit({ words: ['abcdefghijklmnop', 'ab'] }), 'VAE_ERR_ARG',
    /fit: word 1: word of 16 characters is longer than the model's limit 12/);
  await rejects(() => m.trainer(OPTS).fit('words'), 'VAE_ERR_ARG', /fit: expected the words as an array of strings/);
  assert.throws(() => m.trainer({ dropout: 'a' }), /trainer: dropout/);
  assert.throws(() => m.trainer({ batchSize: 1000 }), /trainer: batchSize/);
  assert.throws(() => m.trainer({ noise: 'mask' }), /trainer: unknown option/);
  await rejects(() => VAE.create({ model: 'words', hidden: 0 }), 'VAE_ERR_ARG', /create: hidden/);
  await rejects(() => VAE.create({ model: 'words', vocab: 'aa' }), 'VAE_ERR_ARG', /create: .*repeats/);
  m.dispose();
  assert.throws(() => m.trainer(OPTS), /trainer: this model has been disposed/);
});
