// Occlusion (Zeiler & Fergus 2014), as captum's Occlusion over all channels: each pixel gets the
// mean, over the windows covering it, of F(x) − F(x with the window set to the baseline 0).
import type { MethodDescriptor } from './types.js';

export const Occlusion: MethodDescriptor = {
  name: 'Occlusion',
  aliases: ['OcclusionSensitivity'],
  kind: 'attribution',
  needs: [],
  summary: 'Target score drop when a sliding patch of the input is set to 0.',
  paper: 'Zeiler & Fergus 2014',
  explain: { via: 'input-masks', masks: 'sliding', window: 16, stride: 8 },
};
