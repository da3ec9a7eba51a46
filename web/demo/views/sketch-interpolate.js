/* A sketch model between two real characters: each is encoded from its
 * strokes in the data (the bundled files of hanzi-writer-data, converted as
 * for training: demo/hanzi.js), and the points on the path between the two
 * codes are decoded, in the demo's worker, into a strip of characters drawn
 * stroke by stroke. Its ends are the model's readings of the two. */
import { el, button, slider, choice, fitAll } from '../ui.js';
import { View } from '../view.js';
import { BOX, bundledCharacters, readCharacter } from '../hanzi.js';
import { Animator, boxAround, checkSketchModel, head, latest, paintCharacter } from '../strokes.js';

export const attributes = {
  from: '日', // the two characters (of those bundled in the data folder's hanzi/)
  to: '月',
  steps: 8, // characters on the path, both ends included (2..12)
  method: 'slerp', // or linear (slerp: as interpolateStrokes and vae interpolate by default)
  temperature: 0.1, // of the decoded points: low keeps to the likeliest strokes
};

export default class SketchInterpolateView extends View {
  static defaultModel = 'models/hanzi-sketch-vae.safetensors';

  async setup() {
    const s = this.settings, folder = this.host.dataFolder;
    checkSketchModel(this);
    this.chars = await bundledCharacters(folder);
    const ends = [s.from, s.to].map((c) => [...c.trim()][0]), unknown = ends.find((c) => !this.chars.includes(c));
    if (unknown !== undefined) throw new Error(`“${unknown}” is not among the bundled characters (${this.chars})`);
    this.ends = ends;
    this.steps = Math.min(12, Math.max(2, Math.round(s.steps)));
    this.method = s.method === 'linear' ? 'linear' : 'slerp';
    this.temperature = Math.min(1, Math.max(0, s.temperature));
    this.strokes = new Map(); // character -> its strokes in the data
    this.animator = new Animator(() => this.busy());
    this.compute = latest((stale) => this.walk(stale), (on) => ((this.computing = on), this.busy()));
    this.real = [0, 1].map((i) => el('canvas', { class: 'paper', role: 'img', 'aria-label': `The ${i ? 'end' : 'start'}, as written in the data` }));
    this.pickers = [0, 1].map((i) => el('select', { 'aria-label': `${i ? 'End' : 'Start'} character`, onchange: () => this.pick(i, this.pickers[i].value) },
      ...[...this.chars].map((c) => el('option', { value: c, selected: c === ends[i] }, c))));
    this.strip = el('div', { class: 'inkstrip', 'aria-label': 'The path from the first character to the second' });
    this.note = el('p', { class: 'note', role: 'status' });
    const swap = () => {
      this.ends.reverse();
      this.pickers.forEach((p, i) => (p.value = this.ends[i]));
      this.compute();
    };
    const steps = slider('Steps', { min: 2, max: 12, step: 1, value: this.steps, oninput: (v) => ((this.steps = v), this.compute()) });
    const endBox = (i) => el('div', { class: 'hanzi-end' }, this.real[i], this.pickers[i]);
    this.root.append(
      el('div', { class: 'ends' }, endBox(0), button('⇄', swap, { 'aria-label': 'Swap the characters', title: 'Swap' }), endBox(1)),
      el('p', { class: 'hint small' }, 'Above, the characters as written in the data; below, the model\'s path from one code to the other.'),
      this.strip,
      this.note,
      el('div', { class: 'controls' },
        steps.node,
        choice('Path', [['linear', 'Linear'], ['slerp', 'Slerp']], this.method, (m) => ((this.method = m), this.compute())),
        button('▶ Replay', () => this.draw())),
      el('p', { class: 'credit' }, 'Strokes: ', el('a', { href: 'https://github.com/chanind/hanzi-writer-data' }, 'hanzi-writer-data'),
        ' (from Make Me a Hanzi), under the ', el('a', { href: new URL('hanzi/ARPHICPL.TXT', folder).href }, 'Arphic Public License'), '.'),
    );
    await this.compute();
  }

  busy() {
    if (this.computing || this.animator.busy) this.root.setAttribute('aria-busy', 'true');
    else this.root.removeAttribute('aria-busy');
  }

  pick(i, c) {
    this.ends[i] = c;
    this.compute();
  }

  async character(c) {
    if (!this.strokes.has(c)) this.strokes.set(c, readCharacter(this.host.dataFolder, c).catch((e) => (this.strokes.delete(c), Promise.reject(e))));
    return this.strokes.get(c);
  }

  /* The path's characters, decoded in the worker. */
  async walk(stale) {
    const ends = [...this.ends], { steps, method, temperature } = this;
    let real, path;
    try {
      real = await Promise.all(ends.map((c) => this.character(c)));
      path = await this.remote('interpolateStrokes', real[0], real[1], steps, { method, temperature });
    } catch (e) {
      this.note.dataset.kind = 'error';
      this.note.textContent = `Could not draw the path: ${e.message}`;
      return;
    }
    if (stale() || this.destroyed) return;
    this.note.textContent = '';
    this.path = { ends, steps, method, temperature, real, path };
    this.draw();
  }

  /* The real characters at once, the path's stroke by stroke. */
  draw() {
    const { ends, real, path } = this.path;
    this.animator.forget();
    const tiles = path.map((_, i) => el('canvas', { class: 'paper', role: 'img', 'aria-label': i === 0 ? `The model's ${ends[0]}` : i === path.length - 1 ? `The model's ${ends[1]}` : `Step ${i} of ${path.length - 1}` }));
    this.strip.style.setProperty('--n', path.length);
    this.strip.replaceChildren(...tiles);
    fitAll([...this.real, ...tiles], 1); // sized together: one layout, not one per canvas
    real.forEach((r, i) => this.animator.play(this.real[i], 0, () => paintCharacter(this, this.real[i], r, boxAround(r, BOX))));
    tiles.forEach((t, i) => {
      const box = boxAround(path[i], BOX);
      this.animator.play(t, path[i].flat().length, (k) => paintCharacter(this, t, head(path[i], k), box));
    });
    this.host.shown = { ends, real, path, steps: path.length, method: this.path.method, temperature: this.path.temperature };
  }

  render() {
    this.animator.redraw();
  }

  destroy() {
    this.destroyed = true;
    this.animator?.forget(); // (none when setup failed)
  }
}
