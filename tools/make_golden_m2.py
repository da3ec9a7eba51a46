#!/usr/bin/python3
"""Writes the PyTorch golden fixture of the semi-supervised M2 model for
tests/test_m2.c (run once; the fixture is committed). Needs Debian's
python3-torch:

    /usr/bin/python3 tools/make_golden_m2.py tests/data

M2 (Kingma et al. 2014) built in PyTorch with our tensor names: a classifier
q(y|x), the CVAE encoder q(z|x,y) and decoder p(x|y,z). A batch mixes
labelled images (loss -ELBO(x, y) - alpha log q(y|x)) and unlabelled ones
(label -1; loss sum_y q(y|x) -ELBO(x, y) - H(q(y|x)), every class as its own
row); the loss is the mean over the images. eps has one row per labelled
image and one per class of an unlabelled one, in batch order. Weights start
as float32 values and the reference runs in float64. Written: the
architecture, initial weights, x, labels, eps, the classifier's
probabilities, the loss, every gradient, and the weights after 5 Adam steps
(each with its own eps). The record format is make_golden.py's.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import ACT_ID, ACTS, Stack, write_record  # noqa: E402

CASE = dict(name="m2_tanh_bernoulli", D=6, h=2, w=3, classes=3, enc=[5], dec=[7], cls=[4], latent=2, act="tanh",
            beta=0.8, alpha=2.5, lr=1e-2, labels=[1, -1, 0, -1, 2])


class M2(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        D, C, L = c["D"], c["classes"], c["latent"]
        self.encoder = Stack([D + C] + c["enc"])
        self.encoder.mu = nn.Linear(([D + C] + c["enc"])[-1], L)
        self.encoder.logvar = nn.Linear(([D + C] + c["enc"])[-1], L)
        self.decoder = Stack([L + C] + c["dec"])
        self.decoder.out = nn.Linear(([L + C] + c["dec"])[-1], D)
        self.classifier = Stack([D] + c["cls"])
        self.classifier.out = nn.Linear(([D] + c["cls"])[-1], C)

    def neg_elbo(self, x, y, eps):
        """rec + beta KL of the CVAE for rows x with labels y."""
        act = ACTS[self.c["act"]]
        onehot = F.one_hot(y, self.c["classes"]).double()
        h = torch.cat([x, onehot], 1)
        for layer in self.encoder.layers:
            h = act(layer(h))
        mu, logvar = self.encoder.mu(h), self.encoder.logvar(h)
        g = torch.cat([mu + torch.exp(0.5 * logvar) * eps, onehot], 1)
        for layer in self.decoder.layers:
            g = act(layer(g))
        rec = F.binary_cross_entropy_with_logits(self.decoder.out(g), x, reduction="none").sum(1)
        kl = -0.5 * torch.sum(1 + logvar - mu * mu - torch.exp(logvar), 1)
        return rec + self.c["beta"] * kl

    def log_q(self, x):
        act = ACTS[self.c["act"]]
        h = x
        for layer in self.classifier.layers:
            h = act(layer(h))
        return F.log_softmax(self.classifier.out(h), 1)

    def loss(self, x, labels, eps):
        C = self.c["classes"]
        rows, ys = [], []
        for b, y in enumerate(labels):
            for k in ([y] if y >= 0 else range(C)):
                rows.append(x[b])
                ys.append(k)
        e = self.neg_elbo(torch.stack(rows), torch.tensor(ys), eps)
        lq = self.log_q(x)
        total, r = 0.0, 0
        for b, y in enumerate(labels):
            if y >= 0:
                total = total + e[r] - self.c["alpha"] * lq[b, y]
                r += 1
            else:
                q = lq[b].exp()
                total = total + (q * (e[r:r + C] + lq[b])).sum()
                r += C
        return total / len(labels), lq.exp()


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
    os.makedirs(out_dir, exist_ok=True)
    c = CASE
    torch.manual_seed(sum(map(ord, c["name"])))
    model = M2(c)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.float())
    model = model.double()
    labels = c["labels"]
    B, C = len(labels), c["classes"]
    R = sum(1 if y >= 0 else C for y in labels)
    x = torch.rand(B, c["D"]).float().double()
    eps = torch.randn(6, R, c["latent"]).float().double()

    path = os.path.join(out_dir, c["name"] + ".bin")
    with open(path, "wb") as f:
        write_record(f, "arch", [c["D"], c["h"], c["w"], C, len(c["enc"])] + c["enc"] + [len(c["dec"])] + c["dec"]
                     + [len(c["cls"])] + c["cls"] + [c["latent"], ACT_ID[c["act"]]])
        write_record(f, "train", [c["beta"], c["alpha"], c["lr"]])
        for k, v in model.state_dict().items():
            write_record(f, "init." + k, v)
        write_record(f, "x", x)
        write_record(f, "labels", torch.tensor(labels, dtype=torch.float64))
        write_record(f, "eps", eps)
        loss, probs = model.loss(x, labels, eps[0])
        model.zero_grad()
        loss.backward()
        write_record(f, "probs", probs.detach())
        write_record(f, "loss", loss.detach())
        for k, p in model.named_parameters():
            write_record(f, "grad." + k, p.grad)
        opt = torch.optim.Adam(model.parameters(), lr=c["lr"])
        for step in range(1, 6):
            opt.zero_grad()
            model.loss(x, labels, eps[step])[0].backward()
            opt.step()
        for k, v in model.state_dict().items():
            write_record(f, "step5." + k, v)
    print("wrote", path)


if __name__ == "__main__":
    main()
