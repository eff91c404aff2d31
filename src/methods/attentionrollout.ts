// Attention rollout (Abnar & Zuidema 2020): how much the CLS token attends to each patch through
// all blocks, from the attention probabilities alone (arithmetic and conventions in ./rollout.ts).
import type { MethodDescriptor } from './types.js';

export const AttentionRollout: MethodDescriptor = {
  name: 'AttentionRollout',
  aliases: ['Attention-Rollout', 'AttnRollout'],
  kind: 'activation',
  needs: [],
  summary: 'The attention of every block multiplied through (heads fused, identity added): where the CLS token reads from.',
  paper: 'Abnar & Zuidema 2020',
  explain: { via: 'rollout', weighting: 'attention', headFusion: 'mean', discardRatio: 0 },
  requires: ['attention'],
};
