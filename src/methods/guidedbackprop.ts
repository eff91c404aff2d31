// Guided backprop (Springenberg et al. 2015): the input gradient with ReLU gradients that pass only
// where both the input and the incoming gradient are positive (camkit/capture swaps them in).
import type { MethodDescriptor } from './types.js';

export const GuidedBackprop: MethodDescriptor = {
  name: 'GuidedBackprop',
  aliases: ['Guided-Backprop', 'GuidedBackpropagation'],
  kind: 'attribution',
  needs: [],
  summary: 'Input gradient through guided ReLUs: fine-grained, not class-discriminative.',
  paper: 'Springenberg et al. 2015',
  explain: { via: 'input-gradient', guided: true },
  output: 'image',
};
