/* What a new user hits first: big architectures load, a failed load frees
 * its model, Adam's betas and eps reach the optimiser, drawing works with
 * any canvas (and says what to do without one), gzipped IDX files read, a
 * file that is not a model says so, and info.simd names the build running. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { VAE, rejectsVAEError as rejects, dist, haveCli, runCli, scratch, mnistDigits, shapes, writeIdx, tensorValues } from './helpers.mjs';

const dir = scratch();

/* 8 + 8 conv layers on 12x12 images: an architecture JSON over 1 KB. */
const k3 = (c, kind = 'conv') => ({ [kind]: c, kernel: 3, stride: 1, pad: 1 });
const DEEP = {
  imageShape: [1, 12, 12], latent: 2,
  encoder: Array.from({ length: 8 }, () => k3(16)),
  decoder: [{ linear: 16 * 144, shape: [16, 12, 12] }, ...Array.from({ length: 7 }, () => k3(16, 'conv_transpose'))],
  out: k3(1, 'conv_transpose'),
};
const DEEP_CLI = ['--encoder', Array(8).fill('conv16k3s1p1').join(','), '--decoder', ['2304@16x12x12', ...Array(7).fill('convt16k3s1p1')].join(','),
  '--out-layer', 'convt1k3s1p1', '--latent', 2];

function metadataLength(bytes) {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len))).__metadata__['vae_wasm.arch'].length;
}

async function loadsAndDecodes(bytes) {
  assert.ok(metadataLength(bytes) > 1024, `architecture JSON of ${metadataLength(bytes)} bytes`);
  const model = await VAE.load(bytes);
  assert.equal(model.info.encoder.length, 8);
  assert.equal(model.info.decoder.length, 8);
  const z = Float32Array.of(0.5, -1);
  const out = model.decode(z);
  assert.equal(out.length, 144);
  model.dispose();
  return out;
}

test('a model with 8 + 8 conv layers is created, saved and loaded', async () => {
  const made = await VAE.create({ ...DEEP, seed: 3 });
  const bytes = made.toSafetensors();
  assert.deepEqual(await loadsAndDecodes(bytes), made.decode(Float32Array.of(0.5, -1)));
  made.dispose();
});

test('a model with 8 + 8 conv layers trained by vae train loads', { skip: !haveCli && 'build/native/vae is missing' }, async () => {
  const files = writeIdx(dir, 'deep', shapes(16)), out = join(dir, 'deep.safetensors');
  runCli('train', '--train-images', files.images, ...DEEP_CLI, '--epochs', 1, '--batch', 16, '--quiet', '--out', out);
  await loadsAndDecodes(readFileSync(out));
});

/* The Model constructor can fail after the wasm model exists (reading its
 * info): a wasm instance whose vw_model_arch_json fails on demand checks that
 * the handle is released, on the instance that held it. */
test('a load that fails while reading the model info frees the model', async () => {
  const source = await VAE.create({ encoder: [64], latent: 8 });
  const bytes = source.toSafetensors();
  source.dispose();
  const real = WebAssembly.instantiate;
  let x = null, failInfo = false;
  WebAssembly.instantiate = async (...args) => {
    const { exports } = await real(...args);
    x = exports;
    return { exports: { ...exports, vw_model_arch_json: (h) => (failInfo ? 0 : exports.vw_model_arch_json(h)) } };
  };
  try {
    await VAE.init({ wasm: join(dist, 'vae-simd.wasm') });
  } finally {
    WebAssembly.instantiate = real;
  }
  try {
    (await VAE.load(bytes)).dispose(); // warm-up: the handle table
    const before = x.vw_heap_used();
    failInfo = true;
    await rejects(() => VAE.load(bytes), 'VAE_OK', /^info: $/);
    failInfo = false;
    const after = x.vw_heap_used();
    console.log(`failed load: heap in use ${before} -> ${after} bytes`);
    assert.equal(after, before, 'heap in use after a failed load');
  } finally {
    await VAE.init({}); // a fresh default instance for the tests after this one
  }
});

/* Adam's first step from p0 with gradient g is p0 - lr g / (|g| + eps) (the
 * bias corrections cancel the betas); the second depends on the betas.
 * An autoencoder's gradient has no sampling noise, so one SGD step of lr 1
 * from the same weights measures it: g = p - p_sgd. */
test('betas and eps reach the Adam optimiser', async () => {
  const digits = mnistDigits(64);
  const data = { images: digits.bytes };
  const config = { model: 'ae', encoder: [16], latent: 3, seed: 5 };
  const trained = async (from, opts) => {
    const model = from ? await VAE.load(from) : await VAE.create(config);
    await model.trainer({ epochs: 1, batchSize: 64, ...opts }).fit(data);
    const bytes = model.toSafetensors();
    model.dispose();
    return bytes;
  };
  const start = await trained(null, { epochs: 0 });
  const grad = async (at) => {
    const p = tensorValues(at), q = tensorValues(await trained(at, { optimizer: 'sgd', lr: 1 }));
    return p.map((v, i) => v - q[i]);
  };
  const lr = 0.01, betas = [0.5, 0.8], eps = 0.01;
  const adam = { lr, betas, eps };
  const p0 = tensorValues(start), g1 = await grad(start);
  const step1 = await trained(start, adam), p1 = tensorValues(step1);
  const g2 = await grad(step1);
  const p2 = tensorValues(await trained(start, { ...adam, epochs: 2 }));

  const predict1 = (e) => p0.map((p, i) => p - (lr * g1[i]) / (Math.abs(g1[i]) + e));
  const predict2 = ([b1, b2], e) => p1.map((p, i) => {
    const m = b1 * (1 - b1) * g1[i] + (1 - b1) * g2[i], v = b2 * (1 - b2) * g1[i] ** 2 + (1 - b2) * g2[i] ** 2;
    return p - ((lr / (1 - b1 * b1)) * m) / (Math.sqrt(v) / Math.sqrt(1 - b2 * b2) + e);
  });
  const maxDiff = (a, b) => a.reduce((d, v, i) => Math.max(d, Math.abs(v - b[i])), 0);
  const d1 = maxDiff(p1, predict1(eps)), d1Default = maxDiff(p1, predict1(1e-8));
  const d2 = maxDiff(p2, predict2(betas, eps)), d2Default = maxDiff(p2, predict2([0.9, 0.999], eps));
  console.log(`Adam step 1 vs formula: ${d1} (with the default eps: ${d1Default}); step 2: ${d2} (with the default betas: ${d2Default})`);
  assert.ok(d1 < 1e-6 && d1Default > 1e-4, 'eps');
  assert.ok(d2 < 1e-5 && d2Default > 1e-4, 'betas');
  // The defaults spelled out give the defaults' weights, bit for bit.
  assert.deepEqual(await trained(start, { betas: [0.9, 0.999], eps: 1e-8 }), await trained(start, {}));
});

test('bad betas and eps', async () => {
  const model = await VAE.create({ encoder: [8], latent: 2 });
  const images = new Float32Array(784);
  const fit = (opts) => () => model.trainer({ epochs: 1, ...opts }).fit({ images });
  await rejects(fit({ betas: 0.9 }), 'VAE_ERR_ARG', /^trainer: betas must be \[beta1, beta2\] \(got 0.9\)$/);
  await rejects(fit({ betas: [0.9] }), 'VAE_ERR_ARG', /^trainer: betas must be \[beta1, beta2\]/);
  await rejects(fit({ betas: [0.9, '0.99'] }), 'VAE_ERR_ARG', /^trainer: betas must be a finite number >= 0 \(got 0.99\)$/);
  await rejects(fit({ betas: [0.9, 1] }), 'VAE_ERR_ARG', /^fit: Adam betas 0.9, 1 must be in \[0, 1\)$/);
  await rejects(fit({ eps: -1 }), 'VAE_ERR_ARG', /^trainer: eps must be a finite number >= 0 \(got -1\)$/);
  await rejects(fit({ eps: 0 }), 'VAE_ERR_ARG', /^fit: Adam eps 0 must be > 0$/);
  await rejects(fit({ eps: 1e-50 }), 'VAE_ERR_ARG', /^fit: Adam eps 0 must be > 0$/); // 0 as float32
  model.dispose();
});

/* A 2d context as node-canvas (and browsers) have it: no global ImageData needed. */
function fakeCanvas() {
  const canvas = { width: 0, height: 0, drawn: [] };
  canvas.getContext = () => ({
    createImageData: (width, height) => ({ width, height, data: new Uint8ClampedArray(width * height * 4) }),
    putImageData: (image, x, y) => canvas.drawn.push({ image, x, y }),
  });
  return canvas;
}

test('drawing works with any canvas, and without one says what to use', async () => {
  assert.equal(typeof ImageData, 'undefined', 'Node has no ImageData');
  const images = new Float32Array(4 * 784).map((_, i) => (i % 7) / 6);
  const canvas = fakeCanvas();
  assert.equal(VAE.drawImages(canvas, images, { cols: 2, scale: 2 }), canvas);
  const want = VAE.imagesToRGBA(images, { cols: 2, scale: 2 });
  assert.deepEqual([canvas.width, canvas.height], [want.width, want.height]);
  assert.equal(canvas.drawn.length, 1);
  assert.deepEqual(canvas.drawn[0].image.data, want.data);
  const model = await VAE.create({ ...DEEP, seed: 1 });
  const picture = fakeCanvas();
  model.draw(picture, model.sample(2, { seed: 1 }));
  assert.deepEqual(picture.drawn[0].image.data, VAE.imagesToRGBA(model.sample(2, { seed: 1 }), { shape: [1, 12, 12] }).data);
  const none = /^drawImages: expected a canvas with a 2d context \(or use VAE.imagesToRGBA\)$/;
  await rejects(() => VAE.drawImages(undefined, images), 'VAE_ERR_ARG', none);
  await rejects(() => VAE.drawImages({ width: 0, height: 0 }, images), 'VAE_ERR_ARG', none);
  await rejects(() => model.draw({ getContext: () => null }, images), 'VAE_ERR_ARG', none);
  model.dispose();
});

test('readIDX reads gzipped IDX files, as the CLI does', async () => {
  const files = writeIdx(dir, 'digits', mnistDigits(30));
  const raw = await VAE.readIDX(files.images, files.labels);
  const gz = (path) => {
    writeFileSync(`${path}.gz`, gzipSync(readFileSync(path)));
    return `${path}.gz`;
  };
  const images = gz(files.images), labels = gz(files.labels);
  assert.deepEqual(await VAE.readIDX(images, labels), raw);
  assert.deepEqual(await VAE.readIDX(readFileSync(images), files.labels), raw);
  assert.equal(raw.n, 30);
  const cut = readFileSync(images).subarray(0, 200);
  await rejects(() => VAE.readIDX(cut), 'VAE_ERR_IDX', /^readIDX: bad gzip data: /);
});

test('a file that is not a model says so first', async () => {
  const text = new TextEncoder().encode('hello world, this is a README\n');
  await rejects(() => VAE.load(text), 'VAE_ERR_HEADER_SIZE', /^load: not a safetensors file: it starts with "hello wo", not an 8-byte header length$/);
  const path = join(dir, 'notes.txt');
  writeFileSync(path, 'version https://git-lfs.github.com/spec/v1\n');
  await rejects(() => VAE.load(path), 'VAE_ERR_HEADER_SIZE', new RegExp(`^load ${path}: not a safetensors file: it starts with "version ",`));
});

test('info.simd names the build that is running', async () => {
  const bytes = (await VAE.create({ encoder: [8], latent: 2 })).toSafetensors();
  for (const [opts, simd] of [
    [{ wasm: join(dist, 'vae-nosimd.wasm') }, false],
    [{ simd: false }, false],
    [{ wasm: join(dist, 'vae-simd.wasm') }, true],
    [{ wasm: readFileSync(join(dist, 'vae-nosimd.wasm')), simd: true }, false], // the file wins over the flag
  ]) {
    const model = await VAE.load(bytes, opts);
    assert.equal(model.info.simd, simd, JSON.stringify(opts));
    model.dispose();
  }
  assert.deepEqual(await VAE.init({ wasm: join(dist, 'vae-nosimd.wasm') }), { simd: false });
  assert.deepEqual(await VAE.init({}), { simd: true });
});
