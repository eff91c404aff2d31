// Gradient-weighted attention rollout (Chefer, Gur & Wolf 2021, "Generic attention-model
// explainability"): each block's attention weighted by the target's gradient there, positive part
// averaged over heads, accumulated as R += Ā·R (arithmetic in ./rollout.ts). Class-discriminative.
import type { MethodDescriptor } from './types.js';

export const GradientWeightedRollout: MethodDescriptor = {
  name: 'GradientWeightedRollout',
  aliases: ['GradientRollout', 'GenericAttention', 'Chefer2021'],
  kind: 'gradient',
  needs: [],
  summary: 'Attention weighted by the gradient of the target, positive part averaged over heads, accumulated over the blocks.',
  paper: 'Chefer et al. 2021',
  explain: { via: 'rollout', weighting: 'gradient', headFusion: 'mean', discardRatio: 0 },
  requires: ['attention'],
};
