"""Writes decoder.onnx (z -> x) and encoder.onnx (x -> mu, logvar) holding the
same weights as one of our safetensors files, for the onnxruntime-web peer in
bench.mjs. Runs with Debian's python3-torch (torch.onnx.export needs no
`onnx` package); the safetensors file is parsed here, not with a library.

Usage: /usr/bin/python3 tests/bench/make_onnx.py WEIGHTS.safetensors OUT_DIR
"""
import json
import struct
import sys
from pathlib import Path

import torch
from torch import nn


def read_safetensors(path):
    """8-byte little-endian header length, JSON header, data section (F32 only)."""
    raw = Path(path).read_bytes()
    (hlen,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + hlen])
    data = raw[8 + hlen :]
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        if t["dtype"] != "F32":
            sys.exit(f"{name}: dtype {t['dtype']}, only F32 weights are supported")
        b, e = t["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32).reshape(t["shape"])
    return out


def linear(w, name):
    weight, bias = w[f"{name}.weight"], w[f"{name}.bias"]
    layer = nn.Linear(weight.shape[1], weight.shape[0])
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


class Encoder(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.hidden = linear(w, "encoder.layers.0")
        self.mu = linear(w, "encoder.mu")
        self.logvar = linear(w, "encoder.logvar")

    def forward(self, x):
        h = torch.relu(self.hidden(x))
        return self.mu(h), self.logvar(h)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    w = read_safetensors(sys.argv[1])
    if any(k.endswith(".1.weight") for k in w):
        sys.exit("the benchmark's ONNX graphs have one hidden layer per side (784-400-20)")
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    decoder = nn.Sequential(linear(w, "decoder.layers.0"), nn.ReLU(), linear(w, "decoder.out"), nn.Sigmoid())
    encoder = Encoder(w)
    latent, pixels = w["decoder.layers.0.weight"].shape[1], w["encoder.layers.0.weight"].shape[1]
    batch = {0: "n"}
    for model, example, inputs, outputs, name in [
        (decoder, torch.zeros(1, latent), ["z"], ["x"], "decoder.onnx"),
        (encoder, torch.zeros(1, pixels), ["x"], ["mu", "logvar"], "encoder.onnx"),
    ]:
        torch.onnx.export(model.eval(), example, str(out / name), input_names=inputs, output_names=outputs,
                          dynamic_axes={k: batch for k in inputs + outputs}, opset_version=13)
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
