/* VAE.create with conv layers, transposed conv layers and viewed linear
 * layers, and plain autoencoders: what info says, what the calls return, and
 * that a saved file loads back as the same model. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VAE, shapes, conv, convT, CONV_VAE } from './helpers.mjs';

const x = Float32Array.from(shapes(5).bytes, (v) => v / 255);

test('a conv VAE: info lists its layers; it encodes, decodes, samples and round-trips through a file', async () => {
  const model = await VAE.create({ ...CONV_VAE, seed: 2 }), i = model.info;
  assert.equal(i.summary, 'VAE 1x12x12-conv4k4s2p1-conv8k4s2p1-3-72@8x3x3-convt4k4s2p1-convt1k4s2p1, relu, bernoulli');
  assert.equal(i.model, 'vae');
  assert.equal(i.codeActivation, null);
  assert.deepEqual(i.encoder, [{ ...conv(4) }, { ...conv(8) }]);
  assert.deepEqual(i.decoder, [{ linear: 72, shape: [8, 3, 3] }, { ...convT(4), out_pad: 0 }]);
  assert.deepEqual(i.out, { ...convT(1), out_pad: 0 });
  assert.deepEqual([i.imageShape, i.inputSize, i.latent], [[1, 12, 12], 144, 3]);
  // conv 4*1*16+4, conv 8*4*16+8, mu and logvar 2*(3*72+3), linear 72*3+72, convt 8*4*16+4, convt 4*1*16+1
  assert.equal(i.parameters, 68 + 520 + 438 + 288 + 516 + 65);

  const { mu, logvar } = model.encode(x);
  assert.equal(mu.length, 5 * 3);
  assert.equal(logvar.length, 5 * 3);
  const images = model.decode(mu);
  assert.equal(images.length, 5 * 144);
  assert.ok(images.every((v) => v > 0 && v < 1), 'pixel means in (0, 1)');
  assert.equal(model.sample(2, { seed: 1 }).length, 2 * 144);

  const again = await VAE.load(model.toSafetensors());
  assert.deepEqual(again.info, i);
  assert.deepEqual(again.decode(mu), images);
  assert.deepEqual(again.score(x), model.score(x));
  again.dispose();
  model.dispose();
});

test('an autoencoder: model "ae", its code activation, no logvar, no KL', async () => {
  const model = await VAE.create({ ...CONV_VAE, model: 'ae', codeActivation: 'sigmoid', encoder: [conv(4), 16], seed: 2 });
  const i = model.info;
  assert.equal(i.summary, 'AE 1x12x12-conv4k4s2p1-16-3-72@8x3x3-convt4k4s2p1-convt1k4s2p1, relu, code sigmoid, bernoulli');
  assert.equal(i.model, 'ae');
  assert.equal(i.codeActivation, 'sigmoid');
  assert.deepEqual(i.encoder, [{ ...conv(4) }, 16]);
  assert.equal(i.parameters, 68 + (16 * 144 + 16) + (3 * 16 + 3) + 288 + 516 + 65, 'one code head, no logvar head');

  const { mu, logvar } = model.encode(x);
  assert.ok(mu.every((v) => v > 0 && v < 1), 'sigmoid codes');
  assert.ok(logvar.every((v) => v === 0), 'logvar is zero');
  // The score is the reconstruction loss of the code (no KL): the same whatever the seed.
  assert.deepEqual(model.evaluate({ images: x }, { seed: 1 }), model.evaluate({ images: x }, { seed: 2 }));
  const { reconstruction, kl } = model.evaluate({ images: x });
  assert.equal(kl, 0);
  const scores = model.score(x);
  assert.ok(Math.abs(scores.reduce((a, b) => a + b) / 5 - reconstruction) < 1e-4 * reconstruction);

  const plain = await VAE.create({ model: 'ae', encoder: [16], latent: 4 });
  assert.equal(plain.info.summary, 'AE 784-16-4-16-784, relu, code identity, bernoulli');
  assert.equal(plain.info.codeActivation, 'identity');
  assert.equal(plain.info.out, 784);
  plain.dispose();
  model.dispose();
});
