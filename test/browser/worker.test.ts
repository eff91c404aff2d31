// camkit/worker in headless Chromium: the widget's `worker` attribute runs live mode in a Web Worker
// (no tfjs on the page: `tf` stays undefined on the main thread) and draws what the main thread would;
// the ESM API (dist/worker.js) starts dist/camkit.worker.js, picks wasm when tf-backend-wasm is
// reachable beside tfjs, webgl through OffscreenCanvas without it, cpu on request; the maps agree
// across backends; an AbortSignal stops a Score-CAM run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CAN_RUN, launch, serve } from './harness.js';
import tol from '../tolerances.json';

const TF = '/node_modules/@tensorflow/tfjs/dist/tf.min.js';
const MODEL = '/examples/assets/seq_s0/model.json';
const el = (extra: string) =>
  `<cam-heatmap id="h" src="/examples/assets/img0.png" model="${MODEL}" layer="conv3" target="0" preprocess="0-1" ${extra}></cam-heatmap>`;
const collect = `<script>
  const h = document.getElementById('h');
  h.addEventListener('load', (e) => { window.__results = { detail: e.detail, tf: typeof tf, px: Array.from(h.pixels.data) }; });
  h.addEventListener('error', (e) => { window.__results = { error: e.detail.error.message, code: e.detail.code }; });
</script>`;

const API = `<script type="module">
  import { createWorker } from '/dist/worker.js';
  const img = new Image(); img.src = '/examples/assets/img0.png'; await img.decode();
  const c = new OffscreenCanvas(img.width, img.height); const g = c.getContext('2d'); g.drawImage(img, 0, 0);
  const px = () => g.getImageData(0, 0, img.width, img.height);
  const out = { pageTf: typeof tf };
  const maps = {};
  for (const [name, opts] of [['auto', {}], ['nowasm', { wasm: false }], ['cpu', { backend: 'cpu' }]]) {
    const w = await createWorker({ tfjs: '${TF}', ...opts });
    const info = await w.ready;
    const image = px();
    const r = await w.explain({ model: '${MODEL}', image, layer: 'conv3', target: 0, method: 'GradCAM', render: { colormap: 'jet' } });
    out[name] = { backend: info.backend, kernels: info.kernels, skipped: info.skipped, detached: image.data.byteLength === 0, pixels: r.pixels.data.length, ms: r.ms };
    maps[name] = Array.from(r.map);
    if (name === 'cpu') {
      const ctrl = new AbortController(); let progress = 0;
      try {
        await w.explain({ model: '${MODEL}', image: px(), layer: 'conv3', method: 'ScoreCAM', target: 0 },
          { signal: ctrl.signal, onProgress: (p) => { progress++; if (p.done >= 1) ctrl.abort(); } });
        out.abort = 'not aborted';
      } catch (e) { out.abort = e.code; }
      out.progress = progress;
      const again = await w.explain({ model: '${MODEL}', image: px(), layer: 'conv3', target: 0 });
      out.afterAbort = again.map.length;
    }
    w.terminate();
  }
  out.maps = maps;
  out.pageTfAfter = typeof tf;
  window.__results = out;
</script>`;

const maxAbs = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

describe.skipIf(!CAN_RUN)('camkit/worker in headless Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serve>>;
  const run = async (path: string) => {
    const page = await browser.newPage();
    try {
      await page.goto(`${server.url}${path}`);
      await page.waitForFunction(() => (window as unknown as { __results?: unknown }).__results, undefined, { timeout: 90_000 });
      return await page.evaluate(() => (window as unknown as { __results: Record<string, any> }).__results);
    } finally {
      await page.close();
    }
  };
  beforeAll(async () => {
    server = await serve({
      '/worker.html': { body: `<!doctype html><meta charset="utf-8"><script src="/dist/camkit.widget.js"></script>${el(`worker="${TF}"`)}${collect}` },
      '/main.html': { body: `<!doctype html><meta charset="utf-8"><script src="${TF}"></script><script src="/dist/camkit.widget.js"></script>${el('')}${collect}` },
      '/api.html': { body: `<!doctype html><meta charset="utf-8">${API}` },
    });
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('widget worker="…tf.min.js": the explanation runs in the worker (no tfjs on the page) and draws what the main thread draws', async () => {
    const w = await run('/worker.html');
    expect(w.error).toBeUndefined();
    expect(w.tf).toBe('undefined');
    expect(w.detail).toMatchObject({ source: 'live', thread: 'worker', backend: 'wasm', width: 256, height: 192 });
    const m = await run('/main.html');
    expect(m.detail).toMatchObject({ source: 'live', thread: 'main' });
    expect(maxAbs(w.px, m.px)).toBeLessThanOrEqual(3);
  }, 180_000);

  it('camkit/worker API: wasm when reachable, webgl (OffscreenCanvas) without it, cpu on request; maps agree; abort stops Score-CAM', async () => {
    const r = await run('/api.html');
    expect(r.pageTf).toBe('undefined');
    expect(r.pageTfAfter).toBe('undefined');
    expect(r.auto).toMatchObject({ backend: 'wasm', detached: true, pixels: 256 * 192 * 4 });
    expect(r.nowasm.backend).toBe('webgl');
    expect(r.nowasm.skipped).toEqual([{ backend: 'wasm', reason: expect.stringMatching(/disabled/) }]);
    expect(r.cpu.backend).toBe('cpu');
    expect(maxAbs(r.maps.auto, r.maps.cpu)).toBeLessThanOrEqual(tol.webgl_map_abs);
    expect(maxAbs(r.maps.nowasm, r.maps.cpu)).toBeLessThanOrEqual(tol.webgl_map_abs);
    expect(r.abort).toBe('E_ABORTED');
    expect(r.progress).toBeGreaterThan(0);
    expect(r.afterAbort).toBe(64 * 48);
  }, 180_000);
});
