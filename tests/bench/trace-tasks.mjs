#!/usr/bin/env node
/* What the page thread's long tasks were, from a Chromium trace written by
 * page-load.mjs --trace (its categories include V8's sampling profiler):
 * each task of the renderer's main thread over a threshold of CPU time, when
 * it ran (ms from the start of parsing the page), its wall and CPU time, and where the time went:
 * the JS functions the profiler sampled in it (self time, by function and
 * file:line) beside the engine's own work (layout, paint, GC, compile...),
 * and the synchronous calls it made to the browser process for fonts (on
 * Linux, one per family name looked up and one per size x weight x style
 * first laid out: the page thread waits for each, which CPU time hides).
 * Tasks under the CPU threshold are listed too when such calls took 10 ms.
 *
 *   node tests/bench/trace-tasks.mjs TRACE.json [min CPU ms, default 30] */
import { readFileSync } from 'node:fs';

export const CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'v8.execute',
  'disabled-by-default-v8.cpu_profiler', 'blink', 'loading', 'toplevel', 'fonts'];
const FONT_CALLS = new Set(['FontDataService::MatchFamilyName', 'WebSandboxSupportLinux::GetWebFontRenderStyleForStrike',
  'WebSandboxSupportLinux::GetFallbackFontForCharacter']);

export function longTasks(trace, minCPU = 30) {
  const events = trace.traceEvents ?? trace;
  // The page's renderer: the one that parsed our http page (the browser has others, e.g. its omnibox).
  const parse = events.find((e) => e.name === 'ParseHTML' && /^https?:/.test(e.args?.beginData?.url ?? ''));
  const onMain = (e) => e.pid === parse?.pid && e.tid === parse?.tid;
  const t0 = parse?.ts ?? 0;

  // Profile samples of the page's main thread: [ts, "leaf function file:line < the nearest caller outside the library (vae*.js, wasm)"].
  const samples = [];
  const profiles = new Map(); // id -> {nodes: id -> {callFrame, parent}, t}
  const frame = (f) => `${f.functionName || '(anonymous)'}${f.url ? ` ${f.url.replace(/.*\//, '')}:${f.lineNumber + 1}` : ''}`;
  const file = (f) => (!f.url || f.url.startsWith('wasm:') ? 'wasm' : f.url);
  for (const e of events) {
    if (e.name === 'Profile' && onMain(e)) profiles.set(`${e.pid}:${e.id}`, { nodes: new Map(), t: e.args.data.startTime });
    if (e.name !== 'ProfileChunk') continue;
    const p = profiles.get(`${e.pid}:${e.id}`), d = e.args.data;
    if (!p) continue;
    for (const n of d.cpuProfile?.nodes ?? []) p.nodes.set(n.id, n);
    (d.cpuProfile?.samples ?? []).forEach((id, i) => {
      p.t += d.timeDeltas[i];
      const leaf = p.nodes.get(id);
      if (!leaf) return samples.push([p.t, '?']);
      let up = p.nodes.get(leaf.parent);
      const library = (f) => file(f) === 'wasm' || file(f) === file(leaf.callFrame) || /\/vae(-\w+)?\.js$/.test(f.url);
      while (up && library(up.callFrame)) up = p.nodes.get(up.parent);
      samples.push([p.t, frame(leaf.callFrame) + (up ? ` < ${frame(up.callFrame)}` : '')]);
    });
  }
  samples.sort((a, b) => a[0] - b[0]);

  const mine = events.filter((e) => onMain(e) && e.ph === 'X').sort((a, b) => a.ts - b.ts || b.dur - a.dur);
  const within = (task, e) => e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur;
  const fontCalls = mine.filter((e) => FONT_CALLS.has(e.name));
  const fonts = (task) => fontCalls.filter((e) => within(task, e));
  const tasks = mine.filter((e) => e.name === 'ThreadControllerImpl::RunTask' &&
    ((e.tdur ?? e.dur) >= minCPU * 1000 || fonts(e).reduce((a, f) => a + f.dur, 0) >= 10000));
  const engine = new Set(['Layout', 'UpdateLayoutTree', 'Paint', 'PrePaint', 'Commit', 'Layerize', 'MajorGC', 'MinorGC',
    'v8.compile', 'v8.compileModule', 'V8.GC_MC_INCREMENTAL', 'EvaluateScript', 'v8.evaluateModule', 'ParseHTML', 'v8.wasm.compiledModule',
    'v8.wasm.streamFromResponseCallback', 'wasm.SyncCompile', 'wasm.ProcessStreamingBytes', 'Decode Image', 'ResourceReceivedData']);
  return tasks.map((task) => {
    const end = task.ts + task.dur, parts = new Map();
    for (const e of mine) {
      if (!within(task, e) || !engine.has(e.name)) continue;
      parts.set(e.name, (parts.get(e.name) ?? 0) + e.dur / 1000);
    }
    const js = new Map();
    let prev = null;
    for (const [t, f] of samples) {
      if (t < task.ts) { prev = t; continue; }
      if (t > end) break;
      if (!f.startsWith('(idle)')) js.set(f, (js.get(f) ?? 0) + (t - (prev ?? t)) / 1000);
      prev = t;
    }
    const top = (m, n) => [...m].filter(([, v]) => v >= 1).sort((a, b) => b[1] - a[1]).slice(0, n);
    const calls = new Map();
    for (const f of fonts(task)) {
      const [n, ms] = calls.get(f.name) ?? [0, 0];
      calls.set(f.name, [n + 1, ms + f.dur / 1000]);
    }
    return { at: (task.ts - t0) / 1000, wall: task.dur / 1000, cpu: (task.tdur ?? task.dur) / 1000,
      top: (task.args?.src_func ?? ''), engine: top(parts, 6), js: top(js, 10), fonts: [...calls] };
  });
}

export function printTasks(tasks) {
  for (const t of tasks) {
    console.log(`task at ${Math.round(t.at)} ms (from parsing the page): ${Math.round(t.cpu)} ms of CPU (${Math.round(t.wall)} ms wall)`);
    for (const [k, v] of t.engine) console.log(`    ${v.toFixed(1).padStart(6)} ms  [${k}]`);
    for (const [k, v] of t.js) console.log(`    ${v.toFixed(1).padStart(6)} ms  ${k}`);
    for (const [k, [n, v]] of t.fonts) console.log(`    ${v.toFixed(1).padStart(6)} ms  waiting for the browser process: ${n} x ${k}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, min] = process.argv.slice(2);
  printTasks(longTasks(JSON.parse(readFileSync(file, 'utf8')), Number(min ?? 30)));
}
