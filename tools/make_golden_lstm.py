#!/usr/bin/python3
"""Writes the PyTorch golden fixtures for the sequence layers
(tests/test_golden_lstm.c; run once, the fixtures are committed). Needs
Debian's python3-torch:

    /usr/bin/python3 tools/make_golden_lstm.py tests/data

Each case is a small character model: ids [T, B] -> nn.Embedding ->
nn.LSTM (time-major, ragged lengths through pack_padded_sequence) ->
nn.Linear head -> cross-entropy over the valid positions (padding has
target -1, PyTorch's ignore_index). The loss is the mean cross-entropy plus
random projections of the final states, sum(phn * hn) + sum(pcn * cn), so
every output carries a gradient. Weights and inputs are float32 values, the
reference runs in float64: the exact answer our float32 code is measured
against. Written per case: the sizes, lengths, ids, targets, initial weights
(and h0, c0), phn, pcn, the embedded input x, out, hn, cn, logits, the loss
and every gradient (weights, h0, c0).

Records, in the format of make_golden.py (little-endian): u32 name length,
name bytes, u32 count, count x float32. The "arch" record is
    T, B, V, E, H, layers, dirs, has_h0
"""
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

# name, T, B, V, E, H, layers, bidirectional, lengths, initial state given
CASES = [
    ("lstm_bi2_ragged", 6, 4, 7, 3, 4, 2, True, [6, 3, 1, 5], True),
    ("lstm_uni1_ragged", 5, 3, 5, 4, 6, 1, False, [2, 5, 4], False),
]


def write_record(f, name, values):
    data = torch.as_tensor(values, dtype=torch.float64).flatten().tolist()
    f.write(struct.pack("<I", len(name)) + name.encode())
    f.write(struct.pack("<I", len(data)) + struct.pack("<%df" % len(data), *data))


class CharModel(nn.Module):
    def __init__(self, V, E, H, layers, bidirectional):
        super().__init__()
        self.emb = nn.Embedding(V, E)
        self.lstm = nn.LSTM(E, H, num_layers=layers, bidirectional=bidirectional)
        self.head = nn.Linear(H * (2 if bidirectional else 1), V)


def make(out_dir, name, T, B, V, E, H, layers, bi, lengths, has_h0):
    torch.manual_seed(sum(map(ord, name)))
    dirs = 2 if bi else 1
    model = CharModel(V, E, H, layers, bi)
    with torch.no_grad():  # float32-representable starting weights, then float64 maths
        for p in model.parameters():
            p.copy_(p.float())
    model = model.double()
    lens = torch.tensor(lengths)
    valid = torch.arange(T)[:, None] < lens[None, :]  # [T, B]
    ids = torch.randint(0, V, (T, B))
    target = torch.where(valid, torch.randint(0, V, (T, B)), torch.full((T, B), -1))
    h0 = (torch.randn(layers * dirs, B, H).float().double() * 0.5).requires_grad_() if has_h0 else None
    c0 = (torch.randn(layers * dirs, B, H).float().double() * 0.5).requires_grad_() if has_h0 else None
    phn = torch.randn(layers * dirs, B, H).float().double()
    pcn = torch.randn(layers * dirs, B, H).float().double()

    x = model.emb(ids)
    packed = pack_padded_sequence(x, lens, enforce_sorted=False)
    out, (hn, cn) = model.lstm(packed, (h0, c0) if has_h0 else None)
    out, _ = pad_packed_sequence(out, total_length=T)
    logits = model.head(out)
    xent = F.cross_entropy(logits.reshape(T * B, V), target.reshape(-1), ignore_index=-1, reduction="mean")
    loss = xent + (phn * hn).sum() + (pcn * cn).sum()
    x.retain_grad()
    model.zero_grad()
    loss.backward()

    path = os.path.join(out_dir, name + ".bin")
    with open(path, "wb") as f:
        write_record(f, "arch", [T, B, V, E, H, layers, dirs, int(has_h0)])
        write_record(f, "len", lens.double())
        write_record(f, "ids", ids.double())
        write_record(f, "target", target.double())
        for k, v in model.state_dict().items():
            write_record(f, "init." + k, v)
        if has_h0:
            write_record(f, "h0", h0.detach())
            write_record(f, "c0", c0.detach())
        write_record(f, "phn", phn)
        write_record(f, "pcn", pcn)
        for k, v in [("x", x), ("out", out), ("hn", hn), ("cn", cn), ("logits", logits), ("loss", loss)]:
            write_record(f, k, v.detach())
        for k, p in model.named_parameters():
            write_record(f, "grad." + k, p.grad)
        if has_h0:
            write_record(f, "grad.h0", h0.grad)
            write_record(f, "grad.c0", c0.grad)
    print("wrote", path)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
    os.makedirs(out_dir, exist_ok=True)
    for case in CASES:
        make(out_dir, *case)


if __name__ == "__main__":
    main()
