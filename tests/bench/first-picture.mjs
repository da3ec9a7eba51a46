#!/usr/bin/env node
/* The hero's first picture of two copies of the demo site, A and B (e.g. a
 * copy of web/dist before a change, and web/dist), loaded alternately in the
 * same browser so that both see the same load of a shared machine: the time
 * from navigation to the hero's vae-ready event, and the bytes the page
 * thread fetched until then (resource timing). Prints the medians and B/A.
 * Not a test: a benchmark. Needs tests/browser's node_modules.
 *
 *   node tests/bench/first-picture.mjs DIR_A DIR_B [--runs N] [chromium|firefox] */
import { loadavg } from 'node:os';
import { serve } from '../../build-scripts/serve.mjs';

const args = process.argv.slice(2);
const i = args.indexOf('--runs'), runs = i < 0 ? 7 : Number(args.splice(i, 2)[1]);
const [dirA, dirB, engine = 'chromium'] = args;
if (!dirB) throw new Error('usage: first-picture.mjs DIR_A DIR_B [--runs N] [chromium|firefox]');
process.env.VAE_BROWSER = engine; // helpers.mjs reads it when imported
const { start, watchedPage } = await import('../browser/helpers.mjs');

function recorder() {
  const bytes = () => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((a, e) => a + e.transferSize, 0);
  document.addEventListener('vae-ready', (e) => e.target.closest('.hero') && (window.__first ??= [performance.now(), bytes()]));
}

const s = await start();
const sites = await Promise.all([dirA, dirB].map((root) => serve({ root, port: 0 })));
const times = [[], []], sizes = [[], []];
for (let r = 0; r < runs; r++) {
  for (const k of [0, 1]) {
    const { page, context, problems } = await watchedPage(s.browser);
    await page.addInitScript(recorder);
    await page.goto(sites[k].url);
    const [ms, bytes] = await (await page.waitForFunction(() => window.__first, undefined, { timeout: 120000 })).jsonValue();
    times[k].push(ms), sizes[k].push(bytes);
    if (problems.length) console.log(`${'AB'[k]}: ${problems.slice(0, 3).join('; ')}`);
    await context.close();
  }
}
for (const site of sites) site.server.close();
await s.close();
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
console.log(`first-picture.mjs, ${engine}, ${runs} runs each, alternating; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const k of [0, 1])
  console.log(`${'AB'[k]} ${[dirA, dirB][k]}: median ${Math.round(median(times[k]))} ms (${times[k].map(Math.round).join(', ')}), ${median(sizes[k]).toLocaleString('en')} bytes`);
console.log(`B/A: ${(median(times[1]) / median(times[0])).toFixed(2)}`);
