// The widget sizes like an image, in Chromium, WebKitGTK and Firefox ESR. The static page —
// <cam-heatmap style="width:256px;height:192px" src map> over a 64×48 image — shows the heatmap over
// the whole box (hot where the map is hot), with and without wasm allowed by the page's CSP: within each
// engine the two screenshots agree within ±3 per channel, and the element's `pixels` agree within ±3
// across engines. Then: no size → the image's size, width alone keeps the aspect ratio, height alone
// too, width/height attributes as on <img> (page CSS wins), fit contain/cover/fill, controls, and a
// resize redraws without re-rendering (the same `pixels` object).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENGINES, ROOT, crop, launchEngine, maxDiff, pngToRGBA, serve, skipEngine, type Engine, type LogEntry, type RGBA, type Served } from './harness.js';
import { encodePng } from '../../src/render/png.js';
import { parseMapJson } from '../../src/render/mapfile.js';
import { renderOverlaySync } from '../../src/render/overlay.js';
import { createRuntime } from '../../src/runtime/init.js';

const golden = JSON.parse(readFileSync(join(ROOT, '..', 'shared', 'golden', 'golden-public.json'), 'utf8'));
const MAP_JSON = readFileSync(join(ROOT, 'examples/assets/img0.gradcam.json'), 'utf8');
const map = parseMapJson(MAP_JSON);
// The golden 64×48 image (values 0..1 or 0..255, RGB) as an RGBA PNG.
const rgb = golden.images.img0.pixels.values as number[];
const scale = Math.max(...rgb) <= 1 ? 255 : 1;
const image = { width: 64, height: 48, data: new Uint8Array(64 * 48 * 4) };
for (let i = 0; i < 64 * 48; i++) {
  for (let c = 0; c < 3; c++) image.data[i * 4 + c] = Math.round(rgb[i * 3 + c] * scale);
  image.data[i * 4 + 3] = 255;
}
const want = renderOverlaySync(map, image, {}, await createRuntime('js'));
let hot = 0;
for (let i = 1; i < map.values.length; i++) if (map.values[i] > map.values[hot]) hot = i;
const HOT = { x: hot % 64, y: Math.floor(hot / 64) };
const COLD = { x: 62, y: 46 };

const STATIC = `<!doctype html><meta charset="utf-8"><style>body{margin:0;background:#fff}</style>
<script src="/dist/camkit.widget.js"></script>
<script src="/ready.js"></script>
<cam-heatmap id="a" style="width:256px;height:192px" src="/img64.png" map="/img64.map.json" alt="heatmap"></cam-heatmap>`;
// Waits for the element's pixels, the end of its 0.2 s fade-in, then two frames (a cold engine may
// screenshot before painting).
const READY = `addEventListener('load', () => { const el = document.getElementById('a');
  const done = () => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => { window.__ready = true; })), 400);
  if (el.pixels) done(); else el.addEventListener('load', done, { once: true }); });`;

const SIZES = `<!doctype html><meta charset="utf-8"><style>body{margin:0} cam-heatmap{margin:2px}</style>
<script src="/dist/camkit.widget.js"></script>
<cam-heatmap id="natural" src="/img64.png" map="/img64.map.json"></cam-heatmap>
<cam-heatmap id="w" style="width:128px" src="/img64.png" map="/img64.map.json"></cam-heatmap>
<cam-heatmap id="h" style="height:96px" src="/img64.png" map="/img64.map.json"></cam-heatmap>
<cam-heatmap id="attr" width="128" src="/img64.png" map="/img64.map.json"></cam-heatmap>
<cam-heatmap id="attr2" width="128" height="48" fit="fill" src="/img64.png" map="/img64.map.json"></cam-heatmap>
<cam-heatmap id="cssWins" width="100" style="width:192px" src="/img64.png" map="/img64.map.json"></cam-heatmap>
<cam-heatmap id="contain" style="width:256px;height:96px" src="/img64.png" map="/img64.map.json" controls></cam-heatmap>
<cam-heatmap id="cover" style="width:256px;height:96px" fit="cover" src="/img64.png" map="/img64.map.json"></cam-heatmap>
<cam-heatmap id="fill" style="width:256px;height:96px" fit="fill" src="/img64.png" map="/img64.map.json"></cam-heatmap>`;

let server: Served;
beforeAll(async () => {
  server = await serve({
    '/img64.png': { body: await encodePng({ width: 64, height: 48, color: 'rgba', bitDepth: 8, data: image.data }), type: 'image/png' },
    '/img64.map.json': { body: MAP_JSON, type: 'application/json' },
    '/ready.js': { body: READY, type: 'text/javascript' },
    '/static.html': { body: STATIC },
    '/static-nowasm.html': { body: STATIC, headers: { 'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'" } },
    '/sizes.html': { body: SIZES },
  });
});
afterAll(async () => { await server?.close(); });

const realErrors = (logs: LogEntry[]) => logs.filter((l) => l.level !== 'warning' && !/Content Security Policy|CompileError|unsafe-eval|wasm-eval|WebAssembly/i.test(l.text));
const at = (img: RGBA, x: number, y: number) => Array.from(img.data.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));
const pixelsByEngine: Record<string, Uint8Array> = {};

for (const name of ENGINES) {
  describe.skipIf(skipEngine(name))(`<cam-heatmap> sizing in ${name}`, () => {
    let engine: Engine;
    beforeAll(async () => { engine = await launchEngine(name); }, 900_000);
    afterAll(async () => { await engine?.close(); });

    async function shoot(path: string) {
      const tab = await engine.newTab({ width: 640, height: 480 });
      try {
        await tab.goto(server.url + path);
        await tab.waitFor(() => (window as unknown as { __ready?: boolean }).__ready, undefined, 30_000);
        const r = await tab.evaluate(() => {
          const el = document.getElementById('a') as HTMLElement & { pixels: { width: number; height: number; data: Uint8ClampedArray } };
          const c = el.shadowRoot!.querySelector('canvas.view') as HTMLCanvasElement;
          const b = el.getBoundingClientRect();
          let s = '';
          for (let i = 0; i < el.pixels.data.length; i++) s += String.fromCharCode(el.pixels.data[i]);
          return {
            rect: { x: b.x, y: b.y, width: b.width, height: b.height }, backing: [c.width, c.height], dpr: devicePixelRatio,
            kernels: (window as unknown as { camkit: { activeKernels(): string } }).camkit.activeKernels(),
            pixels: { width: el.pixels.width, height: el.pixels.height, b64: btoa(s) }, view: innerWidth,
          };
        });
        const raw = await tab.screenshot();
        if (process.env.CAMKIT_DEBUG_SHOTS) writeFileSync(`/tmp/shot-${name}${path.replace(/\W/g, "_")}.png`, raw);
        const shot = await pngToRGBA(raw);
        const box = crop(shot, r.rect, shot.width / r.view);
        return { ...r, box, px: Uint8Array.from(atob(r.pixels.b64), (ch) => ch.charCodeAt(0)), logs: await tab.logs() };
      } finally {
        await tab.close();
      }
    }

    it('static page, 64×48 image in a 256×192 box: heatmap over the whole box, with and without wasm (CSP); both screenshots agree within ±3', async () => {
      const wasm = await shoot('/static.html');
      const nowasm = await shoot('/static-nowasm.html');
      expect(wasm.kernels).toBe('simd');
      expect(nowasm.kernels).toBe('js');
      expect(realErrors(wasm.logs)).toEqual([]);
      expect(realErrors(nowasm.logs)).toEqual([]);
      for (const r of [wasm, nowasm]) {
        expect(r.rect).toMatchObject({ width: 256, height: 192 });
        expect(r.backing).toEqual([Math.round(256 * Math.min(r.dpr, 3)), Math.round(192 * Math.min(r.dpr, 3))]);
        expect([r.pixels.width, r.pixels.height]).toEqual([64, 48]);
        expect(maxDiff(r.px, want.data)).toBeLessThanOrEqual(3);
        // Over the whole box: each 4×4 screen block (one image pixel) is that pixel of the overlay, the
        // browser's smoothing aside — check block centres, and the four corners are painted, not page white.
        expect(r.box.width).toBe(256);
        // Engines resample differently (bilinear, bicubic…), which moves sharp edges: mean error, not max.
        let sum = 0, worst = 0;
        for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) {
          const s = at(r.box, x * 4 + 2, y * 4 + 2), w = Array.from(want.data.subarray((y * 64 + x) * 4, (y * 64 + x) * 4 + 3));
          for (let c = 0; c < 3; c++) { const d = Math.abs(s[c] - w[c]); sum += d; worst = Math.max(worst, d); }
        }
        console.log(`${name}: screen vs pixels at block centres: mean ${(sum / (64 * 48 * 3)).toFixed(2)}, max ${worst}`);
        expect(sum / (64 * 48 * 3)).toBeLessThanOrEqual(6);
        for (const [x, y] of [[0, 0], [255, 0], [0, 191], [255, 191]]) expect(at(r.box, x, y).slice(0, 3)).not.toEqual([255, 255, 255]);
        // Hot where the map is hot (jet red over the image), cold corner tinted blue.
        const [hr, , hb] = at(r.box, HOT.x * 4 + 2, HOT.y * 4 + 2);
        expect(hr).toBeGreaterThan(hb + 60);
        const [cr, , cb] = at(r.box, COLD.x * 4 + 2, COLD.y * 4 + 2);
        expect(cb).toBeGreaterThan(cr + 30);
      }
      expect(maxDiff(wasm.box.data, nowasm.box.data)).toBeLessThanOrEqual(3);
      expect(maxDiff(wasm.px, nowasm.px)).toBeLessThanOrEqual(3);
      pixelsByEngine[name] = wasm.px;
    });

    it('sizes like <img>: natural size, width or height alone keep the aspect, width/height attributes (CSS wins), fit, controls, resize without re-render', async () => {
      const tab = await engine.newTab({ width: 800, height: 600 });
      try {
        await tab.goto(server.url + '/sizes.html');
        const ids = ['natural', 'w', 'h', 'attr', 'attr2', 'cssWins', 'contain', 'cover', 'fill'];
        await tab.waitFor((ids) => ids.every((id) => (document.getElementById(id) as unknown as { pixels: unknown }).pixels), ids, 30_000);
        const r = await tab.evaluate(async (ids) => {
          const frame = () => new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
          await frame();
          const get = (id: string) => document.getElementById(id) as HTMLElement & { pixels: object };
          const canvas = (id: string) => get(id).shadowRoot!.querySelector('canvas.view') as HTMLCanvasElement;
          const alpha = (id: string, x: number, y: number) => canvas(id).getContext('2d')!.getImageData(x, y, 1, 1).data[3];
          const boxes = Object.fromEntries(ids.map((id) => { const b = get(id).getBoundingClientRect(); return [id, [Math.round(b.width), Math.round(b.height)]]; }));
          const backing = Object.fromEntries(ids.map((id) => [id, [canvas(id).width, canvas(id).height]]));
          const fits = Object.fromEntries(['contain', 'cover', 'fill'].map((id) => [id, [alpha(id, 5, 48), alpha(id, 128, 48)]]));
          const controls = ['contain', 'fill'].map((id) => getComputedStyle(get(id).shadowRoot!.querySelector('[part="controls"]')!).display);
          const w = get('w');
          const before = w.pixels;
          let loads = 0;
          w.addEventListener('load', () => loads++);
          w.style.width = '192px';
          await frame();
          await frame();
          const b = w.getBoundingClientRect();
          return { boxes, backing, fits, controls, resized: { box: [b.width, b.height], backing: [canvas('w').width, canvas('w').height], same: w.pixels === before, loads }, dpr: devicePixelRatio };
        }, ids);
        expect(r.dpr).toBe(1);
        expect(r.boxes).toEqual({
          natural: [64, 48], w: [128, 96], h: [128, 96], attr: [128, 96], attr2: [128, 48], cssWins: [192, 144],
          contain: [256, 96], cover: [256, 96], fill: [256, 96],
        });
        for (const id of Object.keys(r.boxes)) expect(r.backing[id], id).toEqual(r.boxes[id]);
        // contain: letterboxed (transparent left/right bands around a 128×96 picture); cover and fill: painted everywhere.
        expect(r.fits).toEqual({ contain: [0, 255], cover: [255, 255], fill: [255, 255] });
        expect(r.controls).toEqual(['flex', 'none']);
        expect(r.resized).toEqual({ box: [192, 144], backing: [192, 144], same: true, loads: 0 });
      } finally {
        await tab.close();
      }
    });
  });
}

describe('across engines', () => {
  it("the element's pixels agree within ±3 in every engine that ran", () => {
    const names = Object.keys(pixelsByEngine);
    if (process.env.CI === 'true') expect(names.sort()).toEqual([...ENGINES].sort());
    for (const n of names) expect(maxDiff(pixelsByEngine[n], pixelsByEngine[names[0]]), `${n} vs ${names[0]}`).toBeLessThanOrEqual(3);
  });
});
