/* The training worker of vae-wasm: started by model.trainer({worker: true})
 * as a module Web Worker (browser) or a worker_threads Worker (Node). It
 * receives the compiled wasm module, the weights and the data set, trains
 * with the same Trainer as the main thread, and posts the events back. */
import { serveTrainer } from './vae.js';

const port = typeof self === 'object' && typeof self.postMessage === 'function'
  ? { onMessage: (fn) => (self.onmessage = (e) => fn(e.data)), post: (msg, transfer) => self.postMessage(msg, transfer) }
  : await import('node:worker_threads').then(({ parentPort }) => ({
    onMessage: (fn) => parentPort.on('message', fn),
    post: (msg, transfer) => parentPort.postMessage(msg, transfer),
  }));

serveTrainer(port);
