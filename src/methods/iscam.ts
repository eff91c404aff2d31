// IS-CAM (Naidu et al. 2020), as torchcam: the mean target score over masks scaled along an
// integration path (the coefficient accumulates (s+1)/N per step), half-pixel mask upsampling.
import type { MethodDescriptor } from './types.js';
import { ScoreCAM } from './scorecam.js';

export const ISCAM: MethodDescriptor = {
  name: 'ISCAM',
  aliases: ['IS-CAM', 'IntegratedScoreCAM'],
  kind: 'perturbation',
  needs: ['activations', 'scores'],
  summary: 'Score-CAM with the scores integrated over 10 mask scales.',
  paper: 'Naidu et al. 2020',
  explain: { via: 'masks', weights: ScoreCAM, upsampling: 'half-pixel', samples: 10, integrate: true },
};
