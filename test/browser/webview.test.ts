// Webview realities, in Chromium, WebKitGTK and Firefox ESR:
// - memory: camkit's kernel memory has a stated default maximum (DEFAULT_MAX_MEMORY_BYTES, 256 MiB) that
//   the page's runtime reports and enforces — a request past it throws MemoryLimitError (E_MEMORY) before
//   the wasm memory grows; a lower init({ maxMemoryBytes }) is enforced the same way;
// - file:// pages: the script-tag widget next to the page renders maps and images given as data: URLs;
//   with relative file URLs each engine either renders or reports a typed error (never hangs);
// - the pages under examples/ run: the documentation page and the Electron renderer page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ENGINES, ROOT, launchEngine, serve, skipEngine, type Engine, type LogEntry, type Served } from './harness.js';
import { DEFAULT_MAX_MEMORY_BYTES } from '../../src/runtime/memory.js';

const realErrors = (logs: LogEntry[]) => logs.filter((l) => l.level !== 'warning' && !/Content Security Policy|CompileError|unsafe-eval|wasm-eval|WebAssembly/i.test(l.text));

let server: Served;
let dir: string;
beforeAll(async () => {
  server = await serve({
    '/mem.html': { body: '<!doctype html><meta charset="utf-8"><script src="/dist/camkit.widget.js"></script>' },
    // The Electron example expects the package installed beside it.
    '/examples/electron/node_modules/camkit/dist/camkit.widget.js': { body: readFileSync(join(ROOT, 'dist/camkit.widget.js')), type: 'text/javascript' },
  });
  // A file:// page: the widget script copied beside it, one element with data: URLs, one with files.
  dir = mkdtempSync(join(tmpdir(), 'camkit-file-'));
  copyFileSync(join(ROOT, 'dist/camkit.widget.js'), join(dir, 'camkit.widget.js'));
  copyFileSync(join(ROOT, 'examples/assets/img0.png'), join(dir, 'img0.png'));
  copyFileSync(join(ROOT, 'examples/assets/img0.gradcam.json'), join(dir, 'img0.gradcam.json'));
  const png = readFileSync(join(ROOT, 'examples/assets/img0.png')).toString('base64');
  const json = encodeURIComponent(readFileSync(join(ROOT, 'examples/assets/img0.gradcam.json'), 'utf8'));
  writeFileSync(join(dir, 'index.html'), `<!doctype html><meta charset="utf-8"><script src="camkit.widget.js"></script>
    <script>window.__state = {}; for (const ev of ['load', 'error']) document.addEventListener(ev, (e) => {
      if (e.target.id) window.__state[e.target.id] = ev === 'load' ? { ok: true, w: e.detail.width, h: e.detail.height } : { ok: false, code: e.detail.code };
    }, true);</script>
    <cam-heatmap id="data" src="data:image/png;base64,${png}" map="data:application/json,${json}"></cam-heatmap>
    <cam-heatmap id="files" src="img0.png" map="img0.gradcam.json"></cam-heatmap>`);
});
afterAll(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

for (const name of ENGINES) {
  describe.skipIf(skipEngine(name))(`webview realities in ${name}`, () => {
    let engine: Engine;
    beforeAll(async () => { engine = await launchEngine(name); }, 900_000);
    afterAll(async () => { await engine?.close(); });

    it(`kernel memory: default maximum ${DEFAULT_MAX_MEMORY_BYTES / 2 ** 20} MiB reported and enforced; a lower cap too`, async () => {
      const tab = await engine.newTab();
      try {
        await tab.goto(`${server.url}/mem.html`);
        const r = await tab.evaluate(async () => {
          type Rt = { arena: { maxBytes: number; byteLength: number } };
          const ck = (window as unknown as { camkit: any }).camkit;
          const info = await ck.init();
          const rt = (): Rt => ck.runtimeSync();
          const map = { width: 2, height: 2, values: new Float32Array([0, 0.3, 0.6, 1]) };
          const attempt = (w: number, h: number) => {
            try {
              const out = ck.renderHeatmapSync(map, { width: w, height: h });
              return { ok: true, len: out.data.length, mem: rt().arena.byteLength };
            } catch (e) {
              return { ok: false, code: (e as { code?: string }).code, memoryError: e instanceof ck.MemoryLimitError, mem: rt().arena.byteLength };
            }
          };
          const small = attempt(224, 224);
          const huge = attempt(10000, 10000); // ~800 MB of buffers: past the default maximum
          const mid = attempt(2000, 2000); // ~32 MB: fits the default
          await ck.init({ maxMemoryBytes: 16 * 2 ** 20 });
          const capped = attempt(2000, 2000);
          const cappedMax = rt().arena.maxBytes;
          await ck.init({ maxMemoryBytes: info.maxMemoryBytes });
          return { info, maxBytes: info.maxMemoryBytes, small, huge, mid, capped, cappedMax };
        });
        expect(r.info.kernels).toBe('simd');
        expect(r.maxBytes).toBe(DEFAULT_MAX_MEMORY_BYTES);
        expect(r.small.ok).toBe(true);
        expect(r.small.mem).toBeLessThanOrEqual(2 * 2 ** 20);
        expect(r.huge).toMatchObject({ ok: false, code: 'E_MEMORY', memoryError: true });
        expect(r.huge.mem).toBeLessThanOrEqual(2 * 2 ** 20); // refused before growing
        expect(r.mid.ok).toBe(true);
        expect(r.mid.mem).toBeLessThanOrEqual(DEFAULT_MAX_MEMORY_BYTES);
        expect(r.cappedMax).toBe(16 * 2 ** 20);
        expect(r.capped).toMatchObject({ ok: false, code: 'E_MEMORY', memoryError: true });
        expect(r.capped.mem).toBeLessThanOrEqual(16 * 2 ** 20);
      } finally {
        await tab.close();
      }
    });

    it('file:// page: data: URLs render; relative files render or fail with a typed error', async () => {
      const tab = await engine.newTab();
      try {
        await tab.goto(pathToFileURL(join(dir, 'index.html')).href);
        const s = (await tab.waitFor(() => {
          const st = (window as unknown as { __state?: Record<string, { ok: boolean }> }).__state;
          return st && st.data && st.files ? st : null;
        }, undefined, 30_000))!;
        expect(s.data).toEqual({ ok: true, w: 256, h: 192 });
        if (s.files.ok) expect(s.files).toEqual({ ok: true, w: 256, h: 192 });
        else expect(s.files).toEqual({ ok: false, code: 'E_FILE' });
        console.log(`${name}: file:// with relative image and map files → ${JSON.stringify(s.files)}`);
      } finally {
        await tab.close();
      }
    });

    it('examples/docs-page.html: the three widgets render (JSON map, lazy PNG map, live)', async () => {
      const tab = await engine.newTab({ width: 960, height: 700 });
      try {
        await tab.goto(`${server.url}/examples/docs-page.html`);
        const ids = ['json', 'png', 'live'];
        await tab.waitFor((ids) => ids.every((id) => (document.getElementById(id) as unknown as { pixels: unknown })?.pixels), ids, 120_000);
        const sizes = await tab.evaluate((ids) => ids.map((id) => { const b = document.getElementById(id)!.getBoundingClientRect(); return [Math.round(b.width), Math.round(b.height)]; }), ids);
        expect(sizes).toEqual([[256, 192], [256, 192], [256, 192]]);
        expect(realErrors(await tab.logs())).toEqual([]);
      } finally {
        await tab.close();
      }
    }, 180_000);

    it('examples/electron/index.html (its CSP allows wasm): the widget renders on the SIMD kernels', async () => {
      const tab = await engine.newTab();
      try {
        await tab.goto(`${server.url}/examples/electron/index.html`);
        const text = await tab.waitFor(() => { const t = document.getElementById('kernels')!.textContent!; return /…/.test(t) ? null : t; }, undefined, 30_000);
        expect(text).toBe('Kernels: simd (256×192)');
        expect(realErrors(await tab.logs())).toEqual([]);
      } finally {
        await tab.close();
      }
    });
  });
}
