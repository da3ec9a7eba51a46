#!/usr/bin/python3
"""Convert a PyTorch VAE state_dict (.pt/.pth) into a vae-wasm safetensors file.

Run with Debian's Python (python3-torch):
  /usr/bin/python3 build-scripts/convert_pytorch.py vae.pth vae.safetensors --preset pytorch-examples-vae
  /usr/bin/python3 build-scripts/convert_pytorch.py m.pt out.safetensors \\
      --arch-json '{"format":1,"input":[1,8,8],"encoder":[32],"decoder":[32],"latent":4}' \\
      --map encoder.layers.0=enc1 --map encoder.mu=mu ... [--dtype f16]

Our tensors (see src/vae.h) are nn.Linear layouts, weight [out, in] and bias
[out], named encoder.layers.{i}, encoder.mu, encoder.logvar, decoder.layers.{i},
decoder.out (each .weight/.bias) and decoder.logsigma for a learned Gaussian.
A --map maps one of our layer prefixes (or full tensor names) to the
state_dict's; layers map with both .weight and .bias. The file is written with
struct and json only (no safetensors package).
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

METADATA_KEY = "vae_wasm.arch"

PRESETS = {
    # github.com/pytorch/examples, vae/main.py: fc1 784->400, fc21/fc22 400->20, fc3 20->400, fc4 400->784.
    "pytorch-examples-vae": {
        "arch": {"format": 1, "input": [1, 28, 28], "encoder": [400], "decoder": [400], "latent": 20,
                 "activation": "relu", "likelihood": "bernoulli"},
        "map": {"encoder.layers.0": "fc1", "encoder.mu": "fc21", "encoder.logvar": "fc22",
                "decoder.layers.0": "fc3", "decoder.out": "fc4"},
    },
}

# The documented key order and the defaults of the optional keys (vae_arch_default).
ARCH_DEFAULTS = {"format": 1, "input": None, "encoder": None, "decoder": None, "latent": None, "classes": 0,
                 "activation": "relu", "likelihood": "bernoulli", "sigma": 1, "leaky_slope": 0.01,
                 "decoder_only": False}


def fail(msg):
    sys.exit("convert_pytorch: " + msg)


def full_arch(arch):
    unknown = set(arch) - set(ARCH_DEFAULTS)
    if unknown:
        fail("unknown architecture keys: " + ", ".join(sorted(unknown)))
    out = {}
    for key, default in ARCH_DEFAULTS.items():
        if arch.get(key, default) is None:
            fail('architecture needs "%s"' % key)
        out[key] = arch.get(key, default)
    return out


def tensor_table(arch):
    """[(name, shape)] in vae-wasm's order for this architecture (as src/model.c builds it)."""
    c, h, w = arch["input"]
    d, classes, latent = c * h * w, arch["classes"], arch["latent"]
    table = []

    def linear(prefix, n_in, n_out):
        table.append((prefix + ".weight", (n_out, n_in)))
        table.append((prefix + ".bias", (n_out,)))

    if not arch["decoder_only"]:
        n_in = d + classes
        for i, width in enumerate(arch["encoder"]):
            linear("encoder.layers.%d" % i, n_in, width)
            n_in = width
        linear("encoder.mu", n_in, latent)
        linear("encoder.logvar", n_in, latent)
    n_in = latent + classes
    for i, width in enumerate(arch["decoder"]):
        linear("decoder.layers.%d" % i, n_in, width)
        n_in = width
    linear("decoder.out", n_in, d)
    if arch["likelihood"] == "gaussian_learned":
        table.append(("decoder.logsigma", (d,)))
    return table


def source_name(ours, mapping):
    """The state_dict key for our tensor: a full-name map, else a layer-prefix map, else the same name."""
    if ours in mapping:
        return mapping[ours]
    prefix, _, suffix = ours.rpartition(".")
    if prefix in mapping:
        return mapping[prefix] + "." + suffix
    return ours


def load_state_dict(path):
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    if isinstance(obj, dict) and isinstance(obj.get("state_dict"), dict):
        obj = obj["state_dict"]
    if not isinstance(obj, dict):
        fail("%s holds a %s, not a state_dict" % (path, type(obj).__name__))
    return obj


def safetensors_bytes(tensors, dtype, metadata):
    """tensors: [(name, float32 ndarray)] -> the file: u64 LE header length, JSON header, data."""
    np_dtype, st_dtype = (np.dtype("<f4"), "F32") if dtype == "f32" else (np.dtype("<f2"), "F16")
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, value in tensors:
        blob = value.astype(np_dtype).tobytes()  # float16: round to nearest even, like the C writer
        header[name] = {"dtype": st_dtype, "shape": list(value.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-(8 + len(text)) % 8)  # the data section starts 8-byte aligned
    return struct.pack("<Q", len(text)) + text + b"".join(blobs)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("input", help="PyTorch state_dict (.pt/.pth; a pickled module also works)")
    p.add_argument("output", help="safetensors file to write")
    p.add_argument("--preset", choices=sorted(PRESETS), help="built-in architecture and mapping")
    p.add_argument("--map", action="append", default=[], metavar="OURS=THEIRS",
                   help="our layer or tensor name = the state_dict's (repeatable; overrides the preset)")
    p.add_argument("--arch-json", help="architecture JSON as in vae.h (or @file); overrides the preset's")
    p.add_argument("--dtype", choices=["f32", "f16"], default="f32")
    args = p.parse_args(argv)

    preset = PRESETS.get(args.preset, {"arch": None, "map": {}})
    mapping = dict(preset["map"])
    for item in args.map:
        ours, sep, theirs = item.partition("=")
        if not sep or not ours or not theirs:
            fail("--map wants OURS=THEIRS, got %r" % item)
        mapping[ours] = theirs
    arch = preset["arch"]
    if args.arch_json:
        text = args.arch_json
        if text.startswith("@"):
            with open(text[1:], encoding="utf-8") as f:
                text = f.read()
        try:
            arch = json.loads(text)
        except json.JSONDecodeError as e:
            fail("--arch-json: %s" % e)
    if arch is None:
        fail("give --preset or --arch-json")
    arch = full_arch(arch)

    state = load_state_dict(args.input)
    tensors, used = [], set()
    for name, shape in tensor_table(arch):
        src = source_name(name, mapping)
        if src not in state:
            fail("%s: no %r in the state_dict for our %s (keys: %s)" % (args.input, src, name, ", ".join(state)))
        value = state[src].detach().to(torch.float32).cpu().numpy()
        if tuple(value.shape) != shape:
            fail("%s: %s is %s, our %s needs %s" % (args.input, src, list(value.shape), name, list(shape)))
        if not np.isfinite(value).all():
            fail("%s: %s has NaN or infinite values" % (args.input, src))
        if args.dtype == "f16" and np.abs(value).max(initial=0) > 65504:
            fail("%s: %s has values beyond float16's range; use --dtype f32" % (args.input, src))
        tensors.append((name, value))
        used.add(src)
    for key in state:
        if key not in used:
            print("convert_pytorch: note: %s is not used" % key, file=sys.stderr)

    metadata = {METADATA_KEY: json.dumps(arch, separators=(",", ":")),
                "converted_from": os.path.basename(args.input)}
    with open(args.output, "wb") as f:
        f.write(safetensors_bytes(tensors, args.dtype, metadata))
    print("wrote %s: %d tensors, %s" % (args.output, len(tensors), args.dtype.upper()))


if __name__ == "__main__":
    main()
