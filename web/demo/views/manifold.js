/* The learned manifold of Kingma & Welling: a grid over two latent
 * dimensions, spaced by the prior's quantiles. */
import { el, choice, fit, drawGrid } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  grid: 16, // images per side
  dims: [0, 1], // the two latent dimensions (a model with more offers a choice)
  range: [0.03, 0.97], // the probability interval the grid spans
  label: 0, // a conditional model's label
};

export default class ManifoldView extends View {
  async setup() {
    const s = this.settings, L = this.model.info.latent;
    this.grid = s.grid;
    this.dims = [...s.dims];
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
    const images = this.model.manifold(this.grid, { dims: this.dims, range: this.settings.range, label: this.label() });
    const [, h, w] = this.shape;
    drawGrid(fit(this.canvas, h / w), images, this.shape, this.host.lut, { cols: this.grid, w: this.canvas.width });
    this.show(images);
  }
}
