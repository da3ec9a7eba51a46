/* What the <vae-demo> elements of a page share: each model URL is loaded
 * once and freed when its last element lets go, and each bundled data set
 * (build-scripts/bundle-digits.mjs) is fetched and parsed once, in the
 * demo's worker (remote.js), which hands out the first items a view needs. */
import { VAE } from '../vae.js';
import { remoteBuild, remoteDataSet, remoteRelease, remoteSource } from './remote.js';

const models = new Map(); // url -> {promise, users}

export function acquireModel(url) {
  let entry = models.get(url);
  if (!entry) {
    VAE.init().catch(() => {}); // the wasm compiles while the model downloads (load reports a failure)
    // The bytes also go to the demo's worker if a view asks it about this model (no second download).
    const bytes = fetchBytes(url, false).then((b) => (remoteSource(url, b), b));
    entry = { promise: bytes.then((b) => VAE.load(b)).then((m) => (remoteBuild(url, m.info), m)), users: 0 };
    models.set(url, entry);
    entry.promise.catch(() => models.delete(url)); // a later element may retry
  }
  entry.users++;
  return entry.promise;
}

export function releaseModel(url) {
  const entry = models.get(url);
  if (!entry || --entry.users > 0) return;
  models.delete(url);
  entry.promise.then((m) => m.dispose(), () => {});
  remoteRelease(url);
}

/* Bytes of a URL, gunzipped when they are gzip (some hosts already decode .gz files) and `gzip` is true. */
export async function fetchBytes(url, gzip = true) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url} (${e.message})`);
  }
  if (!res.ok) throw new Error(`${url} gave HTTP ${res.status} ${res.statusText}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (!gzip || bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/* A bundled data set parsed in this thread (the worker's): {images, labels, n, rows, cols}. */
export function readDataSet(folder, name) {
  return Promise.all([`${name}-images.idx.gz`, `${name}-labels.idx.gz`].map((f) => fetchBytes(new URL(f, folder).href)))
    .then(([images, labels]) => VAE.readIDX(images, labels));
}

const dataSets = new Map(); // folder, name and count -> Promise<{images, labels, n, rows, cols}>

/* The first `count` items of a bundled data set (all when undefined), parsed in the worker. */
export function loadDataSet(folder, name, count) {
  const key = `${folder}\n${name}\n${count}`;
  if (!dataSets.has(key)) {
    const p = remoteDataSet(folder, name, count);
    p.catch(() => dataSets.delete(key));
    dataSets.set(key, p);
  }
  return dataSets.get(key);
}
