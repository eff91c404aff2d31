// Score-CAM (Wang et al. 2020) from stored scores: the model runs (one per masked input) happen in
// camkit/capture; here the scores become weights. 'softmax' is pytorch-grad-cam's convention
// (softmax over channels of the raw target scores; torchcam's baseline subtraction cancels in it),
// 'probability' is the paper's (the class probability of each masked input, used as is).
import type { CamMethod } from './types.js';

export const scorecam: CamMethod = {
  name: 'ScoreCAM',
  needsGradients: false,
  hasWeights: true,
  needs: ['scores'],
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
};
