#!/usr/bin/python3
"""Chinese characters as stroke-3 sequences for the SketchRNN model (`vae train --strokes`).

Reads npm hanzi-writer-data (tools/hanzi: `npm ci`; one JSON per character,
`medians` the stroke centre lines in stroke order, from Make Me a Hanzi,
licence ARPHIC PL in the package) and writes one character a line:

    CHAR<TAB>train|test<TAB>dx,dy,p dx,dy,p ...

dx, dy integer offsets in the 1024-unit em box (y down, the first offset from
the box centre), p 1 where the pen lifts after the point (the end of a stroke).
Each stroke is simplified by Ramer-Douglas-Peucker (--epsilon, box units) so
sequences stay short enough to learn; characters over --max-len points are
dropped. 5% of characters are held out for the test loss, chosen by a hash of
the character (crc32 % 20 == 0), so the split never changes. Never commit the
output: it is derived data, made at training/test time.
"""
import argparse
import json
import os
import sys
import zlib


def rdp(points, eps):
    """Ramer-Douglas-Peucker: the points within eps of the simplified polyline are dropped."""
    if len(points) < 3:
        return list(points)
    (x0, y0), (x1, y1) = points[0], points[-1]
    dx, dy = x1 - x0, y1 - y0
    norm = (dx * dx + dy * dy) ** 0.5
    best, index = -1.0, 0
    for i in range(1, len(points) - 1):
        px, py = points[i]
        if norm == 0:
            d = ((px - x0) ** 2 + (py - y0) ** 2) ** 0.5
        else:
            d = abs(dy * px - dx * py + x1 * y0 - y1 * x0) / norm
        if d > best:
            best, index = d, i
    if best <= eps:
        return [points[0], points[-1]]
    return rdp(points[: index + 1], eps)[:-1] + rdp(points[index:], eps)


def stroke3(medians, eps):
    """Offsets (dx, dy, p) of the simplified medians, y flipped to point down."""
    out, px, py = [], 512, 512
    for stroke in medians:
        pts = rdp([(x, 900 - y) for x, y in stroke], eps)
        for i, (x, y) in enumerate(pts):
            out.append((x - px, y - py, 1 if i == len(pts) - 1 else 0))
            px, py = x, y
    return out


def held_out(char):
    return zlib.crc32(char.encode("utf-8")) % 20 == 0


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=os.path.join(here, "hanzi", "node_modules", "hanzi-writer-data"))
    ap.add_argument("--out", required=True, help="the stroke file to write")
    ap.add_argument("--epsilon", type=float, default=8.0, help="RDP tolerance in em-box units (of 1024)")
    ap.add_argument("--max-len", type=int, default=120, help="drop characters with more points")
    ap.add_argument("--limit", type=int, default=0, help="only the first N characters (tests)")
    a = ap.parse_args()
    if not os.path.isdir(a.data):
        sys.exit(f"hanzi_strokes: no {a.data}: run (cd tools/hanzi && npm ci)")
    names = sorted(n for n in os.listdir(a.data) if n.endswith(".json") and len(n) == 6)
    names = [n for n in names if len(n[:-5]) == 1]
    if a.limit:
        names = names[: a.limit]
    lens, raw, dropped, rows = [], [], 0, []
    for n in names:
        with open(os.path.join(a.data, n), encoding="utf-8") as f:
            medians = json.load(f)["medians"]
        raw.append(sum(len(s) for s in medians))
        seq = stroke3(medians, a.epsilon)
        if not seq or len(seq) > a.max_len:
            dropped += 1
            continue
        lens.append(len(seq))
        ch = n[:-5]
        rows.append(f"{ch}\t{'test' if held_out(ch) else 'train'}\t" + " ".join(f"{x},{y},{p}" for x, y, p in seq))
    with open(a.out, "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    lens.sort()
    test = sum(1 for r in rows if "\ttest\t" in r)
    pct = lambda q: lens[min(len(lens) - 1, int(q * len(lens)))]
    print(f"{len(rows)} characters ({len(rows) - test} train, {test} test), {dropped} over {a.max_len} points dropped")
    print(f"points per character: raw mean {sum(raw) / len(raw):.1f}; simplified (epsilon {a.epsilon}) mean "
          f"{sum(lens) / len(lens):.1f}, median {pct(0.5)}, p95 {pct(0.95)}, max {lens[-1]}")


if __name__ == "__main__":
    main()
