/* The single-file build under a strict Content-Security-Policy, the whole
 * demo page under the same policy as a header (with the sketch views: the
 * sequence module in the page and the demo's worker), and a browser without
 * wasm SIMD (simulated; the sketch views then fetch the scalar sequence
 * module). */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, watchedPage, ready, canvasStats, SHOTS } from './helpers.mjs';

const CSP = "script-src 'self' 'wasm-unsafe-eval'";
let s;
before(async () => (s = await start()));

/* Until a sketch view has drawn its characters (they are sampled in the demo's worker, then drawn stroke by stroke). */
const drawn = (page, view) => page.waitForFunction((v) => {
  const e = document.querySelector(`vae-demo[view=${v}]`);
  return e.shown && !e.shadowRoot.querySelector('[aria-busy]');
}, view, { timeout: 60000 });
after(() => s?.close());

test('vae.single.js works from a page with a strict CSP, fetching no .wasm', async () => {
  const { page, problems, context } = await watchedPage(s.browser);
  const wasm = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url()));
  await page.goto(`${s.url}test/csp.html`);
  await page.waitForFunction(() => document.getElementById('result').textContent !== 'running', null, { timeout: 30000 });
  assert.equal(await page.locator('#result').textContent(), 'ok');
  assert.ok(Number(await page.locator('#result').getAttribute('data-sum')) > 10, 'the samples are empty');
  assert.deepEqual(wasm, [], 'the single-file build fetched a .wasm');
  await page.locator('#out').screenshot({ path: `${SHOTS}csp-single-file.png` });
  assert.deepEqual(problems, []);
  await context.close();
});

test('the demo page works with the strict CSP sent as a header', async () => {
  const { page, problems, context } = await watchedPage(s.browser);
  const violations = [];
  page.on('console', (m) => /Content.Security.Policy/i.test(m.text()) && violations.push(m.text()));
  await page.route(`${s.url}`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': CSP } });
  });
  await page.goto(s.url);
  await ready(page, 'vae-demo[view=explorer]');
  await ready(page, 'vae-demo[view=samples]');
  // the worker must start under the policy too
  const sel = 'vae-demo[view=train]';
  await ready(page, sel);
  await page.locator(sel).evaluate((e) => e.setAttribute('epochs', '1'));
  const el = await ready(page, sel);
  // The listener is in place before the click (an evaluate still in flight could miss a quick training's end).
  await page.evaluate((sel) => {
    window.trained = new Promise((r) => document.querySelector(sel).addEventListener('vae-trained', (e) => r(e.detail.loss), { once: true }));
  }, sel);
  await el.locator('button', { hasText: 'Train' }).click();
  assert.ok(Number.isFinite(await page.evaluate(() => window.trained)), 'training under the CSP gave no loss');
  // the sequence module under the policy, in the page and in the demo's worker (which samples the characters)
  for (const view of ['sketch', 'sketch-interpolate']) {
    await ready(page, `vae-demo[view=${view}]`, 60000);
    await drawn(page, view);
    const stats = await canvasStats(page, `vae-demo[view=${view}]`);
    assert.ok(Math.max(...stats.map((c) => c.std)) > 10, `${view}: blank under the CSP`);
  }
  assert.deepEqual(violations, []);
  assert.deepEqual(problems, []);
  await context.close();
});

test('without wasm SIMD the element loads the scalar build and works', async () => {
  const { page, problems, context } = await watchedPage(s.browser);
  await page.addInitScript(() => {
    const validate = WebAssembly.validate;
    // An engine without SIMD rejects the loader's probe (a module with v128 code).
    WebAssembly.validate = (bytes) => !new Uint8Array(bytes.buffer ?? bytes).includes(0x7b) && validate(bytes);
  });
  const wasm = [];
  page.on('request', (r) => r.url().endsWith('.wasm') && wasm.push(r.url().replace(/^.*\//, '')));
  await page.goto(s.url);
  for (const view of ['explorer', 'samples', 'manifold', 'sketch', 'sketch-interpolate']) {
    const sel = `vae-demo[view=${view}]`;
    const el = await ready(page, sel, 60000);
    if (view.startsWith('sketch')) await drawn(page, view);
    const stats = await canvasStats(page, sel);
    assert.ok(Math.max(...stats.map((c) => c.std)) > 10, `${view}: blank without SIMD`);
    assert.match(await el.locator('.info').textContent(), /no SIMD/, `${view}: the model does not report the scalar build`);
    if (view === 'explorer' || view === 'sketch') await el.screenshot({ path: `${SHOTS}nosimd-${view}.png` });
  }
  assert.deepEqual([...new Set(wasm)].sort(), ['vae-nosimd.wasm', 'vae-seq-nosimd.wasm']);
  assert.deepEqual(problems, []);
  await context.close();
});
