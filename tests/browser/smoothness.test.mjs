/* The page thread stays free (in either engine, VAE_BROWSER): while the
 * demo page loads and a reader scrolls slowly to the bottom, no stall
 * exceeds 100 ms and the blocking time stays under 200 ms (with a margin),
 * and no model method gets a bulk batch on the page thread;
 * training in a Worker keeps it free too, also after a training on the page
 * thread. The hero draws its first picture within 1 MB. Stalls are counted
 * in CPU time of the page's thread (smoothness.mjs): this machine's other
 * processes stretch the wall-clock gaps, which are printed beside them. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { start, watchedPage, tagsPage, ENGINE } from './helpers.mjs';
import { loadAndScroll, watchStalls } from './smoothness.mjs';

const MARGIN = 1.5; // for noisy, shared machines
const LONGEST_MS = 100 * MARGIN, BLOCKING_MS = 200 * MARGIN;
const FIRST_PICTURE_BYTES = 1e6;
const BULK = 256; // inputs: a larger batch on the page thread belongs in the demo's worker

/* Installed before the page's scripts: the largest batch each model method that takes inputs got
 * on the page thread. Whether a view encodes thousands of digits or scores a whole series there
 * does not depend on the machine's load, as the stalls do. */
function recordBatches() {
  window.__batches = { installed: false, largest: {} };
  import('./vae.js').then(({ Model }) => {
    for (const name of ['encode', 'score', 'reconstruct']) {
      const method = Model.prototype[name];
      Model.prototype[name] = function (inputs, ...rest) {
        const n = ArrayBuffer.isView(inputs) ? inputs.length / this.info.inputSize : inputs?.length ?? 0;
        window.__batches.largest[name] = Math.max(window.__batches.largest[name] ?? 0, n);
        return method.call(this, inputs, ...rest);
      };
    }
    window.__batches.installed = true;
  });
}

let s;
before(async () => (s = await start()));
after(() => s?.close());

/* The CPU-time figures when this OS gives them, else the wall-clock ones. */
const figures = (m) => m.cpu ?? m;
const report = (what, m) => console.log(`# ${ENGINE}, ${what}: longest stall ${m.cpu?.longest} ms of CPU (${m.longest} ms wall), ` +
  `blocking ${m.cpu?.blocking} ms of CPU (${m.blocking} ms wall)${m.cpu?.over100.length ? `; over 100 ms: ${m.cpu.over100.join(', ')}` : ''}`);

test('loading the demo page and scrolling it to the bottom never stalls the page thread', async () => {
  const { page, problems, context } = await watchedPage(s.browser);
  await page.addInitScript(recordBatches);
  const m = await loadAndScroll(page, s.url);
  report('load and scroll', m);
  const batches = await page.evaluate(() => window.__batches);
  console.log(`# ${ENGINE}: the largest batches on the page thread: ${JSON.stringify(batches.largest)}`);
  const hero = m.ready.find((r) => r.hero);
  console.log(`# ${ENGINE}: the hero's first picture after ${Math.round(hero?.at)} ms and ${hero?.bytes.toLocaleString('en')} bytes; ${m.ready.length} demos ready`);
  assert.deepEqual(problems, []);
  assert.ok(figures(m).longest <= LONGEST_MS, `a stall of ${figures(m).longest} ms (limit ${LONGEST_MS})`);
  assert.ok(figures(m).blocking <= BLOCKING_MS, `blocking time ${figures(m).blocking} ms (limit ${BLOCKING_MS})`);
  assert.ok(batches.installed);
  for (const [name, n] of Object.entries(batches.largest))
    assert.ok(n <= BULK, `model.${name} on the page thread took a batch of ${n} (limit ${BULK}): do it in the demo's worker`);
  if (ENGINE === 'chromium') // the bytes as Chromium counts them (resource timing): deterministic
    assert.ok(hero.bytes <= FIRST_PICTURE_BYTES, `the first picture needed ${hero.bytes.toLocaleString('en')} bytes (limit ${FIRST_PICTURE_BYTES.toLocaleString('en')})`);
  await context.close();
});

test('training in a Worker keeps the page thread free, also after a training on the page thread', async () => {
  const { page, problems, context } = await tagsPage(s, '');
  await page.evaluate(async () => {
    const { VAE } = await import('./vae.js');
    const d = await VAE.readIDX('data/digits-images.idx.gz', 'data/digits-labels.idx.gz');
    window.digits = { images: d.images.slice(0, 3000 * 784) };
    window.model = await VAE.create({ encoder: [256], latent: 10, seed: 1 });
  });
  const inWorker = async (what) => {
    const done = await watchStalls(page);
    await page.evaluate(() => window.model.trainer({ worker: true, epochs: 2, batchSize: 100 }).fit(window.digits));
    const m = await done();
    report(what, m);
    return m;
  };
  const first = await inWorker('training in a Worker');
  await page.evaluate(() => window.model.trainer({ epochs: 1, batchSize: 100 }).fit({ images: window.digits.images.subarray(0, 500 * 784) }));
  const second = await inWorker('training in a Worker after one on the page thread');
  assert.deepEqual(problems, []);
  for (const [what, m] of [['the first', first], ['the second', second]])
    assert.ok(figures(m).longest <= LONGEST_MS, `${what} training in a Worker stalled the page thread for ${figures(m).longest} ms (limit ${LONGEST_MS})`);
  await context.close();
});
