// Issue 14's inference targets in CPU time (not a test): ours-simd beside
// tfjs-wasm on the same weights, encode of 64 dense images (uniform pixels,
// no zeros) and of 64 real digits, decode of 64 and of 1 latents. The peers
// take turns repetition by repetition; a figure is the median over REPS of
// the process's CPU time per call (user + system: on a shared machine wall
// time is mostly waiting). Prints the ratios tfjs-wasm / ours.
//   node tests/bench/bench-cpu.mjs WORK_DIR [REPS]    (WORK_DIR as run.sh prepares it)
//   VAE_WASM=other/vae-simd.wasm ...                  times another build of our page module
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { D, L, densePixels, normals, parseSafetensors, tfjsPeer } from './suite.mjs';
import { tfjs, vae } from './node-libs.mjs';

const [dir, repsArg] = process.argv.slice(2);
if (!dir) throw new Error('usage: node tests/bench/bench-cpu.mjs WORK_DIR [REPS]');
const reps = Number(repsArg ?? 9);
const bytes = readFileSync(path.join(dir, 'weights.safetensors'));
const VAE = await vae();
await VAE.init({ simd: true, ...(process.env.VAE_WASM ? { wasm: readFileSync(process.env.VAE_WASM) } : {}) });
const model = await VAE.load(new Uint8Array(bytes));
const tf = await tfjsPeer(await tfjs(), 'wasm', parseSafetensors(bytes));
const digits = readFileSync(path.join(dir, 'digits.idx3'));
const x64 = Float32Array.from(digits.subarray(16, 16 + 64 * D), (v) => v / 255);
const dense = densePixels(64 * D, 2), z = normals(64 * L, 1), z1 = z.subarray(0, L), out = new Float32Array(64 * D);
const metrics = {
  encode64dense: [() => model.encode(dense), () => tf.encode(dense, 64)],
  encode64: [() => model.encode(x64), () => tf.encode(x64, 64)],
  decode64: [() => model.decode(z, { out }), () => tf.decode(z, 64)],
  decode1: [() => model.decode(z1), () => tf.decode(z1, 1)],
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e3;
};
const perCall = (fn, calls) => {
  const t0 = cpuMs();
  for (let i = 0; i < calls; i++) fn();
  return (cpuMs() - t0) / calls;
};
const median = (v) => v.sort((a, b) => a - b)[v.length >> 1];
const load0 = os.loadavg()[0];
for (const [name, [ours, peer]] of Object.entries(metrics)) {
  const calls = name === 'decode1' ? 2000 : 60;
  perCall(ours, 5), perCall(peer, 5); // warm-up
  const a = [], b = [];
  for (let r = 0; r < reps; r++) a.push(perCall(ours, calls)), b.push(perCall(peer, calls));
  const [o, p] = [median(a), median(b)];
  console.log(`${name.padEnd(14)} ours ${o.toFixed(3)} ms  tfjs-wasm ${p.toFixed(3)} ms  tfjs-wasm/ours ${(p / o).toFixed(2)}x`);
}
console.log(`(CPU time, median of ${reps}; load average ${load0.toFixed(1)} -> ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores)`);
model.dispose();
tf.dispose();
