// Shapley-CAM's second-order term hvp = H·A (H the Hessian of the target T in the layer's activations A)
// without nested tf.grad (in TF.js 4.22 it throws or gives wrong values, even at the logits). The
// first-order recipe of the golden README: with z the model output and J = ∂z/∂A,
//   H_A = Jᵀ·H_z·J + Σ_k (∂T/∂z_k)·∂²z_k/∂A²,
// and the second part is zero when z is piecewise linear in A (conv, dense, ReLU, max/avg pooling,
// add, BatchNorm in inference), so hvp = Jᵀ·H_z·(J·A) with (J·A)_k = ⟨∂z_k/∂A, A⟩ and
// Jᵀu = Σ_k u_k·∂z_k/∂A. One backward pass of a batch tiled K times gives every ∂z_k/∂A; H_z is
// analytic for the targets whose Hessian in z is known (below). A head with curvature after the layer
// (softmax or sigmoid inside the model, GELU, LayerNorm, attention) would drop the second part, so
// there, and for targets whose Hessian is not known, hvp comes from central differences of the
// gradient along A instead (finiteDifferenceHvp), which holds for any smooth head.
import * as tf from '@tensorflow/tfjs-core';
import { ModelError } from '../errors.js';
import type { HeadOp, ModelAdapter, ScoreFn } from './adapter.js';
import type { Target } from './targets.js';

/** How explain() computes ShapleyCAM's hvp: see docs/methods.md (ShapleyCAM). */
export type SecondOrderMode = 'auto' | 'first-order' | 'finite-difference';

// Layer classes (LayersModels) and graph ops (GraphModels) that are piecewise linear in their inputs:
// with only these between the layer and the output, ∂²z/∂A² = 0 almost everywhere.
const PIECEWISE_LINEAR = new Set([
  // tf.layers
  'InputLayer', 'Conv1D', 'Conv2D', 'Conv3D', 'DepthwiseConv2D', 'SeparableConv2D', 'Conv2DTranspose', 'Dense',
  'MaxPooling1D', 'MaxPooling2D', 'MaxPooling3D', 'AveragePooling1D', 'AveragePooling2D', 'AveragePooling3D',
  'GlobalAveragePooling1D', 'GlobalAveragePooling2D', 'GlobalMaxPooling1D', 'GlobalMaxPooling2D', 'Flatten', 'Reshape',
  'Permute', 'RepeatVector', 'Add', 'Subtract', 'Average', 'Maximum', 'Minimum', 'Concatenate', 'Dropout', 'SpatialDropout1D',
  'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'BatchNormalization', 'ZeroPadding2D', 'Cropping2D',
  'UpSampling2D', 'ReLU', 'LeakyReLU', 'PReLU', 'Activation',
  // tfjs-converter ops
  'Conv2D', 'DepthwiseConv2d', 'DepthwiseConv2dNative', 'Conv2DBackpropInput', '_FusedConv2D', 'FusedDepthwiseConv2dNative',
  'MatMul', 'BatchMatMul', 'BatchMatMulV2', '_FusedMatMul', 'BiasAdd', 'Add', 'AddV2', 'AddN', 'Sub', 'Mul', 'Neg',
  'MaxPool', 'AvgPool', 'Mean', 'Max', 'Min', 'Sum', 'Relu', 'Relu6', 'LeakyRelu', 'Prelu', 'Maximum', 'Minimum', 'Reshape',
  'Squeeze', 'ExpandDims', 'ConcatV2', 'Concat', 'Pad', 'PadV2', 'MirrorPad', 'Identity', 'IdentityN', 'Transpose', 'StridedSlice',
  'Slice', 'Pack', 'Unpack', 'Split', 'SplitV', 'Tile', 'GatherV2', 'Gather', 'FusedBatchNorm', 'FusedBatchNormV2',
  'FusedBatchNormV3', 'ResizeBilinear', 'ResizeNearestNeighbor', 'Cast', 'Shape', 'Const', 'Placeholder', 'Fill', 'ZerosLike',
]);
const PIECEWISE_LINEAR_ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'leakyrelu', 'prelu']);

/** Whether the head after the layer is known to be piecewise linear in its activations (null ops: unknown → false). */
export function piecewiseLinearHead(ops: readonly HeadOp[] | null): boolean {
  if (!ops) return false;
  return ops.every((o) => PIECEWISE_LINEAR.has(o.op) && !o.bilinear && (o.activation === undefined || PIECEWISE_LINEAR_ACTIVATIONS.has(o.activation)));
}

/**
 * hvp = H·A = d/dε ∇_A T(A(1 + ε)) at ε = 0, by central differences with one Richardson step:
 * D(h) = (g(h) − g(−h))/2h, hvp = (4·D(h/2) − D(h))/3, exact to O(h⁴) for a smooth head. Four
 * backward passes; g at A scaled by 1 ± h (ModelAdapter.capture's `edit`).
 */
export async function finiteDifferenceHvp(ad: ModelAdapter, x: tf.Tensor, layer: string, score: ScoreFn, h = FD_STEP): Promise<Float32Array> {
  const grad = async (e: number): Promise<Float32Array> => {
    const cap = ad.capture(x, layer, score, (a) => tf.mul(a, 1 + e));
    try {
      return Float32Array.from((await cap.gradients.data()) as Float32Array);
    } finally {
      tf.dispose([cap.activations, cap.gradients, cap.output]);
    }
  };
  const [p1, m1, p2, m2] = [await grad(h), await grad(-h), await grad(h / 2), await grad(-h / 2)];
  const out = new Float32Array(p1.length);
  for (let i = 0; i < out.length; i++) {
    const d1 = (p1[i] - m1[i]) / (2 * h);
    const d2 = (p2[i] - m2[i]) / h;
    out[i] = (4 * d2 - d1) / 3;
  }
  return out;
}

/** Relative step of finiteDifferenceHvp: float32 gradient noise ∝ 1/h against the O(h⁴) truncation (measured best near 2e-2 on golden v2). */
export const FD_STEP = 2e-2;

/** Rows of one backward pass: tiled copies of the input (K per image) are split into passes of this many. */
const ROWS_PER_PASS = 64;

/**
 * The target's Hessian in the output for each sample, [n][K][K] row-major (float64), or null when it
 * is zero (targets linear in the output: class logits, binary, raw scores). `classes`: each sample's
 * target classes (explain's resolved targets). ModelError E_TARGET for a target whose Hessian is not known.
 */
export function targetHessian(target: Target | undefined, probabilities: boolean, out: ArrayLike<number>, n: number, K: number, classes: number[][]): Float64Array | null {
  const name = typeof target === 'function' ? target.info?.name : 'class';
  let kind: 'zero' | 'softmax' | 'rest';
  if (name === 'class' || name === 'classTarget') kind = probabilities ? 'softmax' : 'zero';
  // Linear in the output (the masks of the dense targets are piecewise constant in it).
  else if (!probabilities && (name === 'binaryTarget' || name === 'rawScoresTarget' || name === 'segmentationTarget' || name === 'heatmapTarget')) kind = 'zero';
  else if (!probabilities && name === 'softmaxTarget') kind = 'softmax';
  else if (!probabilities && name === 'restTarget') kind = 'rest';
  else {
    throw new ModelError('E_TARGET', 'The first-order recipe needs the target\'s Hessian in the output: use a class index, classTarget, softmaxTarget, restTarget, binaryTarget, rawScoresTarget, segmentationTarget or heatmapTarget (scoreOn \'logits\'), or secondOrder \'auto\' / \'finite-difference\'.');
  }
  if (kind === 'zero') return null;
  if (out.length !== n * K) throw new ModelError('E_TARGET', `The second-order term needs an [N, classes] output; this one has ${out.length / n} values per sample.`);
  const H = new Float64Array(n * K * K);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, out[i * K + k]);
    const e = Array.from({ length: K }, (_, k) => Math.exp(out[i * K + k] - m));
    const s = e.reduce((a, v) => a + v, 0);
    const p = e.map((v) => v / s);
    const h = H.subarray(i * K * K, (i + 1) * K * K);
    for (const c of classes[i]) {
      for (let a = 0; a < K; a++) {
        for (let b = 0; b < K; b++) {
          const cov = (a === b ? p[a] : 0) - p[a] * p[b];
          // softmax: ∂²p_c/∂z_a∂z_b = p_c·[(δ_ac − p_a)(δ_bc − p_b) − (δ_ab·p_a − p_a·p_b)]; ReST: −(diag p − ppᵀ).
          h[a * K + b] += kind === 'rest' ? -cov : p[c] * (((a === c ? 1 : 0) - p[a]) * ((b === c ? 1 : 0) - p[b]) - cov);
        }
      }
    }
  }
  return H;
}

/**
 * hvp = Jᵀ·H_z·(J·A) at `layer` for the images x (A = the layer's activations, [n, …] NHWC flattened),
 * with H from targetHessian. K backward rows per image, in passes of ROWS_PER_PASS rows.
 */
export async function firstOrderHvp(ad: ModelAdapter, x: tf.Tensor, layer: string, A: Float32Array, H: Float64Array, K: number): Promise<Float32Array> {
  const n = x.shape[0];
  const size = A.length / n;
  const hvp = new Float32Array(A.length);
  const rows: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) rows.push([i, k]);
  // ∂z_k/∂A for every (image, k), then (J·A), u = H·(J·A), hvp = Σ_k u_k ∂z_k/∂A, per image.
  const grads = new Map<number, Float32Array>();
  for (let s = 0; s < rows.length; s += ROWS_PER_PASS) {
    const part = rows.slice(s, s + ROWS_PER_PASS);
    const idx = tf.tensor1d(part.map(([i]) => i), 'int32');
    const xt = tf.gather(x, idx);
    idx.dispose();
    const mask = tf.tensor2d(part.map(([, k]) => Array.from({ length: K }, (_, j) => (j === k ? 1 : 0))));
    let cap;
    try {
      cap = ad.capture(xt, layer, (o) => tf.sum(tf.mul(tf.reshape(o, [o.shape[0], -1]), mask)));
    } finally {
      tf.dispose([xt, mask]);
    }
    try {
      const g = (await cap.gradients.data()) as Float32Array;
      part.forEach(([i, k], r) => grads.set(i * K + k, Float32Array.from(g.subarray(r * size, (r + 1) * size))));
    } finally {
      tf.dispose([cap.activations, cap.gradients, cap.output]);
    }
  }
  for (let i = 0; i < n; i++) {
    const a = A.subarray(i * size, (i + 1) * size);
    const ja = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const g = grads.get(i * K + k)!;
      let d = 0;
      for (let j = 0; j < size; j++) d += g[j] * a[j];
      ja[k] = d;
    }
    const acc = new Float64Array(size);
    for (let k = 0; k < K; k++) {
      let u = 0;
      for (let l = 0; l < K; l++) u += H[i * K * K + k * K + l] * ja[l];
      if (u === 0) continue;
      const g = grads.get(i * K + k)!;
      for (let j = 0; j < size; j++) acc[j] += u * g[j];
    }
    hvp.set(acc, i * size);
  }
  return hvp;
}
