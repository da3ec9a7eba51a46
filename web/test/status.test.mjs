/* The error codes are one list: the vae_status enum in src/vae.h (explicit,
 * consecutive values), the names the wasm module gives them (the table in
 * src/util/messages.c), the ErrorCode union of web/vae.d.ts, and the codes
 * web/vae.js spells out. A code added to or dropped from one of them fails
 * here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, dist } from './helpers.mjs';

const source = (path) => readFileSync(join(root, path), 'utf8');

/* [name, value] of each vae_status constant, in the header's order. */
function headerEnum() {
  const body = source('src/vae.h').match(/typedef enum \{([^}]*)\} vae_status;/)[1].replace(/\/\*[\s\S]*?\*\//g, '');
  return body.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const m = entry.match(/^(VAE_\w+)\s*=\s*(\d+)$/);
    assert.ok(m, `vae.h: '${entry}' has no explicit value`);
    return [m[1], Number(m[2])];
  });
}

/* The name the wasm module gives each value 0..count (one past the last). */
async function wasmNames(file, count) {
  const { instance } = await WebAssembly.instantiate(readFileSync(join(dist, file)), { env: { emscripten_notify_memory_growth() {} } });
  const x = instance.exports, names = [];
  x._initialize?.();
  for (let s = 0; s <= count; s++) {
    const u8 = new Uint8Array(x.memory.buffer), p = x.vw_status_name(s);
    names.push(new TextDecoder().decode(u8.subarray(p, u8.indexOf(0, p))));
  }
  return names;
}

test('vae.h, the wasm name table, vae.d.ts and vae.js list the same error codes', async () => {
  const entries = headerEnum(), names = entries.map(([name]) => name);
  assert.deepEqual(entries.map(([, v]) => v), names.map((_, i) => i), 'vae.h: values 0, 1, 2, ... in order');
  assert.equal(names[0], 'VAE_OK');
  for (const file of ['vae-simd.wasm', 'vae-train-simd.wasm'])
    assert.deepEqual(await wasmNames(file, names.length), [...names, 'VAE_ERR_?'], `${file}: vae_status_name`);

  const union = source('web/vae.d.ts').match(/export type ErrorCode =([^;]*);/)[1];
  const declared = [...union.matchAll(/'(\w+)'/g)].map((m) => m[1]);
  assert.deepEqual(declared, [...names.slice(1), 'ABORTED'], 'vae.d.ts ErrorCode: every error code, in order, and ABORTED');

  const js = source('web/vae.js');
  const used = new Set([...js.matchAll(/'(VAE_\w+|ABORTED)'/g)].map((m) => m[1]));
  for (const code of used) assert.ok(declared.includes(code), `vae.js uses '${code}', which ErrorCode does not list`);
  assert.doesNotMatch(js, /status\s*[!=]==?\s*\d/, 'vae.js compares a status with a number: use its name');
});
