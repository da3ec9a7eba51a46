/* Uses the single-file build (wasm inlined) as a copy-paste embed would:
 * load a model, sample, draw. The result goes into #result. */
import { VAE } from '../vae.single.js';

const result = document.getElementById('result');
try {
  const model = await VAE.load('../models/mnist-vae.safetensors');
  const images = model.sample(16, { seed: 1 });
  model.draw(document.getElementById('out'), images, { cols: 4, scale: 3 });
  result.dataset.sum = images.reduce((a, b) => a + b, 0);
  result.dataset.simd = model.info.simd;
  model.dispose();
  result.textContent = 'ok';
} catch (e) {
  result.textContent = `failed: ${e.message}`;
}
