// RefineCAM (pytorch-grad-cam's refine_cam.py): the base method's (Grad-CAM++) final map at each of
// several layers, multiplied, then (P − min P)/(max P + 1e-7) per image, with no ReLU or resize. The
// reference's per-layer "clip and divide by max" loop rebinds a loop variable only, so it does nothing.
import type { MethodDescriptor } from './types.js';
import { GradCAMPlusPlus } from './gradcampp.js';

export const RefineCAM: MethodDescriptor = {
  name: 'RefineCAM',
  aliases: [],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Product of the Grad-CAM++ maps of several layers, normalised.',
  paper: 'pytorch-grad-cam (Gildenblat et al. 2021)',
  explain: { via: 'refine', base: GradCAMPlusPlus },
};

/** RefineCAM's combination of final maps (each n·HW, same size): product, then min-max per image. */
export function refineMaps(maps: readonly Float32Array[], n: number): Float32Array {
  const out = Float32Array.from(maps[0]);
  for (let k = 1; k < maps.length; k++) for (let i = 0; i < out.length; i++) out[i] *= maps[k][i];
  const hw = out.length / n;
  for (let b = 0; b < n; b++) {
    const v = out.subarray(b * hw, (b + 1) * hw);
    let lo = Infinity;
    for (const x of v) lo = Math.min(lo, x);
    for (let i = 0; i < v.length; i++) v[i] -= lo;
    let hi = -Infinity;
    for (const x of v) hi = Math.max(hi, x);
    const s = Math.fround(1e-7 + hi);
    for (let i = 0; i < v.length; i++) v[i] /= s;
  }
  return out;
}
