// Integrated Gradients (Sundararajan et al. 2017) with captum's defaults: zero baseline, 50
// Gauss–Legendre nodes on [0, 1]; attribution = (x − x₀) ⊙ Σ_k w_k ∇F(x₀ + α_k(x − x₀)), the map
// its sum over channels. Completeness: Σ attribution ≈ F(x) − F(x₀) (the error is reported).
import type { MethodDescriptor } from './types.js';

export const IntegratedGradients: MethodDescriptor = {
  name: 'IntegratedGradients',
  aliases: ['Integrated-Gradients', 'IntegratedGradient'],
  kind: 'attribution',
  needs: [],
  summary: 'Input gradients integrated from a baseline to the input, times input − baseline.',
  paper: 'Sundararajan et al. 2017',
  explain: { via: 'input-attribution', sampling: 'path', samples: 50, reduce: 'sum' },
};
