// CAM (Zhou et al. 2016): for a GAP → dense head, the weights are the dense kernel's column of the
// target class, w_c = W[c][k], and map = Σ_c w_c·A_c. No gradients are needed.
import type { CamMethod } from './types.js';

export const CAM: CamMethod = {
  name: 'CAM',
  aliases: ['ClassActivationMapping'],
  kind: 'activation',
  needs: ['activations', 'classifierWeights', 'classIndex'],
  summary: 'Channels weighted by the classifier column of the class (GAP → dense heads).',
  paper: 'Zhou et al. 2016',
  explain: { via: 'none', reason: 'it needs the dense classifier kernel: call computeCam with classifierWeights' },
  cam: {
    hasWeights: true,
    // w·A carries any NaN/±Inf of A into the map (0·Inf = NaN); the classifier weights are checked apart.
    propagatesNonFinite: true,
    scratch: () => [],
    run(rt, d, b, p) {
      const W = p.classifierWeights!, k = p.numClasses!, w = b.weights!;
      // A column gather of c values per image: too small to be a kernel.
      for (let i = 0; i < d.n; i++) {
        const cls = p.classIndex![i];
        for (let ch = 0; ch < d.c; ch++) w[i * d.c + ch] = W[ch * k + cls];
      }
      rt.kernels.channel_wsum(b.lowres, b.a, w, d.n, d.hw, d.c, 0);
    },
  },
};
