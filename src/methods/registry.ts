// The method registry. Names are the golden schema's (pytorch-grad-cam's class names); every lookup
// is case-insensitive and ignores '-', '_' and spaces, so 'grad-cam++' and 'gradcamplusplus' work.
import { InputError, NameError } from '../errors.js';
import type { CamMethod, MethodName } from './types.js';
import { gradcam } from './gradcam.js';
import { gradcampp } from './gradcampp.js';
import { xgradcam } from './xgradcam.js';
import { hirescam } from './hirescam.js';
import { elementwise } from './elementwise.js';
import { layercam } from './layercam.js';
import { eigencam, eigengradcam } from './eigencam.js';
import { cam } from './cam.js';
import { scorecam } from './scorecam.js';
import { ablationcam } from './ablationcam.js';

/** Methods that turn arrays into maps (computeCam). */
export const camMethods: Readonly<Record<MethodName, CamMethod>> = {
  GradCAM: gradcam,
  HiResCAM: hirescam,
  GradCAMElementWise: elementwise,
  GradCAMPlusPlus: gradcampp,
  XGradCAM: xgradcam,
  LayerCAM: layercam,
  EigenCAM: eigencam,
  EigenGradCAM: eigengradcam,
  ScoreCAM: scorecam,
  AblationCAM: ablationcam,
  CAM: cam,
};

/** Methods computed from a model's input gradients (camkit/capture) and fused with guidedGradCam(). */
export type GuidedMethodName = 'GuidedBackprop' | 'GuidedGradCAM';
export type AnyMethodName = MethodName | GuidedMethodName;

export const METHOD_NAMES: readonly AnyMethodName[] = [...(Object.keys(camMethods) as MethodName[]), 'GuidedBackprop', 'GuidedGradCAM'];

const key = (s: string) => s.toLowerCase().replace(/\+\+/g, 'plusplus').replace(/[\s_-]/g, '');
const byKey = new Map(METHOD_NAMES.map((n) => [key(n), n]));

/** The canonical name of a method; NameError (with suggestions) when unknown. */
export function methodName(name: string): AnyMethodName {
  const hit = typeof name === 'string' ? byKey.get(key(name)) : undefined;
  if (!hit) throw new NameError('method', String(name), METHOD_NAMES);
  return hit;
}

/** The canonical name, or null when unknown (no throw). */
export function findMethodName(name: string): AnyMethodName | null {
  return byKey.get(key(name)) ?? null;
}

/** Whether a (canonical) name is a map method of computeCam. */
export function isCamMethod(name: AnyMethodName): name is MethodName {
  return Object.prototype.hasOwnProperty.call(camMethods, name);
}

/** The map method of that name (case-insensitive); NameError when unknown, E_UNKNOWN_NAME for the guided ones. */
export function getMethod(name: string): CamMethod {
  const n = methodName(name);
  if (!isCamMethod(n)) {
    throw new InputError('E_UNKNOWN_NAME', `${n} is not computed from layer activations: take guided backprop from camkit/capture and fuse it with guidedGradCam().`);
  }
  return camMethods[n];
}
