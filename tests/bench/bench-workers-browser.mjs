// bench-workers.mjs's cases in Debian's headless Chromium (not a test):
// images per second of fit() with 1 and 2 module Workers (and 4, for the
// model), the page thread coordinating; the pool's per-step timings and the
// scaling model of workers-suite.mjs, with C the fastest one-worker step
// (a page has no per-thread CPU times). Serves web/dist at /dist/ and the
// suite on 127.0.0.1; writes results/bench-workers-browser.json.
//
//   node tests/bench/bench-workers-browser.mjs [REPS]   (after build-wasm.sh; tests/bench and web npm ci)
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url)), root = path.resolve(here, '../..');
const { mnistDigits } = await import(path.join(root, 'web/test/helpers.mjs'));
const { IMAGES } = await import('./workers-suite.mjs');
const reps = Number(process.argv[2] ?? 3);
const pixels = Float32Array.from(mnistDigits(IMAGES).bytes, (v) => v / 255);

const PAGE = `<!doctype html><script type="module">
import VAE from '/dist/vae.js';
import { CASES, timedFit, scaling } from '/workers-suite.mjs';
const pixels = new Float32Array(await (await fetch('/pixels.bin')).arrayBuffer()), results = [];
for (const c of CASES) {
  const runs = { 1: [], 2: [], 4: [] };
  await timedFit(VAE, pixels, c, 1);
  for (let r = 0; r < ${reps}; r++) for (const w of [1, 2, 4]) runs[w].push(await timedFit(VAE, pixels, c, w));
  const best = (w, k, max) => runs[w].map((r) => r[k]).reduce((a, b) => (max ? Math.max(a, b) : Math.min(a, b)));
  const ips1 = best(1, 'imagesPerSecond', true), ips2 = best(2, 'imagesPerSecond', true);
  results.push({ case: c.name, ips1, ips2, wallSpeedup2: ips2 / ips1, minStepMs1: best(1, 'minStepMs'),
    overheadMs2: best(2, 'overheadMs'), overheadMs4: best(4, 'overheadMs'), parts2: runs[2][0].parts,
    ...scaling(best(1, 'minStepMs'), best(2, 'overheadMs'), best(4, 'overheadMs')) });
}
window.benchDone = { results, cores: navigator.hardwareConcurrency };
</script>`;

const FILES = { '/workers-suite.mjs': path.join(here, 'workers-suite.mjs') };
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1').pathname;
  if (url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
  if (url === '/pixels.bin') return res.writeHead(200).end(Buffer.from(pixels.buffer));
  const dist = path.join(root, 'web/dist'), file = FILES[url] ?? (url.startsWith('/dist/') ? path.join(dist, url.slice(6)) : null);
  if (!file || !file.startsWith(here) && !file.startsWith(dist + path.sep) || !statSync(file, { throwIfNoEntry: false })?.isFile())
    return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const loadBefore = os.loadavg();
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.benchDone, null, { timeout: 30 * 60e3, polling: 1000 });
  const report = await page.evaluate(() => window.benchDone);
  const fmt = (v, d = 1) => v.toFixed(d);
  console.log(`Chromium ${browser.version()}, ${report.cores} cores`);
  for (const r of report.results) {
    const p = r.parts2;
    console.log(`${r.case.padEnd(10)} wall: 1 worker ${fmt(r.ips1, 0)} img/s, 2 workers ${fmt(r.ips2, 0)} img/s: x${fmt(r.wallSpeedup2, 2)}; ` +
      `parts (min ms): send ${fmt(p.send, 2)}, compute ${fmt(p.compute)}, worker copies ${fmt(p.copy, 2)}, sum+Adam ${fmt(p.apply, 2)}\n` +
      `${''.padEnd(10)} fastest 1-worker step ${fmt(r.C)} ms; overhead ${fmt(r.overheadMs2, 2)} ms (2), ${fmt(r.overheadMs4, 2)} ms (4): ` +
      `T(N) = ${fmt(r.C)}/N + ${fmt(r.a, 2)} + ${fmt(r.b, 2)} N -> x${fmt(r.predicted2, 2)} (2), x${fmt(r.predicted4, 2)} (4), x${fmt(r.predicted8, 2)} (8)`);
  }
  const load = { before: loadBefore, after: os.loadavg() };
  console.log(`load average before ${load.before.map((v) => v.toFixed(2)).join(' ')}, after ${load.after.map((v) => v.toFixed(2)).join(' ')}`);
  writeFileSync(path.join(here, 'results/bench-workers-browser.json'),
    JSON.stringify({ browser: browser.version(), cpus: os.cpus().length, load, reps, images: IMAGES, ...report, date: new Date().toISOString() }, null, 2) + '\n');
} finally {
  await browser.close();
  server.close();
}
