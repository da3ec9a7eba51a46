/* Training in the demo's Web Worker: the loss falls, and the page's main
 * thread stays free while it runs (its stalls in CPU time, smoothness.mjs:
 * this machine's other processes stretch the wall-clock gaps). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDemo, ready, canvasStats, draw, SEVEN, ONE, SHOTS } from './helpers.mjs';
import { watchStalls } from './smoothness.mjs';

const LONGEST_MS = 100 * 1.5; // the page thread's longest stall, with smoothness.test's margin
let s, page, problems;
before(async () => ({ s, page, problems } = await openDemo()));
after(() => s?.close());

test('training from scratch in the worker lowers the loss, and the main thread stays responsive', async () => {
  const sel = 'vae-demo[view=train]';
  await ready(page, sel);
  await page.locator(sel).evaluate((e) => e.setAttribute('epochs', '3')); // restarts the view
  const el = await ready(page, sel);
  const run = page.evaluate((sel) => new Promise((resolve, reject) => {
    const demo = document.querySelector(sel);
    demo.addEventListener('vae-trained', (e) => resolve(e.detail.history), { once: true });
    setTimeout(() => reject(new Error(`training did not finish: ${demo.shadowRoot.querySelector('output.readout').textContent}`)), 240000);
  }), sel);
  // The page thread's stalls from the click until training ends, but for those while the test
  // takes a screenshot (Firefox paints it on the page's thread: 270-300 ms).
  let stop = await watchStalls(page);
  await el.locator('button', { hasText: 'Train' }).click();
  await page.waitForTimeout(1500);
  const stalls = [await stop()];
  await el.screenshot({ path: `${SHOTS}train-running.png` });
  stop = await watchStalls(page);
  const history = await run;
  stalls.push(await stop());
  const longest = Math.max(...stalls.map((m) => (m.cpu ?? m).longest));
  const mean = (a) => a.reduce((x, e) => x + e.loss, 0) / a.length;
  const first = mean(history.slice(0, 5)), last = mean(history.slice(-20));
  console.log(`# ${history.length} steps, loss ${first.toFixed(1)} -> ${last.toFixed(1)}; longest stall ${longest} ms of CPU (${Math.max(...stalls.map((m) => m.longest))} ms wall)`);
  assert.equal(history.length, 3 * Math.ceil(6000 / 128));
  assert.ok(last < 0.6 * first, `the loss did not fall enough: ${first.toFixed(1)} -> ${last.toFixed(1)}`);
  assert.ok(longest <= LONGEST_MS, `the main thread stalled for ${longest} ms (limit ${LONGEST_MS})`);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const stats = await canvasStats(page, sel);
  assert.ok(stats.every((c) => c.std > 5), `a blank canvas after training: ${JSON.stringify(stats)}`);
  const href = await el.locator('a[download]').getAttribute('href');
  assert.match(href ?? '', /^blob:/, 'no download link after training');
  await el.screenshot({ path: `${SHOTS}train-done.png` });
});

test('pause, resume and cancel', async () => {
  const sel = 'vae-demo[view=train]';
  const el = await ready(page, sel);
  await page.locator(sel).evaluate((e) => e.setAttribute('epochs', '50'));
  await ready(page, sel);
  const steps = () => page.locator(sel).evaluate((e) => e.shadowRoot.querySelector('progress').value);
  await el.locator('button', { hasText: 'Train' }).click();
  await page.waitForFunction((sel) => document.querySelector(sel).shadowRoot.querySelector('progress').value > 0, sel, { timeout: 60000 });
  await el.locator('button', { hasText: 'Pause' }).click();
  await page.waitForTimeout(500);
  const paused = await steps();
  await page.waitForTimeout(1000);
  assert.equal(await steps(), paused, 'training went on while paused');
  await el.locator('button', { hasText: 'Resume' }).click();
  await page.waitForFunction(([sel, p]) => document.querySelector(sel).shadowRoot.querySelector('progress').value > p, [sel, paused], { timeout: 30000 });
  await el.locator('button', { hasText: 'Cancel' }).click();
  await page.waitForFunction((sel) => /Cancelled/.test(document.querySelector(sel).shadowRoot.querySelector('output.readout').textContent), sel, { timeout: 30000 });
  assert.match(await el.locator('a[download]').getAttribute('href') ?? '', /^blob:/, 'no download link after cancelling');
  await el.screenshot({ path: `${SHOTS}train-cancelled.png` });
});

test('fine-tuning the pretrained model on drawn digits lowers its loss on them', async () => {
  const sel = 'vae-demo[view=train]';
  await page.locator(sel).evaluate((e) => e.setAttribute('epochs', '10'));
  const el = await ready(page, sel);
  await el.locator('.choice button[data-value=finetune]').click();
  const pad = el.locator('.finetune canvas.pad'), add = el.locator('button', { hasText: 'Add digit' });
  for (const strokes of [SEVEN, ONE, [[[0.3, 0.3], [0.5, 0.2], [0.7, 0.3], [0.3, 0.8], [0.75, 0.8]]]]) {
    await draw(page, pad, strokes);
    await add.click();
  }
  const done = page.evaluate((sel) => new Promise((r) => document.querySelector(sel).addEventListener('vae-trained', (e) => r(e.detail.history), { once: true })), sel);
  await el.locator('button', { hasText: 'Train' }).click();
  const history = await done;
  const first = history[0].loss, last = history.at(-1).loss;
  console.log(`# fine-tuning: ${history.length} steps, loss ${first.toFixed(1)} -> ${last.toFixed(1)}`);
  assert.ok(last < first, `fine-tuning did not lower the loss: ${first} -> ${last}`);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await el.screenshot({ path: `${SHOTS}train-finetuned.png` });
});

test('no console errors or failed requests', () => {
  assert.deepEqual(problems, []);
});
