// The webgpu backend (@tensorflow/tfjs-backend-webgpu) in headless Chromium on a software adapter:
// Grad-CAM and guided backprop through the capture IIFE equal the cpu backend within 1e-3. Chromium is
// started with each flag set below in turn until WebGPU gives an adapter and tfjs' webgpu backend
// starts; what each attempt gave is recorded in the test's output (and docs/worker.md). If none
// starts, the test fails in CI and, locally, passes only with every attempt's reason recorded.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { CAN_RUN, CHROMIUM, ROOT, serve } from './harness.js';
import { absErr, relErr } from '../helpers/flavors.js';
import tol from '../tolerances.json';

const BASE = ['--headless', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** Flag sets tried in order (the first that starts WebGPU is used). */
export const WEBGPU_ATTEMPTS: { name: string; args: string[] }[] = [
  { name: 'unsafe-webgpu + disable-gpu', args: [...BASE, '--disable-gpu', '--enable-unsafe-webgpu'] },
  { name: 'unsafe-webgpu', args: [...BASE, '--enable-unsafe-webgpu'] },
  { name: 'unsafe-webgpu + swiftshader adapter', args: [...BASE, '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'] },
  { name: 'unsafe-webgpu + Vulkan swiftshader', args: [...BASE, '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'] },
];

const PAGE = '<!doctype html><meta charset="utf-8"><script src="/node_modules/@tensorflow/tfjs/dist/tf.min.js"></script><script src="/webgpu.js"></script><script src="/dist/camkit.widget.js"></script><script src="/dist/camkit.capture.js"></script>';

async function probe(): Promise<{ gpu: boolean; adapter?: string; fallback?: boolean; device?: string; tf?: string }> {
  const nav = navigator as unknown as { gpu?: { requestAdapter(): Promise<null | { info?: { vendor: string; architecture: string; description: string }; isFallbackAdapter?: boolean; requestDevice(): Promise<unknown> }> } };
  if (!nav.gpu) return { gpu: false };
  const a = await nav.gpu.requestAdapter();
  if (!a) return { gpu: true, adapter: 'null (no adapter)' };
  let device = 'ok';
  try {
    await a.requestDevice();
  } catch (e) {
    device = String(e);
  }
  const tf = (window as unknown as { tf: { setBackend(b: string): Promise<boolean>; getBackend(): string } }).tf;
  let started: string;
  try {
    started = (await tf.setBackend('webgpu')) ? tf.getBackend() : 'setBackend returned false';
  } catch (e) {
    started = String(e);
  }
  const info = a.info ?? { vendor: '?', architecture: '?', description: '?' };
  return { gpu: true, adapter: `${info.vendor} ${info.architecture} ${info.description}`.trim(), fallback: a.isFallbackAdapter, device, tf: started };
}

describe.skipIf(!CAN_RUN)('tfjs webgpu backend in headless Chromium', () => {
  let browser: Browser | undefined;
  let server: Awaited<ReturnType<typeof serve>> | undefined;
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('Grad-CAM and guided backprop on webgpu equal cpu within 1e-3 (or every attempt to start WebGPU is recorded)', async () => {
    server = await serve({
      '/webgpu.js': { body: readFileSync(join(ROOT, 'node_modules/@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js')), type: 'text/javascript' },
      '/gpu.html': { body: PAGE },
    });
    const attempts: { name: string; result: unknown }[] = [];
    let page;
    for (const at of WEBGPU_ATTEMPTS) {
      const b = await chromium.launch({ executablePath: CHROMIUM, args: at.args, timeout: 60_000 });
      const p = await b.newPage();
      await p.goto(`${server.url}/gpu.html`);
      const r = await p.evaluate(probe);
      attempts.push({ name: at.name, result: r });
      if (r.tf === 'webgpu') {
        browser = b;
        page = p;
        break;
      }
      await b.close();
    }
    console.log(`WebGPU attempts: ${JSON.stringify(attempts, null, 1)}`);
    if (!page) {
      expect(process.env.CI, `WebGPU did not start: ${JSON.stringify(attempts)}`).not.toBe('true');
      expect(attempts).toHaveLength(WEBGPU_ATTEMPTS.length);
      return;
    }
    const golden = JSON.parse(readFileSync(join(ROOT, '..', 'shared', 'golden', 'golden-public.json'), 'utf8'));
    const px = golden.images.img0.pixels.values as number[];
    const res = await page.evaluate(async (px) => {
      type R = { map: Float32Array; guided?: Float32Array };
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the page's tfjs global, typed loosely on purpose
      const w = window as unknown as { tf: any; camkitCapture: { explain(m: unknown, x: unknown, o: object): Promise<R> } };
      const tf = w.tf;
      const out: Record<string, { map: number[]; guided: number[]; leaked: number; backend: string }> = {};
      for (const backend of ['cpu', 'webgpu']) {
        await tf.setBackend(backend);
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
    console.log(`webgpu vs cpu: Grad-CAM max abs ${absErr(res.webgpu.map, res.cpu.map)}, guided backprop rel ${relErr(res.webgpu.guided, res.cpu.guided)}`);
    expect(res.webgpu.backend).toBe('webgpu');
    expect(res.webgpu.leaked).toBe(0);
    expect(absErr(res.webgpu.map, res.cpu.map)).toBeLessThanOrEqual(tol.webgl_map_abs);
    expect(relErr(res.webgpu.guided, res.cpu.guided)).toBeLessThanOrEqual(tol.webgl_map_abs);
    expect(Math.max(...res.cpu.map)).toBeGreaterThan(0.99);
  }, 300_000);
});
