/* Random points of the prior, decoded: a seed, a temperature, a re-roll. */
import { el, button, slider, fitGrid, drawGrid } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  seed: 1,
  temperature: 1, // scales the points: low is safe and blurry, high bold and strange
  cols: 6, // a conditional model shows one column per label instead
  rows: Number, // default: as many as columns (4 for a conditional model)
};

export default class SamplesView extends View {
  async setup() {
    const s = this.settings, classes = this.model.info.classes;
    this.seed = s.seed;
    this.temperature = s.temperature;
    this.cols = classes || s.cols;
    this.rows = s.rows ?? (classes ? 4 : this.cols);
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
