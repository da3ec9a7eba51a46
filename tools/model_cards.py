#!/usr/bin/env python3
"""Writes pretrained/README.md (the model cards) from the training logs that
build-scripts/train-pretrained.sh leaves in pretrained/logs/: the command,
architecture, training time, test figures in F32 and F16, file sizes and
sha256. Descriptions and credits are below; every number comes from a log.

Usage: python3 tools/model_cards.py [pretrained]
       python3 tools/model_cards.py --demo-q8 [pretrained]   the models whose Q8 files the demo uses
"""
import os
import re
import struct
import sys
import zlib

MNIST = ("MNIST (Y. LeCun, C. Cortes, C. Burges), 60,000 training and 10,000 test digits of 28x28; "
         "CC BY-SA 3.0. Test figures on the 10,000 test digits.")
FREY = ("Frey Face (Brendan Frey, distributed by Sam Roweis; research use): 1,965 frames of 28x20 of one face. "
        "The last 200 frames are held out as the test set (`--holdout 200`).")
OLIVETTI = ("Olivetti (ORL) faces (AT&T Laboratories Cambridge; research use): 400 images of 64x64, 10 of each of "
            "40 people. One image per person is held out (`--holdout-per-class 1`: 360 train, 40 test); training "
            "uses random horizontal flips and shifts of up to 2 pixels.")
FASHION = ("Fashion-MNIST (Zalando; MIT licence), from Debian's `dataset-fashion-mnist`, so anyone can reproduce "
           "it: 60,000 training and 10,000 test images of 28x28.")

Q8_DEMO_MAX_NATS = 0.1  # the demo uses a model's Q8 files when they cost less test loss than this

MODELS = [
    ("mnist-vae", MNIST, "The PyTorch examples/vae architecture, trained longer with a cosine learning-rate "
     "decay: 60 epochs instead of 10 take the test loss from 105.5 to the figure below."),
    ("mnist-vae-2d", MNIST, "A 2-D latent for the latent-space explorer and the manifold picture, with two "
     "larger hidden layers."),
    ("mnist-cvae", MNIST, "Conditional on the digit: the one-hot label is appended to the encoder input and to "
     "z. The latent is 2-D, so z holds only the style (slant, width, loops) and the label decides the digit: with "
     "a 10-D latent only 79% of samples were recognised as the requested digit. Generated digits are checked by an "
     "independent classifier (below). The manifold picture is the style space of the digit 0."),
    ("frey-face-vae", FREY, "Gaussian likelihood with a learned per-pixel log sigma and a 2-D latent: the "
     "Kingma & Welling Frey Face manifold. Losses are densities of pixel values in [0,1], so they are negative. "
     "With a learned sigma the model overfits 1,765 frames: 300 epochs had the least held-out loss of runs of "
     "150, 250, 300, 400 and 600 epochs (-546 against -366 after 600), so the test figure is slightly optimistic "
     "(the epoch count was chosen on it)."),
    ("frey-face-vae-10d", FREY, "The larger-latent variant of frey-face-vae (10-D)."),
    ("olivetti-faces-vae", OLIVETTI, "Faces for interpolation and the glasses vector (several of the 40 people "
     "wear glasses). Gaussian likelihood with a learned per-pixel log sigma."),
    ("olivetti-faces-conv-vae", OLIVETTI, "The convolutional version of olivetti-faces-vae, same data, latent, "
     "likelihood, augmentation and schedule: three stride-2 4x4 conv layers (32, 64, 64 channels) and a 256-wide "
     "layer down to the 16-D latent, and the mirror image up (transposed convs). The comparison with the MLP is "
     "below the cards."),
    ("mnist-dae", MNIST, "A denoising autoencoder (no sampling, no KL: `--model ae`): each training input has half "
     "its pixels set to 0 (`--noise mask:0.5`) and the loss reconstructs the clean digit. For the demo's denoising "
     "view. The test loss below is the reconstruction of the clean test digits; the picture shows test digits, "
     "the same digits with half their pixels dropped, and the model's reconstructions of those."),
    ("fashion-mnist-vae", FASHION, "The mnist-vae architecture on Fashion-MNIST."),
]


def trained_log(out_dir, name):
    """The text of logs/NAME.txt once its run is complete (it ends with the sha256 of the files), else None."""
    path = os.path.join(out_dir, "logs", name + ".txt")
    text = open(path).read() if os.path.exists(path) else ""
    return text if re.search(r"^[0-9a-f]{64}  ", text, re.M) else None


def header(text):
    """(command, architecture, parameter count): the log's first line and its `model` line."""
    return (text.splitlines()[0].lstrip("$ ").strip(),) + \
        re.search(r"^model\s+(.*?); ([\d,]+) parameters", text, re.M).groups()


def shipped_file(text, f):
    """(bytes, sha256) that the log lists for the file F."""
    f = re.escape(f)
    return (int(re.search(rf"^(\d+) {f}$", text, re.M).group(1)),
            re.search(rf"^([0-9a-f]{{64}})  {f}$", text, re.M).group(1))


def parse(text):
    info = dict(zip(("command", "arch", "params"), header(text)))
    info["time"] = re.search(r"training time: (\d+) s on (.*)", text).groups()
    info["epochs"] = re.findall(r"^\s*(\d+)/(\d+)\s", text, re.M)[-1][1]
    evals = re.findall(r"^-ELBO\s+(\S+) nats/image = rec (\S+) \+ KL ([^\s,]+)", text, re.M)
    evals = evals or [(r, r, "-") for r in re.findall(r"^rec loss\s+(\S+) nats/image", text, re.M)]
    info["f32"], info["f16"] = evals[0], evals[1]
    info["q8"] = evals[2] if len(evals) > 2 else None  # the Q8 part (train-pretrained.sh's q8)
    iwae = re.search(r"^-log p\(x\)\s+(\S+) nats/image, IWAE with k = (\d+)", text, re.M)
    info["iwae"] = iwae.groups() if iwae else None
    info["sizes"] = dict((n, int(s)) for s, n in re.findall(r"^(\d+) (\S+\.safetensors)$", text, re.M))
    info["sha"] = dict((n, h) for h, n in re.findall(r"^([0-9a-f]{64})  (\S+)$", text, re.M))
    knn = re.findall(r"^\s+(\d|all)\s+([\d.]+)%", text, re.M)
    info["knn"] = knn
    return info


def q8_in_demo(info):
    return info["q8"] is not None and abs(float(info["q8"][0]) - float(info["f32"][0])) < Q8_DEMO_MAX_NATS


def finished(out_dir):
    """name -> parse(log) of every model whose log is complete."""
    logs = [(m[0], trained_log(out_dir, m[0])) for m in MODELS]
    return {n: parse(text) for n, text in logs if text}


def card(name, data, about, i, out_dir):
    pngs = [name + s for s in ("-samples.png", "-manifold.png", "-denoising.png")]
    pngs = [f for f in pngs if os.path.exists(os.path.join(out_dir, f))]
    f32, f16 = i["f32"], i["f16"]
    lines = [f"## {name}", "", about, "", f"- **Data**: {data}",
             f"- **Architecture**: {i['arch']}; {i['params']} parameters.",
             f"- **Training**: {i['epochs']} epochs, seed 1, {i['time'][0]} s on {i['time'][1]} "
             "(a shared machine: other jobs ran at the same time).",
             f"- **Reproduce**: `{i['command']}` (the whole set: `build-scripts/train-pretrained.sh DATA_DIR`).", "",
             "| weights | test loss (nats/image; -ELBO for a VAE) | change against F32 | reconstruction | KL | file |",
             "|---|---|---|---|---|---|",
             f"| F32 (not shipped) | {f32[0]} | | {f32[1]} | {f32[2]} | |"]
    rows = [("F16", name + ".safetensors", f16)] + ([("Q8", name + "-q8.safetensors", i["q8"])] if i["q8"] else [])
    for label, f, e in rows:
        lines.append(f"| {label} (`{f}`) | {e[0]} | {float(e[0]) - float(f32[0]):+.4f} | {e[1]} | {e[2]} | "
                     f"{i['sizes'][f]:,} B |")
    if i["q8"]:
        change, dec = float(i["q8"][0]) - float(f32[0]), name + "-decoder"
        ratio = i["sizes"][name + ".safetensors"] / i["sizes"][name + "-q8.safetensors"]
        lines += ["", f"Q8 (int8 rows with an F32 scale each, made from the F16 file) is {ratio:.2f}x smaller than F16 "
                  f"(decoder only: {i['sizes'][dec + '-q8.safetensors']:,} B against {i['sizes'][dec + '.safetensors']:,} B) "
                  f"and changes the test loss by {change:+.4f} nats/image against F32: "
                  + ("within 0.1 nats, so the demo uses the Q8 files." if q8_in_demo(i) else
                     "more than 0.1 nats, so the demo keeps F16 and the Q8 files are not shipped.")]
    lines.append("")
    if i["iwae"]:
        lines += [f"Importance-weighted estimate of -log p(x) (F16, k = {i['iwae'][1]}): **{i['iwae'][0]}** "
                  "nats/image.", ""]
    if i["knn"]:
        row = " | ".join(f"{acc}%" for d, acc in i["knn"] if d != "all")
        total = [acc for d, acc in i["knn"] if d == "all"][0]
        lines += ["Generated digits recognised as the requested label by 5-nearest-neighbours against the 60,000 "
                  f"MNIST training digits (100 samples per digit, z ~ N(0, I)): **{total}%** overall.", "",
                  "| " + " | ".join(str(d) for d in range(10)) + " |", "|" + "---|" * 10, "| " + row + " |", ""]
    lines += ["| file | bytes | sha256 |", "|---|---|---|"]
    for f in [name + s + ".safetensors" for s in ("", "-decoder", "-q8", "-decoder-q8")]:
        if f not in i["sizes"]:
            continue
        shipped = "-q8" not in f or q8_in_demo(i)
        lines.append(f"| `{f}`{'' if shipped else ' (not shipped: train-pretrained.sh makes it)'} | {i['sizes'][f]:,} | "
                     f"`{i['sha'][f]}` |")
    lines += [""] + [f"![{p}]({p})" for p in pngs] + [""]
    return "\n".join(lines)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def gray_png(path):
    """Rows of an 8-bit grayscale, non-interlaced PNG (what `vae sample` writes)."""
    data = open(path, "rb").read()
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, rows, prev = zlib.decompress(idat), [], [0] * w
    for y in range(h):
        f, line = raw[y * (w + 1)], list(raw[y * (w + 1) + 1:(y + 1) * (w + 1)])
        for x in range(w):
            a, b, c = line[x - 1] if x else 0, prev[x], prev[x - 1] if x else 0
            line[x] = (line[x] + (0, a, b, (a + b) // 2, paeth(a, b, c))[f]) & 255
        rows.append(line)
        prev = line
    return rows


def sharpness(path, cols=8, scale=2):
    """Mean absolute 4-neighbour Laplacian of the sample images (pixel values
    in [0, 1]), tile by tile, at their own resolution: higher is sharper."""
    rows = gray_png(path)
    tile = (len(rows[0]) - (cols - 1)) // cols
    total, count = 0.0, 0
    for ty in range(cols):
        for tx in range(cols):
            x0, y0 = tx * (tile + 1), ty * (tile + 1)
            img = [[rows[y0 + y * scale][x0 + x * scale] / 255 for x in range(tile // scale)]
                   for y in range(tile // scale)]
            for y in range(1, len(img) - 1):
                for x in range(1, len(img) - 1):
                    total += abs(4 * img[y][x] - img[y - 1][x] - img[y + 1][x] - img[y][x - 1] - img[y][x + 1])
                    count += 1
    return total / count


WORDS = ("Debian's `wamerican` (`/usr/share/dict/words`), from SCOWL, Kevin Atkinson's Spell Checker Oriented "
         "Word Lists (Copyright 2000-2011 Kevin Atkinson and the authors of the lists it builds on; permission to "
         "use, copy, modify, distribute and sell for any purpose with the copyright notice kept, see "
         "`/usr/share/doc/wamerican/copyright`). The weights are MIT like the rest of vae-wasm. Of the list's "
         "104,334 lines, its 63,875 words of lowercase a-z only (`--skip-invalid` "
         "drops names, capitals and apostrophes), 60,682 for training and 3,193 held out (a seeded 5% draw, "
         "seed 1 + 1). The list is not in this repository, nor any copy of it.")
WORDS_ABOUT = ("A character-level word VAE (Bowman et al. 2016, \"Generating Sentences from a Continuous Space\", on "
               "letters): an embedding and a bidirectional LSTM read a word into mu and logvar; the decoder LSTM "
               "starts from z and reads z beside every letter, with character dropout 0.5 and the KL weight "
               "annealed from 0 over 8 epochs, so that the code carries the word. For the demo's words view.")


def words_card(out_dir):
    """The word VAE's card from logs/words-vae.txt, or [] before it is trained."""
    text = trained_log(out_dir, "words-vae")
    if not text:
        return []
    cmd, arch, params = header(text)
    secs, where = re.search(r"training time: (\d+) s on (.*)", text).groups()
    epochs = re.findall(r"^\s*(\d+)/(\d+)\s", text, re.M)[-1][1]
    evals = re.findall(r"^NLL bound\s+(\S+) nats/word = rec (\S+) \+ KL (\S+).*\n.*\nrecon\s+(\S+) \((\d+) of (\d+)",
                       text, re.M)
    size, sha = shipped_file(text, "words-vae.safetensors")
    lines = ["## words-vae", "", WORDS_ABOUT, "", f"- **Data**: {WORDS}", f"- **Architecture**: {arch}; {params} parameters.",
             f"- **Training**: {epochs} epochs of 949 steps of 64 words, Adam lr 0.002, seed 1, {secs} s on {where} "
             "(a shared machine: other jobs ran at the same time).",
             f"- **Reproduce**: `{cmd}` (`build-scripts/train-pretrained.sh DATA_DIR FASHION_DIR words-vae`).", "",
             f"Held-out figures (`vae eval --holdout`, the {int(evals[0][5]):,} words training never saw), per word in nats: "
             "the bound on -log p(word) is reconstruction + KL with one z per word; reconstruction accuracy is the "
             "share of words that greedy decoding of their mean code spells exactly.", "",
             "| weights | bound on -log p(word) | reconstruction | KL | words spelt back |", "|---|---|---|---|---|"]
    for label, (bound, rec, kl, acc, _, _) in zip(("F32 (not shipped)", "F16 (`words-vae.safetensors`)"), evals):
        lines.append(f"| {label} | {bound} | {rec} | {kl} | {acc} |")
    lm = os.path.join(out_dir, "logs", "words-lm.txt")
    lm = re.search(r"^NLL bound\s+(\S+) nats/word", open(lm).read(), re.M) if os.path.exists(lm) else None
    lines += ["", "The KL is well above 0, so the code is used, but at this size it keeps a word's shape (its start, "
              "length and ending) more than its spelling: few held-out words come back letter for letter, and the paths "
              "below walk through made-up neighbours.", "",
              "The baseline for the bound is a language model of the same size trained by the same code and options "
              "without the latent (`--latent 0`, `build-scripts/train-pretrained.sh ... words-lm`; only its log is "
              "kept): " + (f"its held-out NLL is **{lm.group(1)}** nats/word against the VAE's bound of "
                           f"**{evals[0][0]}**; the bound pays for the KL the code costs." if lm else
                           "it was not retrained at this size; at hidden 64 its held-out NLL was 17.73 nats/word "
                           "against the VAE's bound of 18.93."),
              "", "Paths between words (`vae interpolate`, 8 points, linear, greedy decoding):", ""]
    for a, b, body in re.findall(r"^\$ vae interpolate --a (\S+) --b (\S+)\n((?:[01]\.\d{3}  \S+\n)+)", text, re.M):
        lines.append(f"- {a} → {b}: " + " · ".join(l.split()[1] for l in body.splitlines()))
    for t, body in re.findall(r"^\$ vae sample --n 24 --seed 1 --temperature (\S+)\n((?:[a-z]+\n)+)", text, re.M):
        lines += ["", f"Samples (`vae sample --n 24 --seed 1 --temperature {t}`, z ~ N(0, I)):", "",
                  " · ".join(body.split())]
    lines += ["", "| file | bytes | sha256 |", "|---|---|---|", f"| `words-vae.safetensors` | {size:,} | `{sha}` |", "",
              "No Q8 file: the word models' format (`vae export`) has F32 and F16 only.", ""]
    return lines


M2_ABOUT = ("The semi-supervised M1+M2 of Kingma, Rezende, Mohamed and Welling (2014) from **100 labels** (10 per "
            "digit): an M2 model (classifier q(y|x), encoder q(z|x,y), decoder p(x|y,z)) trained on the latent means "
            "of `mnist-vae` (M1), mapped to 0.5 + mu/8, with the labels of 100 of the first 50,000 training digits "
            "and the other 49,900 unlabelled; the last 10,000 training digits chose the epoch (`--keep-best`). The "
            "file holds M2 only; its metadata names its M1 (`train.m1`): classify with `vae classify --m1 "
            "mnist-vae.safetensors`, or in JS `m2.classify(m1.encode(images).mu.map((v) => 0.5 + v / 8))`. Samples "
            "per class: M2 draws M1's latent means for the digit, M1's decoder draws them.")


def m2_card(out_dir):
    """The M1+M2 card from logs/mnist-m2-100.txt (tests/bench/m2_table.sh's run), or []."""
    text = trained_log(out_dir, "mnist-m2-100")
    if not text:
        return []
    cmd, arch, params = header(text)
    epoch, val = re.search(r"^kept\s+epoch (\d+): test error (\S+) %", text, re.M).groups()
    secs = re.search(r"^training time: (\d+) s", text, re.M).group(1)
    err = re.search(r"^error: (\S+)%", text, re.M).group(1)
    table = re.search(r"^(test error %.*?)\n\n", text, re.M | re.S).group(1).splitlines()
    size, sha = shipped_file(text, "mnist-m2-100.safetensors")
    return ["## mnist-m2-100", "", M2_ABOUT, "", f"- **Data**: {MNIST}", f"- **Architecture**: {arch}; {params} parameters "
            "(M1, `mnist-vae`, not counted).", f"- **Training**: {secs} s on 2 shared cores; the epoch of the lowest "
            f"validation error, {epoch}, kept ({val}% on the 10,000 validation digits).", f"- **Reproduce**: `{cmd}` gives it as `OUT/m1m2-100-1.safetensors` "
            "(`tools/m2_pretrained.sh DATA_DIR/mnist` makes this card).", "",
            f"Test error on the 10,000 test digits: **{err}%** (F32 weights, {size:,} bytes: small enough to need no F16).", "",
            "The paper's protocol (`tests/bench/m2_table.sh`: 5 draws of the labelled digits by seed; seed 1 is this "
            "file; the supervised-only baseline is the same M2 on the labelled digits alone):", "", "```", *table, "```", "",
            "![mnist-m2-100-confusion.png](mnist-m2-100-confusion.png)", "![mnist-m2-100-samples.png](mnist-m2-100-samples.png)",
            "", "| file | bytes | sha256 |", "|---|---|---|", f"| `mnist-m2-100.safetensors` | {size:,} | `{sha}` |", ""]

HANZI = ("npm `hanzi-writer-data` (the `medians` of Make Me a Hanzi, stroke centre lines in stroke order; "
         "licence ARPHIC Public License, in the package), converted by `tools/hanzi_strokes.py` (RDP epsilon 8 "
         "of the 1024 box, at most 120 points): 9,574 characters, 9,107 for training and 467 held out (crc32 % 20 "
         "== 0 of the character). The converted data is made at training time, never committed. The weights are MIT "
         "like the rest of vae-wasm.")
HANZI_ABOUT = ("SketchRNN (Ha & Eck 2017, \"A Neural Representation of Sketch Drawings\") on Chinese characters: a "
               "bidirectional LSTM reads a character's stroke-5 points into mu and logvar; the decoder LSTM starts "
               "from tanh(linear(z)) and reads z beside the previous point; a mixture of bivariate Gaussians gives "
               "the next offset and a softmax the pen. For the demo's sketch views.")


def sketch_card(out_dir):
    """SketchRNN's card from logs/hanzi-sketch-vae.txt, or [] before it is trained."""
    text = trained_log(out_dir, "hanzi-sketch-vae")
    if not text:
        return []
    cmds = re.findall(r"^\$ (vae train .*)$", text, re.M)
    _, arch, params = header(text)
    steps = re.findall(r"^\s*\d+/\d+\s+(\d+)\s", text, re.M)[-1]
    secs = re.search(r"training time: (.*)", text).group(1)
    floors = [f"{float(f):g}" for f in re.findall(r"^training .*, KL_min (\S+),", text, re.M)]
    runs = [int(s) for s in re.findall(r"^resumed .* at step (\d+)$", text, re.M)]
    evals = re.findall(r"^bound\s+(\S+) nats/drawing = offsets (\S+) \+ pen (\S+) \+ KL (\S+)", text, re.M)
    size, sha = shipped_file(text, "hanzi-sketch-vae.safetensors")
    lines = ["## hanzi-sketch-vae", "", HANZI_ABOUT, "", f"- **Data**: {HANZI}",
             f"- **Architecture**: {arch}; {params} parameters.",
             f"- **Training**: {int(steps):,} steps of 64 characters, {secs} (a shared machine: other jobs ran at "
             "the same time, and the run is meant to go on: `--resume`).",
             "- **Commands**: " + "; then ".join(f"`{c}`" for c in cmds) + ".", "",
             "Held-out figures (`vae eval`, the 467 characters training never saw), per character in nats: the "
             "offsets' mixture NLL (offsets in units of the scale), the pen NLL and the KL (one z per character); "
             "their sum bounds -log p(character) (offsets as densities in units of the scale, so their NLL can be "
             "negative). The KL floor (`--kl-min`, free bits: no KL gradient below it) was "
             + ", then ".join(f"{f} nats" + (f" from step {r:,}" if r else "") for f, r in zip(floors, [0] + runs))
             + f". Under 6.4 (0.2 per latent dimension) the code carried too little of a character for its decoding "
             f"to resemble it; with {floors[-1]} (1 nat per dimension) the KL sits at the floor and the code carries "
             "the character's parts and layout: in the strips below (the second and second-last drawings decode the "
             "end characters' codes) 江 comes back as 氵 beside a box and 汽 as 氵 beside a right part, 日 as a box "
             "in a box; the exact character not yet.", "",
             "| weights | bound | offsets | pen | KL |", "|---|---|---|---|---|"]
    for label, (bound, xy, pen, kl) in zip(("F32 (not shipped)", "F16 (`hanzi-sketch-vae.safetensors`)"), evals):
        lines.append(f"| {label} | {bound} | {xy} | {pen} | {kl} |")
    lines += ["", "Samples (`vae sample --n 64 --seed 1 --temperature 0.4`, z ~ N(0, I)): "
              "`hanzi-sketch-vae-samples.png`; the path 日 → 月 (`vae interpolate`, temperature 0.1; the strip "
              "starts and ends with the characters themselves): `hanzi-sketch-vae-interpolate.png`; the path "
              "between two held-out characters, 江 → 汽: `hanzi-sketch-vae-interpolate-heldout.png`.",
              "", "| file | bytes | sha256 |", "|---|---|---|",
              f"| `hanzi-sketch-vae.safetensors` | {size:,} | `{sha}` |", ""]
    return lines

def comparison(out_dir, infos):
    """The conv and MLP Olivetti models side by side."""
    pair = ("olivetti-faces-vae", "olivetti-faces-conv-vae")
    if not all(n in infos for n in pair):
        return []
    lines = ["## Olivetti faces: MLP against convolutional", "",
             "Same data split, latent, likelihood, augmentation, epochs and seed. Held-out figures are on the 40 "
             "held-out faces (F16 weights); sharpness is the mean absolute Laplacian of the 64 samples of each grid "
             "(pixel values in [0, 1]; higher is sharper).", "",
             "| | " + " | ".join(f"`{n}`" for n in pair) + " |", "|---|---|---|"]
    lines.append("| parameters | " + " | ".join(infos[n]["params"] for n in pair) + " |")
    lines.append("| held-out -ELBO | " + " | ".join(infos[n]["f16"][0] for n in pair) + " |")
    lines.append("| held-out -log p(x), IWAE k = 100 | " + " | ".join(infos[n]["iwae"][0] for n in pair) + " |")
    sharp = [sharpness(os.path.join(out_dir, n + "-samples.png")) for n in pair]
    lines.append("| sample sharpness | " + " | ".join(f"{v:.4f}" for v in sharp) + " |")
    lines.append("| training time (s) | " + " | ".join(infos[n]["time"][0] for n in pair) + " |")
    lines.append("| file (F16) | " + " | ".join(f"{infos[n]['sizes'][n + '.safetensors']:,} B" for n in pair) + " |")
    lines += ["", "| MLP samples | conv samples |", "|---|---|",
              f"| ![mlp]({pair[0]}-samples.png) | ![conv]({pair[1]}-samples.png) |", ""]
    return lines


def main():
    if sys.argv[1:2] == ["--demo-q8"]:
        out_dir = sys.argv[2] if len(sys.argv) > 2 else "pretrained"
        print("\n".join(n for n, i in finished(out_dir).items() if q8_in_demo(i)))
        return
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "pretrained"
    parts = ["# Pretrained models", "",
             "Trained with our own `vae` CLI by `build-scripts/train-pretrained.sh DATA_DIR` (seed 1; the same "
             "command gives bit-identical files). Weights are F16 (round to nearest even; the tables show that "
             "F16 loses essentially nothing against F32); `NAME-decoder.safetensors` holds only the decoder, "
             "enough for sampling, interpolation and manifolds; `NAME-q8.safetensors` and `NAME-decoder-q8.safetensors` "
             "(Q8, made from the F16 file) are shipped where their test loss is within 0.1 nats/image of F32's, and "
             "the demo uses them there. Test -ELBO uses one eps draw per image (seed 1), "
             "as `vae eval` does. Sample grids are z ~ N(0, I), seed 1. Full logs: `logs/`.", "",
             "The training data is not in this repository.", ""]
    infos = finished(out_dir)
    parts += [card(name, data, about, infos[name], out_dir) for name, data, about in MODELS if name in infos]
    parts += comparison(out_dir, infos)
    parts += words_card(out_dir)
    parts += m2_card(out_dir)
    parts += sketch_card(out_dir)
    open(os.path.join(out_dir, "README.md"), "w").write("\n".join(parts))


if __name__ == "__main__":
    main()
