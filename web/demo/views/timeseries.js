/* Anomalies in a time series (the "Donut" method: a VAE on sliding windows):
 * a seasonal series, its per-point scores (the mean over the windows that
 * cover a point, as `vae score --csv` gives them), a threshold above which a
 * point is flagged. The visitor can paste or drop a CSV of their own, pick
 * its column and train again; training runs in a Web Worker. The series:
 * ten years of weekly Mauna Loa CO2, detrended (data/co2.csv, which
 * build-scripts/bundle-series.mjs writes from Debian's python3-statsmodels),
 * with a spike and a level shift planted; or one made up here (series
 * "made-up", and when the build had no CO2): a day of 24 points and a week
 * as seasons, noise, a spike, a level shift and a flattened day. */
import { VAE } from '../../vae.js';
import { el, button, slider, fit } from '../ui.js';
import { View } from '../view.js';
import { remoteCall, remoteRelease, remoteSource } from '../remote.js';

export const attributes = {
  series: 'co2', // or made-up
  window: Number, // rows per model input; default 13 (a quarter of weeks) for CO2, 24 (a day) for the made-up series
  epochs: Number, // default: the library's, about 3000 steps
  seed: 1, // of the weights and the batches (and the made-up series)
  threshold: Number, // default: 30% of the way from the median score to the highest
};

const FLAGGED = '#ef4444';
let trainings = 0; // of the page: names each trained model for the demo's worker

/* 24 x 21 points: daily and weekly seasons, noise from a small LCG, and the planted anomalies. */
function madeUpSeries(seed) {
  let s = (seed * 2654435761) % 2147483647 || 1;
  const noise = () => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.25;
  const lines = ['hour,load'];
  for (let i = 0; i < 24 * 21; i++) {
    const day = Math.floor(i / 24), weekend = day % 7 >= 5;
    let v = 10 + (weekend ? 2.3 : 3) * Math.sin((2 * Math.PI * (i % 24)) / 24 - Math.PI / 2) + noise();
    if (i === 340) v += 4; // a spike
    if (i >= 200 && i < 212) v += 3; // a level shift for half a day
    if (day === 18) v = 10 + noise(); // a day without its cycle
    lines.push(`${i},${v.toFixed(3)}`);
  }
  return lines.join('\n') + '\n';
}

/* The CO2 weeks with a spike at 300 and a level shift at 400..411 planted, or null without the file. */
async function co2(folder) {
  const res = await fetch(new URL('co2.csv', folder)).catch(() => null);
  if (!res?.ok) return null;
  const lines = (await res.text()).trim().split('\n');
  return lines.map((l, i) => {
    const [date, v] = l.split(','), k = i - 1;
    return !i ? l : `${date},${(Number(v) + (k === 300 ? 3 : k >= 400 && k < 412 ? 2 : 0)).toFixed(3)}`;
  }).join('\n') + '\n';
}

export default class TimeSeriesView extends View {
  static needsModel = false;

  async setup() {
    this.chart = el('canvas', { role: 'img', 'aria-label': 'The series, the flagged points, and the scores' });
    this.text = el('textarea', { class: 'csv', rows: 5, spellcheck: 'false', 'aria-label': 'CSV text: a header row, then one row per time point' });
    const folder = new URL(this.host.getAttribute('data') || new URL('../../data/', import.meta.url).href, document.baseURI);
    const real = this.settings.series === 'co2' ? await co2(folder) : null;
    this.text.value = real ?? madeUpSeries(this.settings.seed);
    this.window = this.settings.window ?? (real ? 13 : 24);
    this.column = el('select', { 'aria-label': 'Column' });
    this.file = el('input', { type: 'file', accept: '.csv,.tsv,text/csv,text/tab-separated-values', hidden: true, onchange: () => this.readFile(this.file.files[0]) });
    this.go = button('▶ Train', () => this.train(), { class: 'primary' });
    this.progress = el('progress', { max: 1, value: 0, 'aria-label': 'Training progress' });
    this.status = el('output', { class: 'readout', 'aria-live': 'polite' });
    this.slider = slider('Threshold', { min: 0, max: 1, step: 0.001, value: 1, format: () => this.thresholdText(), oninput: (v) => this.setThreshold(v) });
    this.slider.node.classList.add('wide');
    this.text.addEventListener('input', () => this.columns());
    for (const type of ['dragover', 'drop'])
      this.root.addEventListener(type, (e) => {
        e.preventDefault();
        if (type === 'drop' && e.dataTransfer.files[0]) this.readFile(e.dataTransfer.files[0]);
      });
    this.root.append(
      el('p', { class: 'hint' }, real ? 'Ten years of weekly CO2 at Mauna Loa (detrended), with a spike at week 300 and a level shift at weeks 400–411 planted. '
        : 'A made-up load curve with a spike, a level shift and a flat day planted. ', 'A VAE learns windows of ', String(this.window),
        ' consecutive points; a point scores the mean of the windows that cover it. Above the threshold it is ', el('b', { class: 'flagged' }, 'flagged'), '.'),
      el('figure', {}, this.chart, el('figcaption', {}, el('i', { class: 'key rec' }), 'series ', el('i', { class: 'key kl' }), 'score (nats)')),
      el('div', { class: 'controls' }, this.slider.node),
      el('details', {}, el('summary', {}, 'Your own series: paste or drop a CSV'),
        this.text,
        el('div', { class: 'controls' }, el('label', { class: 'field' }, el('span', {}, 'Column'), this.column),
          button('Open a file…', () => this.file.click(), { class: 'small' }), this.file, this.go)),
      this.progress,
      this.status,
    );
    await this.columns();
    this.started = false;
  }

  async readFile(f) {
    if (!f) return;
    this.text.value = await f.text();
    this.root.querySelector('details').open = true;
    await this.columns();
    this.train();
  }

  /* The numeric columns of the text in the picker; the last one chosen (a first column is often the time). */
  async columns() {
    const text = this.text.value;
    try {
      const t = await VAE.parseCSV(text);
      if (text !== this.text.value) return;
      const keep = this.column.value;
      this.column.replaceChildren(...t.columns.map((c) => el('option', { value: c }, c)));
      this.column.value = t.columns.includes(keep) ? keep : t.columns.at(-1);
      this.preview = { values: t.column(this.column.value), name: this.column.value }; // drawn until the scores come
      this.go.disabled = false;
      this.status.textContent = this.result ? this.status.textContent : `${t.rows} rows; ready to train on column “${this.column.value}”.`;
    } catch (e) {
      this.column.replaceChildren();
      this.go.disabled = true;
      this.status.textContent = e.message;
    }
  }

  /* Cancels a running training and frees its model once the worker has let go. */
  async stop() {
    const fitting = this.fitting, model = this.table;
    this.trainer?.cancel();
    this.trainer = this.fitting = this.table = null;
    await fitting?.catch(() => {});
    model?.dispose();
  }

  async train() {
    const s = this.settings;
    this.go.disabled = true;
    await this.stop();
    try {
      const table = await VAE.parseCSV(this.text.value, { columns: [this.column.value] });
      const model = (this.table = await table.createModel({ window: this.window, seed: s.seed }));
      const trainer = (this.trainer = model.trainer({ worker: true, seed: s.seed, ...(s.epochs ? { epochs: s.epochs } : {}) }));
      trainer.on('progress', (e) => {
        this.progress.value = e.totalStep / e.totalSteps;
        this.status.textContent = `Training in a Web Worker: epoch ${e.epoch} of ${e.epochs}, loss ${e.epochLoss.toFixed(1)}`;
      });
      this.status.textContent = `Training on ${table.rows} points of “${table.columns[0]}”…`;
      await (this.fitting = trainer.fit(table));
      if (trainer !== this.trainer) return;
      const scores = await this.score(model, table), sorted = [...scores].sort((a, b) => a - b);
      if (trainer !== this.trainer) return;
      const median = sorted[sorted.length >> 1];
      this.result = { values: table.column(0), scores, name: table.columns[0], lo: sorted[0], hi: sorted.at(-1) };
      this.threshold = Math.min(this.result.hi, s.threshold ?? median + 0.3 * (this.result.hi - median));
      this.slider.input.value = (this.threshold - this.result.lo) / (this.result.hi - this.result.lo || 1);
      this.slider.out.textContent = this.thresholdText();
      this.progress.value = 1;
      this.report();
      this.host.emit('vae-trained', { flagged: this.flagged(), scores: Array.from(scores) });
    } catch (e) {
      if (e.code !== 'ABORTED') {
        this.status.textContent = e.message;
        this.host.emit('vae-error', { message: e.message });
      }
    } finally {
      this.go.disabled = false;
    }
    this.render();
  }

  /* model.score(table) in the demo's worker: the score of every window by importance sampling
   * (100 samples) was one task of about 50 ms of CPU on the page thread. */
  async score(model, table) {
    const key = `${location.href}#timeseries-${++trainings}`;
    remoteSource(key, model.toSafetensors());
    try {
      return await remoteCall(key, 'score', table.values); // its one column: the rows as the model reads them
    } finally {
      remoteRelease(key);
    }
  }

  setThreshold(v) {
    if (!this.result) return;
    this.threshold = this.result.lo + v * (this.result.hi - this.result.lo);
    this.report();
    this.render();
  }

  thresholdText() {
    return this.threshold === undefined ? '—' : `${this.threshold.toFixed(1)} nats`;
  }

  flagged() {
    return [...this.result.scores].flatMap((v, i) => (v > this.threshold ? [i] : []));
  }

  report() {
    const f = this.flagged(), { name, values } = this.result;
    this.root.dataset.flagged = f.join(',');
    this.status.textContent = `${f.length} of ${values.length} points of “${name}” flagged` +
      (f.length ? `: ${f.length > 12 ? `${f.slice(0, 12).join(', ')}, …` : f.join(', ')}` : '') + '.';
  }

  render() {
    if (!this.started) {
      this.started = true;
      queueMicrotask(() => this.train());
    }
    const ctx = fit(this.chart, 0.5), W = this.chart.width, H = this.chart.height, c = this.host.colours(), dpr = devicePixelRatio;
    ctx.fillStyle = c.panel;
    ctx.fillRect(0, 0, W, H);
    const r = this.result ?? this.preview;
    if (!r) return;
    const n = r.values.length, pad = 8 * dpr, split = H * 0.6, X = (i) => pad + ((W - 2 * pad) * i) / Math.max(1, n - 1);
    const band = (lo, hi, top, bottom) => (v) => bottom - ((bottom - top) * (v - lo)) / (hi - lo || 1);
    const vs = [...r.values], Y = band(Math.min(...vs), Math.max(...vs), pad, split - pad);
    const line = (vals, y, colour) => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = 1.5 * dpr;
      ctx.beginPath();
      vals.forEach((v, i) => (i ? ctx.lineTo(X(i), y(v)) : ctx.moveTo(X(i), y(v))));
      ctx.stroke();
    };
    line(r.values, Y, c.rec);
    ctx.fillStyle = c.muted;
    ctx.font = `${10 * dpr}px system-ui, sans-serif`;
    ctx.textAlign = 'right';
    ctx.fillText(r.name, W - pad, pad + 10 * dpr);
    if (!r.scores) return ctx.fillText('scores: training…', W - pad, split + pad + 10 * dpr);
    const S = band(r.lo, r.hi, split + pad, H - pad);
    ctx.textAlign = 'left'; // the far end is where a series' latest anomaly peaks
    ctx.fillText(`score · threshold ${this.threshold.toFixed(1)} nats`, pad, split + pad + 10 * dpr);
    ctx.fillStyle = `${FLAGGED}22`;
    ctx.fillRect(0, split + pad, W, S(this.threshold) - split - pad);
    line(r.scores, S, c.kl);
    ctx.fillStyle = FLAGGED;
    ctx.fillRect(0, S(this.threshold) - dpr / 2, W, dpr);
    for (const i of this.flagged()) {
      ctx.beginPath();
      ctx.arc(X(i), Y(r.values[i]), 2.5 * dpr, 0, 2 * Math.PI);
      ctx.fill();
    }
  }

  destroy() {
    this.stop();
  }
}
