// What the Node benchmarks (bench.mjs, bench-conv.mjs, bench-words.mjs,
// bench-sketch.mjs) load the same way: our built module, the tfjs bundle,
// onnxruntime-web and our native timers; and the CPU-time timing of the
// sequence models' benchmarks.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { ortPeer } from './suite.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** $BENCH_DIST (default web/dist): vae.js with its wasm builds beside it. */
export const dist = path.resolve(process.env.BENCH_DIST || path.join(root, 'web/dist'));

export async function vae() {
  return (await import(pathToFileURL(path.join(dist, 'vae.js')))).default;
}

/** The @tensorflow/tfjs bundle (tfjs-core alone registers no gradients, so
 * cannot train) with its cpu backend, plus the wasm backend without threads
 * (1 thread, the non-threaded SIMD binary). */
let tfCache;
export async function tfjs() {
  if (tfCache) return tfCache;
  const tf = (await import('@tensorflow/tfjs')).default;
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')).default;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
  return (tfCache = tf);
}

/** onnxruntime-web (wasm, 1 thread) on dir's decoder.onnx and encoder.onnx. */
export async function ortWasm(dir) {
  const ort = (await import('onnxruntime-web')).default;
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.simd = true; // ignored by releases that ship only the SIMD build
  return ortPeer(ort, readFileSync(path.join(dir, 'decoder.onnx')), readFileSync(path.join(dir, 'encoder.onnx')));
}

/** $BENCH_NATIVE (default build/native/bench_model) run with args: its JSON. */
export function native(args) {
  const bin = process.env.BENCH_NATIVE || path.join(root, 'build/native/bench_model');
  if (!existsSync(bin)) throw new Error(`${bin} not found (build it, or set BENCH_NATIVE)`);
  return JSON.parse(execFileSync(bin, args, { encoding: 'utf8' }));
}

/** A native --serve benchmark (bench_words, bench_sketch) run with args:
 * {metric: (K) => Promise<CPU ms of K calls>} for each of metrics, timed
 * inside the process (no pipe in the figure) so native is timed interleaved
 * with the others, and close(). */
export function serve(bin, args, metrics) {
  if (!existsSync(bin)) throw new Error(`${bin} not found (build it with build-scripts/build.sh)`);
  const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] }), waiting = [];
  createInterface({ input: child.stdout }).on('line', (ms) => waiting.shift()(Number(ms)));
  const ask = (cmd) => new Promise((resolve) => (waiting.push(resolve), child.stdin.write(`${cmd}\n`)));
  return { ...Object.fromEntries(metrics.map((k) => [k, (calls) => ask(`${k} ${calls}`)])), close: () => child.stdin.end() };
}

/** CPU ms of `calls` calls of fn (the process's: on a shared machine the
 * time spent preempted would swamp the wall clock; the --serve timers count the same). */
export function timed(fn) {
  return (calls) => {
    const t0 = process.cpuUsage();
    for (let i = 0; i < calls; i++) fn();
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1000;
  };
}

/** Median ms per call of each peer (run(K) -> ms of K calls): a call
 * untimed, K calibrated to >= 20 ms, then 9 rounds of every peer in turn,
 * so load that drifts (shared machines) hits every peer alike. */
export async function interleaved(list) {
  const K = [];
  for (const p of list) {
    await p.run(1);
    let k = 1;
    while ((await p.run(k)) < 20 && k < 1 << 16) k *= 2;
    K.push(k);
  }
  const times = list.map(() => []);
  for (let r = 0; r < 9; r++) for (const [i, p] of list.entries()) times[i].push((await p.run(K[i])) / K[i]);
  return times.map((t) => t.sort((a, b) => a - b)[4]);
}
