#!/usr/bin/env node
/* The demo page as a reader loads it (not a test: prints figures), per
 * engine: the time from navigation to the hero's first picture and the bytes
 * the page thread fetched until then (resource timing), the bytes the server
 * sent in all (workers' fetches included) after a slow scroll to the bottom,
 * and the page thread's stalls over load plus that scroll
 * (tests/browser/smoothness.mjs): in wall-clock time, in the page thread's
 * CPU time, and in wall-clock time less that thread's waits for a CPU (what
 * an idle machine would show). Needs web/dist (build-wasm.sh,
 * build-demo.sh) and tests/browser's node_modules.
 *
 *   node tests/bench/page-load.mjs [chromium] [firefox] [--runs N] [--trace FILE] [--against DIR]
 *
 * --against DIR also loads a copy of the site in DIR (e.g. web/dist before a
 * change) in the same browser, alternating with web/dist run by run, so that
 * both see the same load of a shared machine; it gets rows of its own.
 *
 * --trace writes a Chromium performance trace of the first run (open it in
 * the DevTools Performance panel) to find what blocks, and prints the page
 * thread's tasks over 30 ms of CPU with what ran in them (trace-tasks.mjs). */
import { loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { loadAndScroll } from '../browser/smoothness.mjs';
import { serve } from '../../build-scripts/serve.mjs';
import { CATEGORIES, longTasks, printTasks } from './trace-tasks.mjs';

const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i < 0 ? fallback : args.splice(i, 2)[1];
};
const runs = Number(opt('--runs', 3)), trace = opt('--trace'), against = opt('--against'), still = args.includes('--reduced-motion') && args.splice(args.indexOf('--reduced-motion'), 1);
const engines = args.length ? args : ['chromium', 'firefox'];
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

const rows = [];
for (const engine of engines) {
  process.env.VAE_BROWSER = engine; // helpers.mjs reads it when imported
  const { start, watchedPage } = await import(`../browser/helpers.mjs?${engine}`);
  const s = await start();
  const sites = [{ name: engine, ...s }, ...(against ? [{ name: `${engine} (A)`, ...(await serve({ root: against, port: 0 })) }] : [])];
  sites.forEach((site) => (site.results = []));
  for (let r = 0; r < runs; r++) {
    for (const site of r % 2 ? [...sites].reverse() : sites) {
      const { page, problems, context } = await watchedPage(s.browser, still ? { reducedMotion: 'reduce' } : {});
      const sockets = new Set(), count = (socket) => sockets.add(socket); // bytes sent, headers included
      site.server.on('connection', count);
      const tracing = trace && r === 0 && engine === 'chromium' && site === sites[0];
      if (tracing) await s.browser.startTracing(page, { path: trace, screenshots: false, categories: CATEGORIES });
      const m = await loadAndScroll(page, site.url);
      if (tracing) await s.browser.stopTracing();
      if (tracing) printTasks(longTasks(JSON.parse(readFileSync(trace, 'utf8'))));
      site.server.off('connection', count);
      const bytes = [...sockets].reduce((sum, socket) => sum + socket.bytesWritten, 0);
      const hero = m.ready.find((x) => x.hero);
      site.results.push({ ...m, first: hero?.at ?? NaN, firstBytes: hero?.bytes ?? NaN, bytes, problems });
      await context.close();
    }
  }
  for (const site of sites.slice(1)) site.server.close();
  await s.close();
  for (const { name, results } of sites) {
    const pick = (k) => median(results.map((x) => x[k]));
    const cpu = (k, of = 'cpu') => median(results.map((x) => x[of]?.[k] ?? NaN));
    rows.push({ name, first: pick('first'), firstBytes: pick('firstBytes'), longest: pick('longest'), blocking: pick('blocking'), bytes: pick('bytes'),
      cpuLongest: cpu('longest'), cpuBlocking: cpu('blocking'), unqueuedLongest: cpu('longest', 'unqueued'), unqueuedBlocking: cpu('blocking', 'unqueued'),
      unqueuedAll: results.map((x) => `${x.unqueued?.longest} ms at ${x.unqueued?.longestAt}`),
      worst: results.map((x) => (x.cpu ?? x).over100.join(', ')), problems: results.flatMap((x) => x.problems).slice(0, 4) });
  }
}
const kB = (b) => `${Math.round(b / 1000).toLocaleString('en')} kB`;
console.log(`page-load.mjs: median of ${runs} runs; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}${against ? `; (A): ${against}, alternating with web/dist` : ''}`);
console.log('                                       wall clock                  CPU time of the page thread   wall less its waits for a CPU');
console.log('engine     first picture  its bytes  longest stall  blocking time  longest stall  blocking time  longest stall  blocking time  all bytes (full scroll)');
const ms = (v) => `${Math.round(v)} ms`.padStart(14);
for (const r of rows) {
  console.log(`${r.name.padEnd(10)} ${ms(r.first).slice(1)} ${kB(r.firstBytes).padStart(10)} ${ms(r.longest)} ${ms(r.blocking)} ${ms(r.cpuLongest)} ${ms(r.cpuBlocking)} ` +
    `${ms(r.unqueuedLongest)} ${ms(r.unqueuedBlocking)}  ${kB(r.bytes)}`);
  console.log(`  longest stall less waits for a CPU, per run: ${r.unqueuedAll.join(', ')}`);
  r.worst.forEach((w, i) => w && console.log(`  run ${i + 1}, stalls over 100 ms of CPU: ${w}`));
  if (r.problems.length) console.log(`  problems: ${r.problems.join('; ')}`);
}
