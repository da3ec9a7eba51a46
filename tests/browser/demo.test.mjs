/* The demo page (in each engine: VAE_BROWSER): it loads without errors, every view draws,
 * and the interactive views react (explorer, conditional, draw). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { openDemo, ready, canvasStats, draw, SEVEN, ONE, SCRIBBLE, DIST, SHOTS } from './helpers.mjs';

let s, page, problems;
before(async () => ({ s, page, problems } = await openDemo()));
after(() => s?.close());

const shown = (sel) => page.locator(sel).evaluate((e) => Array.from(e.shown.images));

test('the page loads every demo with no console errors or failed requests; every view draws', async () => {
  const demos = await page.locator('vae-demo').evaluateAll((els) => els.map((e) => ({ view: e.getAttribute('view'), model: e.getAttribute('model') })));
  assert.ok(demos.length >= 8, `expected the demos on the page, found ${demos.length}`);
  const views = new Set(demos.map((d) => d.view));
  for (const v of ['samples', 'explorer', 'interpolate', 'manifold', 'conditional', 'draw', 'attributes', 'train', 'denoise', 'anomaly', 'words', 'sketch', 'sketch-interpolate']) assert.ok(views.has(v), `no ${v} view on the page`);
  for (const [i, d] of demos.entries()) {
    const el = page.locator('vae-demo').nth(i);
    await el.scrollIntoViewIfNeeded();
    await page.waitForFunction((i) => {
      const e = document.querySelectorAll('vae-demo')[i], st = e.getAttribute('state');
      if (st === 'error') throw new Error(`demo ${i} (${e.getAttribute('view')}): ${e.shadowRoot.textContent}`);
      return st === 'ready';
    }, i, { timeout: 60000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const name = `${String(i).padStart(2, '0')}-${d.view}-${(d.model ?? 'no-model').replace(/^.*\/|\.safetensors$/g, '')}`;
    await el.screenshot({ path: `${SHOTS}${name}.png` });
    // Blank until used or trained: checked below, in train.test.mjs and timeseries.test.mjs.
    if (d.view === 'draw' || d.view === 'train' || d.view === 'timeseries') continue;
    if (d.view === 'words') continue; // no canvas: words.test.mjs
    const stats = await page.evaluate((i) => {
      const c = [...document.querySelectorAll('vae-demo')[i].shadowRoot.querySelectorAll('canvas')];
      return c.map((c) => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let s = 0, s2 = 0, n = 0;
        for (let k = 0; k < d.length; k += 28) {
          const v = ((d[k] + d[k + 1] + d[k + 2]) / 3) * (d[k + 3] / 255);
          (s += v), (s2 += v * v), n++;
        }
        return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
      });
    }, i);
    assert.ok(Math.max(...stats) > 10, `${name}: every canvas is blank (luminance std ${stats.map((v) => v.toFixed(1))})`);
  }
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${SHOTS}page.png`, fullPage: true });
  assert.deepEqual(problems, []);
});

test('moving the pointer over the explorer changes the decoded image', async () => {
  const el = await ready(page, 'vae-demo[view=explorer]');
  const plane = el.locator('canvas.plane');
  const box = await plane.boundingBox();
  const images = [];
  for (const [fx, fy] of [[0.25, 0.3], [0.75, 0.7], [0.5, 0.15]]) {
    await page.mouse.move(box.x + fx * box.width, box.y + fy * box.height, { steps: 4 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    images.push(await shown('vae-demo[view=explorer]'));
  }
  const diff = (a, b) => a.reduce((sum, v, k) => sum + Math.abs(v - b[k]), 0);
  assert.ok(diff(images[0], images[1]) > 20 && diff(images[1], images[2]) > 20, 'the decoded image did not change with the pointer');
  await el.screenshot({ path: `${SHOTS}explorer-moved.png` });
  // and with the keyboard
  await plane.focus();
  const before = await shown('vae-demo[view=explorer]');
  for (let k = 0; k < 5; k++) await page.keyboard.press('Shift+ArrowLeft');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.ok(diff(before, await shown('vae-demo[view=explorer]')) > 20, 'arrow keys did not move the point');
});

test('the explorer plots its encoded digits as coloured dots (painted in the demo\'s worker)', async () => {
  await ready(page, 'vae-demo[view=explorer]');
  // The panel, grid and the marker ring are grey or few; thousands of coloured pixels are the dots.
  await page.waitForFunction((sel) => {
    const c = document.querySelector(sel).shadowRoot.querySelector('canvas.plane'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let coloured = 0;
    for (let k = 0; k < d.length; k += 4) coloured += Math.max(d[k], d[k + 1], d[k + 2]) - Math.min(d[k], d[k + 1], d[k + 2]) > 60;
    return coloured > 2000;
  }, 'vae-demo[view=explorer]', { timeout: 30000 });
});

/* A 1-nearest-neighbour classifier over the bundled digits (about 95% right
 * on MNIST), which knows nothing about our models. */
function nearestDigit() {
  const img = gunzipSync(readFileSync(`${DIST}data/digits-images.idx.gz`)), lab = gunzipSync(readFileSync(`${DIST}data/digits-labels.idx.gz`));
  const n = lab.readUInt32BE(4), pixels = new Float32Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = img[16 + i] / 255;
  return (image) => {
    let best = Infinity, label = -1;
    for (let k = 0; k < n; k++) {
      let d = 0;
      for (let p = 0, o = k * 784; p < 784 && d < best; p++) d += (image[p] - pixels[o + p]) ** 2;
      if (d < best) (best = d), (label = lab[8 + k]);
    }
    return label;
  };
}

test('the conditional view renders the chosen digit', async () => {
  const sel = 'vae-demo[view=conditional]';
  const el = await ready(page, sel);
  const classify = nearestDigit();
  for (const digit of [0, 1, 3, 8]) {
    await el.locator(`.choice button[data-value="${digit}"]`).click();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await el.screenshot({ path: `${SHOTS}conditional-${digit}.png` });
    const images = await shown(sel);
    const n = images.length / 784, votes = new Array(10).fill(0);
    for (let k = 0; k < n; k++) votes[classify(images.slice(k * 784, (k + 1) * 784))]++;
    assert.ok(votes[digit] / n >= 0.75, `asked for ${digit}s, a nearest-neighbour classifier sees ${JSON.stringify(votes)}`);
  }
});

test('the draw view scores a drawn digit lower than a random scribble', async () => {
  const sel = 'vae-demo[view=draw]';
  const el = await ready(page, sel);
  const pad = el.locator('canvas.pad'), clear = el.locator('button', { hasText: 'Clear' });
  const score = () => el.locator('output.score').evaluate((o) => Number(o.dataset.value));
  const scores = {};
  for (const [name, strokes] of [['seven', SEVEN], ['one', ONE], ['scribble', SCRIBBLE]]) {
    await clear.click();
    await draw(page, pad, strokes);
    scores[name] = await score();
    await el.screenshot({ path: `${SHOTS}draw-${name}.png` });
    const stats = await canvasStats(page, sel);
    assert.ok(stats.every((c) => c.std > 5), `${name}: a blank canvas: ${JSON.stringify(stats)}`);
  }
  assert.ok(scores.seven < scores.scribble && scores.one < scores.scribble, `scores: ${JSON.stringify(scores)}`);
});

test('the conditional view re-renders a drawn digit as every digit', async () => {
  const sel = 'vae-demo[view=conditional]';
  const el = await ready(page, sel);
  await draw(page, el.locator('canvas.pad'), SEVEN);
  const guess = await el.locator('output.readout').textContent();
  assert.match(guess, /Looks like a \d/);
  const stats = await canvasStats(page, sel);
  assert.ok(stats.every((c) => c.std > 5), `a blank canvas: ${JSON.stringify(stats)}`);
  await el.screenshot({ path: `${SHOTS}conditional-drawn.png` });
});

test('no console errors or failed requests during the interactions', () => {
  assert.deepEqual(problems, []);
});
