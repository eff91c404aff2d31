import { describe, expect, it } from 'vitest';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { MAPS, runFlavors } from '../helpers/kernels.js';
import { GOLDEN_V2_PATH, loadGolden } from '../helpers/golden.js';
import { kpcaSigmoidTmp } from '../../src/kernels/kpca_sigmoid.js';
import tol from '../tolerances.json';

const MAX_ITER = 5000;
const TOL = 1e-9;

/** The centred sigmoid kernel matrix in float64, from the f32-centred activations the kernel sees. */
function centredKernel(a: ArrayLike<number>, hw: number, c: number): number[][] {
  const x = Float64Array.from(a, (v) => (Number.isNaN(v) ? 0 : v));
  for (let k = 0; k < c; k++) {
    let m = 0;
    for (let p = 0; p < hw; p++) m += x[p * c + k];
    m /= hw;
    for (let p = 0; p < hw; p++) x[p * c + k] = Math.fround(x[p * c + k] - m);
  }
  const K = Array.from({ length: hw }, (_, i) =>
    Array.from({ length: hw }, (_, j) => {
      let d = 0;
      for (let k = 0; k < c; k++) d += x[i * c + k] * x[j * c + k];
      return Math.tanh(1 + d / c);
    }),
  );
  const r = K.map((row) => row.reduce((s, v) => s + v, 0) / hw);
  const g = r.reduce((s, v) => s + v, 0) / hw;
  return K.map((row, i) => row.map((v, j) => v - r[i] - r[j] + g));
}

/** All eigenpairs of a symmetric matrix (cyclic Jacobi, float64), eigenvalues descending. */
function jacobi(A0: number[][]): { values: number[]; vectors: number[][] } {
  const n = A0.length;
  const A = A0.map((r) => r.slice());
  const V: number[][] = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
  let scale = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scale += A[i][j] ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += A[i][j] ** 2;
    if (off <= 1e-30 * scale) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (A[p][q] === 0) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1), sn = t * cs;
        for (let k = 0; k < n; k++) {
          const akp = A[k][p], akq = A[k][q];
          A[k][p] = cs * akp - sn * akq;
          A[k][q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = A[p][k], aqk = A[q][k];
          A[p][k] = cs * apk - sn * aqk;
          A[q][k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = V[k][p], vkq = V[k][q];
          V[k][p] = cs * vkp - sn * vkq;
          V[k][q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => A[j][j] - A[i][i]);
  return { values: order.map((i) => A[i][i]), vectors: order.map((i) => V.map((row) => row[i])) };
}

/** sklearn's answer in float64: top algebraic eigenpair, svd_flip sign, v·√λ. */
function reference(a: ArrayLike<number>, hw: number, c: number) {
  const { values, vectors } = jacobi(centredKernel(a, hw, c));
  const v = vectors[0];
  let at = 0;
  for (let i = 1; i < hw; i++) if (Math.abs(v[i]) > Math.abs(v[at])) at = i;
  const s = (v[at] < 0 ? -1 : 1) * Math.sqrt(Math.max(values[0], 0));
  return { map: v.map((q) => q * s), values };
}

/** Planted structure: two spatial patterns over the channels plus noise, so the top eigenvalue stands out. */
function planted(hw: number, c: number, seed: number): Float32Array {
  const u = rand(hw, seed, 0, 2), w = rand(c, seed + 1, -1, 1), noise = rand(hw * c, seed + 2, -0.2, 0.2);
  return Float32Array.from(noise, (e, i) => u[Math.floor(i / c)] * w[i % c] * 2 + e);
}

/** Six positions, six channels, hand-tuned so that the centred kernel's most negative eigenvalue
 * (−2.385) outweighs its largest (1.953, next 1.599): plain power iteration would return the wrong pair. */
const NEGATIVE_DOMINANT = [
  0.14, 3.04, 2.93, -3.48, -0.83, -0.73, -2.34, 2.82, 1.27, 1.61, -2.53, 0.78, -0.13, -1.07, 1.99, -2.58, 2.56, 1.83,
  2.9, -0.09, 3.46, 2.34, -0.06, 0.72, 4.43, 0.59, -0.7, -1.91, -2.6, -1.17, 0.33, -0.54, -2.79, -0.58, -0.84, 1.84,
];

describe('kpca_sigmoid', async () => {
  const rts = await allRuntimes();
  const run = (a: ArrayLike<number>, hw: number, c: number, maxIter = MAX_ITER, tolerance = TOL) =>
    runFlavors(rts, [hw, hw * c, kpcaSigmoidTmp(hw, c)], [null, a, null], (k, [o, av, t]) => k.kpca_sigmoid(o, av, t, hw, c, maxIter, tolerance));

  it('known answer: two positions, λ = tanh(2), the first entry positive on the |·| tie', () => {
    // a = [[1, 3], [3, 5]] → centred ±(1, 1), d = ±1: Kc = (tanh 2 − tanh 0)/2·[[1, −1], [−1, 1]], λ = tanh 2.
    const want = Math.sqrt(Math.tanh(2) / 2);
    for (const r of run([1, 3, 3, 5], 2, 2)) {
      expect(r.views[0][0], r.flavor).toBeCloseTo(want, 6);
      expect(r.views[0][1], r.flavor).toBeCloseTo(-want, 6);
      expect(r.ret, r.flavor).toBeGreaterThan(0);
    }
  });

  it('degenerate inputs: c = 0, one position, constant channels → zeros; NaN counts as 0; ±Inf → NaN', () => {
    for (const r of run([], 3, 0)) expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0]);
    for (const r of run([1, 2, 3], 1, 3)) expect(Array.from(r.views[0]), r.flavor).toEqual([0]);
    for (const r of run(new Float32Array(12).fill(1.5), 4, 3)) {
      expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0, 0]);
      expect(r.ret).toBe(0);
    }
    const a = planted(9, 4, 3);
    const zeroed = Float32Array.from(a);
    a[5] = NaN;
    zeroed[5] = 0;
    const want = run(zeroed, 9, 4);
    run(a, 9, 4).forEach((r, i) => expect(Array.from(r.views[0]), r.flavor).toEqual(Array.from(want[i].views[0])));
    a[7] = -Infinity;
    for (const r of run(a, 9, 4)) expect(Array.from(r.views[0]).every(Number.isNaN), r.flavor).toBe(true);
  });

  it('reads only hw·c inputs and writes only hw outputs: an Inf just past the activations changes nothing', () => {
    const hw = 9, c = 4, S = 4, a = planted(hw, c, 5);
    const want = run(a, hw, c);
    const rs = runFlavors(rts, [hw + S, hw * c + S, kpcaSigmoidTmp(hw, c)], [new Float32Array(hw + S).fill(7), [...a, Infinity, Infinity, Infinity, Infinity], null], (k, [o, av, t]) =>
      k.kpca_sigmoid(o, av, t, hw, c, MAX_ITER, TOL),
    );
    rs.forEach((r, i) => {
      expect(Array.from(r.views[0].subarray(0, hw)), r.flavor).toEqual(Array.from(want[i].views[0]));
      expect(Array.from(r.views[0].subarray(hw)), r.flavor).toEqual([7, 7, 7, 7]);
    });
  });

  it('maxIter caps each of the two runs: an unconverged first run restarts once, so 2·maxIter steps', () => {
    const a = planted(35, 7, 2);
    for (const cap of [1, 2, 3]) {
      const rs = run(a, 35, 7, cap);
      for (const r of rs) expect(r.ret, `${r.flavor} cap ${cap}`).toBe(2 * cap);
      // After so few steps the map still shows the start vector (the row of Kc of largest norm, scaled
      // to unit) and the shift σ it gives: every flavor starts and shifts alike.
      for (const r of rs.slice(0, 2)) expect(relErr(r.views[0], rs[2].views[0]), `${r.flavor} cap ${cap}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
    }
    for (const r of run(a, 35, 7)) expect(r.ret, r.flavor).toBeLessThan(MAX_ITER);
  });

  it('slow convergence (eigengap ratio near 1): the stop waits for the error estimate δ·r/(1 − r), in every flavor', () => {
    // Unstructured activations: λ2/λ1 is close to 1, so δ < tol long before the vector is right. Every
    // flavor stops at the same step, give or take one, and the map matches the float64 reference.
    const hw = 49, c = 24, a = rand(hw * c, hw * 64 + c, -1, 1);
    const rs = run(a, hw, c);
    expect(rs[2].ret).toBeGreaterThan(300);
    for (const r of rs) expect(Math.abs(r.ret - rs[2].ret), r.flavor).toBeLessThanOrEqual(1);
    const ref = reference(a, hw, c);
    for (const r of rs) expect(relErr(r.views[0], ref.map), r.flavor).toBeLessThanOrEqual(1e-5);
  });

  it('a negative eigenvalue dominating in magnitude: the largest algebraic eigenpair, not the largest |λ|', () => {
    const ref = reference(NEGATIVE_DOMINANT, 6, 6);
    expect(-ref.values[5]).toBeGreaterThan(1.2 * ref.values[0]); // the case does what it says
    for (const r of run(NEGATIVE_DOMINANT, 6, 6)) {
      expect(relErr(r.views[0], ref.map), r.flavor).toBeLessThanOrEqual(1e-6);
      // The first run converges on the negative eigenvalue (its sign alternates; the step compares with
      // ±v), so it does not spend maxIter steps before the restart.
      expect(r.ret, r.flavor).toBeLessThan(MAX_ITER);
    }
  });

  it('λmax ≈ −λmin (power iteration cannot separate them): the shifted restart still finds λmax', () => {
    // Scale the case above until the two extreme eigenvalues have the same magnitude (to ~1e-8).
    const scaled = (t: number) => NEGATIVE_DOMINANT.map((v) => Math.fround(v * t));
    const ratio = (t: number) => {
      const { values } = jacobi(centredKernel(scaled(t), 6, 6));
      return -values[5] / values[0];
    };
    let lo = 0.3, hi = 1;
    expect(ratio(lo)).toBeLessThan(1);
    expect(ratio(hi)).toBeGreaterThan(1);
    for (let i = 0; i < 50; i++) {
      const m = (lo + hi) / 2;
      if (ratio(m) > 1) hi = m;
      else lo = m;
    }
    const a = scaled(lo);
    expect(Math.abs(ratio(lo) - 1)).toBeLessThan(1e-6);
    const ref = reference(a, 6, 6);
    const maxIter = 2000;
    for (const r of run(a, 6, 6, maxIter)) {
      expect(r.ret, `${r.flavor}: the first stage gives up`).toBeGreaterThan(maxIter);
      expect(r.ret, r.flavor).toBeLessThan(2 * maxIter);
      expect(relErr(r.views[0], ref.map), r.flavor).toBeLessThanOrEqual(1e-6);
    }
  });

  it('flavors agree and match a float64 Jacobi reference over 0–33 channels and odd maps', () => {
    let compared = 0;
    for (const [h, w] of MAPS) {
      const hw = h * w;
      for (let c = 0; c <= 33; c++) {
        const a = planted(hw, c, hw * 64 + c);
        const rs = run(a, hw, c);
        const what = `${h}×${w}×${c}`;
        for (const r of rs.slice(0, 2)) {
          expect(relErr(r.views[0], rs[2].views[0]), `${r.flavor} ${what}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
          // The same iteration from the same start: the step counts agree (the f32 SIMD sums may stop one step apart).
          expect(Math.abs(r.ret - rs[2].ret), `${r.flavor} ${what} steps`).toBeLessThanOrEqual(1);
        }
        if (hw < 2 || c < 1 || hw > 49) continue;
        const ref = reference(a, hw, c);
        if (!(ref.values[0] > 1.05 * Math.max(ref.values[1], 0))) continue; // no clear top eigenvector to compare
        for (const r of rs) expect(relErr(r.views[0], ref.map), `${r.flavor} ${what}`).toBeLessThanOrEqual(1e-6);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(60);
  });

  it('saturated and tiny kernels (|x·y/c| from 1e-9 to 1e4): flavors agree with the float64 reference', () => {
    let compared = 0;
    for (const scale of [3e-5, 1e-2, 1, 10, 100]) {
      const a = planted(35, 7, 5).map((v) => v * scale);
      const ref = reference(a, 35, 7);
      if (!(ref.values[0] > 1.05 * Math.max(ref.values[1], 0))) continue;
      for (const r of run(a, 35, 7)) expect(relErr(r.views[0], ref.map), `${r.flavor} ×${scale}`).toBeLessThanOrEqual(1e-5);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(4);
  });

  it('svd_flip: the entry of largest magnitude is positive', () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const a = rand(35 * 5, seed, -2, 2);
      for (const r of run(a, 35, 5)) {
        const m = Array.from(r.views[0]);
        const at = m.reduce((b, v, i) => (Math.abs(v) > Math.abs(m[b]) ? i : b), 0);
        expect(m[at], r.flavor).toBeGreaterThan(0);
      }
    }
  });

  it('28×28 positions × 20 channels: flavors agree and (λ, v) solves the stored Kc to f64 round-off', () => {
    const hw = 784, c = 20;
    const a = planted(hw, c, 11);
    const rs = runFlavors(rts, [hw, hw * c, kpcaSigmoidTmp(hw, c)], [null, a, null], (k, [o, av, t]) => k.kpca_sigmoid(o, av, t, hw, c, MAX_ITER, TOL));
    for (const r of rs.slice(0, 2)) expect(relErr(r.views[0], rs[2].views[0]), r.flavor).toBeLessThanOrEqual(tol.kernel_raw_rel);
    for (const r of rs) {
      // Kc is left in the scratch after 6·hw + 2·hw·c floats: check Kc·m = λ·m with λ = |m|².
      const K = r.views[2].subarray(6 * hw + 2 * hw * c);
      const m = r.views[0];
      const lambda = m.reduce((s, v) => s + v * v, 0);
      let res = 0;
      for (let i = 0; i < hw; i++) {
        let s = 0;
        for (let j = 0; j < hw; j++) s += K[i * hw + j] * m[j];
        res = Math.max(res, Math.abs(s - lambda * m[i]));
      }
      expect(res / (lambda * Math.max(...Array.from(m, Math.abs))), r.flavor).toBeLessThan(1e-5);
      expect(r.ret, r.flavor).toBeLessThan(MAX_ITER);
    }
  });

  it('golden v2: low-res maps (1e-4 rel), the float64 eigenvector and eigenvalue', () => {
    const g = loadGolden(GOLDEN_V2_PATH);
    const cases = g.cases.filter((cs) => cs.methods.KPCA_CAM);
    expect(cases.length).toBe(20);
    for (const cs of cases) {
      const [, h, w, c] = cs.activations.shape;
      const hw = h * w;
      const ref = cs.methods.KPCA_CAM;
      const extra = ref.extra as { first_eigenvector_float64: number[]; eigenvalues_top3_float64: number[]; gamma: number; coef0: number };
      expect([extra.gamma, extra.coef0]).toEqual([1 / c, 1]);
      for (const r of run(cs.activations.values, hw, c)) {
        const what = `${r.flavor} ${cs.id}`;
        const m = r.views[0];
        expect(relErr(m, ref.cam_lowres!.values), what).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
        const lambda = m.reduce((s, v) => s + v * v, 0);
        expect(Math.abs(lambda / extra.eigenvalues_top3_float64[0] - 1), what).toBeLessThan(1e-5);
        expect(relErr(Array.from(m, (v) => v / Math.sqrt(lambda)), extra.first_eigenvector_float64), what).toBeLessThan(1e-5);
        expect(r.ret, what).toBeLessThan(100);
      }
    }
  });
});
