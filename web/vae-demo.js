/* <vae-demo>: a live variational-autoencoder demo in one tag.
 *
 *   <script type="module" src="vae-demo.js"></script>
 *   <vae-demo model="models/mnist-vae-2d.safetensors" view="explorer"></vae-demo>
 *
 * Views: the modules of VIEWS below (demo/views/NAME.js). Each declares its
 * attributes and their defaults at its top (`export const attributes`);
 * every view also takes those of COMMON. The element observes exactly these
 * (observedAttributes) and restarts its view when one changes; the demo
 * page (page.js) lists them from VAEDemo.views and VAEDemo.common. CSS
 * custom properties theme it too: --vae-accent, --vae-bg, --vae-fg,
 * --vae-muted, --vae-panel, --vae-line, --vae-ink, --vae-paper, --vae-size,
 * and --vae-rec / --vae-kl (the two series of the charts); its own styles
 * are demo/vae-demo.css.
 *
 * The element loads its model when it first comes near the viewport, shares
 * it with other elements showing the same URL, and frees it when the last
 * one leaves the page. Bulk work (the bundled data sets, encoding or scoring
 * many images, a conv model's many decodes) runs in one Worker the
 * elements share (demo/remote.js), so the page keeps scrolling. It reflects
 * its state in the `state` attribute (loading, ready, error) and fires
 * vae-ready, vae-error, vae-progress, vae-trained and (the explorer, when its
 * dots are placed) vae-points events. */
import { VAE } from './vae.js';
import { el, grouped, palette, throttle } from './demo/ui.js';
import { acquireModel, releaseModel, loadDataSet } from './demo/shared.js';
import { parseSettings } from './demo/view.js';
import * as samples from './demo/views/samples.js';
import * as explorer from './demo/views/explorer.js';
import * as interpolate from './demo/views/interpolate.js';
import * as manifold from './demo/views/manifold.js';
import * as conditional from './demo/views/conditional.js';
import * as draw from './demo/views/draw.js';
import * as attributes from './demo/views/attributes.js';
import * as train from './demo/views/train.js';
import * as denoise from './demo/views/denoise.js';
import * as anomaly from './demo/views/anomaly.js';
import * as timeseries from './demo/views/timeseries.js';
import * as words from './demo/views/words.js';
import * as classify from './demo/views/classify.js';
import * as sketch from './demo/views/sketch.js';
import * as sketchInterpolate from './demo/views/sketch-interpolate.js';

const VIEWS = { samples, explorer, interpolate, manifold, conditional, draw, attributes, train, denoise, anomaly, timeseries, words, classify, sketch, 'sketch-interpolate': sketchInterpolate };

/* The attributes of every view (parsed as a view's, see demo/view.js). */
const COMMON = {
  model: String, // URL of a .safetensors model (a view's defaultModel, next to this file, when absent)
  view: 'samples',
  size: Number, // max width in CSS px; default the stylesheet's 480
  accent: String, // UI colours
  background: String,
  color: String,
  ink: String, // the colours of pixel values 1 and 0
  paper: String,
  data: String, // folder of the bundled data sets (build-scripts/bundle-digits.mjs); default data/ next to this file
};
const RESTYLE = ['accent', 'background', 'color', 'size']; // a change redraws; any other restarts the view

const nextTask = () => new Promise((resolve) => setTimeout(resolve));

/* The element's stylesheet: fetched once, adopted by every instance. */
const sheet = new CSSStyleSheet();
let sheetLoaded = null;
function loadSheet() {
  const url = new URL('./demo/vae-demo.css', import.meta.url).href;
  sheetLoaded ??= fetch(url)
    .then((res) => (res.ok ? res.text() : Promise.reject(new Error(`HTTP ${res.status}`))))
    .then((css) => sheet.replace(css))
    .catch((e) => Promise.reject(new Error(`cannot load the stylesheet ${url} (${e.message})`)));
  return sheetLoaded;
}

export class VAEDemo extends HTMLElement {
  static common = COMMON;
  static views = Object.fromEntries(Object.entries(VIEWS).map(([name, m]) => [name, m.attributes])); // name -> declared attributes
  static observedAttributes = [...new Set([COMMON, ...Object.values(VIEWS).map((m) => m.attributes)].flatMap(Object.keys))];

  #frame; #view = null; #settings = null; #modelURL = null; #visible = false; #generation = 0; #io; #ro; #width;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [sheet];
    loadSheet().catch(() => {}); // early; an element that starts reports a failure
    this.#frame = el('div', { class: 'frame', part: 'frame' });
    root.append(this.#frame);
    this.shown = null; // {images, shape} of the view's main images, the words view's {path, samples} (for scripts and tests)
    this.render = throttle(() => this.#view?.render());
  }

  get view() {
    return this.getAttribute('view') || COMMON.view;
  }

  /* The view's settings as parsed from its declared attributes at its (re)start. */
  get settings() {
    return this.#settings;
  }

  /* The model's absolute URL: the model attribute's, else the view's default model's (next to this file), else null. */
  get modelURL() {
    const m = this.getAttribute('model'), d = VIEWS[this.view]?.default.defaultModel;
    return m ? new URL(m, document.baseURI).href : d ? new URL(d, import.meta.url).href : null;
  }

  /* The folder of the bundled data sets (absolute). */
  get dataFolder() {
    return new URL(this.getAttribute('data') || new URL('./data/', import.meta.url).href, document.baseURI).href;
  }

  /* A data set bundled by build-scripts/bundle-digits.mjs, its first `count`
   * items (all when absent): {images, labels, n, rows, cols}; 'digits'
   * (MNIST) or 'unusual' (images that are not digits). */
  dataSet(name, count) {
    return loadDataSet(this.dataFolder, name, count);
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail, bubbles: true, composed: true }));
  }

  /* Colours resolved for canvas drawing. */
  colours() {
    if (!this._style) {
      const cs = getComputedStyle(this.#frame), v = (p, d) => cs.getPropertyValue(p).trim() || d;
      this._style = {
        accent: v('--_accent', '#6366f1'), fg: v('--_fg', '#18181b'), panel: v('--_panel', '#f4f4f5'), muted: v('--_muted', '#71717a'),
        grid: v('--_line', '#e4e4e7'), rec: v('--vae-rec', '#818cf8'), kl: v('--vae-kl', '#f472b6'),
      };
    }
    return this._style;
  }

  connectedCallback() {
    // Canvases follow the width: a change of height (the view replacing its
    // loading message) needs no second render.
    this.#ro = new ResizeObserver((entries) => {
      const width = entries.at(-1).contentRect.width;
      if (width !== this.#width) (this.#width = width), this.render();
    });
    this.#ro.observe(this);
    // Load when near the viewport: a page of many demos stays fast.
    this.#io = new IntersectionObserver((entries) => {
      this.onscreen = entries.at(-1).isIntersecting; // animations pause off screen
      if (!this.onscreen || this.#visible) return;
      this.#visible = true;
      this.#start();
    }, { rootMargin: '300px' });
    this.#io.observe(this);
  }

  disconnectedCallback() {
    this.#io?.disconnect();
    this.#ro?.disconnect();
    this.#stop();
    this.#visible = false;
  }

  attributeChangedCallback(name, old, value) {
    if (old === value) return;
    if (RESTYLE.includes(name) || name === 'ink' || name === 'paper') this.#applyColours();
    if (this.#visible && !RESTYLE.includes(name)) this.#start();
    else if (this.#visible) (this._style = null), this.render();
  }

  #applyColours() {
    const set = (prop, attr) => (this.hasAttribute(attr) ? this.style.setProperty(prop, this.getAttribute(attr)) : this.style.removeProperty(prop));
    set('--vae-accent', 'accent');
    set('--vae-bg', 'background');
    set('--vae-fg', 'color');
    set('--vae-paper', 'paper');
    set('--vae-ink', 'ink');
    if (this.hasAttribute('size')) this.style.setProperty('--vae-size', `${parseInt(this.getAttribute('size'), 10)}px`);
    this._style = null;
  }

  #stop() {
    this.#generation++;
    this.#view?.destroy();
    this.#view = null;
    if (this.#modelURL) releaseModel(this.#modelURL);
    this.#modelURL = null;
  }

  #message(kind, title, detail) {
    this.#frame.replaceChildren(el('div', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' },
      kind === 'loading' ? el('div', { class: 'spinner' }) : null, title && el('b', {}, title), detail));
  }

  async #start() {
    this.#stop();
    const generation = this.#generation, module = VIEWS[this.view];
    this.#applyColours();
    const cs = getComputedStyle(this);
    this.lut = palette(cs.getPropertyValue('--vae-paper').trim() || '#0b0b10', cs.getPropertyValue('--vae-ink').trim() || '#ffffff');
    this.setAttribute('state', 'loading');
    this.#message('loading', null, 'Loading the model…');
    let view = null;
    try {
      if (!module) throw new Error(`there is no view “${this.view}” (try: ${Object.keys(VIEWS).join(', ')})`);
      this.#settings = parseSettings(module.attributes, this);
      const Kind = module.default, url = this.modelURL;
      if (!url && Kind.needsModel) throw new Error('set the model attribute to the URL of a .safetensors model');
      await loadSheet(); // before the view lays out: it measures its canvases
      let model = null;
      if (url) {
        try {
          model = await acquireModel(url);
        } catch (e) {
          throw new Error(`Could not load the model ${this.getAttribute('model') ?? Kind.defaultModel}: ${e.message.replace(/^load[^:]*: /, '')}`);
        }
        if (generation !== this.#generation) return releaseModel(url); // restarted or removed meanwhile
        this.#modelURL = url;
      }
      await nextTask(); // the model's load, the view's setup and its first render in tasks of their own: none long
      view = new Kind(this, model, this.#settings);
      await view.setup();
      await nextTask();
      if (generation !== this.#generation) return view.destroy();
      const i = Kind.needsModel && model.info; // (the train view's model is only what it may fine-tune)
      this.#frame.replaceChildren(view.root, i ? el('div', { class: 'info' },
        `${i.summary} · ${grouped(i.parameters)} parameters · ${i.simd ? 'wasm SIMD' : 'wasm (no SIMD)'}`) : '');
      view.render();
      this.#view = view; // only a view that could draw gets the later (resize) renders
      this.setAttribute('state', 'ready');
      this.emit('vae-ready', { view: this.view, info: model?.info });
    } catch (e) {
      view?.destroy();
      if (generation !== this.#generation) return;
      this.setAttribute('state', 'error');
      this.#message('error', 'This demo could not start.', e.message);
      this.emit('vae-error', { message: e.message });
    }
  }
}

// The wasm (the build this engine runs, SIMD or not) compiles while the first demo waits for its layout and model.
if (document.querySelector('vae-demo')) VAE.init().catch(() => {}); // (a demo that starts reports a failure)
if (!customElements.get('vae-demo')) customElements.define('vae-demo', VAEDemo);
