/* The sketch views' reading of hanzi-writer-data (web/demo/hanzi.js) gives
 * every character the strokes tools/hanzi_strokes.py writes for training:
 * the same points, strokes and pen lifts. Needs the package in tools/hanzi
 * (npm ci there; build-demo.sh does it). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root, scratch } from './helpers.mjs';
import { mediansToStrokes, rdp } from '../demo/hanzi.js';

const data = join(root, 'tools/hanzi/node_modules/hanzi-writer-data');
const skip = !existsSync(data) && 'tools/hanzi/node_modules is missing (cd tools/hanzi && npm ci)';

/* A drawing as the stroke file writes it: offsets from the origin, pen lifts. */
const rows = (strokes) => {
  let x = 0, y = 0;
  return strokes.flatMap((s) => s.map(([px, py], j) => {
    const r = `${px - x},${py - y},${j === s.length - 1 ? 1 : 0}`;
    (x = px), (y = py);
    return r;
  })).join(' ');
};

test('every character converts as tools/hanzi_strokes.py converts it', { skip }, () => {
  const out = join(scratch(), 'hanzi.txt');
  execFileSync('/usr/bin/python3', [join(root, 'tools/hanzi_strokes.py'), '--data', data, '--out', out], { stdio: 'ignore' });
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.ok(lines.length > 9000, `${lines.length} characters`);
  const differ = [];
  for (const line of lines) {
    const [char, , want] = line.split('\t');
    const got = rows(mediansToStrokes(JSON.parse(readFileSync(join(data, `${char}.json`), 'utf8')).medians));
    if (got !== want) differ.push(char);
  }
  assert.deepEqual(differ, [], `${differ.length} of ${lines.length} characters differ`);
});

test('rdp keeps the corners and drops the points within epsilon', () => {
  assert.deepEqual(rdp([[0, 0], [5, 1], [10, 0], [10, 10]], 2), [[0, 0], [10, 0], [10, 10]]);
  assert.deepEqual(rdp([[0, 0], [5, 3], [10, 0]], 2), [[0, 0], [5, 3], [10, 0]]);
  assert.deepEqual(rdp([[0, 0], [3, 4], [0, 0]], 4), [[0, 0], [3, 4], [0, 0]]); // a closed stroke: distances from the start
  assert.deepEqual(rdp([[1, 1]], 8), [[1, 1]]);
});
