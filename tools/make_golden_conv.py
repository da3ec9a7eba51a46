#!/usr/bin/python3
"""Writes the PyTorch golden fixtures for the conv layers (tests/test_conv.c;
run once, the fixtures are committed). Needs Debian's python3-torch:

    /usr/bin/python3 tools/make_golden_conv.py tests/data

One file conv_<case>.bin per layer configuration, holding: the shape, the
input x, weight w and bias b (float32 values), the output y, a random
projection p of the output, and the gradients of sum(p * y) with respect to
x, w and b. Everything past the float32 inputs is computed in float64, so it
is the exact answer our float32 code is measured against.

Records, in the format of make_golden.py (little-endian): u32 name length,
name bytes, u32 count, count x float32. The "shape" record is
    kind (0 conv2d, 1 conv_transpose2d), n, c_in, h_in, w_in, c_out,
    kh, kw, stride, pad, out_pad, h_out, w_out
"""
import os
import struct
import sys

import torch
import torch.nn as nn

# name, transposed, n, c_in, h_in, w_in, c_out, kernel, stride, pad, out_pad
CASES = [
    ("conv_k4s2p1", False, 2, 3, 8, 8, 4, 4, 2, 1, 0),     # the conv-VAE encoder layer
    ("conv_k3s1p1_odd", False, 1, 2, 5, 7, 3, 3, 1, 1, 0),
    ("conv_k3s3p2_unused", False, 3, 1, 7, 6, 2, 3, 3, 2, 0),  # last input column never read
    ("conv_t_k4s2p1", True, 2, 4, 4, 4, 3, 4, 2, 1, 0),     # the conv-VAE decoder layer
    ("conv_t_k3s2p1_op1", True, 1, 3, 3, 5, 2, 3, 2, 1, 1),
    ("conv_t_k5s3p2_op2", True, 2, 2, 2, 3, 3, 5, 3, 2, 2),
]


def write_record(f, name, values):
    data = torch.as_tensor(values, dtype=torch.float64).flatten().tolist()
    f.write(struct.pack("<I", len(name)) + name.encode())
    f.write(struct.pack("<I", len(data)) + struct.pack("<%df" % len(data), *data))


def make(out_dir, name, transposed, n, c_in, h, w, c_out, k, stride, pad, out_pad):
    torch.manual_seed(sum(map(ord, name)))
    if transposed:
        layer = nn.ConvTranspose2d(c_in, c_out, k, stride=stride, padding=pad, output_padding=out_pad)
    else:
        layer = nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad)
    with torch.no_grad():  # float32-representable weights, then float64 maths
        for p in layer.parameters():
            p.copy_(p.float())
    layer = layer.double()
    x = torch.randn(n, c_in, h, w).float().double().requires_grad_()
    y = layer(x)
    proj = torch.randn(y.shape).float().double()
    (y * proj).sum().backward()

    path = os.path.join(out_dir, name + ".bin")
    with open(path, "wb") as f:
        write_record(f, "shape", [int(transposed), n, c_in, h, w, c_out, k, k, stride, pad, out_pad,
                                  y.shape[2], y.shape[3]])
        for key, v in [("x", x), ("w", layer.weight), ("b", layer.bias), ("y", y), ("proj", proj),
                       ("dx", x.grad), ("dw", layer.weight.grad), ("db", layer.bias.grad)]:
            write_record(f, key, v.detach())
    print("wrote", path, os.path.getsize(path), "bytes")


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
    os.makedirs(out_dir, exist_ok=True)
    for case in CASES:
        make(out_dir, *case)


if __name__ == "__main__":
    main()
