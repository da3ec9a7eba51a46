/* Semi-supervised learning (Kingma et al. 2014, M1+M2): the model (an
 * unconditional VAE, "M1") maps digits to latent means; an M2 model learns
 * the classes from a few labelled digits and the rest unlabelled. Draw a
 * digit to see its class probabilities; "teach it" trains M2 in a Worker
 * and, beside it, the same classifier on the labelled digits alone. */
import { VAE } from '../../vae.js';
import { el, button, choice, fit, grouped, throttle, DrawPad } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  classifier: String, // a trained M2 on the model's latent means (vae train --m1), shown until one is taught
  labels: 100, // labelled digits to teach with: 10 or 100
  epochs: 10,
  seed: 1, // of the labels drawn, the weights and the batches
};

const HELD_OUT = 1000; // the first bundled digits: the accuracy is measured on them
const TRAIN = 5000; // the next ones: a few labelled, the rest unlabelled
// M2 on the 20 latent means, as tests/bench/m2_table.sh's M1+M2
const M2 = { model: 'm2', encoder: [200], latent: 10, likelihood: 'gaussian', sigma: 0.05, classifier: [200] };
const percent = (v) => `${(100 * v).toFixed(1)}%`;

export default class ClassifyView extends View {
  async setup() {
    const data = await this.digits(HELD_OUT + TRAIN); // (it checks that the model fits them)
    // Encoded in the demo's worker: 6,000 digits on the page thread stalled it for 150 ms of CPU.
    const mu = this.latents((await this.remote('encode', this.data('digits', HELD_OUT + TRAIN))).mu);
    const L = this.model.info.latent;
    this.features = { L, heldOut: mu.subarray(0, HELD_OUT * L), train: mu.subarray(HELD_OUT * L), labels: data.labels };
    const url = this.settings.classifier;
    if (url && !/\.safetensors$/.test(url)) throw new Error(`classifier="${url}" is not an M2 model file (.safetensors, trained with vae train --m1)`);
    if (url) this.m2 = await VAE.load(new URL(url, document.baseURI).href);
    this.example = data.images.slice(0, this.pixels); // on the pad until the visitor draws: a held-out digit
    this.count = this.settings.labels === 10 ? 10 : 100;
    this.curves = { m2: [], supervised: [] };
    this.pad = new DrawPad(this.padSize(), () => this.classifyDrawing());
    this.bars = el('canvas', { role: 'img', 'aria-label': 'Class probabilities of the drawing' });
    this.guess = el('output', { class: 'readout', 'aria-live': 'polite' });
    this.go = button('▶ Teach it', () => this.teach(), { class: 'primary' });
    this.status = el('output', { class: 'readout', 'aria-live': 'polite' });
    this.chart = el('canvas', { role: 'img', 'aria-label': 'Held-out accuracy per epoch: M2 and the supervised-only classifier' });
    this.root.append(
      el('div', { class: 'split drawn' },
        el('div', { class: 'padbox' }, this.pad.canvas, button('Clear', () => (this.pad.clear(), this.classifyDrawing()), { class: 'small' })),
        el('div', { class: 'side' }, this.guess, this.bars)),
      el('div', { class: 'controls' },
        choice('Labels', [[10, '10'], [100, '100']], this.count, (n) => (this.count = Number(n))), this.go),
      this.status,
      el('figure', {}, this.chart, el('figcaption', {}, el('i', { class: 'key rec' }), 'M2: labelled + unlabelled digits ',
        el('i', { class: 'key kl' }), 'the same classifier on the labelled digits alone')),
    );
    this.status.textContent = `Teach it: ${grouped(TRAIN)} digits, of which the labels of 10 or 100 are kept; accuracy on ${grouped(HELD_OUT)} others.`;
    this.drawChart = throttle(() => this.renderChart());
  }

  /* M2's inputs: latent means (encode's mu) mapped as vae train --m1 maps them (0.5 + mu / 8) into the unit
   * interval, where the Gaussian likelihood's means live. */
  latents(mu) {
    return mu.map((v) => Math.fround(0.5 + 0.125 * v));
  }

  /* Balanced labels drawn by seed: count/10 per class; -1 for the rest. */
  labelsToTeach() {
    const { labels } = this.features, per = this.count / 10, taken = new Array(10).fill(0);
    let state = this.settings.seed >>> 0 || 1;
    const order = Array.from({ length: TRAIN }, (_, i) => i);
    for (let i = TRAIN - 1; i > 0; i--) {
      state = (state * 1103515245 + 12345) >>> 0;
      const j = state % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    const out = new Int32Array(TRAIN).fill(-1);
    for (const i of order) {
      const y = labels[HELD_OUT + i];
      if (taken[y] < per) (taken[y]++, (out[i] = y));
    }
    return out;
  }

  async accuracy(weights) {
    const m = await VAE.load(weights);
    try {
      const p = await m.classify(this.features.heldOut);
      let right = 0;
      for (let i = 0; i < HELD_OUT; i++) {
        const row = p.subarray(i * 10, i * 10 + 10);
        right += row.indexOf(Math.max(...row)) === this.features.labels[i];
      }
      return right / HELD_OUT;
    } finally {
      m.dispose();
    }
  }

  /* Trains a fresh M2 in a Worker; its held-out accuracy after each epoch goes to curve. */
  async trainOne(images, labels, curve) {
    const { L } = this.features, seed = this.settings.seed;
    const model = await VAE.create({ ...M2, imageShape: [1, 1, L], classes: 10, seed });
    const steps = Math.ceil(labels.length / 100), pending = [];
    const trainer = model.trainer({ worker: true, epochs: this.settings.epochs, batchSize: 100, lr: 3e-3, alpha: 1, seed, snapshotEvery: steps });
    trainer.on('snapshot', (e) => pending.push(this.accuracy(e.weights).then((a) => ((curve[e.epoch - 1] = a), this.drawChart()))));
    try {
      await trainer.fit({ images, labels });
      await Promise.all(pending);
      return model;
    } catch (e) {
      model.dispose();
      throw e;
    }
  }

  async teach() {
    this.go.disabled = true;
    this.curves = { m2: [], supervised: [] };
    this.drawChart();
    try {
      const labels = this.labelsToTeach(), { L, train } = this.features;
      // As vae train --model m2 cycles them: as many labelled digits (repeated) as unlabelled ones in
      // M2's set; the baseline sees the labelled digits alone, repeated to as many steps per epoch.
      const kept = [...labels.keys()].filter((i) => labels[i] >= 0), copies = Math.round((TRAIN - kept.length) / kept.length);
      const repeated = (times) => {
        const x = new Float32Array(times * kept.length * L), y = new Int32Array(times * kept.length);
        for (let c = 0, k = 0; c < times; c++) for (const i of kept) (x.set(train.subarray(i * L, (i + 1) * L), k * L), (y[k++] = labels[i]));
        return { x, y };
      };
      const lab = repeated(copies), sup = repeated(2 * copies);
      const mixed = new Float32Array(train.length + lab.x.length), mixedLabels = new Int32Array(TRAIN + lab.y.length).fill(-1);
      mixed.set(train), mixed.set(lab.x, train.length), mixedLabels.set(lab.y, TRAIN);
      this.status.textContent = `Training M2 and the supervised-only classifier on ${this.count} labels, in Workers…`;
      const started = performance.now();
      const [m2, supervised] = await Promise.all([
        this.trainOne(mixed, mixedLabels, this.curves.m2),
        this.trainOne(sup.x, sup.y, this.curves.supervised),
      ]);
      supervised.dispose();
      this.m2?.dispose();
      this.m2 = m2;
      const a = this.curves.m2.at(-1), b = this.curves.supervised.at(-1);
      this.status.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s: held-out accuracy ${percent(a)} with the unlabelled digits, ${percent(b)} without. Draw a digit to try it.`;
      this.host.emit('vae-trained', { labels: this.count, m2: this.curves.m2, supervised: this.curves.supervised });
      this.classifyDrawing();
    } catch (e) {
      this.status.textContent = `Training failed: ${e.message}`;
    } finally {
      this.go.disabled = false;
    }
  }

  async classifyDrawing() {
    const ctx = fit(this.bars, 0.6), W = this.bars.width, H = this.bars.height, s = this.host.colours(), dpr = devicePixelRatio;
    ctx.fillStyle = s.panel;
    ctx.fillRect(0, 0, W, H);
    if (!this.m2) return void (this.guess.textContent = 'Teach it first (below), then draw a digit.');
    if (!this.pad.dirty) return void (this.guess.textContent = 'Draw a digit in the box.');
    const p = await this.m2.classify(this.latents(this.model.encode(this.pad.input()).mu)), best = p.indexOf(Math.max(...p));
    this.guess.textContent = `Looks like a ${best} (${percent(p[best])}).`;
    const bw = W / 10;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    p.forEach((v, k) => {
      ctx.fillStyle = k === best ? s.rec : s.kl;
      ctx.fillRect(k * bw + 3 * dpr, (H - 18 * dpr) * (1 - v), bw - 6 * dpr, (H - 18 * dpr) * v);
      ctx.fillStyle = s.muted;
      ctx.fillText(String(k), k * bw + bw / 2 - 3 * dpr, H - 4 * dpr);
    });
  }

  /* Accuracy (0..100%) per epoch of both classifiers. */
  renderChart() {
    const ctx = fit(this.chart, 0.5), W = this.chart.width, H = this.chart.height, s = this.host.colours(), dpr = devicePixelRatio;
    ctx.fillStyle = s.panel;
    ctx.fillRect(0, 0, W, H);
    ctx.fillStyle = s.muted;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillText('held-out accuracy per epoch', 8 * dpr, 15 * dpr);
    const pad = 8 * dpr, head = 22 * dpr, n = this.settings.epochs;
    const X = (i) => pad + ((W - 2 * pad) * (i + 1)) / n, Y = (v) => H - pad - (H - pad - head) * v;
    ctx.strokeStyle = s.grid;
    ctx.lineWidth = dpr;
    for (const v of [0.25, 0.5, 0.75, 1]) {
      ctx.beginPath();
      ctx.moveTo(pad, Y(v)), ctx.lineTo(W - pad, Y(v));
      ctx.stroke();
      ctx.fillText(`${v * 100}%`, W - pad - 30 * dpr, Y(v) - 3 * dpr);
    }
    for (const [curve, colour] of [[this.curves.supervised, s.kl], [this.curves.m2, s.rec]]) {
      ctx.strokeStyle = ctx.fillStyle = colour;
      ctx.lineWidth = 2 * dpr;
      ctx.beginPath();
      curve.forEach((v, i) => ctx.lineTo(X(i), Y(v)));
      ctx.stroke();
      curve.forEach((v, i) => ctx.fillRect(X(i) - 2 * dpr, Y(v) - 2 * dpr, 4 * dpr, 4 * dpr));
    }
  }

  render() {
    if (this.pad.resize() || !this.pad.dirty) this.pad.load(this.example);
    this.classifyDrawing();
    this.renderChart();
  }

  destroy() {
    this.m2?.dispose();
  }
}
