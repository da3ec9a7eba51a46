/* The wasm module against the native CLI on the same file, inputs and seed.
 *
 * Expectation, and why: the matrix kernels are written once with
 * wasm_simd128.h intrinsics and compiled natively through SIMDe with
 * -ffp-contract=off, and the generator uses only IEEE-exact operations, so
 * everything made of +, -, *, / and max is bit-identical: the encoder's mu
 * and logvar, the latents of `sample`. Steps through expf/log1pf (sigmoid,
 * the Bernoulli loss, the KL's exp) use the C library: glibc natively, musl
 * in wasm. Where those agree the results are bit-identical too; the test
 * allows a relative 1e-6 there and reports how many values differ at all. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { VAE, root, haveCli, runCli, scratch, mnistDigits, shapes, CONV_VAE, CONV_VAE_CLI, writeIdx, writeF32, readF32, readPng, compare } from './helpers.mjs';

const skip = !haveCli && 'build/native/vae is missing (run build-scripts/build.sh)';
const dir = scratch();

/* Columns [off, off + len) of each `row`-float row of vae forward's output. */
function columns(out, row, off, len) {
  const n = out.length / row;
  return Float32Array.from({ length: n * len }, (_, k) => out[Math.floor(k / len) * row + off + (k % len)]);
}

async function fixture() {
  const model = await VAE.create({ encoder: [128], latent: 12, seed: 7 });
  const file = join(dir, 'model.safetensors');
  writeFileSync(file, model.toSafetensors());
  const { bytes } = mnistDigits(50);
  const x = Float32Array.from(bytes, (v) => v / 255);
  return { model, file, x, n: 50 };
}

test('forward: mu, logvar, decoded means, rec and KL match vae forward', { skip }, async () => {
  const { model, file, x, n } = await fixture();
  const L = model.info.latent, D = model.info.inputSize, row = 2 * L + D + 2;
  const eps = await VAE.randomNormal(n * L, 3);
  writeF32(join(dir, 'x.f32'), x);
  writeF32(join(dir, 'eps.f32'), eps);
  runCli('forward', '--model', file, '--input', join(dir, 'x.f32'), '--eps', join(dir, 'eps.f32'), '--out', join(dir, 'out.f32'));
  const out = readF32(join(dir, 'out.f32'));
  const pick = (off, len) => columns(out, row, off, len);

  const { mu, logvar } = model.encode(x);
  assert.equal(compare(mu, pick(0, L)).differ, 0, 'mu is bit-identical');
  assert.equal(compare(logvar, pick(L, L)).differ, 0, 'logvar is bit-identical');

  // z = mu + exp(logvar / 2) * eps exactly as the CLI computes it in float.
  const z = mu.map((m, i) => Math.fround(m + Math.fround(Math.fround(Math.exp(Math.fround(0.5 * logvar[i]))) * eps[i])));
  const dec = compare(model.decode(z), pick(2 * L, D));
  assert.ok(dec.maxRel <= 1e-6, `decoded means within 1e-6 (${JSON.stringify(dec)})`);

  // evaluate() in one batch with seed 3 draws exactly eps: compare the means.
  let rec = 0, kl = 0;
  for (let i = 0; i < n; i++) (rec += out[i * row + 2 * L + D]), (kl += out[i * row + 2 * L + D + 1]);
  const ours = model.evaluate({ images: x }, { seed: 3, batchSize: n });
  const relRec = Math.abs(ours.reconstruction - rec / n) / (rec / n), relKl = Math.abs(ours.kl - kl / n) / (kl / n);
  assert.ok(relRec <= 1e-6 && relKl <= 1e-6, `mean rec ${ours.reconstruction} vs ${rec / n}, KL ${ours.kl} vs ${kl / n}`);
  console.log(`forward vs native: mu, logvar bit-identical; decoded means: ${dec.differ} of ${n * D} differ ` +
    `(max rel ${dec.maxRel}); mean rec rel diff ${relRec}, mean KL rel diff ${relKl}`);
  model.dispose();
});

/* A conv VAE from `vae train` on 12x12 shapes: its file loaded here gives
 * vae forward's outputs at z = mu (no noise, so no exp of the CLI's in the
 * way) bit for bit: the conv kernels, like the matrix ones, are the same C
 * with the same SIMD intrinsics, and sigmoid and the Bernoulli loss use the
 * library's own exp and log1p. The KL's expf is the C library's (glibc, musl):
 * the two agree on these inputs, so the score is bit-identical too. */
test('a conv VAE trained by vae train gives vae forward\'s outputs bit for bit', { skip }, async () => {
  const data = shapes(64), files = writeIdx(dir, 'shapes', data), file = join(dir, 'conv.safetensors');
  runCli('train', '--train-images', files.images, ...CONV_VAE_CLI, '--epochs', 2, '--batch', 16, '--seed', 5, '--quiet', '--out', file);
  const x = Float32Array.from(data.bytes.subarray(0, 16 * 144), (v) => v / 255);
  writeF32(join(dir, 'conv-x.f32'), x);
  runCli('forward', '--model', file, '--input', join(dir, 'conv-x.f32'), '--out', join(dir, 'conv-out.f32'));
  const out = readF32(join(dir, 'conv-out.f32')), model = await VAE.load(file), L = model.info.latent, D = model.info.inputSize;
  const row = 2 * L + D + 2;
  assert.equal(model.info.summary, 'VAE 1x12x12-conv4k4s2p1-conv8k4s2p1-3-72@8x3x3-convt4k4s2p1-convt1k4s2p1, relu, bernoulli');

  const { mu, logvar } = model.encode(x), rec = columns(out, row, 2 * L + D, 1), kl = columns(out, row, 2 * L + D + 1, 1);
  const parts = {
    mu: compare(mu, columns(out, row, 0, L)), logvar: compare(logvar, columns(out, row, L, L)),
    decoded: compare(model.decode(mu), columns(out, row, 2 * L, D)), score: compare(model.score(x), rec.map((r, i) => r + kl[i])),
  };
  console.log(`conv VAE, wasm vs native: ${Object.entries(parts).map(([k, c]) => `${k} ${c.differ} differ`).join(', ')}`);
  for (const [k, c] of Object.entries(parts)) assert.equal(c.differ, 0, `${k} is bit-identical (${JSON.stringify(c)})`);
  model.dispose();
});

test('sample: the same seed gives the PNG of vae sample', { skip }, async () => {
  const { model, file } = await fixture();
  const png = join(dir, 'sample.png');
  runCli('sample', '--model', file, '--out', png, '--n', 16, '--cols', 4, '--seed', 11, '--temperature', 0.8, '--scale', 1);
  const grid = readPng(png);
  const ours = VAE.imagesToRGBA(model.sample(16, { seed: 11, temperature: 0.8 }), { cols: 4, shape: [1, 28, 28] });
  assert.equal(grid.width, ours.width);
  assert.equal(grid.height, ours.height);
  let maxDiff = 0;
  for (let i = 0; i < grid.pixels.length; i++) maxDiff = Math.max(maxDiff, Math.abs(grid.pixels[i] - ours.data[4 * i]));
  assert.ok(maxDiff <= 1, `pixels within one grey level of the CLI's (max difference ${maxDiff})`);
  model.dispose();
});

test('the scalar build agrees with the SIMD build within 1e-5', async () => {
  const { model, x } = await fixture();
  const bytes = model.toSafetensors();
  const scalar = await VAE.load(bytes, { simd: false });
  assert.equal(scalar.info.simd, false);
  // Different summation order (the SIMD kernel sums K in blocks), so close, not identical.
  const a = compare(model.encode(x).mu, scalar.encode(x).mu), b = compare(model.sample(8, { seed: 1 }), scalar.sample(8, { seed: 1 }));
  assert.ok(a.maxAbs < 1e-5 && b.maxAbs < 1e-5, `mu ${JSON.stringify(a)}, samples ${JSON.stringify(b)}`);
  scalar.dispose();
  model.dispose();
});

/* info.summary is the model line of `vae info`, spelled the same on a sweep of
 * kinds, layers, activations and likelihoods. */
test('info.summary equals vae info\'s model line', { skip }, async () => {
  const configs = [
    {}, { classes: 10, encoder: [64, 32] }, { model: 'ae', codeActivation: 'sigmoid', encoder: [16] },
    { activation: 'leaky_relu', leakySlope: 0.2, likelihood: 'gaussian', sigma: 0.1, encoder: [8] },
    { likelihood: 'gaussian_learned', activation: 'tanh', encoder: [8] }, { ...CONV_VAE, seed: 3 },
    { ...CONV_VAE, decoder: [{ linear: 72, shape: [8, 3, 3] }, { conv_transpose: 4, kernel: 3, stride: 2, pad: 1, out_pad: 1 }],
      out: { conv_transpose: 1, kernel: 3, stride: 2, pad: 1, out_pad: 1 } },
  ];
  let n = 0;
  for (const c of configs) {
    const model = await VAE.create({ encoder: [32], latent: 4, ...c });
    for (const m of [model, model.decoderOnly()]) {
      const file = join(dir, `summary-${n++}.safetensors`);
      writeFileSync(file, m.toSafetensors());
      const line = runCli('info', '--model', file).split('\n').find((l) => l.startsWith('model '));
      assert.equal(m.info.summary, line.replace(/^model +/, ''), JSON.stringify(c));
      m.dispose();
    }
  }
});

/* The latent grid and paths are computed in JS (vae.js's probit and
 * pathPoint) and in C (vae_probit, vae_latent_path): on a sweep, the JS
 * manifold and interpolate decode exactly the latents `vae manifold` and
 * `vae interpolate` write with --latents. */
test('manifold and interpolate use the CLI\'s latents bit for bit', { skip }, async () => {
  const model = await VAE.create({ encoder: [16], latent: 2, seed: 4 }), file = join(dir, 'grid.safetensors');
  writeFileSync(file, model.toSafetensors());
  const latents = join(dir, 'grid.f32'), png = join(dir, 'grid.png');
  let cells = 0, paths = 0;
  for (let g = 2; g <= 50; g++) {
    runCli('manifold', '--model', file, '--grid', g, '--scale', 1, '--out', png, '--latents', latents);
    assert.deepEqual(model.manifold(g), model.decode(readF32(latents)), `grid ${g}`);
    cells += g * g;
  }
  for (let seed = 1; seed <= 40; seed++)
    for (const method of ['linear', 'slerp']) {
      runCli('interpolate', '--model', file, '--seed', seed, '--steps', 9, '--method', method, '--scale', 1, '--out', png, '--latents', latents);
      const z = readF32(latents);
      assert.deepEqual(model.interpolate(z.subarray(0, 2), z.subarray(16), 9, { method, input: 'latent' }), model.decode(z), `${method} seed ${seed}`);
      paths++;
    }
  console.log(`manifold: ${cells} cells of grids 2..50; interpolate: ${paths} paths of 9 steps; all bit-identical`);
  model.dispose();
});

/* vae.h's conventions, which vae.js repeats: evaluate() with its defaults
 * gives vae eval's figures (VAE_EVAL_SEED, VAE_EVAL_BATCH), and training
 * gives up after the same run of non-finite steps (VAE_MAX_NONFINITE_RUN). */
test('evaluate() and the non-finite limit follow vae.h as the CLI does', { skip }, async () => {
  const header = readFileSync(join(root, 'src/vae.h'), 'utf8');
  const define = (name) => Number(header.match(new RegExp(`#define ${name} (\\d+)`))[1]);
  const digits = mnistDigits(1100), files = writeIdx(dir, 'eval', digits), file = join(dir, 'eval.safetensors');
  const model = await VAE.create({ encoder: [32], latent: 4, seed: 2 });
  writeFileSync(file, model.toSafetensors());
  const ours = model.evaluate({ images: digits.bytes });
  const out = runCli('eval', '--model', file, '--images', files.images, '--k', 0);
  const [, elbo, rec, kl] = out.match(/^-ELBO +([\d.]+) nats\/image = rec ([\d.]+) \+ KL ([\d.]+), z sampled \(seed (\d+)\)/m);
  assert.deepEqual([ours.loss, ours.reconstruction, ours.kl].map((v) => v.toFixed(4)), [elbo, rec, kl]);
  assert.match(out, new RegExp(`seed ${define('VAE_EVAL_SEED')}\\)`));
  assert.ok(digits.n > define('VAE_EVAL_BATCH'), 'more images than one batch');

  // A bias of 3e38 overflows every step: both stop after the same run.
  const bytes = model.toSafetensors(), len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const [offset] = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)))['encoder.layers.0.bias'].data_offsets;
  new DataView(bytes.buffer).setFloat32(8 + len + offset, 3e38, true);
  writeFileSync(file, bytes);
  const js = await (await VAE.load(bytes)).trainer({ epochs: 1, batchSize: 8 }).fit({ images: digits.bytes }).catch((e) => e);
  let cli = '';
  try {
    runCli('train', '--train-images', files.images, '--init', file, '--epochs', 1, '--batch', 8, '--quiet', '--out', join(dir, 'nf.st'));
  } catch (e) {
    cli = e.stderr;
  }
  const run = define('VAE_MAX_NONFINITE_RUN');
  assert.match(js.message, new RegExp(`^fit: training diverged: ${run} steps in a row were not finite`), js.message);
  assert.match(cli, new RegExp(`^vae: training diverged: ${run} non-finite steps in a row`), cli);
  model.dispose();
});

/* Q8 files: what JS writes, the CLI reads (I8 weights, F32 scales), and both
 * give back the weights to within half a quantisation step. */
test('toSafetensors({dtype: \'q8\'}) gives a quarter-size file the CLI reads', { skip }, async () => {
  const model = await VAE.load(join(root, 'pretrained/mnist-vae.safetensors'));
  const f32 = model.toSafetensors(), q8 = model.toSafetensors({ dtype: 'q8' });
  assert.ok(q8.length < 0.3 * f32.length, `${q8.length} bytes against ${f32.length}`);
  const file = join(dir, 'q8.safetensors');
  writeFileSync(file, q8);
  const info = runCli('info', '--model', file);
  assert.match(info, /encoder\.layers\.0\.weight +I8 +\[400, 784\]/);
  const back = await VAE.load(q8), z = await VAE.randomNormal(64 * 20, 3);
  const a = model.decode(z), b = back.decode(z);
  let worst = 0, sum = 0;
  for (let i = 0; i < a.length; i++) (worst = Math.max(worst, Math.abs(a[i] - b[i]))), (sum += Math.abs(a[i] - b[i]));
  const mean = sum / a.length;
  assert.ok(mean < 0.002 && worst < 0.15, `decoded pixels differ by ${mean} on average, ${worst} at most`);
  console.log(`Q8: ${q8.length} bytes (F32 ${f32.length}); decoded pixels differ by ${mean.toExponential(2)} on average, ${worst.toFixed(3)} at most`);
  model.dispose();
  back.dispose();
});
