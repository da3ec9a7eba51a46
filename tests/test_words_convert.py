#!/usr/bin/python3
"""The golden test of the whole word VAE against PyTorch: random WordVAEs
(tools/word_vae.py; a-z and a vocabulary of their own, F32 and F16, and the
language model) -> tools/convert_pytorch.py -> `vae forward` on a ragged
batch with given eps: mu, logvar, reconstruction and KL per word agree with
PyTorch's float64 forward pass within 1e-5 relative, and greedy decoding
(`vae interpolate` at t = 0, `vae sample --temperature 0`) gives PyTorch's
words. Word models that do not fit fail with a message saying why.

usage: /usr/bin/python3 tests/test_words_convert.py <path-to-vae-CLI> <scratch-dir>
"""
import contextlib
import copy
import io
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import torch
from torch import nn

from convert_harness import Checks, load_tool

converter, word_vae = load_tool("convert_pytorch"), load_tool("word_vae")
check = Checks()




def convert(args):
    """Runs the converter's main(args): (exit status, what it printed to stderr)."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            converter.main([str(a) for a in args])
        return 0, err.getvalue()
    except SystemExit as e:
        return (1 if isinstance(e.code, str) else e.code), err.getvalue() + (e.code if isinstance(e.code, str) else "")


def vae(cli, *args):
    return subprocess.run([cli] + [str(a) for a in args], capture_output=True, text=True)


def run_case(name, model, words, args, dtype, cli, scratch):
    torch.manual_seed(3)
    pt, out = os.path.join(scratch, name + ".pth"), os.path.join(scratch, name + ".safetensors")
    torch.save(model.state_dict(), pt)
    status, msg = convert([pt, out, "--dtype", dtype] + args)
    check(name + ": convert", status == 0, msg.strip())
    if status:
        return
    if dtype == "f16":  # the weights the file holds
        model = copy.deepcopy(model)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
    latent = model.latent
    eps = torch.randn(len(words), latent)
    wf, ef, of = (os.path.join(scratch, name + s) for s in (".txt", ".eps.f32", ".out.f32"))
    with open(wf, "w") as f:
        f.write("".join(w + "\n" for w in words))
    eps.numpy().astype("<f4").tofile(ef)
    fwd = vae(cli, "forward", "--model", out, "--words", wf, "--out", of, *(["--eps", ef] if latent else []))
    check(name + ": vae forward", fwd.returncode == 0, fwd.stderr.strip())
    if fwd.returncode:
        return
    ours = np.fromfile(of, dtype="<f4").astype(np.float64)
    ref_model = copy.deepcopy(model).double()
    with torch.no_grad():
        mu, logvar, rec, kl = ref_model.loss(words, eps.double())
        cols = ([mu, logvar] if latent else []) + [rec[:, None], kl[:, None]]
        ref = torch.cat(cols, 1).numpy()
    check(name + ": output size", ours.size == ref.size, "%d vs %d floats" % (ours.size, ref.size))
    if ours.size != ref.size:
        return
    ours = ours.reshape(ref.shape)
    err = np.abs(ours - ref) / np.maximum(np.abs(ref), 1.0)
    check(name + ": mu, logvar, rec, KL match PyTorch", err.max() <= 1e-5,
          "max relative error %.2e (rec %.4f nats for '%s')" % (err.max(), ref[0, -2], words[0]))

    # greedy decoding: of each word's mu, or (a language model) of nothing
    with torch.no_grad():
        want = ref_model.greedy(mu) if latent else ref_model.greedy(None, 1)
    if latent:
        got = []
        for w in words:
            r = vae(cli, "interpolate", "--model", out, "--a", w, "--b", w, "--steps", 2)
            got.append(r.stdout.splitlines()[0][7:] if r.returncode == 0 else "ERROR " + r.stderr.strip())
    else:
        got = vae(cli, "sample", "--model", out, "--n", 1, "--temperature", 0).stdout.splitlines()
    check(name + ": greedy decoding gives PyTorch's words", got == want, "ours %s, PyTorch %s" % (got, want))


def spread(model, std):
    """Weights of N(0, std^2): PyTorch's uniform init gives near-constant greedy words, these depend on z."""
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, std)
    return model


def refused(name, args, expect):
    out = args[1]
    if os.path.exists(out):
        os.remove(out)
    status, msg = convert(args)
    check("refused: " + name, status != 0 and expect in msg and not os.path.exists(out), msg.strip())


class WordVAE2Layer(word_vae.WordVAE):
    """A two-layer encoder: not our architecture."""

    def __init__(self):
        super().__init__(embed=8, hidden=16, latent=4, max_len=24)
        self.encoder = nn.LSTM(8, 16, num_layers=2, bidirectional=True)


def main():
    cli, scratch = os.path.abspath(sys.argv[1]), sys.argv[2]
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    # ragged: 1 character up to the limit, repeats, every letter somewhere
    words = ["a", "zebra", "quixotic", "cat", "abcdefghijkl", "mnopqrstuvwx", "yyz", "lull"]
    torch.manual_seed(1)
    vae_az = spread(word_vae.WordVAE(embed=8, hidden=16, latent=4, max_len=12), 0.5)
    arch12 = ["--arch-json", json.dumps({"model": "words", "vocab": word_vae.AZ, "max_len": 12})]
    preset = ["--preset", "word-vae"]
    for dtype in ("f32", "f16"):
        run_case("vae-" + dtype, vae_az, words, preset + arch12, dtype, cli, scratch)
    torch.manual_seed(2)
    vocab = "ab'- ."
    own = spread(word_vae.WordVAE(vocab=vocab, embed=5, hidden=7, latent=3, max_len=6), 0.8)
    run_case("own-vocab", own, ["a", "b'a", "a-b b", ".", "ab.ab.", "''"], preset +
             ["--arch-json", json.dumps({"model": "words", "vocab": vocab, "max_len": 6, "embed": 5, "hidden": 7,
                                         "latent": 3})], "f32", cli, scratch)
    torch.manual_seed(3)
    lm = spread(word_vae.WordVAE(embed=6, hidden=10, latent=0, max_len=12), 0.5)
    run_case("language-model", lm, words, preset + arch12, "f32", cli, scratch)
    info = vae(cli, "info", "--model", os.path.join(scratch, "language-model.safetensors")).stdout
    check("language model: latent read off the state_dict as 0",
          "model       word language model: vocabulary a-z, embedding 6, LSTM 10, words up to 12" in info, info[:200])

    pt, bad = os.path.join(scratch, "vae-f32.pth"), os.path.join(scratch, "bad.safetensors")
    refused("a vocabulary one character short", [pt, bad] + preset +
            ["--arch-json", json.dumps({"model": "words", "vocab": word_vae.AZ[:-1], "max_len": 12})],
            "embed.weight is [29, 8], our embedding.weight needs [28, 8] for nn.Embedding(28, 8): end, start, "
            "unknown and 25 characters")
    refused("a repeated vocabulary character", [pt, bad] + preset +
            ["--arch-json", json.dumps({"model": "words", "vocab": "abca", "max_len": 12})],
            '"vocab" must be 1 to 95 distinct printable ASCII characters')
    refused("a word limit over 256", [pt, bad] + preset +
            ["--arch-json", json.dumps({"model": "words", "vocab": word_vae.AZ, "max_len": 300})],
            '"max_len" must be an integer in 1..256, not 300')
    refused("a stated hidden size the weights do not have", [pt, bad] + preset +
            ["--arch-json", json.dumps({"model": "words", "vocab": word_vae.AZ, "max_len": 12, "hidden": 12})],
            "encoder.weight_ih_l0 is [64, 8], our encoder.rnn.weight_ih_l0 needs [48, 8]")
    two = os.path.join(scratch, "two-layer.pth")
    torch.save(WordVAE2Layer().state_dict(), two)
    refused("a two-layer encoder LSTM", [two, bad] + preset,
            "encoder.weight_ih_l1 is not part of the word model's encoder.rnn (one layer, both directions)")
    uni = word_vae.WordVAE(embed=8, hidden=16, latent=4)
    uni.encoder = nn.LSTM(8, 16)
    uni_pt = os.path.join(scratch, "unidirectional.pth")
    torch.save(uni.state_dict(), uni_pt)
    refused("a unidirectional encoder", [uni_pt, bad] + preset, "no 'encoder.weight_ih_l0_reverse' in the state_dict")
    print("test_words_convert: %d failed" % check.failures)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
