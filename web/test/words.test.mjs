/* Word models in JS (vae-seq.js and vae-seq-*.wasm) against the native CLI
 * on the same files and seeds: sampleWords gives `vae sample`'s words,
 * interpolateWords `vae interpolate`'s, encodeWords `vae forward`'s mu and
 * logvar bit for bit (the LSTM's gate math is the library's own SIMD exp;
 * the sampling's softmax uses expf, the same routine in glibc and musl), and
 * the errors are VAEErrors with codes. Models are trained by the CLI on a
 * synthetic word list made here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { VAE, rejectsVAEError as rejects, haveCli, runCli, scratch, root, readF32, compare } from './helpers.mjs';

const skip = !haveCli && 'build/native/vae is missing (run build-scripts/build.sh)';
const dir = scratch();
const lines = (s) => s.replace(/\n$/, '').split('\n'); // words may be empty: keep every line

/* 300 words of 1-9 letters from a fixed generator (as tests/test_words_cli.sh). */
const words = Array.from({ length: 300 }, (_, i) =>
  Array.from({ length: (i % 9) + 1 }, (_, j) => String.fromCharCode(97 + ((i * 7 + (j + 1) * (j + 1) * 3) % 26))).join(''));

function train(cli, name, ...args) {
  const file = join(dir, name);
  writeFileSync(join(dir, 'words.txt'), words.join('\n') + '\n');
  execFileSync(cli, ['train', '--words', join(dir, 'words.txt'), '--epochs', '2', '--hidden', '16', '--embed', '8',
    '--batch', '32', '--quiet', '--out', file, ...args]);
  return file;
}

const files = haveCli ? { vae: train(join(root, 'build/native/vae'), 'w.safetensors', '--latent', '4'),
  lm: train(join(root, 'build/native/vae'), 'lm.safetensors', '--latent', '0') } : {};
/* A VAE that learned 16 words, so paths between them pass through other words. */
const fruit = ['apple', 'berry', 'cherry', 'date', 'elder', 'fig', 'grape', 'kiwi', 'lemon', 'mango', 'melon', 'olive',
  'peach', 'pear', 'plum', 'quince'];
if (haveCli) {
  writeFileSync(join(dir, 'fruit.txt'), fruit.join('\n') + '\n');
  files.fruit = join(dir, 'fruit.safetensors');
  runCli('train', '--words', join(dir, 'fruit.txt'), '--epochs', 300, '--batch', 16, '--hidden', 32, '--embed', 8, '--latent', 4,
    '--lr', 0.01, '--warmup-epochs', 200, '--seed', 2, '--quiet', '--out', files.fruit);
}

test('VAE.load gives a word model: info, and the same parameter count as vae info', { skip }, async () => {
  const m = await VAE.load(files.vae);
  assert.equal(m.constructor.name, 'WordModel');
  const { model, vocab, maxLength, embed, hidden, latent, parameters, simd } = m.info;
  assert.deepEqual({ model, vocab, maxLength, embed, hidden, latent, simd },
    { model: 'words', vocab: 'abcdefghijklmnopqrstuvwxyz', maxLength: 24, embed: 8, hidden: 16, latent: 4, simd: true });
  const cliCount = runCli('info', '--model', files.vae).match(/^parameters +([\d,]+)$/m)[1].replace(/,/g, '');
  assert.equal(parameters, Number(cliCount));
  m.dispose();
  assert.ok(m.disposed);
});

test('sampleWords: vae sample --seed --temperature, word for word', { skip }, async () => {
  const m = await VAE.load(files.vae), lm = await VAE.load(files.lm);
  for (const [seed, t] of [[7, 1], [8n, 0.6], [9, 0], [2n ** 64n - 1n, 2]]) {
    const cli = lines(runCli('sample', '--model', files.vae, '--n', 300, '--seed', seed, '--temperature', t));
    assert.deepEqual(m.sampleWords(300, { seed, temperature: t }), cli, `seed ${seed}, temperature ${t}`);
  }
  assert.deepEqual(lm.sampleWords(50, { seed: 4 }), lines(runCli('sample', '--model', files.lm, '--n', 50, '--seed', 4)),
    'the language model');
  assert.deepEqual(m.sampleWords(5, { seed: 3 }), m.sampleWords(300, { seed: 3 }).slice(0, 5), 'a prefix does not depend on n');
  assert.notDeepEqual(m.sampleWords(20, { seed: 1 }), m.sampleWords(20, { seed: 2 }));
});

test('encodeWords: vae forward\'s mu and logvar bit for bit; decodeWords of them: vae interpolate\'s end points', { skip }, async () => {
  const m = await VAE.load(files.vae), L = m.info.latent;
  const list = words.slice(0, 40);
  writeFileSync(join(dir, 'some.txt'), list.join('\n') + '\n');
  runCli('forward', '--model', files.vae, '--words', join(dir, 'some.txt'), '--out', join(dir, 'out.f32'));
  const out = readF32(join(dir, 'out.f32')), row = 2 * L + 2;
  const col = (off) => Float32Array.from({ length: list.length * L }, (_, k) => out[Math.floor(k / L) * row + off + (k % L)]);
  const { mu, logvar } = m.encodeWords(list);
  assert.equal(compare(mu, col(0)).differ, 0, 'mu');
  assert.equal(compare(logvar, col(L)).differ, 0, 'logvar');
  const greedy = m.decodeWords(mu);
  for (const [i, w] of list.slice(0, 6).entries())
    assert.equal(`0.000  ${greedy[i]}`, lines(runCli('interpolate', '--model', files.vae, '--a', w, '--b', w, '--steps', 2))[0], w);
  const z = m.decodeWords(mu, { temperature: 0.8, seed: 5 });
  assert.deepEqual(m.decodeWords(mu, { temperature: 0.8, seed: 5 }), z, 'the same seed, the same draws');
});

test('interpolateWords: vae interpolate, linear and slerp, greedy and sampled', { skip }, async () => {
  const m = await VAE.load(files.fruit);
  for (const [a, b, steps, opts, args] of [['apple', 'quince', 9, {}, []], ['fig', 'melon', 12, { method: 'slerp' }, ['--method', 'slerp']],
    ['kiwi', 'peach', 9, { temperature: 0.9, seed: 3 }, ['--temperature', 0.9, '--seed', 3]]]) {
    const cli = lines(runCli('interpolate', '--model', files.fruit, '--a', a, '--b', b, '--steps', steps, ...args)).map((l) => l.slice(7));
    const path = m.interpolateWords(a, b, steps, opts);
    assert.deepEqual(path, cli, `${a} -> ${b} ${JSON.stringify(opts)}`);
    assert.ok(new Set(path).size >= 2, `the path passes through several words: ${path}`);
  }
  assert.equal(m.interpolateWords('cat', 'dog').length, 8, 'eight steps by default');
});

/* The scalar LSTM cell computes its gates with the C library (glibc natively,
 * musl in wasm): the words agree on this model; a divergence would show here. */
test('the scalar module (simd: false) against the scalar CLI', { skip: (skip || !existsSync(join(root, 'build/nosimd/vae'))) && 'no build/nosimd/vae' }, async () => {
  const m = await VAE.load(files.vae, { simd: false });
  assert.equal(m.info.simd, false);
  const cli = lines(execFileSync(join(root, 'build/nosimd/vae'), ['sample', '--model', files.vae, '--n', '100', '--seed', '6'], { encoding: 'utf8' }));
  assert.deepEqual(m.sampleWords(100, { seed: 6 }), cli);
});

test('errors: words the model cannot read, latents of the wrong size, a language model, disposed, bad files', { skip }, async () => {
  const m = await VAE.load(files.vae), lm = await VAE.load(files.lm);
  await rejects(() => m.encodeWords(['cat', '']), 'VAE_ERR_ARG', /^encodeWords: word 2: empty word$/);
  await rejects(() => m.encodeWords(["it's"]), 'VAE_ERR_ARG', /^encodeWords: word 1: character 3 \(byte 0x27\) is not in the vocabulary a-z$/);
  await rejects(() => m.encodeWords(['abcdefghijklmnopqrstuvwxyz']), 'VAE_ERR_ARG',
    /^encodeWords: word 1: word of 26 characters is longer than the model's limit 24$/);
  await rejects(() => m.encodeWords(['a\0b']), 'VAE_ERR_ARG', /^encodeWords: word 1 contains U\+0000$/);
  await rejects(() => m.encodeWords([]), 'VAE_ERR_ARG', /^encodeWords: words must be a non-empty array of strings$/);
  await rejects(() => m.interpolateWords('cat', 'Cat'), 'VAE_ERR_ARG', /^encodeWords: word 2: character 1 \(byte 0x43\)/);
  await rejects(() => m.decodeWords(new Float32Array(6)), 'VAE_ERR_SHAPE', /^decodeWords: expected z of 4 values each/);
  await rejects(() => m.decodeWords([NaN, 0, 0, 0]), 'VAE_ERR_NONFINITE', /^decodeWords: z\[0\] is not finite$/);
  await rejects(() => m.sampleWords(0), 'VAE_ERR_ARG', /^sampleWords: n must be an integer in 1\.\.1000000 \(got 0\)$/);
  await rejects(() => m.sampleWords(3, { temperature: -1 }), 'VAE_ERR_ARG', /^sampleWords: temperature must be a finite number >= 0/);
  await rejects(() => m.sampleWords(3, { temp: 1 }), 'VAE_ERR_ARG', /^sampleWords: unknown option 'temp'/);
  await rejects(() => lm.encodeWords(['cat']), 'VAE_ERR_STATE', /^encodeWords: a language model has no latent code$/);
  await rejects(() => lm.interpolateWords('cat', 'dog'), 'VAE_ERR_STATE', /^interpolateWords: a language model has no latent space/);
  m.dispose();
  await rejects(() => m.sampleWords(1), 'VAE_ERR_STATE', /^sampleWords: this model has been disposed$/);
  // a word model whose metadata the library refuses: its own message
  const raw = readFileSync(files.vae), n = Number(raw.readBigUInt64LE(0));
  const head = JSON.parse(raw.subarray(8, 8 + n).toString());
  head.__metadata__['vae_wasm.arch'] = head.__metadata__['vae_wasm.arch'].replace('"hidden":16', '"hidden":0');
  let text = JSON.stringify(head);
  text += ' '.repeat((8 - ((8 + text.length) % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(text.length));
  await rejects(() => VAE.load(Buffer.concat([len, Buffer.from(text), raw.subarray(8 + n)])), 'VAE_ERR_METADATA',
    /^load: word model metadata: embedding 8, hidden 0, latent 4 out of range/);
});
