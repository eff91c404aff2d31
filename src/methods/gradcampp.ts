// Grad-CAM++ (Chattopadhay et al. 2018), in pytorch-grad-cam's closed form with exp(score) dropped:
// α = G²/(2G² + ΣA·G³ + 1e-6), α = 0 where G = 0, w_c = Σ relu(G)·α, map = Σ_c w_c·A_c.
import type { CamMethod } from './types.js';

export const GradCAMPlusPlus: CamMethod = {
  name: 'GradCAMPlusPlus',
  aliases: ['Grad-CAM++'],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Channels weighted by positive gradients with second- and third-order coefficients.',
  paper: 'Chattopadhay et al. 2018',
  explain: { via: 'layer', capture: 'gradients' },
  cam: {
    hasWeights: true,
    scratch: (d) => [d.c],
    run(rt, d, b) {
      rt.kernels.gradcampp_weights(b.weights!, b.g!, b.a, b.scratch[0], d.n, d.hw, d.c);
      rt.kernels.channel_wsum(b.lowres, b.a, b.weights!, d.n, d.hw, d.c, 0);
    },
  },
};
