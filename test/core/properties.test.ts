// Property tests over random shapes (odd channel counts exercise the SIMD tails): the three kernel
// flavors agree for every method, maps stay in [0, 1] without NaN, and the normalised map does not
// depend on the scale of the activations.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, absErr, rand, relErr } from '../helpers/flavors.js';
import tol from '../tolerances.json';
import { computeCamSync, type CamArrays } from '../../src/compute.js';
import { camMethods } from '../../src/methods/registry.js';

const dims = fc.record({
  n: fc.integer({ min: 1, max: 3 }),
  h: fc.integer({ min: 1, max: 9 }),
  w: fc.integer({ min: 1, max: 9 }),
  c: fc.integer({ min: 1, max: 37 }),
  oh: fc.integer({ min: 1, max: 20 }),
  ow: fc.integer({ min: 1, max: 20 }),
  seed: fc.integer({ min: 1, max: 1 << 30 }),
});

function inputs({ n, h, w, c, seed }: { n: number; h: number; w: number; c: number; seed: number }): CamArrays {
  const len = n * h * w * c;
  // A dominant rank-1 pattern plus noise, so the Eigen methods have a well-separated first component.
  const u = rand(n * h * w, seed, 0, 2), v = rand(c, seed + 1, 0.2, 1), noise = rand(len, seed + 2, 0, 0.05);
  const A = Float32Array.from({ length: len }, (_, i) => u[Math.floor(i / c)] * v[i % c] + noise[i]);
  const shape = [n, h, w, c];
  return {
    activations: { data: A, shape },
    gradients: { data: rand(len, seed + 3), shape },
    classifierWeights: { data: rand(c * 4, seed + 4), shape: [c, 4] },
    classIndex: 2,
    scores: rand(n * c, seed + 5, -3, 3),
    originalScore: Array.from({ length: n }, (_, i) => (i % 2 ? -1.5 : 2.5)),
  };
}

describe('method properties on random shapes', async () => {
  const rts = await allRuntimes();
  const methods = Object.keys(camMethods);

  it('simd = scalar = js for every method (raw 1e-5 of max, maps 1e-4); maps in [0, 1], finite', () => {
    fc.assert(
      fc.property(dims, (d) => {
        const x = inputs(d);
        for (const m of methods) {
          const [s, sc, js] = [rts.simd, rts.scalar, rts.js].map((rt) => computeCamSync(rt, m, x, { outputSize: [d.oh, d.ow] }));
          for (const r of [s, sc]) {
            if (js.weights) expect(relErr(r.weights!, js.weights), m).toBeLessThanOrEqual(tol.kernel_raw_rel);
            expect(relErr(r.lowres, js.lowres), m).toBeLessThanOrEqual(tol.kernel_raw_rel);
            expect(absErr(r.map, js.map), m).toBeLessThanOrEqual(tol.kernel_normalised_abs);
          }
          expect(s.map.length).toBe(d.n * d.oh * d.ow);
          expect(s.map.every((v) => v >= 0 && v <= 1), m).toBe(true);
        }
      }),
      { numRuns: 40, seed: 20261126 },
    );
  });

  it('the normalised map does not depend on the scale of the activations', () => {
    fc.assert(
      fc.property(dims, fc.double({ min: 0.25, max: 8, noNaN: true }), (d, k) => {
        const x = inputs(d);
        const scaled = { ...x, activations: { data: x.activations.data.map((v) => v * k), shape: x.activations.shape } };
        for (const m of ['GradCAM', 'HiResCAM', 'LayerCAM', 'XGradCAM', 'EigenCAM', 'ScoreCAM']) {
          const a = computeCamSync(rts.simd, m, x, { outputSize: [d.oh, d.ow] });
          const b = computeCamSync(rts.simd, m, scaled, { outputSize: [d.oh, d.ow] });
          expect(absErr(a.map, b.map), m).toBeLessThanOrEqual(tol.kernel_normalised_abs);
        }
      }),
      { numRuns: 25, seed: 7 },
    );
  });

  it('each gradient method computes its own formula: the low-res map equals a float64 reference, and the formulas differ', () => {
    // [n][hw][c] → [n][hw]: each method's defining sum (pytorch-grad-cam), so swapping two methods fails here.
    const refs: Record<string, (a: Float32Array, g: Float32Array, n: number, hw: number, c: number) => Float64Array> = {
      GradCAM: (a, g, n, hw, c) => weighted(a, n, hw, c, (b, k) => mean(g, b, hw, c, k)),
      HiResCAM: (a, g, n, hw, c) => reduce(a, g, n, hw, c, (gk, ak) => gk * ak),
      GradCAMElementWise: (a, g, n, hw, c) => reduce(a, g, n, hw, c, (gk, ak) => Math.max(gk * ak, 0)),
      LayerCAM: (a, g, n, hw, c) => reduce(a, g, n, hw, c, (gk, ak) => Math.max(gk, 0) * ak),
    };
    fc.assert(
      fc.property(dims, (d) => {
        const hw = d.h * d.w;
        // Signed activations too (pre-ReLU layers), so relu(g·a) and relu(g)·a differ.
        const a = rand(d.n * hw * d.c, d.seed + 7, -1, 1), g = rand(d.n * hw * d.c, d.seed + 8);
        const shape = [d.n, d.h, d.w, d.c];
        const x: CamArrays = { activations: { data: a, shape }, gradients: { data: g, shape } };
        const want = Object.fromEntries(Object.entries(refs).map(([m, f]) => [m, f(a, g, d.n, hw, d.c)]));
        for (const m of Object.keys(refs)) {
          for (const rt of [rts.js, rts.simd]) {
            const r = computeCamSync(rt, m, x, { outputSize: [d.oh, d.ow] });
            expect(relErr(r.lowres, want[m]), `${m} ${rt.flavor}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
          }
        }
        // The inputs tell the formulas apart (else a swap could pass) once there are a few dozen terms.
        if (d.n * hw * d.c >= 64) {
          expect(relErr(want.LayerCAM, want.HiResCAM)).toBeGreaterThan(1e-3);
          expect(relErr(want.GradCAMElementWise, want.LayerCAM)).toBeGreaterThan(1e-3);
        }
      }),
      { numRuns: 25, seed: 11 },
    );
  });
});

function mean(g: Float32Array, b: number, hw: number, c: number, k: number): number {
  let s = 0;
  for (let p = 0; p < hw; p++) s += g[(b * hw + p) * c + k];
  return s / hw;
}

function weighted(a: Float32Array, n: number, hw: number, c: number, w: (b: number, k: number) => number): Float64Array {
  const out = new Float64Array(n * hw);
  for (let b = 0; b < n; b++) {
    const wt = Array.from({ length: c }, (_, k) => w(b, k));
    for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) out[b * hw + p] += wt[k] * a[(b * hw + p) * c + k];
  }
  return out;
}

function reduce(a: Float32Array, g: Float32Array, n: number, hw: number, c: number, term: (gk: number, ak: number) => number): Float64Array {
  const out = new Float64Array(n * hw);
  for (let i = 0; i < n * hw; i++) for (let k = 0; k < c; k++) out[i] += term(g[i * c + k], a[i * c + k]);
  return out;
}
