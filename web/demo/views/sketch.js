/* A sketch model (vae train --strokes; SketchRNN on Chinese characters):
 * characters it invents, drawn stroke by stroke, at a temperature, new ones
 * on request; and a pad where the reader starts a character and the model
 * finishes it (complete). The sampling runs in the demo's worker. */
import { el, button, slider, fit, fitAll } from '../ui.js';
import { View } from '../view.js';
import { BOX, EPSILON, rdp } from '../hanzi.js';
import { Animator, boxAround, checkSketchModel, ink, head, tail, latest, paintCharacter } from '../strokes.js';

export const attributes = {
  seed: 1, // of the first invented character; the others' follow
  temperature: 0.4, // of the drawn points: 0 takes the likeliest, high is wild
  count: 8, // invented characters (1..24)
};

const MARGIN = 0.06; // of the pad around the em box
const ROOM = 8; // points left to the model after the reader's strokes
const START = 'Draw a stroke or two in the box, in the order you would write them, then press Finish it.';

export default class SketchView extends View {
  static defaultModel = 'models/hanzi-sketch-vae.safetensors'; // next to vae-demo.js, where build-demo.sh puts it

  async setup() {
    const s = this.settings;
    checkSketchModel(this);
    this.seed = Math.max(0, Math.round(s.seed));
    this.temperature = Math.min(1.5, Math.max(0, s.temperature)); // the slider's range
    this.count = Math.min(24, Math.max(1, Math.round(s.count)));
    this.finishSeed = this.seed;
    this.strokes = []; // the reader's, simplified, in the model's units
    this.completion = null;
    this.animator = new Animator(() => this.busy());
    this.generate = latest((stale) => this.sample(stale), (on) => ((this.generating = on), this.busy()));
    this.tiles = Array.from({ length: this.count }, (_, i) => el('canvas', { class: 'paper', role: 'img', 'aria-label': `Invented character ${i + 1}` }));
    const temp = slider('Temperature', { min: 0, max: 1.5, step: 0.05, value: this.temperature, format: (v) => v.toFixed(2),
      oninput: (v) => ((this.temperature = v), this.generate()) });
    this.pad = el('canvas', { class: 'pad', role: 'img', 'aria-label': 'Drawing area: start a character with the mouse, a pen or a finger' });
    this.finishButton = button('Finish it', () => this.finish(), { class: 'primary', disabled: true });
    this.againButton = button('↻ Another ending', () => ((this.finishSeed = Math.floor(Math.random() * 2 ** 31)), this.finish()), { disabled: true });
    this.clearButton = button('Clear', () => this.clear(), { disabled: true });
    this.status = el('p', { class: 'note', role: 'status', 'aria-label': 'Completion status' }, START);
    this.root.append(
      el('div', { class: 'inkgrid', 'aria-label': 'Characters the model invents' }, ...this.tiles),
      el('div', { class: 'controls' },
        button('↻ New characters', () => ((this.seed = Math.floor(Math.random() * 2 ** 31)), this.generate()), { class: 'primary' }),
        temp.node),
      el('h4', {}, 'Start a character; the model finishes it'),
      el('div', { class: 'split drawn' }, this.pad,
        el('div', { class: 'side' }, this.status, el('div', { class: 'controls' }, this.finishButton, this.againButton, this.clearButton),
          el('p', { class: 'legend' }, el('span', {}, el('i', { class: 'ink' }), 'your strokes'), el('span', {}, el('i', { class: 'accent' }), 'the model\'s')))),
    );
    this.listen();
    await this.generate();
  }

  /* True while characters are sampled or drawn (aria-busy, for readers and tests). */
  busy() {
    const on = this.generating || this.animator.busy;
    if (on) this.root.setAttribute('aria-busy', 'true');
    else this.root.removeAttribute('aria-busy');
  }

  /* The pad's pointer strokes, kept in the model's units (the em box, y down). */
  listen() {
    let live = null;
    const point = (e) => {
      const r = this.pad.getBoundingClientRect(), size = BOX[2] - BOX[0];
      const u = (e.clientX - r.left) / r.width, v = (e.clientY - r.top) / r.height;
      return [BOX[0] + ((u - MARGIN) / (1 - 2 * MARGIN)) * size, BOX[1] + ((v - MARGIN) / (1 - 2 * MARGIN)) * size];
    };
    this.pad.addEventListener('pointerdown', (e) => {
      this.pad.setPointerCapture(e.pointerId);
      this.completion = null; // drawing on goes on from the reader's strokes
      this.animator.forget(this.pad);
      live = [point(e)];
      this.drawPad(live);
    });
    this.pad.addEventListener('pointermove', (e) => {
      if (!live) return;
      live.push(point(e));
      this.drawPad(live);
    });
    const end = () => {
      if (!live) return;
      // simplified and rounded as the training data is (tools/hanzi_strokes.py)
      this.strokes = [...this.strokes, rdp(live, EPSILON).map(([x, y]) => [Math.round(x), Math.round(y)])];
      live = null;
      this.changed();
    };
    this.pad.addEventListener('pointerup', end);
    this.pad.addEventListener('pointercancel', end);
  }

  changed() {
    this.finishButton.disabled = this.clearButton.disabled = !this.strokes.length;
    this.againButton.disabled = !this.completion;
    if (!this.completion) this.drawPad();
    this.showState();
  }

  clear() {
    this.strokes = [];
    this.completion = null;
    this.animator.forget(this.pad);
    this.say(START);
    this.changed();
  }

  say(text, kind = 'hint') {
    this.status.dataset.kind = kind;
    this.status.textContent = text;
  }

  /* The model finishes the reader's strokes (in the worker); its own are drawn after them in the accent colour. */
  async finish() {
    const prefix = this.strokes, points = prefix.flat().length, max = this.model.info.maxLength - ROOM;
    if (!points) return;
    if (points > max) return this.say(`That is ${points} points after simplifying; the model finishes drawings of up to ${max}. Clear and start with fewer strokes.`, 'error');
    this.say('The model is writing…');
    const asked = (this.asked = (this.asked ?? 0) + 1), { temperature, finishSeed: seed } = this;
    let done;
    try {
      done = await this.remote('complete', prefix, { temperature, seed });
    } catch (e) {
      return this.say(`The model could not finish it: ${e.message}`, 'error');
    }
    if (asked !== this.asked || this.destroyed || prefix !== this.strokes) return; // asked again, cleared or drawn on meanwhile
    this.completion = { prefix, done, seed, temperature };
    const added = done.flat().length - points;
    this.say(added ? `The model added ${added} points at temperature ${temperature.toFixed(2)}. Draw on to change the start.`
      : 'The model finds the character complete and added nothing. Try another ending or a higher temperature.');
    this.changed();
    this.animator.play(this.pad, done.flat().length, (k) => this.drawPad(null, head(done, k)), points);
  }

  /* The pad: the guides of a writing square, then the reader's strokes (and
   * the one being drawn), or the first points of a completion (the
   * reader's in ink, the model's in the accent colour). */
  drawPad(live, shown) {
    const ctx = fit(this.pad, 1), W = this.pad.width, c = this.host.colours();
    // a completion that leaves the em box is shown whole: the box (and the reader's strokes) shrink
    const box = shown ? boxAround(this.completion.done, BOX) : BOX, side = Math.max(box[2] - box[0], box[3] - box[1]);
    const s = (W * (1 - 2 * MARGIN)) / side, at = (v, i) => W / 2 + s * (v - (box[i] + box[i + 2]) / 2);
    const [x0, y0, x1, y1, xm, ym] = [at(BOX[0], 0), at(BOX[1], 1), at(BOX[2], 0), at(BOX[3], 1), at(0, 0), at(0, 1)];
    ctx.clearRect(0, 0, W, W);
    ctx.save();
    ctx.strokeStyle = c.muted;
    ctx.globalAlpha = 0.5;
    ctx.lineWidth = Math.max(1, W / 300);
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
    ctx.setLineDash([W / 80, W / 80]);
    ctx.beginPath();
    ctx.moveTo(xm, y0), ctx.lineTo(xm, y1), ctx.moveTo(x0, ym), ctx.lineTo(x1, ym);
    ctx.stroke();
    ctx.restore();
    const o = { box, margin: MARGIN, lineWidth: W / 36, clear: false }, own = shown ? head(shown, this.completion.prefix.flat().length) : live ? [...this.strokes, live] : this.strokes;
    if (own.length) this.model.drawStrokes(ctx, own, { ...o, color: ink(this.host) });
    const added = shown ? tail(shown, this.completion.prefix.flat().length) : [];
    if (added.length) this.model.drawStrokes(ctx, added, { ...o, color: c.accent });
  }

  /* Invented characters for the seed and temperature, sampled in the worker. */
  async sample(stale) {
    const { seed, temperature } = this;
    const drawings = await Promise.all(this.tiles.map((_, i) => this.remote('sampleStrokes', { seed: seed + i, temperature })))
      .catch((e) => (this.samples ? this.say(`Could not sample new characters: ${e.message}`, 'error') : Promise.reject(e))); // the first: the view's error
    if (!drawings || stale() || this.destroyed) return;
    this.samples = { seed, temperature, drawings };
    fitAll(this.tiles, 1); // sized together: one layout, not one per canvas
    this.tiles.forEach((t, i) => {
      const box = boxAround(drawings[i], BOX);
      this.animator.play(t, drawings[i].flat().length, (k) => paintCharacter(this, t, head(drawings[i], k), box));
    });
    this.showState();
  }

  /* The element's `shown`: the invented characters and the reader's strokes and their completion. */
  showState() {
    this.host.shown = { samples: this.samples, strokes: this.strokes, completion: this.completion };
  }

  render() {
    this.animator.redraw();
    if (!this.completion) this.drawPad();
  }

  destroy() {
    this.destroyed = true;
    this.animator?.forget(); // (none when setup failed)
  }
}
