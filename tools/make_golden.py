#!/usr/bin/python3
"""Writes the PyTorch golden fixtures for tests/test_golden.c (run once; the
fixtures are committed). Needs Debian's python3-torch:

    /usr/bin/python3 tools/make_golden.py tests/data

Each case is a small VAE or CVAE built in PyTorch with our tensor names and
our loss (mean over the batch of rec + beta * KL). Weights start as float32
values; the reference runs in float64 so it is the exact answer our float32
code is measured against. Written per case: the architecture, initial
weights, x, labels, eps, mu, logvar, logits, rec, kl, loss, every gradient,
and the weights after 5 optimiser steps (each step with its own eps).

File format (little-endian): repeated records
    u32 name length, name bytes, u32 count, count x float32
"""
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

ACTS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
        "leaky_relu": lambda v: F.leaky_relu(v, 0.1), "identity": lambda v: v}
ACT_ID = {"relu": 0, "leaky_relu": 1, "tanh": 2, "sigmoid": 3, "identity": 4}
LIK_ID = {"bernoulli": 0, "gaussian": 1, "gaussian_learned": 2, "student_t": 3}


class Stack(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))


class VAE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        D, C, L = c["D"], c["classes"], c["latent"]
        self.encoder = Stack([D + C] + c["enc"])
        self.encoder.mu = nn.Linear(([D + C] + c["enc"])[-1], L)
        self.encoder.logvar = nn.Linear(([D + C] + c["enc"])[-1], L)
        self.decoder = Stack([L + C] + c["dec"])
        self.decoder.out = nn.Linear(([L + C] + c["dec"])[-1], D)
        if c["lik"] in ("gaussian_learned", "student_t"):
            self.decoder.logsigma = nn.Parameter(torch.linspace(-0.5, 0.3, D))
        if c["lik"] == "student_t":  # nu from 0.37 to 20
            self.decoder.lognu = nn.Parameter(torch.linspace(-1.0, 3.0, D))

    def forward(self, x, onehot, eps):
        act = ACTS[self.c["act"]]
        h = torch.cat([x, onehot], 1)
        for layer in self.encoder.layers:
            h = act(layer(h))
        mu, logvar = self.encoder.mu(h), self.encoder.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        g = torch.cat([z, onehot], 1)
        for layer in self.decoder.layers:
            g = act(layer(g))
        logits = self.decoder.out(g)
        if self.c["lik"] == "bernoulli":
            rec = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        elif self.c["lik"] == "student_t":
            t = torch.distributions.StudentT(torch.exp(self.decoder.lognu), torch.sigmoid(logits),
                                             torch.exp(self.decoder.logsigma))
            rec = -t.log_prob(x).sum(1)
        else:
            mean = torch.sigmoid(logits)
            logsigma = (self.decoder.logsigma if self.c["lik"] == "gaussian_learned"
                        else torch.full_like(mean[0], math.log(self.c["sigma"])))
            r = (x - mean) / torch.exp(logsigma)
            rec = (0.5 * r * r + logsigma + 0.5 * math.log(2 * math.pi)).sum(1)
        kl = -0.5 * torch.sum(1 + logvar - mu * mu - torch.exp(logvar), 1)
        return mu, logvar, logits, rec, kl


CASES = [
    # name, config, optimiser
    ("vae_relu_bernoulli",
     dict(D=12, h=3, w=4, classes=0, enc=[10, 8], dec=[9], latent=3, act="relu", lik="bernoulli",
          sigma=1.0, beta=1.0, batch=5),
     dict(opt="adam", lr=1e-2, wd=0.0, clip=0.0)),
    ("cvae_tanh_gaussian_learned",
     dict(D=10, h=2, w=5, classes=3, enc=[7], dec=[8, 6], latent=2, act="tanh", lik="gaussian_learned",
          sigma=1.0, beta=0.5, batch=6),
     dict(opt="adamw", lr=5e-3, wd=0.1, clip=1.0)),
    ("vae_leaky_gaussian_sgd",
     dict(D=8, h=2, w=4, classes=0, enc=[6], dec=[6], latent=2, act="leaky_relu", lik="gaussian",
          sigma=0.3, beta=1.0, batch=4),
     dict(opt="sgd", lr=1e-2, wd=1e-3, clip=0.0, momentum=0.9)),
    ("vae_identity_student_t",  # vae train --csv's rows: a linear VAE
     dict(D=9, h=1, w=9, classes=0, enc=[7], dec=[7], latent=3, act="identity", lik="student_t",
          sigma=1.0, beta=1.0, batch=5),
     dict(opt="adam", lr=3e-3, wd=0.0, clip=0.0)),
]


def write_record(f, name, values):
    data = torch.as_tensor(values, dtype=torch.float64).flatten().tolist()
    f.write(struct.pack("<I", len(name)) + name.encode())
    f.write(struct.pack("<I", len(data)) + struct.pack("<%df" % len(data), *data))


def make(out_dir, name, c, o):
    torch.manual_seed(sum(map(ord, name)))
    model = VAE(c)
    with torch.no_grad():  # float32-representable starting weights, then float64 maths
        for p in model.parameters():
            p.copy_(p.float())
    model = model.double()
    B, C = c["batch"], c["classes"]
    x = torch.rand(B, c["D"]).float().double()
    labels = torch.arange(B) % C if C else torch.zeros(B, dtype=torch.long)
    onehot = F.one_hot(labels, C).double() if C else torch.zeros(B, 0, dtype=torch.float64)
    eps = torch.randn(6, B, c["latent"]).float().double()  # eps[0] for the gradient check, 1..5 for steps

    path = os.path.join(out_dir, name + ".bin")
    with open(path, "wb") as f:
        write_record(f, "arch", [c["D"], c["h"], c["w"], C, len(c["enc"])] + c["enc"] + [len(c["dec"])] + c["dec"]
                     + [c["latent"], ACT_ID[c["act"]], LIK_ID[c["lik"]], c["sigma"], 0.1])
        write_record(f, "train", [c["beta"], {"adam": 0, "adamw": 0, "sgd": 1}[o["opt"]], o["lr"], o["wd"],
                                  o["clip"], o.get("momentum", 0.0)])
        for k, v in model.state_dict().items():
            write_record(f, "init." + k, v)
        write_record(f, "x", x)
        write_record(f, "labels", labels.double())
        write_record(f, "eps", eps)

        mu, logvar, logits, rec, kl = model(x, onehot, eps[0])
        loss = (rec + c["beta"] * kl).mean()
        model.zero_grad()
        loss.backward()
        for k, v in [("mu", mu), ("logvar", logvar), ("logits", logits), ("rec", rec), ("kl", kl), ("loss", loss)]:
            write_record(f, k, v.detach())
        for k, p in model.named_parameters():
            write_record(f, "grad." + k, p.grad)

        if o["opt"] == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o["momentum"], weight_decay=o["wd"])
        elif o["opt"] == "adamw":
            opt = torch.optim.AdamW(model.parameters(), lr=o["lr"], weight_decay=o["wd"])
        else:
            opt = torch.optim.Adam(model.parameters(), lr=o["lr"])
        for step in range(1, 6):
            opt.zero_grad()
            _, _, _, rec, kl = model(x, onehot, eps[step])
            (rec + c["beta"] * kl).mean().backward()
            if o["clip"] > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), o["clip"])
            opt.step()
        for k, v in model.state_dict().items():
            write_record(f, "step5." + k, v)
    print("wrote", path)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
    os.makedirs(out_dir, exist_ok=True)
    for name, c, o in CASES:
        make(out_dir, name, c, o)


if __name__ == "__main__":
    main()
