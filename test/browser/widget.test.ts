// The script-tag bundle in Chromium, WebKitGTK and Firefox ESR (harness.ts): renders where the map is
// hot, runs the SIMD kernels under a CSP with 'wasm-unsafe-eval', falls back to the TypeScript kernels
// (one warning, same pixels) under script-src 'self'; the ESM entries import in a page; live mode runs
// on the tfjs backend the engine offers. CAMKIT_SCREENSHOT=1 also writes docs/widget.png (Chromium).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, ROOT, launchEngine, maxDiff, serve, skipEngine, type Engine, type LogEntry, type Served } from './harness.js';
import { decodePng } from '../../src/render/png.js';
import { parseMapJson } from '../../src/render/mapfile.js';
import { renderOverlaySync } from '../../src/render/overlay.js';
import { createRuntime } from '../../src/runtime/init.js';

const PAGE = `<!doctype html><meta charset="utf-8"><title>t</title>
<script src="/dist/camkit.widget.js"></script>
<cam-heatmap id="a" src="/examples/assets/img0.png" map="/examples/assets/img0.gradcam.json" alt="A red square" controls></cam-heatmap>`;

const PAGES = {
  '/plain.html': { body: PAGE },
  '/csp-wasm.html': { body: PAGE, headers: { 'content-security-policy': "script-src 'self' 'wasm-unsafe-eval'" } },
  '/csp-strict.html': { body: PAGE, headers: { 'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self'" } },
  '/live.html': {
    body: `<!doctype html><meta charset="utf-8">
      <script>window.__progress = []; document.addEventListener('progress', (e) => e.detail && window.__progress.push([e.target.id, e.detail.done, e.detail.total]), true);</script>
      <script src="/node_modules/@tensorflow/tfjs/dist/tf.min.js"></script><script src="/dist/camkit.widget.js"></script>
      <cam-heatmap id="pre" src="/examples/assets/img0.png" map="/examples/assets/img0.gradcam.json"></cam-heatmap>
      <cam-heatmap id="live" src="/examples/assets/img0.png" model="/examples/assets/seq_s0/model.json" layer="conv3" target="0"></cam-heatmap>
      <cam-heatmap id="score" src="/examples/assets/img0.png" model="/examples/assets/seq_s0/model.json" layer="conv3" target="0" method="ScoreCAM"></cam-heatmap>`,
  },
  '/esm.html': { body: '<!doctype html><meta charset="utf-8"><script type="module" src="/esm.js"></script>' },
  '/esm.js': {
    body: `import { init, renderHeatmapSync } from '/dist/index.js';
      import { CamHeatmap } from '/dist/widget.js';
      const info = await init();
      window.__esm = { kernels: info.kernels, px: Array.from(renderHeatmapSync({ width: 2, height: 1, values: new Float32Array([0, 1]) }).data),
        defined: customElements.get('cam-heatmap') === CamHeatmap };`,
  },
};

async function expected() {
  const png = await decodePng(readFileSync(join(ROOT, 'examples/assets/img0.png')));
  const map = parseMapJson(readFileSync(join(ROOT, 'examples/assets/img0.gradcam.json'), 'utf8'));
  const out = renderOverlaySync(map, { width: png.width, height: png.height, data: png.data as Uint8Array }, {}, await createRuntime('js'));
  let hot = 0;
  for (let i = 1; i < map.values.length; i++) if (map.values[i] > map.values[hot]) hot = i;
  // The hottest map cell, in image pixels (the map is 64×48, the image 256×192).
  const sx = png.width / map.width, sy = png.height / map.height;
  return { out, hot: { x: Math.floor(((hot % map.width) + 0.5) * sx), y: Math.floor((Math.floor(hot / map.width) + 0.5) * sy) }, png };
}

const camkitWarnings = (logs: LogEntry[]) => logs.filter((l) => l.level === 'warning' && /camkit/.test(l.text)).map((l) => l.text);
// Errors other than the engine refusing wasm under the CSP.
const realErrors = (logs: LogEntry[]) => logs.filter((l) => l.level !== 'warning' && !/Content Security Policy|CompileError|unsafe-eval|wasm-eval|WebAssembly/i.test(l.text));

let server: Served;
beforeAll(async () => { server = await serve(PAGES); });
afterAll(async () => { await server?.close(); });

for (const name of ENGINES) {
  describe.skipIf(skipEngine(name))(`widget in ${name}`, () => {
    let engine: Engine;
    beforeAll(async () => { engine = await launchEngine(name); }, 900_000);
    afterAll(async () => { await engine?.close(); });

    async function render(path: string) {
      const tab = await engine.newTab();
      try {
        await tab.goto(server.url + path);
        await tab.waitFor(() => !!(document.getElementById('a') as unknown as { pixels: unknown })?.pixels, undefined, 30_000);
        const r = await tab.evaluate(() => {
          const el = document.getElementById('a') as HTMLElement & { pixels: { width: number; height: number } };
          const c = el.shadowRoot!.querySelector('canvas.view') as HTMLCanvasElement;
          const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let s = '';
          for (let i = 0; i < d.length; i++) s += String.fromCharCode(d[i]);
          const frame = el.shadowRoot!.querySelector('[part="frame"]')!;
          return {
            w: c.width, h: c.height, b64: btoa(s),
            kernels: (window as unknown as { camkit: { activeKernels(): string } }).camkit.activeKernels(),
            label: frame.getAttribute('aria-label'), role: frame.getAttribute('role'),
            // The shadow styles apply even under style-src 'self' (constructed stylesheet, not inline <style>).
            controlsDisplay: getComputedStyle(el.shadowRoot!.querySelector('[part="controls"]')!).display,
          };
        });
        return { ...r, px: Uint8Array.from(atob(r.b64), (ch) => ch.charCodeAt(0)), logs: await tab.logs() };
      } finally {
        await tab.close();
      }
    }

    it('script tag only: heatmap colours where the map is hot, equal to camkit in Node', async () => {
      const want = await expected();
      const r = await render('/plain.html');
      expect(realErrors(r.logs)).toEqual([]);
      expect([r.w, r.h]).toEqual([256, 192]);
      expect([r.role, r.label]).toEqual(['img', 'A red square']);
      expect(r.kernels).toBe('simd');
      expect(maxDiff(r.px, want.out.data)).toBeLessThanOrEqual(1);
      // Hot spot: jet red dominates over the image; a cold corner is tinted blue.
      const at = (x: number, y: number, a: Uint8Array | Uint8ClampedArray) => Array.from(a.subarray((y * r.w + x) * 4, (y * r.w + x) * 4 + 4));
      const [hr, , hb] = at(want.hot.x, want.hot.y, r.px);
      expect(hr).toBeGreaterThan(hb + 60);
      const [cr, , cb] = at(r.w - 2, r.h - 2, r.px);
      const [ir, , ib] = at(r.w - 2, r.h - 2, want.png.data as Uint8Array);
      expect(cb - cr).toBeGreaterThan(ib - ir + 30);
    });

    it("CSP script-src 'self' 'wasm-unsafe-eval' runs the SIMD kernels; 'self' alone falls back with one warning and the same pixels", async () => {
      const simd = await render('/csp-wasm.html');
      expect(simd.kernels).toBe('simd');
      expect(camkitWarnings(simd.logs)).toEqual([]);
      expect(realErrors(simd.logs)).toEqual([]);
      const js = await render('/csp-strict.html');
      expect(js.kernels).toBe('js');
      expect(js.controlsDisplay).toBe('flex');
      const cw = camkitWarnings(js.logs);
      expect(cw).toHaveLength(1);
      expect(cw[0]).toMatch(/wasm-unsafe-eval/);
      expect(realErrors(js.logs)).toEqual([]);
      expect(maxDiff(js.px, simd.px)).toBeLessThanOrEqual(1);
    });

    it('live mode: loads camkit.capture.js beside the widget on the best tfjs backend, Grad-CAM equals the precomputed map; Score-CAM reports progress', async () => {
      const tab = await engine.newTab();
      try {
        await tab.goto(`${server.url}/live.html`);
        await tab.waitFor(() => ['pre', 'live', 'score'].every((id) => (document.getElementById(id) as unknown as { pixels: unknown }).pixels), undefined, 120_000);
        const r = await tab.evaluate(async () => {
          const px = (id: string) => Array.from((document.getElementById(id) as unknown as { pixels: { data: Uint8ClampedArray } }).pixels.data);
          const scripts = Array.from(document.scripts, (s) => s.src.replace(location.origin, ''));
          // camkit.capture.js takes the runtime and the error classes from the widget's global: an error
          // thrown inside capture code is an instance of the widget's classes.
          const w = window as unknown as { tf: { getBackend(): string }; camkit: { CamkitError: new () => Error }; camkitCapture: { explain: (...a: unknown[]) => Promise<unknown> } };
          const e = await w.camkitCapture.explain(null, null).then(() => 'resolved', (err: unknown) => err);
          const sharedErrors = e instanceof w.camkit.CamkitError || String(e);
          const c = document.createElement('canvas');
          const webgl = !!(c.getContext('webgl2') || c.getContext('webgl'));
          return { pre: px('pre'), live: px('live'), progress: (window as unknown as { __progress: [string, number, number][] }).__progress, scripts, sharedErrors, backend: w.tf.getBackend(), webgl };
        });
        expect(r.sharedErrors).toBe(true);
        expect(realErrors(await tab.logs())).toEqual([]);
        expect(r.scripts).toContain('/dist/camkit.capture.js');
        // tfjs's own choice: webgl where the engine has a WebGL context, else its cpu fallback.
        expect(r.backend).toBe(r.webgl ? 'webgl' : 'cpu');
        // webgl float maps differ from pytorch-grad-cam's by < 1e-3: at most one LUT step (≤ 4 levels of
        // jet), halved by the 0.5 blend, plus rounding.
        expect(maxDiff(r.pre, r.live)).toBeLessThanOrEqual(3);
        const score = r.progress.filter((p) => p[0] === 'score');
        expect(score.length).toBeGreaterThan(0);
        expect(score[score.length - 1][1]).toBe(score[score.length - 1][2]);
        console.log(`${name}: live mode on tfjs ${r.backend}`);
      } finally {
        await tab.close();
      }
    }, 180_000);

    it('ESM: dist/index.js and dist/widget.js import in a page', async () => {
      const tab = await engine.newTab();
      try {
        await tab.goto(`${server.url}/esm.html`);
        const r = await tab.waitFor(() => (window as unknown as { __esm: unknown }).__esm, undefined, 30_000);
        expect(r).toEqual({ kernels: 'simd', px: [0, 0, 128, 255, 128, 0, 0, 255], defined: true });
      } finally {
        await tab.close();
      }
    });

    it.runIf(name === 'chromium' && process.env.CAMKIT_SCREENSHOT === '1')('docs page screenshot → docs/widget.png', async () => {
      const tab = await engine.newTab({ width: 960, height: 420 });
      try {
        await tab.goto(`${server.url}/examples/docs-page.html`);
        await tab.waitFor(() => ['json', 'png', 'live'].every((id) => (document.getElementById(id) as unknown as { pixels: unknown })?.pixels), undefined, 60_000);
        writeFileSync(join(ROOT, 'docs', 'widget.png'), await tab.screenshot());
      } finally {
        await tab.close();
      }
    }, 90_000);
  });
}
