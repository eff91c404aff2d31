// Layer-CAM (Jiang et al. 2021): map = Σ_c relu(G_c) ⊙ A_c.
import type { CamMethod } from './types.js';

export const layercam: CamMethod = {
  name: 'LayerCAM',
  needsGradients: true,
  hasWeights: false,
  needs: [],
  scratch: () => [],
  run(rt, d, b) {
    rt.kernels.channel_reduce(b.lowres, b.g!, b.a, d.n, d.hw, d.c, 2);
  },
};
