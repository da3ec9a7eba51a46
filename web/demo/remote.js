/* The views' bulk work (encoding thousands of digits, scoring sets,
 * decoding conv faces, parsing the bundled data) in one module Worker
 * (worker.js) shared by every <vae-demo> of the page, so the page thread
 * stays free while the page loads and scrolls. The worker loads its own copy
 * of each model it is asked about (by URL) and the data sets; results come
 * back as transferred buffers. Started on the first call. */
import { VAE } from '../vae.js';

let worker = null, started = null, next = 0;
const waiting = new Map(); // id -> {resolve, reject}
const sources = new Map(); // url -> bytes of a model the page has loaded, handed over on the first call about it
const sent = new Set(); // urls whose bytes the worker has
const builds = new Map(); // url -> VAE.load options: the build the page's copy of a sequence model runs

function failAll(message) {
  for (const w of waiting.values()) w.reject(new Error(message));
  waiting.clear();
  sent.clear();
  worker?.terminate();
  worker = null; // the next call starts a fresh one
}

function post(msg, transfer = []) {
  if (!worker) {
    worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = ({ data }) => {
      const w = waiting.get(data.id);
      waiting.delete(data.id);
      if (data.error) w?.reject(new Error(data.error));
      else w?.resolve(data.result);
    };
    worker.onerror = (e) => (e.preventDefault(), failAll(`the demo's worker failed: ${e.message || 'it could not start'}`));
    // The worker runs the build the page runs (SIMD or not), whatever it would probe itself.
    const w = worker;
    started = VAE.init().then(({ simd }) => w.postMessage({ id: 0, op: 'init', simd }));
  }
  const id = ++next, w = worker;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    started.then(() => w.postMessage({ id, ...msg }, transfer), reject);
  });
}

/* The first `count` items of a bundled data set (all when count is
 * undefined): {images, labels, n, rows, cols}. */
export const remoteDataSet = (folder, name, count) => post({ op: 'data', folder, name, count });

/* The explorer's plane with its dots as an ImageBitmap (plane.js's
 * paintPlane with these options), painted in the worker. */
export const remotePlane = (options) => post({ op: 'plane', ...options });

/* model[method](...args) on the worker's copy of the model at url. An
 * argument {$data: [folder, name, count]} stands for those items' images, and
 * {labels: [folder, name, count]} for their labels, so bundled data never
 * crosses threads. */
export function remoteCall(url, method, ...args) {
  const bytes = sent.has(url) ? undefined : sources.get(url);
  sources.delete(url);
  sent.add(url);
  return post({ op: 'call', url, method, args, bytes, load: builds.get(url) }, bytes ? [bytes.buffer] : []);
}

/* The page's copy of the model at url (its info): a word or sketch model
 * picks its module by the engine's SIMD probe, and the worker's copy then
 * runs the same build, as image models do (init), for the same results. */
export function remoteBuild(url, info) {
  if (/^(words|sketch)$/.test(info.model)) builds.set(url, { simd: info.simd });
}

/* The bytes of a model the page loaded from url (the worker then need not fetch it again). */
export function remoteSource(url, bytes) {
  if (!sent.has(url)) sources.set(url, bytes);
}

/* Frees the worker's copy of a model (when the page's last user lets go). */
export function remoteRelease(url) {
  sources.delete(url);
  builds.delete(url);
  if (sent.delete(url) && worker) post({ op: 'release', url }).catch(() => {});
}
