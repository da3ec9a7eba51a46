/* Tables and time series in JS (vae-table.js: VAE.parseCSV, table models)
 * against `vae train --csv` and `vae score --csv` on the same files: the
 * same reader (formats/csv.c) in the training wasm, so the same errors word
 * for word and the same scores. Scores pass through expf/logf (the learned
 * variance, the KL), glibc natively and musl in wasm: allowed a relative
 * 1e-6, and the count of values that differ at all is printed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { VAE, root, dist, cli, haveCli, runCli, scratch, compare, tensorValues } from './helpers.mjs';

const skip = !haveCli && 'build/native/vae is missing (run build-scripts/build.sh)';
const dir = scratch();
const file = (name, text) => (writeFileSync(join(dir, name), text), join(dir, name));
const scoresOf = (path) => Float32Array.from(readFileSync(path, 'utf8').trim().split('\n'), Number);

/* A daily-like cycle of 24 points with noise from a small LCG, one spike
 * (label 1) at `spike`. */
function series(n = 360, spike = 250) {
  let s = 12345, csv = 'time,v,label\n';
  const noise = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.1;
  for (let i = 0; i < n; i++) csv += `${i},${(Math.sin((2 * Math.PI * i) / 24) + noise() + (i === spike ? 2.5 : 0)).toFixed(5)},${+(i === spike)}\n`;
  return csv;
}

/* 200 rows of two correlated columns on different scales, an id that is not a number, labels. */
function table() {
  let csv = 'id,a,b,label\n';
  for (let i = 0; i < 200; i++) {
    const u = Math.sin(i * 12.9898) * 2, off = i === 120;
    csv += `r${i},${(1000 + 50 * u).toFixed(3)},${(off ? 2 * u + 5 : -2 * u + 0.05 * Math.cos(i)).toFixed(4)},${+off}\n`;
  }
  return csv;
}

function compareScores(what, ours, theirs) {
  const c = compare(ours, theirs);
  console.log(`${what}: ${c.differ} of ${ours.length} scores differ from the CLI's (max rel ${c.maxRel.toExponential(2)})`);
  assert.ok(c.maxRel <= 1e-6, `${what}: ${JSON.stringify(c)}`);
}

test('a time-series model the CLI trained: per-point scores as vae score --csv', { skip }, async () => {
  const csv = file('ts.csv', series()), model = join(dir, 'ts.st'), out = join(dir, 'ts.txt');
  runCli('train', '--csv', csv, '--columns', 'v', '--label-column', 'label', '--window', 16, '--epochs', 3, '--seed', 3, '--out', model, '--quiet');
  runCli('score', '--model', model, '--csv', csv, '--out', out);
  const m = await VAE.load(model);
  assert.deepEqual(m.table.columns, ['v']);
  assert.equal(m.table.window, 16);
  assert.equal(m.table.label, 'label');
  const t = await m.parseCSV(readFileSync(csv, 'utf8'));
  assert.equal(t.rows, 360);
  assert.deepEqual(Array.from(t.labels.slice(249, 252)), [0, 1, 0]);
  const ours = m.score(t);
  assert.equal(ours.length, 360);
  compareScores('window 16', ours, scoresOf(out));
  // Raw rows in the model's column order give the same.
  assert.deepEqual(m.score(t.column('v')), ours);
  m.dispose();
});

test('a table model the CLI trained: a score per row from raw values, columns picked by name', { skip }, async () => {
  const csv = file('t.csv', table()), model = join(dir, 't.st'), out = join(dir, 't.txt');
  runCli('train', '--csv', csv, '--label-column', 'label', '--epochs', 5, '--out', model, '--quiet');
  runCli('score', '--model', model, '--csv', csv, '--out', out);
  const m = await VAE.load(model);
  assert.deepEqual(m.table.columns, ['a', 'b']); // the default: the numeric columns but the label
  const text = readFileSync(csv, 'utf8');
  compareScores('table', m.score(await m.parseCSV(text)), scoresOf(out));
  // A table read with other columns first: score() picks the model's by name.
  const wide = await VAE.parseCSV(text, { columns: ['label', 'b', 'a'] });
  compareScores('table (columns by name)', m.score(wide), scoresOf(out));
  assert.throws(() => m.score(Float32Array.of(1, 2, 3)), { code: 'VAE_ERR_SHAPE' });
  m.dispose();
});

test('trained in a Worker on parsed rows: the spike flagged, and vae score --csv agrees on the file', { skip }, async () => {
  const text = series(), t = await VAE.parseCSV(text, { columns: ['v'], label: 'label' });
  const m = await t.createModel({ window: 16, seed: 1 });
  assert.equal(m.info.inputSize, 16);
  assert.equal(m.info.likelihood, 'gaussian_learned');
  assert.deepEqual([m.info.activation, m.info.latent], ['relu', 8], "windows: vae train --csv's defaults");
  const rows = await (await VAE.parseCSV(table())).createModel();
  assert.deepEqual([rows.info.activation, rows.info.latent, rows.info.likelihood], ['identity', 16, 'student_t'], "rows: vae train --csv's linear VAE");
  rows.dispose();
  let epochs = 0;
  const trainer = m.trainer({ worker: true });
  trainer.on('epoch', (e) => (epochs = e.epochs));
  await trainer.fit(t); // the labelled spike's windows left out, as vae train --csv does
  assert.equal(epochs, Math.ceil(3000 / Math.ceil((360 - 15 - 16) / 64)), 'about 3000 steps by default');
  const ours = m.score(t);
  const top = ours.indexOf(Math.max(...ours));
  assert.equal(top, 250, 'the spike scores highest');
  const model = file('js.st', m.toSafetensors()), out = join(dir, 'js.txt'), csv = file('js.csv', text);
  runCli('score', '--model', model, '--csv', csv, '--out', out);
  compareScores('JS-trained', ours, scoresOf(out));
  // The same seed and defaults as vae train --csv: the CLI's weights.
  const theirs = join(dir, 'cli.st');
  runCli('train', '--csv', csv, '--columns', 'v', '--label-column', 'label', '--window', 16, '--seed', 1, '--out', theirs, '--quiet');
  const w = compare(tensorValues(m.toSafetensors()), tensorValues(readFileSync(theirs)));
  console.log(`JS-trained vs vae train --csv: ${w.differ} weights differ (max abs ${w.maxAbs.toExponential(2)})`);
  assert.ok(w.maxAbs <= 1e-4, JSON.stringify(w));
  m.dispose();
});

/* The CLI's one-line error for a file, without "vae: PATH: ". */
function cliError(name, args) {
  try {
    execFileSync(cli, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const line = e.stderr.trim();
    assert.ok(line.startsWith(`vae: ${join(dir, name)}: `), line);
    return line.slice(`vae: ${join(dir, name)}: `.length);
  }
  return null;
}

test('every error as the CLI words it, on a sweep of files', { skip }, async () => {
  const cases = [
    ['non-number', 'a,b\n1,2\n3,x\n'],
    ['missing value', 'a,b\n1,2\n3,\n'],
    ['NA', 'a,b\n1,2\n3,NA\n'],
    ['ragged row', 'a,b\n1,2\n3,4,5\n'],
    ['short row', 'a,b\n1,2\n3\n'],
    ['empty file', ''],
    ['only blank lines', '\n\r\n\n'],
    ['header only', 'a,b\n'],
    ['empty line', 'a,b\n1,2\n\n3,4\n'],
    ['unclosed quote', 'a,b\n1,"2\n'],
    ['text after a quote', 'a,b\n1,"2"x\n'],
    ['quote inside a field', 'a,b\n1,2"\n'],
    ['no numeric column', 'a,b\nx,y\n'],
    ['duplicate names', 'a,a\n1,2\n3,4\n'],
    ['unknown column', 'a,b\n1,2\n3,4\n', { columns: ['a', 'zz'] }],
    ['label not 0/1', 'a,b,y\n1,2,0\n3,4,2\n', { label: 'y' }],
    ['label is a data column', 'a,b,y\n1,2,0\n3,4,1\n', { label: 'y', columns: ['a', 'y'] }],
    ['unknown label', 'a,b\n1,2\n3,4\n', { label: 'y' }],
    ['column asked twice', 'a,b\n1,2\n3,4\n', { columns: ['a', '1'] }],
    ['constant column', 'a,b\n1,2\n3,2\n'],
    ['nothing normal', 'a,y\n1,1\n3,1\n', { label: 'y' }],
    ['window too long', 'a\n1\n2\n', { window: 3 }],
    ['a good file', 'a,"b ""q"""\n 1 ,"2"\r\n3,4e-1\n\n'],
    ['tabs', 'a\tb\n1\t2\n3\t5\n'],
    ['BOM and column numbers', '\ufeffa,b,c\n1,2,3\n4,5,7\n', { columns: ['3', 'a'] }],
  ];
  let same = 0;
  for (const [desc, text, o = {}] of cases) {
    const name = `e${same}.csv`, path = file(name, text);
    const args = ['train', '--csv', path, '--out', join(dir, 'e.st'), '--quiet', '--epochs', '1'];
    if (o.columns) args.push('--columns', o.columns.join(','));
    if (o.label) args.push('--label-column', o.label);
    if (o.window) args.push('--window', String(o.window));
    const want = cliError(name, args);
    let got = null;
    try {
      const t = await VAE.parseCSV(text, { columns: o.columns, label: o.label });
      (await t.createModel({ window: o.window })).dispose();
    } catch (e) {
      assert.equal(e.name, 'VAEError', `${desc}: ${e.stack}`);
      got = e.message.replace(/^(parseCSV|createModel): /, '');
    }
    assert.equal(got, want, desc);
    same++;
  }
  console.log(`errors: ${same} files, the same outcome and message as vae train --csv`);
  // vae score --csv's: a series shorter than the window, a column the model lacks.
  const model = join(dir, 'ts.st'), m = await VAE.load(model);
  assert.equal(cliError('one.csv', ['score', '--model', model, '--csv', file('one.csv', 'v\n1\n')]),
    (() => { try { m.score([1]); } catch (e) { return e.message.replace(/^score: /, ''); } })());
  assert.equal(cliError('nov.csv', ['score', '--model', model, '--csv', file('nov.csv', 'w\n1\n')]),
    await m.parseCSV('w\n1\n').catch((e) => e.message.replace(/^parseCSV: /, '')));
  m.dispose();
});

test('parseCSV checks its own arguments', async () => {
  await assert.rejects(VAE.parseCSV(42), { code: 'VAE_ERR_ARG', message: /expected the text as a string or bytes/ });
  await assert.rejects(VAE.parseCSV('a\n1\n', { delimiter: ';' }), { message: /delimiter must be/ });
  await assert.rejects(VAE.parseCSV('a\n1\n', { colums: ['a'] }), { message: /unknown option 'colums'/ });
  const t = await VAE.parseCSV(new TextEncoder().encode('x;y\tz\n1;2\t3\n'));
  // More tabs than commas on the header line: tab-separated, and "1;2" is no number.
  assert.deepEqual([...t.columns], ['z']);
  assert.deepEqual(Array.from(t.values), [3]);
});

test('rows trained in a Worker as vae train --csv trains them: Student-t, the dequantising noise on or off', { skip }, async () => {
  const text = table(), csv = file('rows.csv', text), t = await VAE.parseCSV(text, { label: 'label' });
  for (const dequant of [true, false]) {
    const m = await t.createModel({ seed: 4 });
    assert.equal(m.info.likelihood, 'student_t');
    assert.deepEqual(m.table.step.map((v) => v > 0), [true, true], 'each column has its step');
    await m.trainer({ epochs: 20, dequant, worker: true, workers: 1, seed: 4 }).fit(t); // weights, eps, order as --seed 4
    const theirs = join(dir, `rows-${dequant}.st`);
    runCli('train', '--csv', csv, '--label-column', 'label', '--epochs', 20, '--seed', 4, '--out', theirs, '--quiet', ...(dequant ? [] : ['--no-dequant']));
    const w = compare(tensorValues(m.toSafetensors()), tensorValues(readFileSync(theirs)));
    console.log(`rows, dequant ${dequant}: JS vs vae train --csv: ${w.differ} weights differ (max abs ${w.maxAbs.toExponential(2)})`);
    assert.equal(w.differ, 0, JSON.stringify(w)); // the same bits: a missing noise of 1e-6 shows
    m.dispose();
  }
  const noisy = tensorValues(readFileSync(join(dir, 'rows-true.st'))), plain = tensorValues(readFileSync(join(dir, 'rows-false.st')));
  // the noise has its own generator: the same batches, so only the noise tells the two apart
  const d = compare(noisy, plain);
  console.log(`rows, dequant true vs false: ${d.differ} weights differ (max abs ${d.maxAbs.toExponential(2)})`);
  assert.ok(d.maxAbs > 0, 'the noise changes the weights');
  const m = await t.createModel();
  assert.throws(() => m.trainer({ dequant: 1 }), { code: 'VAE_ERR_ARG', message: 'trainer: dequant must be true or false (got 1)' });
  m.dispose();
});

test("README's JavaScript table example runs (fetch reading a local file)", async () => {
  const [, block] = readFileSync(join(root, 'README.md'), 'utf8').match(/^```javascript\n([\s\S]*?)^```$/m);
  writeFileSync(join(dir, 'kpi.csv'), series(200, 120).replace('time,v,label', 'time,load,label'));
  const example = join(dir, 'example.mjs');
  writeFileSync(example, `import VAE from ${JSON.stringify(join(dist, 'vae.js'))};\nimport { readFileSync } from 'node:fs';\n` +
    `const fetch = async (f) => ({ text: async () => readFileSync(${JSON.stringify(dir)} + '/' + f, 'utf8') });\n${block}\n` +
    'console.log(points.length, points.indexOf(Math.max(...points)));\n');
  assert.equal(execFileSync('node', [example], { encoding: 'utf8' }).trim(), '200 120');
});

test('vae.single.js alone (no vae-table.js beside it) parses, trains and scores a table as vae.js does', async () => {
  const alone = scratch();
  writeFileSync(join(alone, 'vae.single.js'), readFileSync(join(dist, 'vae.single.js')));
  const { default: Single } = await import(join(alone, 'vae.single.js'));
  const text = table();
  const scores = async (lib) => {
    const t = await lib.parseCSV(text, { label: 'label' }), m = await t.createModel({ seed: 2 });
    await m.trainer({ epochs: 3, workers: 1 }).fit(t); // one worker: the single file's default
    const again = await lib.load(m.toSafetensors()); // a table model from bytes: the table module's load
    const s = [m.score(t), again.score(t)];
    m.dispose();
    again.dispose();
    return s;
  };
  const [single, singleLoaded] = await scores(Single), [ours] = await scores(VAE);
  assert.deepEqual(single, ours, 'the same scores as vae.js with vae-table.js');
  assert.deepEqual(singleLoaded, ours, 'the same scores after a round trip through the file');
  const bad = 'a,b\n1,2\n3,x\n', error = await VAE.parseCSV(bad).catch((e) => e);
  await assert.rejects(Single.parseCSV(bad), { name: 'VAEError', code: error.code, message: 'parseCSV: line 3, column 2 ("b"): not a number: "x"' });
});
