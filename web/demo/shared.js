/* What the <vae-demo> elements of a page share: each model URL is loaded
 * once and freed when its last element lets go, and each bundled data set
 * (build-scripts/bundle-digits.mjs) is fetched once. */
import { VAE } from '../vae.js';

const models = new Map(); // url -> {promise, users}

export function acquireModel(url) {
  let entry = models.get(url);
  if (!entry) {
    entry = { promise: VAE.load(url), users: 0 };
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
}

/* Bytes of a URL, gunzipped when they are gzip (some hosts already decode .gz files). */
async function fetchBytes(url) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new Error(`cannot fetch ${url} (${e.message})`);
  }
  if (!res.ok) throw new Error(`${url} gave HTTP ${res.status} ${res.statusText}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

const dataSets = new Map(); // url of NAME-images.idx.gz -> Promise<{images, labels, n}>

export function loadDataSet(folder, name) {
  const url = new URL(`${name}-images.idx.gz`, folder).href;
  if (!dataSets.has(url)) {
    const p = Promise.all([url, new URL(`${name}-labels.idx.gz`, folder)].map(fetchBytes))
      .then(([images, labels]) => VAE.readIDX(images, labels));
    p.catch(() => dataSets.delete(url));
    dataSets.set(url, p);
  }
  return dataSets.get(url);
}
