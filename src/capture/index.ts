/**
 * camkit/capture: tfjs model plumbing. Explain any tfjs image model (LayersModel, GraphModel or a
 * function) on any backend, without leaking tensors. Imports tfjs-core (a peer); never Node-only APIs.
 * @module camkit/capture
 */
export { explain } from './explain.js';
export type { ExplainOptions, ExplainResult, ExplainMethod, ExplainProgress } from './explain.js';
export { createAdapter, isAdapter, modelKind, INPUT_LAYER } from './adapter.js';
export type { ModelAdapter, AdapterOptions, CaptureResult, ScoreFn, Hook, ModelFunction, ExplainableModel, FixedInputs } from './adapter.js';
export { tokenLayout, tokensToMap, mapToTokens, withTokens, TokenAdapter, MAX_INFERRED_PREFIX } from './tokens.js';
export type { TokenOptions, TokenLayout, TokenAware } from './tokens.js';
export { findAttention, hasAttention } from './rollout.js';
export type { RolloutOptions } from './rollout.js';
export type { HeadFusion } from '../methods/types.js';
export { makeScore, checkTarget, resolveTargets, targetForRows, onProbabilities } from './targets.js';
export {
  classTarget, softmaxTarget, restTarget, rawScoresTarget, binaryTarget, finerTarget,
  segmentationTarget, segmentationMask, heatmapTarget, boxTarget, boxIou, similarityTarget,
} from './target-library.js';
export { parseTargetSpec, TARGET_SPEC_KINDS, TARGET_SPEC_HELP } from './target-spec.js';
export type { TargetFn, TargetInfo, ClassArg, FinerOptions, MaskArg, GridPoint, Box, HeatmapOptions, Detections, BoxTargetOptions } from './target-library.js';
export type { Target, ScoreOptions } from './targets.js';
export { guidedBackprop, guidedBackpropTensors, withGuidedRelu, guidedDepth } from './guided.js';
export type { GuidedOptions } from './guided.js';
export { withCaptureShims, withBatchNormShim, cleanupTape, preflightTape, shimDepth } from './shims.js';
export type { ShimOptions } from './shims.js';
export { scoreCam, fasterScoreCam, ssCam, isCam, ablationCam, smoothGradCampp, augSmooth, AUG_SMOOTH, maskPlan, ablationPlan, noisyGradientPlan } from './perturbation.js';
export type { PerturbationModel, PerturbationOptions, PerturbationResult, Progress } from './perturbation.js';
export { deepFeatureFactorization, factorizeSync } from './dff.js';
export type { DffOptions, DffResult, FactorizeOptions, Factorization } from './dff.js';
export { gaussLegendre, RiseMasks } from './attribution.js';
export type { AttributionOptions } from './attribution.js';
export { NOISE_VARIANTS } from '../methods/noise-variants.js';
export type { NoiseVariant } from '../methods/noise-variants.js';
