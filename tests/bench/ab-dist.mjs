// A/B of two builds of our module on the same weights, in one process,
// taking turns (min of 30 rounds): decode of 1, 64 and 400 latents.
//   node tests/bench/ab-dist.mjs WEIGHTS DIST_A DIST_B   (DIST: a web/dist copy)
const [,, wpath, ...dists] = process.argv;
import { readFileSync } from 'node:fs';
const w = readFileSync(wpath);
const mods = [];
for (const d of dists) { const { default: VAE } = await import(d + '/vae.js'); mods.push(await VAE.load(w)); }
const L = mods[0].info.latent, z = new Float32Array(400 * L).map((_, i) => Math.sin(i));
const best = dists.map(() => ({}));
for (let r = 0; r < 30; r++) for (let k = 0; k < mods.length; k++) for (const n of [1, 64, 400]) {
  const zz = z.subarray(0, n * L), reps = n === 1 ? 200 : n === 64 ? 10 : 3;
  const t = performance.now(); for (let i = 0; i < reps; i++) mods[k].decode(zz); const ms = (performance.now() - t) / reps;
  best[k][n] = Math.min(best[k][n] ?? 1e9, ms);
}
dists.forEach((d, k) => console.log(d, Object.entries(best[k]).map(([n, ms]) => `decode${n} ${ms.toFixed(4)} ms (${(ms / best[0][n]).toFixed(3)}x of first)`).join('  ')));
