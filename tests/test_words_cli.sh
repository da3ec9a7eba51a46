#!/bin/bash
# End-to-end tests of `vae train --words` on a tiny synthetic word list: the
# per-epoch table with the held-out figures, the same run giving the same
# numbers, and one-line errors for lines that are not words.
# usage: bash tests/test_words_cli.sh <path-to-vae> <scratch-dir>
set -u
V=$(realpath "$1")
S=$2
rm -rf "$S" && mkdir -p "$S" && cd "$S" || exit 1
pass=0
fail=0
ok() { echo "ok    $1"; pass=$((pass + 1)); }
bad() { echo "FAIL  $1"; fail=$((fail + 1)); }
run() { "$V" "$@" >out.txt 2>err.txt; }
# expect_error DESCRIPTION MESSAGE ARGS...: exit 1 and exactly MESSAGE on stderr.
expect_error() {
    local desc=$1 want=$2
    shift 2
    run "$@"
    local rc=$?
    if [ $rc -eq 1 ] && [ "$(cat err.txt)" = "$want" ]; then ok "$desc: $want"; else
        bad "$desc: exit $rc, stderr: $(cat err.txt)"
    fi
}

# 400 words of 1-9 letters from a fixed generator
for i in $(seq 1 400); do
    n=$((i % 9 + 1)) w=""
    for j in $(seq 1 $n); do w="$w$(printf "\\x$(printf %x $((97 + (i * 7 + j * j * 3) % 26)))")"; done
    echo "$w"
done >words.txt

args=(train --words words.txt --epochs 2 --hidden 16 --embed 8 --latent 4 --batch 32 --warmup-epochs 1 --show 3)
if run "${args[@]}"; then
    rows=$(grep -cE '^ +[0-9]+/2 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+%' out.txt)
    [ "$rows" -eq 2 ] && ok "two epoch rows with train loss, bound, rec, KL, accuracy" || bad "epoch rows: $rows"
    grep -q "380 training words, 20 held out" out.txt && ok "5% held out" || bad "split: $(head -1 out.txt)"
    [ "$(grep -c ' -> ' out.txt)" -eq 3 ] && ok "3 reconstructions shown" || bad "reconstructions"
    cut -c1-64 out.txt | grep -E '^ +[0-9]+/2' >first.txt
else
    bad "train --words: $(cat err.txt)"
fi
run "${args[@]}" && cut -c1-64 out.txt | grep -E '^ +[0-9]+/2' | cmp -s - first.txt && ok "same seed, same figures" ||
    bad "a second run gave other figures"
run train --words words.txt --epochs 1 --hidden 16 --embed 8 --latent 0 --batch 32 &&
    grep -qE '^ +1/1 .* +0.0000 +- ' out.txt && ok "language model: KL 0, no reconstruction" || bad "--latent 0: $(cat out.txt err.txt)"

printf 'cat\n\ndog\n' >empty.txt
expect_error "empty line" "vae: empty.txt:2: empty word (--skip-invalid drops such lines)" train --words empty.txt
printf "cat\nit's\n" >apos.txt
expect_error "apostrophe" \
    "vae: apos.txt:2: character 3 (byte 0x27) is not in the vocabulary a-z (--skip-invalid drops such lines)" \
    train --words apos.txt
printf 'cat\nabcdefghij\n' >long.txt
expect_error "too long" \
    "vae: long.txt:2: word of 10 characters is longer than the model's limit 8 (--skip-invalid drops such lines)" \
    train --words long.txt --max-len 8
printf "cat\nIt's\ndog\nbird\n" >mixed.txt
run train --words mixed.txt --skip-invalid --epochs 1 --hidden 8 --embed 4 --latent 2 &&
    grep -q "2 training words, 1 held out (1 lines skipped)" out.txt && ok "--skip-invalid counts the dropped line" ||
    bad "--skip-invalid: $(cat out.txt err.txt)"

echo "test_words_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
