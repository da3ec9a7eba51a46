"""Writes decoder.onnx (z -> x) and encoder.onnx (x -> mu, logvar) for the
conv VAE of bench-conv.mjs, holding the same weights as our safetensors file
(PyTorch layouts, loaded unchanged): the usual MNIST conv VAE,
  encoder Conv2d(1,32,4,2,1) ReLU Conv2d(32,64,4,2,1) ReLU flatten, Linear heads
  decoder Linear(20,3136) ReLU view(64,7,7) ConvTranspose2d(64,32,4,2,1) ReLU
          ConvTranspose2d(32,1,4,2,1) sigmoid
Images come in and go out flat ([n, 784]), as in make_onnx.py, so that
suite.mjs's ortPeer drives these graphs too.

Usage: /usr/bin/python3 tests/bench/make_onnx_conv.py WEIGHTS.safetensors OUT_DIR
"""
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from make_onnx import linear, read_safetensors  # noqa: E402


def load(layer, w, name):
    with torch.no_grad():
        layer.weight.copy_(w[f"{name}.weight"])
        layer.bias.copy_(w[f"{name}.bias"])
    return layer


class Encoder(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.convs = nn.Sequential(
            load(nn.Conv2d(1, 32, 4, 2, 1), w, "encoder.layers.0"), nn.ReLU(),
            load(nn.Conv2d(32, 64, 4, 2, 1), w, "encoder.layers.1"), nn.ReLU(), nn.Flatten())
        self.mu = linear(w, "encoder.mu")
        self.logvar = linear(w, "encoder.logvar")

    def forward(self, x):
        h = self.convs(x.reshape(-1, 1, 28, 28))
        return self.mu(h), self.logvar(h)


class Decoder(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.fc = linear(w, "decoder.layers.0")
        self.deconvs = nn.Sequential(
            load(nn.ConvTranspose2d(64, 32, 4, 2, 1), w, "decoder.layers.1"), nn.ReLU(),
            load(nn.ConvTranspose2d(32, 1, 4, 2, 1), w, "decoder.out"), nn.Sigmoid())

    def forward(self, z):
        h = torch.relu(self.fc(z)).reshape(-1, 64, 7, 7)
        return self.deconvs(h).reshape(-1, 784)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    w = read_safetensors(sys.argv[1])
    want = {"encoder.layers.0.weight": [32, 1, 4, 4], "encoder.layers.1.weight": [64, 32, 4, 4],
            "decoder.layers.0.weight": [3136, 20], "decoder.layers.1.weight": [64, 32, 4, 4],
            "decoder.out.weight": [32, 1, 4, 4]}
    for name, shape in want.items():
        if name not in w or list(w[name].shape) != shape:
            sys.exit(f"{name}: want {shape}: not the benchmark's conv VAE (see the top of this file)")
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    batch = {0: "n"}
    for model, example, inputs, outputs, name in [
        (Decoder(w), torch.zeros(1, 20), ["z"], ["x"], "decoder.onnx"),
        (Encoder(w), torch.zeros(1, 784), ["x"], ["mu", "logvar"], "encoder.onnx"),
    ]:
        torch.onnx.export(model.eval(), example, str(out / name), input_names=inputs, output_names=outputs,
                          dynamic_axes={k: batch for k in inputs + outputs}, opset_version=13)
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
