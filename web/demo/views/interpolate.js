/* Two endpoints drawn from the prior, the path between them (straight or
 * along the great circle), a strip and an animated frame. */
import { VAE } from '../../vae.js';
import { el, button, slider, choice, fit, fitGrid, drawGrid } from '../ui.js';
import { View } from '../view.js';

export const attributes = {
  seed: 1, // of the start point; the end point's is seed + 1
  method: 'slerp', // or linear
  label: 0, // a conditional model's label
};

const FRAMES = 61; // the strip shows every tenth
const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;

export default class InterpolateView extends View {
  async setup() {
    const s = this.settings;
    this.seeds = [s.seed, s.seed + 1];
    this.method = s.method;
    this.t = 0;
    this.playing = !reducedMotion();
    this.frame = el('canvas', { role: 'img', 'aria-label': 'Image along the path' });
    this.strip = el('canvas', { role: 'img', 'aria-label': 'The path from A to B' });
    this.scrub = slider('Position', { min: 0, max: 1, step: 0.01, value: 0, oninput: (v) => (this.pause(), (this.t = v), this.render()) });
    this.play = button('', () => (this.playing ? this.pause() : this.start()));
    this.root.append(
      el('div', { class: 'stage' }, this.frame),
      this.strip,
      el('div', { class: 'controls' },
        this.play,
        this.scrub.node,
        choice('Path', [['linear', 'Linear'], ['slerp', 'Slerp']], this.method, (m) => ((this.method = m), this.compute())),
        button('↻ A', () => this.reroll(0), { 'aria-label': 'New start image' }),
        button('↻ B', () => this.reroll(1), { 'aria-label': 'New end image' })),
    );
    await this.compute();
    if (this.playing) this.start();
    else this.pause();
  }

  /* The FRAMES images of the path, decoded in the demo's worker (a conv model's take long). */
  async compute() {
    const L = this.model.info.latent, asked = (this.asked = (this.asked ?? 0) + 1);
    const [a, b] = await Promise.all(this.seeds.map((s) => VAE.randomNormal(L, s)));
    const images = await this.remote('interpolate', a, b, FRAMES, { method: this.method, label: this.label() });
    if (asked !== this.asked) return; // a newer path was asked for meanwhile
    this.images = images;
    this.drawn = null;
    this.render();
  }

  reroll(i) {
    this.seeds[i] = Math.floor(Math.random() * 2 ** 31);
    this.compute();
  }

  start() {
    this.playing = true;
    this.play.textContent = '❚❚ Pause';
    const t0 = performance.now() - this.t * 2000;
    const tick = (now) => {
      if (!this.playing) return;
      const phase = ((now - t0) / 4000) % 1; // there and back in 4 s, eased at the ends
      this.t = (1 - Math.cos(2 * Math.PI * phase)) / 2;
      this.scrub.input.value = this.t.toFixed(2);
      this.scrub.out.textContent = this.t.toFixed(2);
      if (this.host.onscreen) this.render();
      this.raf = requestAnimationFrame(tick);
    };
    this.raf = requestAnimationFrame(tick);
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.play.textContent = '▶ Play';
  }

  render() {
    if (!this.images) return;
    const [, h, w] = this.shape, D = this.pixels;
    // Each animation frame redraws only what changed: the frame and the strip's marker move in steps
    // (the strip's 6 times a sweep), and every canvas redrawn is one more for the engine's next commit.
    const k = Math.round(this.t * (FRAMES - 1)), marker = Math.round(this.t * 6);
    const size = `${this.frame.clientWidth} ${this.strip.clientWidth} ${this.host.colours().accent}`;
    const drawn = this.drawn ?? {};
    this.drawn = { frame: `${k} ${size}`, strip: `${marker} ${size}` };
    if (this.drawn.frame !== drawn.frame) {
      const frame = this.images.subarray(k * D, (k + 1) * D);
      drawGrid(fit(this.frame, h / w), frame, this.shape, this.host.lut, { cols: 1, w: this.frame.width });
    }
    if (this.drawn.strip === drawn.strip) return;
    const strip = new Float32Array(7 * D);
    for (let i = 0; i < 7; i++) strip.set(this.images.subarray(i * 10 * D, (i * 10 + 1) * D), i * D);
    const { ctx, gap } = fitGrid(this.strip, 7, 7, this.shape, 3, 5);
    const tiles = drawGrid(ctx, strip, this.shape, this.host.lut, { cols: 7, w: this.strip.width, gap });
    const near = tiles[marker];
    ctx.fillStyle = this.host.colours().accent;
    ctx.fillRect(near.x, near.y + near.h + devicePixelRatio, near.w, 3 * devicePixelRatio);
    this.show(strip);
  }

  destroy() {
    this.pause();
  }
}
