/* The 2-D latent plane: encoded digits as coloured dots, the decoded image
 * of the point under the pointer (or moved with the arrow keys). */
import { el, fit, drawGrid, throttle } from '../ui.js';
import { View } from '../view.js';
import { remoteCall, remotePlane } from '../remote.js';
import { LABEL_COLOURS, paintPlane } from '../plane.js';

export const attributes = {
  dims: [0, 1], // the two latent dimensions of the plane
  range: 3, // half-width of the plane
  points: 3000, // bundled digits encoded as dots (a full model of their shape)
  encoder: String, // URL of the full model whose encoder places the dots; default: the model, when it has an encoder
  label: 0, // a conditional model's label
};

export default class ExplorerView extends View {
  async setup() {
    const s = this.settings, L = this.model.info.latent;
    this.range = s.range;
    this.dims = s.dims.map((d) => Math.min(L - 1, Math.max(0, d)));
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
    // The first picture needs only the decoder: the dots follow from the worker.
    const encoder = s.encoder ? new URL(s.encoder, document.baseURI).href : !this.model.info.decoderOnly && this.host.modelURL;
    if (encoder) this.encodePoints(encoder).catch((e) => this.live && this.legend.replaceChildren(`(No test digits to plot: ${e.message}.)`));
    this.live = true;
  }

  /* Encodes the first bundled digits (their means) in the demo's worker, for the background. */
  async encodePoints(encoder) {
    const data = await this.host.dataSet('digits', this.settings.points), { labels, n } = data;
    if (!this.fits(data)) return; // not a digit model: a bare plane
    const set = [this.host.dataFolder, 'digits', n];
    const { mu } = await remoteCall(encoder, 'encode', { $data: set }, { labels: this.model.info.classes ? { $labels: set } : undefined });
    if (!this.live) return;
    this.points = { mu, labels, n, L: this.model.info.latent };
    this.legend.replaceChildren(...LABEL_COLOURS.map((colour, i) =>
      el('span', {}, el('i', { style: `background:${colour}` }), String(i))));
    this.background = null;
    this.placed = false;
    this.host.render();
  }

  destroy() {
    this.live = false;
  }

  /* The plane's grid and dots, drawn once per size: the grid here at once
   * (with the last size's dots scaled), grid and dots in the demo's worker
   * (plane.js), which replace it when they come. */
  drawBackground(size) {
    const bg = Object.assign(document.createElement('canvas'), { width: size, height: size }), ctx = bg.getContext('2d');
    const s = this.host.colours(), last = this.background;
    const plane = { size, range: this.range, dims: this.dims, panel: s.panel, grid: s.grid, dpr: devicePixelRatio };
    paintPlane(ctx, { ...plane, points: null });
    if (last) ctx.drawImage(last, 0, 0, size, size);
    this.background = bg;
    if (!this.points) return;
    remotePlane({ ...plane, points: this.points }).then((bitmap) => {
      if (!this.live || this.background !== bg) return bitmap.close(); // a newer size (or view) meanwhile
      this.background = bitmap;
      this.host.render();
      if (!this.placed) (this.placed = true), this.host.emit('vae-points', { n: this.points.n });
    }, (e) => this.live && this.legend.replaceChildren(`(The dots could not be drawn: ${e.message}.)`));
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
    drawGrid(fit(this.image, h / w), image, this.shape, this.host.lut, { cols: 1, w: this.image.width });
    const [a, b] = this.dims;
    this.readout.textContent = `z${a} = ${this.z[a].toFixed(2)}, z${b} = ${this.z[b].toFixed(2)}`;
    this.plane.setAttribute('aria-valuetext', this.readout.textContent);
    this.show(image);
  }
}
