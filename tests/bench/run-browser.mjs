// Runs bench.html in Debian's headless Chromium (driven by playwright-core)
// and records its numbers: serves tests/bench at /, our module at /dist/
// and the weights at /work/ on 127.0.0.1, waits for the page's result,
// prints the table and writes results/bench-browser.json.
//
//   node run-browser.mjs WORK_DIR [--only peer,peer]
//       WORK_DIR as for bench.mjs; $BENCH_DIST (default web/dist) our built
//       module; $CHROMIUM (default /usr/bin/chromium).
import { createReadStream, mkdirSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { NOTES, table, targets } from './suite.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const TIMEOUT_MS = 30 * 60e3; // the whole page run; slow peers are extrapolated, so far less in practice

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.wasm': 'application/wasm', '.onnx': 'application/octet-stream', '.safetensors': 'application/octet-stream',
};

// A static server for three roots; nothing outside them is reachable.
function serve(mounts) {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const [prefix, dir] = Object.entries(mounts).find(([p]) => url.pathname.startsWith(p));
    const file = path.join(dir, decodeURIComponent(url.pathname.slice(prefix.length)));
    let ok = req.method === 'GET' && (file === dir || file.startsWith(dir + path.sep));
    try {
      ok &&= statSync(file).isFile();
    } catch {
      ok = false;
    }
    if (!ok) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function main() {
  const [work, flag, list] = process.argv.slice(2);
  if (!work) throw new Error('usage: node run-browser.mjs WORK_DIR [--only peer,peer]');
  const server = await serve({
    '/dist/': path.resolve(process.env.BENCH_DIST || path.join(root, 'web/dist')),
    '/work/': path.resolve(work),
    '/': here, // longest prefixes first: find() takes the first match
  });
  const query = flag === '--only' ? `?only=${encodeURIComponent(list)}` : '';
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => process.stderr.write(`${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`http://127.0.0.1:${server.address().port}/bench.html${query}`);
    await page.waitForFunction(() => window.benchDone, null, { timeout: TIMEOUT_MS, polling: 1000 });
    const report = await page.evaluate(() => window.benchDone);
    if (report.fatal) throw new Error(`the page failed: ${report.fatal}`);
    report.browser = browser.version();
    report.date = new Date().toISOString();
    report.notes = NOTES;
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(path.join(here, 'results/bench-browser.json'), JSON.stringify(report, null, 2) + '\n');
    console.log(`Chromium ${report.browser}, ${report.cores} cores, crossOriginIsolated ${report.crossOriginIsolated}`);
    console.log(table(report.results));
    console.log(targets(report.results).join('\n'));
    for (const [name, e] of Object.entries(report.errors)) console.log(`${name}: failed: ${e.split('\n')[0]}`);
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
