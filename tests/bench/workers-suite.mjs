// What bench-workers.mjs (Node) and bench-workers-browser.mjs (headless
// Chromium) share: the cases, one timed fit() and the scaling model. No
// imports: the page loads it as it is.
const conv = (c) => ({ conv: c, kernel: 4, stride: 2, pad: 1 });
const convT = (c) => ({ conv_transpose: c, kernel: 4, stride: 2, pad: 1 });

export const IMAGES = 2560;
export const CASES = [
  { name: 'mlp b128', arch: { encoder: [400], latent: 20 }, batchSize: 128 },
  { name: 'mlp b256', arch: { encoder: [400], latent: 20 }, batchSize: 256 },
  // conv-suite.mjs's MNIST conv VAE (1x28x28 -> 32x14x14 -> 64x7x7 -> 20 and back)
  { name: 'conv b128', arch: { encoder: [conv(32), conv(64)], decoder: [{ linear: 3136, shape: [64, 7, 7] }, convT(32)], out: convT(1), latent: 20 },
    batchSize: 128, images: 512 },
];

/* One epoch of fit() with `workers` (pixels: [IMAGES, 784] in [0, 1]).
 * Steady state: from the first step's progress event to the last (start-up,
 * once per fit, apart). onStep(first, last) marks those two events (Node
 * reads the threads' CPU times there). parts: the pool's per-step timings
 * (the trainer's _timing), the least of each over the steps after the first
 * (which also grows the replicas' memory); overheadMs: the least of a step's
 * overhead beyond its share's compute (sending, the replicas' copies, the
 * tree sum and Adam): each part is short, so some step runs it undisturbed. */
export async function timedFit(VAE, pixels, c, workers, onStep = () => {}) {
  const model = await VAE.create({ ...c.arch, seed: 1 });
  const count = c.images ?? IMAGES, steps = Math.ceil(count / c.batchSize);
  const trainer = model.trainer({ epochs: 1, batchSize: c.batchSize, seed: 1, workers });
  trainer._timing = [];
  let first = 0, last = 0, prev = 0, minStepMs = Infinity;
  trainer.on('progress', (e) => {
    const now = performance.now();
    if (e.totalStep > 1) minStepMs = Math.min(minStepMs, now - prev);
    prev = now;
    if (e.totalStep === 1) (first = now), onStep('first');
    else if (e.totalStep === steps) (last = now), onStep('last');
  });
  const t0 = performance.now();
  await trainer.fit({ images: pixels.subarray(0, count * 784) });
  model.dispose();
  const stepMs = (last - first) / (steps - 1), parts = trainer._timing.slice(1);
  const least = (k) => Math.min(...parts.map((p) => p[k]));
  return {
    imagesPerSecond: (1000 * c.batchSize) / stepMs, stepMs, minStepMs, startMs: first - t0 - stepMs, steps,
    parts: parts.length ? Object.fromEntries(Object.keys(parts[0]).map((k) => [k, least(k)])) : null,
    overheadMs: parts.length ? Math.min(...parts.map((p) => p.send + p.copy + p.apply)) : 0,
  };
}

/* The model T(N) = C / N + a + b N through the overheads at N = 2 and 4
 * (C: the one-worker step); the speedups it predicts. */
export function scaling(C, o2, o4) {
  const b = Math.max(0, (o4 - o2) / 2), a = o2 - 2 * b, T = (N) => C / N + a + b * N;
  return { C, a, b, predicted2: C / T(2), predicted4: C / T(4), predicted8: C / T(8) };
}
