/* The drawing helpers on plain pixel arrays (no canvas in Node). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VAE } from './helpers.mjs';

test('imagesToRGBA lays out a scaled grid with grey gaps', () => {
  const images = new Float32Array(3 * 4).fill(1); // three 2x2 white images
  images.set([0, 0, 0, 0], 4); // the second one black
  const { width, height, data } = VAE.imagesToRGBA(images, { shape: [1, 2, 2], cols: 2, scale: 3, gap: 1 });
  assert.equal(width, 2 * 6 + 1);
  assert.equal(height, 2 * 6 + 1);
  const px = (x, y) => Array.from(data.subarray(4 * (y * width + x), 4 * (y * width + x) + 4));
  assert.deepEqual(px(0, 0), [255, 255, 255, 255]);
  assert.deepEqual(px(6, 0), [128, 128, 128, 128], 'gap');
  assert.deepEqual(px(7, 5), [0, 0, 0, 255], 'second image');
  assert.deepEqual(px(7, 7), [128, 128, 128, 128], 'empty cell of the last row');
  const rgb = VAE.imagesToRGBA(Float32Array.of(1, 0, 0.5), { shape: [3, 1, 1] });
  assert.deepEqual(Array.from(rgb.data), [255, 0, 128, 255]);
});

/* A drawing: a dark stroke on a white canvas, off centre. */
function drawing(W, H, x0, y0, w, h) {
  const data = new Uint8ClampedArray(W * H * 4).fill(255);
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++) data.set([0, 0, 0, 255], 4 * (y * W + x));
  return { width: W, height: H, data };
}

test('imageDataToInput crops, scales to 20x20 and centres the mass', () => {
  const input = VAE.imageDataToInput(drawing(200, 150, 10, 20, 40, 100));
  assert.equal(input.length, 784);
  let mass = 0, mx = 0, my = 0, x0 = 28, x1 = -1, y0 = 28, y1 = -1;
  input.forEach((v, i) => {
    const x = i % 28, y = Math.floor(i / 28);
    (mass += v), (mx += v * (x + 0.5)), (my += v * (y + 0.5));
    if (v > 0) (x0 = Math.min(x0, x)), (x1 = Math.max(x1, x)), (y0 = Math.min(y0, y)), (y1 = Math.max(y1, y));
  });
  assert.equal(y1 - y0 + 1, 20, 'the long side is 20 pixels');
  assert.equal(x1 - x0 + 1, 8, 'aspect kept: 40x100 -> 8x20');
  assert.ok(Math.abs(mx / mass - 14) <= 0.5 && Math.abs(my / mass - 14) <= 0.5, `centre of mass ${mx / mass}, ${my / mass}`);
  assert.ok(Math.max(...input) <= 1 && Math.min(...input) >= 0);
});

test('ink modes and an empty drawing', () => {
  const light = drawing(50, 50, 10, 10, 20, 20);
  for (let i = 0; i < light.data.length; i += 4) for (let c = 0; c < 3; c++) light.data[i + c] = 255 - light.data[i + c];
  assert.ok(VAE.imageDataToInput(light).some((v) => v > 0.9), 'light on dark');
  const alpha = { width: 10, height: 10, data: new Uint8ClampedArray(400) };
  alpha.data.set([0, 0, 0, 255], 4 * 55);
  assert.equal(VAE.imageDataToInput(alpha).filter((v) => v > 0).length > 0, true, 'strokes on transparent');
  assert.deepEqual(VAE.imageDataToInput({ width: 5, height: 5, data: new Uint8ClampedArray(100).fill(255) }), new Float32Array(784));
  assert.throws(() => VAE.imageDataToInput(alpha, { ink: 'blue' }), /ink must be/);
});

test('manifold (its corners), interpolate, attribute vectors and reconstructions', async () => {
  const model = await VAE.create({ encoder: [32], latent: 3, seed: 1 });
  const G = 5, [lo, hi] = [0.05, 0.95], grid = model.manifold(G, { dims: [2, 0], range: [lo, hi] });
  assert.equal(grid.length, G * G * 784);
  // Its corners are the decoded probit grid corners, bit for bit (decoded as one batch of 4, since
  // batches below 4 sum in another order): dims[0] along the columns, dims[1] up the rows, the rest 0.
  const at = (k) => VAE.probit(lo + ((k + 0.5) / G) * (hi - lo)), corners = [[0, 0], [0, G - 1], [G - 1, 0], [G - 1, G - 1]];
  const z = new Float32Array(corners.flatMap(([i, j]) => [at(G - 1 - i), 0, at(j)]));
  const decoded = model.decode(z);
  corners.forEach(([i, j], c) =>
    assert.deepEqual(grid.subarray((i * G + j) * 784, (i * G + j + 1) * 784), decoded.subarray(c * 784, (c + 1) * 784), `corner ${i},${j}`));
  const img = model.sample(2, { seed: 1 });
  const path = model.interpolate(img.subarray(0, 784), img.subarray(784), 6, { method: 'slerp' });
  assert.equal(path.length, 6 * 784);
  // The path starts at a (batch sizes below 4 take another summation order: close, not identical).
  const start = model.reconstruct(img.subarray(0, 784));
  path.subarray(0, 784).forEach((p, i) => assert.ok(Math.abs(p - start[i]) < 1e-6));
  const v = model.attributeVector(img.subarray(0, 784), img.subarray(784));
  const { mu } = model.encode(img);
  v.forEach((d, j) => assert.ok(Math.abs(d - (mu[j] - mu[3 + j])) < 1e-6));
  assert.ok(Math.abs(VAE.probit(0.975) - 1.959963985) < 1e-8 && VAE.probit(0.5) === 0);
  model.dispose();
});
