/* Sketch models in JS (vae-seq.js and vae-seq-*.wasm) against the native
 * CLI on the same files and seeds: sampleStrokes gives the drawings of
 * `vae sample --out FILE.txt`, interpolateStrokes those of `vae interpolate
 * --out FILE.txt`, complete starts with the prefix, drawStrokes draws each
 * stroke, and errors are VAEErrors with codes. The model is trained by the
 * CLI on synthetic drawings made here (as tests/test_sketch_cli.sh). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { VAE, rejectsVAEError as rejects, haveCli, runCli, scratch } from './helpers.mjs';

const skip = !haveCli && 'build/native/vae is missing (run build-scripts/build.sh)';
const dir = scratch();

/* 90 drawings: boxes, crosses and zigzags; 日 and 月 among them. */
const rows = Array.from({ length: 90 }, (_, i) => {
  const k = i % 3, s = 40 + ((i * 7) % 60);
  const pts = k === 0 ? [[-s, -s, 0], [2 * s, 0, 0], [0, 2 * s, 0], [-2 * s, 0, 0], [0, -2 * s, 1]]
    : k === 1 ? [[-s, 0, 0], [2 * s, 0, 1], [-s, -s, 0], [0, 2 * s, 1]]
      : [[-s, -s, 0], ...Array.from({ length: 1 + (i % 5) }, (_, j) => [Math.floor(s / 2), j % 2 ? s : -s, 0]), [3, 3, 1]];
  return `${['日', '月'][i] ?? `d${i}`}\t${i % 10 === 9 ? 'test' : 'train'}\t${pts.map((p) => p.join(',')).join(' ')}`;
});
const file = join(dir, 's.safetensors');
if (haveCli) {
  writeFileSync(join(dir, 's.txt'), rows.join('\n') + '\n');
  runCli('train', '--strokes', join(dir, 's.txt'), '--epochs', 3, '--enc-hidden', 8, '--dec-hidden', 12, '--latent', 4, '--mixtures', 3,
    '--max-len', 12, '--batch', 16, '--save-every', 0, '--quiet', '--out', file);
}

/* A stroke file's lines as strokes of absolute points (as vae-seq.js reads drawings). */
function strokesOf(line) {
  const strokes = [];
  let x = 0, y = 0, cur = [];
  for (const p of (line.split('\t')[2] ?? '').split(' ').filter(Boolean)) {
    const [dx, dy, lift] = p.split(',').map(Number);
    (x = Math.fround(x + dx)), (y = Math.fround(y + dy));
    cur.push([x, y]);
    if (lift) strokes.push(cur), (cur = []);
  }
  if (cur.length) strokes.push(cur);
  return strokes;
}
const cliDrawings = (txt) => readFileSync(txt, 'utf8').replace(/\n$/, '').split('\n').map(strokesOf);

/* Equal up to the text's 9 digits and JS's double sums of float offsets. */
function near(got, want, what) {
  assert.equal(got.length, want.length, `${what}: ${got.length} strokes, want ${want.length}`);
  got.forEach((s, i) => {
    assert.equal(s.length, want[i].length, `${what}: stroke ${i + 1} has ${s.length} points, want ${want[i].length}`);
    s.forEach((p, j) => p.forEach((v, c) => assert.ok(Math.abs(v - want[i][j][c]) <= 1e-3 * (1 + Math.abs(v)),
      `${what}: stroke ${i + 1}, point ${j + 1}: ${v} vs ${want[i][j][c]}`)));
  });
}

test('VAE.load gives a sketch model: info, and the parameter count of vae info', { skip }, async () => {
  const m = await VAE.load(file);
  assert.equal(m.constructor.name, 'SketchModel');
  const { model, encHidden, decHidden, latent, mixtures, maxLength, parameters, simd } = m.info;
  assert.deepEqual({ model, encHidden, decHidden, latent, mixtures, maxLength, simd },
    { model: 'sketch', encHidden: 8, decHidden: 12, latent: 4, mixtures: 3, maxLength: 12, simd: true });
  assert.equal(parameters, Number(runCli('info', '--model', file).match(/^parameters +([\d,]+)$/m)[1].replace(/,/g, '')));
  m.dispose();
  assert.ok(m.disposed);
});

test('sampleStrokes: the first drawing of vae sample --seed --temperature', { skip }, async () => {
  const m = await VAE.load(file);
  for (const [seed, t] of [[3, 0.4], [4n, 1], [5, 0]]) {
    runCli('sample', '--model', file, '--n', 5, '--seed', seed, '--temperature', t, '--out', join(dir, 'g.txt'));
    near(m.sampleStrokes({ seed, temperature: t }), cliDrawings(join(dir, 'g.txt'))[0], `seed ${seed}, temperature ${t}`);
  }
  const d = m.sampleStrokes({ seed: 3, temperature: 0.4 });
  assert.deepEqual(m.sampleStrokes({ seed: 3, temperature: 0.4 }), d, 'the same seed, the same drawing');
  const cut = m.sampleStrokes({ seed: 3, temperature: 0.4, maxSteps: 2 });
  assert.ok(cut.flat().length <= 2 && cut.flat().every((p, i) => p[0] === d.flat()[i][0]), 'maxSteps cuts the drawing');
});

test('interpolateStrokes: vae interpolate --out FILE.txt; encodeStrokes and decodeStrokes', { skip }, async () => {
  const m = await VAE.load(file), [a, b] = rows.slice(0, 2).map(strokesOf);
  for (const [steps, opts, args] of [[5, {}, []], [4, { method: 'linear', temperature: 0.5, seed: 7 }, ['--method', 'linear', '--temperature', 0.5, '--seed', 7]]]) {
    runCli('interpolate', '--model', file, '--strokes', join(dir, 's.txt'), '--a', '日', '--b', '月', '--steps', steps, ...args,
      '--out', join(dir, 'i.txt'));
    const cli = cliDrawings(join(dir, 'i.txt'));
    const path = m.interpolateStrokes(a, b, steps, opts);
    assert.equal(path.length, steps);
    path.forEach((d, i) => near(d, cli[i + 1], `step ${i} ${JSON.stringify(opts)}`));
  }
  const { mu, logvar } = m.encodeStrokes(a);
  assert.equal(mu.length, 4);
  assert.ok(logvar.every(Number.isFinite));
  near(m.decodeStrokes(mu, { temperature: 0.1, seed: 1 }), m.interpolateStrokes(a, b, 3)[0], 'the path starts at a');
});

test('complete: the prefix, then the model', { skip }, async () => {
  const m = await VAE.load(file), prefix = [[[-40, -40], [40, -40]]];
  const done = m.complete(prefix, { temperature: 0.3, seed: 2 });
  assert.deepEqual(done[0].slice(0, 2), prefix[0], 'the drawing starts with the prefix');
  assert.ok(done.flat().length <= m.info.maxLength);
  assert.deepEqual(m.complete(prefix, { temperature: 0.3, seed: 2 }), done, 'the same seed, the same completion');
  const { mu } = m.encodeStrokes(prefix);
  assert.deepEqual(m.complete(prefix, { temperature: 0.3, seed: 2, z: mu }), done, 'z defaults to the prefix\'s mean code');
});

test('drawStrokes: a path per stroke on a 2D context; animated, a Promise', { skip }, async () => {
  const m = await VAE.load(file), calls = [];
  const ctx = { canvas: { width: 50, height: 40 } };
  for (const f of ['clearRect', 'beginPath', 'moveTo', 'lineTo', 'stroke']) ctx[f] = (...a) => calls.push([f, ...a]);
  const strokes = [[[0, 0], [10, 0], [10, 10]], [[20, 5]]];
  assert.equal(m.drawStrokes(ctx, strokes), undefined);
  assert.equal(calls.filter((c) => c[0] === 'moveTo').length, 2);
  assert.equal(calls.filter((c) => c[0] === 'stroke').length, 2);
  const xs = calls.filter((c) => c[0] === 'moveTo' || c[0] === 'lineTo').map((c) => c[1]);
  assert.ok(Math.min(...xs) >= 0 && Math.max(...xs) <= 50, 'fitted into the canvas');
  // a box: its region fills the canvas (less the margin), wherever the drawing lies in it
  calls.length = 0;
  m.drawStrokes(ctx, [[[0, 0], [50, 50]]], { box: [-50, -50, 50, 50], margin: 0 });
  assert.deepEqual(calls.filter((c) => c[0] === 'moveTo' || c[0] === 'lineTo').map((c) => c.slice(1)), [[25, 20], [45, 40]]);
  globalThis.requestAnimationFrame ??= (f) => setTimeout(() => f(performance.now()), 5);
  calls.length = 0;
  await m.drawStrokes({ getContext: () => ctx }, strokes, { animate: true, duration: 30 });
  assert.ok(calls.filter((c) => c[0] === 'clearRect').length > 1, 'drawn over several frames');
});

test('errors: malformed, empty and too long drawings, bad latents and options, disposed', { skip }, async () => {
  const m = await VAE.load(file);
  await rejects(() => m.encodeStrokes([]), 'VAE_ERR_ARG', /^encodeStrokes: strokes must be a non-empty array of strokes$/);
  await rejects(() => m.encodeStrokes('日'), 'VAE_ERR_ARG', /^encodeStrokes: strokes must be a non-empty array of strokes$/);
  await rejects(() => m.encodeStrokes([[]]), 'VAE_ERR_ARG', /^encodeStrokes: strokes: stroke 1 must be a non-empty array of \[x, y\] points$/);
  await rejects(() => m.encodeStrokes([[[0, 0]], [[1, NaN]]]), 'VAE_ERR_ARG',
    /^encodeStrokes: strokes: stroke 2, point 1 must be \[x, y\] of finite numbers$/);
  await rejects(() => m.complete([[[0, 0, 1]]]), 'VAE_ERR_ARG', /^complete: prefix: stroke 1, point 1 must be \[x, y\]/);
  await rejects(() => m.encodeStrokes([Array.from({ length: 13 }, (_, i) => [i, i])]), 'VAE_ERR_ARG',
    /^encodeStrokes: strokes has 13 points, over the model's limit of 12$/);
  await rejects(() => m.decodeStrokes(new Float32Array(3)), 'VAE_ERR_SHAPE', /^decodeStrokes: expected z of 4 values/);
  await rejects(() => m.decodeStrokes([0, NaN, 0, 0]), 'VAE_ERR_NONFINITE', /^decodeStrokes: z\[1\] is not finite$/);
  await rejects(() => m.decodeStrokes([0, 0, 0, 0], { maxSteps: 0 }), 'VAE_ERR_ARG', /^decodeStrokes: maxSteps must be an integer in 1\.\.12/);
  await rejects(() => m.sampleStrokes({ temperature: -1 }), 'VAE_ERR_ARG', /^sampleStrokes: temperature must be a finite number >= 0/);
  await rejects(() => m.sampleStrokes({ temp: 1 }), 'VAE_ERR_ARG', /^sampleStrokes: unknown option 'temp'/);
  await rejects(() => m.drawStrokes({}, [[[0, 0]]]), 'VAE_ERR_ARG', /^drawStrokes: canvas must be a canvas or its 2D context$/);
  await rejects(() => m.drawStrokes({}, [[[0, 0]]], { box: [0, 0, 0, 1] }), 'VAE_ERR_ARG', /^drawStrokes: box must be \[x0, y0, x1, y1\] with x1 > x0 and y1 > y0$/);
  m.dispose();
  await rejects(() => m.sampleStrokes(), 'VAE_ERR_STATE', /^sampleStrokes: this model has been disposed$/);
});
