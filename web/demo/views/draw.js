/* Draw; see the reconstruction and the negative ELBO as an anomaly score,
 * measured against the scores of real digits. */
import { el, button, fit, drawGrid, DrawPad } from '../ui.js';
import { View } from '../view.js';

export const attributes = {};

export default class DrawView extends View {
  async setup() {
    this.pad = new DrawPad(this.padSize(), () => this.update());
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
    this.typical = null; // without the bundled digits (or for a model of other images): the score alone
    const data = await this.host.dataSet('digits', 0).catch(() => null);
    if (data && this.fits(data)) {
      const s = Array.from(await this.remote('score', this.data('digits', 500))).sort((a, b) => a - b); // in the worker
      this.typical = s[250];
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
