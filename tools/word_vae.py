#!/usr/bin/python3
"""The word VAE of src/models/words.h as a PyTorch module, with the names a
PyTorch user would give it; `convert_pytorch.py --preset word-vae` maps them
to ours (embed -> embedding, encoder -> encoder.rnn, fc_mu/fc_logvar ->
encoder.mu/logvar, fc_init -> decoder.init, decoder -> decoder.rnn, fc_out
-> decoder.out).

  encoder: embed -> bidirectional nn.LSTM over the word's characters ->
           [final forward state, final reverse state] -> fc_mu, fc_logvar
  decoder: h0 = fc_init(z), c0 = 0; step t reads [embed(c_{t-1}), z] (c_0
           the start token) -> nn.LSTM -> fc_out -> softmax over the tokens,
           the word's characters then the end token.
Token ids: 0 end, 1 start, 2 unknown (character dropout), 3.. the
vocabulary's characters in order. latent 0 is the language model of the
same code: no encoder, no z, h0 = 0.

Run as a script, it writes a small random model's state_dict:
  /usr/bin/python3 tools/word_vae.py out.pth [--vocab abc..] [--embed 8 --hidden 16 --latent 4 --seed 1]
"""
import argparse

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

EOS, BOS, UNK, FIRST = 0, 1, 2, 3
AZ = "abcdefghijklmnopqrstuvwxyz"


class WordVAE(nn.Module):
    def __init__(self, vocab=AZ, embed=32, hidden=128, latent=16, max_len=24):
        super().__init__()
        self.vocab, self.latent, self.max_len = vocab, latent, max_len
        tokens = FIRST + len(vocab)
        self.embed = nn.Embedding(tokens, embed)
        if latent:
            self.encoder = nn.LSTM(embed, hidden, batch_first=True, bidirectional=True)
            self.fc_mu = nn.Linear(2 * hidden, latent)
            self.fc_logvar = nn.Linear(2 * hidden, latent)
            self.fc_init = nn.Linear(latent, hidden)
        self.decoder = nn.LSTM(embed + latent, hidden, batch_first=True)
        self.fc_out = nn.Linear(hidden, tokens)

    def ids(self, word):
        return [FIRST + self.vocab.index(c) for c in word]

    def _run(self, rnn, seqs, state=None):
        """Ragged sequences of ids [(T_b,)] (or input rows [(T_b, I)]) through an LSTM: padded outputs, final h."""
        lengths = torch.tensor([len(s) for s in seqs])
        x = nn.utils.rnn.pad_sequence(seqs, batch_first=True)
        packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, (h, _) = rnn(packed, state)
        return pad_packed_sequence(out, batch_first=True)[0], h

    def encode(self, words):
        """mu, logvar [n, latent]."""
        emb = [self.embed(torch.tensor(self.ids(w))) for w in words]
        _, h = self._run(self.encoder, emb)
        hcat = torch.cat([h[0], h[1]], 1)  # final forward state, final reverse state
        return self.fc_mu(hcat), self.fc_logvar(hcat)

    def start(self, z, n):
        """The decoder's initial (h0, c0)."""
        hidden = self.fc_out.in_features
        dtype = self.fc_out.weight.dtype
        h0 = self.fc_init(z)[None] if self.latent else torch.zeros(1, n, hidden, dtype=dtype)
        return h0, torch.zeros(1, n, hidden, dtype=dtype)

    def step_input(self, ids, z):
        """Decoder input rows [embed(ids), z]."""
        e = self.embed(ids)
        return torch.cat([e, z.expand(e.shape[0], -1)], 1) if self.latent else e

    def rec(self, words, z):
        """Per word: cross-entropy of its characters and its end given z (teacher forcing, no dropout)."""
        rows = [self.step_input(torch.tensor([BOS] + self.ids(w)), z[b:b + 1] if self.latent else None)
                for b, w in enumerate(words)]
        out, _ = self._run(self.decoder, rows, self.start(z, len(words)))
        logits = self.fc_out(out)
        logp = torch.log_softmax(logits, 2)
        return torch.stack([-logp[b, torch.arange(len(w) + 1), torch.tensor(self.ids(w) + [EOS])].sum()
                            for b, w in enumerate(words)])

    def loss(self, words, eps):
        """mu, logvar, rec, kl per word at z = mu + exp(logvar / 2) eps (a language model: rec alone)."""
        if not self.latent:
            r = self.rec(words, None)
            return None, None, r, torch.zeros_like(r)
        mu, logvar = self.encode(words)
        z = mu + torch.exp(0.5 * logvar) * eps
        kl = -0.5 * (1 + logvar - mu * mu - logvar.exp()).sum(1)
        return mu, logvar, self.rec(words, z), kl

    def greedy(self, z, n=None):
        """Greedy decoding of z [n, latent] (n words of a language model): the likeliest token each step; a
        word ends at the first special token or at max_len characters."""
        n = z.shape[0] if self.latent else n
        h, c = self.start(z, n)
        prev = torch.full((n,), BOS)
        words, done = [""] * n, [False] * n
        for t in range(self.max_len + 1):
            out, (h, c) = self.decoder(self.step_input(prev, z)[:, None], (h, c))
            prev = self.fc_out(out[:, 0]).argmax(1)
            for b in range(n):
                tok = int(prev[b])
                if not done[b] and (tok < FIRST or t == self.max_len):
                    done[b] = True
                if not done[b]:
                    words[b] += self.vocab[tok - FIRST]
        return words


def main():
    p = argparse.ArgumentParser(description="Write a small random WordVAE's state_dict.")
    p.add_argument("output")
    p.add_argument("--vocab", default=AZ)
    p.add_argument("--embed", type=int, default=8)
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--latent", type=int, default=4)
    p.add_argument("--max-len", type=int, default=24)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    torch.manual_seed(a.seed)
    model = WordVAE(a.vocab, a.embed, a.hidden, a.latent, a.max_len)
    torch.save(model.state_dict(), a.output)


if __name__ == "__main__":
    main()
