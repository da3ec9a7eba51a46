#!/usr/bin/python3
"""A small PyTorch SketchRNN converts and agrees: random SketchRNNs
(tools/make_golden_sketch.py's module; F32 and F16) -> tools/convert_pytorch.py
-> `vae interpolate --temperature 0 --out FILE.txt`, whose first step is the
greedy decoding of a drawing's mean code: the same points as PyTorch's
float64 greedy decoding (the likeliest component's mean, the likeliest pen)
within 1e-4 relative. Models that do not fit fail with a message saying why.

usage: /usr/bin/python3 tests/test_sketch_convert.py <path-to-vae-CLI> <scratch-dir>
"""
import os
import shutil
import subprocess
import sys

import torch

from convert_harness import ROOT, Checks, load_tool

golden = load_tool("make_golden_sketch")
check = Checks()




DRAWINGS = {"a": [(-30, -20, 0), (60, 0, 0), (0, 40, 1), (-30, -50, 0), (0, 60, 1)],
            "b": [(10, 10, 0), (-20, 30, 0), (40, -5, 1)]}


def greedy(model, pts, scale, max_len):
    """PyTorch's greedy decoding of the drawing's mean code: stroke-3 rows in data units."""
    with torch.no_grad():
        p = torch.tensor([pts], dtype=torch.float64)
        mu, _, _, _, _ = model(torch.nn.functional.pad(p, (0, 0, 0, max_len - len(pts))), torch.tensor([len(pts)]),
                               scale, torch.zeros(1, model.decoder.init.in_features, dtype=torch.float64))
        H, M = model.decoder.rnn.hidden_size, model.M
        init = torch.tanh(model.decoder.init(mu))
        state = (init[:, :H][None].contiguous(), init[:, H:][None].contiguous())
        prev, out = torch.tensor([[0, 0, 1, 0, 0]], dtype=torch.float64), []
        for t in range(max_len + 1):
            y, state = model.decoder.rnn(torch.cat([prev, mu], -1)[None], state)
            y = model.decoder.out(y[0])[0]
            j, pen = int(torch.argmax(y[:M])), int(torch.argmax(y[6 * M:]))
            if pen == 2 or t == max_len:
                if out:
                    out[-1][2] = 1
                break
            mx, my = float(y[M + j]), float(y[2 * M + j])
            out.append([mx * scale, my * scale, int(pen == 1)])
            prev = torch.tensor([[mx, my, float(pen == 0), float(pen == 1), 0.0]], dtype=torch.float64)
        return out


def main():
    vae, scratch = sys.argv[1], sys.argv[2]
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    with open(os.path.join(scratch, "s.txt"), "w") as f:
        for name, pts in DRAWINGS.items():
            f.write("%s\ttest\t%s\n" % (name, " ".join("%d,%d,%d" % p for p in pts)))
    for seed, dtype, (He, Hd, L, M) in [(1, "f32", (6, 9, 3, 2)), (2, "f16", (5, 7, 4, 3))]:
        torch.manual_seed(seed)
        model = golden.SketchRNN(He, Hd, L, M)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p * 3)  # larger than the init, so the drawings are not all alike
            model.decoder.out.bias[6 * M + 2] -= 4  # and the end less likely, so they have points
        pth, out = os.path.join(scratch, "m%d.pth" % seed), os.path.join(scratch, "m%d.safetensors" % seed)
        torch.save(model.state_dict(), pth)
        subprocess.run([sys.executable, os.path.join(ROOT, "tools", "convert_pytorch.py"), pth, out, "--dtype", dtype,
                        "--arch-json", '{"model":"sketch","max_len":10,"scale":25}'], check=True, capture_output=True)
        if dtype == "f16":  # what the file holds
            with torch.no_grad():
                for p in model.parameters():
                    p.copy_(p.half().float())
        model = model.double()
        txt = os.path.join(scratch, "i.txt")
        subprocess.run([vae, "interpolate", "--model", out, "--strokes", os.path.join(scratch, "s.txt"), "--a", "a",
                        "--b", "b", "--steps", "2", "--temperature", "0", "--out", txt], check=True, capture_output=True)
        lines = open(txt).read().splitlines()
        for k, name in ((1, "a"), (2, "b")):
            cli = [[float(v) for v in p.split(",")] for p in (lines[k].split("\t")[2].split() if "\t" in lines[k] and
                                                                 lines[k].split("\t")[2] else [])]
            ref = greedy(model, DRAWINGS[name], 25.0, 10)
            same = len(cli) == len(ref) and all(
                c[2] == r[2] and all(abs(c[i] - r[i]) <= 1e-4 * (1 + abs(r[i])) for i in (0, 1)) for c, r in zip(cli, ref))
            check("%s model %d (%s): greedy decoding of %s, %d points" % (dtype.upper(), seed, (He, Hd, L, M), name, len(ref)),
                  same and len(ref) > 0, "CLI %s vs PyTorch %s" % (cli, ref))
    # a state_dict that does not fit: a two-layer decoder
    torch.manual_seed(3)
    model = golden.SketchRNN(4, 5, 2, 2)
    model.decoder.rnn = torch.nn.LSTM(7, 5, num_layers=2)
    torch.save(model.state_dict(), os.path.join(scratch, "bad.pth"))
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "convert_pytorch.py"), os.path.join(scratch, "bad.pth"),
                        os.path.join(scratch, "bad.safetensors"), "--arch-json", '{"model":"sketch","max_len":10,"scale":2}'],
                       capture_output=True, text=True)
    check("a two-layer decoder is refused", r.returncode != 0 and
          "decoder.rnn.weight_ih_l1 is not part of the sketch model's decoder.rnn (one layer, one direction)" in r.stderr,
          r.stderr.strip())
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "convert_pytorch.py"), os.path.join(scratch, "m1.pth"),
                        os.path.join(scratch, "x.safetensors"), "--arch-json", '{"model":"sketch","max_len":10}'],
                       capture_output=True, text=True)
    check("scale is required", r.returncode != 0 and 'a sketch model needs "scale"' in r.stderr, r.stderr.strip())
    print("test_sketch_convert: %d failed" % check.failures)
    sys.exit(1 if check.failures else 0)


if __name__ == "__main__":
    main()
