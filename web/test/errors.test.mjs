/* Every bad input gives a VAEError with a readable message and a code, and
 * the module keeps working afterwards (no trap, no corrupted heap). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VAE, VAEError, rejectsVAEError, conv, convT, CONV_VAE } from './helpers.mjs';

const model = await VAE.create({ encoder: [32], latent: 6, seed: 1 });
const cvae = await VAE.create({ encoder: [32], latent: 6, classes: 10, seed: 1 });
const good = model.toSafetensors();

/* Asserts fn throws (or rejects with) a VAEError matching code and message, and the module lives on. */
async function rejects(fn, code, message) {
  await rejectsVAEError(fn, code, message);
  // Still alive: a decode works and gives the same as before.
  assert.deepEqual(model.sample(2, { seed: 5 }), reference);
}
const reference = model.sample(2, { seed: 5 });

test('truncated files', async () => {
  await rejects(() => VAE.load(good.slice(0, 4)), 'VAE_ERR_TRUNCATED', /^load: .*/);
  await rejects(() => VAE.load(good.slice(0, 100)), 'VAE_ERR_HEADER_SIZE', /^load: header length \d+ runs past the end/);
  await rejects(() => VAE.load(good.slice(0, good.length - 1)), 'VAE_ERR_OFFSETS', /^load: /);
  await rejects(() => VAE.load(new Uint8Array(0)), 'VAE_ERR_TRUNCATED', /^load: /);
});

test('corrupt files', async () => {
  const bad = good.slice();
  bad[20] = 0x7b; // a stray '{' inside the JSON header
  await rejects(() => VAE.load(bad), 'VAE_ERR_JSON', /^load: /);
  const dtype = new TextDecoder().decode(good.subarray(8, 8 + 4000)).indexOf('"F32"');
  const f64 = good.slice();
  f64.set(new TextEncoder().encode('"F64"'), 8 + dtype);
  await rejects(() => VAE.load(f64), 'VAE_ERR_DTYPE', /F64/);
  await rejects(() => VAE.load('/nonexistent/model.safetensors'), 'VAE_ERR_IO', /cannot read \/nonexistent/);
  await rejects(() => VAE.load(42), 'VAE_ERR_ARG', /expected a URL, a path, an ArrayBuffer or a Uint8Array/);
});

test('random bytes and random corruption never crash', async () => {
  let state = 1;
  const rand = () => ((state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (let i = 0; i < 300; i++) {
    const bytes = good.slice(0, 64 + Math.floor(rand() * 4000));
    for (let k = 0; k < 4; k++) bytes[Math.floor(rand() * bytes.length)] = Math.floor(rand() * 256);
    try {
      (await VAE.load(bytes)).dispose();
    } catch (e) {
      assert.ok(e instanceof VAEError && /^load: ./.test(e.message), String(e));
    }
  }
  assert.deepEqual(model.sample(2, { seed: 5 }), reference);
});

test('wrong shapes and values', async () => {
  await rejects(() => model.decode(new Float32Array(7)), 'VAE_ERR_SHAPE', /^decode: expected latents of 6 values each \(latent size 6\), got 7 values$/);
  await rejects(() => model.encode(new Float32Array(100)), 'VAE_ERR_SHAPE', /^encode: expected images of 784 values each \(1x28x28 images\), got 100/);
  await rejects(() => model.encode([new Float32Array(784), new Float32Array(10)]), 'VAE_ERR_SHAPE', /item 1 has 10 values/);
  await rejects(() => model.decode(new Float32Array(6).fill(NaN)), 'VAE_ERR_NONFINITE', /^decode: latent value 0 is not a finite number/);
  await rejects(() => model.decode(new Float32Array(12), { out: new Float32Array(784) }), 'VAE_ERR_ARG', /^decode: out must be a Float32Array of 1568 values \(2 images of 784\)$/);
  const out = new Float32Array(2 * 784), z = new Float32Array(12).fill(0.5);
  assert.equal(model.decode(z, { out }), out, 'decode into out returns out');
  assert.deepEqual(out, model.decode(z), 'decode into out gives the same images');
  await rejects(() => model.encode(new Float32Array(784).fill(Infinity)), 'VAE_ERR_NONFINITE', /^encode: image value 0/);
  await rejects(() => model.sample(0), 'VAE_ERR_ARG', /^sample: n must be an integer in 1\.\.1000000 \(got 0\)/);
  await rejects(() => model.sample(2, { temprature: 1 }), 'VAE_ERR_ARG', /unknown option 'temprature'/);
  await rejects(() => model.sample(2, { seed: -1 }), 'VAE_ERR_ARG', /seed must be an integer/);
  await rejects(() => model.interpolate(new Float32Array(6), new Float32Array(5), 4), 'VAE_ERR_SHAPE', /b must be a latent of 6 values or an image of 784/);
  await rejects(() => model.manifold(5, { dims: [0, 9] }), 'VAE_ERR_ARG', /dims\[1\] must be an integer in 0\.\.5/);
  await rejects(() => VAE.create({ latent: 0 }), 'VAE_ERR_ARG', /^create: latent/);
  await rejects(() => VAE.create({ latentSize: 3 }), 'VAE_ERR_ARG', /unknown option 'latentSize'/);
  await rejects(() => model.toSafetensors({ dtype: 'f64' }), 'VAE_ERR_ARG', /dtype must be 'f32' or 'f16'/);
});

test('bad layer configurations', async () => {
  const create = (changes) => () => VAE.create({ ...CONV_VAE, ...changes });
  const layers = /^create: architecture metadata: "encoder" must be a list of at most 8 layers \(widths, or objects like \{"conv":32,"kernel":4,"stride":2,"pad":1\}\)$/;
  await rejects(create({ encoder: [{ conv: 4, stride: 2 }] }), 'VAE_ERR_METADATA', layers); // no kernel
  await rejects(create({ encoder: [{ ...conv(4), dilation: 2 }] }), 'VAE_ERR_METADATA', layers);
  await rejects(create({ encoder: [{ ...conv(4), out_pad: 1 }] }), 'VAE_ERR_METADATA', layers); // transposed only
  await rejects(create({ encoder: [{ ...conv(4), pad: -1 }] }), 'VAE_ERR_METADATA', layers);
  await rejects(create({ encoder: ['conv4k4s2p1'] }), 'VAE_ERR_METADATA', layers);
  await rejects(create({ encoder: [{ conv: 4, kernel: 13 }] }), 'VAE_ERR_ARG', /^create: encoder hidden layer 0: conv2d: kernel 13x13 larger than the padded input 12x12$/);
  await rejects(create({ decoder: [{ linear: 72, shape: [8, 3, 4] }, convT(4)] }), 'VAE_ERR_ARG', /^create: decoder hidden layer 0: output view 8x3x4 does not hold its width 72$/);
  await rejects(create({ out: { ...convT(1), kernel: 3 } }), 'VAE_ERR_ARG', /^create: decoder output layer makes 11x11 images, the model's are 12x12$/);
  await rejects(create({ out: { ...convT(1), out_pad: 2 } }), 'VAE_ERR_ARG', /^create: decoder output layer: conv_transpose2d: out_pad = 2 must be smaller than stride 2$/);
  await rejects(create({ out: { linear: 100 } }), 'VAE_ERR_METADATA', /^create: architecture metadata: the "out" layer has width 100, the images need 144$/);
  await rejects(create({ classes: 10 }), 'VAE_ERR_ARG', /^create: encoder hidden layer 0: a conditional model appends the label to a flat input, so this layer must be linear$/);
  await rejects(create({ decoder: undefined }), 'VAE_ERR_ARG', /^create: an encoder with conv layers needs its decoder spelled out too$/);
  await rejects(create({ encoder: conv(4) }), 'VAE_ERR_ARG', /^create: encoder and decoder must be arrays of layers/);
  await rejects(create({ model: 'gan' }), 'VAE_ERR_METADATA', /^create: architecture metadata: "model" must be "vae", "ae" or "m2"$/);
  await rejects(create({ codeActivation: 'sigmoid' }), 'VAE_ERR_ARG', /^create: a code activation is for autoencoders; a VAE's latent is mu, logvar$/);
});

test('penalties and noise that do not fit the model', async () => {
  const images = new Float32Array(144 * 4);
  const fit = (kind, options) => async () => {
    const m = await VAE.create({ ...CONV_VAE, ...kind });
    try {
      await m.trainer({ epochs: 1, ...options }).fit({ images });
    } finally {
      m.dispose();
    }
  };
  const ae = { model: 'ae', codeActivation: 'sigmoid' };
  await rejects(fit({}, { sparsity: 'l1' }), 'VAE_ERR_ARG', /^fit: sparsity and contractive penalties are for autoencoders \(model kind ae\)$/);
  await rejects(fit({ model: 'ae' }, { sparsity: 'kl' }), 'VAE_ERR_ARG', /^fit: the KL sparsity penalty needs codes in \(0, 1\): use the sigmoid code activation$/);
  await rejects(fit(ae, { contractive: 0.1 }), 'VAE_ERR_ARG', /^fit: the contractive penalty needs a linear first encoder layer$/);
  await rejects(fit(ae, { sparsity: 'kl', rho: 1 }), 'VAE_ERR_ARG', /^fit: sparsity target rho 1 must be in \(0, 1\)$/);
  await rejects(fit(ae, { noise: 'salt' }), 'VAE_ERR_ARG', /^trainer: noise must be 'mask' or 'gaussian' \(got salt\)$/);
  await rejects(fit(ae, { sparsity: 'l2' }), 'VAE_ERR_ARG', /^trainer: sparsity must be 'l1' or 'kl' \(got l2\)$/);
  const m = await VAE.create({ ...CONV_VAE, ...ae });
  await rejects(() => m.score(new Float32Array(144), { samples: 4 }), 'VAE_ERR_STATE', /^score: importance sampling needs a VAE; an autoencoder has no q\(z\|x\)$/);
  m.dispose();
});

test('labels', async () => {
  const z = new Float32Array(12);
  await rejects(() => cvae.decode(z), 'VAE_ERR_ARG', /^decode: this is a conditional model: give label \(integers 0\.\.9\)/);
  await rejects(() => cvae.decode(z, { label: 10 }), 'VAE_ERR_ARG', /label 10 of item 0 is not an integer in 0\.\.9/);
  await rejects(() => cvae.decode(z, { label: [1, 2, 3] }), 'VAE_ERR_SHAPE', /3 label for 2 items/);
  await rejects(() => cvae.decode(z, { label: [1, 2.5] }), 'VAE_ERR_ARG', /label 2.5 of item 1/);
  await rejects(() => model.decode(new Float32Array(6), { label: 1 }), 'VAE_ERR_ARG', /label given but the model is not conditional/);
  assert.equal(cvae.decode(z, { label: [3, 4] }).length, 2 * 784);
  await rejects(() => cvae.trainer({ epochs: 1 }).fit({ images: new Float32Array(784), labels: [12] }), 'VAE_ERR_ARG', /^fit: labels 12 of item 0/);
});

test('use after dispose', async () => {
  const m = await VAE.load(good);
  const t = m.trainer({ epochs: 1 });
  m.dispose();
  m.dispose(); // twice is fine
  assert.equal(m.disposed, true);
  for (const [call, fn] of [
    ['decode', () => m.decode(new Float32Array(6))], ['encode', () => m.encode(new Float32Array(784))],
    ['sample', () => m.sample(1)], ['toSafetensors', () => m.toSafetensors()], ['score', () => m.score(new Float32Array(784))],
    ['trainer', () => m.trainer()], ['fit', () => t.fit({ images: new Float32Array(784) })],
  ])
    await rejects(fn, 'VAE_ERR_STATE', new RegExp(`^${call}: this model has been disposed$`));
});

test('training errors', async () => {
  await rejects(() => model.trainer({ epochs: 1, lr: -1 }), 'VAE_ERR_ARG', /lr must be a finite number >= 0/);
  await rejects(() => model.trainer({ optimiser: 'adam' }), 'VAE_ERR_ARG', /unknown option 'optimiser'/);
  await rejects(() => model.trainer({ epochs: 1, momentum: 2, optimizer: 'sgd' }).fit({ images: new Float32Array(784) }), 'VAE_ERR_ARG', /momentum/);
  await rejects(() => model.trainer({ epochs: 1 }).fit({ images: new Float32Array(783) }), 'VAE_ERR_SHAPE', /^fit: expected images of 784/);
  await rejects(() => model.trainer({ epochs: 1, worker: true }).fit({ images: new Float32Array(784 * 2).fill(NaN) }), 'VAE_ERR_NONFINITE', /^fit: value 0 of image 0 is not a finite number$/);
});
