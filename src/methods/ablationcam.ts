// Ablation-CAM (Desai & Ramaswamy 2020). explain() runs the rest of the model once per ablated
// channel (camkit/capture); computeCam turns stored scores into weights: w_c = (y − y_c)/y, where y_c
// is the target score with channel c ablated. As in pytorch-grad-cam, y is the signed original
// score, so a negative target score flips every weight's sign.
import type { CamMethod } from './types.js';

export const AblationCAM: CamMethod = {
  name: 'AblationCAM',
  aliases: ['Ablation-CAM'],
  kind: 'perturbation',
  needs: ['activations', 'scores', 'originalScore'],
  summary: 'Channels weighted by the relative score drop when each is ablated.',
  paper: 'Desai & Ramaswamy 2020',
  explain: { via: 'ablation' },
  cam: {
    hasWeights: true,
    scratch: () => [],
    run(rt, d, b, p) {
      const s = p.scores!, w = b.weights!;
      for (let i = 0; i < d.n; i++) {
        // float32 arithmetic, as the library does it in numpy float32.
        const y = p.originalScore![i];
        for (let k = 0; k < d.c; k++) w[i * d.c + k] = Math.fround(Math.fround(y - s[i * d.c + k]) / y);
      }
      rt.kernels.channel_wsum(b.lowres, b.a, w, d.n, d.hw, d.c, 0);
    },
  },
};
