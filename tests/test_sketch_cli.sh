#!/bin/bash
# End-to-end tests of the SketchRNN commands on synthetic drawings (boxes,
# crosses and zigzags in the format of tools/hanzi_strokes.py): `vae train
# --strokes` (the epoch table, the same seed giving the same numbers, the
# saved file and its metadata, --resume going on from the saved step),
# `vae info`, `vae eval` (training's last figures back), `vae export`,
# `vae sample` and `vae interpolate` (PNGs), and one-line errors for bad
# lines, drawings over the limit and names that are not in the file.
# usage: bash tests/test_sketch_cli.sh <path-to-vae> <scratch-dir>
. "$(dirname "$(realpath "$0")")/cli_harness.sh"

# 120 drawings: every 10th held out; 日 and 月 among them
$PY - <<'PY'
import math
rows = []
for i in range(120):
    k, s = i % 3, 40 + (i * 7) % 60
    if k == 0:  # a box, one stroke
        pts = [(-s, -s, 0), (2 * s, 0, 0), (0, 2 * s, 0), (-2 * s, 0, 0), (0, -2 * s, 1)]
    elif k == 1:  # a cross, two strokes
        pts = [(-s, 0, 0), (2 * s, 0, 1), (-s, -s, 0), (0, 2 * s, 1)]
    else:  # a zigzag
        pts = [(-s, -s, 0)] + [(s // 2, s if j % 2 else -s, 0) for j in range(1 + i % 5)] + [(3, 3, 1)]
    name = {0: "日", 1: "月"}.get(i, "d%d" % i)
    rows.append("%s\t%s\t%s" % (name, "test" if i % 10 == 9 else "train", " ".join("%d,%d,%d" % p for p in pts)))
open("s.txt", "w").write("\n".join(rows) + "\n")
PY

args=(train --strokes s.txt --epochs 2 --enc-hidden 8 --dec-hidden 12 --latent 4 --mixtures 3 --max-len 12 --batch 16
    --save-every 0 --out m.safetensors)
if run "${args[@]}"; then
    grep -qE '^wrote m.safetensors \(F32, [0-9.]+ kB\)$' out.txt && [ -f m.safetensors ] && ok "train --out writes the model" ||
        bad "--out: $(tail -1 out.txt)"
    grep -qx "data     s.txt: 108 training drawings, 12 held out" out.txt && ok "the test lines held out" ||
        bad "split: $(head -1 out.txt)"
    rows=$(grep -cE '^ +[0-9]/2 +[0-9]+ +[0-9.-]+ +[0-9.-]+ +[0-9.]+ +[0-9.]+ ' out.txt)
    [ "$rows" -eq 2 ] && ok "two epoch rows: step, train loss, test offsets, pen, KL" || bad "epoch rows: $rows"
    last=$(grep -E '^ +2/2 ' out.txt)
    grep -E '^ +[0-9]/2' out.txt | cut -c1-56 >first.txt
else
    bad "train --strokes: $(cat err.txt)"
fi
run "${args[@]}" && grep -E '^ +[0-9]/2' out.txt | cut -c1-56 | cmp -s - first.txt && ok "same seed, same figures" ||
    bad "a second run gave other figures"

# info: the architecture, PyTorch's names, the training metadata
run info --model m.safetensors
grep -q "^model       SketchRNN: encoder BiLSTM 8, decoder LSTM 12, latent 4, 3 mixture components, drawings up to 12 points" out.txt &&
    grep -qx "tensors     20" out.txt && grep -qE '^  decoder.out.weight +F32 +\[21, 12\]$' out.txt &&
    grep -qE '^  decoder.init.weight +F32 +\[24, 4\]$' out.txt && grep -qE '^  encoder.rnn.weight_ih_l0_reverse +F32 +\[32, 5\]$' out.txt &&
    grep -qE '^  vae_wasm.arch +\{"format":2,"model":"sketch","enc_hidden":8,"dec_hidden":12,"latent":4,"mixtures":3,"max_len":12,"scale":[0-9.]+\}$' out.txt &&
    grep -qE '^  train.steps +14$' out.txt && ok "info: architecture, 20 tensors, metadata (14 steps)" || bad "info: $(cat out.txt)"

# eval gives the last epoch's held-out figures back
read -r _ _ _ xy pen kl _ <<<"$last"
run eval --model m.safetensors --strokes s.txt &&
    grep -qE "^bound +[0-9.-]+ nats/drawing = offsets $xy \+ pen $pen \+ KL $kl \(one z each, seed 1\)$" out.txt &&
    ok "eval: training's figures ($xy + $pen + $kl)" || bad "eval: $(cat out.txt err.txt) vs $last"

# --resume goes on from the saved step with the file's sizes
run train --strokes s.txt --resume m.safetensors --epochs 1 --batch 16 --save-every 0 --out r.safetensors &&
    grep -qx "resumed  m.safetensors at step 14" out.txt && grep -qE '^ +1/1 +21 ' out.txt &&
    run info --model r.safetensors && grep -qE '^  train.steps +21$' out.txt &&
    grep -q "^model       SketchRNN: encoder BiLSTM 8, decoder LSTM 12" out.txt && ok "--resume: steps 14 -> 21" ||
    bad "resume: $(cat out.txt err.txt)"

# export F16 keeps the metadata; eval reads it
run export --model m.safetensors --out m16.safetensors && run info --model m16.safetensors &&
    grep -qE '^  decoder.out.bias +F16 +\[21\]$' out.txt && grep -qE '^  train.steps +14$' out.txt &&
    run eval --model m16.safetensors --strokes s.txt && ok "export: F16, training metadata kept" ||
    bad "export: $(cat out.txt err.txt)"

# sample and interpolate draw PNGs
run sample --model m.safetensors --n 12 --cols 6 --cell 32 --out g.png &&
    grep -qE '^wrote g.png \(12 images of 32x32 in 2 rows, a 197x65 PNG, ' out.txt && [ "$(head -c 4 g.png | tail -c 3)" = PNG ] &&
    ok "sample: a 6x2 grid PNG" || bad "sample: $(cat out.txt err.txt)"
run sample --model m.safetensors --n 12 --cols 6 --cell 32 --out g2.png && cmp -s g.png g2.png &&
    run sample --model m.safetensors --n 12 --cols 6 --cell 32 --seed 2 --out g3.png && ! cmp -s g.png g3.png &&
    ok "sample: the same seed draws the same, another seed others" || bad "sample seeds"
run sample --model m.safetensors --n 12 --out g.txt && [ "$(wc -l <g.txt)" -eq 12 ] &&
    [ "$(grep -cE '^[0-9]+	test	(-?[0-9.e+-]+,-?[0-9.e+-]+,[01]( |$))*$' g.txt)" -eq 12 ] &&
    ok "sample --out FILE.txt: 12 drawings as strokes lines" || bad "sample txt: $(cat out.txt err.txt; head -2 g.txt)"
run interpolate --model m.safetensors --strokes s.txt --a 日 --b 月 --steps 5 --cell 32 --out i.png &&
    grep -qE '^wrote i.png \(7 images of 32x32 in 1 row, ' out.txt && ok "interpolate --a 日 --b 月: a, 5 steps, b" ||
    bad "interpolate: $(cat out.txt err.txt)"

# one-line errors
expect_error "a name not in the file" "vae: --b 火: no such drawing in s.txt" \
    interpolate --model m.safetensors --strokes s.txt --a 日 --b 火 --out x.png
printf 'a\ttrain\t1,2,0 3,4,1\nb\ttrain\t1,2,0 3,x,1\n' >bad1.txt
expect_error "a malformed point" "vae: bad1.txt:2: point 2 is not dx,dy,lift (lift 0 or 1)" \
    train --strokes bad1.txt --out x.safetensors
printf 'a\ttrain\t1,2,2\n' >bad2.txt
expect_error "a lift of 2" "vae: bad2.txt:1: point 1 is not dx,dy,lift (lift 0 or 1)" train --strokes bad2.txt --out x.safetensors
printf 'a\tvalid\t1,2,1\n' >bad3.txt
expect_error "a bad split" 'vae: bad3.txt:1: the second field is "valid", want train or test' \
    train --strokes bad3.txt --out x.safetensors
printf 'a 1,2,1\n' >bad4.txt
expect_error "no tabs" "vae: bad4.txt:1: want NAME<TAB>train|test<TAB>dx,dy,lift ..." train --strokes bad4.txt --out x.safetensors
printf 'a\ttrain\t\n' >bad5.txt
expect_error "no points" "vae: bad5.txt:1: a drawing without points" train --strokes bad5.txt --out x.safetensors
expect_error "over the limit" "vae: s.txt:15: 7 points, over the model's limit 6 (--skip-long drops such lines)" \
    train --strokes s.txt --max-len 6 --out x.safetensors
run train --strokes s.txt --max-len 6 --skip-long --epochs 1 --enc-hidden 4 --dec-hidden 4 --latent 2 --mixtures 1 \
    --out x.safetensors && grep -q "held out (8 over the limit skipped)" out.txt && ok "--skip-long counts the dropped" ||
    bad "--skip-long: $(cat out.txt err.txt)"
head -c 300 m.safetensors >cut.safetensors
run sample --model cut.safetensors --out x.png
[ $? -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "^vae: cut.safetensors: " err.txt && ok "a truncated file: $(cat err.txt)" ||
    bad "truncated: $(cat err.txt)"

finish test_sketch_cli
