// Grad-CAM (Selvaraju et al. 2017): w_c = mean over positions of dy/dA_c, map = Σ_c w_c·A_c.
import type { CamMethod } from './types.js';

export const GradCAM: CamMethod = {
  name: 'GradCAM',
  aliases: ['Grad-CAM'],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Channels weighted by their mean gradient.',
  paper: 'Selvaraju et al. 2017',
  explain: { via: 'layer', capture: 'gradients' },
  cam: {
    hasWeights: true,
    // mean(G) carries any NaN/±Inf of G into its weight; w·A carries it and any of A's (0·Inf = NaN) into the map.
    propagatesNonFinite: true,
    scratch: () => [],
    gradientWeights(rt, d, g, weights) {
      rt.kernels.pool_mean(weights, g, d.n, d.hw, d.c);
    },
    run(rt, d, b) {
      rt.kernels.channel_wsum(b.lowres, b.a, b.weights!, d.n, d.hw, d.c, 0);
    },
  },
};
