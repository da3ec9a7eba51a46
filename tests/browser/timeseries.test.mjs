/* The timeseries view: trains in its Web Worker on the made-up seasonal
 * series (and on the CO2 weeks) and flags the planted anomalies; a pasted CSV with one planted
 * spike gets that spike flagged. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { start, tagsPage, canvasStats, DIST, SHOTS } from './helpers.mjs';

let s;
before(async () => (s = await start()));
after(() => s?.close());

/* Resolves with the flagged points of the next training that ends (of a
 * fresh element when html is given). */
const trained = (page, html) => page.evaluate((html) => new Promise((resolve, reject) => {
  if (html) document.body.innerHTML = html;
  const demo = document.querySelector('vae-demo');
  demo.addEventListener('vae-trained', (e) => resolve(e.detail.flagged), { once: true });
  demo.addEventListener('vae-error', (e) => reject(new Error(e.detail.message)), { once: true });
  setTimeout(() => reject(new Error(`no training ended: ${demo.shadowRoot.querySelector('output.readout')?.textContent}`)), 120000);
}), html);

test('the made-up series: its spike, level shift and flat day are flagged, little else', async () => {
  const { page, problems } = await tagsPage(s, '');
  const flagged = await trained(page, '<vae-demo view="timeseries" series="made-up" size="620"></vae-demo>');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.locator('vae-demo').screenshot({ path: `${SHOTS}timeseries-made-up.png` });
  console.log(`# flagged: ${flagged.join(',')}`);
  const near = (lo, hi) => flagged.some((i) => i >= lo && i < hi);
  // A point's score is the mean of the 24 windows covering it: an anomaly raises its neighbours' too.
  assert.ok(near(340, 341), 'the spike at 340');
  assert.ok(near(200, 212), 'the level shift at 200..211');
  assert.ok(near(432, 456), 'the flat day 432..455');
  assert.ok(flagged.every((i) => Math.abs(i - 340) < 24 || (i > 176 && i < 235) || (i > 408 && i < 479)), `false alarms: ${flagged}`);
  const stats = await canvasStats(page, 'vae-demo');
  assert.ok(stats.every((c) => c.std > 5), JSON.stringify(stats));
  assert.deepEqual(problems, []);
});

test('a pasted CSV with one planted spike gets that spike flagged', async () => {
  const { page, problems } = await tagsPage(s, '');
  await trained(page, '<vae-demo view="timeseries" series="made-up" window="16" epochs="150"></vae-demo>');
  let csv = 'time,temperature,pressure\n';
  for (let i = 0; i < 300; i++)
    csv += `${i},${(20 + 5 * Math.sin((2 * Math.PI * i) / 30) + 0.2 * Math.sin(i * 7.3) + (i === 170 ? 6 : 0)).toFixed(3)},${1000 + (i % 5)}\n`;
  const el = page.locator('vae-demo');
  await el.locator('summary').click();
  await el.locator('textarea').fill(csv);
  await page.waitForFunction(() => document.querySelector('vae-demo').shadowRoot.querySelector('select').options.length === 3);
  await el.locator('select').selectOption('temperature');
  const flaggedP = trained(page);
  await el.locator('button', { hasText: 'Train' }).click();
  const flagged = await flaggedP;
  console.log(`# pasted: flagged ${flagged.join(',')}`);
  assert.ok(flagged.includes(170), `the spike at 170 is not flagged: ${flagged}`);
  assert.ok(flagged.every((i) => Math.abs(i - 170) < 16), `false alarms: ${flagged}`);
  await el.screenshot({ path: `${SHOTS}timeseries-pasted.png` });
  assert.deepEqual(problems, []);
});

// data/co2.csv comes from python3-statsmodels (build-scripts/bundle-series.mjs), which deps.sh browser does not install.
const noCO2 = !existsSync(`${DIST}data/co2.csv`) && 'no data/co2.csv: the build had no python3-statsmodels';

test('the default: weekly CO2 (python3-statsmodels) with its planted spike and level shift flagged', { skip: noCO2 }, async () => {
  const { page, problems } = await tagsPage(s, '');
  const flagged = await trained(page, '<vae-demo view="timeseries" size="620"></vae-demo>');
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.locator('vae-demo').screenshot({ path: `${SHOTS}timeseries-co2.png` });
  console.log(`# CO2: flagged ${flagged.join(',')}`);
  assert.match(await page.locator('vae-demo .hint').textContent(), /Mauna Loa/, 'the build bundled no data/co2.csv');
  assert.ok(flagged.includes(300), 'the spike at week 300');
  assert.ok(flagged.some((i) => i >= 400 && i < 412), 'the level shift at weeks 400..411');
  assert.ok(flagged.length < 0.15 * 520, `${flagged.length} of 520 weeks flagged`);
  assert.deepEqual(problems, []);
});
