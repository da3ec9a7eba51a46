// Type declarations of vae-wasm (web/vae.js).
//
// Layouts: images are flat Float32Arrays [n, c*h*w], each image
// channel-major, values in [0, 1]; latents are [n, latent]. A single image or
// latent is a batch of one; plain number arrays, other typed arrays and
// arrays of per-item arrays are accepted as input too.

/** Images or latents: flat values, or one array per item. */
export type Batch = Float32Array | ArrayLike<number> | ArrayLike<ArrayLike<number>>;
/** One label for every item, or one per item (conditional models). */
export type Labels = number | ArrayLike<number>;
/** Seeds are unsigned 64-bit integers, as in the native CLI. */
export type Seed = number | bigint;
/** A URL (fetched; in Node file: URLs and plain paths are read from disk) or the bytes. */
export type Source = string | URL | ArrayBuffer | ArrayBufferView | Blob;

/** The library's vae_status names (src/vae.h; web/test/status.test.mjs keeps the three lists equal), and 'ABORTED' for a cancelled fit. */
export type ErrorCode =
  | 'VAE_ERR_ARG' | 'VAE_ERR_NOMEM' | 'VAE_ERR_IO' | 'VAE_ERR_TRUNCATED' | 'VAE_ERR_HEADER_SIZE'
  | 'VAE_ERR_JSON' | 'VAE_ERR_DTYPE' | 'VAE_ERR_OFFSETS' | 'VAE_ERR_LAYOUT' | 'VAE_ERR_SHAPE'
  | 'VAE_ERR_MISSING' | 'VAE_ERR_UNKNOWN' | 'VAE_ERR_NONFINITE' | 'VAE_ERR_METADATA' | 'VAE_ERR_IDX'
  | 'VAE_ERR_STATE' | 'ABORTED';

/** Every failure: message names the call and the reason ("decode: expected latents of 20 values each ..."). */
export class VAEError extends Error {
  constructor(message: string, code?: ErrorCode);
  readonly name: 'VAEError';
  readonly code: ErrorCode;
}

export interface InitOptions {
  /** The .wasm to use: URL, bytes or a compiled module. Default: vae-simd.wasm or vae-nosimd.wasm next to vae.js. */
  wasm?: Source | WebAssembly.Module;
  /** The training build, fetched on a model's first fit(): URL, bytes or a compiled module.
   * Default: vae-train-simd.wasm or vae-train-nosimd.wasm next to vae.js. */
  trainWasm?: Source | WebAssembly.Module;
  /** 'auto' (default) picks the SIMD build when the engine validates SIMD code. */
  simd?: 'auto' | boolean;
}

export interface LoadOptions extends InitOptions {
  /** The word models' build, fetched with vae-seq.js on the first word model: URL, bytes or a compiled
   * module. Default: vae-seq-simd.wasm or vae-seq-nosimd.wasm next to vae.js. */
  seqWasm?: Source | WebAssembly.Module;
}

/** A layer: a plain linear layer as its width; otherwise an object (the
 * metadata's layer objects). Images are NCHW; `shape` views a linear layer's
 * output as [c, h, w] for the conv layers after it. */
export type Layer =
  | number
  | { linear: number; shape?: [number, number, number] }
  | { conv: number; kernel: number; stride?: number; pad?: number }
  | { conv_transpose: number; kernel: number; stride?: number; pad?: number; out_pad?: number };

export type Activation = 'relu' | 'leaky_relu' | 'tanh' | 'sigmoid' | 'identity';

export interface ModelInfo {
  /** What `vae info` prints on its model line: "VAE 784-400-20-400-784, relu, bernoulli"; the kind
   * (VAE, CVAE with ", N classes", M2 with its classifier, AE with its code activation, decoder), layers as `vae train`
   * spells them ("1x28x28-conv32k4s2p1-..."), the activation and the likelihood. */
  readonly summary: string;
  /** 'vae'; 'ae': a plain autoencoder (its code is encode()'s mu; logvar is 0); 'm2': semi-supervised
   * (Kingma et al. 2014), a conditional VAE with a classifier q(y|x). */
  readonly model: 'vae' | 'ae' | 'm2';
  readonly imageShape: readonly [channels: number, height: number, width: number];
  /** c*h*w values per image. */
  readonly inputSize: number;
  readonly latent: number;
  /** 0 for an unconditional model. */
  readonly classes: number;
  /** An M2 model's classifier hidden widths (classify()); null for other models. */
  readonly classifier: readonly number[] | null;
  readonly encoder: readonly Layer[];
  readonly decoder: readonly Layer[];
  /** The decoder's output layer: the image size (linear) or a transposed conv. */
  readonly out: Layer;
  readonly activation: Activation;
  /** An autoencoder's code activation; null for a VAE. */
  readonly codeActivation: Activation | null;
  /** 'student_t' (a learned scale and degrees of freedom per value; tables) runs in the training build only. */
  readonly likelihood: 'bernoulli' | 'gaussian' | 'gaussian_learned' | 'student_t';
  readonly sigma: number;
  readonly leakySlope: number;
  readonly decoderOnly: boolean;
  readonly parameters: number;
  /** Whether this model runs on the SIMD build (the module says so itself, whichever file was loaded). */
  readonly simd: boolean;
}

export interface CreateConfig {
  imageShape?: [number, number, number]; // default [1, 28, 28]
  model?: 'vae' | 'ae' | 'm2';           // default 'vae'; 'm2' needs classes
  encoder?: Layer[];                     // hidden layers, default [400]
  decoder?: Layer[];                     // default: encoder reversed (widths only)
  out?: Layer;                           // default: linear to the image size
  codeActivation?: Activation;           // 'ae' only, default 'identity'
  latent?: number;                       // default 20
  classes?: number;                      // > 0: conditional VAE
  activation?: ModelInfo['activation'];  // default 'relu'
  likelihood?: ModelInfo['likelihood'];  // default 'bernoulli'
  sigma?: number;                        // fixed sigma of 'gaussian'
  leakySlope?: number;
  classifier?: number[];                 // 'm2': the classifier's hidden widths (default none)
  /** Seed of the initial weights (default 1; `vae train --seed S` draws them from S). */
  seed?: Seed;
}

export interface Dataset {
  /** [n, c*h*w] in [0, 1], or bytes 0..255 (divided by 255). */
  images: Float32Array | Uint8Array | Uint8ClampedArray | ArrayLike<number>;
  /** Required by a conditional model; an M2 model takes -1 for an unlabelled image. */
  labels?: ArrayLike<number>;
}

export interface Losses {
  /** Mean per image, nats. */
  loss: number;
  reconstruction: number;
  kl: number;
}

export interface TrainOptions {
  epochs?: number;        // default 10
  batchSize?: number;     // default 128
  lr?: number;            // default 1e-3
  beta?: number;          // KL weight, default 1
  warmupEpochs?: number;  // ramp beta from 0 over this many epochs (as `vae train --warmup-epochs`)
  warmupSteps?: number;   // or over this many steps
  optimizer?: 'adam' | 'sgd';
  /** Adam's moment decay rates [beta1, beta2], each in [0, 1); default [0.9, 0.999]. */
  betas?: [number, number];
  /** Adam's denominator term, > 0; default 1e-8. */
  eps?: number;
  momentum?: number;      // SGD
  weightDecay?: number;   // decoupled
  clip?: number;          // global gradient-norm clip, 0 = off
  /** Denoising: corrupt the inputs ('mask': pixels set to 0 with probability
   * noiseLevel, default 0.25; 'gaussian': + noiseLevel * N(0,1), default 0.3,
   * clipped to [0, 1]); the loss reconstructs the clean images. */
  noise?: 'mask' | 'gaussian';
  noiseLevel?: number;
  /** Autoencoders: 'l1' on the code, or 'kl' toward mean activation rho (sigmoid code). */
  sparsity?: 'l1' | 'kl';
  sparsityWeight?: number; // default 1e-3
  rho?: number;            // default 0.05
  /** Autoencoders: weight of the contractive penalty (first encoder layer's Jacobian). */
  contractive?: number;
  /** M2: weight of -log q(y|x) per labelled image (default 0.1 * images / labelled, as `vae train --model m2`). */
  alpha?: number;
  /** Noise from seed+1, shuffling from seed+2, as `vae train --seed`. Default 1. */
  seed?: Seed;
  /** Emit a 'snapshot' every this many steps (0 = never). */
  snapshotEvery?: number;
  /** Evaluated after every epoch (seed 1, batches of 500, as vae train's test loss). */
  validation?: Dataset;
  /** Train in a module Worker / worker_threads Worker: true for vae-worker.js next to vae.js, or its URL. */
  worker?: boolean | string | URL;
  /**
   * Data-parallel training on this many Workers (module Workers in the
   * browser, worker_threads in Node; only transferred ArrayBuffers, no
   * SharedArrayBuffer, so no COOP/COEP headers): each computes the gradient
   * of its share of every batch, this thread sums them in a fixed tree and
   * steps. Default min(4, cores) (1 with the KL sparsity penalty and in
   * vae.single.js); 1 is the plain path. The same seed and workers give the
   * same weights as `vae train --threads N`.
   */
  workers?: number;
}

export interface ProgressEvent {
  epoch: number; epochs: number;
  /** Step within the epoch (1-based) and steps per epoch. */
  step: number; stepsPerEpoch: number;
  totalStep: number; totalSteps: number;
  /** This step's batch: mean per image. */
  loss: number; reconstruction: number; kl: number; penalty: number;
  /** KL weight used (warm-up). */
  beta: number;
  /** Mean loss of the epoch so far. */
  epochLoss: number;
  imagesPerSecond: number;
  /** Seconds. */
  elapsed: number; eta: number;
}

export interface EpochEvent {
  epoch: number; epochs: number;
  /** Mean training loss of the epoch. */
  loss: number;
  /** Steps skipped for a non-finite loss or gradient. */
  skipped: number;
  seconds: number;
  validation?: Losses;
}

export interface SnapshotEvent {
  epoch: number; step: number; totalStep: number;
  /** Safetensors bytes of the weights so far (load them for a live preview). */
  weights: Uint8Array;
}

export interface TrainerEvents {
  progress: ProgressEvent;
  epoch: EpochEvent;
  snapshot: SnapshotEvent;
}

/** Events and data: an image model's by default (a word model's: WordTrainer). */
export interface ModelTrainer<Events = TrainerEvents, Data = Dataset> {
  readonly state: 'idle' | 'running' | 'paused' | 'done' | 'cancelled' | 'failed';
  /** Returns a function that removes the listener. */
  on<K extends keyof Events>(type: K, listener: (event: Events[K]) => void): () => void;
  /** Trains the model in place; resolves with the final weights (safetensors).
   * Rejects with code 'ABORTED' after cancel() (the model keeps the steps taken). */
  fit(dataset: Data): Promise<Uint8Array>;
  pause(): void;
  resume(): void;
  cancel(): void;
}

/** Trains on this thread (model.trainer()). Made by model.trainer(), not constructed directly. */
export class Trainer { private constructor(); }
export interface Trainer extends ModelTrainer {}
/** Trains in a Worker (model.trainer({worker: true})). Made by model.trainer(), not constructed directly. */
export class WorkerTrainer { private constructor(); }
export interface WorkerTrainer extends ModelTrainer {}

/** The worker side of WorkerTrainer, for a self-made worker script (web/vae-worker.js is one):
 * port wraps the worker's message channel. */
export function serveTrainer(port: {
  onMessage(listener: (message: any) => void): void;
  post(message: unknown, transfer?: Transferable[]): void;
}): Promise<void>;

/** A loaded model (VAE.load, VAE.create); not constructed directly. */
export class Model {
  private constructor();
  readonly info: ModelInfo;
  readonly disposed: boolean;
  /** Encoder means and log-variances, each [n, latent]. */
  encode(images: Batch, options?: { labels?: Labels }): { mu: Float32Array; logvar: Float32Array };
  /** Images [n, c*h*w] of latents [n, latent]; with `out` (a Float32Array of n*c*h*w), written into it
   * and returned, so a render loop allocates nothing. */
  decode(z: Batch, options?: { label?: Labels; out?: Float32Array }): Float32Array;
  /** n images of z ~ N(0, temperature^2 I); the seed gives the images of `vae sample --seed` (default: random). */
  sample(n: number, options?: { seed?: Seed; temperature?: number; label?: Labels }): Float32Array;
  /** Decoded encoder means. */
  reconstruct(images: Batch, options?: { labels?: Labels }): Float32Array;
  /** `steps` images from a to b (latents, or images encoded to their means). */
  interpolate(a: ArrayLike<number>, b: ArrayLike<number>, steps: number,
    options?: { method?: 'linear' | 'slerp'; label?: Labels; labels?: Labels; input?: 'auto' | 'latent' | 'image' }): Float32Array;
  /** gridSize^2 images, row-major from the top left: dims[0] to the right, dims[1] upwards, through the
   * inverse normal CDF of the cell centres of `range` (a probability interval, default [0, 1]). */
  manifold(gridSize: number, options?: { dims?: [number, number]; range?: [number, number]; base?: ArrayLike<number>; label?: Labels }): Float32Array;
  /** Mean latent of withImages minus that of withoutImages. */
  attributeVector(withImages: Batch, withoutImages: Batch, options?: { withLabels?: Labels; withoutLabels?: Labels }): Float32Array;
  /** Per-image negative ELBO (nats) at z = mu; with `samples`, the negative importance-weighted bound. */
  score(images: Batch, options?: { labels?: Labels; samples?: number; seed?: Seed }): Float32Array;
  /** An M2 model's q(y|x): class probabilities [n, classes]; fetches the training build once (as fit). */
  classify(images: Batch): Promise<Float32Array>;
  /** Mean losses over a data set with seeded noise (as `vae eval`: seed 1, batches of 500). */
  evaluate(dataset: Dataset, options?: { seed?: Seed; batchSize?: number }): Losses;
  /** The weights as a safetensors file; 'q8' stores each weight matrix as int8 rows with an F32 scale
   * (`NAME`, `NAME_scale`; a quarter of F32, about 0.04 nats more loss on MNIST). */
  toSafetensors(options?: { dtype?: 'f32' | 'f16' | 'q8'; decoderOnly?: boolean; metadata?: Record<string, string> }): Uint8Array;
  /** A new model with only the decoder. */
  decoderOnly(): Model;
  /** Draws images of this model's shape into a canvas (see VAEApi.drawImages). */
  draw(canvas: CanvasLike, images: Batch, options?: Omit<GridOptions, 'shape'>): CanvasLike;
  trainer(options?: TrainOptions): ModelTrainer;
  /** Frees the wasm memory; later calls throw. Safe to repeat. */
  dispose(): void;
}

export interface WordModelInfo {
  model: 'words';
  summary: string;
  /** The characters words are made of, in token order (after end, start and unknown). */
  vocab: string;
  /** The longest word the model reads or writes. */
  maxLength: number;
  embed: number;
  hidden: number;
  /** 0: a character language model (no encoder, no latent). */
  latent: number;
  parameters: number;
  simd: boolean;
}

/** A word model (`vae train --words`: the character-level word VAE, or its language model), which
 * VAE.load gives for such a file: `VAE.load<WordModel>(url)`. Not constructed directly. Words are
 * strings of info.vocab, 1 to info.maxLength characters; latents are [n, latent]. */
export interface WordModel {
  readonly info: WordModelInfo;
  readonly disposed: boolean;
  /** n words: z ~ N(0, I) from seed, characters from softmax(logits / temperature) (default 1; 0:
   * greedy), the words of `vae sample --seed --temperature` (default seed: random). */
  sampleWords(n: number, options?: { seed?: Seed; temperature?: number }): string[];
  /** Encoder means and log-variances, each [n, latent]. */
  encodeWords(words: string[] | string): { mu: Float32Array; logvar: Float32Array };
  /** Words decoded from latents: greedy (default), or sampled at a temperature with seed. */
  decodeWords(z: Batch, options?: { temperature?: number; seed?: Seed }): string[];
  /** The words at `steps` points (default 8, end points included) between the codes of a and b, as
   * `vae interpolate` prints them. */
  interpolateWords(a: string, b: string, steps?: number,
    options?: { method?: 'linear' | 'slerp'; temperature?: number; seed?: Seed }): string[];
  /** The weights as a safetensors file, as `vae train --words --out` writes them. A loaded model
   * that has not been trained gives back its own file (dtype and metadata need a trained or
   * VAE.create model: the inference module has no writer). */
  toSafetensors(options?: { dtype?: 'f32' | 'f16'; metadata?: Record<string, string> }): Uint8Array;
  /** A trainer of this model (in this thread, or in a Worker with {worker: true}), continuing from
   * its weights: fit(words) trains as `vae train --words` does (5% held out; a model made by
   * VAE.create({model: 'words', seed}) and the same options give its weights bit for bit). */
  trainer(options?: WordTrainOptions): WordTrainer;
  /** Frees the wasm memory; later calls throw. Safe to repeat. */
  dispose(): void;
}

/** VAE.create({model: 'words'}): a fresh word model, weights drawn from seed as `vae train --words --seed`. */
export interface WordCreateConfig {
  model: 'words';
  /** The characters words are made of (printable ASCII, each once). Default a-z. */
  vocab?: string;
  /** Default 24. */
  maxLength?: number;
  /** Defaults 32, 128, 16 (latent 0: a language model). */
  embed?: number; hidden?: number; latent?: number;
  seed?: Seed;
}

/** Defaults as `vae train --words`. */
export interface WordTrainOptions {
  /** Default 10. */
  epochs?: number;
  /** Words per step, 1..256; default 64. */
  batchSize?: number;
  /** Adam's learning rate, default 0.002. */
  lr?: number;
  /** Global gradient norm clip, default 5 (0: off). */
  clip?: number;
  /** Probability that a decoder input character is replaced by the unknown token, default 0.3. */
  dropout?: number;
  /** KL weight ramps from 0 to 1 over these epochs, default 2. */
  warmupEpochs?: number;
  /** Split from seed + 1, shuffles, eps and dropout from seed + 2 (default 1). */
  seed?: Seed;
  snapshotEvery?: number;
  /** Train in a Worker (true: web/vae-worker.js next to vae.js, or its URL). */
  worker?: boolean | string | URL;
}

export interface WordProgressEvent {
  epoch: number; epochs: number; step: number; stepsPerEpoch: number; totalStep: number; totalSteps: number;
  /** This step's batch, per word in nats: loss = reconstruction + beta kl. */
  loss: number; reconstruction: number; kl: number; beta: number;
  epochLoss: number; wordsPerSecond: number;
  /** Seconds. */
  elapsed: number; eta: number;
}

export interface WordEpochEvent {
  epoch: number; epochs: number; loss: number; skipped: number; seconds: number; trainWords: number;
  /** The held-out words' figures (`vae train --words`'s table): the bound on -log p(word) = reconstruction + kl,
   * in nats per word, and the share spelt back by greedy decoding of their mean code (null: a language model). */
  heldOut: { words: number; bound: number; reconstruction: number; kl: number; accuracy: number | null };
}

export interface WordTrainerEvents {
  progress: WordProgressEvent;
  epoch: WordEpochEvent;
  snapshot: SnapshotEvent;
}

/** model.trainer() of a WordModel: the same object as an image model's, with word events; fit takes the words. */
export interface WordTrainer extends ModelTrainer<WordTrainerEvents, string[] | { words: string[] }> {}

export interface SketchModelInfo {
  model: 'sketch';
  summary: string;
  encHidden: number;
  decHidden: number;
  latent: number;
  /** Bivariate Gaussians of the mixture for each offset. */
  mixtures: number;
  /** The most points a drawing the model reads or writes has. */
  maxLength: number;
  /** The offsets' scale (the training data's standard deviation), in the data's units. */
  scale: number;
  parameters: number;
  simd: boolean;
}

/** A drawing: strokes of absolute [x, y] points in the data's units from the model's origin (for
 * tools/hanzi_strokes.py's characters the centre of the 1024-unit box, y down); the pen goes down at
 * a stroke's first point and up after its last. */
export type Strokes = Array<Array<[number, number]>>;

export interface DrawStrokesOptions {
  /** Point by point over `duration` ms (default 1200); drawStrokes then returns a Promise. */
  animate?: boolean;
  duration?: number;
  color?: string;
  lineWidth?: number;
  /** A share of the canvas left around the drawing (default 0.08). */
  margin?: number;
  /** Clear the canvas first (default true). */
  clear?: boolean;
  /** [x0, y0, x1, y1]: the region (in the drawing's units) to fit to the canvas instead of the
   * drawing's bounding box, so drawings keep their place and size (a character's em box). */
  box?: [number, number, number, number];
}

/** A SketchRNN model (`vae train --strokes`), which VAE.load gives for such a file:
 * `VAE.load<SketchModel>(url)`. Not constructed directly. Latents are [latent]. */
export interface SketchModel {
  readonly info: SketchModelInfo;
  readonly disposed: boolean;
  /** One drawing: z ~ N(0, I) from seed (or the z given), each point drawn from the mixture at
   * temperature (default 0.4; 0: the likeliest), at most maxSteps points; without z, the first
   * drawing of `vae sample --seed --temperature`. */
  sampleStrokes(options?: { seed?: Seed; temperature?: number; z?: ArrayLike<number>; maxSteps?: number }): Strokes;
  /** The encoder's mean and log-variance of a drawing, each [latent]. */
  encodeStrokes(strokes: Strokes): { mu: Float32Array; logvar: Float32Array };
  /** The drawing decoded from z [latent] at temperature (default 0.4) with seed, at most maxSteps points. */
  decodeStrokes(z: ArrayLike<number>, options?: { temperature?: number; seed?: Seed; maxSteps?: number }): Strokes;
  /** The prefix's strokes finished by the model, from the prefix's own code (or z). */
  complete(prefix: Strokes, options?: { temperature?: number; seed?: Seed; z?: ArrayLike<number> }): Strokes;
  /** Drawings at `steps` points (default 8, end points included) between the codes of a and b, as
   * `vae interpolate` draws them (slerp, temperature 0.1, seed 1 by default). */
  interpolateStrokes(a: Strokes, b: Strokes, steps?: number,
    options?: { method?: 'linear' | 'slerp'; temperature?: number; seed?: Seed }): Strokes[];
  /** Draws a drawing fitted to the canvas (its 2D context works too). */
  drawStrokes(canvas: CanvasLike, strokes: Strokes, options?: DrawStrokesOptions & { animate?: false }): void;
  drawStrokes(canvas: CanvasLike, strokes: Strokes, options: DrawStrokesOptions & { animate: true }): Promise<void>;
  /** Frees the wasm memory; later calls throw. Safe to repeat. */
  dispose(): void;
}

export interface CSVOptions {
  /** Names or 1-based numbers of the columns to read, in this order; default: every named column
   * whose first value is a number, but the label column. */
  columns?: (string | number)[];
  /** The label column (name or 1-based number): 0 normal, 1 anomaly. */
  label?: string | number;
  /** A label column the header lacks is no error (then no labels). */
  labelOptional?: boolean;
  /** Default: a tab if the header line has more tabs than commas. */
  delimiter?: ',' | '\t';
}

/** A CSV or TSV table read by VAE.parseCSV (the reader of `vae train --csv`). */
export interface Table {
  readonly columns: readonly string[];
  readonly cols: number;
  readonly rows: number;
  /** [rows, cols] as read, in the order of `columns`. */
  readonly values: Float32Array;
  /** [rows], 0 normal, 1 anomaly, when a label column was read. */
  readonly labels: Int32Array | null;
  readonly label: string | null;
  /** One column's values (by name or 0-based index). */
  column(name: string | number): Float32Array;
  /** A fresh model with the spec fitted to the normal rows; defaults as `vae train --csv`
   * (encoder [64]; rows: likelihood 'student_t', activation 'identity', latent 16; windows:
   * 'gaussian_learned', 'relu', latent 8). `window` W > 0: W consecutive rows
   * are one input (time series). */
  createModel(options?: Pick<CreateConfig, 'encoder' | 'decoder' | 'latent' | 'activation' | 'likelihood' | 'sigma' | 'leakySlope' | 'seed'> & { window?: number }): Promise<TableModel>;
}

/** How a table model reads raw values: value x of column j enters as 0.5 + (x - mean_j) / (8 std_j). */
export interface TableSpec {
  readonly columns: readonly string[];
  readonly mean: readonly number[];
  readonly std: readonly number[];
  /** Each column's smallest gap between distinct training values (0 in files from before it). */
  readonly step: readonly number[];
  /** 0: a row is an input; W: W consecutive rows are. */
  readonly window: number;
  readonly label: string | null;
}

/** Raw rows of a table model: a Table (its columns picked by name) or values [n, cols]. */
export type Rows = Table | Batch;

export interface TableTrainer extends Omit<ModelTrainer, 'fit'> {
  /** Trains on a Table's normal rows (windows without a labelled anomaly) or raw rows. */
  fit(rows: Rows | Dataset): Promise<Uint8Array>;
}

/** A model trained on a table (`vae train --csv`, or Table.createModel), which VAE.load gives for such a
 * file: `VAE.load<TableModel>(url)`; its code (vae-table.js) runs in the training build. */
export interface TableModel extends Omit<Model, 'score' | 'trainer'> {
  readonly table: TableSpec;
  /** Text read as `vae score --csv` reads it for this model (its columns and label column). */
  parseCSV(text: string | ArrayBuffer | ArrayBufferView, options?: { delimiter?: ',' | '\t'; label?: string }): Promise<Table>;
  /** A score per row (per time point with a window: the mean over the windows covering it), as `vae score --csv`:
   * -log p(x) from `samples` importance samples (default 100, seed 1; 0: -ELBO at z = mu). */
  score(rows: Rows, options?: { samples?: number; seed?: Seed }): Float32Array;
  /** Defaults as `vae train --csv`: batchSize 64, lr 0.003, epochs for about 3000 steps (at least 10), and
   * fresh uniform noise one value step wide on every batch (`dequant: false`: none, as `--no-dequant`). */
  trainer(options?: TrainOptions & { dequant?: boolean }): TableTrainer;
}

export interface GridOptions {
  /** [channels (1 or 3), height, width]; default [1, 28, 28]. */
  shape?: [number, number, number] | readonly [number, number, number];
  /** Images per row (default: a square-ish grid). */
  cols?: number;
  /** Screen pixels per image pixel (default 1). */
  scale?: number;
  /** Grey pixels between images (default 1). */
  gap?: number;
}

export interface RGBAImage {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** HTMLCanvasElement, OffscreenCanvas, or a Node canvas package's canvas:
 * drawing uses only its 2d context's createImageData and putImageData. */
export interface CanvasLike {
  width: number;
  height: number;
  getContext(type: '2d'): any;
}

export interface InputOptions {
  /** Output side (default 28). */
  size?: number;
  /** The drawing is scaled to fit box x box (default 20). */
  box?: number;
  /** What counts as ink (default 'auto'). */
  ink?: 'auto' | 'alpha' | 'dark' | 'light';
}

export interface MemoryUse {
  wasmBytes: number;
  heapUsed: number;
}

export interface VAEApi {
  /** Loads the wasm (done implicitly by load/create). */
  init(options?: InitOptions): Promise<{ simd: boolean }>;
  /** A model file: an image model (Model), a word model (WordModel: `load<WordModel>(...)`) or a
   * sketch model (SketchModel), whose code (vae-seq.js and its wasm) is fetched only then, or a
   * table model (TableModel). */
  load<M extends Model | WordModel | SketchModel | TableModel = Model>(source: Source, options?: LoadOptions): Promise<M>;
  create(config: WordCreateConfig): Promise<WordModel>;
  create(config?: CreateConfig): Promise<Model>;
  /** IDX files, raw or gzip (inflated with DecompressionStream), parsed as `vae train` does. */
  readIDX(images: Source, labels?: Source): Promise<{ images: Float32Array; labels: Int32Array | null; n: number; rows: number; cols: number }>;
  /** Standard normals of the library's seeded generator. */
  randomNormal(count: number, seed: Seed): Promise<Float32Array>;
  /** wasm memory size and bytes in use by malloc, per instance: loaded
   * models live in `inference`, created or trained ones in `training`
   * (null until the training build is first used). */
  memory(): Promise<{ inference: MemoryUse; training: MemoryUse | null }>;
  imagesToRGBA(images: Batch, options?: GridOptions): RGBAImage;
  /** Draws into a canvas, resized to the grid. Without a canvas (plain Node) it throws a VAEError
   * (VAE_ERR_ARG): use imagesToRGBA for the pixels. */
  drawImages(canvas: CanvasLike, images: Batch, options?: GridOptions): CanvasLike;
  /** A drawing as an MNIST-style input: cropped, scaled into box x box, centre of mass centred. */
  imageDataToInput(image: RGBAImage | ImageData, options?: InputOptions): Float32Array;
  canvasToInput(canvas: CanvasLike, options?: InputOptions): Float32Array;
  /** A CSV or TSV table, read as `vae train --csv` reads it (the same one-line errors). */
  parseCSV(text: string | ArrayBuffer | ArrayBufferView, options?: CSVOptions): Promise<Table>;
  /** Inverse standard normal CDF. */
  probit(p: number): number;
  VAEError: typeof VAEError;
}

export const VAE: VAEApi;
export default VAE;
