/* The negative ELBO as an anomaly score: bundled digits against unusual
 * images (Fashion-MNIST, or made-up ones when the build had none), both
 * scores' histograms, a threshold above which an image is flagged, and a pad
 * whose drawing is scored live. */
import { el, button, slider, fit, fitGrid, drawGrid, DrawPad } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  threshold: Number, // in nats; default: the 95th percentile of the digits' scores
};

/* What each unusual image is: its label (see bundle-digits.mjs). */
const UNUSUAL_KINDS = ['T-shirt', 'trousers', 'pullover', 'dress', 'coat', 'sandal', 'shirt', 'sneaker', 'bag', 'ankle boot',
  'noise', 'inverted digit', 'shifted digit'];
const FLAGGED = '#ef4444';

const STRIP = 10; // images shown of each set
const SCORED = 200; // of each set in the histogram

export default class AnomalyView extends View {
  async setup() {
    const data = await Promise.all([this.digits(SCORED), this.host.dataSet('unusual', SCORED)]);
    const n = Math.min(...data.map((d) => d.n)), names = ['digits', 'unusual'];
    const fashion = data[1].labels.every((l) => l < 10);
    const scores = await Promise.all(names.map((name) => this.remote('score', this.data(name, n)))); // in the worker
    this.sets = data.map(({ images, labels }, k) => {
      const x = images.subarray(0, n * this.pixels);
      return {
        x, labels, scores: scores[k], key: k ? 'kl' : 'rec',
        name: k ? (fashion ? 'Fashion-MNIST items' : 'Noise, inverted and shifted digits') : 'Digits',
        kind: k ? (i) => UNUSUAL_KINDS[labels[i]] : (i) => `a ${labels[i]}`,
        canvas: el('canvas', { role: 'img' }), caption: el('figcaption'),
      };
    });
    const all = this.sets.flatMap((s) => [...s.scores]), digits = [...this.sets[0].scores].sort((a, b) => a - b);
    this.domain = [Math.min(...all) / 1.3, Math.max(...all) * 1.3];
    this.threshold = this.settings.threshold ?? digits[Math.floor(0.95 * digits.length)]; // flags 1 digit in 20
    this.histogram = el('canvas', { role: 'img', 'aria-label': 'Histogram of the scores of both sets, and the threshold' });
    this.pad = new DrawPad(this.padSize(), () => this.scoreDrawing());
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
    const n = STRIP, dpr = devicePixelRatio, c = this.host.colours(), t = this.threshold;
    const { ctx, gap } = fitGrid(set.canvas, n, n, this.shape, 4, 16);
    const tiles = drawGrid(ctx, set.x.subarray(0, n * this.pixels), this.shape, this.host.lut, { cols: n, w: set.canvas.width, gap });
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
