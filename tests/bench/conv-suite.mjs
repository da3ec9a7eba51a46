// The conv VAE benchmark's own parts (bench-conv.mjs): the TensorFlow.js twin
// of our conv VAE and the check that every peer computes what ours does.
// Timing, the other peers and the table come from suite.mjs. Libraries are
// passed in, as in suite.mjs, so a page could drive the same code.
//
// The architecture (the usual PyTorch MNIST conv VAE, our
// `--encoder conv32k4s2p1,conv64k4s2p1 --decoder 3136@64x7x7,convt32k4s2p1
// --out-layer convt1k4s2p1 --latent 20`):
//   encoder  x[1,28,28] Conv2d(1,32,4,2,1) ReLU Conv2d(32,64,4,2,1) ReLU
//            flatten -> Linear(3136,20) mu, Linear(3136,20) logvar
//   decoder  z[20] Linear(20,3136) ReLU view(64,7,7) ConvTranspose2d(64,32,4,2,1)
//            ReLU ConvTranspose2d(32,1,4,2,1) sigmoid

import { D, L } from './suite.mjs';

export const CONV_METRICS = ['decode1', 'decode64', 'decode400', 'encode64'];

// The shapes the twin is written for: safetensors name -> PyTorch shape.
const SHAPES = {
  'encoder.layers.0.weight': [32, 1, 4, 4], 'encoder.layers.0.bias': [32],
  'encoder.layers.1.weight': [64, 32, 4, 4], 'encoder.layers.1.bias': [64],
  'encoder.mu.weight': [L, 3136], 'encoder.mu.bias': [L],
  'encoder.logvar.weight': [L, 3136], 'encoder.logvar.bias': [L],
  'decoder.layers.0.weight': [3136, L], 'decoder.layers.0.bias': [3136],
  'decoder.layers.1.weight': [64, 32, 4, 4], 'decoder.layers.1.bias': [32],
  'decoder.out.weight': [32, 1, 4, 4], 'decoder.out.bias': [1],
};
const K = 4, S = 2, P = 1; // every conv layer: kernel, stride, PyTorch padding

// TensorFlow.js twin on the given backend, NHWC (tfjs's layout; its
// conv2dTranspose has no NCHW form), the weights rearranged once at load:
//  - Conv2d weight [out, in, kh, kw] -> tf.conv2d filter [kh, kw, in, out];
//    ConvTranspose2d weight [in, out, kh, kw] -> tf.conv2dTranspose filter
//    [kh, kw, out, in]: the same permutation [2, 3, 1, 0] for both (no
//    spatial flip: both libraries define the transposed conv as the
//    gradient of a cross-correlation).
//  - The linears next to the convs index their 3136 side NCHW (c*49 + y*7 + x,
//    PyTorch's view and flatten); reordered to NHWC ((y*7 + x)*64 + c) so the
//    reshapes need no transpose; then [in, out] for tf.fused.matMul, as
//    suite.mjs's tfjsPeer keeps them.
//  - Padding: TF's 'same' pads k - s in total per axis, the odd one at the
//    bottom/right; with the input a multiple of s that is PyTorch's symmetric
//    p exactly when k - s = 2p, as here (checked below, and by the outputs).
// Fastest tfjs forms: convs with bias and ReLU fused (tf.fused.conv2d);
// tfjs has no fused transposed conv, so bias and activation follow it.
export async function tfjsConvPeer(tf, backend, tensors) {
  if (K - S !== 2 * P) throw new Error("TF 'same' padding is PyTorch's only when k - s = 2p");
  for (const [name, shape] of Object.entries(SHAPES))
    if (String(tensors[name]?.shape) !== String(shape))
      throw new Error(`${name}: shape ${tensors[name]?.shape}, the conv benchmark wants ${shape}`);
  tf.enableProdMode();
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend ${backend} did not initialise`);
  await tf.ready();
  const t = (name) => tf.tensor(tensors[name].data, tensors[name].shape);
  const made = tf.tidy(() => ({
    e0: tf.transpose(t('encoder.layers.0.weight'), [2, 3, 1, 0]), e0b: t('encoder.layers.0.bias'),
    e1: tf.transpose(t('encoder.layers.1.weight'), [2, 3, 1, 0]), e1b: t('encoder.layers.1.bias'),
    // [20, 64*49] -> [49, 64, 20] -> [3136 (NHWC), 20]
    mu: tf.reshape(tf.transpose(tf.reshape(t('encoder.mu.weight'), [L, 64, 49]), [2, 1, 0]), [3136, L]),
    mub: t('encoder.mu.bias'),
    lv: tf.reshape(tf.transpose(tf.reshape(t('encoder.logvar.weight'), [L, 64, 49]), [2, 1, 0]), [3136, L]),
    lvb: t('encoder.logvar.bias'),
    // [64*49, 20] -> [49, 64, 20] -> [3136 (NHWC), 20] -> [20, 3136]
    d0: tf.transpose(tf.reshape(tf.transpose(tf.reshape(t('decoder.layers.0.weight'), [64, 49, L]), [1, 0, 2]), [3136, L])),
    d0b: tf.reshape(tf.transpose(tf.reshape(t('decoder.layers.0.bias'), [64, 49])), [3136]),
    d1: tf.transpose(t('decoder.layers.1.weight'), [2, 3, 1, 0]), d1b: t('decoder.layers.1.bias'),
    d2: tf.transpose(t('decoder.out.weight'), [2, 3, 1, 0]), d2b: t('decoder.out.bias'),
  }));
  // Fresh tensors: tfjs-wasm's reshape shares the buffer, whose recorded
  // shape its fused kernels then read (a reshaped bias is "rank 2" to them).
  const v = {};
  for (const [k, x] of Object.entries(made)) v[k] = tf.tensor(x.dataSync(), x.shape);
  tf.dispose(Object.values(made));
  const conv = (x, filter, bias) => tf.fused.conv2d({ x, filter, strides: S, pad: 'same', bias, activation: 'relu' });
  const encode = (x, n) => {
    let h = conv(tf.reshape(x, [n, 28, 28, 1]), v.e0, v.e0b);
    h = tf.reshape(conv(h, v.e1, v.e1b), [n, 3136]);
    return [tf.fused.matMul({ a: h, b: v.mu, bias: v.mub }), tf.fused.matMul({ a: h, b: v.lv, bias: v.lvb })];
  };
  const decode = (z, n) => {
    const h = tf.reshape(tf.fused.matMul({ a: z, b: v.d0, bias: v.d0b, activation: 'relu' }), [n, 7, 7, 64]);
    const h2 = tf.relu(tf.add(tf.conv2dTranspose(h, v.d1, [n, 14, 14, 32], S, 'same'), v.d1b));
    return tf.sigmoid(tf.add(tf.conv2dTranspose(h2, v.d2, [n, 28, 28, 1], S, 'same'), v.d2b)); // [n,28,28,1]: NCHW order too
  };
  return {
    activate: () => tf.setBackend(backend), // peers take turns: tfjs has one active backend
    decode: (z, n) => {
      const out = tf.tidy(() => decode(tf.tensor2d(z, [n, L]), n));
      const data = out.dataSync();
      out.dispose();
      return data;
    },
    encode: (x, n) => {
      const [mu, logvar] = tf.tidy(() => encode(tf.tensor2d(x, [n, D]), n));
      const res = { mu: mu.dataSync(), logvar: logvar.dataSync() };
      tf.dispose([mu, logvar]);
      return res;
    },
    step: null,
    dispose: () => tf.dispose(Object.values(v)),
  };
}

// Our module (web/dist/vae.js) through its public API, on the SIMD or the
// scalar build, inference only. (suite.mjs's ourPeer also starts a paused
// trainer.fit, whose first step moves the weights away from the file's.)
export async function ourInferencePeer(VAE, simd, weightBytes) {
  const got = await VAE.init({ simd });
  if (got.simd !== simd) throw new Error(`VAE.init({simd: ${simd}}) gave simd ${got.simd}`);
  const model = await VAE.load(weightBytes);
  return {
    decode: (z) => model.decode(z),
    encode: (x) => model.encode(x),
    step: null,
    dispose: () => model.dispose(),
  };
}

// Largest |a - b| / max(1, |b|) over two arrays of equal length.
function maxRelDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

// Every peer's decode of `count` latents and encode of `count` images against
// the reference peer's (ours-simd): { name: { decode, mu, logvar } }, the
// largest differences (absolute where |value| <= 1, else relative). Throws,
// naming every peer and output over tol, so no figure is timed for a twin
// that computes something else.
export async function checkPeers(peers, ref, { images, z }, count = 64, tol = 1e-5) {
  const x = images.subarray(0, count * D), zc = z.subarray(0, count * L);
  const want = { decode: await peers[ref].decode(zc, count), ...(await peers[ref].encode(x, count)) };
  const diffs = {}, bad = [];
  for (const [name, p] of Object.entries(peers)) {
    if (name === ref) continue;
    await p.activate?.();
    const got = { decode: await p.decode(zc, count), ...(await p.encode(x, count)) };
    diffs[name] = {};
    for (const k of ['decode', 'mu', 'logvar']) {
      const d = (diffs[name][k] = maxRelDiff(got[k], want[k]));
      if (!(d <= tol)) bad.push(`${name} ${k}: max difference ${d} from ${ref}, over ${tol}`);
    }
  }
  if (bad.length) throw new Error(`peers disagree with ${ref}:\n  ${bad.join('\n  ')}`);
  return diffs;
}
