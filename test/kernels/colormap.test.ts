import { describe, expect, it } from 'vitest';
import { allRuntimes, rand } from '../helpers/flavors.js';
import { lutIndex } from '../../src/kernels/colormap.js';
import { COLORMAPS, colormapLut } from '../../src/render/colormaps.js';

const f = Math.fround;

// cv::applyColorMap's table construction, re-derived here in float32: linspace keys, interp1 at
// linspace(0,1,256) sample points, convertTo(CV_8U, 255) with round-half-even.
function opencvTable(keysR: number[], keysG: number[], keysB: number[]): number[][] {
  const lin = (n: number) => { const s = f(1 / (n - 1)); return Array.from({ length: n }, (_, i) => f(f(i * s))); };
  const X = lin(keysR.length), XI = lin(256);
  const interp = (Y: number[]) => XI.map((xi) => {
    let lo = 0, hi = X.length - 1;
    while (hi - lo > 1) { const c = lo + ((hi - lo) >> 1); if (xi > X[c]) lo = c; else hi = c; }
    return f(f(Y[lo]) + f(f(f(xi - X[lo]) * f(f(Y[hi]) - f(Y[lo]))) / f(X[hi] - X[lo])));
  });
  const rne = (v: number) => (Math.abs(v % 1) === 0.5 ? 2 * Math.round(v / 2) : Math.round(v));
  const R = interp(keysR), G = interp(keysG), B = interp(keysB);
  return XI.map((_, i) => [R[i], G[i], B[i]].map((y) => Math.min(255, Math.max(0, rne(f(y * 255))))));
}

const lutRgb = (name: string) => { const l = colormapLut(name); return Array.from({ length: 256 }, (_, k) => [l[4 * k], l[4 * k + 1], l[4 * k + 2]]); };

describe('colormap LUTs', () => {
  it('jet equals OpenCV COLORMAP_JET (MATLAB jet keys through the OpenCV pipeline)', () => {
    const key = (c: number) => Array.from({ length: 256 }, (_, k) => Math.min(1, Math.max(0, 1.5 - Math.abs((4 * k) / 255 - c))));
    expect(lutRgb('jet')).toEqual(opencvTable(key(3), key(2), key(1)));
    // Anchors of cv2.applyColorMap(…, COLORMAP_JET) (BGR 128,0,0 at 0 and 0,0,128 at 255), here in RGB.
    expect(lutRgb('jet')[0]).toEqual([0, 0, 128]);
    expect(lutRgb('jet')[255]).toEqual([128, 0, 0]);
  });

  it('parula equals OpenCV COLORMAP_PARULA', () => {
    expect(lutRgb('parula')).toEqual(
      opencvTable(
        [0.2078, 0.0118, 0.0784, 0.0235, 0.2196, 0.5725, 0.851, 0.9882, 0.9765],
        [0.1647, 0.3882, 0.5216, 0.6549, 0.7255, 0.749, 0.7294, 0.8078, 0.9843],
        [0.5294, 0.8824, 0.8314, 0.7765, 0.6196, 0.451, 0.3373, 0.1804, 0.0549],
      ),
    );
  });

  it('matplotlib anchors, gray identity, turbo ends, gamma remap, unknown names', () => {
    // matplotlib _viridis_data[0] = (0.267004, 0.004874, 0.329415), [-1] = (0.993248, 0.906157, 0.143936).
    expect(lutRgb('viridis')[0]).toEqual([0.267004, 0.004874, 0.329415].map((v) => Math.round(v * 255)));
    expect(lutRgb('viridis')[255]).toEqual([0.993248, 0.906157, 0.143936].map((v) => Math.round(v * 255)));
    expect(lutRgb('inferno')[255]).toEqual([0.988362, 0.998364, 0.644924].map((v) => Math.round(v * 255)));
    expect(lutRgb('gray').every((c, k) => c[0] === k && c[1] === k && c[2] === k)).toBe(true);
    // turbo runs dark → blue → green → red: green dominates mid-range, red the top end.
    const tb = lutRgb('turbo');
    expect(tb[128][1]).toBe(Math.max(...tb[128]));
    expect(tb[255][0]).toBe(Math.max(...tb[255]));
    const g2 = colormapLut('gray', 2);
    expect([g2[0], g2[4 * 255], g2[4 * 128]]).toEqual([0, 255, Math.trunc(f((128 / 255) ** 2 * 255))]);
    expect(() => colormapLut('jett')).toThrow(/Did you mean 'jet'/);
    expect(() => colormapLut('jet', 0)).toThrow(/gamma/);
    expect(new Set(COLORMAPS.map((n) => colormapLut(n).join())).size).toBe(COLORMAPS.length);
  });
});

describe('colormap kernel', async () => {
  const rts = await allRuntimes();

  it('index: truncation like np.uint8(255·v), explicit clamping, NaN → 0', () => {
    const cases: [number, number][] = [[NaN, 0], [-1, 0], [-0, 0], [0, 0], [0.5, 127], [1 / 255, 1], [0.999, 254], [1, 255], [2, 255], [Infinity, 255], [-Infinity, 0]];
    for (const [v, k] of cases) expect(lutIndex(v)).toBe(k);
    for (const rt of Object.values(rts)) {
      const n = cases.length;
      const { f: [m], u: [out, lut] } = rt.arena.take([n], [n * 4, 1024]);
      m.set(cases.map((c) => c[0]));
      lut.set(colormapLut('gray'));
      rt.kernels.colormap(out, m, n, lut);
      expect(Array.from({ length: n }, (_, i) => out[4 * i]), rt.flavor).toEqual(cases.map((c) => c[1]));
      expect(out[3]).toBe(255);
    }
  });

  it('writes nothing past its n RGBA pixels', () => {
    for (const rt of Object.values(rts)) {
      const { f: [m], u: [out, lut] } = rt.arena.take([5], [5 * 4 + 4, 1024]);
      m.set([0, 0.25, 0.5, 0.75, 1]);
      lut.set(colormapLut('gray'));
      out.fill(7);
      rt.kernels.colormap(out, m, 5, lut);
      expect(Array.from(out.subarray(20)), rt.flavor).toEqual([7, 7, 7, 7]);
      expect(Array.from(out.subarray(16, 20)), rt.flavor).toEqual([255, 255, 255, 255]);
    }
  });

  it('SIMD = scalar = twin, every length 0–37, every colormap, wild values', () => {
    for (const name of COLORMAPS) {
      for (let n = 0; n <= 37; n++) {
        const m = rand(n, n + 3, -0.3, 1.3);
        if (n > 5) { m[1] = NaN; m[3] = Infinity; m[5] = -Infinity; }
        const res = Object.values(rts).map((rt) => {
          const { f: [mv], u: [out, lut] } = rt.arena.take([n], [n * 4, 1024]);
          mv.set(m);
          lut.set(colormapLut(name));
          rt.kernels.colormap(out, mv, n, lut);
          return Array.from(out);
        });
        expect(res[0]).toEqual(res[2]);
        expect(res[1]).toEqual(res[2]);
      }
    }
  });
});
