// Options shared by `camkit explain` and `camkit eval`: method names, backend, model loading.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { CamkitError, NameError } from '../errors.js';
import type { Parsed } from './args.js';
import { str } from './args.js';
import { defaultModelDir, loadModelFromDisk, type LoadedModel } from './io.js';

/** The golden schema's methods (what `--method all` runs), then the other perturbation variants. */
export const ALL_METHODS = ['GradCAM', 'HiResCAM', 'GradCAMElementWise', 'GradCAMPlusPlus', 'XGradCAM', 'LayerCAM', 'ScoreCAM', 'EigenCAM', 'EigenGradCAM', 'AblationCAM'] as const;
export const EXTRA_METHODS = ['FasterScoreCAM', 'SSCAM', 'ISCAM', 'SmoothGradCAMpp'] as const;
const KNOWN = [...ALL_METHODS, ...EXTRA_METHODS] as string[];
const key = (s: string) => s.toLowerCase().replace(/\+\+/g, 'plusplus').replace(/[\s_-]/g, '');

/** `--method` value → canonical names (comma-separated list or 'all'); NameError with a suggestion. */
export function parseMethods(v: string | undefined, dflt: readonly string[]): string[] {
  if (v === undefined) return [...dflt];
  if (v.toLowerCase() === 'all') return [...ALL_METHODS];
  return v.split(',').map((s) => {
    const hit = KNOWN.find((k) => key(k) === key(s.trim()));
    if (!hit) throw new NameError('method', s.trim(), KNOWN);
    return hit;
  });
}

export async function setBackend(name: string | undefined): Promise<string> {
  const b = name ?? 'wasm';
  if (b !== 'wasm' && b !== 'cpu') throw new NameError('backend', b, ['wasm', 'cpu']);
  // PROD silences tfjs's "install tfjs-node" banner, which would otherwise mix into --json runs' stderr
  tf.env().set('PROD', true);
  if (!(await tf.setBackend(b))) throw new CamkitError('E_INIT', `The ${b} backend failed to initialise.`);
  await tf.ready();
  return b;
}

export async function loadModelArg(p: Parsed): Promise<{ loaded: LoadedModel; name: string }> {
  const path = str(p, 'model');
  const loaded = await loadModelFromDisk(path ?? defaultModelDir());
  return { loaded, name: path ?? 'camkit default (models/default)' };
}

/** Throttled progress lines on stderr for long methods (Score-CAM, Ablation-CAM…): at most one a second. */
export function progress(label: string): (p: { done: number; total: number }) => void {
  let last = performance.now();
  return ({ done, total }) => {
    const now = performance.now();
    if (now - last < 1000 || done >= total) return;
    last = now;
    process.stderr.write(`${label}: ${done}/${total}\n`);
  };
}
