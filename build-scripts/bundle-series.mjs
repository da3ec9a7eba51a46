// The timeseries demo's real series: the weekly Mauna Loa CO2 record that
// Debian's python3-statsmodels ships (statsmodels.datasets.co2), its last
// ten years detrended by the trailing 52-week mean (as tests/bench/tables.py
// does), a gap carrying the last value, into OUT/co2.csv. Without the
// package nothing is written and the view makes a series up.
// Usage: node build-scripts/bundle-series.mjs OUT
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SRC = '/usr/lib/python3/dist-packages/statsmodels/datasets/co2/co2.csv';
const out = join(process.argv[2], 'co2.csv');
if (!existsSync(SRC)) {
  rmSync(out, { force: true });
  console.log('bundle-series.mjs: no python3-statsmodels: the timeseries view makes its series up');
  process.exit(0);
}
const rows = readFileSync(SRC, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
let last = NaN;
const values = rows.map(([, v]) => (last = v === '' ? last : Number(v)));
const lines = ['date,co2_detrended'];
for (let i = values.length - 520; i < values.length; i++) {
  const trend = values.slice(i - 52, i).reduce((a, b) => a + b, 0) / 52;
  lines.push(`${rows[i][0]},${(values[i] - trend).toFixed(3)}`);
}
writeFileSync(out, `${lines.join('\n')}\n`);
console.log(`bundle-series.mjs: ${lines.length - 1} weeks of Mauna Loa CO2 (python3-statsmodels) into ${out}`);
