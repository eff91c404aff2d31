// Eigen-CAM (Muhammad & Yeasin 2020): the projection of the channel-centred [hw × c] activations on
// their first principal component; EigenGradCAM uses G ⊙ A. TF.js has no SVD, so the kernel runs a
// power iteration to a tolerance (σ1/σ2 can be close to 1). The sign of a principal component is
// arbitrary; the kernel's documented sign rule fixes it, and the reference library's sign is not
// reproducible (golden README §7), so comparisons align signs first.
import type { CamKernels, CamMethod, MethodBuffers, MethodDims, MethodParams } from './types.js';
import type { Runtime } from '../runtime/init.js';

function runEigen(rt: Runtime, d: MethodDims, b: MethodBuffers, p: MethodParams, useGrad: boolean) {
  const [x, v] = b.scratch;
  const iterations: number[] = [];
  const img = d.hw * d.c;
  for (let i = 0; i < d.n; i++) {
    // The kernel works on one image; subarrays keep their byte offsets into the arena.
    const a = b.a.subarray(i * img, (i + 1) * img);
    const g = useGrad ? b.g!.subarray(i * img, (i + 1) * img) : null;
    const out = b.lowres.subarray(i * d.hw, (i + 1) * d.hw);
    iterations.push(rt.kernels.eigen_pc(out, a, g, x, v, d.hw, d.c, p.eigenMaxIter, p.eigenTol) as number);
  }
  return { iterations };
}

const eigenKernels = (useGrad: boolean): CamKernels => ({
  hasWeights: false,
  scratch: (d) => [d.hw * d.c, d.c],
  run: (rt, d, b, p) => runEigen(rt, d, b, p, useGrad),
});

export const EigenCAM: CamMethod = {
  name: 'EigenCAM',
  aliases: ['Eigen-CAM'],
  kind: 'activation',
  needs: ['activations'],
  summary: 'First principal component of the activations (class-agnostic).',
  paper: 'Muhammad & Yeasin 2020',
  explain: { via: 'layer', capture: 'activations' },
  cam: eigenKernels(false),
  signArbitrary: true,
};

export const EigenGradCAM: CamMethod = {
  name: 'EigenGradCAM',
  aliases: [],
  kind: 'gradient',
  needs: ['activations', 'gradients'],
  summary: 'First principal component of gradient × activation (class-specific Eigen-CAM).',
  paper: 'pytorch-grad-cam (Gildenblat et al. 2021)',
  explain: { via: 'layer', capture: 'gradients' },
  cam: eigenKernels(true),
  signArbitrary: true,
};
