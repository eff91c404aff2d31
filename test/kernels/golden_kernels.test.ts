// The kernels fed the golden file's stored activations and gradients, in every flavor, against
// pytorch-grad-cam's own weights, low-resolution maps and final grayscale maps.
import { describe, expect, it } from 'vitest';
import { allRuntimes, absErr, relErr } from '../helpers/flavors.js';
import { loadGolden } from '../helpers/golden.js';
import tol from '../tolerances.json';
import type { Runtime } from '../../src/runtime/init.js';

const g = loadGolden();
const EIGEN = { maxIter: 1000, tol: 1e-6 };

/** relu → normalise → resize to H×W (half-pixel) → normalise: the library's post-processing. */
function grayscale(rt: Runtime, cam: ArrayLike<number>, h: number, w: number, H: number, W: number): Float32Array {
  const { f: [m, up, tmp] } = rt.arena.take([h * w, H * W, h * W]);
  m.set(cam);
  rt.kernels.relu(m, m, h * w);
  rt.kernels.minmax_normalize(m, 1, h * w, 1e-7);
  rt.kernels.resize_bilinear(up, m, tmp, 1, h, w, H, W, 0);
  rt.kernels.minmax_normalize(up, 1, H * W, 1e-7);
  return Float32Array.from(up);
}

describe('golden: kernels on the stored activations and gradients', async () => {
  const rts = await allRuntimes();
  for (const cs of g.cases) {
    it(cs.id, () => {
      const [, h, w, c] = cs.activations.shape;
      const hw = h * w;
      const [H, W] = cs.methods.GradCAM.grayscale_cam.shape!;
      for (const rt of Object.values(rts)) {
        const k = rt.kernels;
        const what = (m: string) => `${rt.flavor} ${m}`;
        const weights = (name: string, fill: (out: Float32Array, gv: Float32Array, av: Float32Array, tmp: Float32Array) => void) => {
          const { f: [out, gv, av, tmp, cam] } = rt.arena.take([c, hw * c, hw * c, c, hw]);
          gv.set(cs.gradients.values);
          av.set(cs.activations.values);
          fill(out, gv, av, tmp);
          const ref = cs.methods[name];
          expect(relErr(out, ref.weights!), what(`${name} weights`)).toBeLessThanOrEqual(tol.golden_weights_rel);
          k.channel_wsum(cam, av, out, 1, hw, c, 0);
          expect(relErr(cam, ref.cam_lowres.values), what(`${name} cam_lowres`)).toBeLessThanOrEqual(tol.golden_cam_lowres_rel);
          expect(absErr(grayscale(rt, Float32Array.from(cam), h, w, H, W), ref.grayscale_cam.values), what(`${name} grayscale`)).toBeLessThanOrEqual(tol.golden_grayscale_abs);
        };
        weights('GradCAM', (o, gv, _a, _t) => k.pool_mean(o, gv, 1, hw, c));
        weights('GradCAMPlusPlus', (o, gv, av, t) => k.gradcampp_weights(o, gv, av, t, 1, hw, c));
        weights('XGradCAM', (o, gv, av, t) => k.xgrad_weights(o, gv, av, t, 1, hw, c));

        for (const [mode, name] of [[0, 'HiResCAM'], [1, 'GradCAMElementWise'], [2, 'LayerCAM']] as const) {
          const { f: [cam, gv, av] } = rt.arena.take([hw, hw * c, hw * c]);
          gv.set(cs.gradients.values);
          av.set(cs.activations.values);
          k.channel_reduce(cam, gv, av, 1, hw, c, mode);
          const ref = cs.methods[name];
          expect(relErr(cam, ref.cam_lowres.values), what(`${name} cam_lowres`)).toBeLessThanOrEqual(tol.golden_cam_lowres_rel);
          expect(absErr(grayscale(rt, Float32Array.from(cam), h, w, H, W), ref.grayscale_cam.values), what(`${name} grayscale`)).toBeLessThanOrEqual(tol.golden_grayscale_abs);
        }

        for (const name of ['EigenCAM', 'EigenGradCAM'] as const) {
          const { f: [cam, av, gv, x, v] } = rt.arena.take([hw, hw * c, hw * c, hw * c, c]);
          av.set(cs.activations.values);
          gv.set(cs.gradients.values);
          const it = k.eigen_pc(cam, av, name === 'EigenGradCAM' ? gv : null, x, v, hw, c, EIGEN.maxIter, EIGEN.tol);
          expect(it, what(`${name} iterations`)).toBeLessThan(EIGEN.maxIter);
          const ref = cs.methods[name];
          // The library's sign is arbitrary: pick the reference by the sign of the dot product (golden README).
          let d = 0;
          for (let p = 0; p < hw; p++) d += cam[p] * ref.cam_lowres.values[p];
          const s = d < 0 ? -1 : 1;
          const mine = Float32Array.from(cam, (q) => s * q);
          expect(relErr(mine, ref.cam_lowres.values), what(`${name} cam_lowres`)).toBeLessThanOrEqual(tol.golden_eigen_cam_lowres_rel);
          const gray = s > 0 ? ref.grayscale_cam.values : ((ref.extra as { grayscale_cam_if_sign_flipped: number[] }).grayscale_cam_if_sign_flipped);
          expect(absErr(grayscale(rt, Float32Array.from(cam), h, w, H, W), gray), what(`${name} grayscale`)).toBeLessThanOrEqual(tol.golden_grayscale_abs);
        }
      }
    });
  }
});
