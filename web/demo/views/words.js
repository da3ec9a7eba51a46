/* A word model (vae train --words): the path between two typed words, each
 * point decoded greedily, and new words sampled at a temperature. Clicking
 * a sampled word walks to it. */
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
};

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
    );
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
    this.sampled = this.model.sampleWords(this.count, { seed: this.seed, temperature: this.temperature });
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
}
