/* A conditional model: pick a label and see its styles; draw one and see
 * your style with every label. */
import { el, button, choice, fitGrid, drawGrid, DrawPad } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  label: 0, // the label picked first
  seed: 1,
  temperature: 0.8, // below 1: the prior's tails draw ambiguous digits
};

export default class ConditionalView extends View {
  async setup() {
    const classes = this.model.info.classes;
    if (!classes) throw new Error('the conditional view needs a conditional model (trained with labels)');
    this.digit = this.label();
    this.seed = this.settings.seed;
    this.styles = el('canvas', { role: 'img', 'aria-label': 'Styles of the chosen digit' });
    this.pad = new DrawPad(this.padSize(), () => this.redraw());
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
    const cols = 8, rows = 3, images = this.model.sample(cols * rows, { seed: this.seed, temperature: this.settings.temperature, label: this.digit });
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
