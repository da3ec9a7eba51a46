/* vae-wasm: variational autoencoders in WebAssembly, for a page's main
 * thread, a module Web Worker and Node 20, from one ES module.
 *
 * No Emscripten JS glue: the .wasm is a standalone module whose only import
 * is a memory-growth notice, so this file instantiates it itself, without
 * eval or new Function (fine under script-src 'self' 'wasm-unsafe-eval').
 *
 * Layouts. Images are flat Float32Arrays, row-major [n, c*h*w] with each
 * image channel-major (c planes of h rows of w pixels) and values in [0, 1];
 * latents are [n, latent]. A single image (or latent) is a batch of one, and
 * plain arrays, other typed arrays or an array of per-item arrays are
 * accepted too. Labels (conditional models) are integers in [0, classes).
 *
 * Every failure throws (or rejects with) a VAEError whose message says which
 * call failed and why, and whose code names the reason (VAE_ERR_SHAPE, ...).
 */

const EMBEDDED = null; // vae.single.js: {simd, nosimd, train-simd, train-nosimd} base64 wasm builds (build-wasm.sh)

// (module (func (result v128) i32.const 0 i8x16.splat)): valid only where wasm SIMD is.
// vae.h's VAE_EVAL_SEED, VAE_EVAL_BATCH, VAE_MAX_NONFINITE_RUN (native.test.mjs compares the behaviour).
const EVAL_SEED = 1, EVAL_BATCH = 500, MAX_NONFINITE_RUN = 20;
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 8, 1, 6, 0, 65, 0, 253, 15, 11,
]);

const isNode = typeof process === 'object' && typeof process.versions?.node === 'string';
const text = { enc: new TextEncoder(), dec: new TextDecoder() };

export class VAEError extends Error {
  constructor(message, code = 'VAE_ERR_ARG') {
    super(message);
    this.name = 'VAEError';
    this.code = code;
  }
}

function fail(message, code) {
  throw new VAEError(message, code);
}

/* Rejects option names the call does not know (a typo would otherwise be ignored). */
function options(what, given, known) {
  if (given === undefined || given === null) return {};
  if (typeof given !== 'object') fail(`${what}: options must be an object, not ${typeof given}`);
  for (const key of Object.keys(given))
    if (!known.includes(key)) fail(`${what}: unknown option '${key}' (known: ${known.join(', ')})`);
  return given;
}

/* v if it is one of the choices; undefined gives the first (the default), or stays undefined if optional. */
function choice(what, name, v, choices, optional) {
  if (v !== undefined && !choices.includes(v)) fail(`${what}: ${name} must be '${choices.join("' or '")}' (got ${v})`);
  return optional ? v : v ?? choices[0];
}

function integer(what, name, v, lo, hi) {
  if (!Number.isInteger(v) || v < lo || v > hi) fail(`${what}: ${name} must be an integer in ${lo}..${hi} (got ${v})`);
  return v;
}

function finite(what, name, v, lo = -Infinity) {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo)
    fail(`${what}: ${name} must be a finite number${lo > -Infinity ? ` >= ${lo}` : ''} (got ${v})`);
  return v;
}

/* Seeds are unsigned 64-bit (number or BigInt), as in the native CLI. */
function seed64(what, v) {
  if (typeof v === 'bigint' ? v >= 0n && v < 1n << 64n : Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  return fail(`${what}: seed must be an integer in 0..2^64-1 (got ${v})`);
}

function randomSeed() {
  const w = crypto.getRandomValues(new Uint32Array(2));
  return (BigInt(w[0]) << 32n) | BigInt(w[1]);
}

/* ------------------------------------------------------------------ loading bytes */

function asBytes(src) {
  if (src instanceof ArrayBuffer) return new Uint8Array(src);
  if (ArrayBuffer.isView(src)) return new Uint8Array(src.buffer, src.byteOffset, src.byteLength);
  return null;
}

/* Bytes from a URL (fetch; file: URLs and plain paths through fs in Node),
 * an ArrayBuffer, a typed array or a Blob. */
async function readSource(what, src) {
  const bytes = asBytes(src);
  if (bytes) return bytes;
  if (typeof Blob !== 'undefined' && src instanceof Blob) return new Uint8Array(await src.arrayBuffer());
  if (typeof src !== 'string' && !(src instanceof URL))
    fail(`${what}: expected a URL, a path, an ArrayBuffer or a Uint8Array (got ${Object.prototype.toString.call(src)})`);
  const url = src instanceof URL ? src : /^(https?|file|data|blob):/i.test(src) ? new URL(src) : null;
  if (isNode && (!url || url.protocol === 'file:')) {
    const fs = await import('node:fs/promises');
    try {
      return new Uint8Array(await fs.readFile(url ?? src));
    } catch (e) {
      fail(`${what}: cannot read ${src}: ${e.message}`, 'VAE_ERR_IO');
    }
  }
  let res;
  try {
    res = await fetch(url ?? src);
  } catch (e) {
    fail(`${what}: cannot fetch ${src}: ${e.message}`, 'VAE_ERR_IO');
  }
  if (!res.ok) fail(`${what}: fetching ${src} gave HTTP ${res.status} ${res.statusText}`, 'VAE_ERR_IO');
  return new Uint8Array(await res.arrayBuffer());
}

function fromBase64(s) {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/* ------------------------------------------------------------------ the wasm runtime */

/* One instance of the module: its exports, a way to run code with
 * temporary wasm allocations, and the library's error as a VAEError. */
class Runtime {
  #training;

  /* trainWasm: where training() finds the training build (default: next to vae.js). */
  constructor(instance, module, training, trainWasm) {
    this.x = instance.exports;
    this.module = module; // compiled once; posted to workers
    this.simd = !!this.x.vw_simd(); // the build running, whatever its file was called
    this.#training = training ? Promise.resolve(this) : null;
    this.trainWasm = trainWasm;
    this.x._initialize?.();
  }

  /* The runtime with the trainer: this one, or the training build (same
   * SIMD choice), compiled on first use. */
  training(ifLoaded) {
    if (ifLoaded && !this.#training) return null;
    this.#training ??= instantiate({ wasm: this.trainWasm, simd: this.simd, training: true });
    this.#training.catch(() => (this.#training = null));
    return this.#training;
  }

  get buffer() {
    return this.x.memory.buffer; // a new ArrayBuffer whenever memory grows: never cache views
  }

  string(ptr) {
    const u8 = new Uint8Array(this.buffer);
    let end = ptr;
    while (u8[end]) end++;
    return text.dec.decode(u8.subarray(ptr, end));
  }

  error(what) {
    return new VAEError(`${what}: ${this.string(this.x.vw_error_message())}`, this.string(this.x.vw_status_name(this.x.vw_error_code())));
  }

  check(what, status) {
    if (status) throw this.error(what);
  }

  alloc(what, bytes) {
    const p = this.x.malloc(Math.max(1, bytes));
    if (!p) fail(`${what}: out of memory (${bytes} bytes)`, 'VAE_ERR_NOMEM');
    return p;
  }

  /* Runs fn(mem) and frees everything mem allocated, whatever happens. */
  scope(what, fn) {
    const ptrs = [];
    const mem = {
      alloc: (bytes) => {
        const p = this.alloc(what, bytes);
        ptrs.push(p);
        return p;
      },
      f32: (values) => {
        const p = mem.alloc(4 * values.length);
        new Float32Array(this.buffer, p, values.length).set(values);
        return p;
      },
      i32: (values) => {
        if (!values) return 0;
        const p = mem.alloc(4 * values.length);
        new Int32Array(this.buffer, p, values.length).set(values);
        return p;
      },
      bytes: (u8) => {
        const p = mem.alloc(u8.length);
        new Uint8Array(this.buffer, p, u8.length).set(u8);
        return p;
      },
      cstring: (s) => mem.bytes(text.enc.encode(s + '\0')),
      readF32: (p, n) => new Float32Array(this.buffer, p, n).slice(),
    };
    try {
      return fn(mem);
    } finally {
      for (const p of ptrs) this.x.free(p);
    }
  }

  /* A generator of the library (xoshiro128**; the same streams as native). */
  rng(what, seed) {
    const h = this.x.vw_rng_create(seed);
    if (!h) throw this.error(what);
    return h;
  }

  normals(what, seed, count) {
    const h = this.rng(what, seed);
    try {
      return this.scope(what, (mem) => {
        const p = mem.alloc(4 * count);
        this.check(what, this.x.vw_rng_normals(h, p, count));
        return mem.readF32(p, count);
      });
    } finally {
      this.x.vw_release(h);
    }
  }
}

let current = null; // Promise<Runtime> used by load/create

/* opts.wasm: the module (URL, bytes or compiled) of the build opts.training
 * (or kind: 'seq-', vae-seq.js's word models) asks for; opts.trainWasm: the
 * training build, for later. */
async function instantiate(opts, kind = '') {
  const o = options('init', opts, ['wasm', 'trainWasm', 'simd', 'training']);
  const simd = o.simd === undefined || o.simd === 'auto' ? WebAssembly.validate(SIMD_PROBE) : o.simd;
  if (typeof simd !== 'boolean') fail(`init: simd must be 'auto', true or false (got ${o.simd})`);
  let module = o.wasm instanceof WebAssembly.Module ? o.wasm : null;
  if (!module) {
    const name = `${o.training ? 'train-' : kind}${simd ? 'simd' : 'nosimd'}`;
    const src = o.wasm ?? (EMBEDDED?.[name] ? fromBase64(EMBEDDED[name]) : new URL(`./vae-${name}.wasm`, import.meta.url));
    const bytes = await readSource('init', src);
    try {
      module = await WebAssembly.compile(bytes);
    } catch (e) {
      fail(`init: ${o.wasm ? 'the given wasm' : `vae-${name}.wasm`} does not compile: ${e.message}`, 'VAE_ERR_ARG');
    }
  }
  const instance = await WebAssembly.instantiate(module, { env: { emscripten_notify_memory_growth() {} } });
  return new Runtime(instance, module, !!o.training, o.trainWasm);
}

/* Loads the wasm (once; again with new options). Models made before a
 * re-init keep the instance they were made with. */
function init(opts) {
  if (!current || opts) {
    current = instantiate(opts);
    current.catch(() => (current = null)); // a failed init can be retried
  }
  return current;
}

/* ------------------------------------------------------------------ inputs */

/* Flat Float32Array of whole rows of `width` values, and the row count. */
function rows(what, name, values, width, unit) {
  let data;
  if (values instanceof Float32Array) data = values;
  else if (ArrayBuffer.isView(values) && !(values instanceof DataView)) data = Float32Array.from(values);
  else if (Array.isArray(values) && values.length && typeof values[0] === 'object' && values[0] !== null) {
    data = new Float32Array(values.length * width);
    values.forEach((v, i) => {
      if (!v || v.length !== width) fail(`${what}: ${name} item ${i} has ${v?.length} values, expected ${width} (${unit})`, 'VAE_ERR_SHAPE');
      data.set(v, i * width);
    });
  } else if (Array.isArray(values)) data = Float32Array.from(values);
  else fail(`${what}: ${name} must be a Float32Array or an array of numbers (got ${Object.prototype.toString.call(values)})`);
  if (!data.length || data.length % width)
    fail(`${what}: expected ${name} of ${width} values each (${unit}), got ${data.length} values`, 'VAE_ERR_SHAPE');
  return { data, n: data.length / width };
}

/* Per-item labels as an Int32Array (null for an unconditional model), from
 * one integer for every item or one per item; lo -1 admits M2's unlabelled. */
function labelsFor(what, name, given, n, classes, lo = 0) {
  if (!classes) {
    if (given !== undefined && given !== null) fail(`${what}: ${name} given but the model is not conditional`);
    return null;
  }
  if (given === undefined || given === null)
    fail(`${what}: this is a conditional model: give ${name} (integers 0..${classes - 1})`);
  const list = typeof given === 'number' ? new Array(n).fill(given) : Array.from(given);
  if (list.length !== n) fail(`${what}: ${list.length} ${name} for ${n} items`, 'VAE_ERR_SHAPE');
  list.forEach((l, i) => {
    if (!Number.isInteger(l) || l < lo || l >= classes)
      fail(`${what}: ${name} ${l} of item ${i} is not an integer in 0..${classes - 1}${lo ? ' (or -1: unlabelled)' : ''}`);
  });
  return Int32Array.from(list);
}

/* ------------------------------------------------------------------ math helpers */

/* Inverse of the standard normal CDF for 0 < p < 1, as the library's
 * vae_probit (src/models/latent_space.c, which the CLI uses): Acklam's
 * rational approximation, then one Halley step on Phi(x) - p. JS has no
 * erfc, so Phi comes from its series (|x| < 3) or Laplace's continued
 * fraction; readme/native tests check the grid against `vae manifold
 * --latents` bit for bit. Kept in JS: the C version's erfc, sin and acos cost
 * the wasm 8 KB gzipped. */
function probit(p) {
  if (!(p > 0 && p < 1)) return p === 0 ? -Infinity : p === 1 ? Infinity : NaN;
  if (p > 0.5) return -probit(1 - p);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  let x;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else {
    const q = p - 0.5, r = q * q;
    x = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
      (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  // x <= 0 here: Phi(x) = 1/2 + pdf (x + x^3/3 + x^5/15 + ...), or pdf / (t + 1/(t + 2/(t + ...))), t = -x
  const pdf = Math.exp(-x * x / 2) / 2.5066282746310002;
  let s = x, f = -x;
  for (let n = 1, term = x; n < 80; n++) (s += term *= (x * x) / (2 * n + 1)), (f = (80 - n) / f - x);
  const u = ((x > -3 ? 0.5 + pdf * s : pdf / f) - p) / pdf;
  return x - u / (1 + (x * u) / 2);
}

/* Point t of the path from a to b: straight, or along the great circle with
 * the norm interpolated too (slerp), as `vae interpolate` does. */
function pathPoint(a, b, t, slerp, out, off) {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (dot += a[i] * b[i]), (na += a[i] * a[i]), (nb += b[i] * b[i]);
  const omega = na > 0 && nb > 0 ? Math.acos(Math.max(-1, Math.min(1, dot / Math.sqrt(na * nb)))) : 0;
  let wa = 1 - t, wb = t;
  if (slerp && Math.sin(omega) > 1e-6) (wa = Math.sin((1 - t) * omega) / Math.sin(omega)), (wb = Math.sin(t * omega) / Math.sin(omega));
  for (let i = 0; i < a.length; i++) out[off + i] = wa * a[i] + wb * b[i];
}

/* ------------------------------------------------------------------ the model */

const KNOWN_CREATE = ['imageShape', 'model', 'encoder', 'decoder', 'out', 'latent', 'classes', 'activation', 'codeActivation', 'likelihood', 'sigma', 'leakySlope', 'classifier', 'seed'];

/* A layer of the metadata as the API shows it: a plain linear layer as its
 * width, anything else as its object; and as `vae train` spells it. */
const plainLayer = (l) => (typeof l === 'object' && l.linear !== undefined && !l.shape ? l.linear : l);
function layerToken(l) {
  if (typeof l !== 'object') return String(l); // a width, or the input shape '1x28x28'
  if (l.linear !== undefined) return `${l.linear}@${l.shape.join('x')}`;
  const t = l.conv !== undefined ? `conv${l.conv}` : `convt${l.conv_transpose}`;
  return `${t}k${l.kernel}s${l.stride}p${l.pad}${l.out_pad ? `o${l.out_pad}` : ''}`;
}

export class Model {
  #rt;
  #h;

  /** @internal Use VAE.load or VAE.create. */
  constructor(rt, h) {
    this.#rt = rt;
    this.#h = h;
    try {
      this.info = Model.#info(rt, h);
    } catch (e) {
      this.dispose(); // nobody else holds the handle
      throw e;
    }
  }

  static #info(rt, h) {
    const p = rt.x.vw_model_arch_json(h);
    if (!p) throw rt.error('info');
    const a = JSON.parse(rt.string(p));
    const [c, hgt, w] = a.input;
    const encoder = a.encoder.map(plainLayer), decoder = a.decoder.map(plainLayer), out = plainLayer(a.out ?? c * hgt * w);
    const input = typeof encoder[0] === 'object' && encoder[0].linear === undefined ? a.input.join('x') : c * hgt * w;
    const sizes = [...(a.decoder_only ? [] : [input, ...encoder]), a.latent, ...decoder, out].map(layerToken);
    const ae = a.model === 'ae', m2 = a.model === 'm2' && !a.decoder_only;
    const kind = a.decoder_only ? 'decoder' : ae ? 'AE' : m2 ? 'M2' : a.classes ? 'CVAE' : 'VAE';
    const classifier = m2 ? a.classifier.map(plainLayer) : null;
    return Object.freeze({
      // As `vae info` spells it (cli_describe_arch; native.test.mjs compares them).
      summary: `${kind} ${sizes.join('-')}${a.classes ? `, ${a.classes} classes` : ''}` +
        `${m2 ? `, classifier ${[c * hgt * w, ...classifier, a.classes].join('-')}` : ''}, ${a.activation}` +
        `${a.activation === 'leaky_relu' ? ` (slope ${a.leaky_slope})` : ''}${ae ? `, code ${a.code_activation}` : ''}` +
        `, ${a.likelihood}${a.likelihood === 'gaussian' ? ` (sigma ${a.sigma})` : ''}`,
      model: a.model ?? 'vae',
      imageShape: Object.freeze(a.input),
      inputSize: c * hgt * w,
      latent: a.latent,
      classes: a.classes,
      classifier: classifier && Object.freeze(classifier),
      encoder: Object.freeze(encoder.map((l) => (typeof l === 'object' ? Object.freeze(l) : l))),
      decoder: Object.freeze(decoder.map((l) => (typeof l === 'object' ? Object.freeze(l) : l))),
      out: typeof out === 'object' ? Object.freeze(out) : out,
      activation: a.activation,
      codeActivation: a.code_activation ?? null,
      likelihood: a.likelihood,
      sigma: a.sigma,
      leakySlope: a.leaky_slope,
      decoderOnly: a.decoder_only,
      parameters: rt.x.vw_model_param_count(h),
      simd: rt.simd,
    });
  }

  /* The live handle, or a VAEError naming the call. */
  #handle(what) {
    if (!this.#h) fail(`${what}: this model has been disposed`, 'VAE_ERR_STATE');
    return this.#h;
  }

  #images(what, images) {
    const [c, h, w] = this.info.imageShape;
    return rows(what, 'images', images, this.info.inputSize, `${c}x${h}x${w} images`);
  }

  #latents(what, z, name = 'latents') {
    return rows(what, name, z, this.info.latent, `latent size ${this.info.latent}`);
  }

  /* into: a Float32Array of n*D values to fill (saves allocating one per call), or undefined. */
  #decode(what, z, labels, n, into) {
    const h = this.#handle(what), rt = this.#rt, D = this.info.inputSize;
    if (into !== undefined && !(into instanceof Float32Array && into.length === n * D))
      fail(`${what}: out must be a Float32Array of ${n * D} values (${n} images of ${D})`);
    return rt.scope(what, (mem) => {
      const out = mem.alloc(4 * n * D);
      rt.check(what, rt.x.vw_decode(h, mem.f32(z), mem.i32(labels), n, out));
      if (!into) return mem.readF32(out, n * D);
      into.set(new Float32Array(rt.buffer, out, n * D));
      return into;
    });
  }

  /** Encoder means and log-variances of images: {mu, logvar}, each [n, latent]. */
  encode(images, opts) {
    const o = options('encode', opts, ['labels']);
    const h = this.#handle('encode'), rt = this.#rt, L = this.info.latent;
    const { data, n } = this.#images('encode', images);
    const labels = labelsFor('encode', 'labels', o.labels, n, this.info.classes);
    return rt.scope('encode', (mem) => {
      const mu = mem.alloc(4 * n * L), logvar = mem.alloc(4 * n * L);
      rt.check('encode', rt.x.vw_encode(h, mem.f32(data), mem.i32(labels), n, mu, logvar));
      return { mu: mem.readF32(mu, n * L), logvar: mem.readF32(logvar, n * L) };
    });
  }

  /** Images [n, D] (pixel means in [0, 1]) of latents z [n, latent]. */
  decode(z, opts) {
    const o = options('decode', opts, ['label', 'out']);
    const { data, n } = this.#latents('decode', z);
    return this.#decode('decode', data, labelsFor('decode', 'label', o.label, n, this.info.classes), n, o.out);
  }

  /** Decodes n latents drawn from N(0, temperature^2 I) with the library's
   * generator: the same seed gives the same images as `vae sample --seed`. */
  sample(n, opts) {
    const o = options('sample', opts, ['seed', 'temperature', 'label']);
    integer('sample', 'n', n, 1, 1e6);
    this.#handle('sample');
    const t = Math.fround(finite('sample', 'temperature', o.temperature ?? 1, 0));
    const labels = labelsFor('sample', 'label', o.label, n, this.info.classes);
    const seed = o.seed === undefined ? randomSeed() : seed64('sample', o.seed);
    const z = this.#rt.normals('sample', seed, n * this.info.latent);
    for (let i = 0; i < z.length; i++) z[i] *= t; // float * float is exact in double: rounds like C's float multiply
    return this.#decode('sample', z, labels, n);
  }

  /** Decodes each image's encoder mean. */
  reconstruct(images, opts) {
    const o = options('reconstruct', opts, ['labels']);
    const { mu } = this.encode(images, o);
    const labels = labelsFor('reconstruct', 'labels', o.labels, mu.length / this.info.latent, this.info.classes);
    return this.#decode('reconstruct', mu, labels, mu.length / this.info.latent);
  }

  /** `steps` images along the path from a to b (end points included). a and
   * b are latents or images (encoded to their means); `input` settles it
   * when the latent size equals the image size. */
  interpolate(a, b, steps, opts) {
    const o = options('interpolate', opts, ['method', 'label', 'labels', 'input']);
    integer('interpolate', 'steps', steps, 2, 1e5);
    const method = choice('interpolate', 'method', o.method, ['linear', 'slerp']);
    const L = this.info.latent, D = this.info.inputSize;
    const end = (v, name) => {
      const len = v?.length;
      const asImage = o.input === 'image' || (o.input !== 'latent' && len === D && D !== L);
      if (!asImage && len !== L)
        fail(`interpolate: ${name} must be a latent of ${L} values or an image of ${D} values (got ${len})`, 'VAE_ERR_SHAPE');
      return asImage ? this.encode(v, { labels: o.labels }).mu : Float32Array.from(v);
    };
    const za = end(a, 'a'), zb = end(b, 'b');
    const z = new Float32Array(steps * L);
    for (let s = 0; s < steps; s++) pathPoint(za, zb, s / (steps - 1), method === 'slerp', z, s * L);
    return this.#decode('interpolate', z, labelsFor('interpolate', 'label', o.label, steps, this.info.classes), steps);
  }

  /** The learned manifold (Kingma & Welling): a gridSize x gridSize grid of
   * images, row-major from the top left, whose latents vary along dims[0]
   * (to the right) and dims[1] (upwards) through the inverse normal CDF of
   * the cell centres (i + 0.5) / gridSize of `range` (a probability interval,
   * default [0, 1]); the other dimensions are taken from `base` (default 0). */
  manifold(gridSize, opts) {
    const o = options('manifold', opts, ['dims', 'range', 'base', 'label']);
    integer('manifold', 'gridSize', gridSize, 1, 1000);
    const L = this.info.latent;
    if (L < 2) fail(`manifold: needs a latent space of 2 or more dimensions, not ${L}`, 'VAE_ERR_SHAPE');
    const [dx, dy] = o.dims ?? [0, 1];
    integer('manifold', 'dims[0]', dx, 0, L - 1);
    integer('manifold', 'dims[1]', dy, 0, L - 1);
    if (dx === dy) fail(`manifold: dims must be two different dimensions (got ${dx}, ${dy})`);
    const [lo, hi] = o.range ?? [0, 1];
    if (!(lo >= 0 && hi <= 1 && lo < hi)) fail(`manifold: range must be [lo, hi] with 0 <= lo < hi <= 1 (got ${o.range})`);
    const base = o.base === undefined ? new Float32Array(L) : this.#latents('manifold', o.base, 'base').data;
    if (base.length !== L) fail(`manifold: base must be one latent of ${L} values`, 'VAE_ERR_SHAPE');
    const n = gridSize * gridSize, z = new Float32Array(n * L);
    const at = (k) => probit(lo + ((k + 0.5) / gridSize) * (hi - lo));
    for (let i = 0; i < gridSize; i++)
      for (let j = 0; j < gridSize; j++) {
        const off = (i * gridSize + j) * L;
        z.set(base, off);
        z[off + dx] = at(j);
        z[off + dy] = at(gridSize - 1 - i);
      }
    return this.#decode('manifold', z, labelsFor('manifold', 'label', o.label, n, this.info.classes), n);
  }

  /** Mean latent of withImages minus mean latent of withoutImages: add it to
   * a latent to add the attribute ("smile", "glasses"). */
  attributeVector(withImages, withoutImages, opts) {
    const o = options('attributeVector', opts, ['withLabels', 'withoutLabels']);
    const L = this.info.latent, out = new Float32Array(L);
    for (const [images, labels, sign] of [[withImages, o.withLabels, 1], [withoutImages, o.withoutLabels, -1]]) {
      const { mu } = this.encode(images, { labels });
      const n = mu.length / L, mean = new Float64Array(L);
      for (let i = 0; i < mu.length; i++) mean[i % L] += mu[i];
      for (let j = 0; j < L; j++) out[j] += (sign * mean[j]) / n;
    }
    return out;
  }

  /** M2: q(y|x), class probabilities [n, classes] of images [n, D]; a Promise (fetches the training build once, as fit). */
  async classify(images) {
    const x = this.#images('classify', images);
    await this._toTraining();
    return (await trainingLoops()).classify(this, this.#handle('classify'), x);
  }

  /** Per-image negative ELBO in nats (reconstruction + KL at z = mu): high
   * means unusual, for anomaly detection. With `samples` k, the negative
   * importance-weighted bound on log p(x) from k draws (seeded) instead. */
  score(images, opts) {
    const o = options('score', opts, ['labels', 'samples', 'seed']);
    const h = this.#handle('score'), rt = this.#rt;
    const { data, n } = this.#images('score', images);
    const labels = labelsFor('score', 'labels', o.labels, n, this.info.classes);
    const k = o.samples ?? 0;
    integer('score', 'samples', k, 0, 1e6);
    return rt.scope('score', (mem) => {
      const x = mem.f32(data), y = mem.i32(labels), a = mem.alloc(4 * n), b = mem.alloc(4 * n);
      if (!k) {
        rt.check('score', rt.x.vw_loss(h, x, y, n, 0, a, b));
        const rec = mem.readF32(a, n), kl = mem.readF32(b, n);
        return rec.map((r, i) => r + kl[i]);
      }
      const g = rt.rng('score', o.seed === undefined ? 1n : seed64('score', o.seed));
      try {
        rt.check('score', rt.x.vw_iwae(h, x, y, n, k, g, a));
      } finally {
        rt.x.vw_release(g);
      }
      return mem.readF32(a, n).map((v) => -v);
    });
  }

  /** Mean reconstruction, KL and their sum over a data set, with noise from
   * a generator seeded with `seed` in batches of `batchSize`: the same
   * numbers as `vae eval` and the test loss of `vae train` (seed 1, 500). */
  evaluate(dataset, opts) {
    const o = options('evaluate', opts, ['seed', 'batchSize']);
    const h = this.#handle('evaluate'), rt = this.#rt, L = this.info.latent;
    const { images, labels, n } = this.#dataset('evaluate', dataset);
    const batch = integer('evaluate', 'batchSize', o.batchSize ?? EVAL_BATCH, 1, 1e6);
    const g = rt.rng('evaluate', seed64('evaluate', o.seed ?? EVAL_SEED));
    try {
      return rt.scope('evaluate', (mem) => {
        const D = this.info.inputSize, x = mem.alloc(4 * batch * D), y = labels ? mem.alloc(4 * batch) : 0;
        const eps = mem.alloc(4 * batch * L), rec = mem.alloc(4 * batch), kl = mem.alloc(4 * batch);
        let sumRec = 0, sumKl = 0;
        for (let i = 0; i < n; i += batch) {
          const nb = Math.min(batch, n - i);
          new Float32Array(rt.buffer, x, nb * D).set(images.subarray(i * D, (i + nb) * D));
          if (y) new Int32Array(rt.buffer, y, nb).set(labels.subarray(i, i + nb));
          rt.check('evaluate', rt.x.vw_rng_normals(g, eps, nb * L));
          rt.check('evaluate', rt.x.vw_loss(h, x, y, nb, eps, rec, kl));
          const r = new Float32Array(rt.buffer, rec, nb), k = new Float32Array(rt.buffer, kl, nb);
          for (let j = 0; j < nb; j++) (sumRec += r[j]), (sumKl += k[j]);
        }
        return { loss: (sumRec + sumKl) / n, reconstruction: sumRec / n, kl: sumKl / n };
      });
    } finally {
      rt.x.vw_release(g);
    }
  }

  /** @internal {images: Float32Array [n, D], labels: Int32Array | null, n}. */
  #dataset(what, dataset) {
    if (!dataset || typeof dataset !== 'object' || !dataset.images) fail(`${what}: expected a dataset {images, labels?}`);
    let images = dataset.images;
    if (images instanceof Uint8Array || images instanceof Uint8ClampedArray) images = Float32Array.from(images, (v) => v / 255);
    const { data, n } = this.#images(what, images);
    // Checked here once: a non-finite pixel would otherwise read as a diverged step.
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`${what}: value ${bad % this.info.inputSize} of image ${Math.floor(bad / this.info.inputSize)} is not a finite number`, 'VAE_ERR_NONFINITE');
    const lo = this.info.classifier ? -1 : 0;
    const labels = this.info.classes ? labelsFor(what, 'labels', dataset.labels, n, this.info.classes, lo) : null;
    return { images: data, labels, n };
  }

  /** The weights as a safetensors file (F32, F16 or Q8: int8 rows with a scale each), architecture in its metadata. */
  toSafetensors(opts) {
    const o = options('toSafetensors', opts, ['dtype', 'decoderOnly', 'metadata']);
    const h = this.#handle('toSafetensors'), rt = this.#rt;
    const dtype = { f32: 0, f16: 1, q8: 4 }[choice('toSafetensors', 'dtype', o.dtype, ['f32', 'f16', 'q8'])]; // vae_dtype
    const meta = Object.entries(o.metadata ?? {});
    for (const [k, v] of meta) if (typeof v !== 'string') fail(`toSafetensors: metadata value of '${k}' must be a string`);
    return rt.scope('toSafetensors', (mem) => {
      const kv = mem.cstring(meta.flat().join('\0')), out = mem.alloc(8);
      rt.check('toSafetensors', rt.x.vw_save(h, dtype, o.decoderOnly ? 1 : 0, kv, meta.length, out));
      const [p, len] = new Uint32Array(rt.buffer, out, 2);
      const bytes = new Uint8Array(rt.buffer, p, len).slice();
      rt.x.free(p);
      return bytes;
    });
  }

  /** A new model holding only the decoder (for small demo files). */
  decoderOnly() {
    const h = this.#rt.x.vw_model_decoder_copy(this.#handle('decoderOnly'));
    if (!h) throw this.#rt.error('decoderOnly');
    return new Model(this.#rt, h);
  }

  /** Draws images (one or a grid) of this model's shape into a canvas. */
  draw(canvas, images, opts) {
    return drawImages(canvas, images, { ...opts, shape: this.info.imageShape });
  }

  /** A trainer of this model (in this thread, or in a Worker with {worker: true}). */
  trainer(opts) {
    this.#handle('trainer');
    return opts?.worker ? new WorkerTrainer(this, opts) : new Trainer(this, opts, (what) => this.#handle(what));
  }

  /** @internal Moves the model into the runtime that can train (a no-op once there). */
  async _toTraining() {
    this.#handle('fit');
    const rt = await this.#rt.training();
    if (rt === this.#rt) return;
    const h = loadHandle(rt, 'fit', this.toSafetensors());
    this.#rt.x.vw_release(this.#handle('fit'));
    this.#rt = rt;
    this.#h = h;
  }

  /** @internal Replaces the weights (and architecture) with a file's. */
  _adopt(bytes) {
    const h = loadHandle(this.#rt, 'train', bytes);
    this.#rt.x.vw_release(this.#handle('train'));
    this.#h = h;
    this.info = Model.#info(this.#rt, h);
  }

  /** @internal */
  _dataset(what, dataset) {
    return this.#dataset(what, dataset);
  }

  /** @internal */
  get _runtime() {
    return this.#rt;
  }

  /** Frees the model's memory (and any trainer's). Safe to call twice. */
  dispose() {
    if (this.#h) this.#rt.x.vw_release(this.#h);
    this.#h = 0;
  }

  get disposed() {
    return !this.#h;
  }
}

function loadHandle(rt, what, bytes) {
  return rt.scope(what, (mem) => {
    const h = rt.x.vw_model_load(mem.bytes(bytes), bytes.length);
    if (!h) throw rt.error(what);
    return h;
  });
}

/* vae-table.js for a file with a table spec, vae-seq.js for a word or sketch
 * model ("model":"words" or "sketch"): those modules (and their wasm) are fetched only then.
 * vae.single.js has vae-table.js inline in place of the tables line (build-wasm.sh). */
const tables = () => import('./vae-table.js');
function moduleFor(b) {
  try {
    const n = Number(new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true)), m = JSON.parse(text.dec.decode(b.subarray(8, 8 + n))).__metadata__;
    return m['vae_wasm.table'] ? tables : /^(words|sketch)$/.test(JSON.parse(m['vae_wasm.arch']).model) && (() => import('./vae-seq.js'));
  } catch {}
}


async function load(source, opts) {
  const o = options('load', opts, ['wasm', 'trainWasm', 'seqWasm', 'simd']);
  const bytes = await readSource('load', source);
  const name = typeof source === 'string' || source instanceof URL ? `load ${source}` : 'load';
  const lazy = moduleFor(bytes);
  if (lazy) return (await lazy()).load(KIT, bytes, name, o);
  const { seqWasm, ...image } = o; // eslint-disable-line no-unused-vars
  const rt = await (Object.keys(image).length ? instantiate(image) : init());
  return new Model(rt, loadHandle(rt, name, bytes));
}

/** A fresh model with PyTorch's default initialisation drawn from `seed`
 * (weights of `vae train --seed S` come from S too). */
async function create(config) {
  if (config?.model === 'words') return (await import('./vae-seq.js')).create(KIT, config);
  const c = options('create', config ?? {}, KNOWN_CREATE);
  const rt = await (await init()).training(); // fresh models are for training
  const arch = { format: 2, input: c.imageShape ?? [1, 28, 28], encoder: c.encoder ?? [400] };
  if (!Array.isArray(arch.encoder) || (c.decoder !== undefined && !Array.isArray(c.decoder)))
    fail('create: encoder and decoder must be arrays of layers (widths, or objects like {conv: 32, kernel: 4, stride: 2, pad: 1})');
  if (c.decoder === undefined && arch.encoder.some((l) => typeof l !== 'number'))
    fail('create: an encoder with conv layers needs its decoder spelled out too');
  arch.decoder = c.decoder ?? [...arch.encoder].reverse();
  arch.latent = c.latent ?? 20;
  for (const js of ['model', 'out', 'classes', 'activation', 'codeActivation', 'likelihood', 'sigma', 'leakySlope', 'classifier'])
    if (c[js] !== undefined) arch[js.replace(/[A-Z]/g, (u) => '_' + u.toLowerCase())] = c[js]; // the metadata's snake_case
  const seed = seed64('create', c.seed ?? 1);
  return rt.scope('create', (mem) => {
    const h = rt.x.vw_model_create(mem.cstring(JSON.stringify(arch)), seed);
    if (!h) throw rt.error('create');
    return new Model(rt, h);
  });
}

/* ------------------------------------------------------------------ training */

/* The options the C trainer takes, as JSON with these names (vae_train_config_from_json). */
const TRAINER_CONFIG = [
  'optimizer', 'lr', 'betas', 'eps', 'weightDecay', 'momentum', 'clip', 'beta', 'warmupSteps', 'noise', 'noiseLevel',
  'sparsity', 'sparsityWeight', 'rho', 'contractive', 'alpha',
];
const TRAIN_OPTIONS = [...TRAINER_CONFIG, 'epochs', 'batchSize', 'warmupEpochs', 'seed', 'snapshotEvery', 'validation', 'worker', 'workers'];

function trainOptions(opts) {
  const o = options('trainer', opts, TRAIN_OPTIONS);
  if (o.warmupEpochs !== undefined && o.warmupSteps !== undefined) fail('trainer: give warmupEpochs or warmupSteps, not both');
  const betas = o.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2) fail(`trainer: betas must be [beta1, beta2] (got ${betas})`);
  return {
    epochs: integer('trainer', 'epochs', o.epochs ?? 10, 0, 1e7),
    batchSize: integer('trainer', 'batchSize', o.batchSize ?? 128, 1, 1e6),
    lr: finite('trainer', 'lr', o.lr ?? 1e-3, 0),
    beta: finite('trainer', 'beta', o.beta ?? 1, 0),
    warmupEpochs: integer('trainer', 'warmupEpochs', o.warmupEpochs ?? 0, 0, 1e6),
    warmupSteps: o.warmupSteps === undefined ? null : integer('trainer', 'warmupSteps', o.warmupSteps, 0, 0x7fffffff),
    optimizer: choice('trainer', 'optimizer', o.optimizer, ['adam', 'sgd']),
    // Like momentum and lr, checked for type and sign here, for range (< 1, > 0) by the C trainer.
    betas: betas.map((b) => finite('trainer', 'betas', b, 0)),
    eps: finite('trainer', 'eps', o.eps ?? 1e-8, 0),
    momentum: finite('trainer', 'momentum', o.momentum ?? 0, 0),
    weightDecay: finite('trainer', 'weightDecay', o.weightDecay ?? 0, 0),
    clip: finite('trainer', 'clip', o.clip ?? 0, 0),
    seed: seed64('trainer', o.seed ?? 1),
    snapshotEvery: integer('trainer', 'snapshotEvery', o.snapshotEvery ?? 0, 0, 1e9),
    noise: choice('trainer', 'noise', o.noise, ['mask', 'gaussian'], true),
    noiseLevel: finite('trainer', 'noiseLevel', o.noiseLevel ?? (o.noise === 'mask' ? 0.25 : 0.3), 0),
    sparsity: choice('trainer', 'sparsity', o.sparsity, ['l1', 'kl'], true),
    sparsityWeight: finite('trainer', 'sparsityWeight', o.sparsityWeight ?? 1e-3, 0),
    rho: finite('trainer', 'rho', o.rho ?? 0.05, 0),
    contractive: finite('trainer', 'contractive', o.contractive ?? 0, 0),
    alpha: o.alpha === undefined ? undefined : finite('trainer', 'alpha', o.alpha, 0), // M2; fit: 0.1 n / labelled
    validation: o.validation ?? null,
    workers: integer('trainer', 'workers', o.workers ?? 0, 0, 256), // 0: min(4, cores), vae-train.js
  };
}

/* Listeners and state shared by the in-thread and the worker trainer. */
class TrainerEvents {
  #listeners = new Map();
  state = 'idle'; // idle, running, paused, done, cancelled, failed

  /** Calls fn(event) for each 'progress', 'epoch' or 'snapshot' event; returns an unsubscribe function. */
  on(type, fn) {
    if (!['progress', 'epoch', 'snapshot'].includes(type)) fail(`trainer.on: unknown event '${type}' (progress, epoch, snapshot)`);
    if (typeof fn !== 'function') fail('trainer.on: the listener must be a function');
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(fn);
    return () => this.#listeners.get(type).delete(fn);
  }

  _emit(type, event) {
    for (const fn of this.#listeners.get(type) ?? []) fn(event);
  }

  /* fit(): one run at a time; the loop's state when it ends. */
  async _run(loop, dataset) {
    if (this.state === 'running' || this.state === 'paused') fail('fit: this trainer is already running', 'VAE_ERR_STATE');
    this.state = 'running';
    this._cancel = false;
    try {
      const weights = await (await trainingLoops())[loop](this, dataset);
      this.state = 'done';
      return weights;
    } catch (e) {
      this.state = e.code === 'ABORTED' ? 'cancelled' : 'failed';
      throw e;
    }
  }
}

/* Trains the model in place, in the calling thread, one step per turn of
 * the event loop. Seeds as `vae train --seed S`: the trainer's noise from
 * S+1, shuffling from S+2 (and, with VAE.create({seed: S}), weights from S),
 * so the same data, seed and settings give the native trainer's weights. */
export class Trainer extends TrainerEvents {
  constructor(model, opts, handle) {
    super();
    this._model = model;
    this._o = trainOptions(opts);
    this._handle = handle;
    this._resume = null;
    this._cancel = false;
  }

  pause() {
    if (this.state === 'running') this.state = 'paused';
  }

  resume() {
    if (this.state !== 'paused') return;
    this.state = 'running';
    this._resume?.();
  }

  cancel() {
    this._cancel = true;
    this.resume();
  }

  /** Runs the epochs; resolves with the final weights (safetensors bytes). */
  fit(dataset) {
    return this._run('fit', dataset);
  }
}

/* The same trainer in a module Worker (browser) or a worker_threads Worker
 * (Node), running web/vae-worker.js next to this module: the page stays
 * responsive. The model is copied in; when fit() resolves (or is
 * cancelled) the model takes the trained weights. */
export class WorkerTrainer extends TrainerEvents {
  constructor(model, opts) {
    super();
    const { worker, ...rest } = opts;
    trainOptions(rest); // fail early, here, on bad options
    this._model = model;
    this._opts = rest;
    this._post = null;
    this._early = []; // pause, resume, cancel before the worker runs
    this.url = worker === true ? new URL('./vae-worker.js', import.meta.url) : new URL(worker, import.meta.url);
  }

  #send(type) {
    if (type === 'pause' && this.state === 'running') this.state = 'paused';
    else if (type === 'resume' && this.state === 'paused') this.state = 'running';
    if (this._post) this._post({ type });
    else this._early.push(type);
  }

  pause() {
    this.#send('pause');
  }

  resume() {
    this.#send('resume');
  }

  cancel() {
    this.#send('cancel');
  }

  fit(dataset) {
    return this._run('fitInWorker', dataset);
  }
}

/* What vae-table.js and vae-seq.js get, as a list: key names would cost the page bytes. */
const KIT = [instantiate, fail, options, integer, finite, seed64, randomSeed, rows, pathPoint, choice, init, Model, create, Trainer, WorkerTrainer];

/* The training loops (vae-train.js), fetched with the training wasm on the
 * first fit; vae.single.js has them inline (TRAINING, set by build-wasm.sh). */
const TRAINING = null;
let trainingCode = null;
function trainingLoops() {
  trainingCode ??= (TRAINING ? Promise.resolve(TRAINING) : import('./vae-train.js'))
    .then((m) => m.default({ fail, VAEError, init, load, isNode, MAX_NONFINITE_RUN, TRAINER_CONFIG, single: !!TRAINING }));
  return trainingCode;
}

/** The worker side of WorkerTrainer (web/vae-worker.js; a self-made worker script calls it too): trains on request, posts events. */
export function serveTrainer(port) {
  // Listening at once: a browser drops the messages that arrive before a
  // handler is set, and the loops load asynchronously.
  const early = [];
  let deliver = (msg) => early.push(msg);
  port.onMessage((msg) => deliver(msg));
  return trainingLoops().then((loops) => loops.serveTrainer({
    post: port.post,
    onMessage: (fn) => ((deliver = fn), early.splice(0).forEach(fn)),
  }));
}

/* ------------------------------------------------------------------ data */

/* The bytes of src, inflated when they are gzip (magic 1f 8b), as the CLI reads .gz files. */
async function readMaybeGzip(what, src) {
  const b = await readSource(what, src);
  if (b[0] !== 0x1f || b[1] !== 0x8b) return b;
  try {
    return new Uint8Array(await new Response(new Response(b).body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
  } catch (e) {
    fail(`${what}: bad gzip data: ${e.message}`, 'VAE_ERR_IDX');
  }
}

/** IDX files (MNIST's format, raw or gzip) parsed by the library, as
 * `vae train` reads them: {images: Float32Array [n, rows*cols], labels, n, rows, cols}. */
async function readIDX(imageSource, labelSource) {
  const rt = await init();
  const [ib, lb] = await Promise.all([readMaybeGzip('readIDX', imageSource), labelSource && readMaybeGzip('readIDX', labelSource)]);
  return rt.scope('readIDX', (mem) => {
    const out = mem.alloc(16);
    rt.check('readIDX', rt.x.vw_idx_images(mem.bytes(ib), ib.length, out));
    const [p, n, rows, cols] = new Int32Array(rt.buffer, out, 4);
    const images = mem.readF32(p, n * rows * cols);
    rt.x.free(p);
    let labels = null;
    if (lb) {
      rt.check('readIDX', rt.x.vw_idx_labels(mem.bytes(lb), lb.length, out));
      const [q, count] = new Int32Array(rt.buffer, out, 2);
      labels = new Int32Array(rt.buffer, q, count).slice();
      rt.x.free(q);
      if (count !== n) fail(`readIDX: ${count} labels for ${n} images`, 'VAE_ERR_IDX');
    }
    return { images, labels, n, rows, cols };
  });
}

/** Standard normals from the library's generator (as native vae_rng_normals). */
async function randomNormal(count, seed) {
  integer('randomNormal', 'count', count, 0, 1e9);
  return (await init()).normals('randomNormal', seed64('randomNormal', seed), count);
}

/** Wasm memory size and the bytes malloc has handed out (for leak checks),
 * of each instance: loaded models live in the inference one, created or
 * trained ones in the training one (null until first used). */
async function memory() {
  const rt = await init(), use = (r) => r && { wasmBytes: r.buffer.byteLength, heapUsed: r.x.vw_heap_used() };
  return { inference: use(rt), training: use(await rt.training(1)) };
}

/* ------------------------------------------------------------------ drawing */

/** Images [n, c*h*w] as RGBA pixels of a grid: {width, height, data}
 * (Uint8ClampedArray). `cols` images per row (default: a square-ish grid),
 * each pixel scale x scale, with `gap` grey pixels between images. */
function imagesToRGBA(images, opts) {
  const o = options('imagesToRGBA', opts, ['shape', 'cols', 'scale', 'gap']);
  const [c, h, w] = o.shape ?? [1, 28, 28];
  if (c !== 1 && c !== 3) fail(`imagesToRGBA: can draw 1- or 3-channel images, not ${c}`);
  const { data, n } = rows('imagesToRGBA', 'images', images, c * h * w, `${c}x${h}x${w} images`);
  const cols = Math.min(n, integer('imagesToRGBA', 'cols', o.cols ?? Math.ceil(Math.sqrt(n)), 1, 1e5));
  const scale = integer('imagesToRGBA', 'scale', o.scale ?? 1, 1, 64), gap = integer('imagesToRGBA', 'gap', o.gap ?? 1, 0, 64);
  const r = Math.ceil(n / cols), width = cols * (w * scale + gap) - gap, height = r * (h * scale + gap) - gap;
  const out = new Uint8ClampedArray(width * height * 4).fill(128);
  for (let k = 0; k < n; k++) {
    const x0 = (k % cols) * (w * scale + gap), y0 = Math.floor(k / cols) * (h * scale + gap), img = k * c * h * w;
    for (let y = 0; y < h * scale; y++)
      for (let x = 0; x < w * scale; x++) {
        const src = img + Math.floor(y / scale) * w + Math.floor(x / scale), dst = ((y0 + y) * width + x0 + x) * 4;
        for (let ch = 0; ch < 3; ch++) out[dst + ch] = Math.round(255 * data[src + (c === 3 ? ch * h * w : 0)]);
        out[dst + 3] = 255;
      }
  }
  return { width, height, data: out };
}

/** Draws images into a canvas, resizing it to the grid: anything with a 2d
 * context that has createImageData and putImageData (HTMLCanvasElement,
 * OffscreenCanvas, node-canvas in Node; no global ImageData needed).
 * Options as imagesToRGBA. */
function drawImages(canvas, images, opts) {
  const ctx = canvas?.getContext?.('2d');
  if (!ctx?.putImageData)
    fail('drawImages: expected a canvas with a 2d context (or use VAE.imagesToRGBA)');
  const { width, height, data } = imagesToRGBA(images, opts);
  canvas.width = width;
  canvas.height = height;
  const image = ctx.createImageData(width, height);
  image.data.set(data);
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/* Weights of a box-filter resampling of `from` pixels to `to` pixels:
 * for each output pixel, [source index, overlap fraction] pairs. */
function boxWeights(from, to) {
  const ratio = from / to, out = [];
  for (let i = 0; i < to; i++) {
    const a = i * ratio, b = (i + 1) * ratio, taps = [];
    for (let s = Math.floor(a); s < Math.min(from, Math.ceil(b)); s++) taps.push([s, (Math.min(b, s + 1) - Math.max(a, s)) / ratio]);
    out.push(taps);
  }
  return out;
}

/** A drawing (RGBA pixels {width, height, data}) as an MNIST-style input:
 * ink in [0, 1], cropped to its bounding box, scaled to fit box x box
 * keeping the aspect ratio, and placed in a size x size image with its
 * centre of mass at the centre. `ink`: 'auto' (strokes on a transparent
 * canvas are alpha; otherwise dark on light or light on dark, whichever the
 * border says), 'alpha', 'dark' or 'light'. */
function imageDataToInput(image, opts) {
  const o = options('imageDataToInput', opts, ['size', 'box', 'ink']);
  const size = integer('imageDataToInput', 'size', o.size ?? 28, 1, 4096);
  const box = integer('imageDataToInput', 'box', o.box ?? 20, 1, size);
  const { width: W, height: H, data } = image;
  const inkAt = (() => {
    const lum = (i) => (0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]) / 255;
    let mode = o.ink ?? 'auto';
    if (mode === 'auto') {
      let clear = 0, border = 0, count = 0;
      for (let i = 0; i < W * H; i++) clear += data[4 * i + 3] < 8;
      for (let x = 0; x < W; x++) for (const y of [0, H - 1]) (border += lum(4 * (y * W + x))), count++;
      mode = clear > (W * H) / 2 ? 'alpha' : border / count > 0.5 ? 'dark' : 'light';
    }
    if (mode === 'alpha') return (i) => data[4 * i + 3] / 255;
    if (mode === 'dark') return (i) => (data[4 * i + 3] / 255) * (1 - lum(4 * i));
    if (mode === 'light') return (i) => (data[4 * i + 3] / 255) * lum(4 * i);
    return fail(`imageDataToInput: ink must be 'auto', 'alpha', 'dark' or 'light' (got ${mode})`);
  })();
  const ink = new Float32Array(W * H);
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const v = (ink[y * W + x] = inkAt(y * W + x));
      if (v > 0.05) (x0 = Math.min(x0, x)), (x1 = Math.max(x1, x)), (y0 = Math.min(y0, y)), (y1 = Math.max(y1, y));
    }
  const out = new Float32Array(size * size);
  if (x1 < 0) return out; // nothing drawn
  const cw = x1 - x0 + 1, chh = y1 - y0 + 1, f = box / Math.max(cw, chh);
  const tw = Math.max(1, Math.round(cw * f)), th = Math.max(1, Math.round(chh * f));
  const wx = boxWeights(cw, tw), wy = boxWeights(chh, th), small = new Float32Array(tw * th);
  let mass = 0, mx = 0, my = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      let v = 0;
      for (const [sy, fy] of wy[y]) for (const [sx, fx] of wx[x]) v += fy * fx * ink[(y0 + sy) * W + x0 + sx];
      small[y * tw + x] = v = Math.min(1, v);
      (mass += v), (mx += v * (x + 0.5)), (my += v * (y + 0.5));
    }
  const ox = Math.round(size / 2 - mx / mass), oy = Math.round(size / 2 - my / mass);
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const X = x + ox, Y = y + oy;
      if (X >= 0 && X < size && Y >= 0 && Y < size) out[Y * size + X] = small[y * tw + x];
    }
  return out;
}

/** A canvas drawing (e.g. a digit drawn with the mouse) as a model input; see imageDataToInput. */
function canvasToInput(canvas, opts) {
  return imageDataToInput(canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height), opts);
}

export const VAE = {
  init: (opts) => init(opts).then((rt) => ({ simd: rt.simd })),
  load, create, readIDX, randomNormal, memory,
  imagesToRGBA, drawImages, imageDataToInput, canvasToInput,
  probit, VAEError,
  parseCSV: async (t, o) => (await tables()).parseCSV(KIT, t, o),
};
export default VAE;
