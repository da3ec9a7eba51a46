/* Pick a digit or draw one, corrupt it, and see what the model reconstructs
 * from the noisy image. The model attribute names the model, so a
 * denoising-trained one (mnist-dae) replaces the plain VAE in one word. */
import { el, button, slider, choice, tile, fitAll, drawGrid, drawTiles, DrawPad } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  noise: 'masking', // or gaussian, saltpepper
  amount: 0.5, // the noise's probability or σ, 0..1
  seed: 1, // of the noise
  label: 2, // the digit to start from
};

/* A clean pixel x becomes pixel(x, a, u, g) at amount a, with a uniform u
 * and a standard normal g drawn once per pixel, so moving the amount grows
 * the same noise instead of drawing new noise. */
const PICKED = 1000; // bundled digits the picker cycles through (100 or so of each)

const NOISE = {
  masking: { name: 'Masking', pixel: (x, a, u) => (u < a ? 0 : x), says: (a) => `each pixel set to 0 with probability ${a}` },
  gaussian: { name: 'Gaussian', pixel: (x, a, u, g) => Math.min(1, Math.max(0, x + a * g)), says: (a) => `a normal of σ = ${a} added to each pixel, clipped to [0, 1]` },
  saltpepper: { name: 'Salt & pepper', pixel: (x, a, u, g) => (u < a ? +(g > 0) : x), says: (a) => `each pixel set to 0 or 1 (even odds) with probability ${a}` },
};

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

export default class DenoiseView extends View {
  async setup() {
    const s = this.settings, D = this.pixels;
    this.noise = NOISE[s.noise] ? s.noise : 'masking';
    this.amount = Math.min(1, Math.max(0, s.amount));
    this.seed = s.seed;
    this.field();
    const { images, labels, n } = await this.digits(PICKED);
    this.byLabel = Array.from({ length: 10 }, () => []);
    for (let i = 0; i < n; i++) this.byLabel[labels[i]].push(images.subarray(i * D, (i + 1) * D));
    this.round = 0; // which digit of each label the picker shows
    this.pad = new DrawPad(this.padSize(), () => ((this.clean = this.pad.input()), this.press(false), this.update()), 'The clean image: draw on it');
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
        button('Clear', () => ((this.clean = new Float32Array(D)), this.pad.clear(), this.press(false), this.update()), { class: 'small' })),
      this.picker,
    );
    this.pick(Math.min(9, Math.max(0, Math.round(s.label))));
  }

  /* The uniform and the normal (Box-Muller) of each pixel for this seed. */
  field() {
    const random = uniforms(this.seed);
    this.u = Float32Array.from({ length: this.pixels }, random);
    this.g = Float32Array.from({ length: this.pixels }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
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
    const noise = NOISE[this.noise], a = this.amount, D = this.pixels;
    const noisy = this.clean.map((x, i) => noise.pixel(x, a, this.u[i], this.g[i]));
    const recon = this.model.reconstruct(noisy);
    fitAll([this.noisy, this.recon], 1).forEach((ctx, k) => drawGrid(ctx, [noisy, recon][k], this.shape, this.host.lut, { cols: 1, w: ctx.canvas.width }));
    const mse = (y) => y.reduce((sum, v, i) => sum + (v - this.clean[i]) ** 2, 0) / y.length;
    this.readout.textContent = `${noise.name} noise: ${noise.says(a.toFixed(2))}. Mean squared pixel error against the clean image: noisy ${mse(noisy).toFixed(3)}, reconstruction ${mse(recon).toFixed(3)}.`;
    const all = new Float32Array(3 * D);
    [this.clean, noisy, recon].forEach((x, k) => all.set(x, k * D));
    this.show(all);
  }
}
