/* The element on its own: a clear message when the model cannot load or
 * its view cannot draw, prefers-reduced-motion, and the keyboard. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, tagsPage, ready, SHOTS } from './helpers.mjs';

let s;
before(async () => (s = await start()));
after(() => s?.close());

const pageWith = (html, opts) => tagsPage(s, html, opts);

test('a model that cannot be loaded gives a message inside the element', async () => {
  const { page, context } = await pageWith('<vae-demo model="models/no-such-model.safetensors" view="samples"></vae-demo>');
  await page.waitForFunction(() => document.querySelector('vae-demo').getAttribute('state') === 'error', null, { timeout: 20000 });
  const text = await page.locator('vae-demo [role=alert]').textContent();
  assert.match(text, /could not start/i);
  assert.match(text, /no-such-model\.safetensors.*404/);
  await page.locator('vae-demo').screenshot({ path: `${SHOTS}error-message.png` });
  await context.close();
});

test('an unknown view is named in the message', async () => {
  const { page, context } = await pageWith('<vae-demo model="models/mnist-vae.safetensors" view="nope"></vae-demo>');
  await page.waitForFunction(() => document.querySelector('vae-demo').getAttribute('state') === 'error', null, { timeout: 20000 });
  assert.match(await page.locator('vae-demo [role=alert]').textContent(), /no view “nope”.*samples, explorer/);
  await context.close();
});

test('a view that cannot draw shows why, and later redraws (a resize) do not call it again', async () => {
  const { page, problems, context } = await pageWith('<vae-demo model="models/mnist-vae.safetensors" view="manifold" range="0.9,0.1"></vae-demo>');
  await page.waitForFunction(() => document.querySelector('vae-demo').getAttribute('state') === 'error', null, { timeout: 20000 });
  assert.match(await page.locator('vae-demo [role=alert]').textContent(), /range must be \[lo, hi\]/);
  await page.locator('vae-demo').evaluate((e) => e.setAttribute('size', '300')); // a restyle: redraws the view, if any
  await page.setViewportSize({ width: 900, height: 700 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.deepEqual(problems, []);
  await context.close();
});

test('with prefers-reduced-motion the interpolation does not play by itself', async () => {
  const { page, problems, context } = await pageWith('<vae-demo model="models/mnist-vae.safetensors" view="interpolate"></vae-demo>', { reducedMotion: 'reduce' });
  const el = await ready(page, 'vae-demo');
  const position = () => el.locator('input[type=range]').inputValue();
  const before = await position();
  await page.waitForTimeout(600);
  assert.equal(await position(), before, 'the animation ran');
  assert.match(await el.locator('button', { hasText: 'Play' }).textContent(), /Play/);
  assert.deepEqual(problems, []);
  await context.close();
});

test('the controls are reachable and usable from the keyboard', async () => {
  const { page, problems, context } = await pageWith('<vae-demo model="models/mnist-vae.safetensors" view="samples" seed="5"></vae-demo>');
  const el = await ready(page, 'vae-demo');
  const images = () => el.evaluate((e) => Array.from(e.shown.images.subarray(0, 784)).join());
  const before = await images();
  await page.keyboard.press('Tab'); // the re-roll button is the first control
  assert.equal(await page.evaluate(() => document.querySelector('vae-demo').shadowRoot.activeElement?.textContent), '↻ Re-roll');
  await page.keyboard.press('Enter');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  assert.notEqual(await images(), before, 'Enter on re-roll drew nothing new');
  assert.deepEqual(problems, []);
  await context.close();
});

test('elements that leave the page free their models (the wasm heap returns to its size)', async () => {
  const { page, problems, context } = await pageWith('');
  const heapAfter = () => page.evaluate(async () => {
    for (const view of ['samples', 'manifold', 'attributes', 'denoise', 'anomaly']) {
      const el = document.createElement('vae-demo');
      el.setAttribute('model', 'models/mnist-vae.safetensors');
      el.setAttribute('view', view);
      document.body.append(el);
      await new Promise((resolve) => el.addEventListener('vae-ready', resolve, { once: true }));
      el.remove();
    }
    await new Promise((r) => setTimeout(r, 50)); // the model is freed once its load promise settles
    const { VAE } = await import('./vae.js');
    return (await VAE.memory()).inference.heapUsed; // the elements load their models
  });
  const first = await heapAfter();
  for (let i = 0; i < 3; i++) await heapAfter();
  assert.equal(await heapAfter(), first, 'the wasm heap grew: something was not disposed');
  assert.deepEqual(problems, []);
  await context.close();
});
