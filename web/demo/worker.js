/* The demo's inference worker (see remote.js): loads models by URL and the
 * bundled data sets, runs a model's methods on request and replies with the
 * results, their buffers transferred. */
import { VAE } from '../vae.js';
import { readDataSet } from './shared.js';
import { paintPlane } from './plane.js';

const models = new Map(); // url -> Promise<Model>
const sets = new Map(); // folder + name -> Promise<{images, labels, n, rows, cols}>

/* The model at url, loaded from the bytes the page handed over, or fetched
 * (with the load options of the page's build, remote.js's remoteBuild). */
function model(url, bytes, load) {
  if (!models.has(url)) {
    const p = VAE.load(bytes ?? url, load);
    p.catch(() => models.delete(url));
    models.set(url, p);
  }
  return models.get(url);
}

function dataSet(folder, name) {
  const key = `${folder}\n${name}`;
  if (!sets.has(key)) {
    const p = readDataSet(folder, name);
    p.catch(() => sets.delete(key));
    sets.set(key, p);
  }
  return sets.get(key);
}

/* The first count items (all when undefined) of a data set, as views onto its arrays. */
async function items(folder, name, count) {
  const d = await dataSet(folder, name), n = Math.min(count ?? d.n, d.n);
  return { ...d, n, images: d.images.subarray(0, n * d.rows * d.cols), labels: d.labels.subarray(0, n) };
}

/* Arguments with their {$data}/{$labels} references (at the top or one level down) resolved. */
async function resolve(arg) {
  if (arg?.$data) return (await items(...arg.$data)).images;
  if (arg?.$labels) return (await items(...arg.$labels)).labels;
  if (arg && typeof arg === 'object' && Object.getPrototypeOf(arg) === Object.prototype)
    return Object.fromEntries(await Promise.all(Object.entries(arg).map(async ([k, v]) => [k, await resolve(v)])));
  return arg;
}

const OPS = {
  init: ({ simd }) => VAE.init({ simd }).then(() => null),
  async data({ folder, name, count }) {
    const d = await items(folder, name, count);
    return { ...d, images: d.images.slice(), labels: d.labels.slice() }; // copies: the worker keeps its set
  },
  async call({ url, method, args, bytes, load }) {
    const [m, resolved] = await Promise.all([model(url, bytes, load), Promise.all(args.map(resolve))]);
    return m[method](...resolved);
  },
  plane(options) {
    const canvas = new OffscreenCanvas(options.size, options.size);
    paintPlane(canvas.getContext('2d'), options);
    return canvas.transferToImageBitmap();
  },
  async release({ url }) {
    const m = models.get(url);
    models.delete(url);
    (await m?.catch(() => null))?.dispose();
  },
};

/* What a result hands over: an ImageBitmap, or the buffers of its typed arrays (at the top or one level down). */
const buffers = (r) => (r instanceof ImageBitmap ? [r] : ArrayBuffer.isView(r) ? [r.buffer] : r && typeof r === 'object' ? Object.values(r).filter(ArrayBuffer.isView).map((a) => a.buffer) : []);

self.onmessage = async ({ data: msg }) => {
  try {
    const result = await OPS[msg.op](msg);
    self.postMessage({ id: msg.id, result }, [...new Set(buffers(result))]);
  } catch (e) {
    self.postMessage({ id: msg.id, error: e.message });
  }
};
