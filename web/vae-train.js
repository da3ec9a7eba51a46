/* vae-wasm's training loops, loaded with the training wasm on a model's
 * first fit() (or by the training worker), so that a page that only shows
 * models never fetches them. vae.js keeps the trainers' objects (options,
 * events, pause/resume/cancel) and calls in here; vae.single.js inlines this
 * file. No imports: vae.js hands over what the loops need. */
export default function training({ fail, VAEError, init, load, isNode, MAX_NONFINITE_RUN, TRAINER_CONFIG, single }) {
  /* setImmediate in Node; a MessageChannel round trip in browsers, which,
   * unlike setTimeout, is not clamped to 4 ms. */
  let yieldNow = null;
  function nextTick() {
    if (!yieldNow) {
      if (typeof setImmediate === 'function') yieldNow = () => new Promise((r) => setImmediate(r));
      else {
        const ch = new MessageChannel(), waiting = [];
        ch.port1.onmessage = () => waiting.shift()();
        yieldNow = () => new Promise((r) => (waiting.push(r), ch.port2.postMessage(0)));
      }
    }
    return yieldNow();
  }

  /* Waits for the next turn of the event loop, and while paused. */
  async function gate(t) {
    await nextTick();
    while (t.state === 'paused' && !t._cancel) await new Promise((r) => (t._resume = r));
    t._resume = null;
    if (t._cancel) fail('fit: training cancelled', 'ABORTED');
  }

  /* Trainer.fit: the epochs in this thread, one step per turn of the event
   * loop; resolves with the final weights (safetensors bytes). */
  async function fit(t, dataset) {
    if (t._model._fit) return t._model._fit(t, dataset, { gate, skipStep }); // a word model's own loop
    const o = t._o, m = t._model, D = m.info.inputSize;
    const allocs = [], handles = [];
    let pool = null;
    await m._toTraining();
    const rt = m._runtime, x = rt.x;
    try {
      const { images, labels, n } = m._dataset('fit', dataset);
      const validation = o.validation && m._dataset('fit: validation', o.validation);
      const B = Math.min(o.batchSize, n), stepsPerEpoch = Math.ceil(n / o.batchSize);
      const warmup = o.warmupSteps ?? o.warmupEpochs * stepsPerEpoch;
      if (warmup > 0x7fffffff) fail('fit: warmupEpochs is too large');
      // M2: the paper's alpha = 0.1 N / labelled per labelled image, in float as vae train --model m2
      const labelled = labels ? labels.reduce((k, l) => k + (l >= 0), 0) : 0;
      const alpha = o.alpha ?? (m.info.classifier && labelled ? Math.fround(Math.fround(Math.fround(0.1) * n) / labelled) : undefined);
      const config = JSON.stringify({ ...o, warmupSteps: warmup, alpha }, TRAINER_CONFIG); // the options the C trainer takes
      const h = rt.scope('fit', (mem) => x.vw_trainer_create(t._handle('fit'), mem.cstring(config), o.seed + 1n));
      if (!h) throw rt.error('fit');
      handles.push(h);
      const data = rt.rng('fit', o.seed + 2n);
      handles.push(data);
      const alloc = (bytes) => (allocs.push(rt.alloc('fit', bytes)), allocs.at(-1));
      const xb = alloc(4 * B * D), yb = labels ? alloc(4 * B) : 0, perm = alloc(4 * n), stats = alloc(56);
      // a table model's dequantising noise (vae-table.js), from its own generator as in vae train --csv
      const dequant = t._dequant && alloc(4 * D), noise = dequant && rt.rng('fit', o.seed + 4n);
      if (dequant) {
        new Float32Array(rt.buffer, dequant, D).set(t._dequant);
        handles.push(noise);
      }
      // the KL sparsity penalty needs the whole batch; vae.single.js has no vae-worker.js beside it
      const workers = o.workers || (single || o.sparsity === 'kl' ? 1 : Math.min(4, await cores()));
      if (workers > 1) pool = await startPool(t, rt, h, workers, { config, B, D, xb, yb, stats, alloc });
      const start = performance.now(), total = o.epochs * stepsPerEpoch;
      const run = { nonfinite: 0 };
      let done = 0;
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        rt.check('fit', x.vw_rng_permutation(data, perm, n));
        const order = new Int32Array(rt.buffer, perm, n).slice();
        const t0 = performance.now();
        let seen = 0, sum = 0;
        run.skipped = 0;
        for (let i = 0, step = 1; i < n; i += o.batchSize, step++) {
          await gate(t);
          const nb = Math.min(o.batchSize, n - i), xs = new Float32Array(rt.buffer, xb, nb * D);
          for (let k = 0; k < nb; k++) xs.set(images.subarray(order[i + k] * D, (order[i + k] + 1) * D), k * D);
          if (dequant) rt.check('fit', x.vw_dequant(noise, dequant, xb, nb, D));
          if (yb) new Int32Array(rt.buffer, yb, nb).set(Array.from(order.subarray(i, i + nb), (r) => labels[r]));
          const status = pool ? await pool.step(nb) : x.vw_trainer_step(h, xb, yb, nb, stats);
          done++;
          if (status) {
            skipStep(pool ? pool.error : rt.error('fit'), run);
            continue;
          }
          run.nonfinite = 0;
          const [loss, rec, kl, , betaUsed, , penalty] = new Float64Array(rt.buffer, stats, 7);
          sum += loss * nb;
          seen += nb;
          const now = performance.now(), elapsed = (now - start) / 1000;
          t._emit('progress', {
            epoch, epochs: o.epochs, step, stepsPerEpoch, totalStep: done, totalSteps: total,
            loss, reconstruction: rec, kl, penalty, beta: betaUsed, epochLoss: sum / seen,
            imagesPerSecond: (i + nb) / ((now - t0) / 1000), elapsed, eta: (elapsed / done) * (total - done),
          });
          if (o.snapshotEvery && done % o.snapshotEvery === 0) {
            await pool?.sync();
            t._emit('snapshot', { epoch, step, totalStep: done, weights: m.toSafetensors() });
          }
        }
        const event = { epoch, epochs: o.epochs, loss: seen ? sum / seen : NaN, skipped: run.skipped, seconds: (performance.now() - t0) / 1000 };
        if (validation) {
          await pool?.sync();
          event.validation = m.evaluate(validation);
        }
        t._emit('epoch', event);
      }
      await pool?.sync();
      return m.toSafetensors();
    } finally {
      await pool?.close();
      for (const h of handles) x.vw_release(h);
      for (const p of allocs) x.free(p);
    }
  }

  /* After a failed step: a non-finite one is skipped (counted in run), up to
   * MAX_NONFINITE_RUN in a row; any other error ends the fit. */
  function skipStep(e, run) {
    if (e.code !== 'VAE_ERR_NONFINITE') throw e;
    run.skipped++;
    if (++run.nonfinite === MAX_NONFINITE_RUN)
      fail(`fit: training diverged: ${run.nonfinite} steps in a row were not finite (try a lower lr or clip)`, 'VAE_ERR_NONFINITE');
  }

  async function cores() {
    return isNode ? (await import('node:os')).availableParallelism() : navigator.hardwareConcurrency || 1;
  }

  /* A Worker running vae-worker.js (t._workerUrl: tests), its messages as a
   * promise per request; a failure rejects the pending and every later one. */
  async function spawn(t) {
    const url = t._workerUrl ?? new URL('./vae-worker.js', import.meta.url);
    const w = isNode ? new (await import('node:worker_threads')).Worker(url) : new Worker(url, { type: 'module', name: 'vae-wasm replica' });
    let pending = null, failed = null;
    const settle = (msg) => {
      const p = pending;
      pending = null;
      if (msg.type === 'error') failed ??= new VAEError(`fit: a training worker failed: ${msg.message}`, msg.code ?? 'VAE_ERR_STATE');
      if (p) failed ? p.reject(failed) : p.resolve(msg);
    };
    const onError = (e) => settle({ type: 'error', message: e.message ?? String(e) });
    if (isNode) w.on('message', settle).on('error', onError).on('exit', (code) => settle({ type: 'error', message: `exited (${code})` }));
    else w.addEventListener('message', (e) => settle(e.data)), w.addEventListener('error', (e) => (e.preventDefault(), onError(e)));
    return {
      w,
      ask(msg, transfer) {
        if (failed) return Promise.reject(failed);
        return new Promise((resolve, reject) => ((pending = { resolve, reject }), w.postMessage(msg, transfer)));
      },
    };
  }

  /* trainer({workers: N}): data parallel, one replica per Worker, no shared
   * memory. Each step the coordinator (this thread's trainer h) draws the
   * batch's randomness and posts each worker its share (images, noisy
   * inputs, eps, labels). Each worker computes its share's gradient and
   * posts it straight to every other worker (MessageChannels between them),
   * and every replica sums the K gradients in vae.h's fixed tree and takes
   * the same Adam step: the replicas stay identical bit for bit, and the
   * weights never cross a thread during training (this thread takes them
   * from replica 0 for snapshots, validation and the end). All buffers are
   * transferred and come back to be reused: a step allocates nothing
   * (fresh multi-megabyte buffers cost page faults and GC). */
  async function startPool(t, rt, h, N, { config, B, D, xb, yb, stats, alloc }) {
    const x = rt.x, m = t._model, P = Number(x.vw_model_param_count(t._handle('fit')));
    const eps = alloc(4 * x.vw_trainer_eps_count(h, 0, B)), noisy = alloc(4 * B * D), first = alloc(8);
    const trainRt = await rt.training(), workers = [];
    let failed = false;
    const end = () => Promise.all(workers.map((s) => s.w.terminate()));
    t._pool = workers; // tests: every worker ends
    try {
      for (let i = 0; i < N; i++) workers.push(await spawn(t));
      const weights = m.toSafetensors(), ports = workers.map(() => Array(N).fill(null));
      for (let i = 0; i < N; i++)
        for (let j = i + 1; j < N; j++) {
          const c = new MessageChannel();
          (ports[i][j] = c.port1), (ports[j][i] = c.port2);
        }
      await Promise.all(workers.map((s, i) =>
        s.ask({ type: 'replica', module: trainRt.module, simd: rt.simd, weights, config, B, N, index: i, ports: ports[i] }, ports[i].filter(Boolean))));
    } catch (e) {
      await end();
      throw e;
    }
    const noise = !!t._o.noise, bufs = [], timing = t._timing; // an array: tests/bench/bench-workers.mjs
    /* Share i's message: its buffer holds [x | noisy x | eps | labels]. */
    const share = (i, K, nb) => {
      const n = x.vw_batch_share(nb, K, i, first), f = new Int32Array(rt.buffer, first, 1)[0];
      const e0 = x.vw_trainer_eps_count(h, yb, f), e = x.vw_trainer_eps_count(h, yb, f + n) - e0;
      const floats = n * D * (noise ? 2 : 1) + e + (yb ? n : 0);
      if (!bufs[i] || bufs[i].byteLength < 4 * floats) bufs[i] = new ArrayBuffer(4 * floats);
      const mem = rt.buffer;
      let at = 0;
      const put = (ptr, Type, from, count) => (new Type(bufs[i], 4 * at, count).set(new Type(mem, ptr + 4 * from, count)), (at += count));
      put(xb, Float32Array, f * D, n * D);
      if (noise) put(noisy, Float32Array, f * D, n * D);
      put(eps, Float32Array, e0, e);
      if (yb) put(yb, Int32Array, f, n);
      return { type: 'share', K, batchN: nb, n, e, noise, labels: !!yb, buf: bufs[i] };
    };
    const pool = {
      error: null,
      async step(nb) {
        const t0 = performance.now(), status = x.vw_trainer_draw(h, xb, yb, nb, eps, noisy);
        if (status) return (pool.error = rt.error('fit')), status;
        const K = Math.min(N, nb), msgs = workers.map((s, i) => (i < K ? share(i, K, nb) : { type: 'share', K, n: 0 }));
        const t1 = performance.now();
        const replies = await Promise.all(workers.map((s, i) => s.ask(msgs[i], msgs[i].buf ? [msgs[i].buf] : []).catch((e) => {
          failed = true;
          throw e;
        })));
        replies.forEach((r, i) => r.buf && (bufs[i] = r.buf));
        const r = replies[0]; // every replica took the same step
        new Float64Array(rt.buffer, stats, 7).set(r.stats);
        pool.error = r.status ? new VAEError(r.message, r.code) : null;
        // tests/bench/bench-workers.mjs: a step's parts in ms (drawing and sending the shares; of the slowest
        // replica: its share's compute, its copies, waiting for the others' gradients, the tree sum and Adam;
        // the round trip in all)
        if (timing) {
          const slow = replies.reduce((a, b) => (b.ms[0] > a.ms[0] ? b : a)).ms;
          timing.push({ send: t1 - t0, compute: slow[0], copy: slow[1], peers: slow[2], apply: slow[3], wait: performance.now() - t1 });
        }
        return r.status;
      },
      /* Replica 0's weights into this thread's model. */
      async sync() {
        const r = await workers[0].ask({ type: 'weights' });
        new Float32Array(rt.buffer, x.vw_model_params(t._handle('fit')), P).set(new Float32Array(r.buf));
      },
      /* Ends every worker, first taking the weights when they are sound. */
      async close() {
        try {
          if (!failed) await pool.sync();
        } finally {
          await end();
        }
      },
    };
    return pool;
  }

  /* A replica: a trainer of the coordinator's weights computing shares and
   * stepping with the sum of every share's gradient. Peers' gradients may
   * arrive before this replica's own share message: each is copied into its
   * slot as it comes, and the step is taken when all K are in. */
  async function serveReplica(port, msg, state) {
    if (msg.type === 'replica') {
      await init({ wasm: msg.module, simd: msg.simd, training: true });
      const model = await load(msg.weights);
      await model._toTraining();
      const tr = model.trainer({ workers: 1 }), rt = model._runtime, x = rt.x, mh = tr._handle('fit');
      const h = rt.scope('fit', (mem) => x.vw_trainer_create(mh, mem.cstring(msg.config), 1n));
      if (!h) throw rt.error('fit');
      const N = msg.N, P = Number(x.vw_model_param_count(mh)), D = model.info.inputSize, a = (bytes) => rt.alloc('fit', bytes);
      const L = x.vw_trainer_eps_count(h, 0, msg.B), grads = Array.from({ length: N }, () => a(4 * P)), ptrs = a(4 * N);
      new Uint32Array(rt.buffer, ptrs, N).set(grads);
      Object.assign(state, { model, rt, x, h, mh, N, P, D, me: msg.index, grads, ptrs, xs: a(4 * msg.B * D), xin: a(4 * msg.B * D),
        ys: a(4 * msg.B), eps: a(4 * L), sums: a(64 * N), stats: a(56), got: 0, copyIn: 0, spare: [], step: null });
      state.peers = msg.ports.map((p, j) => {
        if (!p) return null;
        p.onmessage = (e) => { // a peer's gradient (then handed back), or one of ours handed back
          const d = e.data;
          if (d.back) return state.spare.push(d.back);
          const t0 = performance.now();
          new Float64Array(rt.buffer, state.sums + 64 * j, 8).set(new Float64Array(d.buf, 0, 8));
          new Float32Array(rt.buffer, grads[j], P).set(new Float32Array(d.buf, 64, P));
          p.postMessage({ back: d.buf }, [d.buf]);
          state.copyIn += performance.now() - t0;
          state.got++;
          ready(port, state);
        };
        return p;
      });
      return port.post({ type: 'ready' });
    }
    const { rt, x, P, D, me } = state;
    if (msg.type === 'weights') {
      const w = new Float32Array(rt.buffer, x.vw_model_params(state.mh), P).slice();
      return port.post({ buf: w.buffer }, [w.buffer]);
    }
    const { n, e, buf } = msg, t0 = performance.now();
    state.step = { K: msg.K, buf, t0, ms: [0, 0, 0, 0] };
    if (me < msg.K) {
      const mem = rt.buffer;
      let at = 0;
      const take = (ptr, Type, count) => (new Type(mem, ptr, count).set(new Type(buf, 4 * at, count)), (at += count));
      take(state.xs, Float32Array, n * D);
      if (msg.noise) take(state.xin, Float32Array, n * D);
      take(state.eps, Float32Array, e);
      if (msg.labels) take(state.ys, Int32Array, n);
      const t1 = performance.now(), g = state.grads[me], sums = state.sums + 64 * me;
      rt.check('fit', x.vw_trainer_share(state.h, state.xs, msg.noise ? state.xin : 0, msg.labels ? state.ys : 0, n, msg.batchN, state.eps, g, sums));
      const t2 = performance.now();
      for (const p of state.peers) {
        if (!p) continue;
        const out = state.spare.pop() ?? new ArrayBuffer(4 * P + 64);
        new Float64Array(out, 0, 8).set(new Float64Array(rt.buffer, sums, 8)); // [sums | gradient]
        new Float32Array(out, 64, P).set(new Float32Array(rt.buffer, g, P));
        p.postMessage({ buf: out }, [out]);
      }
      state.step.ms[0] = t2 - t1, state.step.ms[1] = t1 - t0 + performance.now() - t2;
      state.got++;
    }
    ready(port, state);
  }

  /* Steps once this replica holds all K gradients of the batch. */
  function ready(port, state) {
    const s = state.step;
    if (!s || state.got < s.K) return;
    const { rt, x } = state, t0 = performance.now();
    state.step = null, state.got = 0;
    const status = x.vw_trainer_apply(state.h, state.ptrs, state.sums, s.K, state.stats);
    const e = status ? rt.error('fit') : null;
    s.ms[1] += state.copyIn, (state.copyIn = 0);
    s.ms[3] = performance.now() - t0, s.ms[2] = t0 - s.t0 - s.ms[0] - s.ms[1];
    const stats = new Float64Array(rt.buffer, state.stats, 7).slice();
    port.post({ type: 'stepped', status, message: e?.message, code: e?.code, stats, ms: s.ms, buf: s.buf }, s.buf ? [s.buf] : []);
  }

  /* WorkerTrainer.fit: the same trainer in a module Worker (browser) or a
   * worker_threads Worker (Node) running t.url; the model is copied in, and
   * takes the trained weights when fit() resolves (or is cancelled). */
  async function fitInWorker(t, dataset) {
    const m = t._model, rt = m._runtime;
    // a word model names its module (seq: the worker loads the model into it) and its words
    const job = m._workerJob ? await m._workerJob(dataset) : { module: (await rt.training()).module, data: images(dataset) };
    const worker = isNode
      ? new (await import('node:worker_threads')).Worker(t.url)
      : new Worker(t.url, { type: 'module', name: 'vae-wasm trainer' });
    const listen = (type, fn) => (isNode ? worker.on(type, fn) : worker.addEventListener(type, (e) => fn(type === 'message' ? e.data : e)));
    t._post = (msg, transfer) => worker.postMessage(msg, transfer);
    try {
      return await new Promise((resolve, reject) => {
        listen('message', (msg) => {
          if (msg.type === 'event') return t._emit(msg.name, msg.event);
          if (msg.weights) m._adopt(msg.weights);
          if (msg.type === 'done') resolve(msg.weights);
          else reject(new VAEError(msg.message, msg.code));
        });
        listen('error', (e) => reject(new VAEError(`fit: the training worker failed: ${e.message}`, 'VAE_ERR_STATE')));
        t._post({ type: 'fit', module: job.module, seq: job.seq, simd: rt.simd, weights: m.toSafetensors(), options: t._opts, dataset: job.data });
        for (const type of t._early.splice(0)) t._post({ type }); // pause/cancel before the worker existed
      });
    } finally {
      t._post = null;
      worker.terminate();
    }
  }

  /* An image dataset as the worker takes it: the worker converts and checks
   * the data (the same checks as in this thread): scanning or converting
   * 10,000 images here would stall the page. */
  function images(dataset) {
    if (!dataset || typeof dataset !== 'object' || !dataset.images) fail('fit: expected a dataset {images, labels?}');
    const own = (a) => (ArrayBuffer.isView(a) && a.byteLength !== a.buffer.byteLength ? a.slice() : a);
    return { images: own(dataset.images), labels: own(dataset.labels) };
  }

  /* serveTrainer: the worker side of WorkerTrainer. */
  function serveTrainer(port) {
    let trainer = null;
    const early = [];
    const replica = {};
    port.onMessage(async (msg) => {
      if (msg.type === 'replica' || msg.type === 'share' || msg.type === 'weights')
        return serveReplica(port, msg, replica).catch((e) => port.post({ type: 'error', message: e.message, code: e.code }));
      if (msg.type !== 'fit') return trainer ? trainer[msg.type]() : early.push(msg.type);
      let model = null;
      try {
        if (!msg.seq) await init({ wasm: msg.module, simd: msg.simd, training: true });
        model = await load(msg.weights, msg.seq ? { seqWasm: msg.module, simd: msg.simd } : undefined);
        trainer = model.trainer({ workers: 1, ...msg.options });
        for (const type of early) trainer[type]();
        for (const name of ['progress', 'epoch', 'snapshot'])
          trainer.on(name, (event) => port.post({ type: 'event', name, event }, event.weights ? [event.weights.buffer] : []));
        const weights = await trainer.fit(msg.dataset);
        port.post({ type: 'done', weights }, [weights.buffer]);
      } catch (e) {
        const weights = e.code === 'ABORTED' ? model.toSafetensors() : undefined;
        port.post({ type: 'error', message: e.message, code: e.code ?? 'VAE_ERR_STATE', weights }, weights ? [weights.buffer] : []);
      } finally {
        model?.dispose();
      }
    });
  }

  /* Model.classify: M2's q(y|x) ([n, classes]) of checked images x = {data, n}. */
  function classify(m, h, { data, n }) {
    const C = m.info.classes, rt = m._runtime;
    if (!m.info.classifier) fail('classify: only M2 models classify (this one has no classifier)', 'VAE_ERR_STATE');
    return rt.scope('classify', (mem) => {
      const probs = mem.alloc(4 * n * C);
      rt.check('classify', rt.x.vw_classify(h, mem.f32(data), n, probs));
      return mem.readF32(probs, n * C);
    });
  }

  return { fit, fitInWorker, serveTrainer, classify };
}
