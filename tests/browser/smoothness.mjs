/* How smooth the demo page is, as a reader feels it: a timer ticking every
 * 10 ms on the page thread from navigation, through a slow scripted scroll
 * to the bottom, until every demo has started. Each gap between ticks over
 * 50 ms is a stall; the blocking time sums every stall's excess over 50 ms
 * (as Lighthouse counts it). On a busy machine the wall-clock gaps grow with
 * the other processes' load, so each gap is also measured in CPU time of the
 * page's thread (Linux's /proc schedstat of the engine's content process,
 * sampled from here): what the page itself costs, in either engine; and in
 * wall-clock time less the time that thread waited for a CPU (schedstat's
 * run delay): what the gap would be on an idle machine, waits on the
 * engine's other processes (fonts, the GPU process) included.
 * Shared by smoothness.test.mjs and tests/bench/page-load.mjs. */
import { readdirSync, readFileSync } from 'node:fs';

/* Installed before the page's own scripts (addInitScript): the gaps between
 * ticks and when each demo first became ready, in ms from navigation. */
function recorder() {
  const gaps = [];
  let last = performance.now(), on = true;
  const tick = () => {
    const now = performance.now();
    gaps.push([last, now - last]);
    last = now;
    if (on) setTimeout(tick, 10);
  };
  setTimeout(tick, 10);
  const ready = [];
  // Bytes as the browser counts them (this thread's fetches: a worker's are its own).
  const bytes = () => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource')).reduce((a, e) => a + e.transferSize, 0);
  document.addEventListener('vae-ready', (e) => ready.push({ view: e.detail.view, at: performance.now(), hero: !!e.target.closest('.hero'), bytes: bytes() }));
  window.__smooth = { gaps, ready, origin: performance.timeOrigin, stop: () => (on = false) };
}

/* The longest stall and the blocking time of [start, length] gaps. */
export function stalls(gaps) {
  let longest = [0, 0], blocking = 0;
  for (const g of gaps) {
    if (g[1] > longest[1]) longest = g;
    blocking += Math.max(0, g[1] - 50);
  }
  return { longest: Math.round(longest[1]), longestAt: Math.round(longest[0]), blocking: Math.round(blocking),
    over100: gaps.filter((g) => g[1] > 100).map(([at, gap]) => `${Math.round(gap)} ms at ${Math.round(at)}`) };
}

/* ------------------------------------------------------------ CPU time of the page's thread */

const stat = (pid) => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return { ppid: Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]) };
  } catch {
    return null;
  }
};

/* Processes below this one whose command line marks a page's content
 * process: Chromium's renderers, Firefox's content processes. */
function contentProcesses() {
  const children = new Map();
  for (const p of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    const s = stat(p);
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), Number(p)]);
  }
  const found = [], walk = (p) => (children.get(p) ?? []).forEach((c) => (found.push(c), walk(c)));
  walk(process.pid);
  return found.filter((p) => {
    try {
      return /--type=renderer|-contentproc/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  });
}

/* Samples every content process's main thread's CPU time
 * and run delay (ns, schedstat) every few ms until stop(), which returns
 * {pid: [[epoch ms, cpu ms, waited ms]...]}. */
function sampleCPU() {
  const series = new Map();
  let pids = contentProcesses();
  const rescan = setInterval(() => (pids = contentProcesses()), 300);
  const sample = setInterval(() => {
    const now = performance.timeOrigin + performance.now();
    for (const pid of pids) {
      try {
        const [ran, waited] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
        if (!series.has(pid)) series.set(pid, []);
        series.get(pid).push([now, ran / 1e6, waited / 1e6]);
      } catch {} // gone
    }
  }, 4);
  return () => (clearInterval(rescan), clearInterval(sample), series);
}

/* The page's process: the one whose main thread ran longest meanwhile. */
function busiest(series) {
  const used = (s) => s.at(-1)[1] - s[0][1];
  return [...series.values()].filter((s) => s.length > 1).sort((a, b) => used(b) - used(a))[0] ?? [];
}

/* Column k (1: CPU ms, 2: ms waited for a CPU) of a series at an epoch time (linear between samples). */
function at(s, t, k) {
  let lo = 0, hi = s.length - 1;
  if (!s.length) return 0;
  if (t <= s[0][0]) return s[0][k];
  if (t >= s[hi][0]) return s[hi][k];
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (s[mid][0] <= t) lo = mid;
    else hi = mid;
  }
  const [t0, c0] = [s[lo][0], s[lo][k]], [t1, c1] = [s[hi][0], s[hi][k]];
  return c0 + ((c1 - c0) * (t - t0)) / (t1 - t0 || 1);
}

/* Loads url in page, scrolls to the bottom in steps of `step` px every
 * `every` ms, waits until every <vae-demo> is ready or failed (and `settle`
 * ms more), and returns the stalls in wall-clock time (longest, blocking,
 * over100), the same in the page thread's CPU time (cpu: {longest,
 * blocking, over100}; null off Linux) and in wall-clock time less its waits
 * for a CPU (unqueued, the same), when each demo became ready, and the
 * page's height. */
export async function loadAndScroll(page, url, { step = 240, every = 120, settle = 1000, timeout = 120000 } = {}) {
  const stop = sampleCPU();
  await page.addInitScript(recorder);
  await page.goto(url);
  await page.waitForTimeout(1000);
  const height = await page.evaluate(async ([step, every]) => {
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms)), frame = () => new Promise((r) => requestAnimationFrame(r));
    for (let y = 0; y < document.documentElement.scrollHeight - innerHeight; y += step) {
      scrollTo(0, y);
      await Promise.all([sleep(every), frame().then(frame)]); // every position reaches a frame (and the demos' IntersectionObservers)
    }
    scrollTo(0, document.documentElement.scrollHeight);
    return document.documentElement.scrollHeight;
  }, [step, every]);
  await page.waitForFunction(() => [...document.querySelectorAll('vae-demo')].every((d) => ['ready', 'error'].includes(d.getAttribute('state'))),
    undefined, { timeout });
  await page.waitForTimeout(settle);
  return { ...(await collect(page, stop)), height };
}

/* The stalls in wall-clock and CPU time, and the ready events, since the recorder started. */
async function collect(page, stop) {
  const { gaps, ready, origin } = await page.evaluate(() => (window.__smooth.stop(), window.__smooth));
  const s = busiest(stop());
  const spent = (k) => gaps.map(([t, gap]) => [t, gap, at(s, origin + t + gap, k) - at(s, origin + t, k)]);
  const cpu = s.length ? stalls(spent(1).map(([t, , ran]) => [t, ran])) : null;
  const unqueued = s.length ? stalls(spent(2).map(([t, gap, waited]) => [t, gap - waited])) : null;
  return { ...stalls(gaps), cpu, unqueued, ready };
}

/* Starts the 10 ms timer on a loaded page; the returned function stops it
 * and resolves with the stalls since (as loadAndScroll's). */
export async function watchStalls(page) {
  const stop = sampleCPU();
  await page.evaluate(recorder);
  return () => collect(page, stop);
}
