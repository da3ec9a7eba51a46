#!/usr/bin/python3
"""Converter test: random PyTorch VAEs -> build-scripts/convert_pytorch.py ->
`vae forward`, compared with PyTorch's own forward pass (in float64).

usage: /usr/bin/python3 tests/test_convert.py <path-to-vae-CLI> <scratch-dir>
"""
import copy
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONVERTER = os.path.join(ROOT, "build-scripts", "convert_pytorch.py")
failures = 0


class ExamplesVAE(torch.nn.Module):
    """The shape and names of github.com/pytorch/examples vae/main.py."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 400)
        self.fc21 = torch.nn.Linear(400, 20)
        self.fc22 = torch.nn.Linear(400, 20)
        self.fc3 = torch.nn.Linear(20, 400)
        self.fc4 = torch.nn.Linear(400, 784)

    def forward(self, x, eps):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        return mu, logvar, self.fc4(F.relu(self.fc3(mu + torch.exp(0.5 * logvar) * eps)))


class DeepTanhVAE(torch.nn.Module):
    """Other names and shapes: two encoder layers in a Sequential, tanh."""

    def __init__(self):
        super().__init__()
        self.enc = torch.nn.Sequential(torch.nn.Linear(36, 16), torch.nn.Tanh(), torch.nn.Linear(16, 12), torch.nn.Tanh())
        self.to_mu, self.to_logvar = torch.nn.Linear(12, 3), torch.nn.Linear(12, 3)
        self.dec_hidden, self.dec_out = torch.nn.Linear(3, 12), torch.nn.Linear(12, 36)

    def forward(self, x, eps):
        h = self.enc(x)
        mu, logvar = self.to_mu(h), self.to_logvar(h)
        return mu, logvar, self.dec_out(torch.tanh(self.dec_hidden(mu + torch.exp(0.5 * logvar) * eps)))


DEEP_ARGS = ["--arch-json", '{"format":1,"input":[1,6,6],"encoder":[16,12],"decoder":[12],"latent":3,'
             '"activation":"tanh"}',
             "--map", "encoder.layers.0=enc.0", "--map", "encoder.layers.1=enc.2",
             "--map", "encoder.mu=to_mu", "--map", "encoder.logvar=to_logvar",
             "--map", "decoder.layers.0=dec_hidden", "--map", "decoder.out=dec_out"]


def reference(model, x, eps):
    """Per image: mu, logvar, Bernoulli means, summed BCE, KL, as one float64 row."""
    with torch.no_grad():
        mu, logvar, logits = copy.deepcopy(model).double()(x.double(), eps.double())
        rec = F.binary_cross_entropy_with_logits(logits, x.double(), reduction="none").sum(1, keepdim=True)
        kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum(1, keepdim=True)
        return torch.cat([mu, logvar, torch.sigmoid(logits), rec, kl], 1).numpy()


def check(name, cond, detail=""):
    global failures
    print("%s %s %s" % ("ok  " if cond else "FAIL", name, detail))
    failures += 0 if cond else 1


def run_case(name, model, d, latent, extra_args, dtype, cli, scratch):
    torch.manual_seed(1)
    x, eps = torch.rand(5, d), torch.randn(5, latent)
    pt = os.path.join(scratch, name + ".pth")
    torch.save(model.state_dict(), pt)
    out_model = os.path.join(scratch, name + ".safetensors")
    conv = subprocess.run([sys.executable, CONVERTER, pt, out_model, "--dtype", dtype] + extra_args,
                          capture_output=True, text=True)
    check(name + ": convert", conv.returncode == 0, conv.stderr.strip())
    if conv.returncode:
        return
    if dtype == "f16":  # compare against the weights the file actually holds
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
    xf, ef, of = (os.path.join(scratch, name + s) for s in (".x.f32", ".eps.f32", ".out.f32"))
    x.numpy().astype("<f4").tofile(xf)
    eps.numpy().astype("<f4").tofile(ef)
    fwd = subprocess.run([cli, "forward", "--model", out_model, "--input", xf, "--eps", ef, "--out", of],
                         capture_output=True, text=True)
    check(name + ": vae forward", fwd.returncode == 0, fwd.stderr.strip())
    if fwd.returncode:
        return
    ours = np.fromfile(of, dtype="<f4").astype(np.float64)
    ref = reference(model, x, eps)
    check(name + ": output size", ours.size == ref.size, "%d vs %d floats" % (ours.size, ref.size))
    if ours.size != ref.size:
        return
    ours = ours.reshape(ref.shape)
    err = np.abs(ours - ref) / np.maximum(np.abs(ref), 1.0)
    check(name + ": matches PyTorch", err.max() <= 1e-5, "max relative error %.2e" % err.max())


def main():
    cli, scratch = sys.argv[1], sys.argv[2]
    os.makedirs(scratch, exist_ok=True)
    torch.manual_seed(0)
    examples = ExamplesVAE()
    run_case("examples_f32", examples, 784, 20, ["--preset", "pytorch-examples-vae"], "f32", cli, scratch)
    run_case("examples_f16", examples, 784, 20, ["--preset", "pytorch-examples-vae"], "f16", cli, scratch)
    run_case("deep_tanh_f32", DeepTanhVAE(), 36, 3, DEEP_ARGS, "f32", cli, scratch)

    # A mapping that names a missing key must fail with a message, not write a file.
    pt = os.path.join(scratch, "examples_f32.pth")
    bad = subprocess.run([sys.executable, CONVERTER, pt, os.path.join(scratch, "bad.safetensors"),
                          "--preset", "pytorch-examples-vae", "--map", "encoder.mu=nope"],
                         capture_output=True, text=True)
    check("bad mapping is refused", bad.returncode != 0 and "nope" in bad.stderr, bad.stderr.strip())
    print("test_convert: %d failed" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
