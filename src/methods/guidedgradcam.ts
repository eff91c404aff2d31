// Guided Grad-CAM (Selvaraju et al. 2017): the Grad-CAM map at input size times guided backprop.
// The fusion of stored arrays is guidedGradCam() in ./guided.ts.
import type { MethodDescriptor } from './types.js';
import { GradCAM } from './gradcam.js';

export const GuidedGradCAM: MethodDescriptor = {
  name: 'GuidedGradCAM',
  aliases: ['Guided-Grad-CAM'],
  kind: 'attribution',
  needs: ['activations', 'gradients'],
  summary: 'Grad-CAM at input size times guided backprop: class-discriminative and fine-grained.',
  paper: 'Selvaraju et al. 2017',
  explain: { via: 'guided-fusion', base: GradCAM },
  output: 'image',
};
