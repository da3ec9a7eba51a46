/* vae.d.ts on real use: `tsc --strict` (npm typescript, a dev dependency)
 * checks test/types/api.ts, which uses the whole documented API (and whose
 * @ts-expect-error lines must stay errors), and README.md's JavaScript
 * example as checked JavaScript. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, scratch } from './helpers.mjs';

const tsc = join(root, 'web/node_modules/typescript/bin/tsc');
const flags = ['--strict', '--noEmit', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--lib', 'es2022,dom'];
function check(...args) {
  try {
    execFileSync('node', [tsc, ...flags, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    assert.fail(`tsc --strict:\n${e.stdout}${e.stderr}`);
  }
}

test('tsc --strict accepts a program using the whole API through vae.d.ts', () => {
  check(join(root, 'web/test/types/api.ts'));
});

test("tsc --strict --checkJs accepts README's JavaScript example", () => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const [, js] = readme.match(/^```js\n([\s\S]*?)^```$/m);
  const dir = scratch();
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(root, 'web'), join(dir, 'node_modules/vae-wasm'));
  writeFileSync(join(dir, 'package.json'), '{"type": "module"}');
  writeFileSync(join(dir, 'example.mjs'), js);
  check('--allowJs', '--checkJs', join(dir, 'example.mjs'));
});
