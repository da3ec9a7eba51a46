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

/* Made-up names of one pattern: a list the pretrained model reads (a-z). */
const NAMES = ['asterix', 'obelix', 'getafix', 'dogmatix', 'vitalstatistix', 'cacofonix', 'fulliautomatix', 'unhygienix',
  'geriatrix', 'impedimenta', 'bacteria', 'panacea', 'justforkix', 'anticlimax', 'soporifix', 'metallurgix', 'valuabletrix',
  'picanmix', 'timandahaf', 'ekonomikrisis', 'orthopaedix', 'malacoustix', 'dubbelosix', 'harmonix', 'bucolix', 'pettix',
  'kafix', 'cenotaphix', 'mykingdomforanix', 'seniorix'];

test('teach it your own words: a pasted list trains in a Worker; the samples are those of the same training in the page', async () => {
  const { page, problems, context } = await tagsPage(s, '<vae-demo view="words" size="620" teach-steps="24"></vae-demo>');
  const el = await ready(page, 'vae-demo');
  const samples = () => el.locator('.wordgrid button').allTextContents();
  const status = el.getByLabel('Training status');
  const original = await samples();
  await el.locator('.teach summary').click();
  await el.getByLabel('Your words').fill(NAMES.slice(0, 10).join(', '));
  await el.getByRole('button', { name: 'Teach it' }).click();
  assert.equal(await status.textContent(), 'Paste at least 20 different words (10 so far).');

  await el.getByLabel('Your words').fill(NAMES.join('\n'));
  await el.getByRole('button', { name: 'Teach it' }).click();
  await page.waitForFunction(() => document.querySelector('vae-demo').shadowRoot.querySelector('[aria-label="Training status"]').textContent.startsWith('Taught'), null, { timeout: 120000 });
  assert.match(await status.textContent(), /^Taught: 30 words, \d+ epochs\. Held-out words: [\d.]+ nats\/word, \d+% spelt back\.$/);
  // the view's options, trained in the page's own thread from the same model: the same words
  const expected = await page.evaluate(async (names) => {
    const { VAE } = await import('./vae.js');
    const m = await VAE.load('models/words-vae.safetensors'), steps = Math.ceil((names.length * 0.95) / 4), epochs = Math.max(2, Math.ceil(24 / steps));
    await m.trainer({ epochs, batchSize: 4, lr: 1e-3, warmupEpochs: Math.ceil(epochs / 4) }).fit(names);
    const words = m.sampleWords(12, { seed: 1, temperature: 0.8 });
    m.dispose();
    return words;
  }, NAMES);
  assert.deepEqual(await samples(), expected);
  assert.notDeepEqual(expected, original);
  await el.locator('.teach').screenshot({ path: `${SHOTS}words-taught.png` });
  await el.screenshot({ path: `${SHOTS}words-teach.png` });
  await el.getByRole('button', { name: 'Back to the original' }).click();
  assert.deepEqual(await samples(), original);

  // capitals and digits: a fresh model of the list's characters
  await el.getByLabel('Your words').fill(NAMES.map((n, i) => `${n[0].toUpperCase()}${n.slice(1)}${i % 10}`).join(' '));
  await el.getByRole('button', { name: 'Teach it' }).click();
  await page.waitForFunction(() => /epoch|Taught/.test(document.querySelector('vae-demo').shadowRoot.querySelector('[aria-label="Training status"]').textContent), null, { timeout: 60000 });
  assert.match(await status.textContent(), /^(A fresh model of 0–9, A–K, .*: epoch|Taught)/);
  await page.waitForFunction(() => document.querySelector('vae-demo').shadowRoot.querySelector('[aria-label="Training status"]').textContent.startsWith('Taught'), null, { timeout: 120000 });
  assert.ok((await samples()).every((w) => /^[A-Za-z0-9]*$/.test(w)), `${await samples()}`);
  assert.deepEqual(problems, []);
  await context.close();
});
