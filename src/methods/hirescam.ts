// HiResCAM (Draelos & Carin 2020): map = Σ_c G_c ⊙ A_c, no pooling, so the gradient's shape is kept.
import type { CamMethod } from './types.js';

export const HiResCAM: CamMethod = {
  name: 'HiResCAM',
  aliases: [],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Gradient times activation, summed over channels (no pooling).',
  paper: 'Draelos & Carin 2020',
  explain: { via: 'layer', capture: 'gradients' },
  cam: {
    hasWeights: false,
    // Every G·A product enters the sum: a NaN/±Inf in either input makes its map value NaN/±Inf (0·Inf = NaN).
    propagatesNonFinite: true,
    scratch: () => [],
    run(rt, d, b) {
      rt.kernels.channel_reduce(b.lowres, b.g!, b.a, d.n, d.hw, d.c, 0);
    },
  },
};
