// The widget's worker mode in every engine the three-engine harness starts (Chromium, WebKitGTK,
// Firefox ESR): live mode runs in a Web Worker with no tfjs on the page and draws what the main thread
// draws (±3 per channel). Where an engine's worker lacks something, the fallback is what is checked:
// the detail says which thread and backend ran. Needs the harness's launchEngine (test/browser/harness.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as harness from './harness.js';

type EngineName = 'chromium' | 'webkit' | 'firefox';
interface Tab {
  goto(url: string): Promise<void>;
  waitFor<T>(fn: () => T, arg?: undefined, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}
interface Engine {
  name: EngineName;
  version: string;
  newTab(): Promise<Tab>;
  close(): Promise<void>;
}
const h = harness as unknown as { launchEngine?: (n: EngineName) => Promise<Engine>; skipEngine?: (n: EngineName) => boolean };
const ENGINES: EngineName[] = ['chromium', 'webkit', 'firefox'];
const TF = '/node_modules/@tensorflow/tfjs/dist/tf.min.js';
const el = (extra: string) =>
  `<cam-heatmap id="h" src="/examples/assets/img0.png" model="/examples/assets/seq_s0/model.json" layer="conv3" target="0" ${extra}></cam-heatmap>`;
const collect = `<script>
  const h = document.getElementById('h');
  h.addEventListener('load', (e) => { window.__results = { detail: e.detail, tf: typeof tf, px: Array.from(h.pixels.data) }; });
  h.addEventListener('error', (e) => { window.__results = { error: e.detail.error.message, code: e.detail.code }; });
</script>`;

type Result = { detail?: { thread: string; backend: string; source: string }; tf?: string; px?: number[]; error?: string };

describe.skipIf(!h.launchEngine || !harness.HAVE_DIST)('widget worker mode in each engine', () => {
  let server: Awaited<ReturnType<typeof harness.serve>>;
  beforeAll(async () => {
    server = await harness.serve({
      '/we-worker.html': { body: `<!doctype html><meta charset="utf-8"><script src="/dist/camkit.widget.js"></script>${el(`worker="${TF}"`)}${collect}` },
      '/we-main.html': { body: `<!doctype html><meta charset="utf-8"><script src="${TF}"></script><script src="/dist/camkit.widget.js"></script>${el('')}${collect}` },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  for (const name of ENGINES) {
    it.skipIf(h.skipEngine?.(name) ?? true)(`${name}: worker="…tf.min.js" runs in the worker, no tfjs on the page, same picture as the main thread`, async () => {
      const engine = await h.launchEngine!(name);
      const run = async (path: string): Promise<Result> => {
        const tab = await engine.newTab();
        try {
          await tab.goto(`${server.url}${path}`);
          return await tab.waitFor(() => (window as unknown as { __results: Result }).__results, undefined, 120_000);
        } finally {
          await tab.close();
        }
      };
      try {
        const w = await run('/we-worker.html');
        expect(w.error).toBeUndefined();
        expect(w.tf).toBe('undefined');
        expect(w.detail).toMatchObject({ source: 'live', thread: 'worker', backend: 'wasm' });
        const m = await run('/we-main.html');
        expect(m.detail).toMatchObject({ source: 'live', thread: 'main' });
        let d = 0;
        for (let i = 0; i < w.px!.length; i++) d = Math.max(d, Math.abs(w.px![i] - m.px![i]));
        expect(d).toBeLessThanOrEqual(3);
      } finally {
        await engine.close();
      }
    }, 400_000);
  }
});
