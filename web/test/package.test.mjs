/* `npm pack` makes a usable package: installed into an empty project, the
 * main module, the worker, the single-file variant and the types resolve,
 * and a model samples, trains in a worker thread and draws; it carries the
 * MIT LICENSE, its license and repository fields, and a README whose example
 * runs. Also checks that
 * the shipped JS has no eval or new Function (CSP 'wasm-unsafe-eval' only). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, existsSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, scratch } from './helpers.mjs';

const web = join(root, 'web');

test('npm pack gives a package that works from another project', () => {
  const dir = scratch();
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: web, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const [{ filename, files }] = JSON.parse(out);
  const names = files.map((f) => f.path).sort();
  for (const f of ['README.md', 'LICENSE', 'dist/vae.js', 'dist/vae-worker.js', 'dist/vae-train.js', 'dist/vae-simd.wasm', 'dist/vae-nosimd.wasm', 'dist/vae-train-simd.wasm', 'dist/vae-train-nosimd.wasm', 'dist/vae-seq.js', 'dist/vae-table.js', 'dist/vae-seq-simd.wasm', 'dist/vae-seq-nosimd.wasm', 'dist/vae.single.js', 'dist/vae-demo.js', 'dist/demo/vae-demo.css', 'dist/demo/view.js', 'dist/demo/views/samples.js', 'vae.d.ts', 'package.json'])
    assert.ok(names.includes(f), `${f} is packed (${names.join(', ')})`);
  assert.ok(!names.some((f) => f.startsWith('test/') || f.startsWith('node_modules/')), 'no tests or dependencies packed');

  const app = join(dir, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--offline', join(dir, filename)], { cwd: app, stdio: 'ignore' });
  writeFileSync(join(app, 'main.js'), `
    import VAE from 'vae-wasm';
    import single from 'vae-wasm/single';
    import { createRequire } from 'node:module';
    const require = createRequire(import.meta.url);
    const model = await VAE.create({ encoder: [16], latent: 2, seed: 1 });
    const images = model.sample(64, { seed: 1 });
    await model.trainer({ epochs: 1, batchSize: 16, worker: true }).fit({ images });
    const again = await single.load(model.toSafetensors());
    const grid = VAE.imagesToRGBA(again.sample(4, { seed: 2 }), { cols: 2 });
    console.log(JSON.stringify({
      worker: require.resolve('vae-wasm/worker').endsWith('dist/vae-worker.js'),
      width: grid.width, simd: model.info.simd, same: String(again.sample(3, { seed: 4 })) === String(model.sample(3, { seed: 4 })),
    }));
  `);
  const result = JSON.parse(execFileSync('node', ['main.js'], { cwd: app, encoding: 'utf8' }));
  assert.deepEqual(result, { worker: true, width: 57, simd: true, same: true });
  const installed = join(app, 'node_modules/vae-wasm');
  const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.ok(existsSync(join(installed, pkg.types)), 'the types file is installed');
  assert.equal(pkg.license, 'MIT');
  assert.match(pkg.repository?.url ?? '', /^git\+https:/, 'a repository field');
  assert.equal(readFileSync(join(installed, 'LICENSE'), 'utf8'), readFileSync(join(root, 'LICENSE'), 'utf8'), "the package's LICENSE is the repository's");

  // The package README's example runs as written, next to the model file it names.
  const [, example] = readFileSync(join(installed, 'README.md'), 'utf8').match(/^```js\n([\s\S]*?)^```$/m);
  copyFileSync(join(root, 'pretrained/mnist-vae.safetensors'), join(app, 'mnist-vae.safetensors'));
  writeFileSync(join(app, 'readme.js'), `${example}\nconsole.log(JSON.stringify({ n: strip.length, weights: weights.length > 0 }));`);
  assert.deepEqual(JSON.parse(execFileSync('node', ['readme.js'], { cwd: app, encoding: 'utf8' })), { n: 8 * 784, weights: true });
});

test('the shipped JS needs no eval', () => {
  for (const f of ['vae.js', 'vae-worker.js', 'vae-seq.js', 'vae-table.js', 'vae.single.js']) {
    const src = readFileSync(join(web, 'dist', f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
    assert.doesNotMatch(src, /\beval\s*\(|new\s+Function\s*\(|\bFunction\s*\(/, f);
  }
});
