// SegEigenCAM (pytorch-grad-cam's seg_eigen_cam.py): Eigen-CAM of |G| ⊙ A, negated when the
// projection's |min| exceeds its |max| (the reference's own sign correction: deterministic).
import type { CamMethod } from './types.js';

export const SegEigenCAM: CamMethod = {
  name: 'SegEigenCAM',
  aliases: [],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'First principal component of |gradient| × activation, sign-corrected.',
  paper: 'pytorch-grad-cam (Gildenblat et al. 2021)',
  explain: { via: 'layer', capture: 'gradients' },
  cam: {
    hasWeights: false,
    scratch: (d) => [d.hw * d.c, d.c],
    run(rt, d, b, p) {
      const [x, v] = b.scratch, img = d.hw * d.c, iterations: number[] = [];
      for (let i = 0; i < d.n; i++) {
        const out = b.lowres.subarray(i * d.hw, (i + 1) * d.hw);
        iterations.push(rt.kernels.eigen_pc(out, b.a.subarray(i * img, (i + 1) * img), b.g!.subarray(i * img, (i + 1) * img), x, v, d.hw, d.c, p.eigenMaxIter, p.eigenTol, 1) as number);
      }
      return { iterations };
    },
  },
};
