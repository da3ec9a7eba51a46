#!/usr/bin/python3
"""Converter test, and the golden test of whole models against PyTorch: random
PyTorch VAEs and autoencoders (linear and conv) -> tools/convert_pytorch.py
-> `vae forward`, compared with PyTorch's own forward pass (in float64); and
architectures or mappings that do not fit fail with a message saying why.

usage: /usr/bin/python3 tests/test_convert.py <path-to-vae-CLI> <scratch-dir>
"""
import contextlib
import copy
import io
import json
import os
import subprocess
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convert_harness import Checks, load_tool

converter = load_tool("convert_pytorch")
check = Checks()


class ExamplesVAE(nn.Module):
    """The shape and names of github.com/pytorch/examples vae/main.py."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 400)
        self.fc21 = nn.Linear(400, 20)
        self.fc22 = nn.Linear(400, 20)
        self.fc3 = nn.Linear(20, 400)
        self.fc4 = nn.Linear(400, 784)

    def forward(self, x, eps):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        return mu, logvar, self.fc4(F.relu(self.fc3(mu + torch.exp(0.5 * logvar) * eps)))


class DeepTanhVAE(nn.Module):
    """Other names and shapes: two encoder layers in a Sequential, tanh."""

    def __init__(self):
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(36, 16), nn.Tanh(), nn.Linear(16, 12), nn.Tanh())
        self.to_mu, self.to_logvar = nn.Linear(12, 3), nn.Linear(12, 3)
        self.dec_hidden, self.dec_out = nn.Linear(3, 12), nn.Linear(12, 36)

    def forward(self, x, eps):
        h = self.enc(x)
        mu, logvar = self.to_mu(h), self.to_logvar(h)
        return mu, logvar, self.dec_out(torch.tanh(self.dec_hidden(mu + torch.exp(0.5 * logvar) * eps)))


DEEP_ARGS = ["--arch-json", '{"format":1,"input":[1,6,6],"encoder":[16,12],"decoder":[12],"latent":3,'
             '"activation":"tanh"}',
             "--map", "encoder.layers.0=enc.0", "--map", "encoder.layers.1=enc.2",
             "--map", "encoder.mu=to_mu", "--map", "encoder.logvar=to_logvar",
             "--map", "decoder.layers.0=dec_hidden", "--map", "decoder.out=dec_out"]


class ConvVAE(nn.Module):
    """The conv VAE of the conv-vae-mnist preset, written as its comment says."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU())
        self.fc_mu, self.fc_logvar = nn.Linear(3136, 20), nn.Linear(3136, 20)
        self.fc_decode = nn.Linear(20, 3136)
        self.decoder = nn.Sequential(nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1))

    def forward(self, x, eps):
        h = self.encoder(x.view(-1, 1, 28, 28)).view(x.shape[0], -1)
        mu, logvar = self.fc_mu(h), self.fc_logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        return mu, logvar, self.decoder(F.relu(self.fc_decode(z)).view(-1, 64, 7, 7)).view(x.shape[0], -1)


class ConvAE(nn.Module):
    """An autoencoder on 2x10x14 images: odd sizes, two channels, a linear layer between conv layers and the
    code, a sigmoid code, output padding, leaky ReLU; no logvar. Names unlike ours."""

    def __init__(self):
        super().__init__()
        self.c1, self.c2 = nn.Conv2d(2, 4, 3, 1, 1), nn.Conv2d(4, 6, 4, 2, 1)  # -> 4x10x14 -> 6x5x7
        self.fc, self.code = nn.Linear(210, 24), nn.Linear(24, 5)
        self.expand = nn.Linear(5, 210)
        self.up = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=1, output_padding=1)  # -> 4x10x14
        self.to_image = nn.ConvTranspose2d(4, 2, 3, 1, 1)

    def forward(self, x, eps):
        act = lambda t: F.leaky_relu(t, 0.1)
        h = act(self.c2(act(self.c1(x.view(-1, 2, 10, 14)))))
        code = torch.sigmoid(self.code(act(self.fc(h.view(x.shape[0], -1)))))
        g = act(self.up(act(self.expand(code)).view(-1, 6, 5, 7)))
        return code, None, self.to_image(g).view(x.shape[0], -1)


CONV_AE_ARCH = {"model": "ae", "input": [2, 10, 14],
                "encoder": [{"conv": 4, "kernel": 3, "stride": 1, "pad": 1},
                            {"conv": 6, "kernel": 4, "stride": 2, "pad": 1}, {"linear": 24}],
                "decoder": [{"linear": 210, "shape": [6, 5, 7]},
                            {"conv_transpose": 4, "kernel": 3, "stride": 2, "pad": 1, "out_pad": 1}],
                "out": {"conv_transpose": 2, "kernel": 3, "stride": 1, "pad": 1},
                "latent": 5, "activation": "leaky_relu", "leaky_slope": 0.1, "code_activation": "sigmoid"}
CONV_AE_ARGS = ["--arch-json", json.dumps(CONV_AE_ARCH),
                "--map", "encoder.layers.0=c1", "--map", "encoder.layers.1=c2", "--map", "encoder.layers.2=fc",
                "--map", "encoder.code=code", "--map", "decoder.layers.0=expand", "--map", "decoder.layers.1=up",
                "--map", "decoder.out=to_image"]


def reference(model, x, eps):
    """Per image: mu, logvar, Bernoulli means, summed BCE, KL, as one float64 row (what `vae forward`
    writes). An autoencoder returns logvar None: its code is mu, its logvar and KL are 0."""
    with torch.no_grad():
        mu, logvar, logits = copy.deepcopy(model).double()(x.double(), eps.double())
        rec = F.binary_cross_entropy_with_logits(logits, x.double(), reduction="none").sum(1, keepdim=True)
        if logvar is None:
            logvar, kl = torch.zeros_like(mu), torch.zeros_like(rec)
        else:
            kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum(1, keepdim=True)
        return torch.cat([mu, logvar, torch.sigmoid(logits), rec, kl], 1).numpy()




def convert(args):
    """Runs the converter's main(args): (exit status, what it printed to stderr)."""
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            converter.main([str(a) for a in args])
        return 0, err.getvalue()
    except SystemExit as e:  # fail() exits with its message, argparse with a status
        return (1 if isinstance(e.code, str) else e.code), err.getvalue() + (e.code if isinstance(e.code, str) else "")


def run_case(name, model, d, latent, extra_args, dtype, cli, scratch, summary=None, eps=True):
    """Converts model, runs `vae forward` on random images (and noise, for a VAE with eps) and compares
    with PyTorch; summary: the model line `vae info` must print."""
    torch.manual_seed(1)
    x, noise = torch.rand(5, d), torch.randn(5, latent) if eps else torch.zeros(5, latent)
    pt = os.path.join(scratch, name + ".pth")
    torch.save(model.state_dict(), pt)
    out_model = os.path.join(scratch, name + ".safetensors")
    status, msg = convert([pt, out_model, "--dtype", dtype] + extra_args)
    check(name + ": convert", status == 0, msg.strip())
    if status:
        return
    if summary:
        info = subprocess.run([cli, "info", "--model", out_model], capture_output=True, text=True)
        line = next((l for l in info.stdout.splitlines() if l.startswith("model ")), info.stderr.strip())
        check(name + ": vae info describes it", line == "model       " + summary, line)
    if dtype == "f16":  # compare against the weights the file actually holds
        model = copy.deepcopy(model)
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
    xf, ef, of = (os.path.join(scratch, name + s) for s in (".x.f32", ".eps.f32", ".out.f32"))
    x.numpy().astype("<f4").tofile(xf)
    noise.numpy().astype("<f4").tofile(ef)
    fwd = subprocess.run([cli, "forward", "--model", out_model, "--input", xf, "--out", of] +
                         (["--eps", ef] if eps else []), capture_output=True, text=True)
    check(name + ": vae forward", fwd.returncode == 0, fwd.stderr.strip())
    if fwd.returncode:
        return
    ours = np.fromfile(of, dtype="<f4").astype(np.float64)
    ref = reference(model, x, noise)
    check(name + ": output size", ours.size == ref.size, "%d vs %d floats" % (ours.size, ref.size))
    if ours.size != ref.size:
        return
    ours = ours.reshape(ref.shape)
    err = np.abs(ours - ref) / np.maximum(np.abs(ref), 1.0)
    check(name + ": matches PyTorch", err.max() <= 1e-5, "max relative error %.2e" % err.max())


def refused(name, args, expect):
    """The converter fails, writes nothing, and its message contains `expect`."""
    out = args[1]
    if os.path.exists(out):
        os.remove(out)
    status, msg = convert(args)
    check("refused: " + name, status != 0 and expect in msg and not os.path.exists(out), msg.strip())


def conv_preset(**changes):
    """The conv-vae-mnist architecture with some keys replaced, as --arch-json."""
    arch = dict(copy.deepcopy(converter.PRESETS["conv-vae-mnist"]["arch"]), **changes)
    return ["--preset", "conv-vae-mnist", "--arch-json", json.dumps(arch)]


def main():
    cli, scratch = sys.argv[1], sys.argv[2]
    os.makedirs(scratch, exist_ok=True)
    torch.manual_seed(0)
    examples = ExamplesVAE()
    run_case("examples_f32", examples, 784, 20, ["--preset", "pytorch-examples-vae"], "f32", cli, scratch)
    run_case("examples_f16", examples, 784, 20, ["--preset", "pytorch-examples-vae"], "f16", cli, scratch)
    run_case("deep_tanh_f32", DeepTanhVAE(), 36, 3, DEEP_ARGS, "f32", cli, scratch)
    # A whole pickled module (torch.save(model)) whose class this process cannot import converts to
    # the same file as its state_dict; a file torch cannot read says to save a state_dict.
    sys.modules["user_train_script"] = user = types.ModuleType("user_train_script")
    user.WholeVAE = type("WholeVAE", (ExamplesVAE,), {"__module__": "user_train_script"})
    whole = user.WholeVAE()
    whole.load_state_dict(examples.state_dict())
    os.makedirs(os.path.join(scratch, "whole"), exist_ok=True)  # same file name: the metadata names it
    whole_pt, whole_out = (os.path.join(scratch, "whole", "examples_f32" + e) for e in (".pth", ".safetensors"))
    torch.save(whole, whole_pt)
    del sys.modules["user_train_script"]
    status, msg = convert([whole_pt, whole_out, "--dtype", "f32", "--preset", "pytorch-examples-vae"])
    same = status == 0 and open(whole_out, "rb").read() == open(os.path.join(scratch, "examples_f32.safetensors"), "rb").read()
    check("a whole pickled module of an unimportable class converts as its state_dict", same, msg.strip())
    text = os.path.join(scratch, "notes.txt")
    with open(text, "w") as f:
        f.write("not a model\n")
    refused("a text file", [text, os.path.join(scratch, "bad.safetensors"), "--preset", "pytorch-examples-vae"],
            "is not a PyTorch file torch.load reads")
    conv_vae = ConvVAE()
    conv_summary = "VAE 1x28x28-conv32k4s2p1-conv64k4s2p1-20-3136@64x7x7-convt32k4s2p1-convt1k4s2p1, relu, bernoulli"
    run_case("conv_vae_f32", conv_vae, 784, 20, ["--preset", "conv-vae-mnist"], "f32", cli, scratch, conv_summary)
    run_case("conv_vae_f16", conv_vae, 784, 20, ["--preset", "conv-vae-mnist"], "f16", cli, scratch)
    run_case("conv_ae_f32", ConvAE(), 280, 5, CONV_AE_ARGS, "f32", cli, scratch,
             "AE 2x10x14-conv4k3s1p1-conv6k4s2p1-24-5-210@6x5x7-convt4k3s2p1o1-convt2k3s1p1, leaky_relu (slope 0.1), "
             "code sigmoid, bernoulli", eps=False)
    ae = os.path.join(scratch, "conv_ae_f32")
    ae_eps = subprocess.run([cli, "forward", "--model", ae + ".safetensors", "--input", ae + ".x.f32",
                             "--eps", ae + ".eps.f32", "--out", ae + ".noise.f32"], capture_output=True, text=True)
    check("vae forward refuses noise for an autoencoder",
          ae_eps.returncode != 0 and "autoencoder draws no noise" in ae_eps.stderr, ae_eps.stderr.strip())

    # What does not fit fails with a message that says why, and writes no file.
    pt, conv_pt, bad = (os.path.join(scratch, f) for f in ("examples_f32.pth", "conv_vae_f32.pth", "bad.safetensors"))
    refused("a mapping to a missing key", [pt, bad, "--preset", "pytorch-examples-vae", "--map", "encoder.mu=nope"],
            "no 'nope.weight' in the state_dict for our encoder.mu.weight")
    refused("a conv out layer",
            [conv_pt, bad] + conv_preset(out={"conv": 1, "kernel": 4, "stride": 2, "pad": 1}),
            "the out layer must be linear or conv_transpose, not conv")
    first = {"conv_transpose": 32, "kernel": 4, "stride": 2, "pad": 1}
    refused("a transposed conv where PyTorch has a Conv2d",
            [conv_pt, bad] + conv_preset(encoder=[first, {"conv": 64, "kernel": 4, "stride": 2, "pad": 1}]),
            "encoder.0.weight is [32, 1, 4, 4], our encoder.layers.0.weight needs [1, 32, 4, 4]")
    refused("a flattened size that does not match (stride 1, not 2)",
            [conv_pt, bad] + conv_preset(encoder=[{"conv": 32, "kernel": 4, "stride": 2, "pad": 1},
                                                  {"conv": 64, "kernel": 3, "pad": 1}]),
            "encoder.2.weight is [64, 32, 4, 4], our encoder.layers.1.weight needs [64, 32, 3, 3] for "
            "Conv2d(32, 64, 3, stride=1, padding=1) 32x14x14 -> 64x14x14")
    refused("heads that read the wrong flattened size (pad 0, not 1)",
            [conv_pt, bad] + conv_preset(encoder=[{"conv": 32, "kernel": 4, "stride": 2, "pad": 1},
                                                  {"conv": 64, "kernel": 4, "stride": 2}]),
            "fc_mu.weight is [20, 3136], our encoder.mu.weight needs [20, 2304] for linear 64x6x6 flattened -> 20")
    refused("a linear layer whose view does not hold its width",
            [conv_pt, bad] + conv_preset(decoder=[{"linear": 3136, "shape": [64, 7, 8]}]),
            "decoder layer 0: shape [64, 7, 8] holds 3584 values, not the layer's 3136")
    refused("an out layer that makes images of the wrong size",
            [conv_pt, bad] + conv_preset(out={"conv_transpose": 1, "kernel": 3, "stride": 2, "pad": 1}),
            "decoder.out makes 27x27 images, the input is 28x28")
    refused("a conv layer without a kernel", [conv_pt, bad] + conv_preset(encoder=[{"conv": 32, "stride": 2}]),
            'encoder layer 0: a conv layer needs "kernel"')
    refused("an unknown layer option", [conv_pt, bad] + conv_preset(encoder=[{"conv": 32, "kernel": 4, "dilation": 2}]),
            "encoder layer 0: a conv layer takes kernel, stride, pad, not dilation")
    refused("a conditional model whose first layer is a conv",
            [conv_pt, bad] + conv_preset(classes=10), "a conditional model appends the label to a flat input")
    refused("an autoencoder's code head under a VAE's name",
            [os.path.join(scratch, "conv_ae_f32.pth"), bad] + CONV_AE_ARGS[2:] +
            ["--arch-json", json.dumps(dict(CONV_AE_ARCH, model="vae", code_activation="identity"))],
            "no 'encoder.mu.weight' in the state_dict")
    refused("a code activation on a VAE",
            [conv_pt, bad] + conv_preset(code_activation="sigmoid"), '"code_activation" is for autoencoders')
    print("test_convert: %d failed" % check.failures)
    return 1 if check.failures else 0


if __name__ == "__main__":
    sys.exit(main())
