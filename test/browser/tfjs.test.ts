// tfjs in Chromium, WebKitGTK and Firefox ESR: the capture IIFE (dist/camkit.capture.js, the file live
// mode loads, on the widget script's runtime) with the page's tfjs UMD computes Grad-CAM and guided
// backprop on every backend the engine offers — cpu, wasm (tfjs-backend-wasm served beside tfjs) and
// webgl where the engine has a WebGL context (not headless Firefox: there the check is that tfjs
// refuses webgl and the cpu results stand) — equal to the cpu backend within webgl_map_abs, and the
// cpu results match pytorch-grad-cam's golden data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, ROOT, launchEngine, serve, skipEngine, type Engine, type Served } from './harness.js';
import { absErr, relErr } from '../helpers/flavors.js';
import tol from '../tolerances.json';

const golden = JSON.parse(readFileSync(join(ROOT, '..', 'shared', 'golden', 'golden-public.json'), 'utf8'));
const WASM_DIR = '/node_modules/@tensorflow/tfjs-backend-wasm/dist/';

let server: Served;
beforeAll(async () => {
  server = await serve({
    '/tf.html': {
      body: `<!doctype html><meta charset="utf-8"><script src="/node_modules/@tensorflow/tfjs/dist/tf.min.js"></script>
        <script src="${WASM_DIR}tf-backend-wasm.min.js"></script>
        <script src="/dist/camkit.widget.js"></script><script src="/dist/camkit.capture.js"></script>`,
    },
  });
});
afterAll(async () => { await server?.close(); });

for (const name of ENGINES) {
  describe.skipIf(skipEngine(name))(`tfjs backends in ${name} (capture IIFE)`, () => {
    let engine: Engine;
    beforeAll(async () => { engine = await launchEngine(name); }, 900_000);
    afterAll(async () => { await engine?.close(); });

    it('Grad-CAM and guided backprop: every backend = cpu within 1e-3, cpu = pytorch-grad-cam, no leaked tensors', async () => {
      const c = golden.cases.find((k: { id: string }) => k.id === 'seq_s0/img0/conv3/c0');
      const px = golden.images.img0.pixels.values as number[];
      const tab = await engine.newTab();
      try {
        await tab.goto(`${server.url}/tf.html`);
        await tab.waitFor(() => !!(window as unknown as { camkitCapture?: unknown }).camkitCapture, undefined, 30_000);
        const res = await tab.evaluate(async ({ px, wasmDir }) => {
          type R = { map: Float32Array; guided?: Float32Array };
          const w = window as unknown as { tf: any; camkitCapture: { explain(m: unknown, x: unknown, o: object): Promise<R> } };
          const tf = w.tf;
          tf.wasm.setWasmPaths(location.origin + wasmDir);
          const c = document.createElement('canvas');
          const webgl = !!(c.getContext('webgl2') || c.getContext('webgl'));
          const out: Record<string, { map: number[]; guided: number[]; leaked: number; backend: string } | { refused: true }> = {};
          for (const backend of ['cpu', 'wasm', 'webgl']) {
            const ok = await tf.setBackend(backend).catch(() => false);
            if (!ok) {
              out[backend] = { refused: true };
              continue;
            }
            const model = await tf.loadLayersModel('/examples/assets/seq_s0/model.json');
            const x = tf.tensor(px, [1, 48, 64, 3]);
            const before = tf.memory().numTensors;
            const cam = await w.camkitCapture.explain(model, x, { method: 'GradCAM', layer: 'conv3', target: 0 });
            const gb = await w.camkitCapture.explain(model, x, { method: 'GuidedBackprop', target: 0 });
            const leaked = tf.memory().numTensors - before;
            x.dispose();
            model.dispose();
            out[backend] = { map: Array.from(cam.map), guided: Array.from(gb.guided!), leaked, backend: tf.getBackend() };
          }
          return { out, webgl };
        }, { px, wasmDir: WASM_DIR });
        type Ok = { map: number[]; guided: number[]; leaked: number; backend: string };
        const cpu = res.out.cpu as Ok;
        expect(cpu.backend).toBe('cpu');
        expect(cpu.leaked).toBe(0);
        expect(absErr(cpu.map, c.methods.GradCAM.grayscale_cam.values)).toBeLessThanOrEqual(tol.e2e_map_abs);
        expect(relErr(cpu.guided, c.guided_backprop.values)).toBeLessThanOrEqual(tol.e2e_guided_rel);
        // wasm runs in every engine here; webgl exactly where the engine gives a WebGL context.
        expect('refused' in res.out.wasm).toBe(false);
        expect('refused' in res.out.webgl).toBe(!res.webgl);
        const ran = ['wasm', 'webgl'].filter((b) => !('refused' in res.out[b]));
        for (const b of ran) {
          const r = res.out[b] as Ok;
          expect(r.backend).toBe(b);
          expect(r.leaked).toBe(0);
          expect(absErr(r.map, cpu.map)).toBeLessThanOrEqual(tol.webgl_map_abs);
          expect(relErr(r.guided, cpu.guided)).toBeLessThanOrEqual(tol.webgl_map_abs);
          // Not a constant map: the hot spot is where the square is (golden image objects: cy 14, cx 16).
          const hot = r.map.indexOf(Math.max(...r.map));
          expect(Math.abs(Math.floor(hot / 64) - 14)).toBeLessThanOrEqual(8);
          expect(Math.abs((hot % 64) - 16)).toBeLessThanOrEqual(8);
        }
        console.log(`${name} ${engine.version}: tfjs backends ${['cpu', ...ran].join(', ')}`);
      } finally {
        await tab.close();
      }
    }, 180_000);
  });
}
