// Layer-CAM (Jiang et al. 2021): map = Σ_c relu(G_c) ⊙ A_c.
import type { CamMethod } from './types.js';

export const LayerCAM: CamMethod = {
  name: 'LayerCAM',
  aliases: ['Layer-CAM'],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Positive gradients times activations, summed over channels; suited to early layers.',
  paper: 'Jiang et al. 2021',
  explain: { via: 'layer', capture: 'gradients' },
  cam: {
    hasWeights: false,
    scratch: () => [],
    run(rt, d, b) {
      rt.kernels.channel_reduce(b.lowres, b.g!, b.a, d.n, d.hw, d.c, 2);
    },
  },
};
