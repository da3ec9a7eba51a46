#!/usr/bin/python3
"""Writes the PyTorch golden fixture of a small SketchRNN (tests/test_sketch.c;
run once, the fixture is committed). Needs Debian's python3-torch:

    /usr/bin/python3 tools/make_golden_sketch.py tests/data

The module (SketchRNN below) is the model of src/models/sketch.h with its
tensor names: a bidirectional nn.LSTM encoder over stroke-5 points (ragged
lengths through pack_padded_sequence), mu and logvar from the final states,
[h0 | c0] = tanh(decoder.init(z)), a decoder nn.LSTM reading [S_t, z], and
the mixture density head of src/layers/mdn.c on decoder.out. Weights and
inputs are float32 values, the reference runs in float64. Written: the
sizes, the weights, lengths, points, eps, the KL weight and floor, mu,
logvar, per drawing rec_xy, rec_pen and kl, the batch loss and every
gradient ("grad." + the tensor's name).

Records, in the format of make_golden.py (little-endian): u32 name length,
name bytes, u32 count, count x float32. The "arch" record is
    enc_hidden, dec_hidden, latent, mixtures, max_len, scale, batch
"""
import math
import os
import struct
import sys

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

LOGSIGMA_MAX, RHO_MAX = 4.0, 0.95


def write_record(f, name, values):
    data = torch.as_tensor(values, dtype=torch.float64).flatten().tolist()
    f.write(struct.pack("<I", len(name)) + name.encode())
    f.write(struct.pack("<I", len(data)) + struct.pack("<%df" % len(data), *data))


class Encoder(nn.Module):
    def __init__(self, H, L):
        super().__init__()
        self.rnn = nn.LSTM(5, H, bidirectional=True)
        self.mu = nn.Linear(2 * H, L)
        self.logvar = nn.Linear(2 * H, L)


class Decoder(nn.Module):
    def __init__(self, H, L, M):
        super().__init__()
        self.init = nn.Linear(L, 2 * H)
        self.rnn = nn.LSTM(5 + L, H)
        self.out = nn.Linear(H, 6 * M + 3)


def mdn_nll(y, target, M):
    """Per row: the mixture NLL of the offsets and the pen NLL (src/layers/mdn.c)."""
    pi, mx, my, sx, sy, r = y[..., : 6 * M].split(M, dim=-1)
    pen = y[..., 6 * M :]
    lsx = LOGSIGMA_MAX * torch.tanh(sx / LOGSIGMA_MAX)
    lsy = LOGSIGMA_MAX * torch.tanh(sy / LOGSIGMA_MAX)
    rho = RHO_MAX * torch.tanh(r)
    zx = (target[..., :1] - mx) / lsx.exp()
    zy = (target[..., 1:2] - my) / lsy.exp()
    q = 1 - rho * rho
    Z = zx * zx + zy * zy - 2 * rho * zx * zy
    logn = -math.log(2 * math.pi) - lsx - lsy - 0.5 * torch.log(q) - Z / (2 * q)
    nll_xy = -torch.logsumexp(torch.log_softmax(pi, -1) + logn, -1)
    nll_pen = -(target[..., 2:] * torch.log_softmax(pen, -1)).sum(-1)
    return nll_xy, nll_pen


class SketchRNN(nn.Module):
    def __init__(self, enc_hidden, dec_hidden, latent, mixtures):
        super().__init__()
        self.M = mixtures
        self.encoder = Encoder(enc_hidden, latent)
        self.decoder = Decoder(dec_hidden, latent, mixtures)

    def forward(self, points, lengths, scale, eps):
        """points [B, N, 3] stroke-3 in data units, lengths [B]: mu, logvar, rec_xy, rec_pen, kl per drawing."""
        B, N, _ = points.shape
        Td = N + 1
        s5 = torch.zeros(Td, B, 5, dtype=points.dtype)  # S_1..S_n, then the end
        for b in range(B):
            n = int(lengths[b])
            s5[:n, b, :2] = points[b, :n, :2] / scale
            s5[:n, b, 2] = 1 - points[b, :n, 2]
            s5[:n, b, 3] = points[b, :n, 2]
            s5[n, b, 4] = 1
        packed = pack_padded_sequence(s5[:N], lengths, enforce_sorted=False)
        _, (hn, _) = self.encoder.rnn(packed)
        h = torch.cat([hn[0], hn[1]], dim=-1)
        mu, logvar = self.encoder.mu(h), self.encoder.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * eps
        H = self.decoder.rnn.hidden_size
        init = torch.tanh(self.decoder.init(z))
        h0, c0 = init[:, :H], init[:, H:]
        start = torch.zeros(1, B, 5, dtype=points.dtype)
        start[..., 2] = 1
        prev = torch.cat([start, s5[:N]], dim=0)  # S_0..S_N
        x = torch.cat([prev, z[None].expand(Td, B, z.shape[1])], dim=-1)
        packed = pack_padded_sequence(x, lengths + 1, enforce_sorted=False)
        out, _ = self.decoder.rnn(packed, (h0[None].contiguous(), c0[None].contiguous()))
        out, _ = pad_packed_sequence(out, total_length=Td)
        nll_xy, nll_pen = mdn_nll(self.decoder.out(out), s5, self.M)
        t = torch.arange(Td)[:, None]
        rec_xy = (nll_xy * (t < lengths[None]).to(points.dtype)).sum(0)
        rec_pen = (nll_pen * (t <= lengths[None]).to(points.dtype)).sum(0)
        kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum(-1)
        return mu, logvar, rec_xy, rec_pen, kl


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else "tests/data"
    He, Hd, L, M, N, scale = 4, 5, 3, 3, 8, 3.0
    lengths = torch.tensor([5, 8, 1, 3])
    B = len(lengths)
    w_kl, kl_min = 0.5, 0.01
    torch.manual_seed(12)
    model = SketchRNN(He, Hd, L, M)
    with torch.no_grad():  # float32-representable weights, larger than the init so components differ
        for p in model.parameters():
            p.copy_((p * 2).float())
    model = model.double()
    points = torch.zeros(B, N, 3, dtype=torch.float64)
    for b in range(B):
        n = int(lengths[b])
        points[b, :n, :2] = torch.randint(-6, 7, (n, 2)).double()
        points[b, :n, 2] = (torch.rand(n) < 0.4).double()
        points[b, n - 1, 2] = 1
    eps = torch.randn(B, L).float().double()
    mu, logvar, rec_xy, rec_pen, kl = model(points, lengths, scale, eps)
    loss = (rec_xy + rec_pen).mean() + w_kl * torch.clamp(kl.mean(), min=kl_min)
    assert kl.mean() > kl_min
    model.zero_grad()
    loss.backward()
    path = os.path.join(out_dir, "golden_sketch.bin")
    with open(path, "wb") as f:
        write_record(f, "arch", [He, Hd, L, M, N, scale, B])
        for name, p in model.named_parameters():
            write_record(f, name, p.detach())
        write_record(f, "lengths", lengths)
        write_record(f, "points", points)
        write_record(f, "eps", eps)
        write_record(f, "w_kl", [w_kl, kl_min])
        for name, v in [("mu", mu), ("logvar", logvar), ("rec_xy", rec_xy), ("rec_pen", rec_pen), ("kl", kl)]:
            write_record(f, name, v.detach())
        write_record(f, "loss", [loss.item()])
        for name, p in model.named_parameters():
            write_record(f, "grad." + name, p.grad)
    print("wrote %s: loss %.6f (rec %.4f + %.4f, KL %.4f)" % (path, loss.item(), rec_xy.mean(), rec_pen.mean(), kl.mean()))


if __name__ == "__main__":
    main()
