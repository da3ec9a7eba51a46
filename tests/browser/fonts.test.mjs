/* The demo page's own text (not the demos' shadow roots) uses few font
 * faces: every family list x size x weight x style it lays out costs
 * Chromium on Linux a synchronous call to its browser process from the page
 * thread on the first layout (and every family name it cannot find one
 * more), and that layout was the page's longest stall (30 such calls, now
 * 21: node tests/bench/page-load.mjs chromium --trace FILE lists them).
 * Counted from computed styles, so it does not depend on the machine's load
 * and holds in either engine. A new size or weight in page.css fails here:
 * reuse one, or raise FACES knowing what it costs. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, watchedPage, ENGINE } from './helpers.mjs';

const FACES = 16;

let s;
before(async () => (s = await start()));
after(() => s?.close());

test('the page text uses few font faces', async () => {
  const { page, problems, context } = await watchedPage(s.browser);
  await page.goto(s.url);
  await page.waitForFunction(() => document.readyState === 'complete');
  const faces = await page.evaluate(() => {
    const found = new Map();
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const el = t.parentElement;
      if (!t.data.trim() || !el.checkVisibility()) continue;
      const c = getComputedStyle(el), face = `${c.fontFamily} ${c.fontSize} ${c.fontWeight} ${c.fontStyle}`;
      if (!found.has(face)) found.set(face, `${el.localName}.${el.className}: ${t.data.trim().slice(0, 20)}`);
    }
    return [...found].map(([face, first]) => `${face} (${first})`).sort();
  });
  console.log(`# ${ENGINE}: ${faces.length} font faces in the page's text:\n#   ${faces.join('\n#   ')}`);
  assert.deepEqual(problems, []);
  assert.ok(faces.length <= FACES, `${faces.length} font faces (limit ${FACES})`);
  await context.close();
});
