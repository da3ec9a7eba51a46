/* Shared by the browser tests: the static server on 127.0.0.1 (web/dist, and
 * the test pages under /test/), the browser (VAE_BROWSER=chromium, the
 * default: Debian's chromium through playwright-core; VAE_BROWSER=firefox:
 * firefox-esr through firefox.mjs, the same API), and the screenshot folder. */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../../build-scripts/serve.mjs';
import { launchFirefox } from './firefox.mjs';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
// DEMO_DIST: test a copy of the site elsewhere (it must work from any folder).
export const DIST = process.env.DEMO_DIST ? `${process.env.DEMO_DIST.replace(/\/$/, '')}/` : here('../../web/dist/');
export const ENGINE = process.env.VAE_BROWSER ?? 'chromium';
if (!['chromium', 'firefox'].includes(ENGINE)) throw new Error(`VAE_BROWSER=${ENGINE}: chromium or firefox`);
export const SHOTS = here(`../../build/screenshots/${ENGINE === 'chromium' ? '' : `${ENGINE}/`}`);
mkdirSync(SHOTS, { recursive: true });

export async function start() {
  for (const f of ['index.html', 'vae-demo.js', 'vae.single.js', 'models/mnist-vae.safetensors', 'data/digits-images.idx.gz'])
    if (!existsSync(DIST + f)) throw new Error(`${DIST}${f} is missing: run build-scripts/build-wasm.sh and build-scripts/build-demo.sh first`);
  const { server, url } = await serve({ root: DIST, mounts: { '/test/': here('pages/') }, port: 0 });
  const browser = ENGINE === 'firefox' ? await launchFirefox() : await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  return {
    url,
    browser,
    server,
    async close() {
      await browser.close();
      await new Promise((r) => server.close(r));
    },
  };
}

/* A page that records console errors, uncaught exceptions and failed or
 * non-OK requests (as readable lines). */
export async function watchedPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, ...opts });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText})`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  return { page, problems, context };
}

/* A page of the demo site (started by start()) holding just the given tags. */
export async function tagsPage(s, html, opts) {
  const w = await watchedPage(s.browser, opts);
  await w.page.route(`${s.url}element.html`, (route) => route.fulfill({
    contentType: 'text/html',
    body: `<!doctype html><link rel="icon" href="data:,"><script type="module" src="vae-demo.js"></script><body style="background:#fff">${html}`,
  }));
  await w.page.goto(`${s.url}element.html`);
  return w;
}

/* Waits until the (first) element a CSS selector names is ready, scrolling
 * it into view (the element loads its model only near the viewport). Until
 * it starts, it is scrolled back whenever it is out of view: views above it
 * that finish loading grow and can push it out before its observer saw it. */
export async function ready(page, selector, timeout = 30000) {
  const el = page.locator(selector).first();
  await el.scrollIntoViewIfNeeded();
  await page.waitForFunction((sel) => {
    const e = document.querySelector(sel), s = e?.getAttribute('state');
    if (s === 'error') throw new Error(`${sel}: ${e.shadowRoot.textContent}`);
    const r = e?.getBoundingClientRect();
    if (r && !s && (r.bottom <= 0 || r.top >= innerHeight)) e.scrollIntoView({ block: 'center', behavior: 'instant' });
    return s === 'ready';
  }, selector, { timeout }).catch(async (e) => {
    const s = await page.evaluate((sel) => document.querySelector(sel)?.getAttribute('state'), selector).catch(() => '?');
    throw new Error(`${selector} not ready (state ${s}): ${e.message}`);
  });
  return el;
}

/* Statistics of every canvas inside the element: size and the standard
 * deviation of its luminance (0 for a blank canvas). */
export function canvasStats(page, selector) {
  return page.evaluate((sel) => [...document.querySelector(sel).shadowRoot.querySelectorAll('canvas')].filter((c) => !c.closest('[hidden]')).map((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0, n = 0;
    for (let i = 0; i < d.length; i += 4 * 7) {
      const v = (d[i] + d[i + 1] + d[i + 2]) / 3 * (d[i + 3] / 255);
      (s += v), (s2 += v * v), n++;
    }
    const mean = s / n;
    return { label: c.getAttribute('aria-label') ?? c.className, width: c.width, height: c.height, std: Math.sqrt(Math.max(0, s2 / n - mean * mean)) };
  }), selector);
}

/* Mouse strokes on a drawing pad (a locator), in fractions of its size. */
export async function draw(page, pad, strokes) {
  const box = await pad.boundingBox();
  for (const stroke of strokes) {
    const [x0, y0] = stroke[0];
    await page.mouse.move(box.x + x0 * box.width, box.y + y0 * box.height);
    await page.mouse.down();
    for (const [x, y] of stroke.slice(1)) await page.mouse.move(box.x + x * box.width, box.y + y * box.height, { steps: 6 });
    await page.mouse.up();
  }
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

export const SEVEN = [[[0.3, 0.25], [0.7, 0.25], [0.45, 0.8]]];
export const ONE = [[[0.52, 0.18], [0.48, 0.82]]];
/* Three strokes through five random points each: not a digit. */
export const SCRIBBLE = (() => {
  let s = 7;
  const r = () => ((s = (s * 16807) % 2147483647) / 2147483647) * 0.9 + 0.05;
  return Array.from({ length: 3 }, () => Array.from({ length: 5 }, () => [r(), r()]));
})();

/** The server, the browser and the demo page, with its problems watched. */
export async function openDemo() {
  const s = await start();
  const { page, problems } = await watchedPage(s.browser);
  await page.goto(s.url);
  return { s, page, problems };
}
