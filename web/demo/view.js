/* The base of every view of <vae-demo>. A view module (views/NAME.js)
 * exports its attributes with their defaults, `export const attributes =
 * {seed: 1, ...}`, and a View subclass as default. The element observes
 * exactly the declared names and hands the view their values as
 * this.settings, parsed by the type of the default: a number (an absent or
 * unreadable attribute gives the default), an array (a list of numbers,
 * "0,1"), a string; Number or String where the view computes the default
 * itself (the setting is then undefined when the attribute is absent).
 *
 * A view lays out its controls in this.root in setup(), draws in render(),
 * and frees what it holds in destroy(). host (the element) gives the data
 * sets, the palette and colours, and events. */
import { el } from './ui.js';
import { remoteCall } from './remote.js';

export function parseSettings(attributes, element) {
  return Object.fromEntries(Object.entries(attributes).map(([name, fallback]) => {
    const raw = element.getAttribute(name);
    if (raw === null) return [name, typeof fallback === 'function' ? undefined : fallback];
    if (fallback === String || typeof fallback === 'string') return [name, raw];
    if (Array.isArray(fallback)) return [name, raw.split(/[\s,]+/).filter(Boolean).map(Number)];
    const v = parseFloat(raw);
    return [name, Number.isFinite(v) ? v : typeof fallback === 'function' ? undefined : fallback];
  }));
}

export class View {
  static needsModel = true; // the element reports a missing model attribute

  constructor(host, model, settings) {
    this.host = host;
    this.model = model;
    this.settings = settings;
    this.shape = model?.info.imageShape;
    this.pixels = this.shape?.reduce((a, b) => a * b); // values per image
    this.root = el('div', { class: `view view-${host.view}` });
  }

  /* The label setting for a conditional model's decodes, else undefined. */
  label() {
    if (!this.model.info.classes) return undefined;
    return Math.min(this.model.info.classes - 1, Math.max(0, Math.round(this.settings.label ?? 0)));
  }

  show(images) {
    this.host.shown = { images, shape: this.shape };
  }

  /* The side of the square grey images a drawing pad gives this model. */
  padSize() {
    const [c, h, w] = this.shape;
    if (c !== 1 || h !== w) throw new Error(`the ${this.host.view} view needs a model of square grey images (you draw its input), not ${c}×${h}×${w}`);
    return h;
  }

  /* True when the model's images have the shape of a data set's. */
  fits(data) {
    return this.shape.join() === [1, data.rows, data.cols].join();
  }

  /* model[method](...args) on the demo's worker (remote.js), for bulk work
   * that would stall the page; this.data() stands for bundled images there. */
  remote(method, ...args) {
    return remoteCall(this.host.modelURL, method, ...args);
  }

  /* The first `count` images of a bundled data set, as an argument of remote(). */
  data(name, count) {
    return { $data: [this.host.dataFolder, name, count] };
  }

  /* The first `count` bundled digits (all when absent), for views that
   * encode them: they need a full model of images of their shape, without labels. */
  async digits(count) {
    const data = await this.host.dataSet('digits', count), i = this.model.info;
    if (i.decoderOnly || i.classes || !this.fits(data))
      throw new Error(`the ${this.host.view} view needs a full model of ${data.rows}×${data.cols} grey images without labels (it encodes the bundled digits)`);
    return data;
  }

  render() {}
  destroy() {}
}
