#!/usr/bin/python3
"""Checks a conditional MNIST model: decodes N samples per digit from
z ~ N(0, I) with that digit's label, and classifies each by k-nearest
neighbours against the 60,000 MNIST training digits (an independent
classifier: no network, just the data). Prints per-digit accuracy.

Usage: /usr/bin/python3 tools/cvae_knn.py MODEL.safetensors MNIST_DIR [N] [K] [SEED]
Needs Debian's python3-torch. Exits 1 if overall accuracy is below 95%.
"""
import gzip
import json
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    tensors = {}
    for name, t in header.items():
        a, b = t["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[a:b]), dtype=DTYPES[t["dtype"]]).float().view(t["shape"])
    return tensors, json.loads(meta["vae_wasm.arch"])


def read_idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = struct.unpack(">%dI" % (magic & 0xFF), f.read(4 * (magic & 0xFF)))
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).view(*dims)


ACT = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
       "leaky_relu": lambda v, s=0.01: torch.nn.functional.leaky_relu(v, s)}


def decode(t, arch, z, labels):
    act = ACT[arch["activation"]]
    h = torch.cat([z, torch.nn.functional.one_hot(labels, arch["classes"]).float()], 1)
    for i in range(len(arch["decoder"])):
        h = act(h @ t["decoder.layers.%d.weight" % i].T + t["decoder.layers.%d.bias" % i])
    return torch.sigmoid(h @ t["decoder.out.weight"].T + t["decoder.out.bias"])


def main():
    model, mnist = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    k = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    torch.manual_seed(int(sys.argv[5]) if len(sys.argv) > 5 else 1)
    t, arch = read_safetensors(model)
    assert arch["classes"] == 10, "not a conditional MNIST model"
    labels = torch.arange(10).repeat_interleave(n)
    images = decode(t, arch, torch.randn(len(labels), arch["latent"]), labels)

    train = read_idx(os.path.join(mnist, "train-images-idx3-ubyte.gz")).float().div(255).view(-1, 784)
    train_labels = read_idx(os.path.join(mnist, "train-labels-idx1-ubyte.gz")).long()
    nearest = torch.cdist(images, train).topk(k, largest=False).indices
    votes = torch.nn.functional.one_hot(train_labels[nearest], 10).sum(1)
    predicted = votes.argmax(1)

    correct = (predicted == labels).float()
    print("digit  accuracy (%d samples each, %d-NN against the 60,000 training digits)" % (n, k))
    for d in range(10):
        print("%5d  %7.1f%%" % (d, 100 * correct[labels == d].mean()))
    overall = 100 * correct.mean().item()
    print("  all  %7.1f%%" % overall)
    sys.exit(0 if overall >= 95.0 else 1)


if __name__ == "__main__":
    main()
