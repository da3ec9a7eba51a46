// What the Node benchmarks (bench.mjs, bench-conv.mjs) load the same way: our
// built module, the tfjs bundle, onnxruntime-web and our native timer.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { ortPeer } from './suite.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** $BENCH_DIST (default web/dist): vae.js with its wasm builds beside it. */
export async function vae() {
  const dist = path.resolve(process.env.BENCH_DIST || path.join(root, 'web/dist'));
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
