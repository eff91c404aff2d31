// SmoothGrad (Smilkov et al. 2017) with tf-keras-vis's noise convention: σ = noiseLevel·(max − min)
// of each image; the mean over samples of |∂y/∂x| at noisy copies, max over channels. Variants as
// captum's NoiseTunnel nt_type: mean of squares, or variance (VarGrad, Adebayo et al. 2018).
import type { MethodDescriptor } from './types.js';

export const SmoothGrad: MethodDescriptor = {
  name: 'SmoothGrad',
  aliases: [],
  kind: 'attribution',
  needs: [],
  summary: 'Saliency averaged over noisy inputs.',
  paper: 'Smilkov et al. 2017',
  explain: { via: 'input-attribution', sampling: 'noise', samples: 20, noiseLevel: 0.2, reduce: 'abs-max' },
};
