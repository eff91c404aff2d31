// tfjs in headless Chromium: the capture IIFE (dist/camkit.capture.js, the file live mode loads, on the
// widget script's runtime) with the page's tfjs UMD computes Grad-CAM and guided backprop on the webgl backend (SwiftShader) that
// match the cpu backend within webgl_map_abs, and the cpu results match pytorch-grad-cam's golden data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CAN_RUN, ROOT, launch, serve } from './harness.js';
import { absErr, relErr } from '../helpers/flavors.js';
import tol from '../tolerances.json';

const golden = CAN_RUN ? JSON.parse(readFileSync(join(ROOT, '..', 'shared', 'golden', 'golden-public.json'), 'utf8')) : null;

describe.skipIf(!CAN_RUN)('tfjs backends in headless Chromium (capture IIFE)', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serve>>;
  let page: Page;
  beforeAll(async () => {
    server = await serve({
      '/tf.html': {
        body: '<!doctype html><meta charset="utf-8"><script src="/node_modules/@tensorflow/tfjs/dist/tf.min.js"></script><script src="/dist/camkit.widget.js"></script><script src="/dist/camkit.capture.js"></script>',
      },
    });
    browser = await launch();
    page = await browser.newPage();
    await page.goto(`${server.url}/tf.html`);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Grad-CAM and guided backprop: webgl = cpu within 1e-3, cpu = pytorch-grad-cam, no leaked tensors', async () => {
    const c = golden.cases.find((k: { id: string }) => k.id === 'seq_s0/img0/conv3/c0');
    const px = golden.images.img0.pixels.values as number[];
    const res = await page.evaluate(async (px) => {
      type R = { map: Float32Array; guided?: Float32Array };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's tfjs global, typed loosely on purpose
      const w = window as unknown as { tf: any; camkitCapture: { explain(m: unknown, x: unknown, o: object): Promise<R> } };
      const tf = w.tf;
      const out: Record<string, { map: number[]; guided: number[]; leaked: number; backend: string }> = {};
      for (const backend of ['cpu', 'webgl']) {
        if (!(await tf.setBackend(backend))) throw new Error(`no ${backend} backend`);
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
      return out;
    }, px);
    expect(res.webgl.backend).toBe('webgl');
    expect(res.cpu.leaked).toBe(0);
    expect(res.webgl.leaked).toBe(0);
    expect(absErr(res.webgl.map, res.cpu.map)).toBeLessThanOrEqual(tol.webgl_map_abs);
    expect(relErr(res.webgl.guided, res.cpu.guided)).toBeLessThanOrEqual(tol.webgl_map_abs);
    expect(absErr(res.cpu.map, c.methods.GradCAM.grayscale_cam.values)).toBeLessThanOrEqual(tol.e2e_map_abs);
    expect(relErr(res.cpu.guided, c.guided_backprop.values)).toBeLessThanOrEqual(tol.e2e_guided_rel);
    // Not a constant map: the hot spot is where the square is (golden image objects: cy 14, cx 16).
    const m = res.webgl.map;
    const hot = m.indexOf(Math.max(...m));
    expect(Math.abs(Math.floor(hot / 64) - 14)).toBeLessThanOrEqual(8);
    expect(Math.abs((hot % 64) - 16)).toBeLessThanOrEqual(8);
  }, 120_000);
});
