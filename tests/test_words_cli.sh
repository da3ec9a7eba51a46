#!/bin/bash
# End-to-end tests of the word model's commands on tiny synthetic word
# lists: `vae train --words` (the per-epoch table with the held-out figures,
# the same run giving the same numbers, the saved file), `vae info`,
# `vae eval` (giving training's figures back), `vae export`, `vae sample`,
# `vae interpolate`, and one-line errors for lines and words that are not
# words of the model.
# usage: bash tests/test_words_cli.sh <path-to-vae> <scratch-dir>
. "$(dirname "$(realpath "$0")")/cli_harness.sh"

# 400 words of 1-9 letters from a fixed generator
for i in $(seq 1 400); do
    n=$((i % 9 + 1)) w=""
    for j in $(seq 1 $n); do w="$w$(printf "\\x$(printf %x $((97 + (i * 7 + j * j * 3) % 26)))")"; done
    echo "$w"
done >words.txt

args=(train --words words.txt --epochs 2 --hidden 16 --embed 8 --latent 4 --batch 32 --warmup-epochs 1 --show 3
    --out w.safetensors)
if run "${args[@]}"; then
    grep -qE '^wrote w.safetensors \(F32, [0-9.]+ kB\)$' out.txt && [ -f w.safetensors ] && ok "train --out writes the model" ||
        bad "--out: $(tail -1 out.txt)"
    last=$(grep -E '^ +2/2 ' out.txt)
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

# vae info: the architecture, PyTorch's tensor names and the training metadata
run info --model w.safetensors
grep -qx "model       word VAE: vocabulary a-z, embedding 8, encoder BiLSTM 16, decoder LSTM 16, latent 4, words up to 24" out.txt &&
    grep -qx "tensors     21" out.txt && ok "info: the architecture, 21 tensors" || bad "info: $(head -3 out.txt)"
grep -qE '^  encoder.rnn.weight_ih_l0_reverse +F32 +\[64, 8\]$' out.txt &&
    grep -qE '^  decoder.rnn.weight_ih_l0 +F32 +\[64, 12\]$' out.txt && grep -qE '^  decoder.out.bias +F32 +\[29\]$' out.txt &&
    ok "info: nn.LSTM names and shapes" || bad "info tensors: $(cat out.txt)"
grep -qE '^  vae_wasm.arch +\{"format":2,"model":"words","vocab":"abcdefghijklmnopqrstuvwxyz","max_len":24,"embed":8,"hidden":16,"latent":4\}$' out.txt &&
    grep -qE '^  train.seed +1$' out.txt && ok "info: architecture and training metadata" || bad "info metadata: $(cat out.txt)"

# vae eval --holdout gives the last epoch's held-out figures back (save, load, split and seed agree)
read -r _ _ bound rec kl acc _ <<<"$last"
if run eval --model w.safetensors --words words.txt --holdout; then
    grep -qx "words      words.txt: 20 words held out (seed 1)" out.txt &&
        grep -qx "NLL bound  $bound nats/word = rec $rec + KL $kl (one z per word, seed 1)" out.txt &&
        grep -qx "KL         $kl nats/word" out.txt && grep -q "^recon      $acc (" out.txt &&
        ok "eval --holdout: training's figures ($bound = $rec + $kl, $acc)" || bad "eval: $(cat out.txt) vs $last"
else
    bad "eval: $(cat err.txt)"
fi
run eval --model w.safetensors --words words.txt && grep -qx "words      words.txt: 400 words" out.txt &&
    ok "eval: every word of the file" || bad "eval all: $(cat out.txt err.txt)"

# vae export: the word model again in F16 or F32, its training metadata kept (eval --holdout finds the split)
run eval --model w.safetensors --words words.txt --holdout && tail -n +2 out.txt >e32.txt
run export --model w.safetensors --out w16.safetensors && run info --model w16.safetensors &&
    grep -qE '^  decoder.out.bias +F16 +\[29\]$' out.txt && grep -qE '^  train.seed +1$' out.txt &&
    grep -qE '^  export.from +w.safetensors$' out.txt && run eval --model w16.safetensors --words words.txt --holdout &&
    grep -qx "words      words.txt: 20 words held out (seed 1)" out.txt && ok "export: F16, training metadata kept" ||
    bad "export f16: $(cat out.txt err.txt)"
run export --model w.safetensors --dtype f32 --out w32.safetensors &&
    run eval --model w32.safetensors --words words.txt --holdout && tail -n +2 out.txt | cmp -s - e32.txt &&
    ok "export --dtype f32: the same held-out figures" || bad "export f32: $(cat out.txt err.txt)"

# F16 and the language model
run train --words words.txt --epochs 1 --hidden 16 --embed 8 --latent 0 --batch 32 --out lm.safetensors --dtype f16 --quiet &&
    run info --model lm.safetensors && grep -qE '^  decoder.out.weight +F16 +\[29, 16\]$' out.txt &&
    grep -qx "tensors     7" out.txt && ok "a language model in F16: 7 tensors" || bad "lm: $(cat out.txt err.txt)"

# a vocabulary of its own: the apostrophe becomes a character
printf "it's\ncat's\ndog\ntis\n" >apos4.txt
run train --words apos4.txt --vocab "acdgiost'" --epochs 1 --hidden 8 --embed 4 --latent 2 --quiet --out apos.safetensors &&
    run info --model apos.safetensors && grep -q "^model       word VAE: vocabulary acdgiost', embedding 4" out.txt &&
    grep -qE '^  embedding.weight +F32 +\[12, 4\]$' out.txt && run sample --model apos.safetensors --n 20 &&
    ! grep -qvE "^[acdgiost']*$" out.txt && ok "--vocab \"acdgiost'\": 12 tokens, samples of those characters" ||
    bad "--vocab: $(cat out.txt err.txt)"

# vae sample: n words of the vocabulary within the limit, reproducible by seed
run sample --model w.safetensors --n 12 --seed 5 && cp out.txt s5.txt
[ "$(wc -l <s5.txt)" -eq 12 ] && ! grep -qvE '^[a-z]{0,24}$' s5.txt && ok "sample: 12 words of a-z" ||
    bad "sample: $(cat s5.txt err.txt)"
run sample --model w.safetensors --n 12 --seed 5 && cmp -s out.txt s5.txt && ok "sample: same seed, same words" ||
    bad "sample not reproducible"
run sample --model w.safetensors --n 12 --seed 6 && ! cmp -s out.txt s5.txt && ok "sample: another seed, other words" ||
    bad "sample ignores the seed"
run sample --model w.safetensors --n 300 --seed 5 && head -12 out.txt | cmp -s - s5.txt &&
    ok "sample: the first words do not depend on --n (batches of 256)" || bad "sample --n 300: $(head -12 out.txt)"
run sample --model w.safetensors --n 4 --temperature 0 --seed 5 && cp out.txt g.txt &&
    run sample --model lm.safetensors --n 3 --seed 2 && [ "$(wc -l <out.txt)" -eq 3 ] &&
    ok "sample: greedy decoding, and a language model" || bad "sample -T 0 / lm: $(cat out.txt err.txt)"

# vae interpolate on a model that learned a small word list: the path starts and ends at the words
printf '%s\n' apple berry cherry date elder fig grape kiwi lemon mango melon olive peach pear plum quince >fruit.txt
run train --words fruit.txt --epochs 300 --batch 16 --hidden 32 --embed 8 --latent 4 --lr 0.01 --warmup-epochs 200 \
    --dropout 0.3 --seed 2 --quiet --out fruit.safetensors
if run interpolate --model fruit.safetensors --a apple --b peach --steps 6; then
    [ "$(wc -l <out.txt)" -eq 6 ] && [ "$(head -1 out.txt)" = "0.000  apple" ] && [ "$(tail -1 out.txt)" = "1.000  peach" ] &&
        ! grep -qvE '^[01]\.[0-9]{3}  [a-z]*$' out.txt && ok "interpolate: apple ... peach in 6 steps ($(cut -c8- out.txt | tr '\n' ' '))" ||
        bad "interpolate: $(cat out.txt)"
else
    bad "interpolate: $(cat err.txt)"
fi
run interpolate --model fruit.safetensors --a apple --b peach --steps 6 --method slerp && [ "$(wc -l <out.txt)" -eq 6 ] &&
    ok "interpolate --method slerp" || bad "slerp: $(cat err.txt)"

# one-line errors for words the model cannot read, in every command
printf 'cat\n\ndog\n' >empty.txt
expect_error "eval: empty line" "vae: empty.txt:2: empty word (--skip-invalid drops such lines)" \
    eval --model w.safetensors --words empty.txt
expect_error "eval: apostrophe" \
    "vae: apos.txt:2: character 3 (byte 0x27) is not in the vocabulary a-z (--skip-invalid drops such lines)" \
    eval --model w.safetensors --words apos.txt
printf 'cat\nabcdefghijklmnopqrstuvwxyz\n' >long26.txt
expect_error "eval: longer than the model's limit" \
    "vae: long26.txt:2: word of 26 characters is longer than the model's limit 24 (--skip-invalid drops such lines)" \
    eval --model w.safetensors --words long26.txt
run eval --model w.safetensors --words apos.txt --skip-invalid && grep -qx "words      apos.txt: 1 words (1 lines skipped)" out.txt &&
    ok "eval --skip-invalid" || bad "eval --skip-invalid: $(cat out.txt err.txt)"
expect_error "interpolate: word too long" \
    "vae: --a abcdefghijklmnopqrstuvwxyz: word of 26 characters is longer than the model's limit 24" \
    interpolate --model w.safetensors --a abcdefghijklmnopqrstuvwxyz --b cat
expect_error "interpolate: character outside the vocabulary" \
    "vae: --b Cat: character 1 (byte 0x43) is not in the vocabulary a-z" interpolate --model w.safetensors --a cat --b Cat
expect_error "interpolate: a language model" "vae: lm.safetensors is a language model: it has no latent space to walk" \
    interpolate --model lm.safetensors --a cat --b dog
head -c 300 w.safetensors >cut.safetensors
run sample --model cut.safetensors
[ $? -eq 1 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q "^vae: cut.safetensors: " err.txt && ok "a truncated file: $(cat err.txt)" ||
    bad "truncated: $(cat err.txt)"
python3 - <<'PY'
import json, struct
raw = open("w.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
head = json.loads(raw[8:8 + n])
arch = json.loads(head["__metadata__"]["vae_wasm.arch"])
arch["vocab"] = "abcdefghijklmnopqrstuvwxya"
head["__metadata__"]["vae_wasm.arch"] = json.dumps(arch)
text = json.dumps(head).encode()
text += b" " * (-(8 + len(text)) % 8)
open("badvocab.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])
PY
expect_error "a vocabulary with a repeated character" \
    "vae: badvocab.safetensors: word model metadata: vocabulary character 26 (byte 0x61) repeats one before it" \
    sample --model badvocab.safetensors

finish test_words_cli
