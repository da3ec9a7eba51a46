#!/usr/bin/python3
"""The PyTorch examples/vae setting, as the peer for our quality bar:
784-400-20, ReLU, Bernoulli (summed BCE) + KL, Adam 1e-3, batch 128,
shuffled, test loss with sampled z. One thread. Prints one line per epoch:

    epoch N train T test L seconds S

Usage: /usr/bin/python3 tests/bench/pytorch_mnist_vae.py MNIST_DIR [EPOCHS] [SEED]
(MNIST_DIR holds the four original IDX .gz files.) Needs Debian's python3-torch.
"""
import gzip
import os
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 0x803, path
        data = f.read(n * rows * cols)
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).float().div_(255).view(n, rows * cols)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc21, self.fc22 = nn.Linear(784, 400), nn.Linear(400, 20), nn.Linear(400, 20)
        self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

    def forward(self, x):
        h = F.relu(self.fc1(x))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))), mu, logvar


def loss_sum(recon, x, mu, logvar):
    bce = F.binary_cross_entropy(recon, x, reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())


def main():
    data_dir = sys.argv[1]
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.manual_seed(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
    torch.set_num_threads(1)
    train = read_idx_images(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    test = read_idx_images(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz"))
    model = VAE()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        total = 0.0
        for idx in torch.randperm(len(train)).split(128):
            x = train[idx]
            opt.zero_grad()
            recon, mu, logvar = model(x)
            loss = loss_sum(recon, x, mu, logvar)
            loss.backward()
            opt.step()
            total += loss.item()
        seconds = time.perf_counter() - t0
        model.eval()
        test_total = 0.0
        with torch.no_grad():
            for x in test.split(128):
                recon, mu, logvar = model(x)
                test_total += loss_sum(recon, x, mu, logvar).item()
        print("epoch %d train %.2f test %.2f seconds %.1f" % (epoch, total / len(train), test_total / len(test),
                                                              seconds), flush=True)


if __name__ == "__main__":
    main()
