// FullGrad (Srinivas & Fleuret 2019; pytorch-grad-cam's fullgrad_cam.py): |∂T/∂x ⊙ x| plus the
// bias-gradient maps |b ⊙ ∂T/∂z| of every biased conv / BatchNorm layer, each channel normalised,
// resized, summed, normalised once. explain() only (src/capture/fullgrad.ts): target layers are ignored.
import type { MethodDescriptor } from './types.js';

export const FullGrad: MethodDescriptor = {
  name: 'FullGrad',
  aliases: ['Full-Grad'],
  kind: 'attribution',
  needs: [],
  summary: 'Input gradient × input plus the bias gradients of every conv/BatchNorm layer.',
  paper: 'Srinivas & Fleuret 2019',
  explain: { via: 'bias-gradients' },
};
