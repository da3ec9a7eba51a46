#!/usr/bin/env node
/* What two jobs of the demo cost the page thread, timed in the page (not a
 * test: prints figures), per engine: the explorer's plane (demo/plane.js,
 * 560 px, 3,000 dots) painted and rasterized there, against drawing the
 * ImageBitmap of it the demo's worker paints; and the sketch-interpolate
 * view's Replay click (its new tiles sized and first painted, synchronously,
 * and the layout it leaves). Medians of repeated runs; load the machine
 * lightly or compare with --against DIR (a copy of the site, e.g. web/dist
 * before a change: its Replay is timed too, alternating with web/dist's).
 *
 *   node tests/bench/view-costs.mjs [chromium] [firefox] [--against DIR] */
import { loadavg } from 'node:os';
import { serve } from '../../build-scripts/serve.mjs';

const args = process.argv.slice(2);
const at = args.indexOf('--against'), against = at < 0 ? null : args.splice(at, 2)[1];
const engines = args.length ? args : ['chromium', 'firefox'];
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(1);

function plane() {
  return import('./demo/plane.js').then(({ paintPlane }) => {
    let seed = 1;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647, n = 3000, mu = new Float32Array(2 * n), labels = new Uint8Array(n);
    for (let i = 0; i < 2 * n; i++) mu[i] = (rnd() + rnd() + rnd() - 1.5) * 2; // about the spread of the digits' codes
    labels.forEach((_, i) => (labels[i] = i % 10));
    const o = { size: 560, range: 3, dims: [0, 1], panel: '#1a1c2b', grid: '#232538', dpr: 1, points: { mu, labels, n, L: 2 } };
    const canvas = () => Object.assign(document.createElement('canvas'), { width: 560, height: 560 }).getContext('2d');
    const paint = [], blit = [];
    for (let k = 0; k < 9; k++) {
      let ctx = canvas(), t = performance.now();
      paintPlane(ctx, o);
      ctx.getImageData(0, 0, 1, 1); // the raster an engine does at its next commit
      paint.push(performance.now() - t);
      const off = new OffscreenCanvas(560, 560);
      paintPlane(off.getContext('2d'), o);
      const bitmap = off.transferToImageBitmap();
      (ctx = canvas()), (t = performance.now());
      ctx.drawImage(bitmap, 0, 0);
      ctx.getImageData(0, 0, 1, 1);
      blit.push(performance.now() - t);
    }
    return { paint, blit };
  });
}

async function replays(sel) {
  const root = document.querySelector(sel).shadowRoot, button = [...root.querySelectorAll('button')].find((b) => /Replay/.test(b.textContent));
  const out = [];
  for (let i = 0; i < 15; i++) {
    await new Promise((r) => setTimeout(r, 200));
    const t = performance.now();
    button.click();
    void document.body.offsetWidth; // the layout the click left
    out.push(performance.now() - t);
  }
  return out;
}

console.log(`view-costs.mjs: load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
for (const engine of engines) {
  process.env.VAE_BROWSER = engine; // helpers.mjs reads it when imported
  const { start, watchedPage, ready } = await import(`../browser/helpers.mjs?${engine}`);
  const s = await start();
  const sites = [{ name: 'web/dist', url: s.url }, ...(against ? [{ name: against, ...(await serve({ root: against, port: 0 })) }] : [])];
  const { page, context } = await watchedPage(s.browser);
  await page.goto(s.url);
  const { paint, blit } = await page.evaluate(plane);
  console.log(`${engine}: the explorer's plane on the page thread ${median(paint)} ms; drawing the worker's bitmap of it ${median(blit)} ms`);
  await context.close();
  const times = new Map(sites.map((x) => [x.name, []]));
  for (let r = 0; r < 2; r++)
    for (const site of r % 2 ? [...sites].reverse() : sites) {
      const { page, context } = await watchedPage(s.browser);
      await page.goto(site.url);
      await ready(page, 'vae-demo[view=sketch-interpolate]', 60000);
      await page.waitForTimeout(3000); // its first drawing played
      times.get(site.name).push(...(await page.evaluate(replays, 'vae-demo[view=sketch-interpolate]')));
      await context.close();
    }
  for (const [name, t] of times) console.log(`${engine}: sketch-interpolate's Replay (${name}) ${median(t)} ms, median of ${t.length}`);
  for (const site of sites.slice(1)) site.server.close();
  await s.close();
}
