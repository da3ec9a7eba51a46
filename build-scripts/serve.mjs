#!/usr/bin/env node
/* A small static file server for the demo (web/dist) and the browser tests,
 * on 127.0.0.1 only. Usage: node build-scripts/serve.mjs [DIR] [--port N]
 * (default web/dist, port $PORT or 8000). As a module: serve({root, mounts,
 * port}) resolves with {server, url}; mounts maps URL prefixes ('/test/') to
 * further directories. */
import { createServer } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.gz': 'application/gzip',
  '.safetensors': 'application/octet-stream',
};

/* The file a URL path names inside dir, or null when it would leave dir. */
function inside(dir, urlPath) {
  const file = resolve(dir, '.' + urlPath);
  return file === dir || file.startsWith(dir + sep) ? file : null;
}

export function serve({ root, mounts = {}, port = 8000, host = '127.0.0.1', log = false } = {}) {
  const dirs = Object.entries(mounts)
    .map(([prefix, dir]) => [prefix, resolve(dir)])
    .sort((a, b) => b[0].length - a[0].length);
  dirs.push(['/', resolve(root)]);
  const server = createServer(async (req, res) => {
    const reply = (status, message) => {
      res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(message + '\n');
      if (log) console.log(status, req.method, req.url);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(405, 'method not allowed');
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    } catch {
      return reply(400, 'bad request');
    }
    const [prefix, dir] = dirs.find(([p]) => path.startsWith(p));
    let file = inside(dir, '/' + path.slice(prefix.length));
    if (!file) return reply(403, 'forbidden');
    let info = await stat(file).catch(() => null);
    if (info?.isDirectory()) {
      if (!path.endsWith('/')) {
        res.writeHead(301, { Location: path + '/' });
        return res.end();
      }
      file = join(file, 'index.html');
      info = await stat(file).catch(() => null);
    }
    if (!info?.isFile()) return reply(404, `not found: ${path}`);
    res.writeHead(200, {
      'Content-Type': TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
    if (log) console.log(200, req.method, req.url);
  });
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => ok({ server, url: `http://${host}:${server.address().port}/` }));
  });
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--port');
  const port = Number(at >= 0 ? args.splice(at, 2)[1] : process.env.PORT || 8000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`serve.mjs: the port must be a number in 0..65535 (got ${port})`);
    process.exit(2);
  }
  const root = args[0] ?? fileURLToPath(new URL('../web/dist', import.meta.url));
  const errors = { EADDRINUSE: `port ${port} is in use: try PORT=${port + 1}`, EACCES: `no permission to use port ${port}` };
  serve({ root, port })
    .then(({ url }) => console.log(`serving ${root} on ${url}  (Ctrl-C to stop)`))
    .catch((e) => {
      console.error(`serve.mjs: ${errors[e.code] ?? e.message}`);
      process.exit(1);
    });
}
