/* The classify view: the pretrained M2 classifies a drawing; M2 taught in Workers from 100 labels of the bundled
 * digits (the rest unlabelled) beside the supervised-only classifier; then a
 * drawn digit gets class probabilities. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openDemo, ready, canvasStats, draw, SEVEN, SHOTS } from './helpers.mjs';

let s, page;
before(async () => ({ s, page } = await openDemo()));
after(() => s?.close());

test('teaching M2 from 100 labels in Workers charts both accuracies; a drawn digit gets probabilities', async () => {
  const sel = 'vae-demo[view=classify]';
  await ready(page, sel);
  await page.locator(sel).evaluate((e) => e.setAttribute('epochs', '3')); // restarts the view
  const el = await ready(page, sel);
  // Before teaching: the page's pretrained M2 (the classifier attribute) classifies the held-out
  // digit on the pad, then a drawing.
  assert.match(await el.locator('output.readout').first().textContent(), /Looks like a \d/);
  await el.locator('button', { hasText: 'Clear' }).click();
  await draw(page, el.locator('canvas.pad'), SEVEN);
  await page.waitForFunction((sel) => /Looks like a \d/.test(document.querySelector(sel).shadowRoot.querySelector('output.readout').textContent), sel);
  console.log(`# a drawn seven, pretrained mnist-m2-100: ${await el.locator('output.readout').first().textContent()}`);
  await el.locator('button', { hasText: 'Clear' }).click();
  assert.match(await el.locator('output.readout').first().textContent(), /Draw a digit/);
  const done = page.evaluate((sel) => new Promise((resolve, reject) => {
    const demo = document.querySelector(sel);
    demo.addEventListener('vae-trained', (e) => resolve(e.detail), { once: true });
    setTimeout(() => reject(new Error(`teaching did not finish: ${demo.shadowRoot.querySelectorAll('output.readout')[1].textContent}`)), 300000);
  }), sel);
  await el.locator('button', { hasText: 'Teach it' }).click();
  const { labels, m2, supervised } = await done;
  console.log(`# 100 labels, held-out accuracy per epoch: M2 ${m2.map((a) => a.toFixed(3))}, supervised only ${supervised.map((a) => a.toFixed(3))}`);
  assert.equal(labels, 100);
  assert.equal(m2.length, 3);
  assert.equal(supervised.length, 3);
  for (const a of [...m2, ...supervised]) assert.ok(a >= 0 && a <= 1, `accuracy ${a}`);
  // 10 classes: guessing is right 10% of the time; 100 labels on the VAE's latent means give far more.
  for (const a of [m2.at(-1), supervised.at(-1)]) assert.ok(a > 0.6, `final accuracy ${a}`);
  assert.match(await el.locator('output.readout').nth(1).textContent(), /held-out accuracy \d+\.\d% with the unlabelled digits/);

  await el.locator('button', { hasText: 'Clear' }).click();
  await draw(page, el.locator('canvas.pad'), SEVEN);
  await page.waitForFunction((sel) => /Looks like a \d \(\d+\.\d%\)/.test(document.querySelector(sel).shadowRoot.querySelector('output.readout').textContent), sel);
  const guess = await el.locator('output.readout').first().textContent();
  console.log(`# a drawn seven: ${guess}`);
  const stats = await canvasStats(page, sel);
  assert.ok(stats.every((c) => c.std > 5), `a blank canvas: ${JSON.stringify(stats)}`);
  await el.screenshot({ path: `${SHOTS}classify.png` });
});
