// The method registry: the one list of methods. explain(), computeCam, the conformance runner, the
// CLI (`--method`, `--method all`, --help), the widget and the tests all derive from METHODS.
// Adding a method: its file in src/methods/, one line here, its tests (CONTRIBUTING.md).
// Lookups are case-insensitive and ignore '-', '_' and spaces; '++' reads as 'plusplus'.
import { NameError } from '../errors.js';
import type { CamMethod, MethodDescriptor, MethodKind, ModelCapabilities, ModelRequirement } from './types.js';
import { GradCAM } from './gradcam.js';
import { HiResCAM } from './hirescam.js';
import { GradCAMElementWise } from './elementwise.js';
import { GradCAMPlusPlus } from './gradcampp.js';
import { XGradCAM } from './xgradcam.js';
import { LayerCAM } from './layercam.js';
import { EigenCAM, EigenGradCAM } from './eigencam.js';
import { CAM } from './cam.js';
import { ScoreCAM } from './scorecam.js';
import { FasterScoreCAM } from './fasterscorecam.js';
import { SSCAM } from './sscam.js';
import { ISCAM } from './iscam.js';
import { AblationCAM } from './ablationcam.js';
import { SmoothGradCAMpp } from './smoothgradcampp.js';
import { GuidedBackprop } from './guidedbackprop.js';
import { GuidedGradCAM } from './guidedgradcam.js';
import { AttentionRollout } from './attentionrollout.js';
import { GradientWeightedRollout } from './gradientrollout.js';
import { FEM } from './fem.js';
import { KPCA_CAM } from './kpcacam.js';
import { SegEigenCAM } from './segeigencam.js';
import { RandomCAM } from './randomcam.js';
import { ShapleyCAM } from './shapleycam.js';
import { FinerCAM } from './finercam.js';
import { RefineCAM } from './refinecam.js';
import { FullGrad } from './fullgrad.js';
import { Saliency } from './saliency.js';
import { SmoothGrad } from './smoothgrad.js';
import { IntegratedGradients } from './integratedgradients.js';
import { Occlusion } from './occlusion.js';
import { RISE } from './rise.js';

/** Every method, in the order lists and tables show them. */
export const METHODS: readonly MethodDescriptor[] = [
  GradCAM,
  HiResCAM,
  GradCAMElementWise,
  GradCAMPlusPlus,
  XGradCAM,
  LayerCAM,
  EigenCAM,
  EigenGradCAM,
  CAM,
  ScoreCAM,
  FasterScoreCAM,
  SSCAM,
  ISCAM,
  AblationCAM,
  SmoothGradCAMpp,
  GuidedBackprop,
  GuidedGradCAM,
  AttentionRollout,
  GradientWeightedRollout,
  FEM,
  KPCA_CAM,
  SegEigenCAM,
  RandomCAM,
  ShapleyCAM,
  FinerCAM,
  RefineCAM,
  FullGrad,
  Saliency,
  SmoothGrad,
  IntegratedGradients,
  Occlusion,
  RISE,
];

/** What explain(), the widget and the CLI use when no method is given. */
export const DEFAULT_METHOD: MethodDescriptor = GradCAM;

export const METHOD_NAMES: readonly string[] = METHODS.map((m) => m.name);

export const METHOD_KINDS: readonly MethodKind[] = ['gradient', 'activation', 'perturbation', 'attribution'];

/** The lookup key of a name: lower case, '++' as 'plusplus', no '-', '_' or spaces. */
export const methodKey = (s: string): string => s.toLowerCase().replace(/\+\+/g, 'plusplus').replace(/[\s_-]/g, '');

const byKey = new Map<string, MethodDescriptor>();
for (const m of METHODS) {
  for (const n of [m.name, ...m.aliases]) {
    const k = methodKey(n);
    const prev = byKey.get(k);
    // Two methods answering to one name would make lookups depend on list order.
    if (prev && prev !== m) throw new Error(`method registry: '${n}' names both ${prev.name} and ${m.name}`);
    byKey.set(k, m);
  }
}

/** The descriptor of a method name or alias, or null when unknown. */
export function findMethod(name: string): MethodDescriptor | null {
  return typeof name === 'string' ? (byKey.get(methodKey(name)) ?? null) : null;
}

/** The descriptor of a method name or alias; NameError (with suggestions) when unknown. */
export function methodDescriptor(name: string): MethodDescriptor {
  const m = findMethod(name);
  if (!m) throw new NameError('method', String(name), METHOD_NAMES);
  return m;
}

/** The canonical name of a method; NameError (with suggestions) when unknown. */
export function methodName(name: string): string {
  return methodDescriptor(name).name;
}

/** The canonical name, or null when unknown (no throw). */
export function findMethodName(name: string): string | null {
  return findMethod(name)?.name ?? null;
}

/** Whether computeCam can run the method from arrays. */
export function isCamMethod(m: MethodDescriptor | null | undefined): m is CamMethod {
  return !!m && m.cam !== undefined;
}

/** The methods computeCam runs from arrays. */
export const CAM_METHODS: readonly CamMethod[] = METHODS.filter(isCamMethod);

/** Name → method, for the methods computeCam runs. */
export const camMethods: Readonly<Record<string, CamMethod>> = Object.fromEntries(CAM_METHODS.map((m) => [m.name, m]));

/**
 * The computeCam method of that name (or the descriptor itself). NameError when the name is unknown
 * or names a method that only explain() can compute (its inputs are not arrays one can pass).
 */
export function getMethod(name: string | MethodDescriptor): CamMethod {
  const m = typeof name === 'string' ? methodDescriptor(name) : name;
  if (!isCamMethod(m)) {
    const valid = CAM_METHODS.map((c) => c.name);
    throw new NameError('computeCam method', m.name, valid, `${m.name} is not computed from arrays: run it with explain() from camkit/capture. computeCam methods: ${valid.join(', ')}.`);
  }
  return m;
}

const REQUIREMENT_TEXT: Readonly<Record<ModelRequirement, string>> = {
  attention: 'it needs a token model that exposes its attention probabilities',
  classifier: 'it needs a dense classifier after global average pooling',
};

/**
 * Why explain() cannot give this method as a heatmap for a model with these capabilities, or null
 * when it can. Lists such as the CLI's `--method all` skip the method and print the reason.
 */
export function unsupportedReason(m: MethodDescriptor, caps: ModelCapabilities = {}): string | null {
  if (m.explain.via === 'none') return m.explain.reason;
  if (m.output === 'image') return 'it gives an attribution image with the input\'s channels, not a heatmap';
  for (const r of m.requires ?? []) if (!caps[r]) return REQUIREMENT_TEXT[r];
  return null;
}
