// SS-CAM (Wang et al. 2020, "SS-CAM: Smoothed Score-CAM"), as torchcam: the mean target score over
// noisy masks (N(0, 2) added to each normalised mask), half-pixel mask upsampling.
import type { MethodDescriptor } from './types.js';
import { ScoreCAM } from './scorecam.js';

export const SSCAM: MethodDescriptor = {
  name: 'SSCAM',
  aliases: ['SS-CAM', 'SmoothedScoreCAM'],
  kind: 'perturbation',
  needs: ['activations', 'scores'],
  summary: 'Score-CAM with the scores averaged over 35 noisy copies of each mask.',
  paper: 'Wang et al. 2020 (SS-CAM)',
  explain: { via: 'masks', weights: ScoreCAM, upsampling: 'half-pixel', samples: 35, noiseStd: 2 },
};
