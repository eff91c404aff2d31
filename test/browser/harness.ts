// Real-browser test harness: the same pages in three engines from Debian's packages (notes/browsers.md):
//   chromium  /usr/bin/chromium through playwright-core (flags from platforms.md §6)
//   webkit    WebKitGTK's MiniBrowser under Xvfb, WebDriver classic (WebKitWebDriver) over fetch
//   firefox   /usr/bin/firefox-esr through puppeteer-core 24 over WebDriver BiDi (headless)
// Pages are served by a tiny node:http server on 127.0.0.1 from the repo (read-only, a few folders)
// plus in-memory pages with their own headers (CSP). Every HTML page served gets /__harness/console.js
// injected first: it records console warnings/errors, page errors and CSP violations in
// window.__harness.log (WebDriver classic has no console events), read back with tab.logs().
//
// Rules: one engine at a time (a lock across vitest workers), a timeout on every WebDriver call and on
// every start, and every process started here (Xvfb, WebKitWebDriver → MiniBrowser, Firefox) killed by
// process group on close, on a failed start and when the test process exits. With CI=true an engine that
// cannot start fails the tests; without CI, suites skip engines whose binaries are missing.
//
// Reusable entry points: `withEngine(name, fn)`, `runPage(name, url, opts)` (results + screenshot),
// `launchEngine(name)` → Engine → `newTab()` → Tab { goto, evaluate, waitFor, logs, screenshot, close }.
import { createServer, type Server } from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { decodePng } from '../../src/render/png.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const CI = process.env.CI === 'true';
export const CHROMIUM = '/usr/bin/chromium';
export const FIREFOX = '/usr/bin/firefox-esr';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
export const HAVE_DIST = existsSync(join(ROOT, 'dist', 'camkit.widget.js')) && existsSync(join(ROOT, 'dist', 'index.js'));
if (CI && !HAVE_DIST) throw new Error('dist/ is missing: run `npm run build` before the tests.');
/** Chromium-only suites (kept for code that drives playwright directly). */
export const CAN_RUN = HAVE_CHROMIUM && HAVE_DIST;

export type EngineName = 'chromium' | 'webkit' | 'firefox';
export const ENGINES: readonly EngineName[] = ['chromium', 'webkit', 'firefox'];

function which(bin: string): string | null {
  for (const d of (process.env.PATH ?? '/usr/bin:/bin').split(':')) if (d && existsSync(join(d, bin))) return join(d, bin);
  return null;
}
function miniBrowser(): string | null {
  try {
    for (const d of readdirSync('/usr/lib')) {
      const p = `/usr/lib/${d}/webkit2gtk-4.1/MiniBrowser`;
      if (existsSync(p)) return p;
    }
  } catch { /* no /usr/lib */ }
  return null;
}

/** Why an engine cannot run here, or null when its binaries are installed. */
export function missing(name: EngineName): string | null {
  if (!HAVE_DIST) return 'dist/ is missing (npm run build)';
  if (name === 'chromium') return HAVE_CHROMIUM ? null : `${CHROMIUM} is missing (apt-get install chromium)`;
  if (name === 'firefox') return existsSync(FIREFOX) ? null : `${FIREFOX} is missing (apt-get install firefox-esr)`;
  const need = [['Xvfb', which('Xvfb')], ['WebKitWebDriver', which('WebKitWebDriver')], ['MiniBrowser', miniBrowser()]].filter((x) => !x[1]);
  return need.length ? `${need.map((x) => x[0]).join(', ')} missing (apt-get install webkit2gtk-driver xvfb)` : null;
}
/** Engines a suite should run: all three in CI (a missing one then fails at launch), else the installed ones. */
export const RUN_ENGINES: readonly EngineName[] = ENGINES.filter((e) => CI || missing(e) === null);
/** For describe.each: [name] rows; skipped engines are reported in the suite name by vitest's skip. */
export const skipEngine = (name: EngineName): boolean => !CI && missing(name) !== null;

// ---------------------------------------------------------------------------------------------------
// HTTP server

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.json': 'application/json',
  '.png': 'image/png', '.bin': 'application/octet-stream', '.wasm': 'application/wasm', '.css': 'text/css',
};
const SERVED = ['dist/', 'examples/', 'node_modules/@tensorflow/tfjs/dist/', 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'];

/** Page-side recorder: console.warn/error, uncaught errors, rejections, CSP violations. */
export const CONSOLE_JS = `(() => {
  const log = []; window.__harness = { log };
  const str = (a) => Array.from(a, (x) => x instanceof Error ? String(x) : typeof x === 'string' ? x : (() => { try { return JSON.stringify(x); } catch { return String(x); } })()).join(' ');
  for (const level of ['warn', 'error']) {
    const orig = console[level].bind(console);
    console[level] = (...a) => { log.push({ level: level === 'warn' ? 'warning' : 'error', text: str(a) }); orig(...a); };
  }
  addEventListener('error', (e) => log.push({ level: 'pageerror', text: String(e.error || e.message) }));
  addEventListener('unhandledrejection', (e) => log.push({ level: 'pageerror', text: String(e.reason) }));
  document.addEventListener('securitypolicyviolation', (e) => log.push({ level: 'csp', text: e.violatedDirective + ' ' + e.blockedURI }));
})();`;
const CONSOLE_TAG = '<script src="/__harness/console.js"></script>';
function inject(html: string): string {
  const m = /^\s*<!doctype html>/i.exec(html);
  return m ? m[0] + CONSOLE_TAG + html.slice(m[0].length) : CONSOLE_TAG + html;
}

export interface Page {
  body: string | Uint8Array;
  type?: string;
  headers?: Record<string, string>;
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serve(pages: Record<string, Page> = {}): Promise<Served> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const page = pages[path] ?? (path === '/favicon.ico' ? { body: '', type: 'image/x-icon' } : path === '/__harness/console.js' ? { body: CONSOLE_JS } : undefined);
    if (page) {
      const type = page.type ?? TYPES[extname(path)] ?? 'text/html; charset=utf-8';
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store', ...page.headers });
      res.end(type.startsWith('text/html') && typeof page.body === 'string' ? inject(page.body) : page.body);
      return;
    }
    const rel = normalize(path).replace(/^\/+/, '');
    const file = join(ROOT, rel);
    if (!SERVED.some((p) => rel.startsWith(p)) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(type.startsWith('text/html') ? inject(readFileSync(file, 'utf8')) : readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((r) => {
      server.closeAllConnections?.();
      server.close(() => r());
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Engines

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Chromium through playwright (the original harness; used by Chromium-only suites). */
export function launch(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 60_000 });
}

export interface LogEntry {
  level: 'warning' | 'error' | 'pageerror' | 'csp';
  text: string;
}

export interface TabOptions {
  width?: number;
  height?: number;
}

export interface Tab {
  goto(url: string): Promise<void>;
  /** Runs fn(arg) in the page (fn is serialised: no closures); awaits a returned promise. JSON values only. */
  evaluate<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<Awaited<T>>;
  /** Polls fn(arg) until it returns a truthy value (returned) or the timeout passes (throws). */
  waitFor<T, A = undefined>(fn: (arg: A) => T | Promise<T>, arg?: A, timeoutMs?: number): Promise<Awaited<T>>;
  /** What the page logged (see CONSOLE_JS); [] for pages not served by serve(). */
  logs(): Promise<LogEntry[]>;
  /** PNG of the viewport. */
  screenshot(): Promise<Uint8Array>;
  close(): Promise<void>;
}

export interface Engine {
  name: EngineName;
  /** The engine's own version (WebKitGTK's from the WebDriver session, not its user agent). */
  version: string;
  newTab(opts?: TabOptions): Promise<Tab>;
  close(): Promise<void>;
}

const DEFAULT_VIEW = { width: 800, height: 600 };
const CALL_TIMEOUT = 60_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, rej) => { t = setTimeout(() => rej(new Error(`${what}: no answer in ${ms} ms`)), ms); })]).finally(() => clearTimeout(t));
}

// Every process group we started, killed on close and at exit (also after a failed test).
const groups = new Set<number>();
function track(child: ChildProcess): number {
  const pid = child.pid;
  if (pid === undefined) throw new Error('spawn failed');
  groups.add(pid);
  return pid;
}
function killGroup(pid: number): void {
  groups.delete(pid);
  try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
}
process.on('exit', () => { for (const pid of [...groups]) killGroup(pid); });

// One engine at a time across vitest's worker processes: a lock directory holding the owner's pid.
const LOCK = join(tmpdir(), 'camkit-browser-engine.lock');
async function lock(timeoutMs = 900_000): Promise<() => void> {
  const start = Date.now();
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      let held = true;
      return () => { if (held) { held = false; rmSync(LOCK, { recursive: true, force: true }); } };
    } catch {
      let owner = NaN;
      try { owner = Number(readFileSync(join(LOCK, 'pid'), 'utf8')); } catch { /* being written */ }
      let alive = true;
      if (Number.isFinite(owner)) try { process.kill(owner, 0); } catch { alive = false; }
      if (!alive || (Number.isNaN(owner) && Date.now() - statMtime(LOCK) > 10_000)) rmSync(LOCK, { recursive: true, force: true });
      else if (Date.now() - start > timeoutMs) throw new Error(`another browser engine held ${LOCK} for ${timeoutMs} ms`);
      else await new Promise((r) => setTimeout(r, 250));
    }
  }
}
function statMtime(p: string): number {
  try { return statSync(p).mtimeMs; } catch { return Date.now(); }
}

function fnSource(fn: (...a: never[]) => unknown): string {
  return String(fn);
}

async function pollUntil<T>(get: () => Promise<T>, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await get();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`${what}: not true within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Is this PNG more than one flat colour? (A cold WebKit can return a blank first screenshot.) */
async function hasContent(png: Uint8Array): Promise<boolean> {
  const img = await decodePng(png);
  const d = img.data, n = img.color === 'rgba' ? 4 : img.color === 'rgb' ? 3 : img.color === 'gray-alpha' ? 2 : 1;
  for (let i = n; i < d.length; i += n) for (let c = 0; c < n; c++) if (d[i + c] !== d[c]) return true;
  return false;
}

async function launchChromium(): Promise<Engine> {
  const browser = await launch();
  return {
    name: 'chromium',
    version: browser.version(),
    async newTab(opts) {
      const page = await browser.newPage({ viewport: { ...DEFAULT_VIEW, ...opts } });
      page.setDefaultTimeout(CALL_TIMEOUT);
      const tab: Tab = {
        goto: async (url) => { await page.goto(url, { timeout: CALL_TIMEOUT }); },
        evaluate: (fn, arg) => page.evaluate(fn as never, arg) as never,
        waitFor: (fn, arg, ms = 30_000) => pollUntil(() => tab.evaluate(fn, arg), ms, 'waitFor'),
        logs: () => tab.evaluate(() => (window as unknown as { __harness?: { log: LogEntry[] } }).__harness?.log ?? []),
        screenshot: async () => new Uint8Array(await page.screenshot({ timeout: CALL_TIMEOUT })),
        close: () => page.close(),
      };
      return tab;
    },
    close: () => withTimeout(browser.close(), 30_000, 'chromium close').catch(() => undefined),
  };
}

async function launchFirefox(): Promise<Engine> {
  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({
    browser: 'firefox', executablePath: FIREFOX, headless: true, protocolTimeout: CALL_TIMEOUT, timeout: 90_000,
    defaultViewport: DEFAULT_VIEW, handleSIGINT: true, handleSIGTERM: true, handleSIGHUP: true,
    extraPrefsFirefox: { 'datareporting.policy.dataSubmissionEnabled': false, 'toolkit.telemetry.enabled': false, 'app.update.enabled': false },
  });
  const proc = browser.process();
  const pid = proc?.pid;
  if (pid !== undefined) groups.add(pid);
  const version = (await browser.version()).replace(/^firefox\//i, '');
  return {
    name: 'firefox',
    version,
    async newTab(opts) {
      const page = await browser.newPage();
      await page.setViewport({ ...DEFAULT_VIEW, ...opts });
      page.setDefaultTimeout(CALL_TIMEOUT);
      const tab: Tab = {
        goto: async (url) => { await page.goto(url, { timeout: CALL_TIMEOUT, waitUntil: 'load' }); },
        evaluate: (fn, arg) => withTimeout(page.evaluate(fn as never, arg) as Promise<never>, CALL_TIMEOUT, 'firefox evaluate'),
        waitFor: (fn, arg, ms = 30_000) => pollUntil(() => tab.evaluate(fn, arg), ms, 'waitFor'),
        logs: () => tab.evaluate(() => (window as unknown as { __harness?: { log: LogEntry[] } }).__harness?.log ?? []),
        screenshot: async () => new Uint8Array(await withTimeout(page.screenshot({ type: 'png' }), CALL_TIMEOUT, 'firefox screenshot')),
        close: () => withTimeout(page.close(), 30_000, 'firefox page close').catch(() => undefined),
      };
      return tab;
    },
    async close() {
      await withTimeout(browser.close(), 30_000, 'firefox close').catch(() => undefined);
      if (pid !== undefined) killGroup(pid);
    },
  };
}

async function launchWebKit(): Promise<Engine> {
  const binary = miniBrowser();
  if (!binary) throw new Error('MiniBrowser is missing (apt-get install webkit2gtk-driver)');
  const started: number[] = [];
  const cleanup = () => { for (const pid of started.reverse()) killGroup(pid); };
  try {
    // Xvfb picks a free display and writes its number to fd 3.
    const x = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'], detached: true });
    started.push(track(x));
    const display = await withTimeout(new Promise<string>((res, rej) => {
      let buf = '';
      x.stdio[3]!.on('data', (d: Buffer) => { buf += String(d); if (buf.includes('\n')) res(buf.trim()); });
      x.once('exit', (c) => rej(new Error(`Xvfb exited (${c})`)));
      x.once('error', rej);
    }), 20_000, 'Xvfb start');
    const port = await freePort();
    const env = { ...process.env, NO_AT_BRIDGE: '1', DISPLAY: `:${display}` };
    const drv = spawn('WebKitWebDriver', [`--port=${port}`, '--host=127.0.0.1'], { env, stdio: 'ignore', detached: true });
    started.push(track(drv));
    const base = `http://127.0.0.1:${port}`;
    const wd = async <T = unknown>(method: string, path: string, body?: unknown, ms = CALL_TIMEOUT): Promise<T> => {
      const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(ms) });
      const j = (await r.json()) as { value: T & { error?: string; message?: string } };
      if (j.value && typeof j.value === 'object' && 'error' in j.value && j.value.error) throw new Error(`WebDriver ${method} ${path}: ${j.value.error}: ${j.value.message}`);
      return j.value;
    };
    await pollUntil(() => wd('GET', '/status', undefined, 2_000).then(() => true), 20_000, 'WebKitWebDriver /status');
    const session = await wd<{ sessionId: string; capabilities: { browserVersion?: string } }>('POST', '/session', {
      capabilities: { alwaysMatch: { 'webkitgtk:browserOptions': { binary, args: ['--automation'] } } },
    }, 60_000);
    const sid = `/session/${session.sessionId}`;
    await wd('POST', `${sid}/timeouts`, { script: CALL_TIMEOUT, pageLoad: CALL_TIMEOUT, implicit: 0 });
    let open = false;
    return {
      name: 'webkit',
      version: session.capabilities.browserVersion ?? 'unknown',
      async newTab(opts) {
        // MiniBrowser has one window: a tab is that window, reset to about:blank when closed.
        if (open) throw new Error('webkit: one tab at a time');
        open = true;
        const view = { ...DEFAULT_VIEW, ...opts };
        await wd('POST', `${sid}/window/rect`, { width: view.width, height: view.height, x: 0, y: 0 }).catch(() => undefined);
        const evaluate = async <T, A>(fn: (arg: A) => T | Promise<T>, arg?: A): Promise<Awaited<T>> => {
          const script = `const done = arguments[arguments.length - 1];
            Promise.resolve().then(() => (${fnSource(fn as never)})(arguments[0])).then((v) => done({ ok: v === undefined ? null : v }), (e) => done({ err: String(e && e.stack || e) }));`;
          const r = await wd<{ ok?: Awaited<T>; err?: string }>('POST', `${sid}/execute/async`, { script, args: [arg ?? null] });
          if (r && r.err !== undefined) throw new Error(`in page: ${r.err}`);
          return r.ok as Awaited<T>;
        };
        const tab: Tab = {
          goto: async (url) => { await wd('POST', `${sid}/url`, { url }); },
          evaluate,
          waitFor: (fn, arg, ms = 30_000) => pollUntil(() => evaluate(fn, arg), ms, 'waitFor'),
          logs: () => evaluate(() => (window as unknown as { __harness?: { log: LogEntry[] } }).__harness?.log ?? []),
          async screenshot() {
            let png = new Uint8Array();
            for (let i = 0; i < 5; i++) {
              png = new Uint8Array(Buffer.from(await wd<string>('GET', `${sid}/screenshot`), 'base64'));
              if (await hasContent(png)) break;
              await new Promise((r) => setTimeout(r, 300));
            }
            return png;
          },
          async close() {
            open = false;
            await wd('POST', `${sid}/url`, { url: 'about:blank' }, 10_000).catch(() => undefined);
          },
        };
        return tab;
      },
      async close() {
        await wd('DELETE', sid, undefined, 15_000).catch(() => undefined);
        cleanup();
      },
    };
  } catch (e) {
    cleanup();
    throw e;
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts an engine (waiting for the cross-worker engine lock). Close it to release the lock. */
export async function launchEngine(name: EngineName): Promise<Engine> {
  const why = missing(name);
  if (why) throw new Error(`${name} cannot start: ${why}`);
  const release = await lock();
  try {
    const start = name === 'chromium' ? launchChromium : name === 'webkit' ? launchWebKit : launchFirefox;
    const engine = await withTimeout(start(), 120_000, `${name} start`);
    const close = engine.close;
    engine.close = async () => {
      try { await close(); } finally { release(); }
    };
    return engine;
  } catch (e) {
    release();
    throw new Error(`${name} cannot start: ${(e as Error).message}`, { cause: e });
  }
}

/** Runs fn with a started engine and always closes it. */
export async function withEngine<T>(name: EngineName, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await launchEngine(name);
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

export interface RunPageOptions<T> {
  /** Polled in the page until truthy; its value is the result. Default: window.__results. */
  until?: () => T | Promise<T>;
  timeoutMs?: number;
  screenshot?: boolean;
  view?: TabOptions;
}

/** Opens url in a fresh tab of `engine` (an Engine, or a name to start and stop one), returns results, logs, screenshot. */
export async function runPage<T = unknown>(engine: Engine | EngineName, url: string, opts: RunPageOptions<T> = {}): Promise<{ engine: EngineName; version: string; value: Awaited<T>; logs: LogEntry[]; png?: Uint8Array }> {
  if (typeof engine === 'string') return withEngine(engine, (e) => runPage(e, url, opts));
  const tab = await engine.newTab(opts.view);
  try {
    await tab.goto(url);
    const until = opts.until ?? (() => (window as unknown as { __results?: T }).__results as T);
    const value = await tab.waitFor(until, undefined, opts.timeoutMs ?? 30_000);
    const png = opts.screenshot ? await tab.screenshot() : undefined;
    return { engine: engine.name, version: engine.version, value, logs: await tab.logs(), png };
  } finally {
    await tab.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Pixels

export interface RGBA {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a screenshot PNG to RGBA8. */
export async function pngToRGBA(png: Uint8Array): Promise<RGBA> {
  const img = await decodePng(png);
  const n = img.color === 'rgba' ? 4 : img.color === 'rgb' ? 3 : img.color === 'gray-alpha' ? 2 : 1;
  const src = img.data, out = new Uint8Array(img.width * img.height * 4);
  const k = img.bitDepth === 16 ? 257 : 1;
  for (let i = 0, j = 0; j < out.length; i += n, j += 4) {
    const g = src[i] / k;
    out[j] = n >= 3 ? src[i] / k : g;
    out[j + 1] = n >= 3 ? src[i + 1] / k : g;
    out[j + 2] = n >= 3 ? src[i + 2] / k : g;
    out[j + 3] = n === 4 ? src[i + 3] / k : n === 2 ? src[i + 1] / k : 255;
  }
  return { width: img.width, height: img.height, data: out };
}

/** A rectangle of an RGBA image (CSS px × scale, rounded). */
export function crop(img: RGBA, r: { x: number; y: number; width: number; height: number }, scale = 1): RGBA {
  const x0 = Math.round(r.x * scale), y0 = Math.round(r.y * scale), w = Math.round(r.width * scale), h = Math.round(r.height * scale);
  const out = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++) out.set(img.data.subarray(((y0 + y) * img.width + x0) * 4, ((y0 + y) * img.width + x0 + w) * 4), y * w * 4);
  return { width: w, height: h, data: out };
}

/** Largest per-channel difference (Infinity when sizes differ). */
export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
