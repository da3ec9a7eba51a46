#!/bin/bash
# End-to-end tests of `vae train --csv` and `vae score --csv` on small tables
# made here: defaults that just work, raw values standardised by the model
# file's metadata, TSV, labels with the ROC AUC, time-series windows with
# per-point scores, and one-line errors that leave nothing behind.
# usage: bash tests/test_csv_cli.sh <path-to-vae> <scratch-dir>
. "$(dirname "$(realpath "$0")")/cli_harness.sh"
# expect_error DESCRIPTION MESSAGE OUTPUT ARGS...: exit 1, exactly MESSAGE on
# stderr, and neither OUTPUT nor a temporary of it left behind.
expect_error() {
    local desc=$1 want=$2 out=$3
    shift 3
    rm -f "$out"
    run "$@"
    local rc=$?
    if [ $rc -eq 1 ] && [ "$(cat err.txt)" = "$want" ] && [ ! -e "$out" ] && ! ls "$out".tmp-* >/dev/null 2>&1; then
        ok "$desc: $want"
    else
        bad "$desc: exit $rc, stderr: $(cat err.txt), output $([ -e "$out" ] && echo left || echo absent)"
    fi
}

# 300 rows of 3 correlated columns on very different scales (about 1000, 0
# and 0.01), an id column that is not a number, a label column; row 200 is
# far off the correlation (label 1), rows 250-259 are mildly off (label 1).
$PY - <<'EOF'
import math, random
random.seed(7)
rows = []
for i in range(300):
    u = random.gauss(0, 1)
    a, b, c, lab = 1000 + 50 * u, -2 * u + random.gauss(0, 0.1), 0.01 + 0.002 * u * u, 0
    if i == 200: b, lab = 2 * u + 6, 1
    if 250 <= i < 260: b, lab = -2 * u + 1.5, 1
    rows.append((f"r{i}", a, b, c, lab))
with open("t.csv", "w") as f:
    f.write("id,a,b,c,label\n")
    for r in rows: f.write("%s,%.6g,%.6g,%.6g,%d\n" % r)
with open("t.tsv", "w") as f:
    f.write("id\ta\tb\tc\tlabel\n")
    for r in rows: f.write("%s\t%.6g\t%.6g\t%.6g\t%d\n" % r)
with open("nolabel.csv", "w") as f:
    f.write("a,b,c\n")
    for r in rows: f.write("%.6g,%.6g,%.6g\n" % r[1:4])
# a daily-like cycle of 24 points, 20 cycles, with a spike at 300 and a level shift 400-405
with open("ts.csv", "w") as f:
    f.write("time,v,label\n")
    for i in range(480):
        v, lab = math.sin(2 * math.pi * i / 24) + 0.05 * random.gauss(0, 1), 0
        if i == 300: v, lab = v + 2.5, 1
        if 400 <= i < 406: v, lab = v + 1.5, 1
        f.write("%d,%.5f,%d\n" % (i, v, lab))
EOF

# Defaults: every numeric column (the label too, without --label-column), a model that just works.
if run train --csv nolabel.csv --out plain.st --quiet && run score --model plain.st --csv nolabel.csv --out plain.txt; then
    [ "$(wc -l <plain.txt)" -eq 300 ] && ok "defaults: 300 scores for 300 rows" || bad "defaults: $(wc -l <plain.txt) scores"
    top=$(awk '{print NR, $1}' plain.txt | sort -k2 -g | tail -1 | cut -d' ' -f1)
    [ "$top" = 201 ] && ok "defaults: the far-off row (line 201 of the scores) scores highest" ||
        bad "defaults: highest score at line $top"
else
    bad "defaults: $(cat err.txt)"
fi
# The spec in the model file: the training mean and std of every column, so score takes raw values.
run info --model plain.st
grep -q '^model *VAE 3-64-16-64-3, identity, student_t$' out.txt &&
    ok "defaults for rows: a linear VAE, latent 16, Student-t" || bad "rows' defaults: $(grep ^model out.txt)"
$PY - <<'EOF' && ok "metadata: columns, mean, std and step of the training rows" || bad "metadata: $(grep table out.txt)"
import json, statistics, struct
line = [l for l in open("out.txt") if l.startswith("  vae_wasm.table")][0]
spec = json.loads(line.split(None, 1)[1])
rows = [list(map(float, l.split(","))) for l in open("nolabel.csv").read().split("\n")[1:] if l]
assert spec["columns"] == ["a", "b", "c"] and spec["window"] == 0, spec
for j in range(3):
    col = [r[j] for r in rows]
    m, s = statistics.fmean(col), statistics.pstdev(col)
    values = sorted(set(struct.unpack("f", struct.pack("f", v))[0] for v in col))  # as read, in float
    gap = min(b - a for a, b in zip(values, values[1:]))
    assert abs(spec["step"][j] - gap) <= 1e-5 * gap, (j, spec["step"][j], gap)
    assert abs(spec["mean"][j] - m) <= 1e-5 * max(abs(m), 1e-3), (j, spec["mean"][j], m)
    assert abs(spec["std"][j] - s) <= 1e-5 * s, (j, spec["std"][j], s)
EOF
# Same command, same file.
run train --csv nolabel.csv --out plain2.st --quiet && cmp -s plain.st plain2.st && ok "same seed, bit-identical model" ||
    bad "a second training gave another file"
# --no-dequant: the noise was there (other weights without it) and is optional
run train --csv nolabel.csv --out plain3.st --quiet --no-dequant && ! cmp -s plain.st plain3.st &&
    ok "--no-dequant: other weights than with the noise" || bad "--no-dequant: $(cat err.txt)"
run train --train-images x --no-dequant --out z.st
grep -q "no-dequant need --csv" err.txt && ok "--no-dequant needs --csv" || bad "--no-dequant without --csv: $(cat err.txt)"

# Labels: training leaves the anomalies out; score reports the AUC and a threshold.
if run train --csv t.csv --label-column label --out lab.st; then
    grep -q "11 rows with a labelled anomaly left out" out.txt && grep -q "289 training rows of 1x3" out.txt &&
        ok "label column: the 11 anomalies left out, the id column skipped" || bad "label training: $(head -3 out.txt)"
else
    bad "label training: $(cat err.txt)"
fi
if run score --model lab.st --csv t.csv --out lab.txt; then
    auc=$(awk '/^ROC AUC/ {print $3}' out.txt)
    awk -v a="$auc" 'BEGIN {exit !(a >= 0.9)}' && ok "labelled table: ROC AUC $auc >= 0.9" || bad "ROC AUC '$auc'"
    grep -qE '^TPR .* at most 5% of label 0 exceed' out.txt && ok "threshold at a 5% false-alarm rate" ||
        bad "no threshold line: $(cat out.txt)"
    grep -q '^score      -log p(x), IWAE with k = 100, seed 1' out.txt && ok "a table's default score: IWAE, k 100" ||
        bad "default score: $(grep '^score' out.txt)"
else
    bad "labelled score: $(cat err.txt)"
fi
run score --model lab.st --csv t.tsv --out tsv.txt && cmp -s lab.txt tsv.txt && ok "TSV: the same scores as CSV" ||
    bad "TSV scores differ: $(cat err.txt)"
run score --model lab.st --csv t.csv --out fa.txt --false-alarm 0.2 && grep -q "at most 20% of label 0" out.txt &&
    ok "--false-alarm 0.2" || bad "--false-alarm: $(cat out.txt err.txt)"
# Columns by number (1-based), in the order given.
run train --csv t.csv --columns 4,2,3 --out num.st --quiet --epochs 1 && run info --model num.st &&
    grep -q '"columns":\["c","a","b"\]' out.txt && ok "--columns by number: c, a, b" || bad "--columns 4,2,3: $(cat err.txt)"

# Time series: windows of 24, a score per time point.
if run train --csv ts.csv --columns v --label-column label --window 24 --out ts.st --quiet &&
    run score --model ts.st --csv ts.csv --out ts.txt; then
    [ "$(wc -l <ts.txt)" -eq 480 ] && ok "window: 480 scores for 480 points" || bad "window: $(wc -l <ts.txt) scores"
    auc=$(awk '/^ROC AUC/ {print $3}' out.txt)
    awk -v a="$auc" 'BEGIN {exit !(a >= 0.9)}' && ok "window: point-wise ROC AUC $auc >= 0.9" || bad "window AUC '$auc'"
    run info --model ts.st && grep -q '^model *VAE 24-64-8-64-24, relu, gaussian_learned$' out.txt &&
        ok "defaults for windows: relu, latent 8" || bad "windows' defaults: $(grep ^model out.txt)"
else
    bad "window: $(cat err.txt)"
fi
# 24 rows are one window: every point gets its score A; 25 rows are two (A, B): the
# points inside both get (A + B) / 2, the first A and the last B.
head -25 ts.csv >ts24.csv
head -26 ts.csv >ts25.csv
if run score --model ts.st --csv ts24.csv --out w1.txt && run score --model ts.st --csv ts25.csv --out w2.txt; then
    $PY - <<'EOF2' && ok "window: a point's score is the mean over the windows covering it" || bad "covering means"
one = [float(l) for l in open("w1.txt")]
two = [float(l) for l in open("w2.txt")]
a, b = two[0], two[-1]
assert len(one) == 24 and len(two) == 25 and set(one) == {a} and a != b, (one[:2], two[:2], b)
assert all(abs(v - (a + b) / 2) <= 1e-6 * abs(a + b) for v in two[1:-1]), two
EOF2
else
    bad "short series: $(cat err.txt)"
fi

# Errors: one line naming the place, nothing written.
printf 'a,b\n1,2\n3,x\n' >nan.csv
expect_error "non-number" 'vae: nan.csv: line 3, column 2 ("b"): not a number: "x"' m.st train --csv nan.csv --out m.st
printf 'a,b\n1,2\n3,\n' >gap.csv
expect_error "missing value" 'vae: gap.csv: line 3, column 2 ("b"): missing value' m.st train --csv gap.csv --out m.st
printf 'a,b\n1,2\n3,4,5\n' >ragged.csv
expect_error "ragged row" 'vae: ragged.csv: line 3: 3 fields, the header has 2' m.st train --csv ragged.csv --out m.st
: >empty.csv
expect_error "empty file" 'vae: empty.csv: the file is empty' m.st train --csv empty.csv --out m.st
printf 'a,b\n1,2\n3,2\n' >const.csv
expect_error "constant column" \
    'vae: const.csv: column "b" is constant (2 in every row): it cannot be standardised' m.st train --csv const.csv --out m.st
expect_error "unknown column" 'vae: t.csv: no column "zz" in the header (5 columns: id, a, b, c, label)' m.st \
    train --csv t.csv --columns a,zz --out m.st
printf 'a,b\n1,2\n' >short.csv
expect_error "score: a column the model needs" \
    'vae: short.csv: no column "c" in the header (2 columns: a, b)' s.txt score --model lab.st --csv short.csv --out s.txt
printf 'c,b,a\n1,2,3\n3,x,1\n' >nan3.csv
expect_error "score: a non-number" 'vae: nan3.csv: line 3, column 2 ("b"): not a number: "x"' s.txt \
    score --model lab.st --csv nan3.csv --out s.txt
printf 'v\n1\n' >one.csv
expect_error "score: series shorter than the window" \
    'vae: one.csv: a window of 24 rows is longer than the 1 rows' s.txt score --model ts.st --csv one.csv --out s.txt

finish test_csv_cli
