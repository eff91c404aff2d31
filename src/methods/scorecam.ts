// Score-CAM (Wang et al. 2020). explain() runs the model once per masked input (camkit/capture);
// computeCam turns stored scores into weights. 'softmax' is pytorch-grad-cam's convention (softmax
// over channels of the raw target scores; torchcam's baseline subtraction cancels in it),
// 'probability' is the paper's (the class probability of each masked input, used as is).
import type { CamMethod } from './types.js';

export const ScoreCAM: CamMethod = {
  name: 'ScoreCAM',
  aliases: ['Score-CAM'],
  kind: 'perturbation',
  needs: ['activations', 'scores'],
  summary: 'Channels weighted by the target score of the input masked with each channel.',
  paper: 'Wang et al. 2020',
  explain: { via: 'masks', upsampling: 'align-corners' },
  cam: {
    hasWeights: true,
    scratch: () => [],
    run(rt, d, b, p) {
      const s = p.scores!, w = b.weights!;
      for (let i = 0; i < d.n; i++) {
        const o = i * d.c;
        if (p.scoreWeights === 'probability') {
          for (let k = 0; k < d.c; k++) w[o + k] = s[o + k];
          continue;
        }
        // Max-shifted, accumulated in float64: raw logits overflow exp() in float32 above ~88.
        let m = -Infinity;
        for (let k = 0; k < d.c; k++) m = Math.max(m, s[o + k]);
        let z = 0;
        for (let k = 0; k < d.c; k++) z += Math.exp(s[o + k] - m);
        for (let k = 0; k < d.c; k++) w[o + k] = Math.exp(s[o + k] - m) / z;
      }
      rt.kernels.channel_wsum(b.lowres, b.a, w, d.n, d.hw, d.c, 0);
    },
  },
};
