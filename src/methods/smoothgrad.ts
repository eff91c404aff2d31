// SmoothGrad (Smilkov et al. 2017) with tf-keras-vis's noise convention: σ = noiseLevel·(max − min)
// of each image; the mean over samples of |∂y/∂x| at noisy copies, max over channels. Variants as
// captum's NoiseTunnel nt_type: mean of squares, or variance (VarGrad, Adebayo et al. 2018).
import type { MethodDescriptor } from './types.js';

/** How the samples' |gradients| are combined: captum's nt_type names (mean, mean of squares, variance). */
export const NOISE_VARIANTS = ['smoothgrad', 'smoothgrad_sq', 'vargrad'] as const;
export type NoiseVariant = (typeof NOISE_VARIANTS)[number];

export const SmoothGrad: MethodDescriptor = {
  name: 'SmoothGrad',
  aliases: ['Smooth-Grad', 'SmoothGradient'],
  kind: 'attribution',
  needs: [],
  summary: 'Mean |input gradient| over noisy copies of the input, max over channels.',
  paper: 'Smilkov et al. 2017',
  explain: { via: 'input-attribution', sampling: 'noise', samples: 20, noiseLevel: 0.2, reduce: 'abs-max' },
};
