/* What the two sketch views share (not a view): the model check, the ink
 * colour, parts of drawings, a character's tile, and drawings animated point
 * by point in one animation-frame loop. */
import { fit } from './ui.js';

export function checkSketchModel(view) {
  const info = view.model.info;
  if (info.model !== 'sketch')
    throw new Error(`the ${view.host.view} view needs a sketch model (vae train --strokes), not ${info.model === 'words' ? 'a word model' : 'an image model'}`);
}

/* The element's ink colour (pixel value 1), as CSS. */
export const ink = (host) => `rgb(${host.lut.slice(765, 768).join()})`;

/* The first k points of a drawing, and what follows them. */
export function head(strokes, k) {
  const out = [];
  for (const s of strokes) {
    if (k <= 0) break;
    out.push(s.slice(0, k));
    k -= s.length;
  }
  return out;
}
export function tail(strokes, k) {
  const out = [];
  for (const s of strokes) {
    if (k < s.length) out.push(s.slice(Math.max(0, k)));
    k -= s.length;
  }
  return out;
}

/* The box [x0, y0, x1, y1] grown to hold a drawing (which then keeps its place if it fits). */
export function boxAround(strokes, [x0, y0, x1, y1]) {
  for (const s of strokes) for (const [x, y] of s) (x0 = Math.min(x0, x)), (y0 = Math.min(y0, y)), (x1 = Math.max(x1, x)), (y1 = Math.max(y1, y));
  return [x0, y0, x1, y1];
}

/* A character on a square canvas (fitted to its laid-out width): box, in the drawing's units, fills it but for a margin. */
export function paintCharacter(view, canvas, strokes, box) {
  const ctx = fit(canvas, 1);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (strokes.length) view.model.drawStrokes(ctx, strokes, { box, margin: 0.1, color: ink(view.host), clear: false });
}

/* An async job (fn(stale)) whose calls while it runs wait for it, and then
 * run it once more, with the settings as they are by then: sliders dragged
 * over many values cost one run at a time. stale() is true once another
 * call came in (the run's result is then not shown); onbusy(true/false)
 * around the runs. */
export function latest(fn, onbusy) {
  let running = false, again = false;
  return async () => {
    again = true;
    if (running) return;
    (running = true), onbusy(true);
    try {
      while (again) (again = false), await fn(() => again);
    } finally {
      (running = false), onbusy(false);
    }
  };
}

const reducedMotion = () => matchMedia('(prefers-reduced-motion: reduce)').matches;
const MS_PER_POINT = 28; // about a stroke in a quarter of a second

/* Canvases painted point by point: play(canvas, total, paint, from) calls
 * paint(k) with k from `from` to total over time (at once for readers who
 * ask for less motion), every playing canvas in the same frame. redraw()
 * repaints each at its k (after a resize); onchange(busy) reports whether
 * any is still playing. */
export class Animator {
  #items = new Map(); // canvas -> {paint, total, from, k, t0, ms}
  #raf = 0;

  constructor(onchange = () => {}) {
    this.onchange = onchange;
  }

  get busy() {
    return [...this.#items.values()].some((it) => it.k < it.total);
  }

  play(canvas, total, paint, from = 0) {
    const k = reducedMotion() ? total : Math.min(from, total);
    this.#items.set(canvas, { paint, total, from: k, k, t0: performance.now(), ms: Math.min(3000, MS_PER_POINT * (total - k)) });
    paint(k);
    if (k < total && !this.#raf) this.#raf = requestAnimationFrame((now) => this.#tick(now));
    this.onchange(this.busy);
  }

  #tick(now) {
    this.#raf = 0;
    for (const it of this.#items.values()) {
      if (it.k >= it.total) continue;
      it.k = Math.min(it.total, it.from + Math.ceil(((it.total - it.from) * (now - it.t0)) / it.ms));
      it.paint(it.k);
    }
    if (this.busy) this.#raf = requestAnimationFrame((t) => this.#tick(t));
    else this.onchange(false);
  }

  redraw() {
    for (const it of this.#items.values()) it.paint(it.k);
  }

  /* Forgets a canvas (its paint is no longer called), or every one. */
  forget(canvas) {
    if (canvas) this.#items.delete(canvas);
    else this.#items.clear();
    if (!this.busy) cancelAnimationFrame(this.#raf), (this.#raf = 0), this.onchange(false);
  }
}
