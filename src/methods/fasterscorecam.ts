// Faster Score-CAM (tf-keras-vis, max_N): Score-CAM on the channels of largest spatial standard deviation.
import type { MethodDescriptor } from './types.js';
import { ScoreCAM } from './scorecam.js';

export const FasterScoreCAM: MethodDescriptor = {
  name: 'FasterScoreCAM',
  aliases: ['Faster-Score-CAM'],
  kind: 'perturbation',
  needs: ['activations', 'scores'],
  summary: 'Score-CAM on the maxN (10) channels of largest spatial standard deviation.',
  paper: 'tf-keras-vis (Kubota 2020)',
  explain: { via: 'masks', weights: ScoreCAM, upsampling: 'align-corners', maxChannels: 10 },
};
