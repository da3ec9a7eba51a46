// Runs bench.html in Debian's headless Chromium (driven by playwright-core)
// or, with VAE_BROWSER=firefox, in firefox-esr (tests/browser/firefox.mjs,
// WebDriver BiDi) and records its numbers: serves tests/bench at /, our
// module at /dist/ and the weights at /work/ on 127.0.0.1, waits for the
// page's result, prints the table and writes results/bench-browser.json
// (Chromium) or results/bench-browser-firefox.json; when both files exist,
// also the table of Firefox's times over Chromium's.
//
//   node run-browser.mjs WORK_DIR [--only peer,peer]
//       WORK_DIR as for bench.mjs; $BENCH_DIST (default web/dist) our built
//       module; $CHROMIUM (default /usr/bin/chromium), $FIREFOX (default
//       /usr/bin/firefox-esr).
import { createReadStream, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

import { launchFirefox } from '../browser/firefox.mjs';
import { METRICS, NOTES, table, targets } from './suite.mjs';

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

const RESULTS = { chromium: path.join(here, 'results/bench-browser.json'), firefox: path.join(here, 'results/bench-browser-firefox.json') };
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

// Firefox's time over Chromium's, per peer and measure (> 1: slower in Firefox).
function engines(chromiumRun, firefoxRun) {
  const a = chromiumRun.results, b = firefoxRun.results;
  const rows = [`Firefox / Chromium (ms over ms; runs of ${chromiumRun.date} and ${firefoxRun.date})`, ['peer'.padEnd(12), ...METRICS.map((m) => m.padStart(10))].join('')];
  for (const name of Object.keys(a).filter((n) => b[n]))
    rows.push([name.padEnd(12), ...METRICS.map((m) => (a[name][m] && b[name][m] ? `x${(b[name][m] / a[name][m]).toFixed(2)}` : 'n/a').padStart(10))].join(''));
  return rows.join('\n');
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
  const engine = process.env.VAE_BROWSER ?? 'chromium';
  const browser = engine === 'firefox' ? await launchFirefox({ protocolTimeout: TIMEOUT_MS }) : await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await (await browser.newContext()).newPage();
    page.on('console', (m) => process.stderr.write(`${m.text()}\n`));
    page.on('pageerror', (e) => process.stderr.write(`page error: ${e.message}\n`));
    await page.goto(`http://127.0.0.1:${server.address().port}/bench.html${query}`);
    await page.waitForFunction(() => window.benchDone, null, { timeout: TIMEOUT_MS, polling: 1000 });
    const report = await page.evaluate(() => window.benchDone);
    if (report.fatal) throw new Error(`the page failed: ${report.fatal}`);
    report.engine = engine;
    report.date = new Date().toISOString();
    report.load = loadavg();
    report.notes = NOTES;
    mkdirSync(path.join(here, 'results'), { recursive: true });
    writeFileSync(RESULTS[engine], JSON.stringify(report, null, 2) + '\n');
    console.log(`${report.userAgent}, ${report.cores} cores, crossOriginIsolated ${report.crossOriginIsolated}, load ${report.load}`);
    console.log(table(report.results));
    console.log(targets(report.results).join('\n'));
    for (const [name, e] of Object.entries(report.errors)) console.log(`${name}: failed: ${e.split('\n')[0]}`);
    if (Object.values(RESULTS).every(existsSync)) console.log(engines(...Object.values(RESULTS).map((f) => JSON.parse(readFileSync(f, 'utf8')))));
  } finally {
    await browser.close();
    server.close();
  }
}

await main();
