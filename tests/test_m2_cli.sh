#!/bin/bash
# End-to-end tests of the semi-supervised M2 model in the vae tool: vae train
# --model m2 --labelled N, vae classify, and their one-line errors, on a tiny
# synthetic data set the test makes.
# usage: bash tests/test_m2_cli.sh <path-to-vae> <scratch-dir>
. "$(dirname "$(realpath "$0")")/cli_harness.sh"
# expect_error DESCRIPTION OUTPUT PATTERN ARGS...: non-zero exit, exactly one
# line on stderr matching PATTERN, and OUTPUT not written.
expect_error() {
    local desc=$1 out=$2 pattern=$3
    shift 3
    rm -f "$out"
    run "$@"
    local rc=$? lines
    lines=$(wc -l <err.txt)
    if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && grep -q -- "$pattern" err.txt && [ ! -e "$out" ]; then
        ok "$desc: exit $rc, $(cat err.txt)"
    else
        bad "$desc: exit $rc, $lines stderr lines, output $([ -e "$out" ] && echo left || echo absent)"
        sed 's/^/      /' err.txt
    fi
}

# 160 8x8 images of 4 classes (horizontal bar, vertical bar, small and big
# square) at random places, and 40 test images; labels beside them, and
# label files sorted by class, out of range (9) and with class 3 almost absent.
$PY - <<'EOF' || exit 1
import random, struct
random.seed(1)
def image(c):
    img = [[0] * 8 for _ in range(8)]
    r = random.randrange(1, 6)
    if c == 0: img[r] = [255] * 8
    elif c == 1:
        for y in range(8): img[y][r] = 255
    else:
        s, x0 = c - 1, random.randrange(0, 7 - c)
        for y in range(r - 1, r - 1 + s + 1):
            for x in range(x0, x0 + s + 1): img[y][x] = 255
    return bytes(v for row in img for v in row)
def write(prefix, n):
    labels = [i % 4 for i in range(n)]
    open(prefix + '-images.idx', 'wb').write(struct.pack('>IIII', 0x803, n, 8, 8) + b''.join(image(c) for c in labels))
    open(prefix + '-labels.idx', 'wb').write(struct.pack('>II', 0x801, n) + bytes(labels))
write('train', 160)
write('test', 40)
open('sorted-labels.idx', 'wb').write(struct.pack('>II', 0x801, 160) + bytes(sorted(i % 4 for i in range(160))))
open('bad-labels.idx', 'wb').write(struct.pack('>II', 0x801, 40) + bytes([9] * 40))
open('few3-labels.idx', 'wb').write(struct.pack('>II', 0x801, 160) + bytes(3 if i == 3 else i % 3 for i in range(160)))
EOF
M2=(--model m2 --train-images train-images.idx --labels train-labels.idx --test-images test-images.idx
    --test-labels test-labels.idx --hidden 32 --latent 4 --batch 16 --labelled-batch 8)

# ---------------------------------------------------------------- training
M2+=(--labelled 40 --lr 3e-3)
run train "${M2[@]}" --seed 3 --epochs 60 --out m2.st
check "train M2 with 40 of 160 labels" [ $? -eq 0 -a -s m2.st ]
check "  reports 40 labelled and 120 unlabelled images" grep -q '160 training images of 8x8 (40 labelled, 120 not)' out.txt
check "  prints one line per epoch, with the test error" [ "$(grep -cE '^ +[0-9]+/60 .* %' out.txt)" -eq 60 ]
check "  describes the classifier" grep -q 'M2 64-32-4-32-64, 4 classes, classifier 64-32-4' out.txt
check "  uses alpha = 0.1 x (16 + 8) / 8, the paper's 0.1 N with 8 labelled beside every 16" grep -q 'alpha 0.3,' out.txt
run info --model m2.st
check "the file names the model kind" grep -q '"model":"m2"' out.txt
check "  and holds the classifier's layers, PyTorch-named" \
    bash -c "grep -q 'classifier.layers.0.weight *F32 *\[32, 64\]' out.txt && grep -q 'classifier.out.bias *F32 *\[4\]' out.txt"
check "  and the labels it was trained with" grep -q 'train.labelled *40, balanced, seed 6' out.txt
run train "${M2[@]}" --seed 3 --epochs 60 --out again.st
check "same command and seed give a byte-identical file" cmp -s m2.st again.st
run train --model m2 --train-images train-images.idx --labels sorted-labels.idx --labelled 12 --epochs 1 --out sorted.st
check "labels are drawn balanced, also when sorted by class" grep -q 'per class: 3 3 3 3$' out.txt
run export --model m2.st --dtype f32 --out back.st
check "the model loads back: exported, it gives the same probabilities and ELBO" bash -c \
    "'$V' classify --model m2.st --images test-images.idx >a.txt && '$V' classify --model back.st --images test-images.idx >b.txt &&
     cmp -s a.txt b.txt && '$V' eval --model m2.st --images test-images.idx --labels test-labels.idx | tail -2 | cut -c1-50 >a.txt &&
     '$V' eval --model back.st --images test-images.idx --labels test-labels.idx | tail -2 | cut -c1-50 >b.txt && cmp -s a.txt b.txt"

# ---------------------------------------------------------------- classify
run classify --model m2.st --images test-images.idx
check "classify prints one class per image" bash -c "[ \$(grep -cE '^[0-3]$' out.txt) -eq 40 ] && [ \$(wc -l <out.txt) -eq 40 ]"
cp out.txt predictions.txt
run classify --model m2.st --images test-images.idx --labels test-labels.idx
check "classify with labels prints the error" grep -qE '^error: [0-9]+\.[0-9]{2}%$' out.txt
# the confusion matrix: 4 rows of 4 counts adding up to 40; its off-diagonal
# counts are the error, and the predictions above are its columns
$PY - <<'EOF'
import struct, sys
lines = open('out.txt').read().split('\n')
err = float(lines[0].split()[1][:-1])
rows = [list(map(int, l.split()[1:])) for l in lines[3:7]]
labels = open('test-labels.idx', 'rb').read()[8:]
pred = [int(l) for l in open('predictions.txt').read().split()]
want = [[sum(1 for y, p in zip(labels, pred) if y == t and p == k) for k in range(4)] for t in range(4)]
wrong = 40 - sum(rows[i][i] for i in range(4))
ok = rows == want and abs(err - 100 * wrong / 40) < 0.006
print(f"confusion {rows}, error {err}%", file=sys.stderr)
open('confusion.ok', 'w').write('1' if ok else '0')
open('error.txt', 'w').write(str(err))
EOF
check "  and the confusion matrix the predictions make" [ "$(cat confusion.ok)" = 1 ]
err=$(cat error.txt)
# 10 labels a class: well below the 75% of guessing
check "  the classifier learned from 40 labels (error $err%)" $PY -c "import sys; sys.exit(not $err < 50)"

# ---------------------------------------------------------------- errors
expect_error "--labelled more than the images" x.st "more than the 160 training images" \
    train "${M2[@]}" --labelled 200 --out x.st
expect_error "--labelled not a multiple of the classes" x.st "not a multiple of the 4 classes" \
    train "${M2[@]}" --labelled 6 --out x.st
expect_error "a class with fewer images than its share" x.st "class 3 has 1 training images" \
    train --model m2 --train-images train-images.idx --labels few3-labels.idx --labelled 8 --out x.st
expect_error "--labelled without --model m2" x.st "applies to --model m2 only" \
    train --train-images train-images.idx --labelled 8 --out x.st
expect_error "--model m2 without labels" x.st "needs --train-labels" \
    train --model m2 --train-images train-images.idx --labelled 8 --out x.st
expect_error "--labels and --train-labels" x.st "not both" \
    train "${M2[@]}" --train-labels train-labels.idx --out x.st
expect_error "classify with labels out of range" none "label 9 of image 0 is out of range" \
    classify --model m2.st --images test-images.idx --labels bad-labels.idx
run train --train-images train-images.idx --hidden 8 --latent 2 --epochs 1 --out vae.st
expect_error "classify with a model that has no classifier" none "only M2 models classify" \
    classify --model vae.st --images test-images.idx

# ---------------------------------------------------------------- M1+M2 and the protocol's options
run train --train-images train-images.idx --hidden 16 --latent 3 --epochs 5 --seed 1 --out m1.st
M12=(--model m2 --train-images train-images.idx --labels train-labels.idx --m1 m1.st --labelled 40 --hidden 16
    --latent 2 --likelihood gaussian --sigma 0.3 --batch 16 --epochs 6 --lr 3e-3 --seed 2)
run train "${M12[@]}" --holdout 40 --keep-best --out m12.st
check "M1+M2: train M2 on an M1's latent means" [ $? -eq 0 -a -s m12.st ]
check "  the data are 1x3 latent means, 40 of 120 labelled, 40 held out" \
    grep -q '120 training images of 1x3 (40 labelled, 80 not), 40 test images' out.txt
kept=$(sed -n 's/^kept     epoch [0-9]*: test error \([0-9.]*\) %$/\1/p' out.txt)
check "  --keep-best names the epoch of the lowest test error ($kept%)" [ -n "$kept" ] && [ "$(grep -cE '^ +[0-9]+/6 ' out.txt)" -eq 6 ] &&
    [ "$(awk '$1 ~ /^[0-9]+\/6$/ { print $6 }' out.txt | sort -g | head -1)" = "$kept" ]
run info --model m12.st
check "  the file names its M1" grep -q 'train.m1 *m1.st' out.txt
run classify --model m12.st --m1 m1.st --images test-images.idx --labels test-labels.idx
check "  vae classify --m1 encodes the images first" grep -q '^error: ' out.txt
expect_error "  without --m1 the images do not fit" none "" classify --model m12.st --images test-images.idx
run train "${M12[@]}" --m1-sample --out s1.st
run train "${M12[@]}" --m1-sample --out s2.st
check "--m1-sample: draws from M1's posterior, the same for the same seed" cmp -s s1.st s2.st
run train "${M12[@]}" --out means.st
check "  and not the means' model" [ "$(cmp -s s1.st means.st; echo $?)" = 1 ]
run train "${M12[@]}" --no-unlabelled --out sup.st
check "--no-unlabelled: the labelled images alone" grep -q '(40 labelled, 120 left out)' out.txt
check "  3 steps per epoch" grep -q 'training 6 epochs x 3 steps of 16' out.txt

expect_error "--m1-sample without --m1" x.st "needs --m1" train "${M2[@]}" --m1-sample --out x.st
expect_error "--keep-best without a test set" x.st "needs a test set" \
    train --model m2 --train-images train-images.idx --labels train-labels.idx --keep-best --out x.st
expect_error "--no-unlabelled without --labelled" x.st "needs --labelled" \
    train --model m2 --train-images train-images.idx --labels train-labels.idx --no-unlabelled --out x.st
expect_error "--m1 with an M2 model" x.st "needs an unconditional VAE" train "${M12[@]}" --m1 m2.st --out x.st

finish test_m2_cli
