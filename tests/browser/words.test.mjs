/* The words view with the pretrained word VAE (its default model): typing
 * two words shows the library's path between them, the steps follow the
 * slider, a word the model cannot read is named in a sentence, sampling
 * shows the library's words at the slider's temperature, and clicking a
 * sampled word walks to it. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, tagsPage, ready, SHOTS } from './helpers.mjs';

let s;
before(async () => (s = await start()));
after(() => s?.close());

/* What the library itself gives for the same call. */
const library = (page, method, ...args) => page.evaluate(async ([method, args]) => {
  const { VAE } = await import('./vae.js');
  const m = await VAE.load('models/words-vae.safetensors');
  try {
    return m[method](...args);
  } finally {
    m.dispose();
  }
}, [method, args]);

test('type two words, see the path; sample words at a temperature; no console errors', async () => {
  const { page, problems, context } = await tagsPage(s, '<vae-demo view="words" size="620"></vae-demo>');
  const el = await ready(page, 'vae-demo');
  const path = () => el.locator('.path li').allTextContents();
  const samples = () => el.locator('.wordgrid button').allTextContents();
  const [first, second] = [el.getByLabel('First word'), el.getByLabel('Second word')];

  await first.fill('river');
  await second.fill('Mountain'); // an a-z model reads it lowercased
  assert.deepEqual(await path(), await library(page, 'interpolateWords', 'river', 'mountain', 8));
  assert.ok((await path()).every((w) => /^[a-z]+$/.test(w)), `not words: ${await path()}`);
  await el.getByLabel('Steps').fill('5');
  assert.deepEqual(await path(), await library(page, 'interpolateWords', 'river', 'mountain', 5));
  await el.getByRole('radio', { name: 'Slerp' }).click();
  assert.deepEqual(await path(), await library(page, 'interpolateWords', 'river', 'mountain', 5, { method: 'slerp' }));
  await el.getByRole('radio', { name: 'Linear' }).click();

  assert.deepEqual(await samples(), await library(page, 'sampleWords', 12, { seed: 1, temperature: 0.8 }));
  await el.getByLabel('Temperature').fill('0.3');
  assert.deepEqual(await samples(), await library(page, 'sampleWords', 12, { seed: 1, temperature: 0.3 }));
  assert.ok((await samples()).every((w) => /^[a-z]+$/.test(w)), `not words: ${await samples()}`);
  const rolled = await samples();
  await el.getByRole('button', { name: '↻ Re-roll' }).click();
  assert.notDeepEqual(await samples(), rolled, 're-roll kept the words');
  await el.evaluate((e) => Promise.all(e.shadowRoot.getAnimations().map((a) => a.finished))); // the path's words arriving
  await el.screenshot({ path: `${SHOTS}words.png` });

  const picked = (await samples())[2];
  await el.locator('.wordgrid button').nth(2).click();
  assert.equal(await second.inputValue(), picked);
  assert.deepEqual(await path(), await library(page, 'interpolateWords', 'river', picked, 5));

  const note = el.locator('.note');
  await second.fill("don't");
  assert.equal(await note.textContent(), '“don\'t”: this model knows only a–z, not “\'”.');
  assert.equal(await second.getAttribute('aria-invalid'), 'true');
  assert.equal(await first.getAttribute('aria-invalid'), 'false');
  await el.screenshot({ path: `${SHOTS}words-refused.png` });
  await second.fill('x'.repeat(30));
  assert.match(await note.textContent(), /has 30 letters; this model reads words of up to 24/);
  await first.fill('');
  assert.equal(await note.textContent(), 'Type a word at each end.');
  await first.fill('river');
  await second.fill('mountain');
  assert.equal(await second.getAttribute('aria-invalid'), 'false');
  assert.deepEqual(await path(), await library(page, 'interpolateWords', 'river', 'mountain', 5));
  assert.deepEqual(await el.evaluate((e) => e.shown), { path: await path(), samples: await samples() });
  assert.deepEqual(problems, []);
  await context.close();
});

test('the words view with an image model says it needs a word VAE', async () => {
  const { page, context } = await tagsPage(s, '<vae-demo view="words" model="models/mnist-vae.safetensors"></vae-demo>');
  await page.waitForFunction(() => document.querySelector('vae-demo').getAttribute('state') === 'error', null, { timeout: 20000 });
  assert.match(await page.locator('vae-demo [role=alert]').textContent(), /the words view needs a word VAE \(vae train --words\), not an image model/);
  await context.close();
});
