import { describe, expect, it } from 'vitest';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import tol from '../tolerances.json';

describe('pool_mean', async () => {
  const rts = await allRuntimes();

  it('known answer', () => {
    // prettier-ignore
    const g = new Float32Array([1, 10,   3, 30,   5, 50]); // hw=3, c=2
    const { f: [out, gv] } = rts.simd.arena.take([2, 6]);
    gv.set(g);
    rts.simd.kernels.pool_mean(out, gv, 1, 3, 2);
    expect(Array.from(out)).toEqual([3, 30]);
  });

  it('no positions (hw = 0): every mean is 0, not NaN, in every flavor', () => {
    for (const rt of Object.values(rts)) {
      const { f: [out, gv] } = rt.arena.take([2 * 3, 1]);
      out.fill(NaN);
      rt.kernels.pool_mean(out, gv, 2, 0, 3);
      expect(Array.from(out), rt.kernels.flavor).toEqual([0, 0, 0, 0, 0, 0]);
    }
  });

  it('writes nothing past its n·c outputs', () => {
    const g = rand(2 * 6 * 5, 8);
    for (const rt of Object.values(rts)) {
      const { f: [out, gv] } = rt.arena.take([2 * 5 + 4, 2 * 6 * 5]);
      out.fill(7);
      gv.set(g);
      rt.kernels.pool_mean(out, gv, 2, 6, 5);
      expect(Array.from(out.subarray(10)), rt.kernels.flavor).toEqual([7, 7, 7, 7]);
    }
  });

  it('SIMD = scalar = twin over 0–33 channels, odd maps, both loop orders', () => {
    // SIMD: ≤ 256 rows take the row loop, more the column loop (16-, 4- and 1-channel parts); scalar: the row loop for C > 1024, ≤ 64 rows.
    for (const [n, hw, cs] of [[1, 1, 34], [2, 15, 34], [1, 77, 34], [1, 49, [1025, 1030, 2048]], [1, 256, [512, 515]], [1, 257, 34], [2, 301, [512, 1030]]] as const) {
      const chans = typeof cs === 'number' ? Array.from({ length: cs }, (_, i) => i) : cs;
      for (const c of chans) {
        const g = rand(n * hw * c, c + 7);
        const res = Object.values(rts).map((rt) => {
          const { f: [out, gv] } = rt.arena.take([n * c, n * hw * c]);
          gv.set(g);
          rt.kernels.pool_mean(out, gv, n, hw, c);
          return Float32Array.from(out);
        });
        expect(relErr(res[0], res[2])).toBeLessThanOrEqual(tol.kernel_raw_rel);
        expect(relErr(res[1], res[2])).toBeLessThanOrEqual(tol.kernel_raw_rel);
      }
    }
  });

  it('stays accurate on large maps (f32 partial sums per block, f64 across blocks)', () => {
    // 112×112 positions with a large common offset: a plain f32 running sum drifts by ~1e-5 here.
    // 16×16 is the largest map of the SIMD row loop (64 running additions of four-row sums).
    for (const [hw, c] of [[112 * 112, 9], [256, 37]]) accurate(hw, c);
  });

  function accurate(hw: number, c: number): void {
    const g = rand(hw * c, 3, 0.5, 1.5);
    const exact = new Float64Array(c);
    for (let p = 0; p < hw; p++) for (let k = 0; k < c; k++) exact[k] += g[p * c + k] / hw;
    for (const rt of Object.values(rts)) {
      const { f: [out, gv] } = rt.arena.take([c, hw * c]);
      gv.set(g);
      rt.kernels.pool_mean(out, gv, 1, hw, c);
      expect(relErr(out, exact), `${rt.flavor} hw ${hw}`).toBeLessThan(1e-6);
    }
  }
});
