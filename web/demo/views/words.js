/* A word model (vae train --words): the path between two typed words, each
 * point decoded greedily, and new words sampled at a temperature. Clicking
 * a sampled word walks to it. "Teach it your own words": a pasted list
 * trains a model in a Worker (the shown one when the list fits its letters,
 * else a fresh one of the list's letters), its samples shown as it learns;
 * when it ends, the path and the samples are the taught model's. */
import { VAE } from '../../vae.js';
import { el, button, slider, choice } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  from: 'river', // the two ends of the path
  to: 'mountain',
  steps: 8, // words on the path, both ends included (2..16)
  method: 'linear', // or slerp
  seed: 1, // of the sampled words
  temperature: 0.8, // of the sampled words' letters: 0 takes the likeliest, high is strange
  count: 12, // sampled words
  'teach-steps': 400, // training steps on a pasted list (epochs follow from its length)
};

/* A fresh model for a list of words the shown model cannot read. */
const FRESH = { embed: 16, hidden: 64, latent: 8 };

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, Math.round(v)));

/* The vocabulary as a reader would say it: "a–z", "a–z, ' and -". */
function spell(vocab) {
  const runs = [];
  for (const c of vocab) {
    const r = runs.at(-1);
    if (r && c.charCodeAt(0) === r.at(-1).charCodeAt(0) + 1) r.push(c);
    else runs.push([c]);
  }
  const parts = runs.flatMap((r) => (r.length > 2 ? [`${r[0]}–${r.at(-1)}`] : r));
  return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}` : parts[0];
}

export default class WordsView extends View {
  static defaultModel = 'models/words-vae.safetensors'; // next to vae-demo.js, where build-demo.sh puts it

  async setup() {
    const s = this.settings, info = this.model.info;
    if (info.model !== 'words' || !info.latent)
      throw new Error(`the words view needs a word VAE (vae train --words), not ${info.model === 'words' ? 'a language model' : 'an image model'}`);
    this.steps = clamp(s.steps, 2, 16);
    this.method = s.method === 'slerp' ? 'slerp' : 'linear';
    this.seed = Math.max(0, Math.round(s.seed));
    this.temperature = Math.min(2, Math.max(0, s.temperature)); // the slider's range
    this.count = clamp(s.count, 1, 48);
    this.lower = !/[A-Z]/.test(info.vocab); // such a model reads "Sun" as "sun"
    const input = (label, value) => el('input', { type: 'text', value, 'aria-label': label,
      autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', oninput: () => this.walk() });
    this.inputs = [input('First word', s.from), input('Second word', s.to)];
    this.path = el('ol', { class: 'path', 'aria-label': 'The words on the path', 'aria-live': 'polite' });
    this.note = el('p', { class: 'note', role: 'status' });
    this.samples = el('div', { class: 'wordgrid', 'aria-label': 'Words sampled from the model' });
    const steps = slider('Steps', { min: 2, max: 16, step: 1, value: this.steps, oninput: (v) => ((this.steps = v), this.walk()) });
    const temp = slider('Temperature', { min: 0, max: 2, step: 0.05, value: this.temperature, oninput: (v) => ((this.temperature = v), this.sample()) });
    const swap = () => {
      const [a, b] = this.inputs;
      [a.value, b.value] = [b.value, a.value];
      this.walk();
    };
    this.root.append(
      el('div', { class: 'ends' }, this.inputs[0], button('⇄', swap, { 'aria-label': 'Swap the words', title: 'Swap' }), this.inputs[1]),
      this.path,
      this.note,
      el('div', { class: 'controls' }, steps.node,
        choice('Path', [['linear', 'Linear'], ['slerp', 'Slerp']], this.method, (m) => ((this.method = m), this.walk()))),
      el('h4', {}, 'New words ', el('span', { class: 'muted' }, '(click one to walk to it)')),
      this.samples,
      el('div', { class: 'controls' },
        button('↻ Re-roll', () => ((this.seed = Math.floor(Math.random() * 2 ** 31)), this.sample()), { class: 'primary' }),
        temp.node),
      this.teachPanel(),
    );
  }

  teachPanel() {
    this.list = el('textarea', { rows: 4, 'aria-label': 'Your words', spellcheck: 'false',
      placeholder: 'Paste words: one a line, or separated by spaces or commas (at least 20)' });
    this.teachButton = button('Teach it', () => this.teach(), { class: 'primary' });
    this.pauseButton = button('Pause', () => this.pauseResume(), { disabled: true });
    this.cancelButton = button('Cancel', () => this.trainer?.cancel(), { disabled: true });
    this.resetButton = button('Back to the original', () => this.useModel(null), { disabled: true });
    this.progress = el('progress', { max: 1, value: 0, 'aria-label': 'Training progress' });
    this.status = el('p', { class: 'teach-status', role: 'status', 'aria-label': 'Training status' });
    return el('details', { class: 'teach' }, el('summary', {}, 'Teach it your own words'), this.list,
      el('div', { class: 'controls' }, this.teachButton, this.pauseButton, this.cancelButton, this.resetButton), this.progress, this.status);
  }

  /* Trains on the pasted list in a Worker: the shown model when it reads
   * every word (lowercased for an a-z model), else a fresh one of the
   * list's characters, as pasted. */
  async teach() {
    const base = this.original ?? this.model, { vocab, maxLength } = base.info, lower = !/[A-Z]/.test(vocab);
    const raw = [...new Set(this.list.value.split(/[\s,;]+/).filter(Boolean))];
    const low = [...new Set(raw.map((w) => (lower ? w.toLowerCase() : w)))];
    const fits = low.every((w) => w.length <= maxLength && [...w].every((c) => vocab.includes(c))), words = fits ? low : raw;
    if (words.length < 20) return (this.status.textContent = `Paste at least 20 different words (${words.length} so far).`);
    const chars = [...new Set(words.join(''))].sort().join('');
    if (!fits && [...chars].some((c) => c < ' ' || c > '~'))
      return (this.status.textContent = 'Words of printable ASCII only, please (letters, digits, punctuation).');
    this.running(true);
    this.status.textContent = 'Preparing the model…';
    try {
      const model = fits ? await VAE.load(base.toSafetensors())
        : await VAE.create({ model: 'words', vocab: chars, maxLength: Math.max(...words.map((w) => w.length)), ...FRESH, seed: 1 });
      const batchSize = Math.min(32, Math.max(4, Math.floor(words.length / 8))), steps = Math.ceil((words.length * 0.95) / batchSize);
      const epochs = Math.max(2, Math.ceil(this.settings['teach-steps'] / steps));
      this.trainer = model.trainer({ worker: true, epochs, batchSize, lr: fits ? 1e-3 : 4e-3, warmupEpochs: Math.ceil(epochs / 4), snapshotEvery: steps });
      this.trainer.on('progress', (e) => {
        this.progress.value = e.totalStep / e.totalSteps;
        if (this.trainer?.state === 'running')
          this.status.textContent = `${fits ? 'Teaching the shown model' : `A fresh model of ${spell(chars)}`}: epoch ${e.epoch}/${e.epochs} · loss ${e.loss.toFixed(1)} nats/word · ${e.eta.toFixed(0)} s left`;
      });
      this.trainer.on('snapshot', (e) => this.preview(e.weights));
      this.trainer.on('epoch', (e) => (this.heldOut = e.heldOut));
      this.status.textContent = 'Starting the worker…';
      await this.trainer.fit(words);
      const h = this.heldOut;
      this.status.textContent = `Taught: ${words.length} words, ${epochs} epochs. Held-out words: ${h.bound.toFixed(1)} nats/word, ${Math.round(100 * h.accuracy)}% spelt back.`;
      this.useModel(model);
    } catch (e) {
      this.status.textContent = e.code === 'ABORTED' ? 'Cancelled.' : `Training failed: ${e.message}`;
    } finally {
      this.trainer = null;
      this.running(false);
    }
  }

  running(on) {
    this.teachButton.disabled = on;
    this.pauseButton.disabled = this.cancelButton.disabled = !on;
    this.pauseButton.textContent = 'Pause';
  }

  pauseResume() {
    const paused = this.trainer?.state === 'paused';
    paused ? this.trainer.resume() : this.trainer?.pause();
    this.pauseButton.textContent = paused ? 'Pause' : 'Resume';
    if (!paused) this.status.textContent = 'Paused.';
  }

  /* Samples of a snapshot in the grid while training; one arriving while
   * another loads replaces the queued one, and one loaded after the end
   * (the taught model's samples are shown then) changes nothing. */
  async preview(weights) {
    const busy = this.queued !== undefined;
    this.queued = weights;
    if (busy) return;
    while (this.queued) {
      const bytes = this.queued;
      this.queued = null;
      const m = await VAE.load(bytes);
      if (this.trainer) this.showSamples(m.sampleWords(this.count, { seed: this.seed, temperature: this.temperature }));
      m.dispose();
    }
    this.queued = undefined;
  }

  /* Shows a taught model (null: the original again). */
  useModel(model) {
    if (this.model !== (this.original ?? this.model)) this.model.dispose();
    this.original ??= this.model;
    this.model = model ?? this.original;
    this.lower = !/[A-Z]/.test(this.model.info.vocab);
    this.resetButton.disabled = !model;
    this.walk();
    this.sample();
  }

  /* The word in input i as the model reads it. */
  word(i) {
    const w = this.inputs[i].value.trim();
    return this.lower ? w.toLowerCase() : w;
  }

  /* Null for a word the model reads, else why not in a reader's words (its
   * VAEError speaks of bytes and character indices). */
  refusal(w) {
    try {
      this.model.encodeWords(w);
      return null;
    } catch (e) {
      if (e.name !== 'VAEError') throw e;
      const { vocab, maxLength } = this.model.info, odd = [...w].find((c) => !vocab.includes(c));
      if (!w) return 'Type a word at each end.';
      if (odd) return `“${w}”: this model knows only ${spell(vocab)}, not “${odd}”.`;
      if (w.length > maxLength) return `“${w}” has ${w.length} letters; this model reads words of up to ${maxLength}.`;
      return e.message;
    }
  }

  say(kind, text) {
    this.note.dataset.kind = kind;
    this.note.textContent = text;
  }

  /* The path between the two words; the words that changed are shown arriving. */
  walk() {
    const ends = [this.word(0), this.word(1)], refused = ends.map((w) => this.refusal(w)), bad = refused.findIndex(Boolean);
    this.inputs.forEach((input, i) => input.setAttribute('aria-invalid', String(Boolean(refused[i]))));
    this.path.classList.toggle('stale', bad >= 0);
    if (bad >= 0) return this.say('error', refused[bad]);
    const words = this.model.interpolateWords(ends[0], ends[1], this.steps, { method: this.method });
    const before = [...this.path.children].map((li) => li.textContent);
    this.path.replaceChildren(...words.map((w, i) =>
      el('li', { class: w === before[i] ? null : 'fresh', style: `--i:${i}`, title: `t = ${(i / (words.length - 1)).toFixed(2)}` }, w)));
    const got = [words[0], words.at(-1)], misread = [0, 1].filter((i) => got[i] !== ends[i]).map((i) => `“${ends[i]}” as “${got[i]}”`);
    this.say('hint', misread.length ? `The model reads ${misread.join(' and ')}: its code keeps a word's shape more than its spelling.` : '');
    this.pathWords = words;
    this.showWords();
  }

  sample() {
    this.showSamples(this.model.sampleWords(this.count, { seed: this.seed, temperature: this.temperature }));
  }

  showSamples(words) {
    this.sampled = words;
    this.samples.replaceChildren(...this.sampled.map((w) => button(w, () => {
      this.inputs[1].value = w;
      this.walk();
    }, { class: 'word', title: `Walk from “${this.word(0)}” to “${w}”` })));
    this.showWords();
  }

  /* The element's `shown`: the words on the path and the sampled words. */
  showWords() {
    this.host.shown = { path: this.pathWords, samples: this.sampled };
  }

  render() {
    if (!this.sampled) this.walk(), this.sample(); // later renders (resizes) change nothing
  }

  destroy() {
    this.trainer?.cancel();
    if (this.original && this.model !== this.original) this.model.dispose();
  }
}
