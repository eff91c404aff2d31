// Real-browser test harness: Debian's /usr/bin/chromium driven by playwright-core (flags from
// platforms.md §6), pages served by a tiny node:http server on 127.0.0.1 from the repo (read-only,
// a few folders) plus in-memory pages with their own headers (CSP). Without Chromium the suites skip
// locally and fail in CI.
import { createServer, type Server } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const HAVE_DIST = existsSync(join(ROOT, 'dist', 'camkit.widget.js')) && existsSync(join(ROOT, 'dist', 'index.js'));
if (process.env.CI === 'true' && !HAVE_CHROMIUM) throw new Error(`${CHROMIUM} is missing: browser tests cannot run in CI.`);
if (process.env.CI === 'true' && !HAVE_DIST) throw new Error('dist/ is missing: run `npm run build` before the tests.');
export const CAN_RUN = HAVE_CHROMIUM && HAVE_DIST;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.png': 'image/png', '.bin': 'application/octet-stream', '.wasm': 'application/wasm', '.css': 'text/css',
};
const SERVED = ['dist/', 'examples/', 'node_modules/@tensorflow/tfjs/dist/', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'];

export interface Page {
  body: string | Uint8Array;
  type?: string;
  headers?: Record<string, string>;
}

export async function serve(pages: Record<string, Page> = {}): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const page = pages[path] ?? (path === '/favicon.ico' ? { body: '', type: 'image/x-icon' } : undefined);
    if (page) {
      res.writeHead(200, { 'content-type': page.type ?? TYPES[extname(path)] ?? 'text/html; charset=utf-8', ...page.headers });
      res.end(page.body);
      return;
    }
    const rel = normalize(path).replace(/^\/+/, '');
    const file = join(ROOT, rel);
    if (!SERVED.some((p) => rel.startsWith(p)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
