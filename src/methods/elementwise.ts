// Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): map = Σ_c relu(G_c ⊙ A_c).
import type { CamMethod } from './types.js';

export const GradCAMElementWise: CamMethod = {
  name: 'GradCAMElementWise',
  aliases: [],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'ReLU of gradient times activation, summed over channels.',
  paper: 'pytorch-grad-cam (Gildenblat et al. 2021)',
  explain: { via: 'layer', capture: 'gradients' },
  cam: {
    hasWeights: false,
    scratch: () => [],
    run(rt, d, b) {
      rt.kernels.channel_reduce(b.lowres, b.g!, b.a, d.n, d.hw, d.c, 1);
    },
  },
};
