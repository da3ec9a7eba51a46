/* Real Chinese characters for the sketch views, as the sketch models read
 * them: npm hanzi-writer-data's files (one JSON a character; `medians` are
 * the strokes' centre lines in stroke order, from Make Me a Hanzi; licence
 * ARPHIC PL), converted as tools/hanzi_strokes.py converts them for
 * training: y flipped to point down (900 - y), each stroke simplified by
 * Ramer-Douglas-Peucker at 8 units of the 1024-unit box, points absolute
 * from the box's centre (vae-seq.js's drawings). build-demo.sh copies a few
 * characters' files, unmodified, with the package's licence, into
 * data/hanzi/ and lists them in data/hanzi/index.json. No DOM here: the
 * Node tests check the conversion against the Python one. */

import { fetchBytes } from './shared.js';

export const EPSILON = 8; // tools/hanzi_strokes.py --epsilon
export const BOX = [-512, -512, 512, 512]; // the em box in the drawings' units

/* Ramer-Douglas-Peucker: the points within eps of the simplified polyline
 * are dropped (the same arithmetic as hanzi_strokes.py's rdp). */
export function rdp(points, eps) {
  if (points.length < 3) return points.slice();
  const [[x0, y0], [x1, y1]] = [points[0], points.at(-1)], dx = x1 - x0, dy = y1 - y0;
  const norm = (dx * dx + dy * dy) ** 0.5;
  let best = -1, index = 0;
  for (let i = 1; i < points.length - 1; i++) {
    const [px, py] = points[i];
    const d = norm === 0 ? ((px - x0) ** 2 + (py - y0) ** 2) ** 0.5 : Math.abs(dy * px - dx * py + x1 * y0 - y1 * x0) / norm;
    if (d > best) (best = d), (index = i);
  }
  if (best <= eps) return [points[0], points.at(-1)];
  return [...rdp(points.slice(0, index + 1), eps).slice(0, -1), ...rdp(points.slice(index), eps)];
}

/* A character's medians (hanzi-writer-data, y up from -124) as strokes. */
export function mediansToStrokes(medians, eps = EPSILON) {
  return medians.map((s) => rdp(s.map(([x, y]) => [x, 900 - y]), eps).map(([x, y]) => [x - 512, y - 512]));
}

const load = async (url) => JSON.parse(new TextDecoder().decode(await fetchBytes(url, false)));

/* The characters bundled in a data folder (build-demo.sh), as a string. */
export const bundledCharacters = (folder) => load(new URL('hanzi/index.json', folder).href).then((list) => list.join(''));

/* One bundled character's strokes. */
export const readCharacter = (folder, char) => load(new URL(`hanzi/${char}.json`, folder).href).then((d) => mediansToStrokes(d.medians));
