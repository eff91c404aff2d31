// Grad-CAM element-wise (pytorch-grad-cam's GradCAMElementWise): map = Σ_c relu(G_c ⊙ A_c).
import type { CamMethod } from './types.js';

export const elementwise: CamMethod = {
  name: 'GradCAMElementWise',
  needsGradients: true,
  hasWeights: false,
  needs: [],
  scratch: () => [],
  run(rt, d, b) {
    rt.kernels.channel_reduce(b.lowres, b.g!, b.a, d.n, d.hw, d.c, 1);
  },
};
