/* Mark model samples that show a trait and ones that don't; the difference
 * of their mean latents moves any face along the trait. */
import { VAE } from '../../vae.js';
import { el, button, slider, tile, fitGrid, drawGrid, drawTiles } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  count: 18, // samples to mark
  seed: 1,
  with: [], // indices of samples marked as having the trait
  without: [], // and as lacking it
  amount: 1, // multiple of the trait vector added at the strip's end
  label: 0, // a conditional model's label
};

export default class AttributesView extends View {
  async setup() {
    const s = this.settings, L = this.model.info.latent;
    if (this.model.info.decoderOnly) throw new Error('the attributes view needs a full model (with its encoder)');
    this.count = s.count;
    this.seed = s.seed;
    this.baseSeed = null; // null: the first sample marked 'lacks' (until "another base")
    this.alpha = s.amount;
    this.marks = new Map([...s.with.map((i) => [i, 'with']), ...s.without.map((i) => [i, 'without'])]);
    this.z = await VAE.randomNormal(this.count * L, this.seed);
    this.images = await this.remote('decode', this.z, { label: this.label() }); // in the demo's worker: conv faces take long
    this.tiles = el('div', { class: 'tiles' });
    const D = this.pixels;
    for (let i = 0; i < this.count; i++) {
      const b = tile(this.images.subarray(i * D, (i + 1) * D), () => this.toggle(i, b));
      this.tiles.append(b);
      this.mark(i, b);
    }
    this.strip = el('canvas', { role: 'img', 'aria-label': 'A sample moved along the trait vector' });
    this.note = el('p', { class: 'muted small' });
    this.caption = el('p', { class: 'muted small' });
    const amount = slider('Amount', { min: -2, max: 3, step: 0.1, value: this.alpha, oninput: (v) => ((this.alpha = v), this.renderStrip()) });
    this.root.append(
      el('p', { class: 'hint' }, 'Click samples to mark them: once = ', el('b', { class: 'with' }, 'has the trait'), ', twice = ', el('b', { class: 'without' }, 'lacks it'), '.'),
      this.tiles,
      this.note,
      el('figure', {}, this.strip, this.caption),
      el('div', { class: 'controls' }, amount.node, button('↻ Another base', () => ((this.baseSeed = Math.floor(Math.random() * 2 ** 31)), this.update()))),
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
    const asked = (this.asked = (this.asked ?? 0) + 1), D = this.pixels, pick = (m) => {
      const list = [...this.marks].filter(([, v]) => v === m).map(([i]) => i);
      const out = new Float32Array(list.length * D);
      list.forEach((i, k) => out.set(this.images.subarray(i * D, (i + 1) * D), k * D));
      return out;
    };
    const yes = pick('with'), no = pick('without');
    const labels = this.model.info.classes ? { withLabels: this.label(), withoutLabels: this.label() } : undefined;
    const vector = yes.length && no.length ? await this.remote('attributeVector', yes, no, labels) : null;
    if (asked !== this.asked) return; // marks changed meanwhile
    this.vector = vector;
    this.note.textContent = this.vector
      ? `Trait vector: mean latent of ${yes.length / D} marked “has” minus ${no.length / D} marked “lacks”.`
      : 'Mark at least one sample of each kind to get a trait vector.';
    const L = this.model.info.latent, lacking = [...this.marks].find(([, m]) => m === 'without')?.[0];
    this.base = this.baseSeed === null && lacking !== undefined
      ? this.z.slice(lacking * L, (lacking + 1) * L)
      : await VAE.randomNormal(L, this.baseSeed ?? this.seed + 1000);
    if (asked === this.asked) await this.renderStrip();
  }

  render() {
    drawTiles(this.tiles, this.shape, this.host.lut);
    this.renderStrip();
  }

  /* The base face at amounts 0 .. alpha in five steps (decoded in the demo's worker; a redraw reuses them). */
  async renderStrip() {
    if (!this.base) return;
    const L = this.model.info.latent, n = 5, key = [this.base, this.vector, this.alpha];
    if (this.strip.key?.some((v, i) => v !== key[i]) ?? true) {
      this.strip.key = key;
      const z = new Float32Array(n * L);
      for (let k = 0; k < n; k++)
        for (let j = 0; j < L; j++) z[k * L + j] = this.base[j] + (this.vector ? (this.alpha * k * this.vector[j]) / (n - 1) : 0);
      const images = await this.remote('decode', z, { label: this.label() });
      if (this.strip.key !== key) return; // a newer strip was asked for meanwhile
      this.strip.images = images;
    }
    const images = this.strip.images;
    if (!images) return; // still decoding
    const { ctx, gap } = fitGrid(this.strip, n, n, this.shape, 3);
    drawGrid(ctx, images, this.shape, this.host.lut, { cols: n, w: this.strip.width, gap });
    const base = this.baseSeed === null && [...this.marks.values()].includes('without') ? 'The first sample marked “lacks”' : 'A new sample';
    this.caption.textContent = this.vector ? `${base} plus 0 to ${this.alpha} times the trait vector, left to right.` : `${base}.`;
    this.show(images);
  }
}
