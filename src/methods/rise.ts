// RISE (Petsiuk et al. 2018): Σ_i F(x ⊙ M_i)·M_i / (N·p) over N random masks, each a cells×cells
// grid of cells kept with probability p, upsampled bilinearly and shifted by a random sub-cell offset.
import type { MethodDescriptor } from './types.js';

export const RISE: MethodDescriptor = {
  name: 'RISE',
  aliases: ['RandomizedInputSampling'],
  kind: 'attribution',
  needs: [],
  summary: 'Score-weighted mean of random smooth masks of the input.',
  paper: 'Petsiuk et al. 2018',
  explain: { via: 'input-masks', masks: 'random', samples: 1000, cells: 7, keep: 0.5 },
};
