import { describe, expect, it } from 'vitest';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { MAPS, runFlavors } from '../helpers/kernels.js';
import { nmfInit, nmfMuTmp, nmfPrepare } from '../../src/kernels/nmf_mu.js';
import { gauss, rng } from '../../src/core/random.js';
import tol from '../tolerances.json';

const EPS = 1e-12;
// Stryker's instrumented twin runs these loops 10–150× slower: mutation runs (CAMKIT_MUTATE=1) take
// fewer steps and a smaller sweep that still has every tail (c = 1–5, 8, 17; odd maps).
const MUTATING = process.env.CAMKIT_MUTATE === '1';

/** ‖P − E·Wᵀ‖_F formed directly in float64 (the kernel uses the expanded identity). */
function residual(p: ArrayLike<number>, e: ArrayLike<number>, w: ArrayLike<number>, n: number, c: number, k: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let q = 0; q < c; q++) {
      let m = 0;
      for (let l = 0; l < k; l++) m += e[i * k + l] * w[q * k + l];
      s += (p[i * c + q] - m) ** 2;
    }
  }
  return Math.sqrt(s);
}

/** A non-negative rank-k matrix with anchors (rows and channels where only one component is active), so the factors are identifiable. */
function planted(n: number, c: number, k: number, seed: number) {
  const e = rand(n * k, seed, 0, 1).map((v) => (v < 0.4 ? 0 : v));
  const w = rand(c * k, seed + 1, 0, 1).map((v) => (v < 0.4 ? 0 : v));
  for (let l = 0; l < k; l++) {
    for (let j = 0; j < k; j++) {
      e[l * k + j] = j === l ? 1 : 0;
      w[l * k + j] = j === l ? 1 : 0;
    }
  }
  const p = new Float32Array(n * c);
  for (let i = 0; i < n; i++) for (let q = 0; q < c; q++) for (let l = 0; l < k; l++) p[i * c + q] += e[i * k + l] * w[q * k + l];
  return { p, e, w };
}

const column = (m: ArrayLike<number>, rows: number, k: number, l: number) => Float64Array.from({ length: rows }, (_, i) => m[i * k + l]);
const cosine = (a: Float64Array, b: Float64Array) => {
  let d = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) (d += a[i] * b[i]), (na += a[i] * a[i]), (nb += b[i] * b[i]);
  return d / Math.sqrt(na * nb);
};

describe('nmf_mu', async () => {
  const rts = await allRuntimes();
  /** Views: E, W, P, tmp. */
  const run = (e: ArrayLike<number>, w: ArrayLike<number>, p: ArrayLike<number>, n: number, c: number, k: number, iters: number) =>
    runFlavors(rts, [n * k, c * k, n * c, nmfMuTmp(c, k)], [e, w, p, null], (kk, [ev, wv, pv, t]) => kk.nmf_mu(ev, wv, pv, t, n, c, k, iters, EPS));

  it('known answer: one update of a rank-one matrix from a flat start is exact', () => {
    // P = [[1,2],[2,4]], E = W = [1,1]: E ← E·(PW)/(E·WᵀW) = [3/2, 3], then W ← W·(PᵀE)/(W·EᵀE) = [7.5, 15]/11.25.
    for (const r of run([1, 1], [1, 1], [1, 2, 2, 4], 2, 2, 1, 0)) expect(r.ret, r.flavor).toBeCloseTo(Math.sqrt(11), 6);
    for (const r of run([1, 1], [1, 1], [1, 2, 2, 4], 2, 2, 1, 1)) {
      expect(Array.from(r.views[0]), r.flavor).toEqual([1.5, 3]);
      expect(Array.from(r.views[1]), r.flavor).toEqual([Math.fround(2 / 3), Math.fround(4 / 3)]);
      expect(r.ret, r.flavor).toBeLessThan(1e-3);
    }
  });

  it('iters = 0 only measures; the error it returns is the direct residual; c = 0 is harmless', () => {
    const n = 35, c = 9, k = 3;
    const p = rand(n * c, 1, 0, 2), e = rand(n * k, 2, 0, 1), w = rand(c * k, 3, 0, 1);
    for (const r of run(e, w, p, n, c, k, 0)) {
      expect(Array.from(r.views[0]), r.flavor).toEqual(Array.from(e));
      expect(Array.from(r.views[1]), r.flavor).toEqual(Array.from(w));
      expect(Math.abs(r.ret - residual(p, e, w, n, c, k)) / r.ret, r.flavor).toBeLessThan(1e-9);
    }
    for (const r of run(e, [], [], n, 0, k, 3)) expect(r.ret, r.flavor).toBe(0);
  });

  it('stays non-negative and the error never increases, iteration after iteration', () => {
    const n = 2 * 7 * 9, c = 21, k = 4;
    const p = rand(n * c, 5, 0, 1);
    const e = new Float32Array(n * k), w = new Float32Array(c * k);
    nmfInit(e, w, p, n, c, k, 0);
    for (const [flavor, rt] of Object.entries(rts)) {
      const { f: [ev, wv, pv, t] } = rt.arena.take([n * k, c * k, n * c, nmfMuTmp(c, k)]);
      ev.set(e);
      wv.set(w);
      pv.set(p);
      let last = rt.kernels.nmf_mu(ev, wv, pv, t, n, c, k, 0, EPS);
      for (let i = 0; i < (MUTATING ? 40 : 300); i++) {
        const err = rt.kernels.nmf_mu(ev, wv, pv, t, n, c, k, 1, EPS);
        expect(err, `${flavor} step ${i}`).toBeLessThanOrEqual(last * (1 + 1e-9));
        last = err;
      }
      expect(ev.every((v) => v >= 0) && wv.every((v) => v >= 0), flavor).toBe(true);
      // The returned error agrees with the residual formed directly.
      expect(Math.abs(last - residual(pv, ev, wv, n, c, k)) / last, flavor).toBeLessThan(1e-6);
    }
  });

  // 3000 updates through Stryker's instrumented twin take minutes, so `npm run mutate` (CAMKIT_MUTATE=1,
  // stryker.config.mjs) leaves this one out; the known answers and properties above still run there.
  it.skipIf(MUTATING)('recovers a planted non-negative factorisation (after matching components)', () => {
    const n = 2 * 11 * 15, c = 24, k = 4;
    const truth = planted(n, c, k, 7);
    const e = new Float32Array(n * k), w = new Float32Array(c * k);
    nmfInit(e, w, truth.p, n, c, k, 1);
    for (const r of run(e, w, truth.p, n, c, k, 3000)) {
      const norm = Math.sqrt(truth.p.reduce((s, v) => s + v * v, 0));
      expect(r.ret / norm, r.flavor).toBeLessThan(1e-3);
      // Each true component has exactly one learned partner: concepts (W columns) and explanations (E columns) both line up.
      const used = new Set<number>();
      for (let l = 0; l < k; l++) {
        const tw = column(truth.w, c, k, l);
        let best = -1, bestCos = -1;
        for (let m = 0; m < k; m++) {
          const cs = cosine(tw, column(r.views[1], c, k, m));
          if (cs > bestCos) (bestCos = cs), (best = m);
        }
        expect(bestCos, `${r.flavor} concept ${l}`).toBeGreaterThan(0.999);
        expect(cosine(column(truth.e, n, k, l), column(r.views[0], n, k, best)), `${r.flavor} explanation ${l}`).toBeGreaterThan(0.999);
        used.add(best);
      }
      expect(used.size, r.flavor).toBe(k);
    }
  });

  it('flavors agree over odd maps, n = 1 and 2 images, 1–33 channels, k = 1, 2, 5', () => {
    for (const [h, w] of MUTATING ? MAPS.slice(0, 3) : MAPS) {
      for (const imgs of [1, 2]) {
        const n = imgs * h * w;
        for (const c of MUTATING ? [1, 2, 3, 4, 5, 8, 17] : [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33]) {
          for (const k of [1, 2, 5]) {
            const p = rand(n * c, n + c + k, 0, 1);
            const e = new Float32Array(n * k), wt = new Float32Array(c * k);
            nmfInit(e, wt, p, n, c, k, c);
            const rs = run(e, wt, p, n, c, k, 10);
            const what = `${imgs}×${h}×${w}×${c} k${k}`;
            for (const r of rs.slice(0, 2)) {
              expect(relErr(r.views[0], rs[2].views[0]), `${r.flavor} E ${what}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
              expect(relErr(r.views[1], rs[2].views[1]), `${r.flavor} W ${what}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
              expect(Math.abs(r.ret - rs[2].ret) / Math.max(rs[2].ret, 1e-30), `${r.flavor} error ${what}`).toBeLessThanOrEqual(1e-6);
            }
          }
        }
      }
    }
  });

  it('writes nothing past E, W or its nmfMuTmp(c, k) scratch, in every flavor', () => {
    const n = 2 * 3 * 5, c = 7, k = 3, S = 8;
    const p = rand(n * c, 21, 0, 1);
    const e = new Float32Array(n * k), w = new Float32Array(c * k);
    nmfInit(e, w, p, n, c, k, 4);
    const canary = new Array(S).fill(7);
    const rs = runFlavors(rts, [n * k + S, c * k + S, n * c, nmfMuTmp(c, k) + S], [[...e, ...canary], [...w, ...canary], p, new Float32Array(nmfMuTmp(c, k) + S).fill(7)], (kk, [ev, wv, pv, t]) =>
      kk.nmf_mu(ev, wv, pv, t, n, c, k, 3, EPS),
    );
    const exact = run(e, w, p, n, c, k, 3)[2];
    for (const r of rs) {
      for (const [i, len] of [[0, n * k], [1, c * k], [3, nmfMuTmp(c, k)]]) expect(Array.from(r.views[i].subarray(len)), `${r.flavor} view ${i}`).toEqual(canary);
      expect(relErr(r.views[0].subarray(0, n * k), exact.views[0]), r.flavor).toBeLessThanOrEqual(tol.kernel_raw_rel);
    }
  });

  it('nmfPrepare: NaN → 0, every channel minus its minimum over all rows; nmfInit: seeded and non-negative', () => {
    const p = Float32Array.from([1, -2, NaN, 3, 5, 0]); // 3 rows × 2 channels
    const off = nmfPrepare(p, 3, 2);
    expect(Array.from(off)).toEqual([0, -2]);
    expect(Array.from(p)).toEqual([1, 0, 0, 5, 5, 2]);
    const a = [new Float32Array(6), new Float32Array(4)], b = [new Float32Array(6), new Float32Array(4)];
    nmfInit(a[0], a[1], p, 3, 2, 2, 42);
    nmfInit(b[0], b[1], p, 3, 2, 2, 42);
    expect(Array.from(a[0])).toEqual(Array.from(b[0]));
    expect([...a[0], ...a[1]].every((v) => v > 0)).toBe(true);
    nmfInit(b[0], b[1], p, 3, 2, 2, 43);
    expect(Array.from(a[0])).not.toEqual(Array.from(b[0]));
    // The values: avg·|N(0, 1)| with avg = √(mean(P)/k), E drawn component by component, then W.
    const r = rng(42), avg = Math.sqrt(13 / 6 / 2);
    const wantE = new Float32Array(6), wantW = new Float32Array(4);
    for (let l = 0; l < 2; l++) for (let i = 0; i < 3; i++) wantE[i * 2 + l] = avg * Math.abs(gauss(r));
    for (let q = 0; q < 2; q++) for (let l = 0; l < 2; l++) wantW[q * 2 + l] = avg * Math.abs(gauss(r));
    expect(Array.from(a[0])).toEqual(Array.from(wantE));
    expect(Array.from(a[1])).toEqual(Array.from(wantW));
    // Nothing past n·k and c·k.
    const el = new Float32Array(6 + 2).fill(7), wl = new Float32Array(4 + 2).fill(7);
    nmfInit(el, wl, p, 3, 2, 2, 42);
    expect([...el.subarray(6), ...wl.subarray(4)]).toEqual([7, 7, 7, 7]);
    // Empty P: zeros, not NaN.
    const z = [new Float32Array(4), new Float32Array(0)];
    nmfInit(z[0], z[1], new Float32Array(0), 2, 0, 2, 1);
    expect(Array.from(z[0])).toEqual([0, 0, 0, 0]);
  });

  it('nmfPrepare reads and writes only n·c values; no rows gives zero offsets', () => {
    const p = Float32Array.from([1, 4, 3, 2, -100, -100]); // 2 rows × 2 channels, then two foreign values
    expect(Array.from(nmfPrepare(p, 2, 2))).toEqual([1, 2]);
    expect(Array.from(p)).toEqual([0, 2, 2, 0, -100, -100]);
    expect(Array.from(nmfPrepare(new Float32Array(3), 0, 3))).toEqual([0, 0, 0]);
  });
});
