#!/bin/bash
# End-to-end tests of the vae command-line tool on a tiny synthetic data set.
# usage: bash tests/test_cli.sh <path-to-vae> <scratch-dir>
. "$(dirname "$(realpath "$0")")/cli_harness.sh"
# expect_error DESCRIPTION OUTPUT ARGS...: non-zero exit, exactly one line on
# stderr, and neither OUTPUT nor a temporary of it left behind.
expect_error() {
    local desc=$1 out=$2
    shift 2
    rm -f "$out"
    run "$@"
    local rc=$? lines
    lines=$(wc -l <err.txt)
    if [ $rc -ne 0 ] && [ "$lines" -eq 1 ] && [ ! -e "$out" ] && ! ls "$out".tmp-* >/dev/null 2>&1; then
        ok "$desc: exit $rc, $(cat err.txt)"
    else
        bad "$desc: exit $rc, $lines stderr lines, output $([ -e "$out" ] && echo left || echo absent)"
        sed 's/^/      /' err.txt
    fi
}
# png_size FILE: prints WxH when FILE starts with the PNG signature and IHDR.
png_size() {
    [ "$(head -c 16 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a0000000d49484452 ] || return 1
    local b
    read -r -a b < <(od -An -tu1 -j16 -N8 "$1")
    echo "$(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]))x$(((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]))"
}
check_png() { # DESCRIPTION FILE WxH
    local got
    got=$(png_size "$2")
    if [ "$got" = "$3" ]; then ok "$1: $2 is a ${got} PNG"; else bad "$1: $2 is '${got:-not a PNG}', expected $3"; fi
}
epoch_lines() { grep -cE '^ +[0-9]+/[0-9]+ ' out.txt; }
# png_shows PNG F32 ROW LATENT: the grayscale PNG's 12x12 cells (one pixel of
# gap) show, column by column, in its first row the first 3 images of
# images.idx and in its second the decoded means in forward's output F32
# (rows of ROW floats, the means after 2 * LATENT), each byte as the CLI
# rounds it: 0 up to 0, 255 from 1, else (uint8)(255.0f * v + 0.5f).
png_shows() {
    $PY - "$@" <<'EOF'
import struct, sys, zlib
png, f32, row, latent = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
buf, pos, idat = open(png, 'rb').read(), 8, b''
while pos < len(buf):
    n, kind = struct.unpack('>I4s', buf[pos:pos + 8])
    body = buf[pos + 8:pos + 8 + n]
    if kind == b'IHDR': W, H, depth, color = struct.unpack('>IIBB', body[:10])
    if kind == b'IDAT': idat += body
    pos += 12 + n
assert depth == 8 and color == 0 and (W, H) == (38, 25), (W, H, depth, color)
raw, pix, prev = zlib.decompress(idat), [], bytearray(W)
for y in range(H):  # undo the PNG row filters
    f, line, cur = raw[y * (W + 1)], raw[y * (W + 1) + 1:(y + 1) * (W + 1)], bytearray(W)
    for x in range(W):
        a, b, c = cur[x - 1] if x else 0, prev[x], prev[x - 1] if x else 0
        p = a + b - c
        paeth = a if abs(p - a) <= min(abs(p - b), abs(p - c)) else b if abs(p - b) <= abs(p - c) else c
        cur[x] = (line[x] + [0, a, b, (a + b) // 2, paeth][f]) & 255
    pix.append(cur)
    prev = cur
f32 = lambda v: struct.unpack('<f', struct.pack('<f', v))[0]
byte = lambda v: 0 if not v > 0 else 255 if v >= 1 else int(f32(f32(255.0 * v) + 0.5))
images = open('images.idx', 'rb').read()[16:16 + 3 * 144]
out = struct.unpack('<%df' % (3 * row), open(sys.argv[2], 'rb').read())
want = [[images[i * 144 + p] for p in range(144)] for i in range(3)]
want += [[byte(out[i * row + 2 * latent + p]) for p in range(144)] for i in range(3)]
got = [[pix[r * 13 + p // 12][i * 13 + p % 12] for p in range(144)] for r in range(2) for i in range(3)]
differ = sum(g != w for G, Wt in zip(got, want) for g, w in zip(G, Wt))
print(f'{differ} of {6 * 144} pixels differ', file=sys.stderr)
sys.exit(differ != 0)
EOF
}

# ---------------------------------------------------------------- data
# 200 12x12 images in 4 classes (horizontal bar, vertical bar, two blob
# sizes), as raw and gzipped IDX, plus raw float32/int32 files for forward;
# for score: the images inverted (far from anything trained on), lightly
# noised (overlapping scores), and a tiny hand-checked pair with ties.
$PY - <<'EOF' || exit 1
import gzip, random, struct
random.seed(0)
n, h, w = 200, 12, 12
imgs, labels = bytearray(), bytearray()
for i in range(n):
    c = i % 4
    img = [[0] * w for _ in range(h)]
    if c == 0:
        r = random.randrange(2, h - 2)
        img[r] = [255] * w
        img[r + 1] = [255] * w
    elif c == 1:
        col = random.randrange(2, w - 2)
        for y in range(h):
            img[y][col] = img[y][col + 1] = 255
    else:
        cy, cx = random.randrange(3, h - 3), random.randrange(3, w - 3)
        for y in range(h):
            for x in range(w):
                if (y - cy) ** 2 + (x - cx) ** 2 <= c * c:
                    img[y][x] = 255
    for row in img:
        imgs += bytes(row)
    labels.append(c)
image_idx = struct.pack('>IIII', 0x803, n, h, w) + imgs
label_idx = struct.pack('>II', 0x801, n) + labels
open('images.idx', 'wb').write(image_idx)
open('labels.idx', 'wb').write(label_idx)
gzip.open('images.idx.gz', 'wb').write(image_idx)
gzip.open('labels.idx.gz', 'wb').write(label_idx)
open('bad-labels.idx', 'wb').write(struct.pack('>II', 0x801, n) + bytes([9] * n))
open('x.f32', 'wb').write(struct.pack('<%df' % (3 * h * w), *[b / 255 for b in imgs[:3 * h * w]]))
open('y.i32', 'wb').write(struct.pack('<3i', 0, 1, 2))
def write_images(name, rows):
    open(name, 'wb').write(struct.pack('>IIII', 0x803, len(rows), h, w) + b''.join(rows))
rows = [bytes(imgs[i * h * w:(i + 1) * h * w]) for i in range(n)]
inverted = [bytes(255 - b for b in r) for r in rows]
write_images('inverted.idx', inverted)
noisy = []
for i, r in enumerate(rows):
    r = bytearray(r)
    for _ in range(i % 8):
        r[random.randrange(h * w)] ^= 255
    noisy.append(bytes(r))
write_images('noisy.idx', noisy)
write_images('ties-normal.idx', [rows[0]] * 3 + [inverted[0]])
write_images('ties-anomaly.idx', [rows[0]] + [inverted[0]] * 2)
open('small.idx', 'wb').write(struct.pack('>IIII', 0x803, 2, 8, 8) + bytes(128))
EOF
SMALL=(--hidden 32 --latent 4 --batch 16 --epochs 2)

# ---------------------------------------------------------------- help
check "vae help lists the commands" bash -c "'$V' help | grep -q manifold"
check "vae help train" bash -c "'$V' help train | grep -q -- '--holdout-per-class'"
for c in train eval classify score sample interpolate manifold info forward; do
    check "vae $c --help" bash -c "'$V' $c --help | grep -q '^usage: vae $c'"
done

# ---------------------------------------------------------------- training
run train --train-images images.idx.gz --holdout 40 --out vae.st "${SMALL[@]}"
check "train a VAE for 2 epochs (gzip data, --holdout)" [ $? -eq 0 -a -s vae.st ]
check "  prints one line per epoch" [ "$(epoch_lines)" -eq 2 ]
check "  reports 160 training and 40 test images" grep -q '160 training images of 12x12, 40 test images' out.txt

# --threads: the library's data-parallel step; 1 is the plain path
T=(--train-images images.idx --train-labels labels.idx --conditional --noise gaussian:0.2 --warmup-epochs 1 "${SMALL[@]}")
run train "${T[@]}" --out th0.st && run train "${T[@]}" --threads 1 --out th1.st
check "train --threads 1 gives the weights of the plain path" cmp -s th0.st th1.st
run train "${T[@]}" --threads 3 --out th3.st && run train "${T[@]}" --threads 3 --out th3b.st
check "train --threads 3 twice: the same weights" cmp -s th3.st th3b.st
check "  and not those of 1 thread (shares are summed, then added)" bash -c "! cmp -s th1.st th3.st"

run train --train-images images.idx --train-labels labels.idx --test-images images.idx --test-labels labels.idx \
    --conditional --out cvae.st "${SMALL[@]}"
check "train a CVAE for 2 epochs (raw data, test files)" [ $? -eq 0 -a -s cvae.st ]
check "  prints one line per epoch" [ "$(epoch_lines)" -eq 2 ]

run train --train-images images.idx.gz --train-labels labels.idx.gz --holdout-per-class 3 \
    --likelihood gaussian_learned --activation tanh --out gl.st "${SMALL[@]}"
check "train a gaussian_learned VAE (--holdout-per-class)" [ $? -eq 0 -a -s gl.st ]
check "  holds out 3 images per class" grep -q '188 training images of 12x12, 12 test images' out.txt

run train --train-images images.idx --out notest.st --quiet --augment flip,shift=1 "${SMALL[@]}"
check "train without a test set, quiet, with augmentation" [ $? -eq 0 -a -s notest.st -a ! -s out.txt ]

run train --train-images images.idx.gz --out det2.st --holdout 40 "${SMALL[@]}"
check "same command and seed give a byte-identical file" cmp -s vae.st det2.st
run train --train-images images.idx.gz --out det3.st --holdout 40 --seed 2 "${SMALL[@]}"
check "another seed gives another file" bash -c "! cmp -s vae.st det3.st"

run train --train-images images.idx --init vae.st --out tuned.st --epochs 1 --lr 1e-4 --batch 32
check "--init fine-tunes an existing model" [ $? -eq 0 -a -s tuned.st ]
check "  and records it in the metadata" bash -c "'$V' info --model tuned.st | grep -q 'train.init *vae.st'"

run train --train-images images.idx --out f16.st --dtype f16 "${SMALL[@]}"
check "--dtype f16 saves" [ $? -eq 0 -a -s f16.st ]
check "  with F16 tensors" bash -c "'$V' info --model f16.st | grep -q 'encoder.mu.weight *F16 *\[4, 32\]'"

run train --train-images images.idx --out nan.st --optimizer sgd --lr 1000 --hidden 32 --latent 4 --batch 16
rc=$?
check "non-finite steps are skipped and counted" grep -q 'skipped .* non-finite' err.txt
check "  until 20 in a row stop training ($rc) with nothing written" \
    bash -c "[ $rc -eq 1 ] && grep -q 'diverged' err.txt && ! ls nan.st* 2>/dev/null"

# conv layers and autoencoders (12x12 images: conv to 6x6, then 3x3)
CONV=(--encoder conv4k4s2p1,conv8k4s2p1 --decoder 72@8x3x3,convt4k4s2p1 --out-layer convt1k4s2p1 --latent 3 --epochs 2 --batch 16 --seed 5)
run train --train-images images.idx --out conv.st "${CONV[@]}"
check "train a conv VAE" [ $? -eq 0 -a -s conv.st ]
check "  described layer by layer" grep -q 'VAE 1x12x12-conv4k4s2p1-conv8k4s2p1-3-72@8x3x3-convt4k4s2p1-convt1k4s2p1' out.txt
check "  with PyTorch conv weight shapes" bash -c "'$V' info --model conv.st | grep -q 'decoder.out.weight *F32 *\[4, 1, 4, 4\]'"
run train --train-images images.idx --out conv2.st "${CONV[@]}"
check "  bit-identical again with the same seed" cmp -s conv.st conv2.st
run train --train-images images.idx --out ae.st --model ae --code-activation sigmoid --sparsity kl --rho 0.1 \
    --contractive 0.01 --noise mask:0.3 "${SMALL[@]}"
check "train a sparse, contractive, denoising AE" [ $? -eq 0 -a -s ae.st ]
check "  records noise and penalties" bash -c "'$V' info --model ae.st | grep -q 'train.penalty *KL sparsity 0.001 to rho 0.1, contractive 0.01'"
check "  its table names the objective and the test reconstruction, and no KL or beta" \
    bash -c "grep -qE '^ +epoch +train obj +test rec +- +- ' out.txt && grep -q 'penalties: KL sparsity' out.txt && ! grep -q beta out.txt"
run train --train-images images.idx --out convlin.st --encoder conv4k4s2p1 --decoder 72@8x3x3,convt4k4s2p1 --latent 3 --epochs 1
check "a conv decoder without --out-layer trains, with a note on the linear output layer" \
    bash -c "[ -s convlin.st ] && grep -q '^vae: note: no --out-layer: a linear layer .* to the 144 pixels' err.txt"
run eval --model ae.st --images images.idx
check "  eval gives its reconstruction loss, no IWAE" bash -c "grep -q '^rec loss ' out.txt && ! grep -q 'log p' out.txt"
run reconstruct --model ae.st --images images.idx --noise mask:0.5 --n 5 --scale 1 --out rec.png
check_png "reconstruct masked images: clean, noisy and reconstructed rows" rec.png 64x38

# ---------------------------------------------------------------- info, eval, forward
run info --model cvae.st
check "info describes the CVAE" grep -q 'CVAE 144-32-4-32-144, 4 classes' out.txt
check "  counts parameters" grep -q '^parameters  ' out.txt
check "  lists tensors with dtype and shape" grep -q 'encoder.layers.0.weight *F32 *\[32, 148\]' out.txt
check "  shows the training metadata" grep -q 'train.epochs *2' out.txt

run eval --model cvae.st --images images.idx --labels labels.idx --k 10
check "eval prints the ELBO and IWAE estimates" bash -c "grep -q '^-ELBO ' out.txt && grep -q '^-log p(x) ' out.txt"
check "  its -ELBO says z is sampled" grep -qE '^-ELBO .* z sampled \(seed 1\)' out.txt
final=$("$V" info --model cvae.st | awk '$1 == "train.test_loss" {print $2}')
check "  equal to the final test loss of training ($final)" grep -qE "^-ELBO +$final " out.txt

run forward --model cvae.st --input x.f32 --labels y.i32 --out fwd.f32
check "forward writes 3 x (2*4 + 144 + 2) floats" [ $? -eq 0 -a "$(stat -c %s fwd.f32 2>/dev/null)" = $((3 * 154 * 4)) ]

# ---------------------------------------------------------------- score
auc() { awk '$1 == "ROC" {print $3}' out.txt; }
tpr() { awk '$1 == "TPR" {print $2}' out.txt; }
run score --model vae.st --images images.idx.gz
check "score prints 200 scores on stdout" \
    [ $? -eq 0 -a "$(grep -cE '^[0-9.e+-]+$' out.txt)" = 200 -a "$(wc -l <out.txt)" = 200 ]
check "  and the summary on stderr" grep -qE '^images +200 ' err.txt
run score --model vae.st --images images.idx --out elbo.txt
check "score --out writes the same scores" cmp -s elbo.txt <("$V" score --model vae.st --images images.idx 2>/dev/null)
check "  and prints the summary on stdout" grep -qE '^images +200 ' out.txt
check "  naming its -ELBO apart from eval's" grep -q '^score *-ELBO(mu) = rec + KL at z = mu (deterministic; vae eval samples z)' out.txt
check "  whose median, min and max are the file's" $PY -c "
import statistics, sys
v = sorted(float(l) for l in open('elbo.txt'))
want = ['%.4f' % x for x in (statistics.median(v), v[0], v[-1])]
row = [l.split() for l in open('out.txt') if l.startswith('images ')][-1]
sys.exit(row[3:6] != want)"
run score --model vae.st --images images.idx --out rec.txt --metric rec
check "--metric rec is at most -ELBO, image by image (KL >= 0)" $PY -c "
import sys
rec, elbo = [[float(l) for l in open(f)] for f in ('rec.txt', 'elbo.txt')]
sys.exit(not (len(rec) == 200 and all(r <= e for r, e in zip(rec, elbo)) and rec != elbo))"
# matches_forward SCORES FORWARD_OUT LATENT: the first 3 scores are the rec + KL
# that forward (eps = 0, the last two floats of each row) wrote for x.f32.
matches_forward() {
    $PY -c "
import struct, sys
row = 2 * $3 + 144 + 2
f = struct.unpack('<%df' % (3 * row), open('$2', 'rb').read())
want = [f[row * i + row - 2] + f[row * i + row - 1] for i in range(3)]
got = [float(l) for l in open('$1')][:3]
sys.exit(not all(abs(g - w) <= 1e-5 * abs(w) for g, w in zip(got, want)))"
}
run score --model cvae.st --images images.idx --labels labels.idx --out celbo.txt
check "a CVAE's -ELBO is forward's rec + KL at eps = 0" matches_forward celbo.txt fwd.f32 4
run score --model conv.st --images images.idx --out conv.txt
run forward --model conv.st --input x.f32 --out conv.f32
check "  and so is a conv VAE's" matches_forward conv.txt conv.f32 3
run reconstruct --model conv.st --images images.idx --n 3 --scale 1 --out crec.png
check "reconstruct's PNG shows the images and forward's decoded means (eps = 0) as bytes" png_shows crec.png conv.f32 152 3
run score --model ae.st --images images.idx --out ae-elbo.txt
check "an autoencoder's score is its reconstruction loss" \
    bash -c "grep -q '^score .*an autoencoder has no ELBO' out.txt && '$V' score --model ae.st --images images.idx \
    --metric rec 2>/dev/null | cmp -s ae-elbo.txt -"
run score --model vae.st --images images.idx --out iw1.txt --metric iwae --k 5
run score --model vae.st --images images.idx --out iw2.txt --metric iwae --k 5 --compare inverted.idx
check "--metric iwae: a file's scores do not depend on --compare" cmp -s iw1.txt iw2.txt
run score --model vae.st --images images.idx --out iw3.txt --metric iwae --k 5 --seed 2
check "  but on --seed" bash -c "! cmp -s iw1.txt iw3.txt"

run score --model vae.st --images images.idx --compare images.idx.gz
check "ROC AUC of a set against itself is 0.5 ($(auc))" [ "$(auc)" = 0.500000 ]
run score --model vae.st --images images.idx --compare inverted.idx
check "ROC AUC of inverted images is 1 ($(auc)), all caught ($(tpr))" [ "$(auc)" = 1.000000 -a "$(tpr)" = 1.0000 ]
# Normal {A, A, A, Z}, anomalies {A, Z, Z}, with Z (inverted A) above A: the
# anomaly A ties 3 normals (3 x 1/2) and loses to Z; each anomaly Z beats 3
# normals and ties Z (3 + 1/2): (1.5 + 2 x 3.5) / 12 pairs = 0.708333. The
# threshold is the top normal, Z, which no anomaly exceeds: TPR 0. One image
# per pass, so that equal images get bit-equal scores.
run score --model vae.st --images ties-normal.idx --compare ties-anomaly.idx --batch 1
check "hand-checked ROC AUC with ties ($(auc)) and TPR ($(tpr))" [ "$(auc)" = 0.708333 -a "$(tpr)" = 0.0000 ]
run score --model vae.st --images images.idx --compare noisy.idx --out n0.txt --compare-out n1.txt
check "ROC AUC ($(auc)) and TPR ($(tpr)) of noisy images match a pairwise count" $PY -c "
import sys
n0, n1 = [[float(l) for l in open(f)] for f in ('n0.txt', 'n1.txt')]
won = sum((b > a) + 0.5 * (b == a) for a in n0 for b in n1) / (len(n0) * len(n1))
t = sorted(n0)[len(n0) - 1 - len(n0) // 20]
caught = sum(b > t for b in n1) / len(n1)
sys.exit(not (0.5 < won < 1 and '%.6f %.4f' % (won, caught) == '$(auc) $(tpr)'))"

# ---------------------------------------------------------------- pictures
run sample --model vae.st --out sample.png
check_png "sample, 8x8 grid at scale 2" sample.png 199x199
check "  and says what it wrote" grep -qx 'wrote sample.png (64 images of 12x12 in 8 rows, a 199x199 PNG, .*)' out.txt
mkfifo pipe.png
timeout 20 cat pipe.png >piped.png &
reader=$!
run sample --model vae.st --out pipe.png
wait $reader
check "  into a pipe or device, written in place (a rename would replace /dev/null)" \
    bash -c "[ -p pipe.png ] && cmp -s piped.png sample.png"
run sample --model cvae.st --out csample.png --cols 5 --scale 1
check_png "sample of a CVAE, a row per class" csample.png 64x51
run interpolate --model vae.st --out interp.png --images images.idx.gz --a 0 --b 1 --rows 2 --steps 6 --scale 1
check_png "interpolate between two images" interp.png 77x25
run interpolate --model cvae.st --out cinterp.png --seed 3 --method slerp --label 2
check_png "slerp between random latents of a CVAE" cinterp.png 249x24
run manifold --model vae.st --out manifold.png --grid 5 --dims 2,3 --scale 1
check_png "manifold" manifold.png 64x64

# ---------------------------------------------------------------- errors
run train --train-images images.idx --out latent1.st --latent 1 --hidden 16 --epochs 1 --quiet
printf 'not a model at all' >corrupt.st
head -c 2000 vae.st >truncated.st
head -c 500 images.idx.gz >trunc.idx.gz
expect_error "no command" none.st
expect_error "unknown command" none.st frobnicate
expect_error "unknown option" x.st train --train-images images.idx --out x.st --frobnicate 3
expect_error "missing value" x.st train --train-images images.idx --out x.st --epochs
expect_error "missing required option" x.st train --out x.st
expect_error "unreadable layer" x.st train --train-images images.idx --out x.st --encoder conv4q2 --decoder 4
expect_error "conv encoder without decoder" x.st train --train-images images.idx --out x.st --encoder conv4k3
expect_error "conv output of the wrong size" x.st train --train-images images.idx --out x.st "${CONV[@]:0:4}" --out-layer convt1k3s2p1
expect_error "sparsity on a VAE" x.st train --train-images images.idx --out x.st --sparsity l1
expect_error "KL sparsity without a sigmoid code" x.st train --train-images images.idx --out x.st --model ae --sparsity kl
expect_error "malformed noise" x.st train --train-images images.idx --out x.st --noise mask
expect_error "reconstruct past the last image" x.png reconstruct --model ae.st --images images.idx --first 199 --n 2 --out x.png
expect_error "missing data file" x.st train --train-images nothere.idx --out x.st
expect_error "truncated gzip data" x.st train --train-images trunc.idx.gz --out x.st
expect_error "--holdout together with --test-images" x.st train --train-images images.idx --test-images images.idx \
    --holdout 10 --out x.st
expect_error "labels given as images" x.st train --train-images labels.idx --out x.st
expect_error "non-numeric number" x.st train --train-images images.idx --out x.st --lr fast
expect_error "negative epochs" x.st train --train-images images.idx --out x.st --epochs -1
expect_error "latent 0" x.st train --train-images images.idx --out x.st --latent 0
expect_error "bad hidden list" x.st train --train-images images.idx --out x.st --hidden 32,,16
expect_error "bad activation" x.st train --train-images images.idx --out x.st --activation swish
expect_error "--conditional without labels" x.st train --train-images images.idx --out x.st --conditional
expect_error "--init with conflicting --latent" x.st train --train-images images.idx --init vae.st --out x.st --latent 8
expect_error "--init with conflicting --hidden" x.st \
    train --train-images images.idx --init vae.st --out x.st --hidden 64
expect_error "--init from a corrupt file" x.st train --train-images images.idx --init corrupt.st --out x.st
expect_error "output directory missing" nodir/x.st train --train-images images.idx --out nodir/x.st
expect_error "corrupt model file" x.png sample --model corrupt.st --out x.png
expect_error "truncated model file" x.png sample --model truncated.st --out x.png
expect_error "label out of range" x.png sample --model cvae.st --out x.png --label 4
expect_error "label of a non-conditional model" x.png sample --model vae.st --out x.png --label 0
expect_error "labels file out of range" x.png interpolate --model cvae.st --out x.png --images images.idx \
    --labels bad-labels.idx
expect_error "manifold of a latent-1 model" x.png manifold --model latent1.st --out x.png
expect_error "manifold dims out of range" x.png manifold --model vae.st --out x.png --dims 0,4
expect_error "interpolate index out of range" x.png interpolate --model vae.st --out x.png --images images.idx --a 500
expect_error "eval of a CVAE without labels" none.st eval --model cvae.st --images images.idx
run export --model vae.st --out dec.st --decoder-only
expect_error "score with a decoder-only model" x.txt score --model dec.st --images images.idx --out x.txt
expect_error "score of a CVAE without --compare-labels" x.txt score --model cvae.st --images images.idx \
    --labels labels.idx --compare images.idx --out x.txt
expect_error "score --k without --metric iwae" x.txt score --model vae.st --images images.idx --out x.txt --k 5
expect_error "score --metric unknown" x.txt score --model vae.st --images images.idx --out x.txt --metric nll
expect_error "score --metric iwae of an autoencoder" x.txt score --model ae.st --images images.idx --out x.txt \
    --metric iwae
expect_error "score --compare-out without --compare" x.txt score --model vae.st --images images.idx --compare-out x.txt
expect_error "score --compare of another image size" x.txt score --model vae.st --images images.idx \
    --compare small.idx --out x.txt
expect_error "forward with a ragged input file" x.f32 forward --model vae.st --input y.i32 --out x.f32

# ---------------------------------------------------------------- interruption
# A long run stopped by a signal leaves an existing output as it was and no
# temporary; without an existing output it leaves nothing.
interrupt() { # SIGNAL OUTPUT
    "$V" train --train-images images.idx --out "$2" --epochs 1000000 --hidden 32 --latent 4 >/dev/null 2>int.err &
    local pid=$!
    sleep 1
    kill -"$1" $pid
    wait $pid
}
cp vae.st existing.st
interrupt INT existing.st
rc=$?
check "SIGINT stops training with a non-zero exit ($rc)" [ $rc -ne 0 ]
check "  saying so" grep -q 'interrupted, nothing written' int.err
check "  leaves the existing file unchanged" cmp -s vae.st existing.st
check "  and no temporary file" bash -c "! ls existing.st.tmp-* 2>/dev/null"
interrupt TERM fresh.st
rc=$?
check "SIGTERM stops training ($rc) and writes nothing" bash -c "[ $rc -ne 0 ] && ! ls fresh.st* 2>/dev/null"

finish test_cli
