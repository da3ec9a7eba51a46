// Uses the whole documented API as a TypeScript user would; types.test.mjs
// runs `tsc --strict --noEmit` on it (never executed). The @ts-expect-error
// lines must stay errors: the types reject what the library rejects.
import VAE, { VAEError, Model, Trainer, WorkerTrainer, serveTrainer } from 'vae-wasm';
import type { ErrorCode, ModelInfo, ProgressEvent, TrainOptions, Layer, RGBAImage, CanvasLike, WordModel, WordModelInfo, SketchModel, SketchModelInfo, Strokes, Table, TableModel } from 'vae-wasm';

declare const canvas: CanvasLike;
declare const bytes: Uint8Array;

async function main(): Promise<void> {
  const { simd } = await VAE.init({ simd: 'auto', wasm: 'vae-simd.wasm', trainWasm: 'vae-train-simd.wasm' });
  const model: Model = await VAE.load('models/mnist-vae.safetensors', { trainWasm: new URL('file:///x.wasm') });
  const info: ModelInfo = model.info;
  const side: number = info.imageShape[1] * info.imageShape[2] + (simd ? 0 : 1);
  const images: Float32Array = model.sample(16, { seed: 1n, temperature: 0.8 });
  const { mu, logvar } = model.encode(images, { labels: 3 });
  const again = model.decode(mu, { out: new Float32Array(images.length) });
  model.reconstruct([[0, 1], [1, 0]]);
  model.interpolate(mu.subarray(0, info.latent), logvar.subarray(0, info.latent), 8, { method: 'slerp', input: 'latent' });
  model.manifold(20, { dims: [0, 1], range: [0.05, 0.95] });
  model.attributeVector(images, again);
  const scores: Float32Array = model.score(images, { samples: 10, seed: 2 });
  const losses = model.evaluate({ images: new Uint8Array(784) }, { seed: 1, batchSize: 500 });
  const total: number = losses.loss + losses.reconstruction + losses.kl + scores[0] + side;
  const file: Uint8Array = model.toSafetensors({ dtype: 'f16', metadata: { author: 'me' } });
  model.decoderOnly().dispose();
  model.draw(canvas, images, { cols: 4, scale: 2, gap: 0 });

  const layers: Layer[] = [400, { linear: 3136, shape: [64, 7, 7] }, { conv: 32, kernel: 4, stride: 2, pad: 1 }];
  const fresh = await VAE.create({ encoder: layers, latent: 20, seed: 1, model: 'vae', likelihood: 'bernoulli' });
  const m2 = await VAE.create({ model: 'm2', classes: 10, classifier: [100], latent: 8 });
  await m2.trainer({ alpha: 5 }).fit({ images, labels: [3, -1] });
  const probs: Float32Array = await m2.classify(images);
  console.log(probs[0], m2.info.classifier?.[0], m2.info.model === 'm2');
  const options: TrainOptions = { epochs: 1, batchSize: 64, optimizer: 'adam', clip: 5, worker: true, snapshotEvery: 10 };
  const trainer = fresh.trainer(options);
  const off = trainer.on('progress', (e: ProgressEvent) => console.log(e.loss + e.eta + total));
  trainer.on('snapshot', (e) => VAE.load(e.weights));
  trainer.on('epoch', (e) => e.validation?.kl);
  off();
  if (trainer instanceof Trainer || trainer instanceof WorkerTrainer) trainer.pause();
  const weights: Uint8Array = await trainer.fit({ images, labels: [1, 2] });

  const { images: pixels, labels, rows } = await VAE.readIDX(bytes, bytes);
  const normals: Float32Array = await VAE.randomNormal(rows, 7);
  const memory = await VAE.memory();
  const rgba: RGBAImage = VAE.imagesToRGBA(pixels, { shape: [1, 28, 28], cols: 8 });
  VAE.drawImages(canvas, normals, { shape: info.imageShape });
  VAE.imageDataToInput(rgba, { size: 28, box: 20, ink: 'auto' });
  VAE.canvasToInput(canvas);
  const p: number = VAE.probit(0.975) + (labels?.[0] ?? 0);
  console.log(weights.length, file.length, memory, p);

  try {
    model.decode([1, 2, 3]);
  } catch (e) {
    if (e instanceof VAEError) {
      const code: ErrorCode = e.code;
      throw new VAE.VAEError(`again: ${e.message}`, code);
    }
  }
  await serveTrainer({ onMessage: (fn) => fn({}), post: (msg, transfer) => console.log(msg, transfer) });

  const words = await VAE.load<WordModel>('models/words-vae.safetensors', { seqWasm: 'vae-seq-simd.wasm', simd: true });
  const winfo: WordModelInfo = words.info;
  const drawn: string[] = words.sampleWords(10, { seed: 2n, temperature: 0.7 });
  const code = words.encodeWords(drawn.concat(winfo.vocab.slice(0, 3)));
  const back: string[] = words.decodeWords(code.mu, { temperature: 0, seed: 1 });
  const path: string[] = words.interpolateWords('cat', 'dog', 6, { method: 'slerp' });
  console.log(back, path, words.encodeWords('cat').logvar.length + winfo.maxLength, words.disposed);
  const wfresh: WordModel = await VAE.create({ model: 'words', vocab: 'abc', maxLength: 8, hidden: 32, seed: 3n });
  const wt = wfresh.trainer({ epochs: 2, batchSize: 16, dropout: 0.2, worker: true });
  wt.on('epoch', (e) => console.log(e.heldOut.bound, e.heldOut.accuracy ?? 0));
  wt.on('progress', (e) => console.log(e.wordsPerSecond + e.beta));
  const trained: Uint8Array = await wt.fit({ words: ['ab', 'cab'] });
  console.log(trained.length, wfresh.toSafetensors({ dtype: 'f16' }).length);
  // @ts-expect-error: word trainers have no image options
  wfresh.trainer({ noise: 'mask' });
  words.dispose();
  // @ts-expect-error: words are strings
  words.encodeWords([1, 2]);
  // @ts-expect-error: an image model has no sampleWords
  model.sampleWords(3);

  const sketch = await VAE.load<SketchModel>('models/hanzi-sketch-vae.safetensors');
  const sinfo: SketchModelInfo = sketch.info;
  const drawing: Strokes = sketch.sampleStrokes({ seed: 3, temperature: 0.3, maxSteps: sinfo.maxLength });
  const { mu: code0 } = sketch.encodeStrokes(drawing);
  const redrawn: Strokes = sketch.decodeStrokes(code0, { temperature: 0, seed: 1n });
  const done: Strokes = sketch.complete([[[0, 0], [10, 5]]], { temperature: 0.2 });
  const morph: Strokes[] = sketch.interpolateStrokes(drawing, redrawn, 5, { method: 'linear' });
  sketch.drawStrokes({ width: 64, height: 64, getContext: () => null }, done);
  const shown: Promise<void> = sketch.drawStrokes({ width: 64, height: 64, getContext: () => null }, done, { animate: true, box: [-512, -512, 512, 512] });
  console.log(morph.length, shown, sinfo.latent + sinfo.mixtures);
  // @ts-expect-error: points are [x, y]
  sketch.encodeStrokes([[1, 2]]);
  sketch.dispose();

  const table: Table = await VAE.parseCSV('t,v\n1,2\n2,3\n', { columns: ['v', 1], label: 't', labelOptional: true, delimiter: ',' });
  const tm: TableModel = await table.createModel({ window: 2, latent: 4, seed: 1 });
  await tm.trainer({ worker: true, epochs: 2 }).fit(table);
  const pointScores: Float32Array = tm.score(await tm.parseCSV('v\n1\n2\n'));
  const loaded = await VAE.load<TableModel>(tm.toSafetensors());
  console.log(pointScores, loaded.score([[1], [2]]), loaded.table.mean[0], table.column('v'), table.labels?.[0]);
  // @ts-expect-error: the window is a number
  table.createModel({ window: '2' });

  // @ts-expect-error: an unknown option
  model.sample(4, { temprature: 1 });
  // @ts-expect-error: not a method
  model.generate(4);
  // @ts-expect-error: not a code
  new VAEError('x', 'VAE_ERR_NOPE');
  // @ts-expect-error: models come from load/create
  new Model();
  fresh.dispose();
  model.dispose();
}
main();
