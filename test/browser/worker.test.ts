// camkit/worker in Chromium, WebKitGTK and Firefox ESR: the widget's `worker` attribute runs live mode
// in a Web Worker (no tfjs on the page: `tf` stays undefined on the main thread) and draws what the main
// thread draws (±3 per channel); the ESM API (dist/worker.js) starts dist/camkit.worker.js, picks wasm
// when tf-backend-wasm is reachable beside tfjs, webgl through OffscreenCanvas without it — or, where
// the engine's worker has no WebGL (headless Firefox), cpu with the reason recorded — and cpu on
// request; the maps agree across backends; an AbortSignal stops a Score-CAM run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, launchEngine, serve, skipEngine, type Engine, type Served } from './harness.js';
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
</script><script>addEventListener('unhandledrejection', (e) => { window.__results = { error: String(e.reason && e.reason.message || e.reason) }; }); addEventListener('error', (e) => { window.__results = { error: String(e.message) }; });</script>`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- page results, checked field by field below
type Any = any;
const maxAbs = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);

let server: Served;
beforeAll(async () => {
  server = await serve({
    '/worker.html': { body: `<!doctype html><meta charset="utf-8"><script src="/dist/camkit.widget.js"></script>${el(`worker="${TF}"`)}${collect}` },
    '/main.html': { body: `<!doctype html><meta charset="utf-8"><script src="${TF}"></script><script src="/dist/camkit.widget.js"></script>${el('')}${collect}` },
    '/api.html': { body: `<!doctype html><meta charset="utf-8">${API}` },
  });
});
afterAll(async () => { await server?.close(); });

for (const name of ENGINES) {
  describe.skipIf(skipEngine(name))(`camkit/worker in ${name}`, () => {
    let engine: Engine;
    beforeAll(async () => { engine = await launchEngine(name); }, 900_000);
    afterAll(async () => { await engine?.close(); });
    const run = async (path: string): Promise<Record<string, Any>> => {
      const tab = await engine.newTab();
      try {
        await tab.goto(`${server.url}${path}`);
        return await tab.waitFor(() => (window as unknown as { __results: Record<string, Any> }).__results, undefined, 180_000);
      } finally {
        await tab.close();
      }
    };

    it('widget worker="…tf.min.js": the explanation runs in the worker (no tfjs on the page) and draws what the main thread draws', async () => {
      const w = await run('/worker.html');
      expect(w.error).toBeUndefined();
      expect(w.tf).toBe('undefined');
      expect(w.detail).toMatchObject({ source: 'live', thread: 'worker', backend: 'wasm' });
      const m = await run('/main.html');
      expect(m.detail).toMatchObject({ source: 'live', thread: 'main' });
      expect(w.px.length).toBe(m.px.length);
      expect(maxAbs(w.px, m.px)).toBeLessThanOrEqual(3);
    }, 400_000);

    it('camkit/worker API: wasm when reachable, webgl (OffscreenCanvas) or cpu with the reason without it, cpu on request; maps agree; abort stops Score-CAM', async () => {
      const r = await run('/api.html');
      expect(r.error).toBeUndefined();
      expect(r.pageTf).toBe('undefined');
      expect(r.pageTfAfter).toBe('undefined');
      expect(r.auto).toMatchObject({ backend: 'wasm', detached: true, pixels: 256 * 192 * 4 });
      expect(r.nowasm.skipped[0]).toEqual({ backend: 'wasm', reason: expect.stringMatching(/disabled/) });
      if (r.nowasm.backend !== 'webgl') {
        // No WebGL in this engine's workers: the fallback is cpu, and why webgl was passed over is recorded.
        expect(r.nowasm.backend).toBe('cpu');
        expect(r.nowasm.skipped[1]).toEqual({ backend: 'webgl', reason: expect.any(String) });
      }
      expect(r.cpu.backend).toBe('cpu');
      expect(maxAbs(r.maps.auto, r.maps.cpu)).toBeLessThanOrEqual(tol.webgl_map_abs);
      expect(maxAbs(r.maps.nowasm, r.maps.cpu)).toBeLessThanOrEqual(tol.webgl_map_abs);
      expect(r.abort).toBe('E_ABORTED');
      expect(r.progress).toBeGreaterThan(0);
      expect(r.afterAbort).toBe(64 * 48);
    }, 400_000);
  });
}
