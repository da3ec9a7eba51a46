/* Training in a Web Worker: from scratch on the bundled digits, or
 * fine-tuning the given model (the model attribute, optional here) on
 * digits the visitor draws. */
import { VAE } from '../../vae.js';
import { el, button, choice, fit, grouped, fitGrid, drawGrid, throttle, DrawPad } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  mode: 'scratch', // or finetune (with a model)
  epochs: Number, // default: 10 from scratch, 20 fine-tuning
  seed: 1, // of the fresh weights and the batches
};

const SAMPLES = 16;
const ARCH = { encoder: [256], latent: 10 }; // small: an epoch takes seconds
// Digits trained on from scratch. WorkerTrainer.fit checks and copies the
// whole set to the worker in one main-thread task; 6,000 keeps that task
// (and so the longest frame) short even on a busy machine.
const DIGITS = 6000;
const epochs = (n) => `${n} epoch${n === 1 ? '' : 's'}`;

/* Resolves after the next frame is drawn: long set-up work split by these
 * keeps the page's animations going. */
const nextFrame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r)));

export default class TrainView extends View {
  static needsModel = false;

  async setup() {
    const s = this.settings;
    this.mode = this.model ? s.mode : 'scratch';
    this.epochs = s.epochs ?? (this.mode === 'scratch' ? 10 : 20);
    this.digitData = await this.host.dataSet('digits', 0); // their shape; the digits come with the first training
    this.drawn = [];
    this.history = [];
    this.pad = new DrawPad(this.model ? this.padSize() : this.digitData.rows, () => {}, 'Draw a digit to add to your training set');
    this.thumbs = el('canvas', { class: 'thumbs', role: 'img', 'aria-label': 'Your digits' });
    this.finetune = el('div', { class: 'finetune' },
      el('div', { class: 'padbox' }, this.pad.canvas,
        el('div', { class: 'controls' }, button('Add digit', () => this.addDrawn(), { class: 'small' }), button('Clear', () => this.pad.clear(), { class: 'small' }))),
      el('div', { class: 'side' }, el('p', { class: 'muted small' }, 'Draw a few digits in your own hand and add each one; fine-tuning teaches the pretrained model your style.'), this.thumbs));
    this.modeChoice = choice('What to train', [['scratch', `New VAE on ${grouped(DIGITS)} digits`], ['finetune', 'Fine-tune on your digits']], this.mode, (m) => this.setMode(m));
    this.go = button('▶ Train', () => this.train(), { class: 'primary' });
    this.pauseButton = button('Pause', () => this.pauseResume(), { disabled: true });
    this.cancelButton = button('Cancel', () => this.trainer?.cancel(), { disabled: true });
    this.download = el('a', { class: 'button', download: 'my-vae.safetensors', 'aria-disabled': 'true' }, '⤓ Download .safetensors');
    this.progress = el('progress', { max: 1, value: 0, 'aria-label': 'Training progress' });
    this.status = el('output', { class: 'readout', 'aria-live': 'polite' });
    this.chart = el('canvas', { role: 'img', 'aria-label': 'Loss per step: reconstruction and KL' });
    this.samples = el('canvas', { role: 'img', 'aria-label': 'Samples from the model as it learns' });
    this.root.append(
      this.model ? this.modeChoice : null,
      this.finetune,
      el('div', { class: 'controls' }, this.go, this.pauseButton, this.cancelButton, this.download),
      this.progress,
      this.status,
      el('div', { class: 'split even' },
        el('figure', {}, this.chart, el('figcaption', {}, el('i', { class: 'key rec' }), 'reconstruction ', el('i', { class: 'key kl' }), 'KL (stacked: their sum is the loss)')),
        el('figure', {}, this.samples, el('figcaption', {}, 'Samples, refreshed as it learns'))),
    );
    this.setMode(this.mode);
    this.drawChart = throttle(() => this.renderChart());
  }

  setMode(mode) {
    this.mode = mode;
    this.finetune.hidden = mode !== 'finetune';
    this.status.textContent = mode === 'scratch'
      ? `Ready: a new ${this.digitData.rows * this.digitData.cols}-${ARCH.encoder}-${ARCH.latent} VAE, ${epochs(this.epochs)} over ${grouped(DIGITS)} handwritten digits, in a Web Worker.`
      : `Ready: fine-tunes ${this.host.getAttribute('model').replace(/^.*\//, '')} for ${epochs(this.epochs)} on the digits you add.`;
    this.host.render();
  }

  addDrawn() {
    if (!this.pad.dirty) return;
    this.drawn.push(this.pad.input());
    this.pad.clear();
    this.renderThumbs();
  }

  renderThumbs() {
    const cols = 8, { ctx, gap } = fitGrid(this.thumbs, Math.max(1, this.drawn.length), cols, this.shape, 2);
    if (!this.drawn.length) return;
    const all = new Float32Array(this.drawn.length * this.pixels);
    this.drawn.forEach((d, i) => all.set(d, i * this.pixels));
    drawGrid(ctx, all, this.shape, this.host.lut, { cols, w: this.thumbs.width, gap });
  }

  /* The first DIGITS bundled digits (parsed in the demo's worker). */
  async digitSet() {
    this.digitCopy ??= { images: (await this.host.dataSet('digits', DIGITS)).images };
    return this.digitCopy;
  }

  /* Each drawn digit shifted by up to one pixel (9 copies), so a handful is enough to fine-tune on. */
  drawnSet() {
    const [, h, w] = this.shape, D = this.pixels, out = new Float32Array(this.drawn.length * 9 * D);
    let k = 0;
    for (const d of this.drawn)
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++, k++)
          for (let y = 0; y < h; y++)
            for (let x = 0; x < w; x++) {
              const sx = x - dx, sy = y - dy;
              if (sx >= 0 && sx < w && sy >= 0 && sy < h) out[k * D + y * w + x] = d[sy * w + sx];
            }
    return { images: out };
  }

  setRunning(running) {
    this.go.disabled = running;
    this.pauseButton.disabled = this.cancelButton.disabled = !running;
    this.pauseButton.textContent = 'Pause';
    for (const b of this.root.querySelectorAll('.choice button, .finetune button')) b.disabled = running;
  }

  async train() {
    const scratchMode = this.mode === 'scratch';
    if (!scratchMode && !this.drawn.length) {
      this.status.textContent = 'Draw a digit and press “Add digit” first (a few digits work best).';
      return;
    }
    this.setRunning(true);
    this.history = [];
    this.setDownload(null);
    this.status.textContent = scratchMode ? 'Loading the digits…' : 'Loading the model…';
    try {
      const data = scratchMode ? await this.digitSet() : this.drawnSet();
      await nextFrame();
      const { rows, cols } = this.digitData, seed = this.settings.seed;
      const model = scratchMode ? await VAE.create({ ...ARCH, imageShape: [1, rows, cols], seed }) : await VAE.load(this.host.modelURL);
      this.trained?.dispose();
      this.trained = model;
      this.z = await VAE.randomNormal(SAMPLES * model.info.latent, 7);
      this.preview(null);
      await nextFrame();
      const n = data.images.length / model.info.imageShape.reduce((a, b) => a * b), batchSize = scratchMode ? 128 : Math.min(8, n);
      const steps = Math.ceil(n / batchSize);
      this.trainer = model.trainer({
        worker: true, epochs: this.epochs, batchSize, lr: scratchMode ? 2e-3 : 3e-4, seed,
        snapshotEvery: Math.max(1, Math.round(steps / 3)),
      });
      this.trainer.on('progress', (e) => this.onProgress(e));
      this.trainer.on('snapshot', (e) => this.preview(e.weights));
      this.status.textContent = 'Starting the worker…';
      const started = performance.now();
      await this.trainer.fit(data);
      const last = this.history.at(-1);
      this.status.textContent = `Done: ${epochs(this.epochs)} in ${((performance.now() - started) / 1000).toFixed(1)} s, final loss ${last?.loss.toFixed(1)} nats.`;
      this.host.emit('vae-trained', { loss: last?.loss, history: this.history });
    } catch (e) {
      this.status.textContent = e.code === 'ABORTED' ? 'Cancelled: the weights so far are kept.' : `Training failed: ${e.message}`;
    } finally {
      this.setRunning(false);
      this.trainer = null;
      if (this.trained && !this.trained.disposed) {
        this.preview(null);
        this.setDownload(this.trained.toSafetensors());
      }
    }
  }

  pauseResume() {
    if (!this.trainer) return;
    const paused = this.trainer.state === 'paused';
    paused ? this.trainer.resume() : this.trainer.pause();
    this.pauseButton.textContent = paused ? 'Pause' : 'Resume';
    this.status.textContent = paused ? 'Resuming…' : 'Paused.';
  }

  setDownload(bytes) {
    if (this.url) URL.revokeObjectURL(this.url);
    this.url = bytes ? URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' })) : null;
    if (this.url) this.download.href = this.url;
    else this.download.removeAttribute('href');
    this.download.setAttribute('aria-disabled', String(!bytes));
  }

  onProgress(e) {
    this.history.push({ loss: e.loss, reconstruction: e.reconstruction, kl: e.kl });
    this.totalSteps = e.totalSteps;
    this.progress.value = e.totalStep / e.totalSteps;
    if (this.trainer?.state === 'running')
      this.status.textContent = `Epoch ${e.epoch}/${e.epochs} · loss ${e.loss.toFixed(1)} · ${grouped(Math.round(e.imagesPerSecond))} images/s · ${e.eta.toFixed(0)} s left`;
    this.host.emit('vae-progress', e);
    this.drawChart();
  }

  /* Samples of the latest weights (a snapshot, or the model itself with
   * null); a snapshot arriving while one is drawn replaces the queued one. */
  async preview(weights) {
    if (!weights) return this.renderSamples(this.trained);
    const busy = this.queued !== undefined;
    this.queued = weights;
    if (busy) return;
    try {
      while (this.queued) {
        const bytes = this.queued;
        this.queued = null;
        const m = await VAE.load(bytes);
        try {
          this.renderSamples(m);
        } finally {
          m.dispose();
        }
      }
    } finally {
      this.queued = undefined;
    }
  }

  renderSamples(model) {
    const shape = model?.info.imageShape ?? [1, this.digitData.rows, this.digitData.cols];
    const { ctx, gap } = fitGrid(this.samples, SAMPLES, 4, shape, 2);
    if (!model || model.disposed || !this.z) return this.panel(ctx, 'Samples appear here as it learns.');
    const images = model.decode(this.z);
    drawGrid(ctx, images, shape, this.host.lut, { cols: 4, w: this.samples.width, gap });
    this.host.shown = { images, shape };
  }

  /* Fills the canvas with the panel colour and a line of text; leaves the text style set. */
  panel(ctx, text) {
    const c = this.host.colours(), dpr = devicePixelRatio;
    ctx.fillStyle = c.panel;
    ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
    ctx.fillStyle = c.muted;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    ctx.fillText(text, 8 * dpr, 18 * dpr);
  }

  /* Stacked areas of the smoothed KL (bottom) and reconstruction per step,
   * over the whole run's steps, with a line at every 100 nats. */
  renderChart() {
    const ctx = fit(this.chart, 1), W = this.chart.width, H = this.chart.height, s = this.host.colours(), dpr = devicePixelRatio;
    const hist = this.history;
    this.panel(ctx, hist.length < 2 ? 'The loss appears here as it trains.' : '');
    if (hist.length < 2) return;
    let r = hist[0].reconstruction, k = hist[0].kl;
    const smooth = hist.map((e) => ((r += 0.15 * (e.reconstruction - r)), (k += 0.15 * (e.kl - k)), [r, k]));
    const top = Math.max(...smooth.slice(Math.min(5, smooth.length - 1)).map(([a, b]) => a + b)) * 1.1;
    const pad = 6 * dpr, head = 22 * dpr, steps = Math.max(this.totalSteps ?? 0, smooth.length) - 1;
    const X = (i) => pad + ((W - 2 * pad) * i) / steps, Y = (v) => H - pad - ((H - pad - head) * Math.min(v, top)) / top;
    ctx.fillText(`loss (nats) · last ${(smooth.at(-1)[0] + smooth.at(-1)[1]).toFixed(1)}`, 8 * dpr, 15 * dpr);
    ctx.strokeStyle = s.grid;
    ctx.lineWidth = dpr;
    for (let v = 100; v < top; v += 100) {
      ctx.beginPath();
      ctx.moveTo(pad, Y(v)), ctx.lineTo(W - pad, Y(v));
      ctx.stroke();
      ctx.fillText(String(v), W - pad - 24 * dpr, Y(v) - 3 * dpr);
    }
    const area = (lo, hi, colour) => {
      ctx.beginPath();
      smooth.forEach((p, i) => ctx.lineTo(X(i), Y(hi(p))));
      for (let i = smooth.length - 1; i >= 0; i--) ctx.lineTo(X(i), Y(lo(smooth[i])));
      ctx.closePath();
      ctx.fillStyle = colour;
      ctx.fill();
    };
    ctx.globalAlpha = 0.85;
    area(() => 0, ([, b]) => b, s.kl);
    area(([, b]) => b, ([a, b]) => a + b, s.rec);
    ctx.globalAlpha = 1;
  }

  render() {
    this.renderChart();
    this.renderSamples(this.trained);
    if (this.mode === 'finetune') {
      this.pad.resize();
      this.renderThumbs();
    }
  }

  destroy() {
    this.trainer?.cancel();
    this.trained?.dispose();
    if (this.url) URL.revokeObjectURL(this.url); // (also after a setup that failed before the link existed)
  }
}
