// RandomCAM (pytorch-grad-cam's random_cam.py): weights drawn uniformly from [−1, 1), map = Σ_c w_c·A_c.
// A baseline for the metrics. Seeded (CamOptions.seed, default 0): the same weights on every platform.
import type { CamMethod } from './types.js';
import { rng } from '../core/random.js';

export const RandomCAM: CamMethod = {
  name: 'RandomCAM',
  aliases: [],
  kind: 'activation',
  needs: ['activations'],
  summary: 'Channels weighted by uniform random numbers in [−1, 1) (a baseline).',
  paper: 'pytorch-grad-cam (Gildenblat et al. 2021)',
  explain: { via: 'layer', capture: 'activations' },
  cam: {
    hasWeights: true,
    scratch: () => [],
    run(rt, d, b, p) {
      const r = rng(p.seed ?? 0), w = b.weights!;
      for (let i = 0; i < d.n * d.c; i++) w[i] = 2 * r() - 1;
      rt.kernels.channel_wsum(b.lowres, b.a, w, d.n, d.hw, d.c, 0);
    },
  },
};
