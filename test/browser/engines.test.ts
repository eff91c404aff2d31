// Each engine starts (with CI=true a missing or broken engine fails here), reports its version, runs
// a page served by the harness, returns results and a non-blank screenshot, and reads the page's log.
import { describe, expect, it } from 'vitest';
import { ENGINES, CI, missing, pngToRGBA, runPage, serve, skipEngine } from './harness.js';

describe.each(ENGINES.map((e) => [e]))('%s', (name) => {
  it.skipIf(skipEngine(name))('starts, runs a page, screenshots it, reads its console', async () => {
    const server = await serve({
      '/p.html': {
        body: `<!doctype html><meta charset="utf-8"><body style="margin:0;background:#fff">
          <div style="width:100px;height:50px;background:rgb(255,0,0)"></div>
          <script>console.warn('hello', 1); requestAnimationFrame(() => requestAnimationFrame(() => { window.__results = { ua: navigator.userAgent, wasm: typeof WebAssembly, dpr: devicePixelRatio }; }));</script>`,
      },
    });
    try {
      const t0 = Date.now();
      const r = await runPage<{ ua: string; wasm: string; dpr: number }>(name, `${server.url}/p.html`, { screenshot: true });
      console.log(`${name} ${r.version}: ${Date.now() - t0} ms`);
      expect(r.version).toMatch(/^\d+\.\d+/);
      expect(r.value.wasm).toBe('object');
      expect(r.logs).toContainEqual({ level: 'warning', text: 'hello 1' });
      const img = await pngToRGBA(r.png!);
      expect(img.width).toBeGreaterThanOrEqual(100);
      const at = (x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 3));
      expect(at(10, 10)).toEqual([255, 0, 0]);
      expect(at(150, 10)).toEqual([255, 255, 255]);
    } finally {
      await server.close();
    }
  }, 180_000);
  it.runIf(CI)('is installed (CI)', () => expect(missing(name)).toBeNull());
});
