// The method ABI. A method is one descriptor (its file in src/methods/, listed in ./registry.ts):
// what it is called, what it needs, how explain() obtains those inputs from a model (`explain`), and,
// when its inputs can be given as arrays, how computeCam turns them into a map (`cam`). The `cam` part
// turns arena views of activations (and gradients, classifier weights or stored scores) into
// per-channel weights (when it has them) and the raw low-resolution map, before any ReLU. It only
// calls kernels and never allocates: computeCamSync plans every buffer, including the scratch each
// method declares, in one arena take.
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
  /** RandomCAM: the seed of its weights. */
  seed?: number;
  /** ShapleyCAM: H·A, the target's Hessian at the layer times the activations (null: zero). */
  hvp?: Float32Array | null;
}

/** A method's canonical name (pytorch-grad-cam's class name where it has one). */
export type MethodName = string;

/**
 * gradient: a map from a layer's activations and the target's gradients there;
 * activation: from the activations alone (the target only picks what explain reports);
 * perturbation: from the model's scores on perturbed inputs or activations;
 * attribution: a map over the input pixels (input gradients or input occlusion).
 */
export type MethodKind = 'gradient' | 'activation' | 'perturbation' | 'attribution';

/** The arrays a method reads (computeCam checks that each is given). */
export type MethodNeed = 'activations' | 'gradients' | 'classifierWeights' | 'classIndex' | 'scores' | 'originalScore';

/**
 * How explain() computes a method from a model. `via` names the capture strategy (src/capture); the
 * other fields are that strategy's parameters, so methods of one family differ only in data here.
 */
export type ExplainPlan =
  /** Capture activations (and gradients) at the layer, then this method's `cam` in computeCamSync. */
  | { readonly via: 'layer'; readonly capture: 'gradients' | 'activations' }
  /** `base` at the layer, fused with guided backprop at the input (map × input gradient). */
  | { readonly via: 'guided-fusion'; readonly base: CamMethod }
  /** The input gradient of the target, with guided ReLU gradients when `guided`. */
  | { readonly via: 'input-gradient'; readonly guided: boolean }
  /**
   * Score-CAM family: the target score of the input masked by each upsampled, normalised activation
   * channel, turned into weights and a map by `weights` (default: this method) in computeCamSync. `samples` noisy masks (noise N(0, noiseStd)),
   * or `samples` integration steps when `integrate`; `maxChannels`: only the channels of largest
   * spatial standard deviation.
   */
  | {
      readonly via: 'masks';
      readonly weights?: CamMethod;
      readonly upsampling: 'align-corners' | 'half-pixel';
      readonly samples?: number;
      readonly noiseStd?: number;
      readonly integrate?: boolean;
      readonly maxChannels?: number;
    }
  /** The target score with each channel of the layer ablated, weighted by `weights` (default: this method). */
  | { readonly via: 'ablation'; readonly weights?: CamMethod }
  /** Grad-CAM++ weights from the gradients of `samples` noisy inputs (N(0, noiseStd)), applied by `weights`. */
  | { readonly via: 'noisy-gradients'; readonly weights: CamMethod; readonly samples: number; readonly noiseStd: number }
  /**
   * Attention rollout over every block's attention probabilities [N, heads, T, T] (token models; the
   * map is the first token's row over the patch tokens). 'attention' (Abnar & Zuidema): heads fused by
   * `headFusion`, the lowest `discardRatio` of entries zeroed (leading-token columns kept), (A + I)/2
   * row-normalised, multiplied through the blocks. 'gradient' (Chefer et al.): R += mean_h((∇A ⊙ A)⁺)·R.
   */
  | { readonly via: 'rollout'; readonly weighting: 'attention' | 'gradient'; readonly headFusion: HeadFusion; readonly discardRatio: number }
  /**
   * Shapley-CAM: capture as 'layer' with gradients, plus hvp = H·A, the target's Hessian at the layer
   * times the activations, by the first-order recipe (exact when the output is piecewise linear in the layer).
   */
  | { readonly via: 'second-order' }
  /** Finer-CAM: `base` with the comparison target (finerTarget) of the explained class. */
  | { readonly via: 'finer'; readonly base: CamMethod }
  /** RefineCAM: `base`'s final map at every layer, multiplied, then min-max normalised (no resize). */
  | { readonly via: 'refine'; readonly base: CamMethod }
  /** FullGrad: |∂T/∂x ⊙ x| plus |b ⊙ ∂T/∂z| of every biased conv / BatchNorm layer (pre-activation z). */
  | { readonly via: 'bias-gradients' }
  /**
   * A map over the input pixels from input gradients of the target score: at the input itself
   * (`sampling: 'none'`), over `samples` noisy copies (N(0, σ), σ = noiseLevel·(max − min) of the
   * image), or along the straight path from a constant baseline to the input at `samples`
   * Gauss–Legendre nodes ('path', times input − baseline). 'abs-max': |g| (or its smoothing) max
   * over channels; 'sum': the per-channel attributions summed over channels.
   */
  | { readonly via: 'input-attribution'; readonly sampling: 'none' | 'noise' | 'path'; readonly samples: number; readonly noiseLevel?: number; readonly reduce: 'abs-max' | 'sum' }
  /**
   * Gradient-free, forward passes only: the target score's drop with a `window`² patch of the input
   * set to a baseline, slid by `stride` ('sliding'), or the score-weighted mean of `samples` random
   * smooth masks made from a `cells`² grid of cells kept with probability `keep` ('random').
   */
  | { readonly via: 'input-masks'; readonly masks: 'sliding'; readonly window: number; readonly stride: number }
  | { readonly via: 'input-masks'; readonly masks: 'random'; readonly samples: number; readonly cells: number; readonly keep: number }
  /** explain() cannot compute it; `reason` says what to do instead. */
  | { readonly via: 'none'; readonly reason: string };

/** How attention rollout merges the heads of one block. */
export type HeadFusion = 'mean' | 'max' | 'min';

/** The array-level part of a method: what computeCam runs. */
export interface CamKernels {
  /** Whether the method produces per-channel weights. */
  readonly hasWeights: boolean;
  /** Whether `run` calls extension kernels (extensionKernels(rt)): computeCam and explain() load them first. */
  readonly extension?: boolean;
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

export interface MethodDescriptor {
  /** Canonical name: pytorch-grad-cam's class name where the method is there. */
  readonly name: MethodName;
  /** Other accepted names; lookups ignore case, '-', '_', spaces, and read '++' as 'plusplus'. */
  readonly aliases: readonly string[];
  readonly kind: MethodKind;
  /** The arrays it reads: computeCam requires each of them, explain() captures them. */
  readonly needs: readonly MethodNeed[];
  /** One line: what the map is. */
  readonly summary: string;
  /** The paper (authors year). */
  readonly paper: string;
  /** How explain() computes it. */
  readonly explain: ExplainPlan;
  /** The array-level computation; absent when only explain() can compute the method. */
  readonly cam?: CamKernels;
  /** The map's sign is arbitrary (a principal component): comparisons align signs first. */
  readonly signArbitrary?: boolean;
  /** 'map' (default): one heatmap per image; 'image': an attribution image with the input's channels (guided backprop). */
  readonly output?: 'map' | 'image';
  /** What the model must offer beyond a differentiable image input (checked before running). */
  readonly requires?: readonly ModelRequirement[];
}

/**
 * attention: the model exposes attention probabilities (token models);
 * classifier: a dense classifier after global average pooling whose kernel can be read.
 */
export type ModelRequirement = 'attention' | 'classifier';

/** What a model offers, as far as method requirements go (capture fills it in). */
export type ModelCapabilities = Partial<Record<ModelRequirement, boolean>>;

/** A method that computeCam can run from arrays. */
export type CamMethod = MethodDescriptor & { readonly cam: CamKernels };

export interface MethodExtra {
  /** Eigen methods: power iterations used per image. */
  iterations?: number[];
}
