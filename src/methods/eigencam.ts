// Eigen-CAM (Muhammad & Yeasin 2020): the projection of the channel-centred [hw × c] activations on
// their first principal component; EigenGradCAM uses G ⊙ A. TF.js has no SVD, so the kernel runs a
// power iteration to a tolerance (σ1/σ2 can be close to 1). The sign of a principal component is
// arbitrary; the kernel's documented sign rule fixes it, and the reference library's sign is not
// reproducible (golden README §7), so comparisons align signs first.
import type { CamMethod, MethodDims, MethodBuffers, MethodParams } from './types.js';
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

export const eigencam: CamMethod = {
  name: 'EigenCAM',
  needsGradients: false,
  hasWeights: false,
  needs: [],
  scratch: (d) => [d.hw * d.c, d.c],
  run: (rt, d, b, p) => runEigen(rt, d, b, p, false),
};

export const eigengradcam: CamMethod = {
  name: 'EigenGradCAM',
  needsGradients: true,
  hasWeights: false,
  needs: [],
  scratch: (d) => [d.hw * d.c, d.c],
  run: (rt, d, b, p) => runEigen(rt, d, b, p, true),
};
