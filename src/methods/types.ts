// The method ABI. A method turns arena views of activations (and gradients, classifier weights or
// stored scores) into per-channel weights (when it has them) and the raw low-resolution map, before
// any ReLU. It only calls kernels and never allocates: computeCamSync plans every buffer, including
// the scratch each method declares, in one arena take.
import type { Runtime } from '../runtime/init.js';
import type { F32 } from '../kernels/types.js';

export interface MethodDims {
  /** Images in the batch. */
  n: number;
  h: number;
  w: number;
  /** Channels of the target layer. */
  c: number;
  /** h·w. */
  hw: number;
}

/** Arena views for one call; `a` and `g` are NHWC flattened to [n][hw][c]. */
export interface MethodBuffers {
  a: F32;
  g: F32 | null;
  /** [n][c] when the method has weights, else null. */
  weights: F32 | null;
  /** [n][hw], written by the method: the map before ReLU. */
  lowres: F32;
  /** The views asked for by `scratch`, in order. */
  scratch: F32[];
}

/** Method parameters already read and validated (plain arrays, never tensors). */
export interface MethodParams {
  /** CAM: the classifier kernel [c][numClasses]. */
  classifierWeights?: Float32Array;
  numClasses?: number;
  /** CAM: one class per image. */
  classIndex?: Int32Array;
  /** ScoreCAM: [n][c] target scores of the masked inputs; AblationCAM: [n][c] ablated scores. */
  scores?: Float32Array;
  /** AblationCAM: [n] target score of the unablated input (signed). */
  originalScore?: Float32Array;
  /** ScoreCAM: 'softmax' over channels of raw scores (pytorch-grad-cam), or 'probability' used as is (paper). */
  scoreWeights: 'softmax' | 'probability';
  /** Eigen methods: power iteration limits. */
  eigenMaxIter: number;
  eigenTol: number;
}

export type MethodName =
  | 'GradCAM'
  | 'HiResCAM'
  | 'GradCAMElementWise'
  | 'GradCAMPlusPlus'
  | 'XGradCAM'
  | 'LayerCAM'
  | 'EigenCAM'
  | 'EigenGradCAM'
  | 'ScoreCAM'
  | 'AblationCAM'
  | 'CAM';

export interface CamMethod {
  readonly name: MethodName;
  /** Whether the method reads gradients (they are then required). */
  readonly needsGradients: boolean;
  /** Whether the method produces per-channel weights. */
  readonly hasWeights: boolean;
  /** What else the method needs, for error messages. */
  readonly needs: readonly ('classifierWeights' | 'classIndex' | 'scores' | 'originalScore')[];
  /**
   * True when every NaN/±Inf in the activations or gradients provably reaches the low-resolution
   * map (a product or sum it enters cannot turn finite again, no ReLU or select inside the method),
   * so the facade scans only that small map and looks for the culprit in A and G only when it is not finite.
   */
  readonly propagatesNonFinite?: boolean;
  /**
   * For methods that read the gradients only to make their weights (Grad-CAM): the facade copies G
   * into the activations' buffer, calls this, then copies A over it and calls `run` with g = null.
   * One input-sized buffer instead of two, and the second copy lands on lines the first brought in.
   */
  gradientWeights?(rt: Runtime, d: MethodDims, g: F32, weights: F32): void;
  /** Float counts of the scratch buffers the method needs. */
  scratch(d: MethodDims): number[];
  /** Fills `b.lowres` (and `b.weights`); returns extra facts (eigen iterations per image). */
  run(rt: Runtime, d: MethodDims, b: MethodBuffers, p: MethodParams): MethodExtra | void;
}

export interface MethodExtra {
  /** Eigen methods: power iterations used per image. */
  iterations?: number[];
}
