/* The pieces the views of <vae-demo> are built from: DOM shorthands,
 * controls, the image grid drawn through a palette, canvas sizing, and a
 * drawing pad. */
import { VAE } from '../vae.js';

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) node.setAttribute(k, v === true ? '' : v);
  }
  node.append(...children.filter((c) => c != null));
  return node;
}

/* An integer with thousands separators, as toLocaleString('en') writes it: Chromium's first
 * toLocaleString loads its locale data (about 40 ms at load 11), which the first picture waited for. */
export const grouped = (n) => String(n).replace(/\B(?=(\d{3})+$)/g, ',');

export function button(label, onclick, attrs = {}) {
  return el('button', { type: 'button', onclick, ...attrs }, label);
}

export function slider(label, { min, max, step, value, oninput, format = String }) {
  const input = el('input', { type: 'range', min, max, step, value, 'aria-label': label });
  const out = el('output', {}, format(value));
  input.addEventListener('input', () => {
    out.textContent = format(Number(input.value));
    oninput(Number(input.value));
  });
  return { input, out, node: el('label', { class: 'field' }, el('span', {}, label), input, out) };
}

/* A group of toggle buttons (one pressed), arrow keys move between them. */
export function choice(label, options, value, onchange) {
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
export function palette(paper, ink) {
  const [p, q] = [rgb(paper), rgb(ink)], lut = new Uint8Array(256 * 3);
  for (let v = 0; v < 256; v++) for (let c = 0; c < 3; c++) lut[v * 3 + c] = Math.round(p[c] + ((q[c] - p[c]) * v) / 255);
  return lut;
}

const scratch = document.createElement('canvas');

/* Draws images [n, c*h*w] as a grid of `cols` columns into the rectangle
 * {x, y, w} of ctx (tiles keep the image aspect), grayscale ones through the
 * palette; returns the tile rectangles (for hit tests and highlights). */
export function drawGrid(ctx, images, shape, lut, { cols, x = 0, y = 0, w, gap = 0 }) {
  const [c, h, wi] = shape, n = images.length / (c * h * wi);
  const { width, height, data } = VAE.imagesToRGBA(images, { shape, cols, gap: 0 });
  if (c === 1)
    for (let i = 0; i < data.length; i += 4) {
      const v = data[i] * 3;
      (data[i] = lut[v]), (data[i + 1] = lut[v + 1]), (data[i + 2] = lut[v + 2]);
    }
  if (scratch.width !== width || scratch.height !== height) (scratch.width = width), (scratch.height = height);
  scratch.getContext('2d').putImageData(new ImageData(data, width, height), 0, 0);
  const tw = (w - gap * (cols - 1)) / cols, th = (tw * h) / wi, tiles = [];
  ctx.imageSmoothingEnabled = true;
  ctx.imageSmoothingQuality = 'high';
  const rows = Math.ceil(n / cols), whole = !gap && n === rows * cols; // adjacent tiles: one resample, not n (each costs)
  if (whole) ctx.drawImage(scratch, 0, 0, cols * wi, rows * h, x, y, cols * tw, rows * th);
  for (let k = 0; k < n; k++) {
    const col = k % cols, row = Math.floor(k / cols);
    const tile = { x: x + col * (tw + gap), y: y + row * (th + gap), w: tw, h: th };
    if (!whole) ctx.drawImage(scratch, col * wi, row * h, wi, h, tile.x, tile.y, tile.w, tile.h);
    tiles.push(tile);
  }
  return tiles;
}

/* Sizes canvases' backing stores to their laid-out widths (device pixels)
 * and the given height/width ratio; returns their 2-D contexts. Every write
 * comes after every read: sizing a canvas invalidates the page's layout,
 * which the next canvas's width would then force again (a layout each). */
export function fitAll(canvases, ratio) {
  const aspect = `${1 / ratio}`;
  for (const c of canvases) if (c.style.aspectRatio !== aspect) c.style.aspectRatio = aspect;
  const widths = canvases.map((c) => Math.max(1, Math.round((c.clientWidth || 300) * devicePixelRatio)));
  return canvases.map((c, i) => {
    const w = widths[i], h = Math.max(1, Math.round(w * ratio));
    if (c.width !== w || c.height !== h) (c.width = w), (c.height = h);
    return c.getContext('2d');
  });
}

export const fit = (canvas, ratio) => fitAll([canvas], ratio)[0];

/* fit() for n images of `shape` in `cols` columns, `gap` CSS px apart, with
 * `extra` CSS px below; returns the context and the gap in device pixels. */
export function fitGrid(canvas, n, cols, shape, gap = 0, extra = 0) {
  const W = canvas.clientWidth || 300, rows = Math.ceil(n / cols), tw = (W - gap * (cols - 1)) / cols;
  const ctx = fit(canvas, (rows * ((tw * shape[1]) / shape[2]) + (rows - 1) * gap + extra) / W);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  return { ctx, gap: gap * devicePixelRatio };
}

/* A button showing one image (drawn by drawTiles), for pickers. */
export function tile(image, onclick, label) {
  const canvas = el('canvas');
  return Object.assign(el('button', { type: 'button', class: 'tile', onclick, 'aria-label': label }, canvas), { canvas, image });
}

/* Draws each tile of a container at its laid-out size. */
export function drawTiles(container, shape, lut) {
  const tiles = [...container.children], contexts = fitAll(tiles.map((b) => b.canvas), shape[1] / shape[2]);
  tiles.forEach((b, i) => drawGrid(contexts[i], b.image, shape, lut, { cols: 1, w: b.canvas.width }));
}

/* Calls fn at most once per animation frame. */
export function throttle(fn) {
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

const MNIST_BOX = 20 / 28; // MNIST scales each digit into 20x20 of its 28x28 pixels

/* A canvas to draw on with mouse, pen or touch, for images of size x size
 * pixels; onchange after each stroke segment (throttled to animation frames). */
export class DrawPad {
  constructor(size, onchange, label = 'Drawing area: draw with the mouse, a pen or a finger') {
    this.size = size; // the side of the images it gives and takes
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

  /* Shows an input (size x size, 0..1) to draw over, as strokes would be: white, its value as alpha. */
  load(image) {
    const rgba = new ImageData(this.size, this.size);
    image.forEach((v, i) => rgba.data.set([255, 255, 255, v * 255], i * 4));
    scratch.width = scratch.height = this.size;
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

  /* The drawing as an MNIST-style input (centred by mass, scaled into the box). */
  input() {
    return VAE.canvasToInput(this.canvas, { size: this.size, box: Math.round(this.size * MNIST_BOX) });
  }
}
