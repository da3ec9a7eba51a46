/* The attributes each view module declares (demo/views/*.js): changing any
 * of them restarts the view with the new value (so the element observes it),
 * the README and the demo page list what the modules declare, and the
 * element's stylesheet is fetched once and shared by every instance. */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { start, tagsPage, ready, openDemo } from './helpers.mjs';

let s;
before(async () => (s = await start()));
after(() => s?.close());

const SKETCH = 'models/hanzi-sketch-vae.safetensors';
const MODEL = { conditional: 'models/mnist-cvae.safetensors', words: 'models/words-vae.safetensors', sketch: SKETCH, 'sketch-interpolate': SKETCH }; // the others take the plain VAE
const URLS = { encoder: 'models/mnist-vae.safetensors' }; // attributes naming a model: a changed value that loads

/* The element's declarations, with Number and String (no fixed default) as {type}. */
const declared = (page) => page.evaluate(async () => {
  const { VAEDemo } = await import('./vae-demo.js');
  const plain = (attrs) => Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, typeof v === 'function' ? { type: v.name } : v]));
  return { common: plain(VAEDemo.common), views: Object.fromEntries(Object.entries(VAEDemo.views).map(([k, v]) => [k, plain(v)])) };
});

/* A value other than the default, as an attribute string and as the view should parse it. */
function changed(fallback) {
  if (fallback.type === 'String') return ['changed', 'changed'];
  if (fallback.type === 'Number' || typeof fallback === 'number') {
    const v = (typeof fallback === 'number' ? fallback : 1) + 2;
    return [String(v), v];
  }
  if (Array.isArray(fallback)) {
    const v = fallback.length ? [...fallback].reverse() : [1];
    return [v.join(','), v];
  }
  return [`${fallback}-changed`, `${fallback}-changed`];
}

test('changing any attribute a view declares restarts the view with the new value', async () => {
  const { page, problems, context } = await tagsPage(s, '');
  const { views } = await declared(page);
  assert.equal(Object.keys(views).length, readdirSync(new URL('../../web/demo/views/', import.meta.url)).length, 'every view module is registered');
  for (const [view, attributes] of Object.entries(views)) {
    await page.evaluate(([view, model]) => {
      document.body.innerHTML = `<vae-demo view="${view}" model="${model}"></vae-demo>`;
    }, [view, MODEL[view] ?? 'models/mnist-vae.safetensors']);
    await ready(page, 'vae-demo');
    for (const [name, fallback] of Object.entries(attributes)) {
      const [raw, parsed] = URLS[name] ? [URLS[name], URLS[name]] : changed(fallback);
      const [event, setting] = await page.evaluate(([name, raw]) => {
        const el = document.querySelector('vae-demo');
        const restarted = new Promise((resolve) => {
          for (const type of ['vae-ready', 'vae-error']) el.addEventListener(type, () => resolve(type), { once: true });
          setTimeout(() => resolve('nothing within 20 s'), 20000);
        });
        el.setAttribute(name, raw);
        return restarted.then((event) => [event, el.settings?.[name]]);
      }, [name, raw]);
      assert.notEqual(event, 'nothing within 20 s', `${view}: ${name}="${raw}" did not restart the view (is it observed?)`);
      assert.deepEqual(setting, parsed, `${view}: ${name}="${raw}" reached the view as ${JSON.stringify(setting)}`);
    }
  }
  assert.deepEqual(problems, []);
  await context.close();
});

test('the README and the demo page list the views and attributes the modules declare', async () => {
  const { s: t, page, problems } = await openDemo();
  try {
    const { views, common } = await declared(page);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const line = readme.match(/^Views: ([^;]*);/m)?.[1] ?? '';
    assert.deepEqual([...line.matchAll(/`([\w-]+)`/g)].map((m) => m[1]), Object.keys(views), "README's views");
    const items = await page.locator('#view-attributes li').allTextContents();
    assert.equal(items.length, 1 + Object.keys(views).length);
    for (const [k, [name, attrs]] of [['every view', common], ...Object.entries(views)].entries()) {
      assert.ok(items[k].startsWith(`${name}: `), `item ${k}: ${items[k]}`);
      for (const a of Object.keys(attrs)) assert.match(items[k], new RegExp(`\\b${a}\\b`), `${name}: ${a} is not listed`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await t.close();
  }
});

test("one fetch of the element's stylesheet, adopted by every instance", async () => {
  const { page, problems, context } = await tagsPage(s, '');
  const fetched = [];
  page.on('request', (r) => r.url().endsWith('.css') && fetched.push(r.url().replace(/^.*\/(?=demo\/)/, '')));
  const shared = await page.evaluate(async () => {
    document.body.innerHTML = ['samples', 'manifold', 'draw'].map((v) => `<vae-demo view="${v}" model="models/mnist-vae.safetensors"></vae-demo>`).join('');
    const els = [...document.querySelectorAll('vae-demo')];
    await Promise.all(els.map((e) => new Promise((r) => e.addEventListener('vae-ready', r, { once: true }))));
    const [first, ...rest] = els.map((e) => e.shadowRoot.adoptedStyleSheets);
    return first.length === 1 && first[0].cssRules.length > 50 && rest.every((a) => a.length === 1 && a[0] === first[0])
      && getComputedStyle(els[0].shadowRoot.querySelector('.frame')).borderTopLeftRadius;
  });
  assert.equal(shared, '14px', 'the instances do not share one styled sheet');
  assert.deepEqual(fetched, ['demo/vae-demo.css']);
  assert.deepEqual(problems, []);
  await context.close();
});
