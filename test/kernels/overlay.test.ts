import { describe, expect, it } from 'vitest';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { colormapLut } from '../../src/render/colormaps.js';
import type { Runtime } from '../../src/runtime/init.js';

function run(rt: Runtime, map: Float32Array, img: Uint8Array, lut: Uint8Array, opacity: number, mode: number): Uint8Array {
  const n = map.length;
  const { f: [m], u: [out, im, l] } = rt.arena.take([n], [n * 4, n * 4, 1024]);
  m.set(map);
  im.set(img);
  l.set(lut);
  rt.kernels.overlay(out, m, im, n, l, opacity, mode);
  return Uint8Array.from(out);
}

const randU8 = (n: number, seed: number) => Uint8Array.from(rand(n, seed, 0, 256), (v) => Math.floor(v));

// show_cam_on_image in float64 (numpy's float32 rounding differs by at most one level after truncation).
function showCamRef(map: Float32Array, img: Uint8Array, lut: Uint8Array, w: number): number[] {
  const n = map.length;
  const t = new Float64Array(n * 3);
  for (let i = 0; i < n; i++) {
    const k = Math.min(255, Math.max(0, Math.trunc(map[i] * 255)));
    for (let c = 0; c < 3; c++) t[i * 3 + c] = (w * lut[k * 4 + c]) / 255 + ((1 - w) * img[i * 4 + c]) / 255;
  }
  const m = Math.max(...t);
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(...[0, 1, 2].map((c) => Math.trunc((255 * t[i * 3 + c]) / m)), 255);
  return out;
}

describe('overlay kernel', async () => {
  const rts = await allRuntimes();
  const jet = colormapLut('jet');

  it('alpha blend: opacities above 1 act as 1 and below 0 as 0 (the alpha is clamped to 0–256)', () => {
    const map = rand(9, 41, 0, 1), img = randU8(9 * 4, 42), lut = colormapLut('jet');
    for (const rt of Object.values(rts)) {
      expect(Array.from(run(rt, map, img, lut, 1.5, 0)), rt.flavor).toEqual(Array.from(run(rt, map, img, lut, 1, 0)));
      expect(Array.from(run(rt, map, img, lut, -1, 0)), rt.flavor).toEqual(Array.from(run(rt, map, img, lut, 0, 0)));
      // Opacity 0 leaves the image as it is.
      expect(Array.from(run(rt, map, img, lut, 0, 0)), rt.flavor).toEqual(Array.from(img));
    }
  });

  it('writes nothing past its n RGBA pixels, in both modes', () => {
    const map = rand(5, 43, 0, 1), img = randU8(5 * 4, 44), lut = colormapLut('jet');
    for (const rt of Object.values(rts)) {
      for (const mode of [0, 1]) {
        const { f: [m], u: [out, im, l] } = rt.arena.take([5], [5 * 4 + 4, 5 * 4, 1024]);
        m.set(map);
        im.set(img);
        l.set(lut);
        out.fill(7);
        rt.kernels.overlay(out, m, im, 5, l, 0.4, mode);
        expect(Array.from(out.subarray(20)), `${rt.flavor} mode ${mode}`).toEqual([7, 7, 7, 7]);
      }
    }
  });

  it('alpha blend known answers: opacity 0 = image, 1 = colormap, ½ = rounded mean; image alpha kept', () => {
    const map = new Float32Array([0, 1, 0.5, 0.25, 1]);
    const img = Uint8Array.from([10, 20, 30, 40, 200, 100, 0, 255, 1, 2, 3, 4, 255, 255, 255, 128, 0, 0, 0, 0]);
    for (const rt of Object.values(rts)) {
      expect(Array.from(run(rt, map, img, jet, 0, 0)), rt.flavor).toEqual(Array.from(img));
      const full = run(rt, map, img, jet, 1, 0);
      for (let i = 0; i < 5; i++) {
        const k = Math.trunc(Math.fround(map[i] * 255));
        expect(Array.from(full.subarray(i * 4, i * 4 + 3))).toEqual(Array.from(jet.subarray(k * 4, k * 4 + 3)));
        expect(full[i * 4 + 3]).toBe(img[i * 4 + 3]);
      }
      const half = run(rt, map, img, jet, 0.5, 0);
      expect(half[4]).toBe((jet[255 * 4] * 128 + 200 * 128 + 128) >> 8);
    }
  });

  it("show_cam_on_image: matches the library's formula (±1) and re-brightens to a max of 255", () => {
    const n = 257;
    const map = rand(n, 9, 0, 1);
    const img = randU8(n * 4, 11);
    const ref = showCamRef(map, img, jet, 0.5);
    for (const rt of Object.values(rts)) {
      const out = run(rt, map, img, jet, 0.5, 1);
      let d = 0;
      for (let i = 0; i < out.length; i++) d = Math.max(d, Math.abs(out[i] - ref[i]));
      expect(d, rt.flavor).toBeLessThanOrEqual(1);
      expect(Math.max(...Array.from(out).filter((_, i) => i % 4 !== 3))).toBe(255);
    }
    // All-black input: the library divides by zero; camkit returns black.
    for (const rt of Object.values(rts)) {
      const black = run(rt, new Float32Array(4), new Uint8Array(16), new Uint8Array(1024), 0.5, 1);
      expect(Array.from(black)).toEqual([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]);
    }
  });

  it('SIMD = scalar = twin for both modes, lengths 0–40, opacities, NaN/±Inf in the map', () => {
    for (const mode of [0, 1]) {
      for (const opacity of [0, 0.3, 0.5, 0.77, 1]) {
        for (let n = 0; n <= 40; n++) {
          const map = rand(n, n + 1, -0.2, 1.2);
          if (n > 4) { map[2] = NaN; map[4] = Infinity; }
          if (n > 20) { map[17] = -Infinity; map[19] = NaN; map[20] = 1e30; }
          const img = randU8(n * 4, n + 100);
          const res = Object.values(rts).map((rt) => Array.from(run(rt, map, img, jet, opacity, mode)));
          expect(res[0], `simd mode ${mode} n ${n} op ${opacity}`).toEqual(res[2]);
          expect(res[1], `scalar mode ${mode} n ${n} op ${opacity}`).toEqual(res[2]);
        }
      }
    }
  });

  it('alpha blend: SIMD = scalar = twin on a long map (16-pixel blocks + tail) with index boundaries', () => {
    const n = 1000003;
    const map = rand(n, 5, -0.5, 1.5);
    // Exact LUT boundaries (k/255 and just below), tiny values, ±0, NaN and ±Inf spread over block positions.
    const special = [NaN, Infinity, -Infinity, 0, -0, 1, 1e-30, -1e-30, 1e30, -1e30];
    for (let i = 0; i < n; i += 7) map[i] = i % 3 ? Math.fround((i % 256) / 255) : special[(i / 7) % special.length];
    for (let i = 3; i < n; i += 11) map[i] = Math.fround(Math.fround((i % 256) / 255) - 1e-7);
    const img = randU8(n * 4, 6);
    for (const opacity of [0.3, 0.5, 1]) {
      const res = Object.values(rts).map((rt) => run(rt, map, img, jet, opacity, 0));
      expect(Buffer.compare(res[0], res[2]), `simd op ${opacity}`).toBe(0);
      expect(Buffer.compare(res[1], res[2]), `scalar op ${opacity}`).toBe(0);
    }
  });
});
