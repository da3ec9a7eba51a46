/* The denoise and anomaly views: noise changes the picked digit and the
 * model undoes masking noise (measured on pixels); drawing replaces the
 * digit; unusual images score higher than digits and the threshold flags
 * them; and a build without Fashion-MNIST falls back to made-up images. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openDemo, start, watchedPage, ready, canvasStats, draw, SEVEN, SCRIBBLE, SHOTS } from './helpers.mjs';

let s, page, problems;
before(async () => ({ s, page, problems } = await openDemo()));
after(() => s?.close());

const DENOISE = 'vae-demo[view=denoise]', ANOMALY = 'vae-demo[view=anomaly]';
const frames = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const mse = (a, b) => a.reduce((sum, v, i) => sum + (v - b[i]) ** 2, 0) / a.length;

/* The denoise view's clean, noisy and reconstructed images. */
async function denoised() {
  const all = await page.locator(DENOISE).evaluate((e) => Array.from(e.shown.images));
  return [0, 1, 2].map((k) => all.slice(k * 784, (k + 1) * 784));
}

async function setAmount(el, value) {
  await el.locator('input[type=range]').fill(String(value));
  await frames();
}

test('denoise: masking noise changes each digit, and the reconstruction is closer to the clean digit than the noisy one', async () => {
  const el = await ready(page, DENOISE);
  const errors = [];
  for (let d = 0; d < 10; d++) {
    await el.locator('.tiles button').nth(d).click();
    await frames();
    assert.equal(await el.locator('.tiles button[aria-pressed=true]').count(), 1);
    const [clean, noisy, recon] = await denoised();
    assert.ok(clean.some((v) => v > 0.5), `digit ${d}: the clean image is empty`);
    assert.ok(noisy.every((v, i) => v === 0 || v === clean[i]), `digit ${d}: masking noise did more than zero pixels`);
    assert.ok(mse(clean, noisy) > 0.01, `digit ${d}: the noisy image is (nearly) the clean one`);
    errors.push([mse(clean, noisy), mse(clean, recon)]);
  }
  const mean = (k) => errors.reduce((sum, e) => sum + e[k], 0) / errors.length;
  console.log(`# masking p = 0.5, 10 digits: mean squared pixel error noisy ${mean(0).toFixed(4)}, reconstruction ${mean(1).toFixed(4)}`);
  assert.ok(mean(1) < 0.85 * mean(0), `the reconstructions are not closer to the clean digits: ${JSON.stringify(errors)}`);
  assert.ok(errors.filter(([n, r]) => r < n).length >= 8, `fewer than 8 of 10 digits denoised: ${JSON.stringify(errors)}`);
  assert.match(await el.locator('output.readout').textContent(), /Masking noise: each pixel set to 0 with probability 0\.50/);
  await el.screenshot({ path: `${SHOTS}denoise-masking.png` });
});

test('denoise: the amount and the kind of noise', async () => {
  const el = await ready(page, DENOISE);
  await setAmount(el, 0);
  let [clean, noisy] = await denoised();
  assert.deepEqual(noisy, clean, 'no noise at amount 0');
  await setAmount(el, 0.3);
  const kinds = {
    gaussian: (x, y) => y !== x,
    saltpepper: (x, y) => y !== x && (y === 0 || y === 1),
  };
  for (const [kind, changed] of Object.entries(kinds)) {
    await el.locator(`.choice button[data-value=${kind}]`).click();
    await frames();
    [clean, noisy] = await denoised();
    const n = noisy.filter((y, i) => y !== clean[i]).length;
    assert.equal(noisy.filter((y, i) => changed(clean[i], y)).length, n, `${kind}: a pixel changed the wrong way`);
    assert.ok(kind === 'gaussian' ? n > 0.5 * 784 : n > 0.05 * 784 && n < 0.3 * 784, `${kind}: ${n} of 784 pixels changed`);
    await el.screenshot({ path: `${SHOTS}denoise-${kind}.png` });
  }
  await el.locator('.choice button[data-value=masking]').click();
  await setAmount(el, 0.5);
});

test('denoise: a drawing replaces the digit', async () => {
  const el = await ready(page, DENOISE);
  await el.locator('button', { hasText: 'Clear' }).click();
  await frames();
  assert.ok((await denoised())[0].every((v) => v === 0), 'Clear left a clean image');
  await draw(page, el.locator('canvas.pad'), SEVEN);
  const [clean, noisy] = await denoised();
  assert.ok(clean.filter((v) => v > 0.5).length > 20, 'the drawing is not the clean image');
  assert.ok(mse(clean, noisy) > 0.01, 'the drawing got no noise');
  assert.equal(await el.locator('.tiles button[aria-pressed=true]').count(), 0, 'a picked digit is still marked');
  const stats = await canvasStats(page, DENOISE);
  assert.ok(stats.every((c) => c.std > 5), `a blank canvas: ${JSON.stringify(stats)}`);
  await el.screenshot({ path: `${SHOTS}denoise-drawn.png` });
});

/* The anomaly view's mean score and flagged count of each set (digits, unusual). */
const sets = (el) => el.locator('figcaption[data-mean]').evaluateAll((cs) => cs.map((c) => ({
  mean: Number(c.dataset.mean), flagged: Number(c.textContent.match(/(\d+) of \d+ flagged/)[1]), text: c.textContent,
})));

test('anomaly: Fashion-MNIST items score higher than digits, and the threshold flags most of them and few digits', async () => {
  const el = await ready(page, ANOMALY);
  const [digits, unusual] = await sets(el);
  console.log(`# mean score: digits ${digits.mean.toFixed(1)}, ${unusual.text}`);
  assert.match(unusual.text, /^Fashion-MNIST items/, 'the build bundled no Fashion-MNIST (is dataset-fashion-mnist installed?)');
  assert.ok(unusual.mean > 2 * digits.mean, `unusual ${unusual.mean} against digits ${digits.mean}`);
  assert.ok(digits.flagged <= 20 && unusual.flagged >= 150, `flagged: ${digits.flagged} digits, ${unusual.flagged} unusual`);
  const stats = await canvasStats(page, ANOMALY);
  assert.ok(stats.filter((c) => !/Drawing/.test(c.label)).every((c) => c.std > 5), `a blank canvas: ${JSON.stringify(stats)}`);
  await el.screenshot({ path: `${SHOTS}anomaly.png` });
  // The slider's ends flag everything and nothing.
  const threshold = el.locator('input[type=range]');
  for (const [end, count] of [['min', 200], ['max', 0]]) {
    await threshold.fill(await threshold.getAttribute(end));
    await frames();
    assert.deepEqual((await sets(el)).map((x) => x.flagged), [count, count], `threshold at its ${end}`);
  }
});

test('anomaly: a drawn digit passes and a scribble is flagged', async () => {
  const el = await ready(page, ANOMALY);
  await el.locator('input[type=range]').fill('5'); // above ln(150): a typical digit passes
  const scores = {};
  for (const [name, strokes] of [['seven', SEVEN], ['scribble', SCRIBBLE]]) {
    await el.locator('button', { hasText: 'Clear' }).click();
    await draw(page, el.locator('canvas.pad'), strokes);
    scores[name] = Number(await el.locator('output.score').evaluate((o) => o.dataset.value));
    const flagged = await el.locator('.verdict').getAttribute('data-flagged');
    assert.equal(flagged, String(name === 'scribble'), `${name} (${scores[name]} nats): flagged=${flagged}`);
    await el.screenshot({ path: `${SHOTS}anomaly-${name}.png` });
  }
  assert.ok(scores.seven < scores.scribble, `scores: ${JSON.stringify(scores)}`);
});

test('no console errors or failed requests on the demo page', () => {
  assert.deepEqual(problems, []);
});

test('without Fashion-MNIST the build bundles made-up unusual images, and the anomaly view shows them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vae-unusual-'));
  try {
    execFileSync(process.execPath, [fileURLToPath(new URL('../../build-scripts/bundle-digits.mjs', import.meta.url)), dir],
      { env: { ...process.env, FASHION_DIR: join(dir, 'none') }, stdio: 'ignore' });
    const t = await start();
    try {
      const w = await watchedPage(t.browser);
      await w.page.route('**/data/unusual-*.idx.gz', (route) => route.fulfill({ body: readFileSync(join(dir, new URL(route.request().url()).pathname.split('/').pop())) }));
      await w.page.goto(t.url);
      const el = await ready(w.page, ANOMALY);
      const [digits, unusual] = await sets(el);
      assert.match(unusual.text, /^Noise, inverted and shifted digits/);
      assert.ok(unusual.mean > 2 * digits.mean && unusual.flagged >= 150, `made-up: ${unusual.text}; digits: ${digits.text}`);
      await el.screenshot({ path: `${SHOTS}anomaly-made-up.png` });
      assert.deepEqual(w.problems, []);
    } finally {
      await t.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
