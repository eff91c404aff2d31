// FEM (Fuad et al. 2020): w_c = share of positions where A_c > mean + 2·std (population std over the
// map), map = Σ_c w_c·A_c. Class-agnostic (pytorch-grad-cam's fem.py).
import type { CamMethod } from './types.js';
import { extensionKernels } from '../runtime/extension.js';

export const FEM: CamMethod = {
  name: 'FEM',
  aliases: [],
  kind: 'activation',
  needs: ['activations'],
  summary: 'Channels weighted by their share of positions above mean + 2·std.',
  paper: 'Fuad et al. 2020',
  explain: { via: 'layer', capture: 'activations' },
  cam: {
    hasWeights: true,
    extension: true,
    scratch: (d) => [d.n * d.c],
    run(rt, d, b) {
      extensionKernels(rt).fem_weights(b.weights!, b.scratch[0], b.a, d.n, d.hw, d.c, 2);
      rt.kernels.channel_wsum(b.lowres, b.a, b.weights!, d.n, d.hw, d.c, 0);
    },
  },
};
