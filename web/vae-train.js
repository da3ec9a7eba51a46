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
      // the KL sparsity penalty needs the whole batch; vae.single.js has no vae-worker.js beside it
      const workers = o.workers || (single || o.sparsity === 'kl' ? 1 : Math.min(4, await cores()));
      if (workers > 1) pool = await startPool(t, rt, h, workers, { config, B, D, xb, yb, stats, alloc });
      const start = performance.now(), total = o.epochs * stepsPerEpoch;
      let done = 0, nonfinite = 0;
      for (let epoch = 1; epoch <= o.epochs; epoch++) {
        rt.check('fit', x.vw_rng_permutation(data, perm, n));
        const order = new Int32Array(rt.buffer, perm, n).slice();
        const t0 = performance.now();
        let seen = 0, sum = 0, skipped = 0;
        for (let i = 0, step = 1; i < n; i += o.batchSize, step++) {
          await gate(t);
          const nb = Math.min(o.batchSize, n - i), xs = new Float32Array(rt.buffer, xb, nb * D);
          for (let k = 0; k < nb; k++) xs.set(images.subarray(order[i + k] * D, (order[i + k] + 1) * D), k * D);
          if (yb) new Int32Array(rt.buffer, yb, nb).set(Array.from(order.subarray(i, i + nb), (r) => labels[r]));
          const status = pool ? await pool.step(nb) : x.vw_trainer_step(h, xb, yb, nb, stats);
          done++;
          if (status) {
            const e = rt.error('fit');
            if (e.code !== 'VAE_ERR_NONFINITE') throw e;
            skipped++;
            if (++nonfinite === MAX_NONFINITE_RUN)
              fail(`fit: training diverged: ${nonfinite} steps in a row were not finite (try a lower lr or clip)`, 'VAE_ERR_NONFINITE');
            continue;
          }
          nonfinite = 0;
          const [loss, rec, kl, , betaUsed, , penalty] = new Float64Array(rt.buffer, stats, 7);
          sum += loss * nb;
          seen += nb;
          const now = performance.now(), elapsed = (now - start) / 1000;
          t._emit('progress', {
            epoch, epochs: o.epochs, step, stepsPerEpoch, totalStep: done, totalSteps: total,
            loss, reconstruction: rec, kl, penalty, beta: betaUsed, epochLoss: sum / seen,
            imagesPerSecond: (i + nb) / ((now - t0) / 1000), elapsed, eta: (elapsed / done) * (total - done),
          });
          if (o.snapshotEvery && done % o.snapshotEvery === 0)
            t._emit('snapshot', { epoch, step, totalStep: done, weights: m.toSafetensors() });
        }
        const event = { epoch, epochs: o.epochs, loss: seen ? sum / seen : NaN, skipped, seconds: (performance.now() - t0) / 1000 };
        if (validation) event.validation = m.evaluate(validation);
        t._emit('epoch', event);
      }
      return m.toSafetensors();
    } finally {
      await pool?.close();
      for (const h of handles) x.vw_release(h);
      for (const p of allocs) x.free(p);
    }
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
   * batch's randomness, posts each worker its share (images, noisy inputs,
   * labels, eps, and the weights of the last step: transferred
   * ArrayBuffers), sums the gradients in vae.h's fixed tree and steps. */
  async function startPool(t, rt, h, N, { config, B, D, xb, yb, stats, alloc }) {
    const x = rt.x, m = t._model, P = Number(x.vw_model_param_count(t._handle('fit')));
    const eps = alloc(4 * x.vw_trainer_eps_count(h, 0, B)), noisy = alloc(4 * B * D);
    const grads = Array.from({ length: N }, () => alloc(4 * P)), ptrs = alloc(4 * N), sums = alloc(64 * N), first = alloc(8);
    new Uint32Array(rt.buffer, ptrs, N).set(grads);
    const trainRt = await rt.training(), workers = [];
    const close = () => Promise.all(workers.map((s) => s.w.terminate()));
    t._pool = workers; // tests: every worker ends
    try {
      for (let i = 0; i < N; i++) workers.push(await spawn(t));
      const weights = m.toSafetensors();
      await Promise.all(workers.map((s) => s.ask({ type: 'replica', module: trainRt.module, simd: rt.simd, weights, config, B })));
    } catch (e) {
      await close();
      throw e;
    }
    const noise = !!t._o.noise, pbuf = alloc(4 * P);
    let steps = 0; // the coordinator's, which the replicas follow (KL warm-up)
    const share = (i, K, nb) => {
      const n = x.vw_batch_share(nb, K, i, first), f = new Int32Array(rt.buffer, first, 1)[0];
      const e0 = x.vw_trainer_eps_count(h, yb, f), e1 = x.vw_trainer_eps_count(h, yb, f + n);
      const part = (ptr, Type, from, to) => new Type(rt.buffer, ptr, to).slice(from, to);
      return { n, x: part(xb, Float32Array, f * D, (f + n) * D), xin: noise ? part(noisy, Float32Array, f * D, (f + n) * D) : null,
        y: yb ? part(yb, Int32Array, f, f + n) : null, eps: part(eps, Float32Array, e0, e1) };
    };
    return {
      close,
      async step(nb) {
        const status = x.vw_trainer_draw(h, xb, yb, nb, eps, noisy);
        if (status) return status;
        const K = Math.min(N, nb);
        rt.check('fit', x.vw_model_params_copy(t._handle('fit'), pbuf));
        const replies = await Promise.all(workers.slice(0, K).map((s, i) => {
          const msg = { type: 'share', batchN: nb, steps, params: new Float32Array(rt.buffer, pbuf, P).slice(), ...share(i, K, nb) };
          return s.ask(msg, [msg.x, msg.xin, msg.y, msg.eps, msg.params].filter(Boolean).map((v) => v.buffer));
        }));
        replies.forEach((r, i) => { // in share order, whatever order they arrived in
          new Float32Array(rt.buffer, grads[i], P).set(r.grads);
          new Float64Array(rt.buffer, sums + 64 * i, 8).set(r.sums);
        });
        const applied = x.vw_trainer_apply(h, ptrs, sums, K, stats);
        if (!applied) steps++;
        return applied;
      },
    };
  }

  /* A replica: a trainer of the coordinator's weights computing shares. */
  async function serveReplica(port, msg, state) {
    if (msg.type === 'replica') {
      await init({ wasm: msg.module, simd: msg.simd, training: true });
      const model = await load(msg.weights);
      await model._toTraining();
      const tr = model.trainer({ workers: 1 }), rt = model._runtime, x = rt.x, mh = tr._handle('fit');
      const h = rt.scope('fit', (mem) => x.vw_trainer_create(mh, mem.cstring(msg.config), 1n));
      if (!h) throw rt.error('fit');
      const P = Number(x.vw_model_param_count(mh)), D = model.info.inputSize, a = (bytes) => rt.alloc('fit', bytes);
      const L = x.vw_trainer_eps_count(h, 0, msg.B);
      Object.assign(state, { model, rt, x, h, P, xs: a(4 * msg.B * D), xin: a(4 * msg.B * D), ys: a(4 * msg.B), eps: a(4 * L),
        g: a(4 * P), sums: a(64), params: a(4 * P) });
      return port.post({ type: 'ready' });
    }
    const { rt, x, h, P } = state;
    new Float32Array(rt.buffer, state.params, P).set(msg.params);
    rt.check('fit', x.vw_trainer_sync(h, state.params, msg.steps));
    new Float32Array(rt.buffer, state.xs, msg.x.length).set(msg.x);
    if (msg.xin) new Float32Array(rt.buffer, state.xin, msg.xin.length).set(msg.xin);
    if (msg.y) new Int32Array(rt.buffer, state.ys, msg.n).set(msg.y);
    new Float32Array(rt.buffer, state.eps, msg.eps.length).set(msg.eps);
    rt.check('fit', x.vw_trainer_share(h, state.xs, msg.xin ? state.xin : 0, msg.y ? state.ys : 0, msg.n, msg.batchN, state.eps, state.g, state.sums));
    const grads = new Float32Array(rt.buffer, state.g, P).slice(), sums = new Float64Array(rt.buffer, state.sums, 8).slice();
    port.post({ type: 'grads', grads, sums }, [grads.buffer]);
  }

  /* WorkerTrainer.fit: the same trainer in a module Worker (browser) or a
   * worker_threads Worker (Node) running t.url; the model is copied in, and
   * takes the trained weights when fit() resolves (or is cancelled). */
  async function fitInWorker(t, dataset) {
    const m = t._model, rt = m._runtime;
    if (!dataset || typeof dataset !== 'object' || !dataset.images) fail('fit: expected a dataset {images, labels?}');
    // The worker converts and checks the data (the same checks as in this
    // thread): scanning or converting 10,000 images here would stall the page.
    const own = (a) => (ArrayBuffer.isView(a) && a.byteLength !== a.buffer.byteLength ? a.slice() : a);
    const images = own(dataset.images), labels = own(dataset.labels);
    const trainRt = await rt.training(); // compiled here once, posted to the worker
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
        t._post({
          type: 'fit', module: trainRt.module, simd: rt.simd, weights: m.toSafetensors(), options: t._opts,
          dataset: { images, labels },
        });
        for (const type of t._early.splice(0)) t._post({ type }); // pause/cancel before the worker existed
      });
    } finally {
      t._post = null;
      worker.terminate();
    }
  }

  /* serveTrainer: the worker side of WorkerTrainer. */
  function serveTrainer(port) {
    let trainer = null;
    const early = [];
    const replica = {};
    port.onMessage(async (msg) => {
      if (msg.type === 'replica' || msg.type === 'share')
        return serveReplica(port, msg, replica).catch((e) => port.post({ type: 'error', message: e.message, code: e.code }));
      if (msg.type !== 'fit') return trainer ? trainer[msg.type]() : early.push(msg.type);
      let model = null;
      try {
        await init({ wasm: msg.module, simd: msg.simd, training: true });
        model = await load(msg.weights);
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
