#!/usr/bin/python3
"""How useful an M1 VAE's latent means are as features for M1+M2 with few
labels: encodes the first 50,000 MNIST training digits and the last 10,000
(the validation split of tests/bench/m2_table.sh), prints how many latent
dimensions are active (mean posterior sd below 0.5; Kingma et al.'s code
keeps the dimensions whose means vary by more than 0.1) and the error of a
1-nearest-neighbour classifier on the validation digits with 10 labelled
digits per class (5 draws, seeds 1..5).

Usage: /usr/bin/python3 tools/m1_features.py M1.safetensors MNIST_DIR
Needs Debian's python3-torch.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cvae_knn import read_idx, read_safetensors  # noqa: E402


def encode(t, arch, x):
    if arch["activation"] != "relu":
        sys.exit("m1_features.py: only relu encoders")
    h = x
    for i in range(len(arch["encoder"])):
        h = torch.relu(h @ t["encoder.layers.%d.weight" % i].T + t["encoder.layers.%d.bias" % i])
    return h @ t["encoder.mu.weight"].T + t["encoder.mu.bias"], h @ t["encoder.logvar.weight"].T + t["encoder.logvar.bias"]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.split("\n\n")[1])
    t, arch = read_safetensors(sys.argv[1])
    x = read_idx(os.path.join(sys.argv[2], "train-images-idx3-ubyte.gz")).reshape(-1, 784).float() / 255
    y = read_idx(os.path.join(sys.argv[2], "train-labels-idx1-ubyte.gz")).long()
    with torch.no_grad():
        mu, logvar = encode(t, arch, x)
    train, valid, ytrain, yvalid = mu[:50000], mu[50000:], y[:50000], y[50000:]
    sd = torch.exp(0.5 * logvar[:50000]).mean(0)
    print("latent %d, active %d (mean posterior sd < 0.5), %d with means varying by > 0.1" %
          (mu.shape[1], int((sd < 0.5).sum()), int((train.std(0) > 0.1).sum())))
    errors = []
    for seed in range(1, 6):
        g = torch.Generator().manual_seed(seed)
        picks = [torch.nonzero(ytrain == c).flatten() for c in range(10)]
        picks = torch.cat([p[torch.randperm(len(p), generator=g)[:10]] for p in picks])
        nearest = torch.cdist(valid, train[picks]).argmin(1)
        errors.append(100.0 * float((ytrain[picks][nearest] != yvalid).float().mean()))
    print("1-NN validation error with 100 labels: %.2f%% (draws: %s)" %
          (sum(errors) / len(errors), " ".join("%.2f" % e for e in errors)))


if __name__ == "__main__":
    main()
