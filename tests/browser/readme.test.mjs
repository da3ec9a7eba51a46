/* README.md's HTML example, served as a page at the root of web/dist (as a
 * user would copy it next to the files), runs as written: the element shows
 * its view, the script draws 16 samples and logs the latent of the drawing;
 * and, showing models only, it fetches none of the training code. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { start, watchedPage, ready, SHOTS } from './helpers.mjs';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const html = [...readme.matchAll(/^```html\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
let s;
before(async () => (s = await start()));
after(() => s?.close());

test("README's HTML example works as a page", async () => {
  assert.equal(html.length, 1, 'one HTML example');
  const { page, problems, context } = await watchedPage(s.browser);
  const fetched = [];
  // What the script logs, kept in the page: console text describes a typed
  // array only in Chromium (Firefox's WebDriver BiDi sends just 'typedarray').
  await page.addInitScript(() => {
    const log = console.log;
    window.logged = [];
    console.log = (...args) => (window.logged.push(args.map((a) => (ArrayBuffer.isView(a) ? { type: a.constructor.name, values: [...a] } : String(a)))), log.apply(console, args));
  });
  page.on('request', (r) => fetched.push(r.url().replace(/^.*\//, '')));
  await page.route(`${s.url}readme-example.html`, (route) => route.fulfill({ contentType: 'text/html', body: html[0] }));
  await page.goto(`${s.url}readme-example.html`);
  await ready(page, 'vae-demo');
  await page.waitForFunction(() => window.logged.length > 0, null, { timeout: 30000 });
  const digits = await page.evaluate(() => {
    const c = document.getElementById('digits'), d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) ink += d[i] > 128;
    return { width: c.width, height: c.height, ink };
  });
  assert.deepEqual([digits.width, digits.height], [4 * 28 * 3 + 3, 4 * 28 * 3 + 3], 'a 4x4 grid at scale 3, 1-pixel gaps');
  assert.ok(digits.ink > 1000, `the digits have ink (${digits.ink} bright pixels)`);
  const logged = await page.evaluate(() => window.logged);
  assert.equal(logged.length, 1, `one log line: ${JSON.stringify(logged)}`);
  const [latent] = logged[0];
  assert.equal(latent.type, 'Float32Array', 'the logged latent');
  assert.equal(latent.values.length, 20, 'the logged latent');
  assert.ok(latent.values.every(Number.isFinite) && latent.values.some((v) => v !== 0), `the logged latent: ${latent.values}`);
  // A page that only shows models loads no training code.
  assert.deepEqual(fetched.filter((f) => f.startsWith('vae-train')), [], fetched.join(', '));
  assert.ok(fetched.includes('vae-simd.wasm'), fetched.join(', '));
  await page.screenshot({ path: `${SHOTS}readme-example.png`, fullPage: true });
  assert.deepEqual(problems, []);
  await context.close();
});
