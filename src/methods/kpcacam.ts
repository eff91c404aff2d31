// KPCA-CAM (Karmani et al. 2024): the first kernel principal component of the positions' channel
// vectors with sklearn's sigmoid kernel (gamma 1/C, coef0 1), scaled by √λ; the entry of largest
// magnitude is positive (sklearn's svd_flip), so the sign is deterministic. Class-agnostic.
import type { CamMethod } from './types.js';
import { extensionKernels } from '../runtime/extension.js';
import { kpcaSigmoidTmp } from '../kernels/kpca_sigmoid.js';

export const KPCA_CAM: CamMethod = {
  name: 'KPCA_CAM',
  aliases: ['KPCACAM', 'KPCA-CAM'],
  kind: 'activation',
  needs: ['activations'],
  summary: 'First kernel principal component (sigmoid kernel) of the activations.',
  paper: 'Karmani et al. 2024',
  explain: { via: 'layer', capture: 'activations' },
  cam: {
    hasWeights: false,
    extension: true,
    scratch: (d) => [kpcaSigmoidTmp(d.hw, d.c)],
    run(rt, d, b) {
      const k = extensionKernels(rt), img = d.hw * d.c, iterations: number[] = [];
      for (let i = 0; i < d.n; i++) {
        const out = b.lowres.subarray(i * d.hw, (i + 1) * d.hw);
        iterations.push(k.kpca_sigmoid(out, b.a.subarray(i * img, (i + 1) * img), b.scratch[0], d.hw, d.c, 5000, 1e-9));
      }
      return { iterations };
    },
  },
};
