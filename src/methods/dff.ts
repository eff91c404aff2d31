// Deep Feature Factorization (Collins et al. 2018; pytorch-grad-cam's deep_feature_factorization.py):
// NMF of a layer's activations into concepts, one map per concept. Not one heatmap per image, so
// explain() does not run it: deepFeatureFactorization() in camkit/capture (src/capture/dff.ts) does.
import type { MethodDescriptor } from './types.js';

export const DeepFeatureFactorization: MethodDescriptor = {
  name: 'DeepFeatureFactorization',
  aliases: ['DFF'],
  kind: 'activation',
  needs: ['activations'],
  summary: 'NMF concepts of the activations, one map per concept.',
  paper: 'Collins et al. 2018',
  explain: { via: 'none', reason: 'it gives one map per concept: use deepFeatureFactorization() from camkit/capture' },
};
