// --resize stretch | crop | letterbox: the image → model input mapping and its inverse, which draws the
// model-size map back onto the original image. Unit checks with a map hot at a known spot, then the CLI
// end to end: a map computed through crop / letterbox equals the map of the same pixels fed directly.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PNG } from 'pngjs';
import { main } from '../../src/cli/camkit.js';
import { boxToModel, fitImage, fitToModel, mapToImage, resizeRGBA } from '../../src/cli/geometry.js';
import { parseMapJson } from '../../src/render/mapfile.js';
import { getRuntime } from '../../src/runtime/init.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SAMPLES = join(ROOT, 'models/default/samples');
const work = mkdtempSync(join(tmpdir(), 'camkit-geom-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A W×H map with a single hot pixel at (x, y). */
function spike(W: number, H: number, x: number, y: number): Float32Array {
  const m = new Float32Array(W * H);
  m[y * W + x] = 1;
  return m;
}
function argmax(v: ArrayLike<number>, w: number): [number, number] {
  let b = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[b]) b = i;
  return [b % w, Math.floor(b / w)];
}

describe('fitImage', () => {
  it('stretch scales each axis; crop covers and centres; letterbox fits and centres', () => {
    expect(fitImage('stretch', 200, 100, 50, 50)).toMatchObject({ sx: 0.25, sy: 0.5, tx: 0, ty: 0 });
    expect(fitImage('crop', 200, 100, 50, 50)).toMatchObject({ sx: 0.5, sy: 0.5, tx: -25, ty: 0 });
    expect(fitImage('letterbox', 200, 100, 50, 50)).toMatchObject({ sx: 0.25, sy: 0.25, tx: 0, ty: 12.5 });
  });
});

describe('mapToImage: a map hot at a known spot lands at the right place on the original', () => {
  it('crop: model pixel (10, 25) of a 50×50 input from a 200×100 image is original pixel ≈ (71, 51); outside the window is 0', async () => {
    const rt = await getRuntime();
    const fit = fitImage('crop', 200, 100, 50, 50);
    const out = mapToImage(rt, spike(50, 50, 10, 25), fit, 200, 100);
    // centre of model pixel 10 is 10.5 → original (10.5 + 25) / 0.5 = 71 (the edge between pixels 70 and 71)
    const [x, y] = argmax(out, 200);
    expect(Math.abs(x - 70.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(y - 50.5)).toBeLessThanOrEqual(0.5);
    // the crop window is x ∈ [50, 150) of the original: nothing outside it
    for (let r = 0; r < 100; r++) for (const c of [0, 49, 150, 199]) expect(out[r * 200 + c]).toBe(0);
    // a uniform map fills exactly the window
    const full = mapToImage(rt, new Float32Array(2500).fill(0.5), fit, 200, 100);
    expect(full[50 * 200 + 50]).toBeCloseTo(0.5, 6);
    expect(full[50 * 200 + 149]).toBeCloseTo(0.5, 6);
  });

  it('letterbox: model pixel (40, 20) of a 50×50 input from a 200×100 image is original pixel ≈ (162, 32), also at another output size', async () => {
    const rt = await getRuntime();
    const fit = fitImage('letterbox', 200, 100, 50, 50);
    const out = mapToImage(rt, spike(50, 50, 40, 20), fit, 200, 100);
    // x: 40.5 / 0.25 = 162; y: (20.5 − 12.5) / 0.25 = 32
    const [x, y] = argmax(out, 200);
    expect(Math.abs(x + 0.5 - 162)).toBeLessThanOrEqual(2);
    expect(Math.abs(y + 0.5 - 32)).toBeLessThanOrEqual(2);
    const half = mapToImage(rt, spike(50, 50, 40, 20), fit, 100, 50); // --size 100x50
    const [hx, hy] = argmax(half, 100);
    expect(Math.abs(hx + 0.5 - 81)).toBeLessThanOrEqual(1);
    expect(Math.abs(hy + 0.5 - 16)).toBeLessThanOrEqual(1);
  });

  it('fitToModel letterbox pads with opaque black outside the image and samples inside it', () => {
    const img = { width: 4, height: 2, data: new Uint8Array(32).fill(200) };
    const m = fitToModel(img, fitImage('letterbox', 4, 2, 4, 4));
    const px = (x: number, y: number) => Array.from(m.data.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 4));
    expect(px(0, 0)).toEqual([0, 0, 0, 255]);
    expect(px(3, 3)).toEqual([0, 0, 0, 255]);
    expect(px(1, 1)).toEqual([200, 200, 200, 200]);
    expect(px(2, 2)).toEqual([200, 200, 200, 200]);
  });

  it('stretch is the plain half-pixel resize both ways', async () => {
    const img = { width: 7, height: 5, data: Uint8Array.from({ length: 140 }, (_, i) => (i * 37) % 256) };
    expect(fitToModel(img, fitImage('stretch', 7, 5, 3, 4))).toEqual(resizeRGBA(img, 3, 4));
  });

  it('boxToModel follows the same mapping and drops boxes the crop cuts away', () => {
    const crop = fitImage('crop', 200, 100, 50, 50);
    expect(boxToModel({ x0: 60, y0: 10, x1: 100, y1: 30 }, crop)).toEqual({ x0: 5, y0: 5, x1: 25, y1: 15 });
    expect(boxToModel({ x0: 0, y0: 0, x1: 40, y1: 100 }, crop)).toBeNull();
    expect(boxToModel({ x0: 0, y0: 0, x1: 200, y1: 100 }, fitImage('letterbox', 200, 100, 50, 50))).toEqual({ x0: 0, y0: 12, x1: 50, y1: 38 });
  });
});

async function run(args: string[]) {
  const err: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    const code = await main(args);
    expect(err.join(''), 'stderr').toBe('');
    expect(code).toBe(0);
  } finally {
    e.mockRestore();
  }
}

function writeRgba(file: string, w: number, h: number, data: Uint8Array) {
  const p = new PNG({ width: w, height: h });
  p.data = Buffer.from(data);
  writeFileSync(file, PNG.sync.write(p));
}

const mapOf = (dir: string, stem: string) => parseMapJson(readFileSync(join(dir, `${stem}.GradCAM.map.json`), 'utf8'));

describe('camkit explain --resize, end to end on the default model (64×64 input)', () => {
  const sample = PNG.sync.read(readFileSync(join(SAMPLES, 'sample-2.png')));

  it('crop: the sample in the middle of a 128×64 canvas → the map of the sample alone, shifted by 32 px, and 0 beside it', async () => {
    const canvas = new Uint8Array(128 * 64 * 4);
    for (let i = 0; i < canvas.length; i += 4) canvas.set([255, 255, 255, 255], i);
    for (let y = 0; y < 64; y++) canvas.set(sample.data.subarray(y * 256, (y + 1) * 256), (y * 128 + 32) * 4);
    mkdirSync(join(work, 'in'), { recursive: true });
    writeRgba(join(work, 'in/wide.png'), 128, 64, canvas);
    await run(['explain', join(work, 'in/wide.png'), '--resize', 'crop', '--out', join(work, 'crop'), '--quiet']);
    await run(['explain', join(SAMPLES, 'sample-2.png'), '--out', join(work, 'direct'), '--quiet']);
    const wide = mapOf(join(work, 'crop'), 'wide');
    const direct = mapOf(join(work, 'direct'), 'sample-2');
    expect([wide.width, wide.height]).toEqual([128, 64]);
    let maxd = 0;
    for (let y = 0; y < 64; y++)
      for (let x = 0; x < 128; x++) {
        const v = wide.values[y * 128 + x];
        if (x < 32 || x >= 96) expect(v).toBe(0);
        else maxd = Math.max(maxd, Math.abs(v - direct.values[y * 64 + x - 32]));
      }
    expect(maxd).toBeLessThan(1e-6);
    expect(Math.max(...direct.values)).toBeGreaterThan(0.999); // a real map, not an empty one
  });

  it('letterbox: a 32×64 strip → the map of the strip padded to 64×64 by hand, cut back to the strip', async () => {
    const strip = new Uint8Array(32 * 64 * 4);
    for (let y = 0; y < 64; y++) strip.set(sample.data.subarray((y * 64 + 16) * 4, (y * 64 + 48) * 4), y * 32 * 4);
    const padded = new Uint8Array(64 * 64 * 4);
    for (let i = 0; i < padded.length; i += 4) padded.set([0, 0, 0, 255], i);
    for (let y = 0; y < 64; y++) padded.set(strip.subarray(y * 128, (y + 1) * 128), (y * 64 + 16) * 4);
    writeRgba(join(work, 'in/strip.png'), 32, 64, strip);
    writeRgba(join(work, 'in/padded.png'), 64, 64, padded);
    await run(['explain', join(work, 'in/strip.png'), '--resize', 'letterbox', '--out', join(work, 'lb'), '--quiet']);
    await run(['explain', join(work, 'in/padded.png'), '--out', join(work, 'lb'), '--quiet']);
    const s = mapOf(join(work, 'lb'), 'strip');
    const p = mapOf(join(work, 'lb'), 'padded');
    expect([s.width, s.height]).toEqual([32, 64]);
    let maxd = 0;
    for (let y = 0; y < 64; y++) for (let x = 0; x < 32; x++) maxd = Math.max(maxd, Math.abs(s.values[y * 32 + x] - p.values[y * 64 + x + 16]));
    expect(maxd).toBeLessThan(1e-6);
  });
});
