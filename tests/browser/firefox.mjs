/* Debian's firefox-esr over WebDriver BiDi (puppeteer-core), behind the
 * subset of Playwright's API the browser tests use, so that the same test
 * files run in both engines (helpers.mjs picks one by VAE_BROWSER).
 * Locators are chains of steps resolved in the page on every use; like
 * Playwright's, CSS steps pierce open shadow roots and actions wait for the
 * element. Playwright's Firefox needs its own patched build, hence this. */
import puppeteer from 'puppeteer-core';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* Runs in the page: the elements a chain of steps names. Self-contained
 * (puppeteer sends its source). */
function resolveAll(chain) {
  const norm = (s) => (s ?? '').replace(/\s+/g, ' ').trim().toLowerCase();
  const deep = (root, test) => {
    const out = [];
    const walk = (node) => {
      for (const e of node.children ?? []) {
        if (test(e)) out.push(e);
        if (e.shadowRoot) walk(e.shadowRoot);
        walk(e);
      }
    };
    if (root.shadowRoot) walk(root.shadowRoot);
    walk(root);
    return out;
  };
  const name = (e) => norm(e.getAttribute('aria-label') ?? ([...(e.labels ?? [])].map((l) => l.textContent).join(' ') || e.textContent));
  const roles = { button: 'button,[role=button],input[type=button],input[type=submit]', radio: 'input[type=radio],[role=radio]' };
  // Playwright's descendant combinator crosses shadow roots: 'vae-demo .hint'
  // is one deep search per compound selector (a list, with commas, is left whole).
  const compounds = (css) => {
    const out = [''];
    let depth = 0, quote = null;
    for (const [i, c] of [...css].entries()) {
      if (quote) quote = c === quote && css[i - 1] !== '\\' ? null : quote;
      else if (c === '"' || c === "'") quote = c;
      else if ('[('.includes(c)) depth++;
      else if ('])'.includes(c)) depth--;
      else if (/\s/.test(c) && !depth && !css.includes(',') && /[^>+~\s]$/.test(out.at(-1)) && /^\s*[^>+~\s]/.test(css.slice(i))) {
        out.push('');
        continue;
      }
      out[out.length - 1] += c;
    }
    return out.map((c) => c.trim());
  };
  let set = [document];
  for (const st of chain) {
    if ('nth' in st) set = set[st.nth < 0 ? set.length + st.nth : st.nth] ? [set[st.nth < 0 ? set.length + st.nth : st.nth]] : [];
    else if (st.css) {
      const parts = compounds(st.css), last = parts.pop();
      for (const part of parts) set = [...new Set(set.flatMap((r) => deep(r, (e) => e.matches(part))))];
      set = set.flatMap((r) => deep(r, (e) => e.matches(last) && (!st.hasText || norm(e.textContent).includes(norm(st.hasText)))));
    } else if (st.label) set = set.flatMap((r) => deep(r, (e) => e.labels?.length > 0 || e.hasAttribute('aria-label')).filter((e) => name(e).includes(norm(st.label))));
    else if (st.role) set = set.flatMap((r) => deep(r, (e) => e.matches(roles[st.role] ?? `[role=${st.role}]`)).filter((e) => !st.name || name(e).includes(norm(st.name))));
  }
  return [...new Set(set)];
}

/* Runs in the page: scrolls an element out of view into its centre. */
function scrollIntoView(e) {
  const r = e.getBoundingClientRect();
  if (r.bottom <= 0 || r.top >= innerHeight || r.right <= 0 || r.left >= innerWidth) e.scrollIntoView({ block: 'center', inline: 'center', behavior: 'instant' });
}

/* Runs in the page: the centre of an enabled element whose box stayed put
 * for two frames and whose hit test (through shadow roots) lands on it; else null. */
async function clickPoint(e) {
  if (e.disabled) return null;
  const box = async () => (await new Promise(requestAnimationFrame), e.getBoundingClientRect());
  const [a, b] = [await box(), await box()];
  if (!b.width || !b.height || ['x', 'y', 'width', 'height'].some((k) => a[k] !== b[k])) return null;
  const x = b.x + b.width / 2, y = b.y + b.height / 2;
  let hit = document.elementFromPoint(x, y);
  for (let inner; hit?.shadowRoot && (inner = hit.shadowRoot.elementFromPoint(x, y)) && inner !== hit; ) hit = inner;
  return hit && e.contains(hit) ? { x, y } : null;
}

class Locator {
  constructor(page, chain) {
    (this.page = page), (this.chain = chain);
  }
  #with(step) {
    return new Locator(this.page, [...this.chain, step]);
  }
  locator(css, opts = {}) {
    return this.#with({ css, hasText: opts.hasText });
  }
  getByLabel(label) {
    return this.#with({ label });
  }
  getByRole(role, opts = {}) {
    return this.#with({ role, name: opts.name });
  }
  first() {
    return this.#with({ nth: 0 });
  }
  nth(nth) {
    return this.#with({ nth });
  }
  async all() {
    return this.page.p.evaluateHandle(resolveAll, this.chain);
  }
  /* The first element, once it exists. */
  async handle(timeout = 30000) {
    for (const t0 = Date.now(); ; await sleep(50)) {
      const h = await (await this.all()).evaluateHandle((els) => els[0] ?? null).catch(() => null);
      const el = h && (await h.evaluate((e) => e !== null).catch(() => false)) ? h.asElement() : null;
      if (el) return el;
      if (Date.now() - t0 > timeout) throw new Error(`firefox: no element for ${JSON.stringify(this.chain)} after ${timeout} ms`);
    }
  }
  async evaluate(fn, arg) {
    return (await this.handle()).evaluate(fn, arg);
  }
  async evaluateAll(fn, arg) {
    return (await this.all()).evaluate(fn, arg);
  }
  count() {
    return this.evaluateAll((els) => els.length);
  }
  allTextContents() {
    return this.evaluateAll((els) => els.map((e) => e.textContent));
  }
  textContent() {
    return this.evaluate((e) => e.textContent);
  }
  getAttribute(name) {
    return this.evaluate((e, n) => e.getAttribute(n), name);
  }
  inputValue() {
    return this.evaluate((e) => e.value);
  }
  focus() {
    return this.evaluate((e) => e.focus());
  }
  /* Instant, like Playwright's protocol scroll: the page's `scroll-behavior:
   * smooth` would animate it, and views loading above the element meanwhile
   * push it away from where the animation ends. */
  scrollIntoViewIfNeeded() {
    return this.evaluate(scrollIntoView);
  }
  async boundingBox() {
    return (await this.handle()).boundingBox();
  }
  async screenshot(opts) {
    await this.scrollIntoViewIfNeeded();
    return (await this.handle()).screenshot(opts);
  }
  /* Like Playwright's: waits until the element is in view, enabled, still
   * for two frames and what its centre's hit test finds, then clicks there. */
  async click(timeout = 30000) {
    for (const t0 = Date.now(); ; await sleep(50)) {
      await this.scrollIntoViewIfNeeded();
      const at = await this.evaluate(clickPoint);
      if (at) return this.page.mouse.click(at.x, at.y);
      if (Date.now() - t0 > timeout) throw new Error(`firefox: ${JSON.stringify(this.chain)} was not clickable (moving, hidden or covered) for ${timeout} ms`);
    }
  }
  /* Like Playwright's fill for inputs, textareas and ranges: the value, then input and change events. */
  fill(value) {
    return this.evaluate((e, v) => {
      e.focus();
      e.value = v;
      e.dispatchEvent(new Event('input', { bubbles: true, composed: true }));
      e.dispatchEvent(new Event('change', { bubbles: true }));
    }, value);
  }
  selectOption(value) {
    return this.fill(value);
  }
}

const glob = (pattern) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*\*/g, '\0').replace(/\*/g, '[^/]*').replace(/\0/g, '.*')}$`);

class Page {
  #routes = [];
  constructor(p) {
    this.p = p;
    this.mouse = p.mouse;
    this.keyboard = {
      // 'Shift+ArrowLeft': modifiers down, the key, modifiers up
      press: async (combo) => {
        const keys = combo.length > 1 ? combo.split('+') : [combo];
        for (const k of keys.slice(0, -1)) await p.keyboard.down(k);
        await p.keyboard.press(keys.at(-1));
        for (const k of keys.slice(0, -1).reverse()) await p.keyboard.up(k);
      },
    };
  }
  on(event, fn) {
    this.p.on(event, fn);
  }
  goto(url) {
    return this.p.goto(url);
  }
  evaluate(fn, arg) {
    return this.p.evaluate(fn, arg);
  }
  waitForFunction(fn, arg, opts = {}) {
    return this.p.waitForFunction(fn, { timeout: opts.timeout ?? 30000, polling: 50 }, arg);
  }
  waitForTimeout(ms) {
    return sleep(ms);
  }
  screenshot(opts) {
    return this.p.screenshot(opts);
  }
  setViewportSize({ width, height }) {
    return this.p.setViewport({ width, height, deviceScaleFactor: 1 });
  }
  addInitScript(fn) {
    return this.p.evaluateOnNewDocument(fn);
  }
  locator(css, opts) {
    return new Locator(this, []).locator(css, opts);
  }
  async route(pattern, handler) {
    if (!this.#routes.length) {
      await this.p.setRequestInterception(true);
      this.p.on('request', (req) => {
        const r = this.#routes.find((r) => r.re.test(req.url()));
        if (!r) return req.continue();
        r.handler({
          request: () => req,
          fetch: async () => {
            const res = await fetch(req.url(), { headers: req.headers() });
            const body = Buffer.from(await res.arrayBuffer());
            return { status: () => res.status, headers: () => Object.fromEntries(res.headers), body: () => body };
          },
          fulfill: ({ response, status, headers, contentType, body }) => req.respond({
            status: status ?? response?.status() ?? 200,
            headers: headers ?? response?.headers(),
            contentType,
            body: body ?? response?.body(),
          }),
        });
      });
    }
    this.#routes.push({ re: glob(pattern), handler });
  }
}

/* protocolTimeout: how long a call into the page may wait (puppeteer's default 180 s);
 * a page busy for longer, like the benchmark's, needs more. */
export async function launchFirefox({ protocolTimeout } = {}) {
  const b = await puppeteer.launch({
    protocolTimeout,
    browser: 'firefox',
    executablePath: process.env.FIREFOX ?? '/usr/bin/firefox-esr',
    headless: true,
    // no tab icon fetch (/favicon.ico of a page without one): the browser's, not the page's, as in Chromium
    extraPrefsFirefox: { 'ui.prefersReducedMotion': 0, 'browser.chrome.site_icons': false },
  });
  return {
    async newContext({ viewport = { width: 1280, height: 720 }, deviceScaleFactor = 1, reducedMotion } = {}) {
      const ctx = await b.createBrowserContext();
      return {
        async newPage() {
          const p = await ctx.newPage();
          await p.setViewport({ ...viewport, deviceScaleFactor });
          if (reducedMotion === 'reduce') {
            await p.evaluateOnNewDocument(() => {
              const mm = window.matchMedia.bind(window);
              window.matchMedia = (q) => (/prefers-reduced-motion:\s*reduce/.test(q) ? { ...mm(q), matches: true, media: q, addEventListener() {}, removeEventListener() {} } : mm(q));
            });
          }
          return new Page(p);
        },
        close: () => ctx.close(),
      };
    },
    close: () => b.close(),
  };
}
