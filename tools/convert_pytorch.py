#!/usr/bin/python3
"""Convert a PyTorch VAE, autoencoder, word VAE or SketchRNN state_dict (.pt/.pth) into a vae-wasm safetensors file.

Run with Debian's Python (python3-torch):
  /usr/bin/python3 tools/convert_pytorch.py vae.pth vae.safetensors --preset pytorch-examples-vae
  /usr/bin/python3 tools/convert_pytorch.py words.pth words.safetensors --preset word-vae
  /usr/bin/python3 tools/convert_pytorch.py sketch.pth sketch.safetensors \\
      --arch-json '{"model":"sketch","max_len":110,"scale":147.574}'
  /usr/bin/python3 tools/convert_pytorch.py m.pt out.safetensors \\
      --arch-json '{"input":[1,8,8],"encoder":[{"conv":8,"kernel":4,"stride":2,"pad":1}],"decoder":[32],"latent":4}' \\
      --map encoder.layers.0=enc.0 --map encoder.mu=mu ... [--dtype f16]

The architecture is the JSON of src/vae.h ("vae_wasm.arch"): per side a list
of layers, each a width (linear) or an object: {"linear":N} (with
"shape":[c,h,w] to view its output as an image for the conv layers after it),
{"conv":C,"kernel":K,"stride":S,"pad":P}, {"conv_transpose":C,"kernel":K,
"stride":S,"pad":P,"out_pad":O}; "out" is the decoder's output layer
({"linear":D}, the default, or {"conv_transpose":image_channels,...}); "model"
is "vae" or "ae" (an autoencoder: one code head, "code_activation"). Every
hidden layer is followed by "activation", the output layer by none.

Our tensors (see src/vae.h) have PyTorch's layouts: nn.Linear weight [out, in],
nn.Conv2d [c_out, c_in, k, k], nn.ConvTranspose2d [c_in, c_out, k, k], bias
[out]; a linear layer after conv layers reads them flattened like torch's
x.view(n, -1). They are named encoder.layers.{i}, encoder.mu and
encoder.logvar (VAE) or encoder.code (AE), decoder.layers.{i}, decoder.out
(each .weight/.bias) and decoder.logsigma for a learned Gaussian. A --map maps
one of our layer prefixes (or full tensor names) to the state_dict's; layers
map with both .weight and .bias. A state_dict holds no stride, padding or
dilation: the architecture must state them as the PyTorch model uses them
(dilation 1, groups 1, zero padding). The file is written with struct and json
only (no safetensors package).

A word model ("model": "words", src/models/words.h) has the architecture
{"model":"words","vocab":"ab..","max_len":N,"embed":E,"hidden":H,"latent":L};
embed, hidden and latent, when left out, are read off the state_dict's
shapes (no mu head: latent 0, a language model). Its tensors are embedding
(nn.Embedding [3 + len(vocab), E]: end, start, unknown, then the
characters), encoder.rnn (a one-layer bidirectional nn.LSTM, batch_first or
not), encoder.mu, encoder.logvar, decoder.init (z -> h0), decoder.rnn (a
one-layer nn.LSTM reading [embedding, z]) and decoder.out; the word-vae
preset maps the names of tools/word_vae.py's WordVAE.

A sketch model ("model": "sketch", src/models/sketch.h) has the architecture
{"model":"sketch","enc_hidden":E,"dec_hidden":D,"latent":L,"mixtures":M,
"max_len":N,"scale":S}; the sizes, when left out, are read off the
state_dict (M from decoder.out's 6M + 3 rows); max_len (points) and scale
(what the offsets were divided by in training) must be given. Its tensors
are those of tools/make_golden_sketch.py's SketchRNN: encoder.rnn (a
one-layer bidirectional nn.LSTM over stroke-5), encoder.mu, encoder.logvar,
decoder.init (z -> [h0 | c0] through tanh), decoder.rnn (nn.LSTM reading
[previous point, z]) and decoder.out (the mixture head, src/layers/layers.h).
"""
import argparse
import json
import os
import pickle
import struct
import sys
import types
from unittest import mock

import numpy as np
import torch

METADATA_KEY = "vae_wasm.arch"

PRESETS = {
    # github.com/pytorch/examples, vae/main.py: fc1 784->400, fc21/fc22 400->20, fc3 20->400, fc4 400->784.
    "pytorch-examples-vae": {
        "arch": {"input": [1, 28, 28], "encoder": [400], "decoder": [400], "latent": 20},
        "map": {"encoder.layers.0": "fc1", "encoder.mu": "fc21", "encoder.logvar": "fc22",
                "decoder.layers.0": "fc3", "decoder.out": "fc4"},
    },
    # The conv VAE of `vae train --encoder conv32k4s2p1,conv64k4s2p1 --decoder 3136@64x7x7,convt32k4s2p1
    # --out-layer convt1k4s2p1` as a PyTorch module usually spells it:
    #   encoder = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU())
    #   fc_mu, fc_logvar = nn.Linear(3136, 20), nn.Linear(3136, 20)      # on encoder(x).view(n, -1)
    #   fc_decode = nn.Linear(20, 3136)                                  # relu, then .view(n, 64, 7, 7)
    #   decoder = nn.Sequential(nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1))
    # with decoder(...) the Bernoulli logits.
    "conv-vae-mnist": {
        "arch": {"input": [1, 28, 28],
                 "encoder": [{"conv": 32, "kernel": 4, "stride": 2, "pad": 1},
                             {"conv": 64, "kernel": 4, "stride": 2, "pad": 1}],
                 "decoder": [{"linear": 3136, "shape": [64, 7, 7]},
                             {"conv_transpose": 32, "kernel": 4, "stride": 2, "pad": 1}],
                 "out": {"conv_transpose": 1, "kernel": 4, "stride": 2, "pad": 1},
                 "latent": 20},
        "map": {"encoder.layers.0": "encoder.0", "encoder.layers.1": "encoder.2", "encoder.mu": "fc_mu",
                "encoder.logvar": "fc_logvar", "decoder.layers.0": "fc_decode", "decoder.layers.1": "decoder.0",
                "decoder.out": "decoder.2"},
    },
    # tools/word_vae.py's WordVAE: lowercase words of up to 24 letters, sizes from the state_dict.
    "word-vae": {
        "arch": {"model": "words", "vocab": "abcdefghijklmnopqrstuvwxyz", "max_len": 24},
        "map": {"embedding": "embed", "encoder.rnn": "encoder", "encoder.mu": "fc_mu", "encoder.logvar": "fc_logvar",
                "decoder.init": "fc_init", "decoder.rnn": "decoder", "decoder.out": "fc_out"},
    },
}

# A word model's keys in the order vae_words_arch_to_json writes them, with their ranges
# (vae_words_arch_validate); embed, hidden and latent may come from the state_dict.
WORD_KEYS = {"format": (2, 2), "model": None, "vocab": None, "max_len": (1, 256), "embed": (1, 1024),
             "hidden": (1, 4096), "latent": (0, 1024)}
LSTM_TENSORS = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
# A sketch model's keys in vae_sketch_arch_to_json's order with their ranges (vae_sketch_arch_validate).
SKETCH_KEYS = {"format": (2, 2), "model": None, "enc_hidden": (1, 4096), "dec_hidden": (1, 4096),
               "latent": (1, 1024), "mixtures": (1, 64), "max_len": (1, 4096), "scale": None}

# The keys in the order vae_arch_to_json writes them, with the defaults of
# the optional ones (vae_arch_default); None: required. "out" defaults to a
# linear layer to the image size.
ARCH_DEFAULTS = {"format": 2, "model": "vae", "input": None, "encoder": None, "decoder": None, "out": None,
                 "latent": None, "classes": 0, "activation": "relu", "code_activation": "identity",
                 "likelihood": "bernoulli", "sigma": 1, "leaky_slope": 0.01, "decoder_only": False}
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "identity")
CHOICES = {"model": ("vae", "ae"), "activation": ACTIVATIONS, "code_activation": ACTIVATIONS,
           "likelihood": ("bernoulli", "gaussian", "gaussian_learned")}
MAX_LAYERS = 8  # VAE_MAX_LAYERS, per side
LAYER_KINDS = ("linear", "conv", "conv_transpose")
# Per kind: the options it takes and their defaults (None: required).
LAYER_OPTIONS = {"linear": {"shape": None},
                 "conv": {"kernel": None, "stride": 1, "pad": 0},
                 "conv_transpose": {"kernel": None, "stride": 1, "pad": 0, "out_pad": 0}}


def fail(msg):
    sys.exit("convert_pytorch: " + msg)


def is_count(v, low):
    return isinstance(v, int) and not isinstance(v, bool) and v >= low


def parse_layer(entry, where):
    """A layer of the architecture JSON -> {"kind", "width", options}, in the documented key order."""
    if is_count(entry, 1):
        return {"kind": "linear", "width": entry}
    if not isinstance(entry, dict):
        fail("%s must be a width or a layer object, not %r" % (where, entry))
    kinds = [k for k in LAYER_KINDS if k in entry]
    if len(kinds) != 1:
        fail('%s needs exactly one of "linear", "conv", "conv_transpose": %s' % (where, json.dumps(entry)))
    kind, opts = kinds[0], LAYER_OPTIONS[kinds[0]]
    unknown = set(entry) - set(opts) - {kind}
    if unknown:
        fail("%s: a %s layer takes %s, not %s" % (where, kind, ", ".join(opts), ", ".join(sorted(unknown))))
    if not is_count(entry[kind], 1):
        fail("%s: %s must be a positive integer, not %r" % (where, kind, entry[kind]))
    layer = {"kind": kind, "width": entry[kind]}
    if kind == "linear":
        shape = entry.get("shape")
        if shape is not None:
            if not (isinstance(shape, list) and len(shape) == 3 and all(is_count(v, 1) for v in shape)):
                fail("%s: shape must be [channels, height, width], not %r" % (where, shape))
            if shape[0] * shape[1] * shape[2] != layer["width"]:
                fail("%s: shape %s holds %d values, not the layer's %d" %
                     (where, shape, shape[0] * shape[1] * shape[2], layer["width"]))
            layer["shape"] = shape
        return layer
    for key, default in opts.items():
        value = entry.get(key, default)
        if value is None:
            fail('%s: a %s layer needs "%s"' % (where, kind, key))
        if not is_count(value, 0 if key in ("pad", "out_pad") else 1):
            fail("%s: %s must be a %s integer, not %r" % (where, key, "non-negative" if "pad" in key else "positive",
                                                          value))
        layer[key] = value
    return layer


def full_arch(arch):
    """Checks the architecture JSON and fills the optional keys: {key: value} in ARCH_DEFAULTS' order,
    layers as parse_layer returns them."""
    if not isinstance(arch, dict):
        fail("the architecture must be a JSON object")
    unknown = set(arch) - set(ARCH_DEFAULTS)
    if unknown:
        fail("unknown architecture keys: " + ", ".join(sorted(unknown)))
    out = {}
    for key, default in ARCH_DEFAULTS.items():
        if arch.get(key, default) is None and key != "out":
            fail('architecture needs "%s"' % key)
        out[key] = arch.get(key, default)
    if out["format"] not in (1, 2):
        fail('"format" must be 1 or 2, not %r' % out["format"])
    for key, allowed in CHOICES.items():
        if out[key] not in allowed:
            fail('"%s" must be one of %s, not %r' % (key, ", ".join(allowed), out[key]))
    if out["model"] == "vae" and out["code_activation"] != "identity":
        fail('"code_activation" is for autoencoders ("model": "ae")')
    if not (isinstance(out["input"], list) and len(out["input"]) == 3 and all(is_count(v, 1) for v in out["input"])):
        fail('"input" must be [channels, height, width], not %r' % (out["input"],))
    for key in ("latent", "classes"):
        if not is_count(out[key], 1 if key == "latent" else 0):
            fail('"%s" must be a %s integer, not %r' % (key, "positive" if key == "latent" else "non-negative",
                                                        out[key]))
    if not (isinstance(out["sigma"], (int, float)) and out["sigma"] > 0):
        fail('"sigma" must be a positive number, not %r' % (out["sigma"],))
    if not (isinstance(out["leaky_slope"], (int, float)) and 0 <= out["leaky_slope"] <= 1):
        fail('"leaky_slope" must be a number in [0, 1], not %r' % (out["leaky_slope"],))
    if not isinstance(out["decoder_only"], bool):
        fail('"decoder_only" must be true or false')
    for side in ("encoder", "decoder"):
        if not isinstance(out[side], list) or len(out[side]) > MAX_LAYERS:
            fail('"%s" must be a list of at most %d layers' % (side, MAX_LAYERS))
        out[side] = [parse_layer(l, "%s layer %d" % (side, i)) for i, l in enumerate(out[side])]
    c, h, w = out["input"]
    out["out"] = parse_layer(out["out"] if out["out"] is not None else c * h * w, "the out layer")
    if out["out"]["kind"] == "conv":
        fail('the out layer must be linear or conv_transpose, not conv')
    want = c if out["out"]["kind"] == "conv_transpose" else c * h * w
    if out["out"]["width"] != want or "shape" in out["out"]:
        fail("the out layer must have width %d (the images are %dx%dx%d), not %s" %
             (want, c, h, w, json.dumps(layer_json(out["out"]))))
    return out


def layer_json(layer):
    """parse_layer's form -> the metadata's {"<kind>": width, options...}."""
    return dict([(layer["kind"], layer["width"])] + [(k, v) for k, v in layer.items() if k not in ("kind", "width")])


def arch_json(arch):
    """The metadata string: format 2, every layer an object, as vae_arch_to_json writes it."""
    meta = dict(arch, format=2)
    for side in ("encoder", "decoder"):
        meta[side] = [layer_json(l) for l in arch[side]]
    meta["out"] = layer_json(arch["out"])
    if arch["model"] == "vae":
        del meta["code_activation"]
    return json.dumps(meta, separators=(",", ":"))


def plan_layer(layer, image, extra, where):
    """(weight shape, bias shape, output image [c, h, w], description) of a layer reading `image` plus
    `extra` flat values (a conditional model's one-hot label)."""
    c, h, w = image
    kind, width = layer["kind"], layer["width"]
    if kind == "linear":
        n_in = c * h * w + extra
        source = "%dx%dx%d flattened" % (c, h, w) if (h, w) != (1, 1) else "%d" % (c * h * w)
        desc = "linear %s%s -> %d" % (source, " + %d classes" % extra if extra else "", width)
        return (width, n_in), (width,), layer.get("shape", [width, 1, 1]), desc
    if extra:
        fail("%s: a conditional model appends the label to a flat input, so this layer must be linear" % where)
    k, s, p = layer["kernel"], layer["stride"], layer["pad"]
    if kind == "conv":
        if h + 2 * p < k or w + 2 * p < k:
            fail("%s: kernel %d is larger than the padded input %dx%d" % (where, k, h + 2 * p, w + 2 * p))
        out = [width, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1]
        weight = (width, c, k, k)
    else:
        op = layer["out_pad"]
        if op >= s:
            fail("%s: out_pad %d must be smaller than the stride %d" % (where, op, s))
        out = [width, (h - 1) * s - 2 * p + k + op, (w - 1) * s - 2 * p + k + op]
        if out[1] < 1 or out[2] < 1:
            fail("%s: the output would be %dx%d (pad %d too large)" % (where, out[1], out[2], p))
        weight = (c, width, k, k)
    name = "Conv2d" if kind == "conv" else "ConvTranspose2d"
    desc = "%s(%d, %d, %d, stride=%d, padding=%d%s) %dx%dx%d -> %dx%dx%d" % (
        name, c, width, k, s, p, ", output_padding=%d" % layer["out_pad"] if kind != "conv" else "", c, h, w, *out)
    return weight, (width,), out, desc


def tensor_table(arch):
    """[(name, shape, description of its layer)] in vae-wasm's order for this architecture (as
    src/models/model.c builds it)."""
    image, classes, latent = arch["input"], arch["classes"], arch["latent"]
    d = image[0] * image[1] * image[2]
    table = []

    def side(prefix, layers, image):
        for i, layer in enumerate(layers):
            image = add("%s.layers.%d" % (prefix, i), layer, image, classes if i == 0 else 0)
        return image

    def add(name, layer, image, extra):
        weight, bias, out, desc = plan_layer(layer, image, extra, name)
        table.append((name + ".weight", weight, desc))
        table.append((name + ".bias", bias, desc))
        return out

    if not arch["decoder_only"]:
        top = side("encoder", arch["encoder"], image)
        heads = ["encoder.code"] if arch["model"] == "ae" else ["encoder.mu", "encoder.logvar"]
        for head in heads:
            add(head, {"kind": "linear", "width": latent}, top, 0 if arch["encoder"] else classes)
    top = side("decoder", arch["decoder"], [latent, 1, 1])
    out = add("decoder.out", arch["out"], top, 0 if arch["decoder"] else classes)
    if arch["out"]["kind"] == "conv_transpose" and out[1:] != image[1:]:
        fail("decoder.out makes %dx%d images, the input is %dx%d" % (out[1], out[2], image[1], image[2]))
    if arch["likelihood"] == "gaussian_learned":
        table.append(("decoder.logsigma", (d,), "learned per-pixel log sigma"))
    return table


def word_arch(arch, state, mapping):
    """Checks a word model's architecture and fills embed, hidden and latent from the state_dict."""
    unknown = set(arch) - set(WORD_KEYS)
    if unknown:
        fail("unknown word model keys: " + ", ".join(sorted(unknown)))
    vocab = arch.get("vocab")
    if not (isinstance(vocab, str) and 1 <= len(vocab) <= 95 and all(" " <= c <= "~" for c in vocab)
            and len(set(vocab)) == len(vocab)):
        fail('"vocab" must be 1 to 95 distinct printable ASCII characters, not %r' % (vocab,))

    def dim(ours, axis):
        src = source_name(ours, mapping)
        return state[src].shape[axis] if src in state else None

    found = {"embed": dim("embedding.weight", 1), "hidden": dim("decoder.rnn.weight_hh_l0", 1),
             "latent": dim("encoder.mu.weight", 0) or 0}
    out = {}
    for key, limits in WORD_KEYS.items():
        value = arch.get(key, 2 if key == "format" else found.get(key))
        if value is None:
            fail('a word model needs "%s"%s' % (key, "" if key in ("vocab", "max_len") else
                                                  " (no %s in the state_dict to read it from)" %
                                                  source_name("decoder.rnn.weight_hh_l0" if key == "hidden"
                                                              else "embedding.weight", mapping)))
        if limits and not (is_count(value, limits[0]) and value <= limits[1]):
            fail('"%s" must be an integer in %d..%d, not %r' % (key, limits[0], limits[1], value))
        out[key] = value
    return out


def word_table(arch):
    """[(name, shape, description)] in src/models/words.c's order."""
    v, e, h, lat = 3 + len(arch["vocab"]), arch["embed"], arch["hidden"], arch["latent"]

    def lstm(prefix, n_in, dirs, desc):
        return [("%s.%s%s" % (prefix, t, r), (4 * h, n_in if t.startswith("weight_ih") else h) if t.startswith("weight")
                 else (4 * h,), desc) for r in ("", "_reverse")[:dirs] for t in LSTM_TENSORS]

    table = [("embedding.weight", (v, e), "nn.Embedding(%d, %d): end, start, unknown and %d characters" %
              (v, e, len(arch["vocab"])))]
    if lat:
        table += lstm("encoder.rnn", e, 2, "nn.LSTM(%d, %d, bidirectional=True)" % (e, h))
        for head in ("mu", "logvar"):
            table += [("encoder.%s.weight" % head, (lat, 2 * h), "linear %d -> %d" % (2 * h, lat)),
                      ("encoder.%s.bias" % head, (lat,), "linear %d -> %d" % (2 * h, lat))]
        table += [("decoder.init.weight", (h, lat), "linear z %d -> h0 %d" % (lat, h)),
                  ("decoder.init.bias", (h,), "linear z %d -> h0 %d" % (lat, h))]
    table += lstm("decoder.rnn", e + lat, 1, "nn.LSTM(%d, %d) on [embedding %d, z %d]" % (e + lat, h, e, lat))
    table += [("decoder.out.weight", (v, h), "linear %d -> %d tokens" % (h, v)),
              ("decoder.out.bias", (v,), "linear %d -> %d tokens" % (h, v))]
    return table


def sketch_arch(arch, state, mapping):
    """Checks a sketch model's architecture and fills its sizes from the state_dict."""
    unknown = set(arch) - set(SKETCH_KEYS)
    if unknown:
        fail("unknown sketch model keys: " + ", ".join(sorted(unknown)))

    def dim(ours, axis):
        src = source_name(ours, mapping)
        return state[src].shape[axis] if src in state else None

    out_rows = dim("decoder.out.weight", 0)
    found = {"enc_hidden": dim("encoder.rnn.weight_hh_l0", 1), "dec_hidden": dim("decoder.rnn.weight_hh_l0", 1),
             "latent": dim("encoder.mu.weight", 0),
             "mixtures": (out_rows - 3) // 6 if out_rows and (out_rows - 3) % 6 == 0 else None}
    out = {}
    for key, limits in SKETCH_KEYS.items():
        value = arch.get(key, 2 if key == "format" else found.get(key))
        if value is None:
            fail('a sketch model needs "%s"%s' % (key, " (what the offsets were divided by in training)"
                                                  if key == "scale" else ""))
        if key == "scale" and not (isinstance(value, (int, float)) and 0 < value < 1e30):
            fail('"scale" must be a positive number, not %r' % (value,))
        if limits and not (is_count(value, limits[0]) and value <= limits[1]):
            fail('"%s" must be an integer in %d..%d, not %r' % (key, limits[0], limits[1], value))
        out[key] = value
    out["scale"] = float(np.float32(out["scale"]))
    return out


def sketch_table(arch):
    """[(name, shape, description)] in src/models/sketch.c's order."""
    e, d, lat, p = arch["enc_hidden"], arch["dec_hidden"], arch["latent"], 6 * arch["mixtures"] + 3

    def lstm(prefix, n_in, h, dirs, desc):
        return [("%s.%s%s" % (prefix, t, r), (4 * h, n_in if t.startswith("weight_ih") else h) if t.startswith("weight")
                 else (4 * h,), desc) for r in ("", "_reverse")[:dirs] for t in LSTM_TENSORS]

    table = lstm("encoder.rnn", 5, e, 2, "nn.LSTM(5, %d, bidirectional=True) over stroke-5" % e)
    for head in ("mu", "logvar"):
        table += [("encoder.%s.%s" % (head, k), (lat, 2 * e) if k == "weight" else (lat,),
                   "linear %d -> %d" % (2 * e, lat)) for k in ("weight", "bias")]
    table += [("decoder.init.%s" % k, (2 * d, lat) if k == "weight" else (2 * d,),
               "linear z %d -> [h0 | c0] %d" % (lat, 2 * d)) for k in ("weight", "bias")]
    table += lstm("decoder.rnn", 5 + lat, d, 1, "nn.LSTM(%d, %d) on [point 5, z %d]" % (5 + lat, d, lat))
    table += [("decoder.out.%s" % k, (p, d) if k == "weight" else (p,),
               "linear %d -> %d mixture outputs" % (d, p)) for k in ("weight", "bias")]
    return table


def shape_hint(have, want):
    """Why a tensor of shape `have` may sit where `want` belongs, or ''."""
    if len(have) == len(want) == 4 and have[:2] == want[1::-1] and have[2:] == want[2:]:
        return " (channels swapped: a Conv2d where a ConvTranspose2d belongs, or the reverse?)"
    if len(have) == len(want) == 2 and have == want[::-1]:
        return " (transposed? nn.Linear's weight is [out, in])"
    if len(have) != len(want) and 4 in (len(have), len(want)):
        return " (a %s layer where the architecture has a %s one?)" % (
            "conv" if len(have) == 4 else "linear", "conv" if len(want) == 4 else "linear")
    return ""


def source_name(ours, mapping):
    """The state_dict key for our tensor: a full-name map, else a layer-prefix map, else the same name."""
    if ours in mapping:
        return mapping[ours]
    prefix, _, suffix = ours.rpartition(".")
    if prefix in mapping:
        return mapping[prefix] + "." + suffix
    return ours


class _AnyModuleUnpickler(pickle.Unpickler):
    """A whole pickled module (torch.save(model)) names its class, which this
    process cannot import: any class that fails to import becomes a bare
    nn.Module, which still holds the parameters (a state_dict is all we need)."""

    def find_class(self, module, name):
        try:
            return super().find_class(module, name)
        except (AttributeError, ImportError):
            return type(name, (torch.nn.Module,), {})


# torch.load(pickle_module=...) is ignored by torch 1.13 (Debian's) unless
# weights_only: the unpickler goes in through the module's own name.
_ANY_MODULE_PICKLE = types.ModuleType("pickle")
_ANY_MODULE_PICKLE.__dict__.update(vars(pickle))
_ANY_MODULE_PICKLE.Unpickler = _AnyModuleUnpickler


def load_state_dict(path):
    try:
        with mock.patch.object(torch.serialization, "pickle", _ANY_MODULE_PICKLE):
            obj = torch.load(path, map_location="cpu", weights_only=False)
    except (pickle.UnpicklingError, RuntimeError, EOFError) as e:
        fail("%s is not a PyTorch file torch.load reads (%s); save the weights with "
             "torch.save(model.state_dict(), PATH)" % (path, str(e).splitlines()[0] if str(e) else type(e).__name__))
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
    kind = arch.get("model") if isinstance(arch, dict) else None
    words = kind in ("words", "sketch")  # a sequence model: sizes may come from the state_dict
    if words:
        state = load_state_dict(args.input)
        arch = (word_arch if kind == "words" else sketch_arch)(arch, state, mapping)
        table = (word_table if kind == "words" else sketch_table)(arch)
    else:
        arch = full_arch(arch)
        table = tensor_table(arch)
        state = load_state_dict(args.input)
    tensors, used = [], set()
    for name, shape, desc in table:
        src = source_name(name, mapping)
        if src not in state:
            fail("%s: no %r in the state_dict for our %s (keys: %s)" % (args.input, src, name, ", ".join(state)))
        value = state[src].detach().to(torch.float32).cpu().numpy()
        if tuple(value.shape) != shape:
            fail("%s: %s is %s, our %s needs %s for %s%s" % (args.input, src, list(value.shape), name, list(shape),
                                                            desc, shape_hint(value.shape, shape)))
        if not np.isfinite(value).all():
            fail("%s: %s has NaN or infinite values" % (args.input, src))
        if args.dtype == "f16" and np.abs(value).max(initial=0) > 65504:
            fail("%s: %s has values beyond float16's range; use --dtype f32" % (args.input, src))
        tensors.append((name, value))
        used.add(src)
    for key in state:
        if key in used:
            continue
        # an LSTM's further layers or directions are part of what it computes
        for rnn in ("encoder.rnn", "decoder.rnn") if words else ():
            prefix = source_name(rnn + ".x", mapping)[:-1]
            if key.startswith(prefix):
                fail("%s: %s is not part of the %s model's %s (one layer%s)" %
                     (args.input, key, kind.rstrip("s"), rnn, ", both directions" if rnn == "encoder.rnn" else ", one direction"))
        print("convert_pytorch: note: %s is not used" % key, file=sys.stderr)

    meta_arch = json.dumps(arch, separators=(",", ":")) if words else arch_json(arch)
    metadata = {METADATA_KEY: meta_arch, "converted_from": os.path.basename(args.input)}
    with open(args.output, "wb") as f:
        f.write(safetensors_bytes(tensors, args.dtype, metadata))
    print("wrote %s: %d tensors, %s" % (args.output, len(tensors), args.dtype.upper()))


if __name__ == "__main__":
    main()
