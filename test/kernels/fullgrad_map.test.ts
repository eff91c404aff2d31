import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { absErr, allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { f32Array, fuzzRuns, MAPS, runFlavors } from '../helpers/kernels.js';
import { GOLDEN_V2_PATH, loadGolden } from '../helpers/golden.js';
import { fullgradMapTmp } from '../../src/kernels/fullgrad_map.js';
import { resizeRef } from '../../bench/workloads.js';
import tol from '../tolerances.json';
import type { GoldenArray } from '../helpers/golden.js';

/**
 * float64 reference, pytorch-grad-cam's order: every channel normalised ((t − min)/(1e-7 + max − min),
 * a true division), then resized to H×W (half-pixel, or not at all when H×W is the map's size), then summed.
 */
function reference(g: ArrayLike<number>, s: ArrayLike<number>, hw: number, c: number, elementwise: boolean, resize?: [number, number, number, number]): Float64Array {
  const [h, w, H, W] = resize ?? [1, hw, 1, hw];
  const out = new Float64Array(H * W);
  for (let k = 0; k < c; k++) {
    const t = Float64Array.from({ length: hw }, (_, p) => Math.abs(Math.fround(g[p * c + k] * s[elementwise ? p * c + k : k])));
    let lo = Infinity, hi = -Infinity;
    for (const v of t) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
    const norm = t.map((v) => (v - lo) / (1e-7 + (hi - lo)));
    const up = resize ? resizeRef(norm, h, w, H, W) : norm;
    for (let i = 0; i < H * W; i++) out[i] += up[i];
  }
  return out;
}

describe('fullgrad_map', async () => {
  const rts = await allRuntimes();
  const run = (g: ArrayLike<number>, s: ArrayLike<number>, n: number, hw: number, c: number, elementwise: number) =>
    runFlavors(rts, [n * hw, n * hw * c, elementwise ? n * hw * c : c, fullgradMapTmp(c)], [null, g, s, null], (k, [o, gv, sv, t]) =>
      k.fullgrad_map(o, gv, sv, t, n, hw, c, elementwise),
    );

  it('known answer: a per-channel scale and an elementwise multiplier', () => {
    // hw = 3, c = 2, bias [2, −1]: channel 0 |g·2| = [2, 6, 10] → [0, ½, 1]; channel 1 |g·−1| = [2, 4, 0] → [½, 1, 0].
    const g = [1, -2, 3, 4, -5, 0];
    for (const r of run(g, [2, -1], 1, 3, 2, 0)) {
      expect(Array.from(r.views[0]).map((v) => +v.toFixed(6)), r.flavor).toEqual([0.5, 1.5, 1]);
    }
    // Elementwise, 3 channels (the input-image path, SIMD's interleaved-RGB loop from 4 pixels on):
    // pixel p, channel q: g = −1, s = p^(q+1) → channel q normalised is (p/8)^(q+1) over p = 0…8.
    const hw = 9;
    const s = Array.from({ length: hw * 3 }, (_, i) => Math.floor(i / 3) ** ((i % 3) + 1));
    for (const r of run(new Array(hw * 3).fill(-1), s, 1, hw, 3, 1)) {
      const want = Array.from({ length: hw }, (_, p) => +(p / 8 + (p / 8) ** 2 + (p / 8) ** 3).toFixed(5));
      expect(Array.from(r.views[0]).map((v) => +v.toFixed(5)), r.flavor).toEqual(want);
    }
  });

  it('degenerate: constant channels contribute 0, c = 0 gives zeros, NaN poisons its image only', () => {
    for (const r of run([3, 3, 3, 3], [1], 1, 4, 1, 0)) expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0, 0]);
    for (const r of run([], [], 2, 3, 0, 0)) expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0, 0, 0, 0]);
    const g = rand(2 * 5 * 4, 3);
    g[7] = NaN;
    for (const r of run(g, rand(4, 4), 2, 5, 4, 0)) {
      expect(Array.from(r.views[0].subarray(0, 5)).every(Number.isNaN), r.flavor).toBe(true);
      expect(Array.from(r.views[0].subarray(5)).every(Number.isFinite), r.flavor).toBe(true);
    }
  });

  it('flavors agree and match a float64 reference over 0–33 channels, odd maps, n = 1 and 2, both modes', () => {
    for (const [h, w] of [...MAPS, [48, 64]] as const) {
      for (const n of [1, 2]) {
        for (let c = 0; c <= 33; c++) {
          const hw = h * w;
          for (const elementwise of [0, 1]) {
            const g = rand(n * hw * c, c * 13 + hw + n, -1, 1);
            const s = elementwise ? rand(n * hw * c, c + 5, 0, 1) : rand(c, c + 6, -0.5, 0.5);
            const rs = run(g, s, n, hw, c, elementwise);
            const what = `${n}×${h}×${w}×${c} ${elementwise ? 'elementwise' : 'scale'}`;
            for (const r of rs.slice(0, 2)) expect(relErr(r.views[0], rs[2].views[0]), `${r.flavor} ${what}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
            for (let b = 0; b < n; b++) {
              const ref = reference(g.subarray(b * hw * c), elementwise ? s.subarray(b * hw * c) : s, hw, c, !!elementwise);
              for (const r of rs) expect(relErr(r.views[0].subarray(b * hw, (b + 1) * hw), ref), `${r.flavor} ${what} #${b}`).toBeLessThanOrEqual(1e-6);
            }
          }
        }
      }
    }
  });

  it('property: flavors agree on wide-ranging positive and negative values', () => {
    const shape = fc.record({ n: fc.integer({ min: 1, max: 2 }), hw: fc.integer({ min: 1, max: 40 }), c: fc.integer({ min: 1, max: 19 }), el: fc.integer({ min: 0, max: 1 }) });
    const val = fc.float({ min: -1e6, max: 1e6, noNaN: true });
    fc.assert(
      fc.property(
        shape.chain((s) => fc.tuple(fc.constant(s), f32Array(s.n * s.hw * s.c, val), f32Array(s.el ? s.n * s.hw * s.c : s.c, val))),
        ([{ n, hw, c, el }, g, s]) => {
          const rs = run(g, s, n, hw, c, el);
          // Sums of c terms in [0, 1] in f32, in another order: within c·ε of each other.
          for (const r of rs.slice(0, 2)) expect(absErr(r.views[0], rs[2].views[0]), r.flavor).toBeLessThanOrEqual(4 * c * 2 ** -23);
        },
      ),
      { numRuns: fuzzRuns() },
    );
  });

  it('golden v2: layer maps, the input map and the final map from the stored gradients and biases', () => {
    const g = loadGolden(GOLDEN_V2_PATH);
    const detail = g.cases.filter((cs) => cs.methods.FullGrad?.detail_stored);
    expect(detail.length).toBe(5);
    type Layer = { layer: string; bias: number[]; bias_gradient: GoldenArray; map: GoldenArray };
    for (const cs of detail) {
      const ref = cs.methods.FullGrad;
      const extra = ref.extra as { input_gradient: GoldenArray; input_map: GoldenArray; layers: Layer[] };
      const [, H, W, ci] = extra.input_gradient.shape;
      const pixels = g.images[cs.image].pixels.values;
      for (const rt of Object.values(rts)) {
        const k = rt.kernels;
        const what = (s: string) => `${rt.flavor} ${cs.id} ${s}`;
        // Each take() reuses the arena from its base: the running total lives outside it.
        const total = new Float32Array(H * W);
        {
          const { f: [o, gv, sv, t] } = rt.arena.take([H * W, H * W * ci, H * W * ci, fullgradMapTmp(ci)]);
          gv.set(extra.input_gradient.values);
          sv.set(pixels);
          k.fullgrad_map(o, gv, sv, t, 1, H * W, ci, 1);
          expect(relErr(o, extra.input_map.values), what('input map')).toBeLessThanOrEqual(tol.golden_cam_lowres_rel);
          total.set(o);
        }
        for (const L of extra.layers) {
          const [, h, w, c] = L.bias_gradient.shape;
          const { f: [o, gv, sv, t, rtmp, up] } = rt.arena.take([h * w, h * w * c, c, fullgradMapTmp(c), h * W, H * W]);
          gv.set(L.bias_gradient.values);
          sv.set(L.bias);
          k.fullgrad_map(o, gv, sv, t, 1, h * w, c, 0);
          // Normalise → sum → one resize, against the library's normalise → resize → sum.
          k.resize_bilinear(up, o, rtmp, 1, h, w, H, W, 0);
          expect(relErr(up, L.map.values), what(L.layer)).toBeLessThanOrEqual(tol.golden_cam_lowres_rel);
          if (rt.flavor === 'js') {
            // The reorder itself, in float64: per-channel resize then sum equals sum then resize.
            const perChannel = reference(L.bias_gradient.values, L.bias, h * w, c, false, [h, w, H, W]);
            const once = resizeRef(reference(L.bias_gradient.values, L.bias, h * w, c, false), h, w, H, W);
            expect(relErr(once, perChannel), what(`${L.layer} reorder`)).toBeLessThanOrEqual(1e-12);
          }
          for (let i = 0; i < H * W; i++) total[i] += up[i];
        }
        // FullGrad's last step: one (t − min)/(max − min + 1e-7), no ReLU, no resize.
        const { f: [fin] } = rt.arena.take([H * W]);
        fin.set(total);
        k.minmax_normalize(fin, 1, H * W, 1e-7);
        expect(absErr(fin, ref.grayscale_cam.values), what('grayscale')).toBeLessThanOrEqual(tol.golden_grayscale_abs);
      }
    }
    // The cases that only change the target layer store the same final map as the case they name.
    let sameAs = 0;
    for (const cs of g.cases.filter((c) => c.methods.FullGrad && !c.methods.FullGrad.detail_stored)) {
      const same = (cs.methods.FullGrad as unknown as { same_as_case?: string }).same_as_case;
      if (!same) continue;
      const other = g.cases.find((c) => c.id === same)!;
      expect(absErr(cs.methods.FullGrad.grayscale_cam.values, other.methods.FullGrad.grayscale_cam.values)).toBeLessThanOrEqual(1e-6);
      sameAs++;
    }
    expect(sameAs).toBe(4);
  });
});
