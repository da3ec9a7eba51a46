/* The pictures of the mnist-m2-100 model card, drawn by vae.js in headless
 * Chromium: samples per class (M2 draws M1's latent means for a chosen digit,
 * M1's decoder draws them) and the confusion matrix that `vae classify
 * --labels` printed (CONFUSION: its output, a file).
 * Usage (after build-wasm.sh and build-demo.sh, which copy pretrained/ to
 * web/dist/models/): node tools/m2_card.mjs CONFUSION OUT_DIR */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { start, watchedPage } from '../tests/browser/helpers.mjs';

const [confusionFile, out] = process.argv.slice(2);
if (!out) throw new Error('usage: node tools/m2_card.mjs CONFUSION OUT_DIR');
// "    t  n0 n1 ... n9" rows under the header line of class numbers
const matrix = readFileSync(confusionFile, 'utf8').split('\n').filter((l) => /^\s+\d+(\s+\d+){10}\s*$/.test(l))
  .map((l) => l.trim().split(/\s+/).slice(1).map(Number));
if (matrix.length !== 10) throw new Error(`${confusionFile}: expected the 10 rows of vae classify's confusion matrix`);

const s = await start();
try {
  const { page, problems } = await watchedPage(s.browser);
  await page.goto(`${s.url}index.html`);
  await page.evaluate(async (matrix) => {
    const { default: VAE } = await import('./vae.js');
    const m1 = await VAE.load('models/mnist-vae.safetensors'), m2 = await VAE.load('models/mnist-m2-100.safetensors');
    const per = 8, cell = 28 * 2, L = m1.info.latent, canvas = document.createElement('canvas');
    canvas.id = 'samples';
    canvas.width = per * cell + 40;
    canvas.height = 10 * cell;
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.font = '20px sans-serif';
    for (let k = 0; k < 10; k++) {
      // M2's sample is in --m1's scale (0.5 + mu / 8): back to M1's latent means
      const z = m2.sample(per, { seed: 1, label: k }).map((v) => (v - 0.5) * 8);
      const rgba = VAE.imagesToRGBA(m1.decode(z), { cols: per, scale: 2 });
      ctx.putImageData(new ImageData(rgba.data, rgba.width, rgba.height), 40, k * cell);
      ctx.fillStyle = '#000';
      ctx.fillText(String(k), 12, k * cell + cell / 2 + 7);
    }
    const c = document.createElement('canvas'), size = 44, pad = 70, g = c.getContext('2d');
    c.id = 'confusion';
    c.width = c.height = pad + 10 * size + 10;
    g.fillStyle = '#fff';
    g.fillRect(0, 0, c.width, c.height);
    g.font = '14px sans-serif';
    g.textAlign = 'center';
    g.textBaseline = 'middle';
    for (let t = 0; t < 10; t++) {
      const total = matrix[t].reduce((a, b) => a + b, 0);
      for (let p = 0; p < 10; p++) {
        const share = matrix[t][p] / total;
        g.fillStyle = t === p ? `rgba(40, 110, 200, ${share})` : `rgba(210, 60, 40, ${Math.min(1, share * 5)})`;
        g.fillRect(pad + p * size, pad + t * size, size - 2, size - 2);
        g.fillStyle = share > 0.5 ? '#fff' : '#000';
        g.fillText(String(matrix[t][p]), pad + p * size + size / 2, pad + t * size + size / 2);
      }
      g.fillStyle = '#000';
      g.fillText(String(t), pad - 14, pad + t * size + size / 2);
      g.fillText(String(t), pad + t * size + size / 2, pad - 14);
    }
    g.fillText('predicted', pad + 5 * size, 18);
    g.save();
    g.translate(18, pad + 5 * size);
    g.rotate(-Math.PI / 2);
    g.fillText('true', 0, 0);
    g.restore();
    document.body.replaceChildren(canvas, c);
  }, matrix);
  await page.locator('#samples').screenshot({ path: join(out, 'mnist-m2-100-samples.png') });
  await page.locator('#confusion').screenshot({ path: join(out, 'mnist-m2-100-confusion.png') });
  if (problems.length) throw new Error(problems.join('\n'));
  console.log(`wrote ${join(out, 'mnist-m2-100-samples.png')} and ${join(out, 'mnist-m2-100-confusion.png')}`);
} finally {
  await s.close();
}
