/* The sketch views with the pretrained SketchRNN (their default model):
 * `sketch` shows the library's invented characters at the slider's
 * temperature and draws them, new ones on request, and finishes strokes
 * drawn on its pad with the pointer as the library's complete() does;
 * `sketch-interpolate` shows two bundled characters as the training data
 * reads them and the library's path between their codes, its ends the
 * model's readings of the two. No console errors; a wrong model or an
 * unbundled character is a readable error. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, tagsPage, ready, draw, canvasStats, SHOTS } from './helpers.mjs';

let s;
before(async () => (s = await start()));
after(() => s?.close());

const MODEL = 'models/hanzi-sketch-vae.safetensors';

/* fn(model, ...args) on the library's own copy of the model, in the page. */
const library = (page, fn, ...args) => page.evaluate(async ([model, fn, args]) => {
  const { VAE } = await import('./vae.js');
  const m = await VAE.load(model);
  try {
    return new Function('m', 'args', `return (${fn})(m, ...args)`)(m, args); // eslint-disable-line no-new-func
  } finally {
    m.dispose();
  }
}, [MODEL, fn.toString(), args]);

/* Waits until the view has sampled and drawn what it shows (aria-busy gone) and `test(shown)` holds. */
const settled = (page, view, test = 'true') => page.waitForFunction(([view, test]) => {
  const e = document.querySelector(`vae-demo[view=${view}]`);
  return e.shown && !e.shadowRoot.querySelector('[aria-busy]') && new Function('shown', `return ${test}`)(e.shown); // eslint-disable-line no-new-func
}, [view, test], { timeout: 60000 });

/* A hash of every canvas's pixels in the element. */
const pixels = (el) => el.evaluate((e) => [...e.shadowRoot.querySelectorAll('canvas')].map((c) => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let h = 0;
  for (let i = 0; i < d.length; i += 3) h = (h * 31 + d[i]) | 0;
  return h;
}));

test('sketch: invented characters at the slider\'s temperature, drawn; new ones on request', async () => {
  const { page, problems, context } = await tagsPage(s, '<vae-demo view="sketch" size="620"></vae-demo>');
  const el = await ready(page, 'vae-demo', 60000);
  const want = (seed, temperature) => library(page, (m, seed, t) => Array.from({ length: 8 }, (_, i) => m.sampleStrokes({ seed: seed + i, temperature: t })), seed, temperature);
  await settled(page, 'sketch');
  let shown = await el.evaluate((e) => e.shown.samples);
  assert.deepEqual(shown, { seed: 1, temperature: 0.4, drawings: await want(1, 0.4) });
  const stats = await canvasStats(page, 'vae-demo');
  assert.equal(stats.filter((c) => /^Invented character/.test(c.label) && c.std > 10).length, 8, `blank characters: ${JSON.stringify(stats)}`);
  await el.screenshot({ path: `${SHOTS}sketch.png` });

  const before = await pixels(el);
  await el.getByLabel('Temperature').fill('0.8');
  await settled(page, 'sketch', 'shown.samples.temperature === 0.8');
  shown = await el.evaluate((e) => e.shown.samples);
  assert.deepEqual(shown.drawings, await want(1, 0.8));
  assert.notDeepEqual(shown.drawings, await want(1, 0.4), 'the temperature changed nothing');
  const after = await pixels(el);
  assert.ok(after.slice(0, 8).every((h, i) => h !== before[i]), 'a character was drawn the same at another temperature');
  await el.screenshot({ path: `${SHOTS}sketch-t0.8.png` });

  await el.getByRole('button', { name: 'New characters' }).click();
  await settled(page, 'sketch', 'shown.samples.seed !== 1');
  shown = await el.evaluate((e) => e.shown.samples);
  assert.deepEqual(shown.drawings, await want(shown.seed, 0.8));
  assert.deepEqual(problems, []);
  await context.close();
});

test('sketch: strokes drawn on the pad with the pointer, finished by the model as complete() finishes them', async () => {
  const { page, problems, context } = await tagsPage(s, '<vae-demo view="sketch" size="620" temperature="0.3"></vae-demo>');
  const el = await ready(page, 'vae-demo', 60000);
  await settled(page, 'sketch');
  const pad = el.locator('canvas.pad'), finish = el.getByRole('button', { name: 'Finish it' });
  assert.equal(await finish.evaluate((b) => b.disabled), true, 'Finish it without strokes');
  // 日's frame: its left side, then the top and right side in one stroke
  await pad.scrollIntoViewIfNeeded();
  await draw(page, pad, [[[0.3, 0.2], [0.3, 0.8]], [[0.3, 0.2], [0.7, 0.2], [0.7, 0.8]]]);
  const prefix = await el.evaluate((e) => e.shown.strokes);
  assert.equal(prefix.length, 2, `strokes: ${JSON.stringify(prefix)}`);
  // in the data's units: the pad shows the em box (-512..512, y down) with 6% of its side around it;
  // the simplification keeps the ends and the corner, and rounds as the training data
  const unit = (f) => -512 + ((f - 0.06) / 0.88) * 1024, near = (p, [u, v]) => Math.hypot(p[0] - unit(u), p[1] - unit(v)) < 8;
  assert.ok(prefix.flat(2).every(Number.isInteger), JSON.stringify(prefix));
  assert.ok(near(prefix[0][0], [0.3, 0.2]) && near(prefix[0].at(-1), [0.3, 0.8]), `the first stroke: ${JSON.stringify(prefix[0])}`);
  assert.ok(near(prefix[1][0], [0.3, 0.2]) && prefix[1].some((p) => near(p, [0.7, 0.2])) && near(prefix[1].at(-1), [0.7, 0.8]),
    `the second stroke: ${JSON.stringify(prefix[1])}`);
  await finish.click();
  await settled(page, 'sketch', 'shown.completion !== null');
  const { done, seed, temperature } = await el.evaluate((e) => e.shown.completion);
  assert.deepEqual({ seed, temperature }, { seed: 1, temperature: 0.3 });
  assert.deepEqual(done, await library(page, (m, p) => m.complete(p, { temperature: 0.3, seed: 1 }), prefix));
  const n = prefix.flat().length;
  assert.ok(done.flat().length > n, 'the model added nothing');
  assert.deepEqual(done.slice(0, 2).map((st) => st.map((p) => p.map(Math.round))), prefix, 'the completion does not start with the drawn strokes');
  // the model's strokes are drawn in the accent colour (#6366f1)
  const accent = await pad.evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let k = 0;
    for (let i = 0; i < d.length; i += 4) k += Math.abs(d[i] - 0x63) + Math.abs(d[i + 1] - 0x66) + Math.abs(d[i + 2] - 0xf1) < 40 && d[i + 3] > 200;
    return k;
  });
  assert.ok(accent > 200, `${accent} pixels of the model's colour on the pad`);
  assert.match(await el.getByLabel('Completion status').textContent(), /^The model added \d+ points at temperature 0\.30\./);
  await el.screenshot({ path: `${SHOTS}sketch-completed.png` });

  await el.getByRole('button', { name: 'Another ending' }).click();
  await settled(page, 'sketch', `shown.completion && shown.completion.seed !== 1`);
  const again = await el.evaluate((e) => e.shown.completion);
  assert.deepEqual(again.done, await library(page, (m, p, seed) => m.complete(p, { temperature: 0.3, seed }), prefix, again.seed));
  await el.getByRole('button', { name: 'Clear' }).click();
  assert.deepEqual(await el.evaluate((e) => [e.shown.strokes, e.shown.completion]), [[], null]);
  assert.deepEqual(problems, []);
  await context.close();
});

test('sketch-interpolate: two real characters, the library\'s path between their codes, its ends their reconstructions', async () => {
  const { page, problems, context } = await tagsPage(s, '<vae-demo view="sketch-interpolate" size="620"></vae-demo>');
  const el = await ready(page, 'vae-demo', 60000);
  await settled(page, 'sketch-interpolate');
  /* The characters as the training data has them (the Node tests check demo/hanzi.js against tools/hanzi_strokes.py). */
  const real = (c) => page.evaluate(async (c) => {
    const { readCharacter } = await import('./demo/hanzi.js');
    return readCharacter(new URL('data/', location.href).href, c);
  }, c);
  const check = async (a, b, steps, method) => {
    const shown = await el.evaluate((e) => e.shown);
    assert.equal(shown.method, method);
    const [ra, rb] = [await real(a), await real(b)];
    assert.deepEqual(shown.ends, [a, b]);
    assert.deepEqual(shown.real, [ra, rb]);
    assert.deepEqual(shown.path, await library(page, (m, ra, rb, steps, method) => m.interpolateStrokes(ra, rb, steps, { method }), ra, rb, steps, method));
    // the ends: each character's reconstruction (its mean code, decoded as the strip decodes)
    const rec = await library(page, (m, ...r) => r.map((s) => m.decodeStrokes(m.encodeStrokes(s).mu, { temperature: 0.1, seed: 1 })), ra, rb);
    assert.deepEqual([shown.path[0], shown.path.at(-1)], rec, 'the strip\'s ends are not the two reconstructions');
    const stats = await canvasStats(page, 'vae-demo');
    assert.equal(stats.length, steps + 2);
    assert.ok(stats.every((c) => c.std > 5), `blank: ${JSON.stringify(stats)}`);
  };
  await check('日', '月', 8, 'slerp');
  await el.screenshot({ path: `${SHOTS}sketch-interpolate.png` });
  await el.getByLabel('End character').selectOption('木');
  await settled(page, 'sketch-interpolate', 'shown.ends[1] === "木"');
  await el.getByLabel('Steps').fill('5');
  await settled(page, 'sketch-interpolate', 'shown.steps === 5');
  await check('日', '木', 5, 'slerp');
  await el.getByRole('radio', { name: 'Linear' }).click();
  await settled(page, 'sketch-interpolate', 'shown.method === "linear"');
  await check('日', '木', 5, 'linear');
  await el.getByRole('button', { name: 'Swap the characters' }).click();
  await settled(page, 'sketch-interpolate', 'shown.ends[0] === "木"');
  await check('木', '日', 5, 'linear');
  assert.match(await el.locator('.credit').textContent(), /hanzi-writer-data .*Arphic Public License/);
  const licence = await page.evaluate(() => fetch('data/hanzi/ARPHICPL.TXT').then((r) => r.text()));
  assert.match(licence, /ARPHIC PUBLIC LICENSE/);
  await el.screenshot({ path: `${SHOTS}sketch-interpolate-swapped.png` });
  assert.deepEqual(problems, []);
  await context.close();
});

test('the sketch views say what they need: a sketch model, a bundled character', async () => {
  const { page, context } = await tagsPage(s, '<vae-demo view="sketch" model="models/mnist-vae.safetensors"></vae-demo>' +
    '<vae-demo view="sketch-interpolate" from="&#x9f8d;"></vae-demo>'); // 龍 (the test page declares no charset)
  for (const [view, message] of [['sketch', /the sketch view needs a sketch model \(vae train --strokes\), not an image model/],
    ['sketch-interpolate', /“龍” is not among the bundled characters \(日月/]]) {
    await page.waitForFunction((v) => document.querySelector(`vae-demo[view=${v}]`).getAttribute('state') === 'error', view, { timeout: 30000 });
    assert.match(await page.locator(`vae-demo[view=${view}] [role=alert]`).textContent(), message);
  }
  await context.close();
});
