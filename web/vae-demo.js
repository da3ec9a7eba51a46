/* <vae-demo>: a live variational-autoencoder demo in one tag.
 *
 *   <script type="module" src="vae-demo.js"></script>
 *   <vae-demo model="models/mnist-vae-2d.safetensors" view="explorer"></vae-demo>
 *
 * Views: samples, explorer, interpolate, manifold, conditional, draw,
 * attributes, train, denoise, anomaly. Attributes: model (URL), view, size
 * (max width in CSS px), seed, accent / background / color (UI colours), ink
 * / paper (the colours of pixel values 1 and 0), data (folder of the data
 * that build-scripts/bundle-digits.mjs writes, default ./data/ next to this
 * file), and per view: temperature, cols, rows (samples), grid (manifold),
 * dims (explorer, manifold: "0,1"), range (explorer: half-width of the
 * plane, default 3; manifold: probability interval "0.03,0.97"), label
 * (conditional models; denoise: the digit to start from), method
 * (interpolate: linear or slerp), with / without / amount (attributes:
 * indices of pre-marked samples, multiple of the trait vector), mode (train:
 * scratch or finetune), epochs (train), noise / amount (denoise: masking,
 * gaussian or saltpepper; its probability or σ, 0..1), threshold (anomaly:
 * in nats, default the 95th percentile of the digits' scores). CSS custom
 * properties theme it too: --vae-accent, --vae-bg, --vae-fg, --vae-muted,
 * --vae-panel, --vae-line, --vae-ink, --vae-paper, --vae-size, and
 * --vae-rec / --vae-kl (the two series of the charts).
 *
 * The element loads its model when it first comes near the viewport, shares
 * it with other elements showing the same URL, and frees it when the last
 * one leaves the page. It reflects its state in the `state` attribute
 * (loading, ready, error) and fires vae-ready, vae-error, vae-progress and
 * vae-trained events. */
import { VAE } from './vae.js';

const LABEL_COLOURS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

/* ------------------------------------------------------------------ shared models and data */

const models = new Map(); // url -> {promise, users}

function acquireModel(url) {
  let entry = models.get(url);
  if (!entry) {
    entry = { promise: VAE.load(url), users: 0 };
    models.set(url, entry);
    entry.promise.catch(() => models.delete(url)); // a later element may retry
  }
  entry.users++;
  return entry.promise;
}

function releaseModel(url) {
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

function loadDataSet(folder, name) {
  const url = new URL(`${name}-images.idx.gz`, folder).href;
  if (!dataSets.has(url)) {
    const p = Promise.all([url, new URL(`${name}-labels.idx.gz`, folder)].map(fetchBytes))
      .then(([images, labels]) => VAE.readIDX(images, labels));
    p.catch(() => dataSets.delete(url));
    dataSets.set(url, p);
  }
  return dataSets.get(url);
}

/* ------------------------------------------------------------------ drawing helpers */

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

function button(label, onclick, attrs = {}) {
  return el('button', { type: 'button', onclick, ...attrs }, label);
}

function slider(label, { min, max, step, value, oninput, format = String }) {
  const input = el('input', { type: 'range', min, max, step, value, 'aria-label': label });
  const out = el('output', {}, format(value));
  input.addEventListener('input', () => {
    out.textContent = format(Number(input.value));
    oninput(Number(input.value));
  });
  return { input, out, node: el('label', { class: 'field' }, el('span', {}, label), input, out) };
}

/* A group of toggle buttons (one pressed), arrow keys move between them. */
function choice(label, options, value, onchange) {
  const group = el('div', { class: 'choice', role: 'radiogroup', 'aria-label': label });
  const buttons = options.map(([v, text]) =>
    el('button', { type: 'button', role: 'radio', 'data-value': v, onclick: () => set(v, true) }, text));
  const set = (v, notify) => {
    buttons.forEach((b) => {
      const on = b.dataset.value === String(v);
      b.setAttribute('aria-checked', on);
      b.tabIndex = on ? 0 : -1;
    });
    if (notify) onchange(v);
  };
  group.addEventListener('keydown', (e) => {
    const d = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
    if (!d) return;
    e.preventDefault();
    const i = buttons.indexOf(e.target);
    const next = buttons[(i + d + buttons.length) % buttons.length];
    next.focus();
    next.click();
  });
  group.append(...buttons);
  set(value, false);
  return group;
}

/* Resolves any CSS colour to [r, g, b]. */
const colourContext = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
function rgb(colour) {
  colourContext.fillStyle = '#000';
  colourContext.fillStyle = colour;
  colourContext.fillRect(0, 0, 1, 1);
  return [...colourContext.getImageData(0, 0, 1, 1).data.slice(0, 3)];
}

/* Pixel value 0..255 -> paper..ink. */
function palette(paper, ink) {
  const [p, q] = [rgb(paper), rgb(ink)], lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) for (let c = 0; c < 3; c++) lut[v * 3 + c] = Math.round(p[c] + ((q[c] - p[c]) * v) / 255);
  return lut;
}

const scratch = document.createElement('canvas');

/* Draws images [n, c*h*w] as a grid of `cols` columns into the rectangle
 * {x, y, w} of ctx (tiles keep the image aspect), grayscale ones through the
 * palette; returns the tile rectangles (for hit tests and highlights). */
function drawGrid(ctx, images, shape, lut, { cols, x = 0, y = 0, w, gap = 0 }) {
  const [c, h, wi] = shape, n = images.length / (c * h * wi);
  const { width, height, data } = VAE.imagesToRGBA(images, { shape, cols, gap: 0 });
  if (c === 1)
    for (let i = 0; i < data.length; i += 4) {
      const v = data[i] * 3;
      (data[i] = lut[v]), (data[i + 1] = lut[v + 1]), (data[i + 2] = lut[v + 2]);
    }
  scratch.width = width;
  scratch.height = height;
  scratch.getContext('2d').putImageData(new ImageData(data, width, height), 0, 0);
  const tw = (w - gap * (cols - 1)) / cols, th = (tw * h) / wi, tiles = [];
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  for (let k = 0; k < n; k++) {
    const col = k % cols, row = Math.floor(k / cols);
    const tile = { x: x + col * (tw + gap), y: y + row * (th + gap), w: tw, h: th };
    ctx.drawImage(scratch, col * wi, row * h, wi, h, tile.x, tile.y, tile.w, tile.h);
    tiles.push(tile);
  }
  return tiles;
}

/* Sizes a canvas's backing store to its laid-out width (device pixels) and
 * the given height/width ratio; returns its 2-D context. */
function fit(canvas, ratio) {
  canvas.style.aspectRatio = `${1 / ratio}`;
  const w = Math.max(1, Math.round((canvas.clientWidth || 300) * devicePixelRatio));
  const h = Math.max(1, Math.round(w * ratio));
  if (canvas.width !== w || canvas.height !== h) (canvas.width = w), (canvas.height = h);
  return canvas.getContext('2d');
}

/* fit() for n images of `shape` in `cols` columns, `gap` CSS px apart, with
 * `extra` CSS px below; returns the context and the gap in device pixels. */
function fitGrid(canvas, n, cols, shape, gap = 0, extra = 0) {
  const W = canvas.clientWidth || 300, rows = Math.ceil(n / cols), tw = (W - gap * (cols - 1)) / cols;
  const ctx = fit(canvas, (rows * ((tw * shape[1]) / shape[2]) + (rows - 1) * gap + extra) / W);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  return { ctx, gap: gap * devicePixelRatio };
}

/* A button showing one image (drawn by drawTiles), for pickers. */
function tile(image, onclick, label) {
  const canvas = el('canvas');
  return Object.assign(el('button', { type: 'button', class: 'tile', onclick, 'aria-label': label }, canvas), { canvas, image });
}

/* Draws each tile of a container at its laid-out size. */
function drawTiles(container, shape, lut) {
  for (const b of container.children) drawGrid(fit(b.canvas, shape[1] / shape[2]), b.image, shape, lut, { cols: 1, w: b.canvas.width });
}

/* A seeded generator of uniforms in [0, 1) (mulberry32). */
function uniforms(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/* Resolves after the next frame is drawn: long set-up work split by these
 * keeps the page's animations going. */
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r)));

/* Calls fn at most once per animation frame. */
function throttle(fn) {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

/* A canvas to draw on with mouse, pen or touch; onchange after each stroke
 * segment (throttled to animation frames). */
class DrawPad {
  constructor(onchange, label = 'Drawing area: draw with the mouse, a pen or a finger') {
    this.canvas = el('canvas', { class: 'pad', role: 'img', 'aria-label': label });
    this.dirty = false;
    const changed = throttle(onchange);
    let last = null;
    const point = (e) => {
      const r = this.canvas.getBoundingClientRect();
      return [((e.clientX - r.left) / r.width) * this.canvas.width, ((e.clientY - r.top) / r.height) * this.canvas.height];
    };
    this.canvas.addEventListener('pointerdown', (e) => {
      this.canvas.setPointerCapture(e.pointerId);
      last = point(e);
      this.stroke(last, last);
      changed();
    });
    this.canvas.addEventListener('pointermove', (e) => {
      if (!last) return;
      const p = point(e);
      this.stroke(last, p);
      last = p;
      changed();
    });
    for (const type of ['pointerup', 'pointercancel']) this.canvas.addEventListener(type, () => (last = null));
  }

  stroke(a, b) {
    const ctx = this.canvas.getContext('2d', { willReadFrequently: true });
    ctx.strokeStyle = '#fff';
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.lineWidth = this.canvas.width / 13;
    ctx.beginPath();
    ctx.moveTo(...a);
    ctx.lineTo(...b);
    ctx.stroke();
    this.dirty = true;
  }

  /* Fits the canvas to its laid-out size; true when that cleared it. */
  resize() {
    const before = this.canvas.width;
    fit(this.canvas, 1);
    if (before === this.canvas.width) return false;
    this.dirty = false;
    return true;
  }

  /* Shows a 28x28 input (0..1) to draw over, as strokes would be: white, its value as alpha. */
  load(image) {
    const rgba = new ImageData(28, 28);
    image.forEach((v, i) => rgba.data.set([255, 255, 255, v * 255], i * 4));
    scratch.width = scratch.height = 28;
    scratch.getContext('2d').putImageData(rgba, 0, 0);
    const ctx = this.canvas.getContext('2d');
    ctx.clearRect(0, 0, this.canvas.width, this.canvas.height);
    ctx.imageSmoothingEnabled = true;
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(scratch, 0, 0, this.canvas.width, this.canvas.height);
    this.dirty = true;
  }

  clear() {
    this.canvas.getContext('2d').clearRect(0, 0, this.canvas.width, this.canvas.height);
    this.dirty = false;
  }

  /* The drawing as a 28x28 MNIST-style input (centred by mass, 20x20 box). */
  input() {
    return VAE.canvasToInput(this.canvas);
  }
}

/* ------------------------------------------------------------------ views */

/* A view lays out its controls in this.root, draws in render(), and frees
 * what it holds in destroy(). host gives the model, data and settings. */
class View {
  constructor(host, model) {
    this.host = host;
    this.model = model;
    this.shape = model?.info.imageShape;
    this.root = el('div', { class: `view view-${host.view}` });
  }

  /* The label attribute for a conditional model's decodes, else undefined. */
  label() {
    if (!this.model.info.classes) return undefined;
    return Math.min(this.model.info.classes - 1, Math.max(0, this.host.int('label', 0)));
  }

  show(images) {
    this.host.shown = { images, shape: this.shape };
  }

  /* Views that encode the bundled digits need a full model of 28x28 grey images without labels. */
  needDigitModel() {
    const i = this.model.info;
    if (i.decoderOnly || i.classes || this.shape.join() !== '1,28,28')
      throw new Error(`the ${this.host.view} view needs a full model of 28×28 grey images without labels (it encodes the bundled digits)`);
  }

  render() {}
  destroy() {}
}

class SamplesView extends View {
  async setup() {
    const h = this.host;
    this.seed = h.int('seed', 1);
    this.temperature = h.num('temperature', 1);
    this.cols = this.model.info.classes || h.int('cols', 6);
    this.rows = h.int('rows', this.model.info.classes ? 4 : this.cols);
    this.canvas = el('canvas', { role: 'img', 'aria-label': 'Images sampled from the model' });
    this.seedInput = el('input', { type: 'number', min: 0, value: this.seed, 'aria-label': 'Seed', onchange: () => this.setSeed(Number(this.seedInput.value)) });
    const t = slider('Temperature', { min: 0, max: 2, step: 0.05, value: this.temperature, oninput: (v) => ((this.temperature = v), this.render()) });
    this.root.append(
      this.canvas,
      el('div', { class: 'controls' },
        button('↻ Re-roll', () => this.setSeed(Math.floor(Math.random() * 2 ** 31)), { class: 'primary' }),
        el('label', { class: 'field' }, el('span', {}, 'Seed'), this.seedInput),
        t.node),
    );
  }

  setSeed(seed) {
    if (!Number.isSafeInteger(seed) || seed < 0) return;
    this.seed = seed;
    this.seedInput.value = seed;
    this.render();
  }

  render() {
    const n = this.cols * this.rows, classes = this.model.info.classes;
    const label = classes ? Array.from({ length: n }, (_, i) => i % classes) : undefined;
    const images = this.model.sample(n, { seed: this.seed, temperature: this.temperature, label });
    const { ctx, gap } = fitGrid(this.canvas, n, this.cols, this.shape, 2);
    drawGrid(ctx, images, this.shape, this.host.lut, { cols: this.cols, w: this.canvas.width, gap });
    this.show(images);
  }
}

/* The 2-D latent plane: encoded digits as coloured dots, the decoded image
 * of the point under the pointer (or moved with the arrow keys). */
class ExplorerView extends View {
  async setup() {
    const h = this.host, L = this.model.info.latent;
    this.range = h.num('range', 3);
    this.dims = h.list('dims', [0, 1]).map((d) => Math.min(L - 1, Math.max(0, d)));
    this.z = new Float32Array(L);
    this.z[this.dims[0]] = 0.5;
    this.z[this.dims[1]] = 0.5;
    this.plane = el('canvas', { tabindex: 0, class: 'plane', role: 'slider', 'aria-label': 'Latent plane: move the pointer, or use the arrow keys (Shift for big steps)' });
    this.image = el('canvas', { role: 'img', 'aria-label': 'Image decoded from the chosen point' });
    this.readout = el('output', { class: 'readout' });
    this.legend = el('div', { class: 'legend' });
    this.root.append(el('div', { class: 'split' }, this.plane, el('div', { class: 'side' }, this.image, this.readout)), this.legend);
    const draw = throttle(() => this.render());
    const clamp = (v) => Math.max(-this.range, Math.min(this.range, v));
    const move = (e) => {
      const r = this.plane.getBoundingClientRect();
      this.z[this.dims[0]] = clamp((((e.clientX - r.left) / r.width) * 2 - 1) * this.range);
      this.z[this.dims[1]] = clamp((1 - ((e.clientY - r.top) / r.height) * 2) * this.range);
      draw();
    };
    this.plane.addEventListener('pointerdown', (e) => (this.plane.setPointerCapture(e.pointerId), move(e)));
    this.plane.addEventListener('pointermove', move);
    this.plane.addEventListener('keydown', (e) => {
      const d = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowUp: [0, 1], ArrowDown: [0, -1] }[e.key];
      if (!d) return;
      e.preventDefault();
      const step = (e.shiftKey ? 0.5 : 0.1) * this.range;
      for (const a of [0, 1]) this.z[this.dims[a]] = clamp(this.z[this.dims[a]] + d[a] * step);
      draw();
    });
    if (!this.model.info.decoderOnly)
      await this.encodePoints().catch((e) => this.legend.replaceChildren(`(No test digits to plot: ${e.message}.)`));
  }

  /* Encodes the first bundled digits (their means) for the background. */
  async encodePoints() {
    const { images, labels } = await this.host.dataSet('digits');
    const [c, h, w] = this.shape, n = Math.min(this.host.int('points', 3000), labels.length);
    if (c * h * w !== 784) return; // not a digit model: a bare plane
    const { mu } = this.model.encode(images.subarray(0, n * 784), { labels: this.model.info.classes ? labels.subarray(0, n) : undefined });
    this.points = { mu, labels, n, L: this.model.info.latent };
    this.legend.replaceChildren(...LABEL_COLOURS.map((colour, i) =>
      el('span', {}, el('i', { style: `background:${colour}` }), String(i))));
    this.background = null;
  }

  /* The plane's grid and dots, drawn once per size. */
  drawBackground(size) {
    const bg = document.createElement('canvas');
    bg.width = bg.height = size;
    const ctx = bg.getContext('2d'), s = this.host.colours(), R = this.range;
    const px = (v) => ((v / R + 1) / 2) * size;
    ctx.fillStyle = s.panel;
    ctx.fillRect(0, 0, size, size);
    ctx.strokeStyle = s.grid;
    ctx.lineWidth = devicePixelRatio;
    for (let v = -Math.floor(R); v <= R; v++) {
      ctx.beginPath();
      ctx.moveTo(px(v), 0), ctx.lineTo(px(v), size), ctx.moveTo(0, px(v)), ctx.lineTo(size, px(v));
      ctx.stroke();
    }
    if (this.points) {
      const { mu, labels, n, L } = this.points, r = 1.6 * devicePixelRatio, [dx, dy] = this.dims;
      ctx.globalAlpha = 0.7;
      for (let i = 0; i < n; i++) {
        ctx.fillStyle = LABEL_COLOURS[labels[i] % 10];
        ctx.beginPath();
        ctx.arc(px(mu[i * L + dx]), size - px(mu[i * L + dy]), r, 0, 2 * Math.PI);
        ctx.fill();
      }
      ctx.globalAlpha = 1;
    }
    this.background = bg;
  }

  render() {
    const ctx = fit(this.plane, 1), size = this.plane.width, R = this.range;
    if (this.background?.width !== size) this.drawBackground(size);
    ctx.drawImage(this.background, 0, 0);
    const x = ((this.z[this.dims[0]] / R + 1) / 2) * size, y = size - ((this.z[this.dims[1]] / R + 1) / 2) * size;
    const s = this.host.colours();
    ctx.strokeStyle = s.accent;
    ctx.lineWidth = 2 * devicePixelRatio;
    ctx.beginPath();
    ctx.arc(x, y, 7 * devicePixelRatio, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.fillStyle = s.accent;
    ctx.beginPath();
    ctx.arc(x, y, 2 * devicePixelRatio, 0, 2 * Math.PI);
    ctx.fill();
    const image = this.model.decode(this.z, { label: this.label() });
    const [, h, w] = this.shape;
    const ictx = fit(this.image, h / w);
    drawGrid(ictx, image, this.shape, this.host.lut, { cols: 1, w: this.image.width });
    const [a, b] = this.dims;
    this.readout.textContent = `z${a} = ${this.z[a].toFixed(2)}, z${b} = ${this.z[b].toFixed(2)}`;
    this.plane.setAttribute('aria-valuetext', this.readout.textContent);
    this.show(image);
  }
}

/* Two endpoints drawn from the prior, the path between them (straight or
 * along the great circle), a strip and an animated frame. */
class InterpolateView extends View {
  static FRAMES = 61; // the strip shows every tenth

  async setup() {
    const h = this.host;
    this.seeds = [h.int('seed', 1), h.int('seed', 1) + 1];
    this.method = h.attr('method', 'slerp');
    this.t = 0;
    this.playing = !reducedMotion();
    this.frame = el('canvas', { role: 'img', 'aria-label': 'Image along the path' });
    this.strip = el('canvas', { role: 'img', 'aria-label': 'The path from A to B' });
    this.scrub = slider('Position', { min: 0, max: 1, step: 0.01, value: 0, oninput: (v) => (this.pause(), (this.t = v), this.render()) });
    this.play = button('', () => (this.playing ? this.pause() : this.start()));
    this.root.append(
      el('div', { class: 'stage' }, this.frame),
      this.strip,
      el('div', { class: 'controls' },
        this.play,
        this.scrub.node,
        choice('Path', [['linear', 'Linear'], ['slerp', 'Slerp']], this.method, (m) => ((this.method = m), this.compute())),
        button('↻ A', () => this.reroll(0), { 'aria-label': 'New start image' }),
        button('↻ B', () => this.reroll(1), { 'aria-label': 'New end image' })),
    );
    await this.compute();
    if (this.playing) this.start();
    else this.pause();
  }

  async compute() {
    const L = this.model.info.latent;
    const [a, b] = await Promise.all(this.seeds.map((s) => VAE.randomNormal(L, s)));
    this.images = this.model.interpolate(a, b, InterpolateView.FRAMES, { method: this.method, label: this.label() });
    this.render();
  }

  reroll(i) {
    this.seeds[i] = Math.floor(Math.random() * 2 ** 31);
    this.compute();
  }

  start() {
    this.playing = true;
    this.play.textContent = '❚❚ Pause';
    const t0 = performance.now() - this.t * 2000;
    const tick = (now) => {
      if (!this.playing) return;
      const phase = ((now - t0) / 4000) % 1; // there and back in 4 s, eased at the ends
      this.t = (1 - Math.cos(2 * Math.PI * phase)) / 2;
      this.scrub.input.value = this.t.toFixed(2);
      this.scrub.out.textContent = this.t.toFixed(2);
      if (this.host.onscreen) this.render();
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.play.textContent = '▶ Play';
  }

  render() {
    if (!this.images) return;
    const [c, h, w] = this.shape, D = c * h * w, F = InterpolateView.FRAMES;
    const k = Math.round(this.t * (F - 1)), frame = this.images.subarray(k * D, (k + 1) * D);
    const fctx = fit(this.frame, h / w);
    drawGrid(fctx, frame, this.shape, this.host.lut, { cols: 1, w: this.frame.width });
    const strip = new Float32Array(7 * D);
    for (let i = 0; i < 7; i++) strip.set(this.images.subarray(i * 10 * D, (i * 10 + 1) * D), i * D);
    const { ctx, gap } = fitGrid(this.strip, 7, 7, this.shape, 3, 5);
    const tiles = drawGrid(ctx, strip, this.shape, this.host.lut, { cols: 7, w: this.strip.width, gap });
    const near = tiles[Math.round(this.t * 6)];
    ctx.fillStyle = this.host.colours().accent;
    ctx.fillRect(near.x, near.y + near.h + devicePixelRatio, near.w, 3 * devicePixelRatio);
    this.show(strip);
  }

  destroy() {
    this.pause();
  }
}

/* The learned manifold of Kingma & Welling: a grid over two latent dimensions. */
class ManifoldView extends View {
  async setup() {
    const h = this.host, L = this.model.info.latent;
    this.grid = h.int('grid', 16);
    this.dims = h.list('dims', [0, 1]);
    this.range = h.list('range', [0.03, 0.97]);
    this.canvas = el('canvas', { role: 'img', 'aria-label': 'The learned manifold: images decoded on a grid of latent points' });
    const dimChoice = (axis) =>
      el('select', { 'aria-label': `${axis ? 'Vertical' : 'Horizontal'} latent dimension`, onchange: (e) => ((this.dims[axis] = Number(e.target.value)), this.render()) },
        ...Array.from({ length: L }, (_, d) => el('option', { value: d, selected: d === this.dims[axis] }, `z${d}`)));
    this.root.append(
      this.canvas,
      el('div', { class: 'controls' },
        choice('Grid size', [...new Set([8, 12, 16, 20, this.grid])].sort((a, b) => a - b).map((g) => [g, `${g}×${g}`]), this.grid, (g) => ((this.grid = Number(g)), this.render())),
        L > 2 ? el('label', { class: 'field' }, el('span', {}, '→'), dimChoice(0)) : null,
        L > 2 ? el('label', { class: 'field' }, el('span', {}, '↑'), dimChoice(1)) : null),
    );
  }

  render() {
    if (this.dims[0] === this.dims[1]) return;
    const images = this.model.manifold(this.grid, { dims: this.dims, range: this.range, label: this.label() });
    const [, h, w] = this.shape;
    const ctx = fit(this.canvas, h / w);
    drawGrid(ctx, images, this.shape, this.host.lut, { cols: this.grid, w: this.canvas.width });
    this.show(images);
  }
}

/* Pick a digit and see its styles; draw one and see it as every digit. */
class ConditionalView extends View {
  async setup() {
    const classes = this.model.info.classes;
    if (!classes) throw new Error('the conditional view needs a conditional model (trained with labels)');
    this.digit = this.label();
    this.seed = this.host.int('seed', 1);
    this.temperature = this.host.num('temperature', 0.8); // the prior's tails draw ambiguous digits
    this.styles = el('canvas', { role: 'img', 'aria-label': 'Styles of the chosen digit' });
    this.pad = new DrawPad(() => this.redraw());
    this.row = el('canvas', { role: 'img', 'aria-label': 'Your drawing as every digit' });
    this.guess = el('output', { class: 'readout' }, 'Draw a digit in the box.');
    this.picker = choice('Digit', Array.from({ length: classes }, (_, i) => [i, String(i)]), this.digit, (d) => ((this.digit = Number(d)), this.render()));
    this.root.append(
      el('div', { class: 'controls' }, this.picker, button('↻', () => ((this.seed = Math.floor(Math.random() * 2 ** 31)), this.render()), { 'aria-label': 'Other styles' })),
      this.styles,
      el('div', { class: 'split drawn' },
        el('div', { class: 'padbox' }, this.pad.canvas, button('Clear', () => (this.pad.clear(), this.redraw()), { class: 'small' })),
        el('div', { class: 'side' }, this.guess, this.row)),
    );
  }

  render() {
    const cols = 8, rows = 3, images = this.model.sample(cols * rows, { seed: this.seed, temperature: this.temperature, label: this.digit });
    const { ctx, gap } = fitGrid(this.styles, cols * rows, cols, this.shape, 2);
    drawGrid(ctx, images, this.shape, this.host.lut, { cols, w: this.styles.width, gap });
    this.show(images);
    this.pad.resize();
    this.redraw();
  }

  /* The drawn digit's label is the one under which it is most likely (the
   * lowest negative ELBO); its style (encoder mean) decoded with every label. */
  redraw() {
    const classes = this.model.info.classes, { ctx, gap } = fitGrid(this.row, classes, 5, this.shape, 2);
    if (!this.pad.dirty) return;
    const x = this.pad.input(), all = Array.from({ length: classes }, (_, i) => i);
    const xs = new Float32Array(classes * x.length);
    all.forEach((i) => xs.set(x, i * x.length));
    const scores = this.model.score(xs, { labels: all });
    const best = scores.indexOf(Math.min(...scores));
    const { mu } = this.model.encode(x, { labels: [best] });
    const L = mu.length, z = new Float32Array(classes * L);
    all.forEach((i) => z.set(mu, i * L));
    drawGrid(ctx, this.model.decode(z, { label: all }), this.shape, this.host.lut, { cols: 5, w: this.row.width, gap });
    this.guess.textContent = `Looks like a ${best}. Here it is as every digit:`;
  }
}

/* Draw; see the reconstruction and the negative ELBO as an anomaly score,
 * measured against the scores of real digits. */
class DrawView extends View {
  async setup() {
    this.pad = new DrawPad(() => this.update());
    this.recon = el('canvas', { class: 'paper', role: 'img', 'aria-label': 'Reconstruction of your drawing' });
    this.score = el('output', { class: 'score', 'aria-live': 'polite' }, '—');
    this.verdict = el('div', { class: 'verdict' }, 'Draw a digit, or scribble something that is not one.');
    this.meter = el('div', { class: 'meter' }, el('i'));
    this.root.append(
      el('div', { class: 'split even' },
        el('figure', {}, this.pad.canvas, el('figcaption', {}, 'Your drawing')),
        el('figure', {}, this.recon, el('figcaption', {}, 'What the VAE reconstructs'))),
      el('div', { class: 'scorebox' },
        el('div', {}, el('span', { class: 'muted' }, 'Anomaly score '), this.score, el('span', { class: 'muted' }, ' nats')),
        this.meter, this.verdict,
        button('Clear', () => (this.pad.clear(), this.update()), { class: 'small' })),
    );
    try {
      const { images } = await this.host.dataSet('digits');
      const s = Array.from(this.model.score(images.subarray(0, 500 * 784))).sort((a, b) => a - b);
      this.typical = s[250];
    } catch {
      this.typical = null; // without the bundled digits: the score alone
    }
  }

  render() {
    this.pad.resize();
    this.update();
  }

  update() {
    const [, h, w] = this.shape, ctx = fit(this.recon, h / w);
    ctx.clearRect(0, 0, this.recon.width, this.recon.height);
    if (!this.pad.dirty) {
      this.score.textContent = '—';
      this.score.dataset.value = '';
      this.meter.firstChild.style.width = '0';
      return;
    }
    const x = this.pad.input(), s = this.model.score(x)[0], recon = this.model.reconstruct(x);
    drawGrid(ctx, recon, this.shape, this.host.lut, { cols: 1, w: this.recon.width });
    this.score.textContent = s.toFixed(0);
    this.score.dataset.value = s;
    this.show(recon);
    if (!this.typical) return;
    const ratio = s / this.typical, pos = Math.max(0, Math.min(1, Math.log(ratio / 0.5) / Math.log(12)));
    this.meter.firstChild.style.width = `${(pos * 100).toFixed(1)}%`;
    this.meter.dataset.level = ratio < 1.6 ? 'ok' : ratio < 2.6 ? 'odd' : 'bad';
    this.verdict.textContent = `${ratio < 1.6 ? 'Looks like a digit' : ratio < 2.6 ? 'Unusual' : 'Anomaly: not much like any digit'} (a typical test digit scores ${this.typical.toFixed(0)}).`;
  }
}

/* Noise for the denoise view: a clean pixel x becomes pixel(x, a, u, g) at
 * amount a, with a uniform u and a standard normal g drawn once per pixel,
 * so moving the amount grows the same noise instead of drawing new noise. */
const NOISE = {
  masking: { name: 'Masking', pixel: (x, a, u) => (u < a ? 0 : x), says: (a) => `each pixel set to 0 with probability ${a}` },
  gaussian: { name: 'Gaussian', pixel: (x, a, u, g) => Math.min(1, Math.max(0, x + a * g)), says: (a) => `a normal of σ = ${a} added to each pixel, clipped to [0, 1]` },
  saltpepper: { name: 'Salt & pepper', pixel: (x, a, u, g) => (u < a ? +(g > 0) : x), says: (a) => `each pixel set to 0 or 1 (even odds) with probability ${a}` },
};

/* Pick a digit or draw one, corrupt it, and see what the model reconstructs
 * from the noisy image. The model attribute names the model, so a
 * denoising-trained one (mnist-dae) replaces the plain VAE in one word. */
class DenoiseView extends View {
  async setup() {
    this.needDigitModel();
    const h = this.host;
    this.noise = NOISE[h.attr('noise')] ? h.attr('noise') : 'masking';
    this.amount = Math.min(1, Math.max(0, h.num('amount', 0.5)));
    this.seed = h.int('seed', 1);
    this.field();
    const { images, labels, n } = await h.dataSet('digits');
    this.byLabel = Array.from({ length: 10 }, () => []);
    for (let i = 0; i < n; i++) this.byLabel[labels[i]].push(images.subarray(i * 784, (i + 1) * 784));
    this.round = 0; // which digit of each label the picker shows
    this.pad = new DrawPad(() => ((this.clean = this.pad.input()), this.press(false), this.update()), 'The clean image: draw on it');
    this.noisy = el('canvas', { role: 'img', 'aria-label': 'The noisy image' });
    this.recon = el('canvas', { role: 'img', 'aria-label': 'What the model reconstructs from the noisy image' });
    this.readout = el('output', { class: 'readout', 'aria-live': 'polite' });
    this.picker = el('div', { class: 'tiles ten', role: 'group', 'aria-label': 'Digits to start from' },
      ...Array.from({ length: 10 }, (_, d) => tile(null, () => this.pick(d), `Start from a ${d}`)));
    const amount = slider('Amount', { min: 0, max: 1, step: 0.05, value: this.amount, oninput: (v) => ((this.amount = v), this.update()) });
    this.root.append(
      el('div', { class: 'trio' },
        el('figure', {}, this.pad.canvas, el('figcaption', {}, 'Clean: draw on it')),
        el('figure', {}, this.noisy, el('figcaption', {}, 'Noisy ',
          button('↻', () => (this.seed++, this.field(), this.update()), { class: 'small', 'aria-label': 'New noise' }))),
        el('figure', {}, this.recon, el('figcaption', {}, 'Reconstruction'))),
      this.readout,
      el('div', { class: 'controls' },
        choice('Noise', Object.entries(NOISE).map(([k, v]) => [k, v.name]), this.noise, (k) => ((this.noise = k), this.update())),
        amount.node),
      el('div', { class: 'controls' },
        el('span', { class: 'muted small' }, 'Start from a digit:'),
        button('↻', () => (this.round++, this.pick(this.digit)), { 'aria-label': 'Other digits', class: 'small' }),
        button('Clear', () => ((this.clean = new Float32Array(784)), this.pad.clear(), this.press(false), this.update()), { class: 'small' })),
      this.picker,
    );
    this.pick(Math.min(9, Math.max(0, h.int('label', 2))));
  }

  /* The uniform and the normal (Box-Muller) of each pixel for this seed. */
  field() {
    const random = uniforms(this.seed);
    this.u = Float32Array.from({ length: 784 }, random);
    this.g = Float32Array.from({ length: 784 }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
  }

  /* Starts from the shown digit d (the picker's tiles are the digits 0-9). */
  pick(d) {
    [...this.picker.children].forEach((b, k) => (b.image = this.byLabel[k][this.round % this.byLabel[k].length]));
    this.digit = d;
    this.clean = this.picker.children[d].image;
    this.pad.load(this.clean);
    this.press(true);
    this.host.render();
  }

  /* Marks the picked digit's tile while the clean image is that digit. */
  press(on) {
    [...this.picker.children].forEach((b, k) => b.setAttribute('aria-pressed', on && k === this.digit));
  }

  render() {
    if (this.pad.resize()) this.pad.load(this.clean);
    drawTiles(this.picker, this.shape, this.host.lut);
    this.update();
  }

  update() {
    const noise = NOISE[this.noise], a = this.amount;
    const noisy = this.clean.map((x, i) => noise.pixel(x, a, this.u[i], this.g[i]));
    const recon = this.model.reconstruct(noisy);
    for (const [canvas, image] of [[this.noisy, noisy], [this.recon, recon]])
      drawGrid(fit(canvas, 1), image, this.shape, this.host.lut, { cols: 1, w: canvas.width });
    const mse = (y) => y.reduce((sum, v, i) => sum + (v - this.clean[i]) ** 2, 0) / y.length;
    this.readout.textContent = `${noise.name} noise: ${noise.says(a.toFixed(2))}. Mean squared pixel error against the clean image: noisy ${mse(noisy).toFixed(3)}, reconstruction ${mse(recon).toFixed(3)}.`;
    const all = new Float32Array(3 * 784);
    [this.clean, noisy, recon].forEach((x, k) => all.set(x, k * 784));
    this.show(all);
  }
}

/* What each unusual image is: its label (see bundle-digits.mjs). */
const UNUSUAL_KINDS = ['T-shirt', 'trousers', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot',
  'noise', 'inverted digit', 'shifted digit'];
const FLAGGED = '#ef4444';

/* The negative ELBO as an anomaly score: bundled digits against unusual
 * images (Fashion-MNIST, or made-up ones when the build had none), both
 * scores' histograms, a threshold above which an image is flagged, and a pad
 * whose drawing is scored live. */
class AnomalyView extends View {
  static STRIP = 10; // images shown of each set
  static SCORED = 200; // of each set in the histogram

  async setup() {
    this.needDigitModel();
    const h = this.host, data = await Promise.all(['digits', 'unusual'].map((name) => h.dataSet(name)));
    const n = Math.min(AnomalyView.SCORED, ...data.map((d) => d.n));
    const fashion = data[1].labels.every((l) => l < 10);
    this.sets = data.map(({ images, labels }, k) => {
      const x = images.subarray(0, n * 784);
      return {
        x, labels, scores: this.model.score(x), key: k ? 'kl' : 'rec',
        name: k ? (fashion ? 'Fashion-MNIST items' : 'Noise, inverted and shifted digits') : 'Digits',
        kind: k ? (i) => UNUSUAL_KINDS[labels[i]] : (i) => `a ${labels[i]}`,
        canvas: el('canvas', { role: 'img' }), caption: el('figcaption'),
      };
    });
    const all = this.sets.flatMap((s) => [...s.scores]), digits = [...this.sets[0].scores].sort((a, b) => a - b);
    this.domain = [Math.min(...all) / 1.3, Math.max(...all) * 1.3];
    this.threshold = h.num('threshold', digits[Math.floor(0.95 * digits.length)]); // flags 1 digit in 20
    this.histogram = el('canvas', { role: 'img', 'aria-label': 'Histogram of the scores of both sets, and the threshold' });
    this.pad = new DrawPad(() => this.scoreDrawing());
    this.score = el('output', { class: 'score', 'aria-live': 'polite' }, '—');
    this.verdict = el('div', { class: 'verdict' });
    const log = Math.log, t = slider('Threshold', {
      min: log(this.domain[0]), max: log(this.domain[1]), step: 0.01, value: log(this.threshold),
      format: (v) => `${Math.round(Math.exp(v))} nats`, oninput: (v) => ((this.threshold = Math.exp(v)), this.render()),
    });
    t.node.classList.add('wide');
    this.root.append(
      el('p', { class: 'hint' }, 'Each score is the negative ELBO: the nats the model needs to explain the image. Above the threshold an image is ',
        el('b', { class: 'flagged' }, 'flagged'), ' as anomalous.'),
      ...this.sets.map((s) => el('figure', {}, s.caption, s.canvas)),
      el('figure', {}, this.histogram, el('figcaption', {}, el('i', { class: 'key rec' }), 'Digits ', el('i', { class: 'key kl' }),
        this.sets[1].name, ` (${n} of each; log scale)`)),
      el('div', { class: 'controls' }, t.node),
      el('div', { class: 'split drawn' },
        el('div', { class: 'padbox' }, this.pad.canvas, button('Clear', () => (this.pad.clear(), this.scoreDrawing()), { class: 'small' })),
        el('div', { class: 'scorebox' }, el('div', {}, el('span', { class: 'muted' }, 'Your drawing scores '), this.score, el('span', { class: 'muted' }, ' nats')),
          this.verdict)),
    );
  }

  render() {
    this.pad.resize();
    for (const s of this.sets) this.renderStrip(s);
    this.scoreDrawing();
  }

  /* The first images of a set with their scores under them, the flagged ones framed. */
  renderStrip(set) {
    const n = AnomalyView.STRIP, dpr = devicePixelRatio, c = this.host.colours(), t = this.threshold;
    const { ctx, gap } = fitGrid(set.canvas, n, n, this.shape, 4, 16);
    const tiles = drawGrid(ctx, set.x.subarray(0, n * 784), this.shape, this.host.lut, { cols: n, w: set.canvas.width, gap });
    ctx.font = `${Math.min(11 * dpr, tiles[0].w / 3.2)}px system-ui, sans-serif`; // four digits fit under a tile
    ctx.textAlign = 'center';
    ctx.lineWidth = 2 * dpr;
    ctx.strokeStyle = FLAGGED;
    tiles.forEach((r, i) => {
      const flagged = set.scores[i] > t;
      ctx.fillStyle = flagged ? FLAGGED : c.muted;
      ctx.fillText(set.scores[i].toFixed(0), r.x + r.w / 2, r.y + r.h + 13 * dpr);
      if (flagged) ctx.strokeRect(r.x + dpr, r.y + dpr, r.w - 2 * dpr, r.h - 2 * dpr);
    });
    set.canvas.setAttribute('aria-label', `${set.name}: ${Array.from(set.scores.subarray(0, n), (v, i) =>
      `${set.kind(i)} scores ${v.toFixed(0)}${v > t ? ' (flagged)' : ''}`).join(', ')}`);
    const flagged = set.scores.filter((v) => v > t).length, mean = set.scores.reduce((a, b) => a + b, 0) / set.scores.length;
    set.caption.textContent = `${set.name} · mean ${mean.toFixed(0)} nats · ${flagged} of ${set.scores.length} flagged`;
    set.caption.dataset.mean = mean;
  }

  scoreDrawing() {
    const drawn = this.pad.dirty ? this.model.score(this.pad.input())[0] : null, flagged = drawn !== null && drawn > this.threshold;
    this.score.textContent = drawn === null ? '—' : drawn.toFixed(0);
    this.score.dataset.value = drawn ?? '';
    this.verdict.dataset.flagged = flagged;
    this.verdict.textContent = drawn === null ? 'Draw a digit, or anything else, to score it.'
      : flagged ? `Flagged: above the threshold of ${this.threshold.toFixed(0)} nats.` : `Passes as a digit: below the threshold of ${this.threshold.toFixed(0)} nats.`;
    this.renderHistogram(drawn);
  }

  /* Both sets' scores in bins of a log axis, the flagged side shaded, and the drawing's score. */
  renderHistogram(drawn) {
    const ctx = fit(this.histogram, 0.3), W = this.histogram.width, H = this.histogram.height, c = this.host.colours(), dpr = devicePixelRatio;
    const [lo, hi] = this.domain, B = 48, pad = 8 * dpr, base = H - 20 * dpr, span = Math.log(hi / lo);
    const X = (v) => pad + ((W - 2 * pad) * Math.log(v / lo)) / span, bw = (W - 2 * pad) / B, t = X(this.threshold);
    ctx.fillStyle = c.panel;
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = `${FLAGGED}22`;
    ctx.fillRect(t, 0, W - t, base);
    const counts = this.sets.map((s) => {
      const bins = new Array(B).fill(0);
      for (const v of s.scores) bins[Math.min(B - 1, Math.floor((B * Math.log(v / lo)) / span))]++;
      return bins;
    });
    const top = Math.max(...counts.flat()), Y = (m) => ((base - pad) * m) / top;
    ctx.globalAlpha = 0.85;
    counts.forEach((bins, k) => {
      ctx.fillStyle = c[this.sets[k].key];
      bins.forEach((m, i) => m && ctx.fillRect(pad + i * bw + dpr / 2, base - Y(m), bw - dpr, Y(m)));
    });
    ctx.globalAlpha = 1;
    ctx.fillStyle = c.muted;
    ctx.font = `${10 * dpr}px system-ui, sans-serif`;
    ctx.textAlign = 'center';
    for (let e = 10 ** Math.floor(Math.log10(lo)); e < hi; e *= 10)
      for (const v of [e, 2 * e, 5 * e])
        if (v > lo && X(v) < W - 3 * pad) ctx.fillRect(X(v), base, dpr, 3 * dpr), ctx.fillText(String(v), X(v), H - 5 * dpr);
    ctx.textAlign = 'right';
    ctx.fillText('nats', W - pad, H - 5 * dpr);
    ctx.fillStyle = FLAGGED;
    ctx.fillRect(t - dpr, 0, 2 * dpr, base);
    if (drawn === null) return;
    const x = X(Math.min(hi, Math.max(lo, drawn)));
    ctx.fillStyle = c.fg;
    ctx.fillRect(x - dpr / 2, pad, dpr, base - pad);
    ctx.textAlign = x > W / 2 ? 'right' : 'left';
    ctx.fillText(' your drawing ', x, pad + 8 * dpr);
  }
}

/* Mark model samples that show a trait and ones that don't; the difference
 * of their mean latents moves any face along the trait. */
class AttributesView extends View {
  async setup() {
    const h = this.host, L = this.model.info.latent;
    if (this.model.info.decoderOnly) throw new Error('the attributes view needs a full model (with its encoder)');
    this.count = h.int('count', 18);
    this.seed = h.int('seed', 1);
    this.baseSeed = null; // null: the first sample marked 'lacks' (until "another base")
    this.alpha = h.num('amount', 1);
    this.marks = new Map([...h.list('with', []).map((i) => [i, 'with']), ...h.list('without', []).map((i) => [i, 'without'])]);
    this.z = await VAE.randomNormal(this.count * L, this.seed);
    this.images = this.model.decode(this.z, { label: this.label() });
    this.tiles = el('div', { class: 'tiles' });
    const D = this.images.length / this.count;
    for (let i = 0; i < this.count; i++) {
      const b = tile(this.images.subarray(i * D, (i + 1) * D), () => this.toggle(i, b));
      this.tiles.append(b);
      this.mark(i, b);
    }
    this.strip = el('canvas', { role: 'img', 'aria-label': 'A sample moved along the trait vector' });
    this.note = el('p', { class: 'muted small' });
    this.caption = el('p', { class: 'muted small' });
    const s = slider('Amount', { min: -2, max: 3, step: 0.1, value: this.alpha, oninput: (v) => ((this.alpha = v), this.renderStrip()) });
    this.root.append(
      el('p', { class: 'hint' }, 'Click samples to mark them: once = ', el('b', { class: 'with' }, 'has the trait'), ', twice = ', el('b', { class: 'without' }, 'lacks it'), '.'),
      this.tiles,
      this.note,
      el('figure', {}, this.strip, this.caption),
      el('div', { class: 'controls' }, s.node, button('↻ Another base', () => ((this.baseSeed = Math.floor(Math.random() * 2 ** 31)), this.update()))),
    );
    await this.update();
  }

  mark(i, b) {
    const m = this.marks.get(i) ?? 'none';
    b.dataset.mark = m;
    b.setAttribute('aria-label', `Sample ${i + 1}: ${{ none: 'not marked', with: 'has the trait', without: 'lacks the trait' }[m]}`);
  }

  toggle(i, b) {
    const next = { none: 'with', with: 'without', without: 'none' }[this.marks.get(i) ?? 'none'];
    if (next === 'none') this.marks.delete(i);
    else this.marks.set(i, next);
    this.mark(i, b);
    this.update();
  }

  async update() {
    const D = this.images.length / this.count, pick = (m) => {
      const list = [...this.marks].filter(([, v]) => v === m).map(([i]) => i);
      const out = new Float32Array(list.length * D);
      list.forEach((i, k) => out.set(this.images.subarray(i * D, (i + 1) * D), k * D));
      return out;
    };
    const yes = pick('with'), no = pick('without');
    const labels = this.model.info.classes ? { withLabels: this.label(), withoutLabels: this.label() } : undefined;
    this.vector = yes.length && no.length ? this.model.attributeVector(yes, no, labels) : null;
    this.note.textContent = this.vector
      ? `Trait vector: mean latent of ${yes.length / D} marked “has” minus ${no.length / D} marked “lacks”.`
      : 'Mark at least one sample of each kind to get a trait vector.';
    const L = this.model.info.latent, lacking = [...this.marks].find(([, m]) => m === 'without')?.[0];
    this.base = this.baseSeed === null && lacking !== undefined
      ? this.z.slice(lacking * L, (lacking + 1) * L)
      : await VAE.randomNormal(L, this.baseSeed ?? this.seed + 1000);
    this.renderStrip();
  }

  render() {
    drawTiles(this.tiles, this.shape, this.host.lut);
    this.renderStrip();
  }

  /* The base face at amounts 0 .. alpha in five steps. */
  renderStrip() {
    if (!this.base) return;
    const L = this.model.info.latent, n = 5, z = new Float32Array(n * L);
    for (let k = 0; k < n; k++)
      for (let j = 0; j < L; j++) z[k * L + j] = this.base[j] + (this.vector ? (this.alpha * k * this.vector[j]) / (n - 1) : 0);
    const images = this.model.decode(z, { label: this.label() });
    const { ctx, gap } = fitGrid(this.strip, n, n, this.shape, 3);
    drawGrid(ctx, images, this.shape, this.host.lut, { cols: n, w: this.strip.width, gap });
    const base = this.baseSeed === null && [...this.marks.values()].includes('without') ? 'The first sample marked “lacks”' : 'A new sample';
    this.caption.textContent = this.vector ? `${base} plus 0 to ${this.alpha} times the trait vector, left to right.` : `${base}.`;
    this.show(images);
  }
}

/* Training in a Web Worker: from scratch on the bundled digits, or
 * fine-tuning the given model on digits the visitor draws. */
class TrainView extends View {
  static SAMPLES = 16;
  static ARCH = { encoder: [256], latent: 10 }; // small: an epoch takes seconds
  // Digits trained on from scratch. WorkerTrainer.fit checks and copies the
  // whole set to the worker in one main-thread task; 6,000 keeps that task
  // (and so the longest frame) short even on a busy machine.
  static DIGITS = 6000;

  async setup() {
    const h = this.host;
    this.mode = h.attr('mode', 'scratch');
    this.epochs = h.int('epochs', this.mode === 'scratch' ? 10 : 20);
    this.drawn = [];
    this.history = [];
    this.pad = new DrawPad(() => {}, 'Draw a digit to add to your training set');
    this.thumbs = el('canvas', { class: 'thumbs', role: 'img', 'aria-label': 'Your digits' });
    this.finetune = el('div', { class: 'finetune' },
      el('div', { class: 'padbox' }, this.pad.canvas,
        el('div', { class: 'controls' }, button('Add digit', () => this.addDrawn(), { class: 'small' }), button('Clear', () => this.pad.clear(), { class: 'small' }))),
      el('div', { class: 'side' }, el('p', { class: 'muted small' }, 'Draw a few digits in your own hand and add each one; fine-tuning teaches the pretrained model your style.'), this.thumbs));
    this.modeChoice = choice('What to train', [['scratch', `New VAE on ${TrainView.DIGITS.toLocaleString('en')} digits`], ['finetune', 'Fine-tune on your digits']], this.mode, (m) => this.setMode(m));
    this.go = button('▶ Train', () => this.train(), { class: 'primary' });
    this.pauseButton = button('Pause', () => this.pauseResume(), { disabled: true });
    this.cancelButton = button('Cancel', () => this.trainer?.cancel(), { disabled: true });
    this.download = el('a', { class: 'button', download: 'my-vae.safetensors', 'aria-disabled': 'true' }, '⤓ Download .safetensors');
    this.progress = el('progress', { max: 1, value: 0, 'aria-label': 'Training progress' });
    this.status = el('output', { class: 'readout', 'aria-live': 'polite' });
    this.chart = el('canvas', { role: 'img', 'aria-label': 'Loss per step: reconstruction and KL' });
    this.samples = el('canvas', { role: 'img', 'aria-label': 'Samples from the model as it learns' });
    this.root.append(
      h.attr('model') ? this.modeChoice : null,
      this.finetune,
      el('div', { class: 'controls' }, this.go, this.pauseButton, this.cancelButton, this.download),
      this.progress,
      this.status,
      el('div', { class: 'split even' },
        el('figure', {}, this.chart, el('figcaption', {}, el('i', { class: 'key rec' }), 'reconstruction ', el('i', { class: 'key kl' }), 'KL (stacked: their sum is the loss)')),
        el('figure', {}, this.samples, el('figcaption', {}, 'Samples, refreshed as it learns'))),
    );
    this.setMode(this.mode);
    this.drawChart = throttle(() => this.renderChart());
  }

  setMode(mode) {
    this.mode = mode;
    this.finetune.hidden = mode !== 'finetune';
    this.status.textContent = mode === 'scratch'
      ? `Ready: a new 784-${TrainView.ARCH.encoder}-${TrainView.ARCH.latent} VAE, ${this.epochs} epochs over ${TrainView.DIGITS.toLocaleString('en')} handwritten digits, in a Web Worker.`
      : `Ready: fine-tunes ${this.host.getAttribute('model').replace(/^.*\//, '')} for ${this.epochs} epochs on the digits you add.`;
    this.host.render();
  }

  addDrawn() {
    if (!this.pad.dirty) return;
    this.drawn.push(this.pad.input());
    this.pad.clear();
    this.renderThumbs();
  }

  renderThumbs() {
    const cols = 8, { ctx, gap } = fitGrid(this.thumbs, Math.max(1, this.drawn.length), cols, [1, 28, 28], 2);
    if (!this.drawn.length) return;
    const all = new Float32Array(this.drawn.length * 784);
    this.drawn.forEach((d, i) => all.set(d, i * 784));
    drawGrid(ctx, all, [1, 28, 28], this.host.lut, { cols, w: this.thumbs.width, gap });
  }

  /* The first DIGITS bundled digits, copied out: posting a view to the
   * worker would copy the whole buffer under it. */
  async digitSet() {
    if (!this.digitCopy) {
      const { images } = await this.host.dataSet('digits');
      this.digitCopy = { images: images.slice(0, TrainView.DIGITS * 784) };
    }
    return this.digitCopy;
  }

  /* Each drawn digit shifted by up to one pixel (9 copies), so a handful is enough to fine-tune on. */
  drawnSet() {
    const out = new Float32Array(this.drawn.length * 9 * 784);
    let k = 0;
    for (const d of this.drawn)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++, k++)
          for (let y = 0; y < 28; y++)
            for (let x = 0; x < 28; x++) {
              const sx = x - dx, sy = y - dy;
              if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[k * 784 + y * 28 + x] = d[sy * 28 + sx];
            }
    return { images: out };
  }

  setRunning(running) {
    this.go.disabled = running;
    this.pauseButton.disabled = this.cancelButton.disabled = !running;
    this.pauseButton.textContent = 'Pause';
    for (const b of this.root.querySelectorAll('.choice button, .finetune button')) b.disabled = running;
  }

  async train() {
    const scratchMode = this.mode === 'scratch';
    if (!scratchMode && !this.drawn.length) {
      this.status.textContent = 'Draw a digit and press “Add digit” first (a few digits work best).';
      return;
    }
    this.setRunning(true);
    this.history = [];
    this.setDownload(null);
    this.status.textContent = scratchMode ? 'Loading the digits…' : 'Loading the model…';
    try {
      const data = scratchMode ? await this.digitSet() : this.drawnSet();
      await nextFrame();
      const model = scratchMode ? await VAE.create({ ...TrainView.ARCH, seed: this.host.int('seed', 1) }) : await VAE.load(this.host.modelURL);
      this.trained?.dispose();
      this.trained = model;
      this.z = await VAE.randomNormal(TrainView.SAMPLES * model.info.latent, 7);
      this.preview(null);
      await nextFrame();
      const n = data.images.length / 784, batchSize = scratchMode ? 128 : Math.min(8, n);
      const steps = Math.ceil(n / batchSize);
      this.trainer = model.trainer({
        worker: true, epochs: this.epochs, batchSize, lr: scratchMode ? 2e-3 : 3e-4, seed: this.host.int('seed', 1),
        snapshotEvery: Math.max(1, Math.round(steps / 3)),
      });
      this.trainer.on('progress', (e) => this.onProgress(e));
      this.trainer.on('snapshot', (e) => this.preview(e.weights));
      this.status.textContent = 'Starting the worker…';
      const started = performance.now();
      await this.trainer.fit(data);
      const last = this.history.at(-1);
      this.status.textContent = `Done: ${this.epochs} epochs in ${((performance.now() - started) / 1000).toFixed(1)} s, final loss ${last?.loss.toFixed(1)} nats.`;
      this.host.emit('vae-trained', { loss: last?.loss, history: this.history });
    } catch (e) {
      this.status.textContent = e.code === 'ABORTED' ? 'Cancelled: the weights so far are kept.' : `Training failed: ${e.message}`;
    } finally {
      this.setRunning(false);
      this.trainer = null;
      if (this.trained && !this.trained.disposed) {
        this.preview(null);
        this.setDownload(this.trained.toSafetensors());
      }
    }
  }

  pauseResume() {
    if (!this.trainer) return;
    const paused = this.trainer.state === 'paused';
    paused ? this.trainer.resume() : this.trainer.pause();
    this.pauseButton.textContent = paused ? 'Pause' : 'Resume';
    this.status.textContent = paused ? 'Resuming…' : 'Paused.';
  }

  setDownload(bytes) {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = bytes ? URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' })) : null;
    if (this.url) this.download.href = this.url;
    else this.download.removeAttribute('href');
    this.download.setAttribute('aria-disabled', String(!bytes));
  }

  onProgress(e) {
    this.history.push({ loss: e.loss, reconstruction: e.reconstruction, kl: e.kl });
    this.totalSteps = e.totalSteps;
    this.progress.value = e.totalStep / e.totalSteps;
    if (this.trainer?.state === 'running')
      this.status.textContent = `Epoch ${e.epoch}/${e.epochs} · loss ${e.loss.toFixed(1)} · ${Math.round(e.imagesPerSecond).toLocaleString('en')} images/s · ${e.eta.toFixed(0)} s left`;
    this.host.emit('vae-progress', e);
    this.drawChart();
  }

  /* Samples of the latest weights (a snapshot, or the model itself with
   * null); a snapshot arriving while one is drawn replaces the queued one. */
  async preview(weights) {
    if (!weights) return this.renderSamples(this.trained);
    const busy = this.queued !== undefined;
    this.queued = weights;
    if (busy) return;
    try {
      while (this.queued) {
        const bytes = this.queued;
        this.queued = null;
        const m = await VAE.load(bytes);
        try {
          this.renderSamples(m);
        } finally {
          m.dispose();
        }
      }
    } finally {
      this.queued = undefined;
    }
  }

  renderSamples(model) {
    const { ctx, gap } = fitGrid(this.samples, TrainView.SAMPLES, 4, [1, 28, 28], 2);
    if (!model || model.disposed || !this.z) return this.panel(ctx, 'Samples appear here as it learns.');
    const images = model.decode(this.z);
    drawGrid(ctx, images, [1, 28, 28], this.host.lut, { cols: 4, w: this.samples.width, gap });
    this.show(images);
  }

  /* Fills the canvas with the panel colour and a line of text; leaves the text style set. */
  panel(ctx, text) {
    const c = this.host.colours(), dpr = devicePixelRatio;
    ctx.fillStyle = c.panel;
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    ctx.fillStyle = c.muted;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillText(text, 8 * dpr, 18 * dpr);
  }

  /* Stacked areas of the smoothed KL (bottom) and reconstruction per step,
   * over the whole run's steps, with a line at every 100 nats. */
  renderChart() {
    const ctx = fit(this.chart, 1), W = this.chart.width, H = this.chart.height, s = this.host.colours(), dpr = devicePixelRatio;
    const hist = this.history;
    this.panel(ctx, hist.length < 2 ? 'The loss appears here as it trains.' : '');
    if (hist.length < 2) return;
    let r = hist[0].reconstruction, k = hist[0].kl;
    const smooth = hist.map((e) => ((r += 0.15 * (e.reconstruction - r)), (k += 0.15 * (e.kl - k)), [r, k]));
    const top = Math.max(...smooth.slice(Math.min(5, smooth.length - 1)).map(([a, b]) => a + b)) * 1.1;
    const pad = 6 * dpr, head = 22 * dpr, steps = Math.max(this.totalSteps ?? 0, smooth.length) - 1;
    const X = (i) => pad + ((W - 2 * pad) * i) / steps, Y = (v) => H - pad - ((H - pad - head) * Math.min(v, top)) / top;
    ctx.fillText(`loss (nats) · last ${(smooth.at(-1)[0] + smooth.at(-1)[1]).toFixed(1)}`, 8 * dpr, 15 * dpr);
    ctx.strokeStyle = s.grid;
    ctx.lineWidth = dpr;
    for (let v = 100; v < top; v += 100) {
      ctx.beginPath();
      ctx.moveTo(pad, Y(v)), ctx.lineTo(W - pad, Y(v));
      ctx.stroke();
      ctx.fillText(String(v), W - pad - 24 * dpr, Y(v) - 3 * dpr);
    }
    const area = (lo, hi, colour) => {
      ctx.beginPath();
      smooth.forEach((p, i) => ctx.lineTo(X(i), Y(hi(p))));
      for (let i = smooth.length - 1; i >= 0; i--) ctx.lineTo(X(i), Y(lo(smooth[i])));
      ctx.closePath();
      ctx.fillStyle = colour;
      ctx.fill();
    };
    ctx.globalAlpha = 0.85;
    area(() => 0, ([, b]) => b, s.kl);
    area(([, b]) => b, ([a, b]) => a + b, s.rec);
    ctx.globalAlpha = 1;
  }

  render() {
    this.renderChart();
    this.renderSamples(this.trained);
    if (this.mode === 'finetune') {
      this.pad.resize();
      this.renderThumbs();
    }
  }

  destroy() {
    this.trainer?.cancel();
    this.trained?.dispose();
    this.setDownload(null);
  }
}

const VIEWS = {
  samples: SamplesView, explorer: ExplorerView, interpolate: InterpolateView, manifold: ManifoldView,
  conditional: ConditionalView, draw: DrawView, attributes: AttributesView, train: TrainView, denoise: DenoiseView,
  anomaly: AnomalyView,
};

/* ------------------------------------------------------------------ the element */

const CSS = `
:host { display: block; width: 100%; max-width: var(--vae-size, 480px); box-sizing: border-box; container-type: inline-size;
  --_bg: var(--vae-bg, #ffffff); --_fg: var(--vae-fg, #18181b); --_muted: var(--vae-muted, #71717a);
  --_accent: var(--vae-accent, #6366f1); --_panel: var(--vae-panel, #f4f4f5); --_line: var(--vae-line, #e4e4e7);
  --_radius: var(--vae-radius, 14px);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--_fg); }
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
.frame { background: var(--_bg); border: 1px solid var(--_line); border-radius: var(--_radius); padding: 14px; }
canvas { display: block; width: 100%; border-radius: 8px; }
.view { display: grid; gap: 12px; }
.controls { display: flex; flex-wrap: wrap; gap: 8px 12px; align-items: center; }
button, .button, select, input[type=number] { font: inherit; color: var(--_fg); background: var(--_panel); border: 1px solid var(--_line);
  border-radius: 999px; padding: 6px 14px; cursor: pointer; text-decoration: none; line-height: 1.3; }
input[type=number] { width: 7em; border-radius: 8px; padding: 5px 8px; cursor: text; }
select { border-radius: 8px; padding: 5px 8px; }
button:hover:not(:disabled), .button:hover { border-color: var(--_accent); }
button:disabled, .button[aria-disabled=true] { opacity: .45; cursor: default; pointer-events: none; }
button.primary { background: var(--_accent); border-color: var(--_accent); color: #fff; font-weight: 600; }
button.small { padding: 3px 12px; font-size: 13px; }
:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
.field { display: inline-flex; align-items: center; gap: 8px; color: var(--_muted); }
.field output { min-width: 2.5em; color: var(--_fg); font-variant-numeric: tabular-nums; }
input[type=range] { accent-color: var(--_accent); width: 120px; }
.view > .choice { justify-self: start; }
.choice { display: inline-flex; background: var(--_panel); border: 1px solid var(--_line); border-radius: 999px; padding: 2px; flex-wrap: wrap; }
.choice button { border: 0; background: transparent; padding: 4px 11px; }
.choice button[aria-checked=true] { background: var(--_accent); color: #fff; }
.trio { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
.split { display: grid; grid-template-columns: 3fr 2fr; gap: 14px; align-items: start; }
.split.even { grid-template-columns: 1fr 1fr; }
.split.drawn { grid-template-columns: 2fr 3fr; }
.side { display: grid; gap: 8px; align-content: start; }
.plane { cursor: crosshair; touch-action: none; }
.pad { touch-action: none; cursor: crosshair; }
.pad, .paper { background: var(--vae-paper, #0b0b10); }
.padbox { display: grid; gap: 8px; justify-items: start; }
.readout { color: var(--_muted); font-variant-numeric: tabular-nums; font-size: 13px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 12px; color: var(--_muted); font-size: 12px; }
.legend:empty { display: none; }
.legend i { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 5px; }
.stage { display: grid; justify-items: center; }
.stage canvas { max-width: 55%; }
figure { margin: 0; display: grid; gap: 6px; }
figcaption { color: var(--_muted); font-size: 12px; }
.scorebox { display: grid; gap: 8px; justify-items: start; }
.score { font-size: 26px; font-weight: 700; font-variant-numeric: tabular-nums; }
.meter { width: 100%; height: 8px; border-radius: 99px; background: var(--_panel); overflow: hidden; }
.meter i { display: block; height: 100%; width: 0; background: #22c55e; transition: width .2s; }
.meter[data-level=odd] i { background: #eab308; }
.meter[data-level=bad] i { background: #ef4444; }
.verdict, .hint, .muted { color: var(--_muted); }
.verdict[data-flagged=true] { color: #ef4444; }
.field.wide { flex: 1 1 240px; }
.field.wide input { flex: 1; width: auto; min-width: 0; }
.hint, p { margin: 0; }
.small { font-size: 12px; }
b.with { color: #22c55e; } b.without, b.flagged { color: #ef4444; }
.tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 6px; }
.tile { padding: 0; border-radius: 8px; border: 2px solid transparent; background: none; overflow: hidden; position: relative; }
.tile canvas { border-radius: 6px; }
.tiles.ten { grid-template-columns: repeat(10, 1fr); gap: 4px; }
.tile[aria-pressed=true] { border-color: var(--_accent); }
.tile[data-mark=with] { border-color: #22c55e; }
.tile[data-mark=without] { border-color: #ef4444; }
.tile[data-mark=with]::after, .tile[data-mark=without]::after { position: absolute; top: 3px; right: 3px; width: 18px; height: 18px;
  border-radius: 50%; color: #fff; font-size: 12px; line-height: 18px; text-align: center; }
.tile[data-mark=with]::after { content: "✓"; background: #22c55e; }
.tile[data-mark=without]::after { content: "✗"; background: #ef4444; }
progress { width: 100%; height: 6px; border: 0; border-radius: 99px; background: var(--_panel); overflow: hidden; appearance: none; }
progress::-webkit-progress-bar { background: var(--_panel); }
progress::-webkit-progress-value { background: var(--_accent); border-radius: 99px; }
progress::-moz-progress-bar { background: var(--_accent); border-radius: 99px; }
.key { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin: 0 5px 0 0; vertical-align: -1px; }
.key.rec { background: var(--vae-rec, #818cf8); } .key.kl { background: var(--vae-kl, #f472b6); margin-left: 8px; }
.finetune { display: grid; grid-template-columns: 2fr 3fr; gap: 14px; }
.finetune[hidden] { display: none; }
.info { margin-top: 10px; color: var(--_muted); font-size: 11px; opacity: .8; font-variant-numeric: tabular-nums; }
.message { padding: 28px 16px; text-align: center; color: var(--_muted); }
.message.error { color: #b91c1c; background: #fef2f2; border-radius: 8px; }
.message.error b { display: block; margin-bottom: 4px; }
.spinner { width: 22px; height: 22px; margin: 0 auto 8px; border: 3px solid var(--_line); border-top-color: var(--_accent); border-radius: 50%; animation: spin .8s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .spinner { animation: none; } .meter i { transition: none; } }
@container (max-width: 440px) { .split, .split.drawn, .finetune { grid-template-columns: 1fr; } .tiles { grid-template-columns: repeat(4, 1fr); }
  .tiles.ten { grid-template-columns: repeat(5, 1fr); } }
`;

let sheet = null;
function styles(root) {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
  }
  root.adoptedStyleSheets = [sheet];
}

export class VAEDemo extends HTMLElement {
  static observedAttributes = ['model', 'view', 'size', 'seed', 'accent', 'background', 'color', 'ink', 'paper', 'data',
    'temperature', 'cols', 'rows', 'grid', 'dims', 'range', 'label', 'method', 'with', 'without', 'amount', 'mode', 'epochs', 'count', 'points', 'noise', 'threshold'];

  #frame; #view = null; #modelURL = null; #visible = false; #generation = 0; #io; #ro;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    styles(root);
    this.#frame = el('div', { class: 'frame', part: 'frame' });
    root.append(this.#frame);
    this.shown = null; // {images, shape} of the view's main images (for scripts and tests)
    this.render = throttle(() => this.#view?.render());
  }

  get view() {
    return this.getAttribute('view') || 'samples';
  }

  get modelURL() {
    const m = this.getAttribute('model');
    return m ? new URL(m, document.baseURI).href : null;
  }

  attr(name, fallback) {
    return this.getAttribute(name) ?? fallback;
  }

  int(name, fallback) {
    const v = parseInt(this.getAttribute(name), 10);
    return Number.isFinite(v) ? v : fallback;
  }

  num(name, fallback) {
    const v = parseFloat(this.getAttribute(name));
    return Number.isFinite(v) ? v : fallback;
  }

  list(name, fallback) {
    const v = this.getAttribute(name);
    return v ? v.split(/[\s,]+/).filter(Boolean).map(Number) : fallback;
  }

  /* A data set bundled by build-scripts/bundle-digits.mjs: {images, labels, n};
   * 'digits' (MNIST) or 'unusual' (images that are not digits). */
  dataSet(name) {
    return loadDataSet(new URL(this.getAttribute('data') || new URL('./data/', import.meta.url).href, document.baseURI).href, name);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /* Colours resolved for canvas drawing. */
  colours() {
    if (!this._style) {
      const cs = getComputedStyle(this.#frame), v = (p, d) => cs.getPropertyValue(p).trim() || d;
      this._style = {
        accent: v('--_accent', '#6366f1'), fg: v('--_fg', '#18181b'), panel: v('--_panel', '#f4f4f5'), muted: v('--_muted', '#71717a'),
        grid: v('--_line', '#e4e4e7'), rec: v('--vae-rec', '#818cf8'), kl: v('--vae-kl', '#f472b6'),
      };
    }
    return this._style;
  }

  connectedCallback() {
    this.#ro = new ResizeObserver(() => this.render());
    this.#ro.observe(this);
    // Load when near the viewport: a page of many demos stays fast.
    this.#io = new IntersectionObserver((entries) => {
      this.onscreen = entries.at(-1).isIntersecting; // animations pause off screen
      if (!this.onscreen || this.#visible) return;
      this.#visible = true;
      this.#start();
    }, { rootMargin: '300px' });
    this.#io.observe(this);
  }

  disconnectedCallback() {
    this.#io?.disconnect();
    this.#ro?.disconnect();
    this.#stop();
    this.#visible = false;
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (['accent', 'background', 'color', 'size', 'ink', 'paper'].includes(name)) this.#applyColours();
    if (this.#visible && !['accent', 'background', 'color', 'size'].includes(name)) this.#start();
    else if (this.#visible) (this._style = null), this.render();
  }

  #applyColours() {
    const set = (prop, attr) => (this.hasAttribute(attr) ? this.style.setProperty(prop, this.getAttribute(attr)) : this.style.removeProperty(prop));
    set('--vae-accent', 'accent');
    set('--vae-bg', 'background');
    set('--vae-fg', 'color');
    set('--vae-paper', 'paper');
    set('--vae-ink', 'ink');
    if (this.hasAttribute('size')) this.style.setProperty('--vae-size', `${parseInt(this.getAttribute('size'), 10)}px`);
    this._style = null;
  }

  #stop() {
    this.#generation++;
    this.#view?.destroy();
    this.#view = null;
    if (this.#modelURL) releaseModel(this.#modelURL);
    this.#modelURL = null;
  }

  #message(kind, title, detail) {
    this.#frame.replaceChildren(el('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
      kind === 'loading' ? el('div', { class: 'spinner' }) : null, title && el('b', {}, title), detail));
  }

  async #start() {
    this.#stop();
    const generation = this.#generation, Kind = VIEWS[this.view];
    this.#applyColours();
    const cs = getComputedStyle(this);
    this.lut = palette(cs.getPropertyValue('--vae-paper').trim() || '#0b0b10', cs.getPropertyValue('--vae-ink').trim() || '#ffffff');
    this.setAttribute('state', 'loading');
    this.#message('loading', null, 'Loading the model…');
    try {
      if (!Kind) throw new Error(`there is no view “${this.view}” (try: ${Object.keys(VIEWS).join(', ')})`);
      const url = this.modelURL;
      if (!url && Kind !== TrainView) throw new Error('set the model attribute to the URL of a .safetensors model');
      let model = null;
      if (url && Kind !== TrainView) {
        try {
          model = await acquireModel(url);
        } catch (e) {
          throw new Error(`Could not load the model ${this.getAttribute('model')}: ${e.message.replace(/^load[^:]*: /, '')}`);
        }
        if (generation !== this.#generation) return releaseModel(url); // restarted or removed meanwhile
        this.#modelURL = url;
      }
      const view = new Kind(this, model);
      await view.setup();
      if (generation !== this.#generation) return view.destroy();
      this.#view = view;
      const i = model?.info;
      this.#frame.replaceChildren(view.root, i ? el('div', { class: 'info' },
        `${i.summary} · ${i.parameters.toLocaleString('en')} parameters · ${i.simd ? 'wasm SIMD' : 'wasm (no SIMD)'}`) : '');
      view.render();
      this.setAttribute('state', 'ready');
      this.emit('vae-ready', { view: this.view, info: model?.info });
    } catch (e) {
      if (generation !== this.#generation) return;
      this.setAttribute('state', 'error');
      this.#message('error', 'This demo could not start.', e.message);
      this.emit('vae-error', { message: e.message });
    }
  }
}

if (!customElements.get('vae-demo')) customElements.define('vae-demo', VAEDemo);
