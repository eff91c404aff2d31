// XGrad-CAM (Fu et al. 2020): w_c = Σ G·A / (Σ A + 1e-7), map = Σ_c w_c·A_c.
import type { CamMethod } from './types.js';

export const XGradCAM: CamMethod = {
  name: 'XGradCAM',
  aliases: ['XGrad-CAM'],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Channels weighted by activation-normalised gradient sums (axiom-based).',
  paper: 'Fu et al. 2020',
  explain: { via: 'layer', capture: 'gradients' },
  cam: {
    hasWeights: true,
    scratch: (d) => [d.c],
    run(rt, d, b) {
      rt.kernels.xgrad_weights(b.weights!, b.g!, b.a, b.scratch[0], d.n, d.hw, d.c);
      rt.kernels.channel_wsum(b.lowres, b.a, b.weights!, d.n, d.hw, d.c, 0);
    },
  },
};
