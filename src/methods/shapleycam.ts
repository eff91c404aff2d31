// Shapley-CAM (Cai et al. 2024; pytorch-grad-cam's shapley_cam.py): w_c = mean over positions of
// G − ½·hvp, hvp = H·A (the target's Hessian at the layer times the activations), map = Σ_c w_c·A_c.
// computeCam takes hvp as an input (absent: zero, as the reference when autograd gives none); explain()
// computes it by the first-order recipe of src/capture/shapley.ts. Its target is usually ReST.
import type { CamMethod } from './types.js';

export const ShapleyCAM: CamMethod = {
  name: 'ShapleyCAM',
  aliases: ['Shapley-CAM'],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Channels weighted by the mean of gradient − ½·Hessian·activation.',
  paper: 'Cai et al. 2024',
  explain: { via: 'second-order' },
  cam: {
    hasWeights: true,
    propagatesNonFinite: true,
    scratch: () => [],
    run(rt, d, b, p) {
      const g = b.g!, h = p.hvp;
      if (h) for (let i = 0; i < g.length; i++) g[i] -= 0.5 * h[i];
      rt.kernels.pool_mean(b.weights!, g, d.n, d.hw, d.c);
      rt.kernels.channel_wsum(b.lowres, b.a, b.weights!, d.n, d.hw, d.c, 0);
    },
  },
};
