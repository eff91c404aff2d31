import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { firstBitDiff, fuzzRuns, MAPS, runFlavors } from '../helpers/kernels.js';
import { GOLDEN_V2_PATH, loadGolden } from '../helpers/golden.js';
import tol from '../tolerances.json';

const MAX_ITER = 1000;
const TOL = 1e-6;

/** Largest and second eigenvalue of a symmetric matrix (cyclic Jacobi, float64), with the top eigenvector. */
function jacobiTop(A: number[][]): { vec: number[]; l1: number; l2: number } {
  const c = A.length;
  const V: number[][] = Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => (i === j ? 1 : 0)));
  let diag = 0;
  for (let i = 0; i < c; i++) diag += A[i][i] ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let i = 0; i < c; i++) for (let j = i + 1; j < c; j++) off += A[i][j] ** 2;
    if (off <= 1e-30 * diag) break; // relative: the data may be scaled anywhere from 2^−149 to 2^127
    for (let p = 0; p < c; p++) {
      for (let q = p + 1; q < c; q++) {
        if (A[p][q] === 0) continue;
        const theta = (A[q][q] - A[p][p]) / (2 * A[p][q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const cs = 1 / Math.sqrt(t * t + 1), sn = t * cs;
        for (let k = 0; k < c; k++) {
          const akp = A[k][p], akq = A[k][q];
          A[k][p] = cs * akp - sn * akq;
          A[k][q] = sn * akp + cs * akq;
        }
        for (let k = 0; k < c; k++) {
          const apk = A[p][k], aqk = A[q][k];
          A[p][k] = cs * apk - sn * aqk;
          A[q][k] = sn * apk + cs * aqk;
        }
        for (let k = 0; k < c; k++) {
          const vkp = V[k][p], vkq = V[k][q];
          V[k][p] = cs * vkp - sn * vkq;
          V[k][q] = sn * vkp + cs * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: c }, (_, i) => i).sort((i, j) => A[j][j] - A[i][i]);
  return { vec: V.map((row) => row[order[0]]), l1: A[order[0]][order[0]], l2: c > 1 ? Math.max(A[order[1]][order[1]], 0) : 0 };
}

/**
 * Independent float64 reference: centred X; Jacobi on XᵀX (map = X·v1) or, when there are fewer
 * positions than channels, on XXᵀ (map = σ1·u1, the same vector).
 */
function reference(a: ArrayLike<number>, g: ArrayLike<number> | null, hw: number, c: number): { map: Float64Array; ratio: number } {
  const X = new Float64Array(hw * c);
  for (let i = 0; i < hw * c; i++) X[i] = Math.fround(g ? Math.fround(a[i] * g[i]) : a[i]);
  for (let k = 0; k < c; k++) {
    let m = 0;
    for (let p = 0; p < hw; p++) m += X[p * c + k];
    m /= hw;
    for (let p = 0; p < hw; p++) X[p * c + k] -= m;
  }
  const map = new Float64Array(hw);
  let top: { vec: number[]; l1: number; l2: number };
  if (c <= hw) {
    top = jacobiTop(Array.from({ length: c }, (_, i) => Array.from({ length: c }, (_, j) => {
      let s = 0;
      for (let p = 0; p < hw; p++) s += X[p * c + i] * X[p * c + j];
      return s;
    })));
    for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) map[p] += X[p * c + k] * top.vec[k];
  } else {
    top = jacobiTop(Array.from({ length: hw }, (_, i) => Array.from({ length: hw }, (_, j) => {
      let s = 0;
      for (let k = 0; k < c; k++) s += X[i * c + k] * X[j * c + k];
      return s;
    })));
    for (let p = 0; p < hw; p++) map[p] = Math.sqrt(Math.max(top.l1, 0)) * top.vec[p];
  }
  return { map, ratio: top.l2 > 0 ? Math.sqrt(top.l1 / top.l2) : Infinity };
}

/** Rank-one structure plus noise, so σ1/σ2 is comfortably above 1. */
function planted(hw: number, c: number, seed: number, strength = 3): Float32Array {
  const u = rand(hw, seed, -1, 1), w = rand(c, seed + 1, -1, 1), noise = rand(hw * c, seed + 2, -0.3, 0.3);
  return Float32Array.from(noise, (e, i) => strength * u[Math.floor(i / c)] * w[i % c] + e);
}

const aligned = (x: ArrayLike<number>, ref: ArrayLike<number>) => {
  let d = 0;
  for (let i = 0; i < x.length; i++) d += x[i] * ref[i];
  return Array.from(x, (v) => (d < 0 ? -v : v));
};

describe('eigen_pc', async () => {
  const rts = await allRuntimes();
  const run = (a: ArrayLike<number>, g: ArrayLike<number> | null, hw: number, c: number, maxIter = MAX_ITER, tolerance = TOL) =>
    runFlavors(rts, [hw, hw * c, hw * c, hw * c, c], [null, a, g, null, null], (k, [o, av, gv, x, v]) =>
      k.eigen_pc(o, av, g ? gv : null, x, v, hw, c, maxIter, tolerance),
    );

  it('known answer: a rank-one matrix, sign by the rule', () => {
    // Centred X = [[-1,-2],[0,0],[1,2]], v1 = [1,2]/√5, X·v1 = [−√5, 0, √5]; row sums [−3, 0, 3] correlate positively.
    for (const r of run([1, 2, 2, 4, 3, 6], null, 3, 2)) {
      expect(Array.from(r.views[0]).map((v) => +v.toFixed(5) + 0), r.flavor).toEqual([-2.23607, 0, 2.23607]);
      expect(Array.from(r.views[4]).map((v) => +v.toFixed(5)), r.flavor).toEqual([0.44721, 0.89443]);
      expect(r.ret).toBeGreaterThan(0);
    }
    // The same rows in reverse order: the start row (largest norm, first on ties) is now (1, 2), the
    // map already correlates positively, and v1 keeps that sign.
    for (const r of run([3, 6, 2, 4, 1, 2], null, 3, 2)) {
      expect(Array.from(r.views[0]).map((v) => +v.toFixed(5) + 0), r.flavor).toEqual([2.23607, 0, -2.23607]);
      expect(Array.from(r.views[4]).map((v) => +v.toFixed(5)), r.flavor).toEqual([0.44721, 0.89443]);
    }
    // EigenGradCAM uses g⊙a: g = −1 everywhere negates X and its row sums, so the map is negated too.
    for (const r of run([1, 2, 2, 4, 3, 6], [-1, -1, -1, -1, -1, -1], 3, 2)) {
      expect(Array.from(r.views[0]).map((v) => +v.toFixed(5) + 0), r.flavor).toEqual([2.23607, 0, -2.23607]);
    }
  });

  it('the sign rule: the map correlates positively with the centred channel sums; ties go to the largest entry', () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const hw = 35, c = 9, a = planted(hw, c, seed);
      for (const r of run(a, null, hw, c)) {
        let d = 0;
        for (let p = 0; p < hw; p++) {
          let rs = 0;
          for (let k = 0; k < c; k++) {
            let m = 0;
            for (let q = 0; q < hw; q++) m += a[q * c + k];
            rs += a[p * c + k] - m / hw;
          }
          d += r.views[0][p] * rs;
        }
        expect(d, r.flavor).toBeGreaterThanOrEqual(0);
      }
    }
    // Row sums all zero (each row is (t, −t)): the largest-magnitude entry must come out positive.
    const a = [1, -1, -3, 3, 2, -2];
    for (const r of run(a, null, 3, 2)) {
      const m = Array.from(r.views[0]);
      const at = m.reduce((b, v, i) => (Math.abs(v) > Math.abs(m[b]) ? i : b), 0);
      expect(m[at], r.flavor).toBeGreaterThan(0);
    }
  });

  it('zero correlation with the row sums: the first entry of largest magnitude is made positive', () => {
    // Rows sum to 0 exactly (binary fractions), so d = 0. Start row B = (¼, 9/4, −5/2) (largest norm)
    // has B·A > 0, so power iteration ends on +A and the ±A rows tie in magnitude; the first of them is
    // a −A row, negative before the tie rule. Without the rule (or taking the last tie) it stays negative.
    const A = [2, -1, -1], B = [0.25, 2.25, -2.5];
    const neg = (r: number[]) => r.map((v) => -v);
    const rows = [neg(A), A, neg(A), A, neg(A), A, B, neg(B)];
    const hw = rows.length, c = 3;
    // Canaries past out and v: the tie scan must not look past hw, nor the flip past c.
    const rs = runFlavors(rts, [hw + 4, hw * c, hw * c, hw * c, c + 4], [new Float32Array(hw + 4).fill(7), rows.flat(), null, null, new Float32Array(c + 4).fill(7)], (k, [o, av, , x, v]) =>
      k.eigen_pc(o, av, null, x, v, hw, c, MAX_ITER, TOL),
    );
    for (const r of rs) {
      const m = Array.from(r.views[0].subarray(0, hw));
      expect(m[0], r.flavor).toBeGreaterThan(0);
      expect(Math.abs(m[0]), r.flavor).toBe(Math.max(...m.map(Math.abs)));
      expect(m[1], r.flavor).toBe(-m[0]);
      expect(Array.from(r.views[4].subarray(c)), r.flavor).toEqual([7, 7, 7, 7]);
    }
  });

  it('iteration counts: maxIter is a hard cap, and every flavor takes the same number of iterations', () => {
    const hw = 35, c = 9, a = planted(hw, c, 3, 1.2);
    for (const cap of [1, 2, 3]) for (const r of run(a, null, hw, c, cap, 0)) expect(r.ret, `${r.flavor} cap ${cap}`).toBe(cap);
    const free = run(a, null, hw, c);
    expect(free[2].ret).toBeGreaterThan(3);
    for (const r of free) expect(r.ret, r.flavor).toBe(free[2].ret);
  });

  it('writes nothing past its hw outputs, its c-vector or its hw·c scratch, and reads only hw·c inputs', () => {
    const hw = 12, c = 5, a = planted(hw, c, 8);
    // 8 > c slack floats, so a loop one row too far reads a whole row of canaries.
    const S = 8, slack = (n: number) => new Float32Array(n + S).fill(7);
    const rs = runFlavors(rts, [hw + S, hw * c + S, hw * c + S, hw * c + S, c + S], [slack(hw), [...a, ...slack(0)], null, slack(hw * c), slack(c)], (k, [o, av, , x, v]) =>
      k.eigen_pc(o, av, null, x, v, hw, c, MAX_ITER, TOL),
    );
    const exact = run(a, null, hw, c)[2];
    for (const r of rs) {
      for (const i of [0, 3, 4]) expect(Array.from(r.views[i].subarray(r.views[i].length - S)), `${r.flavor} view ${i}`).toEqual(Array.from(slack(0)));
      expect(firstBitDiff(r.views[0].subarray(0, hw), exact.views[0]), r.flavor).toBe(-1);
      expect(r.ret, r.flavor).toBe(exact.ret);
    }
  });

  it('degenerate inputs: constant channels give an all-zero map in 0 iterations; NaN gives NaN; c = 0 is a no-op', () => {
    for (const r of run(new Float32Array(12).fill(2.5), null, 4, 3)) {
      expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0, 0]);
      expect(r.ret).toBe(0);
    }
    for (const r of run(new Float32Array(12), rand(12, 1), 4, 3)) expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0, 0]);
    const bad = rand(12, 3);
    bad[5] = NaN;
    for (const r of run(bad, null, 4, 3)) {
      expect(Array.from(r.views[0]).every(Number.isNaN), r.flavor).toBe(true);
      expect(Array.from(r.views[4]).every(Number.isNaN), r.flavor).toBe(true);
      expect(r.ret, r.flavor).toBe(0);
    }
    for (const inf of [Infinity, -Infinity]) {
      const big = rand(12, 4);
      big[7] = inf;
      for (const r of run(big, null, 4, 3)) {
        expect(Array.from(r.views[0]).every(Number.isNaN), `${r.flavor} ${inf}`).toBe(true);
        expect(r.ret, r.flavor).toBe(0);
      }
    }
    for (const r of run([], null, 4, 0)) {
      expect(r.ret).toBe(0);
      expect(Array.from(r.views[0]), r.flavor).toEqual([0, 0, 0, 0]);
    }
    // hw = 0: nothing to do, nothing written (the views keep runFlavors' NaN canary).
    for (const r of run([], null, 0, 3)) {
      expect(r.ret).toBe(0);
      expect(Array.from(r.views[4]).every(Number.isNaN), r.flavor).toBe(true);
    }
  });

  it('flavors agree and match a float64 Jacobi reference up to sign, over 0–33 channels, odd maps, with and without g', () => {
    for (const [h, w] of MAPS) {
      const hw = h * w;
      for (let c = 0; c <= 33; c++) {
        const a = planted(hw, c, hw * 64 + c);
        for (const g of [null, rand(hw * c, c + 99, 0.5, 1.5)]) {
          const rs = run(a, g, hw, c);
          const what = `${h}×${w}×${c}${g ? ' g' : ''}`;
          for (const r of rs.slice(0, 2)) {
            expect(relErr(r.views[0], rs[2].views[0]), `${r.flavor} ${what}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
            expect(r.ret, `${r.flavor} ${what} iterations`).toBe(rs[2].ret);
          }
          if (hw < 2 || c < 1) continue;
          const ref = reference(a, g, hw, c);
          if (ref.ratio < 1.2) continue; // a near-tie leaves v1 ill-defined at f32 precision
          expect(relErr(aligned(rs[2].views[0], ref.map), ref.map), what).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
          expect(relErr(aligned(rs[0].views[0], ref.map), ref.map), what).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
        }
      }
    }
  });

  it('large channel counts: 16-channel blocks plus tails agree with the twin and the reference', () => {
    for (const [hw, c] of [[49, 1037], [12, 2048]] as const) {
      const a = planted(hw, c, c);
      const rs = run(a, null, hw, c);
      for (const r of rs.slice(0, 2)) expect(relErr(r.views[0], rs[2].views[0]), `${r.flavor} ${hw}×${c}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
      const ref = reference(a, null, hw, c);
      expect(relErr(aligned(rs[0].views[0], ref.map), ref.map)).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
    }
  });

  it('denormal inputs are centred after an exact rescale: the map is the float64 map rounded once', () => {
    // Two equal channels [1, 2, 4]·2^−149: the exact map is √2·[−4/3, −1/3, 5/3]·2^−149 =
    // [−1.886, −0.471, 2.357]·2^−149 → [−2, −0, 2] units once rounded. Centring on the denormal grid
    // first would round each channel to [−1, 0, 2] and give √2·that → [−1, 0, 3] units.
    const u = 2 ** -149;
    const a = [1, 1, 2, 2, 4, 4].map((q) => q * u);
    const want = Array.from(reference(a, null, 3, 2).map, (v) => Math.fround(Math.abs(v)) / u);
    for (const r of run(a, null, 3, 2)) expect(Array.from(r.views[0], (v) => Math.abs(v) / u), r.flavor).toEqual(want);
    expect(want).toEqual([2, 0, 2]);
  });

  it('property: any scale (tiny, huge, denormal-laden) gives the scaled map of the same direction', () => {
    const arb = fc.record({
      hw: fc.integer({ min: 2, max: 30 }),
      c: fc.integer({ min: 1, max: 12 }),
      seed: fc.integer({ min: 1, max: 1 << 30 }),
      exp: fc.integer({ min: -140, max: 120 }),
      strength: fc.double({ min: 2, max: 6, noNaN: true }),
    });
    fc.assert(
      fc.property(arb, ({ hw, c, seed, exp, strength }) => {
        // The scaled values are what the kernel sees (tiny ones turn denormal and lose bits), so the
        // float64 reference is taken on exactly those values.
        const s = Math.pow(2, exp);
        const a = planted(hw, c, seed, strength).map((v) => v * s);
        fc.pre(a.every(Number.isFinite) && a.some((v) => v !== 0));
        const ref = reference(a, null, hw, c);
        fc.pre(ref.ratio >= 1.3);
        for (const r of run(a, null, hw, c)) {
          expect(r.ret).toBeLessThanOrEqual(MAX_ITER);
          // The map itself is f32: tiny maps are denormal, so allow a few units of 2^−149 on top.
          const m = aligned(r.views[0], ref.map);
          let d = 0, big = 0;
          for (let p = 0; p < hw; p++) {
            d = Math.max(d, Math.abs(m[p] - ref.map[p]));
            big = Math.max(big, Math.abs(ref.map[p]));
          }
          expect(d, `${r.flavor} 2^${exp}`).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel * big + 4 * 2 ** -149);
        }
      }),
      // The extremes always run, also when mutation runs shrink the random ones (FUZZ_RUNS=8).
      { numRuns: fuzzRuns(40), examples: [[{ hw: 9, c: 4, seed: 5, exp: -140, strength: 4 }], [{ hw: 20, c: 7, seed: 9, exp: -132, strength: 3 }], [{ hw: 12, c: 3, seed: 2, exp: -144, strength: 5 }], [{ hw: 16, c: 5, seed: 11, exp: -146, strength: 5 }], [{ hw: 9, c: 4, seed: 5, exp: 120, strength: 4 }]] },
    );
  });

  describe('mode 1: |G|⊙A with the reference sign correction (SegEigenCAM)', () => {
    const runSeg = (a: ArrayLike<number>, g: ArrayLike<number>, hw: number, c: number) =>
      runFlavors(rts, [hw, hw * c, hw * c, hw * c, c], [null, a, g, null, null], (k, [o, av, gv, x, v]) =>
        k.eigen_pc(o, av, gv, x, v, hw, c, MAX_ITER, TOL, 1),
      );
    /** The reference sign rule on a map: negate when |min| > |max|. */
    const segSign = (m: ArrayLike<number>) => {
      let lo = 0, hi = 0;
      for (let i = 0; i < m.length; i++) (lo = Math.min(lo, m[i])), (hi = Math.max(hi, m[i]));
      return Array.from(m, (v) => (-lo > hi ? -v : v));
    };

    it('known answer: |g| is used, and the sign follows |min| vs |max|, not camkit\'s rule', () => {
      // a = [[1,2],[2,4],[5,10]]: centred rows (−5,−10)/3, (−2,−4)/3, (7,14)/3; v1 = (1,2)/√5;
      // X·v1 = [−5, −2, 7]·√5/3, |max| > |min| → kept. g = −2 everywhere: |g| doubles X (mode 0 would negate it).
      const a = [1, 2, 2, 4, 5, 10];
      const want = [-5, -2, 7].map((q) => +((2 * q * Math.sqrt(5)) / 3).toFixed(4));
      for (const r of runSeg(a, new Array(6).fill(-2), 3, 2)) expect(Array.from(r.views[0]).map((v) => +v.toFixed(4)), r.flavor).toEqual(want);
      // −a: X·v1 comes out as [5, 2, −7]·(…): |min| > |max| → negated back. camkit's rule keeps it (row sums).
      const neg = a.map((v) => -v);
      for (const r of runSeg(neg, new Array(6).fill(1), 3, 2)) expect(Array.from(r.views[0]).map((v) => +v.toFixed(4)), r.flavor).toEqual(want.map((q) => q / 2));
      for (const r of run(neg, new Array(6).fill(1), 3, 2)) expect(Array.from(r.views[0]).map((v) => +v.toFixed(4) + 0), r.flavor).toEqual(want.map((q) => -q / 2 + 0));
    });

    it('a tie |min| = |max| keeps the map as power iteration leaves it', () => {
      // Rows (1,2), (0,0), (−1,−2) after centring: the map is ±[√5, 0, −√5], an exact tie; the start
      // row (1, 2) gives +, which the reference rule keeps (only |min| > |max| negates).
      for (const r of runSeg([3, 6, 2, 4, 1, 2], [1, 1, 1, 1, 1, 1], 3, 2)) {
        expect(Array.from(r.views[0]).map((v) => +v.toFixed(5) + 0), r.flavor).toEqual([2.23607, 0, -2.23607]);
      }
    });

    it('flavors agree and match the float64 reference with the reference sign over 0–33 channels, odd maps', () => {
      let compared = 0;
      for (const [h, w] of MAPS) {
        const hw = h * w;
        for (let c = 0; c <= 33; c++) {
          const a = planted(hw, c, hw * 31 + c);
          const g = rand(hw * c, c + 5, -1.5, 1.5);
          const rs = runSeg(a, g, hw, c);
          const what = `${h}×${w}×${c}`;
          for (const r of rs.slice(0, 2)) expect(relErr(r.views[0], rs[2].views[0]), `${r.flavor} ${what}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
          if (hw < 2 || c < 1) continue;
          const ref = reference(a, Float32Array.from(g, Math.abs), hw, c);
          if (ref.ratio < 1.2) continue;
          const m = segSign(ref.map);
          let lo = 0, hi = 0;
          for (const v of m) (lo = Math.min(lo, v)), (hi = Math.max(hi, v));
          if (Math.abs(hi + lo) < 1e-3 * hi) continue; // |min| ≈ |max|: the sign is a coin toss at f32 precision
          for (const r of rs) expect(relErr(r.views[0], m), `${r.flavor} ${what}`).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
    });

    it('golden v2: low-res and final maps of every case that has them, without sign alignment', () => {
      const gv2 = loadGolden(GOLDEN_V2_PATH);
      const cases = gv2.cases.filter((cs) => cs.methods.SegEigenCAM);
      expect(cases.length).toBe(26);
      for (const cs of cases) {
        const [, h, w, c] = cs.activations.shape;
        const hw = h * w;
        const ref = cs.methods.SegEigenCAM;
        const [H, W] = ref.grayscale_cam.shape!;
        for (const rt of Object.values(rts)) {
          const k = rt.kernels;
          const { f: [cam, av, gv, x, v, m, up, tmp] } = rt.arena.take([hw, hw * c, hw * c, hw * c, c, hw, H * W, h * W]);
          av.set(cs.activations.values);
          gv.set(cs.gradients.values);
          const it = k.eigen_pc(cam, av, gv, x, v, hw, c, MAX_ITER, TOL, 1);
          const what = `${rt.flavor} ${cs.id}`;
          expect(it, what).toBeLessThan(MAX_ITER);
          expect(relErr(cam, ref.cam_lowres!.values), what).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
          // The v1 post-processing chain: ReLU → normalise → half-pixel resize → normalise.
          k.relu(m, cam, hw);
          k.minmax_normalize(m, 1, hw, 1e-7);
          k.resize_bilinear(up, m, tmp, 1, h, w, H, W, 0);
          k.minmax_normalize(up, 1, H * W, 1e-7);
          let d = 0;
          for (let i = 0; i < H * W; i++) d = Math.max(d, Math.abs(up[i] - ref.grayscale_cam.values[i]));
          expect(d, what).toBeLessThanOrEqual(tol.golden_grayscale_abs);
        }
      }
    });
  });
});
