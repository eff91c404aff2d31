// SmoothGrad-CAM++ (Omeiza et al. 2019), as torchcam: Grad-CAM++ weights from the gradients of
// 4 noisy inputs (N(0, 0.3) added to the input); the weights are applied as given.
import type { MethodDescriptor } from './types.js';
import { ScoreCAM } from './scorecam.js';

export const SmoothGradCAMpp: MethodDescriptor = {
  name: 'SmoothGradCAMpp',
  aliases: ['SmoothGradCAMPlusPlus', 'SmoothGrad-CAM++'],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'Grad-CAM++ weights averaged over 4 noisy copies of the input.',
  paper: 'Omeiza et al. 2019',
  // The weights come from the noisy gradients; ScoreCAM's 'probability' path applies them unchanged.
  explain: { via: 'noisy-gradients', weights: ScoreCAM, samples: 4, noiseStd: 0.3 },
};
