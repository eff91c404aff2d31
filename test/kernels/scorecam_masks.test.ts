import { describe, expect, it } from 'vitest';
import { allRuntimes, rand, relErr } from '../helpers/flavors.js';
import { scorecamMasksTmp } from '../../src/kernels/scorecam_masks.js';
import type { Runtime } from '../../src/runtime/init.js';
import tol from '../tolerances.json';

type Shape = { h: number; w: number; c: number; H: number; W: number; ci: number };

function run(rt: Runtime, s: Shape, a: Float32Array, x: Float32Array, k0: number, count: number, ac: number, scale: number) {
  const { h, w, c, H, W, ci } = s;
  const { f: [out, xv, av, tmp] } = rt.arena.take([count * H * W * ci, H * W * ci, h * w * c, scorecamMasksTmp(h, H, W)]);
  xv.set(x);
  av.set(a);
  rt.kernels.scorecam_masks(out, xv, av, tmp, h, w, c, k0, count, H, W, ci, ac, scale);
  return Float32Array.from(out);
}

/** Float64 oracle written from the definition, independently of the twin's loop structure. */
function direct(s: Shape, a: Float32Array, x: Float32Array, k: number, ac: number, scale: number): Float64Array {
  const { h, w, c, H, W, ci } = s;
  const coord = (i: number, n: number, N: number) => {
    const r = ac ? (N > 1 ? (i * (n - 1)) / (N - 1) : 0) : Math.max(((i + 0.5) * n) / N - 0.5, 0);
    const i0 = Math.min(Math.floor(r), n - 1);
    return [i0, Math.min(i0 + 1, n - 1), r - i0] as const;
  };
  const up = new Float64Array(H * W);
  for (let y = 0; y < H; y++) {
    const [y0, y1, ly] = coord(y, h, H);
    for (let xx = 0; xx < W; xx++) {
      const [x0, x1, lx] = coord(xx, w, W);
      const v = (yy: number, xq: number) => a[(yy * w + xq) * c + k];
      up[y * W + xx] = (1 - ly) * ((1 - lx) * v(y0, x0) + lx * v(y0, x1)) + ly * ((1 - lx) * v(y1, x0) + lx * v(y1, x1));
    }
  }
  let mn = Infinity, mx = -Infinity;
  for (const v of up) (mn = Math.min(mn, v)), (mx = Math.max(mx, v));
  const out = new Float64Array(H * W * ci);
  for (let j = 0; j < H * W; j++) for (let q = 0; q < ci; q++) out[j * ci + q] = (x[j * ci + q] * (up[j] - mn) * scale) / (mx - mn + 1e-8);
  return out;
}

describe('scorecam_masks', async () => {
  const rts = await allRuntimes();

  it('known answer: 1×2 map, align corners, to 1×3', () => {
    // Channel 0 is [0, 2]: upsampled to [0, 1, 2], normalised to [0, .5, 1].
    const s = { h: 1, w: 2, c: 2, H: 1, W: 3, ci: 1 };
    const a = new Float32Array([0, 5, 2, 5]);
    const x = new Float32Array([4, 4, 4]);
    for (const rt of Object.values(rts)) {
      const out = run(rt, s, a, x, 0, 1, 1, 1);
      expect(Array.from(out).map((v) => +v.toFixed(5))).toEqual([0, 2, 4]);
      // A constant channel gives a zero mask (eps keeps it finite), as in the reference.
      expect(Array.from(run(rt, s, a, x, 1, 1, 1, 1))).toEqual([0, 0, 0]);
    }
  });

  it('matches the definition (float64) in both resize conventions', () => {
    const s = { h: 5, w: 7, c: 3, H: 13, W: 18, ci: 3 };
    const a = rand(s.h * s.w * s.c, 11);
    const x = rand(s.H * s.W * s.ci, 12, 0, 1);
    for (const ac of [0, 1]) {
      for (const [name, rt] of Object.entries(rts)) {
        const out = run(rt, s, a, x, 0, 3, ac, 0.7);
        for (let k = 0; k < 3; k++) {
          const ref = direct(s, a, x, k, ac, 0.7);
          const got = out.subarray(k * ref.length, (k + 1) * ref.length);
          expect(relErr(got, ref), `${name} ac=${ac} k=${k}`).toBeLessThanOrEqual(tol.kernel_raw_rel);
        }
      }
    }
  });

  it('SIMD = scalar = twin: 0–33 channels, odd sizes, ci ∈ {1,2,3,4,5,8}, subsets, scale', () => {
    const shapes: Shape[] = [
      { h: 1, w: 1, c: 1, H: 1, W: 1, ci: 3 },
      { h: 3, w: 5, c: 33, H: 7, W: 9, ci: 3 },
      { h: 11, w: 15, c: 16, H: 48, W: 64, ci: 3 },
      { h: 4, w: 3, c: 5, H: 13, W: 5, ci: 1 },
      { h: 2, w: 6, c: 7, H: 9, W: 11, ci: 2 },
      { h: 6, w: 4, c: 9, H: 10, W: 7, ci: 4 },
      { h: 3, w: 3, c: 4, H: 6, W: 5, ci: 5 },
      { h: 5, w: 2, c: 3, H: 17, W: 3, ci: 8 },
      { h: 7, w: 9, c: 2, H: 7, W: 9, ci: 3 }, // same size: an identity resize
    ];
    let seed = 100;
    for (const s of shapes) {
      const a = rand(s.h * s.w * s.c, seed++);
      const x = rand(s.H * s.W * s.ci, seed++, 0, 1);
      for (const ac of [0, 1]) {
        for (const [k0, count] of [[0, s.c], [Math.floor(s.c / 2), s.c - Math.floor(s.c / 2)], [s.c - 1, 1], [0, 0]]) {
          for (const scale of [1, 0.35]) {
            const [simd, scalar, js] = [rts.simd, rts.scalar, rts.js].map((rt) => run(rt, s, a, x, k0, count, ac, scale));
            const what = `${JSON.stringify(s)} ac=${ac} k0=${k0} n=${count} scale=${scale}`;
            expect(relErr(simd, js), what).toBeLessThanOrEqual(tol.kernel_raw_rel);
            expect(relErr(scalar, js), what).toBeLessThanOrEqual(tol.kernel_raw_rel);
          }
        }
      }
    }
  });

  it('writes only its count·H·W·ci outputs', () => {
    const s = { h: 3, w: 4, c: 6, H: 5, W: 7, ci: 3 };
    const a = rand(s.h * s.w * s.c, 3);
    const x = rand(s.H * s.W * s.ci, 4, 0, 1);
    for (const rt of Object.values(rts)) {
      const n = 2 * s.H * s.W * s.ci;
      const { f: [out, xv, av, tmp] } = rt.arena.take([n + 16, s.H * s.W * s.ci, s.h * s.w * s.c, scorecamMasksTmp(s.h, s.H, s.W)]);
      out.fill(-7);
      xv.set(x);
      av.set(a);
      rt.kernels.scorecam_masks(out, xv, av, tmp, s.h, s.w, s.c, 2, 2, s.H, s.W, s.ci, 1, 1);
      expect(Array.from(out.subarray(n))).toEqual(new Array(16).fill(-7));
      expect(out.subarray(0, n).every((v) => v >= 0 && v <= 1)).toBe(true);
    }
  });
});
