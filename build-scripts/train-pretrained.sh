#!/usr/bin/env bash
# Trains every pretrained model with our own `vae` CLI and writes pretrained/:
# NAME.safetensors (F16), NAME-decoder.safetensors (F16, decoder only),
# NAME-samples.png (and NAME-manifold.png for 2-D latents; the word VAE has
# neither: it prints its words into its log), and
# logs/NAME.txt (the training log, F32 and F16 evaluation, sha256).
# The F32 originals stay in build/pretrained/. Same command, same files.
# Each image model also gets NAME-q8.safetensors and NAME-decoder-q8.safetensors
# (Q8: int8 rows with an F32 scale each), made from the shipped F16 file, so
# that anyone can remake them from this repository without retraining (F16's
# rounding is far below Q8's step), and its test loss in the log beside the
# F32 and F16 ones. Q8=only redoes just that for models already trained,
# replacing the Q8 part of their logs (word models have no Q8 format).
#
# Usage: build-scripts/train-pretrained.sh DATA_DIR [FASHION_DIR] [NAME...]
#   DATA_DIR    holds mnist/, frey-face/, olivetti-faces/ (IDX .gz)
#   FASHION_DIR Debian's dataset-fashion-mnist (default /usr/share/datasets/fashion-mnist)
#   NAME...     train only these models (default: all)
#   WORDS=FILE  the word list of words-vae (default /usr/share/dict/words, Debian's wamerican)
#   SKETCH_MINUTES=M  how long this run of hanzi-sketch-vae trains (default 105; it resumes, see below)
set -euo pipefail
cd "$(dirname "$0")/.."
data=${1:?usage: train-pretrained.sh DATA_DIR [FASHION_DIR] [NAME...]}
fashion=${2:-/usr/share/datasets/fashion-mnist}
shift $(($# >= 2 ? 2 : 1))
build-scripts/build.sh >/dev/null
vae=build/native/vae
work=build/pretrained
mkdir -p "$work" pretrained/logs

mnist="--train-images $data/mnist/train-images-idx3-ubyte.gz --test-images $data/mnist/t10k-images-idx3-ubyte.gz"
mnist_labels="--train-labels $data/mnist/train-labels-idx1-ubyte.gz --test-labels $data/mnist/t10k-labels-idx1-ubyte.gz"
fmnist="--train-images $fashion/train-images-idx3-ubyte.gz --test-images $fashion/t10k-images-idx3-ubyte.gz"
frey="--train-images $data/frey-face/frey-images-idx3-ubyte.gz --holdout 200"
olivetti="--train-images $data/olivetti-faces/olivetti-images-idx3-ubyte.gz --train-labels $data/olivetti-faces/olivetti-labels-idx1-ubyte.gz --holdout-per-class 1"
frey_eval="$data/frey-face/frey-images-idx3-ubyte.gz --holdout 200"
olivetti_eval="$data/olivetti-faces/olivetti-images-idx3-ubyte.gz --labels $data/olivetti-faces/olivetti-labels-idx1-ubyte.gz --holdout-per-class 1"

# name | training options | what `vae eval` tests on (the test file, or the same holdout)
# (The CVAE's latent is 2-D so that the label, not z, decides the digit: with a
# 10-D latent only 79% of its samples were recognised as the requested digit.
# Frey Face overfits with its learned per-pixel sigma: 300 epochs was the best
# held-out loss of 150/250/300/400/600.)
models=(
  "mnist-vae|$mnist --hidden 400 --latent 20 --epochs 60 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$data/mnist/t10k-images-idx3-ubyte.gz"
  "mnist-vae-2d|$mnist --hidden 512,256 --latent 2 --epochs 40 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$data/mnist/t10k-images-idx3-ubyte.gz"
  "mnist-cvae|$mnist $mnist_labels --conditional --hidden 400 --latent 2 --epochs 30 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$data/mnist/t10k-images-idx3-ubyte.gz --labels $data/mnist/t10k-labels-idx1-ubyte.gz"
  "frey-face-vae|$frey --hidden 200 --latent 2 --likelihood gaussian_learned --batch 100 --epochs 300 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$frey_eval"
  "frey-face-vae-10d|$frey --hidden 200 --latent 10 --likelihood gaussian_learned --batch 100 --epochs 300 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$frey_eval"
  "olivetti-faces-vae|$olivetti --hidden 256 --latent 16 --likelihood gaussian_learned --augment flip,shift=2 --batch 40 --epochs 600 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$olivetti_eval"
  "olivetti-faces-conv-vae|$olivetti --encoder conv32k4s2p1,conv64k4s2p1,conv64k4s2p1,256 --decoder 256,4096@64x8x8,convt64k4s2p1,convt32k4s2p1 --out-layer convt1k4s2p1 --latent 16 --likelihood gaussian_learned --augment flip,shift=2 --batch 40 --epochs 600 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$olivetti_eval"
  "mnist-dae|$mnist --model ae --hidden 512 --latent 32 --noise mask:0.5 --epochs 30 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$data/mnist/t10k-images-idx3-ubyte.gz"
  "fashion-mnist-vae|$fmnist --hidden 400 --latent 20 --epochs 30 --lr 1e-3 --lr-decay cosine --lr-min 1e-5|$fashion/t10k-images-idx3-ubyte.gz"
)

# NAME TEST: the Q8 files of pretrained/NAME.safetensors (in $work; the end
# of this script copies those the demo uses into pretrained/) and their test loss.
q8() {
  echo "== Q8 from $1.safetensors"
  $vae export --model "pretrained/$1.safetensors" --dtype q8 --out "$work/$1-q8.safetensors"
  $vae export --model "pretrained/$1.safetensors" --dtype q8 --decoder-only --out "$work/$1-decoder-q8.safetensors"
  # shellcheck disable=SC2086
  $vae eval --model "$work/$1-q8.safetensors" --k 0 --images $2 | sed "s|$data|DATA_DIR|g; s|$fashion|FASHION_DIR|g"
  (cd "$work" && ls -l "$1-q8.safetensors" "$1-decoder-q8.safetensors" | awk '{print $5, $9}' &&
    sha256sum "$1-q8.safetensors" "$1-decoder-q8.safetensors")
}

selected() { (($# == 1)) && return 0; local n; for n in "${@:2}"; do [[ $n == "$1" ]] && return 0; done; return 1; }

for spec in "${models[@]}"; do
  IFS='|' read -r name opts test_images <<<"$spec"
  selected "$name" "$@" || continue
  log=pretrained/logs/$name.txt
  if [[ ${Q8:-} == only ]]; then
    [[ -f $log ]] || continue
    echo "== $name (Q8 only)"
    sed -i '/^== Q8 from /,$d' "$log"
    q8 "$name" "$test_images" 2>&1 | tee -a "$log"
    continue
  fi
  echo "== $name"
  {
    echo "\$ vae train $(echo $opts | sed "s|$data|DATA_DIR|g; s|$fashion|FASHION_DIR|g") --seed 1 --out $name.safetensors"
    start=$(date +%s)
    # shellcheck disable=SC2086
    $vae train $opts --seed 1 --out "$work/$name.f32.safetensors"
    echo "training time: $(($(date +%s) - start)) s on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
    $vae export --model "$work/$name.f32.safetensors" --dtype f16 --out "pretrained/$name.safetensors"
    $vae export --model "$work/$name.f32.safetensors" --dtype f16 --decoder-only --out "pretrained/$name-decoder.safetensors"
    # F32 against F16: the test loss (the F16 file also gets the IWAE estimate)
    for f in "$work/$name.f32.safetensors --k 0" "pretrained/$name.safetensors --k 100"; do
      # shellcheck disable=SC2086
      $vae eval --model $f --images $test_images | sed "s|$data|DATA_DIR|g; s|$fashion|FASHION_DIR|g"
    done
    if $vae info --model "pretrained/$name.safetensors" | grep -q '"model":"ae"'; then
      # shellcheck disable=SC2086
      $vae reconstruct --model "pretrained/$name.safetensors" --images ${test_images%% *} --noise mask:0.5 --n 12 \
        --scale 2 --out "pretrained/$name-denoising.png"
    else
      $vae sample --model "pretrained/$name.safetensors" --out "pretrained/$name-samples.png" --n 64 --cols 8 --scale 2 --seed 1
    fi
    if [[ $name == mnist-cvae ]]; then
      /usr/bin/python3 tools/cvae_knn.py "$work/$name.f32.safetensors" "$data/mnist" 100 5 1
    fi
    if $vae info --model "pretrained/$name.safetensors" | grep -q '"latent":2,'; then
      $vae manifold --model "pretrained/$name.safetensors" --out "pretrained/$name-manifold.png" --grid 20 --scale 1
    fi
    (cd pretrained && ls -l "$name.safetensors" "$name-decoder.safetensors" | awk '{print $5, $9}' && sha256sum "$name.safetensors" "$name-decoder.safetensors")
    q8 "$name" "$test_images"
  } 2>&1 | tee "$log"
done

# The word VAE on Debian's wamerican word list (WORDS=FILE for another): its
# lowercase a-z words, the others skipped; 5% held out. The log adds the
# held-out figures (vae eval --holdout, F32 and F16), paths between words and
# samples. Dropout 0.5 and an 8-epoch KL warm-up keep the latent in use.
# words-lm is its baseline: the same code and options without the latent
# (only its log is kept: its held-out NLL against the VAE's bound).
words=${WORDS:-/usr/share/dict/words}
opts="--words $words --skip-invalid --embed 16 --hidden 128 --epochs 24 --warmup-epochs 8 --dropout 0.5"
for spec in words-vae:16 words-lm:0; do
  name=${spec%:*}
  selected "$name" "$@" && [[ ${Q8:-} != only ]] || continue
  echo "== $name"
  {
    echo "\$ vae train ${opts/$words/WORDS} --latent ${spec#*:} --seed 1 --out $name.safetensors"
    start=$(date +%s)
    # shellcheck disable=SC2086
    $vae train $opts --latent "${spec#*:}" --seed 1 --out "$work/$name.f32.safetensors"
    echo "training time: $(($(date +%s) - start)) s on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs))"
    if [[ $name == words-lm ]]; then
      $vae eval --model "$work/$name.f32.safetensors" --words "$words" --skip-invalid --holdout
    else
      $vae export --model "$work/$name.f32.safetensors" --dtype f16 --out "pretrained/$name.safetensors"
      for f in "$work/$name.f32.safetensors" "pretrained/$name.safetensors"; do
        $vae eval --model "$f" --words "$words" --skip-invalid --holdout
      done
      for pair in river-mountain kitten-elephant begin-finish cat-dog; do
        echo "\$ vae interpolate --a ${pair%-*} --b ${pair#*-}"
        $vae interpolate --model "pretrained/$name.safetensors" --a "${pair%-*}" --b "${pair#*-}"
      done
      for t in 1 0.7; do
        echo "\$ vae sample --n 24 --seed 1 --temperature $t"
        $vae sample --model "pretrained/$name.safetensors" --n 24 --seed 1 --temperature $t
      done
      (cd pretrained && ls -l "$name.safetensors" | awk '{print $5, $9}' && sha256sum "$name.safetensors")
    fi
  } 2>&1 | tee "pretrained/logs/$name.txt"
done
# SketchRNN on Chinese characters: npm hanzi-writer-data converted by
# tools/hanzi_strokes.py into build/pretrained/hanzi.txt (never committed);
# the file's test lines (5%) held out. Training spans sessions: each run
# goes on (--resume) from build/pretrained/hanzi-sketch-vae.f32.safetensors,
# or without it from the shipped F16 weights, or else starts afresh, for
# SKETCH_MINUTES minutes (default 105; nice 10, one thread), writing the F32
# model every 10 minutes. The KL floor (free bits, --kl-min) is
# SKETCH_KL_MIN nats (default 32, 1 per latent dimension, so that a
# character's code carries the character); the first run (steps 1-2,280)
# had the default 6.4 (0.2 per dimension), under which the code carried too
# little to reconstruct a character. The runs' logs add up in
# logs/hanzi-sketch-vae.training.txt; logs/hanzi-sketch-vae.txt is those, the
# held-out figures (F32 and F16), the sample grid, 日 -> 月 and two held-out
# characters' path (江 -> 汽).
name=hanzi-sketch-vae
if selected "$name" "$@"; then
  echo "== $name"
  (cd tools/hanzi && npm ci --no-audit --no-fund --loglevel=error)
  /usr/bin/python3 tools/hanzi_strokes.py --out "$work/hanzi.txt"
  f32=$work/$name.f32.safetensors from=
  if [[ -f $f32 ]]; then from="--resume $f32"; elif [[ -f pretrained/$name.safetensors ]]; then
    cp "pretrained/$name.safetensors" "$work/$name.from.safetensors" && from="--resume $work/$name.from.safetensors"
  fi
  opts="--enc-hidden 64 --dec-hidden 192 --latent 32 --mixtures 16 --max-len 110 --batch 64 --epochs 1000 --save-every 10 --seed 1 --kl-min ${SKETCH_KL_MIN:-32}"
  {
    echo "\$ vae train --strokes hanzi.txt $opts --minutes ${SKETCH_MINUTES:-105}${from:+ --resume $name}"
    # shellcheck disable=SC2086
    nice -n 10 $vae train --strokes "$work/hanzi.txt" $opts --minutes "${SKETCH_MINUTES:-105}" $from --out "$f32"
  } 2>&1 | tee -a "pretrained/logs/$name.training.txt"
  {
    cat "pretrained/logs/$name.training.txt"
    echo "training time: $($vae info --model "$f32" | awk '$1 == "train.seconds" {print $2}') s in all, nice 10, one thread, on $(nproc) shared cores"
    $vae export --model "$f32" --dtype f16 --out "pretrained/$name.safetensors"
    for f in "$f32" "pretrained/$name.safetensors"; do $vae eval --model "$f" --strokes "$work/hanzi.txt"; done
    echo "\$ vae sample --n 64 --seed 1 --temperature 0.4"
    $vae sample --model "pretrained/$name.safetensors" --n 64 --cols 8 --seed 1 --temperature 0.4 --out "pretrained/$name-samples.png"
    echo "\$ vae interpolate --a 日 --b 月 --steps 8"
    $vae interpolate --model "pretrained/$name.safetensors" --strokes "$work/hanzi.txt" --a 日 --b 月 --steps 8 \
      --out "pretrained/$name-interpolate.png"
    echo "\$ vae interpolate --a 江 --b 汽 --steps 8"
    $vae interpolate --model "pretrained/$name.safetensors" --strokes "$work/hanzi.txt" --a 江 --b 汽 --steps 8 \
      --out "pretrained/$name-interpolate-heldout.png"
    (cd pretrained && ls -l "$name.safetensors" | awk '{print $5, $9}' && sha256sum "$name.safetensors")
  } 2>&1 | tee "pretrained/logs/$name.txt"
fi
python3 tools/model_cards.py pretrained
echo "wrote pretrained/README.md"
# The Q8 files the demo uses (their test loss within 0.1 nats of F32's; the cards say which).
for name in $(python3 tools/model_cards.py --demo-q8 pretrained); do
  if [[ -f $work/$name-q8.safetensors ]]; then
    cp "$work/$name-q8.safetensors" "$work/$name-decoder-q8.safetensors" pretrained/
  fi
done
