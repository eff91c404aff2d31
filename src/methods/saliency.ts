// Vanilla saliency (Simonyan et al. 2014): |∂y/∂x| of the target score at the input, max over the
// input's channels (tf-keras-vis's Saliency with its default abs modifier and keepdims=False).
import type { MethodDescriptor } from './types.js';

export const Saliency: MethodDescriptor = {
  name: 'Saliency',
  aliases: ['VanillaSaliency', 'VanillaGradient'],
  kind: 'attribution',
  needs: [],
  summary: 'Absolute input gradient of the target, max over channels.',
  paper: 'Simonyan et al. 2014',
  explain: { via: 'input-attribution', sampling: 'none', samples: 1, reduce: 'abs-max' },
};
