// End-to-end conformance: each case's model is rebuilt in TF.js from the file's topology and weights
// and run on the requested backend; what comes out (logits, activations, gradients, Score-CAM and
// Ablation-CAM scores, guided backprop, every map) is compared with the reference. Loaded by the
// runner only when --backend is given, so the stored-data checks never pull in TF.js.
import * as tf from '@tensorflow/tfjs';
import type { Runtime } from '../runtime/init.js';
import { computeCamSync, type CamResult } from '../compute.js';
import { findMethodName, isCamMethod, type AnyMethodName } from '../methods/registry.js';
import { deprocessImage, guidedGradCamSync } from '../methods/guided.js';
import { createAdapter } from '../capture/adapter.js';
import { ablationCam, scoreCam } from '../capture/perturbation.js';
import { guidedBackprop } from '../capture/guided.js';
import { f32, inputSize, type GoldenArray, type GoldenCase, type GoldenFile } from './golden.js';
import { absErr, relErr, type CheckLine } from './runner.js';
import { CONFORMANCE_TOLERANCES } from './tolerances.js';

/** The golden README's end-to-end tolerances (test/tolerances.json e2e_* hold the same numbers). */
export const E2E_TOLERANCES = {
  logits: 1e-4, // abs
  activations: 1e-5, // rel
  gradients: 1e-5, // rel
  scores: 1e-5, // rel
  guided_backprop: 1e-5, // rel
  guided_gradcam: CONFORMANCE_TOLERANCES.guided_gradcam,
  guided_gradcam_deprocessed_uint8: CONFORMANCE_TOLERANCES.guided_gradcam_deprocessed_uint8,
  grayscale_cam: 1e-4, // abs
} as const;

export interface E2EOptions {
  backend: string;
  methods?: readonly AnyMethodName[];
  runtime: Runtime;
}

interface StoredModel {
  tfjs_model_topology: object;
  weights: { name: string; shape: number[]; values: number[] }[];
}

// Rebuilt models, per file, model name and backend (weights live on one backend).
const models = new WeakMap<object, Map<string, Promise<tf.LayersModel>>>();

/** A file's model rebuilt with tf.loadLayersModel from its topology and weights (cached per file, name, backend). */
export function loadModel(file: Pick<GoldenFile, 'models'>, name: string, backend: string): Promise<tf.LayersModel> {
  let perFile = models.get(file);
  if (!perFile) models.set(file, (perFile = new Map()));
  const key = `${name}|${backend}`;
  let p = perFile.get(key);
  if (!p) {
    const m = (file.models as Record<string, StoredModel> | undefined)?.[name];
    if (!m || !m.tfjs_model_topology || !Array.isArray(m.weights)) return Promise.reject(new Error(`model '${name}' has no tfjs_model_topology/weights`));
    const weightSpecs = m.weights.map((w) => ({ name: w.name, shape: w.shape, dtype: 'float32' as const }));
    const buf = new Float32Array(m.weights.reduce((n, w) => n + w.values.length, 0));
    let o = 0;
    for (const w of m.weights) {
      buf.set(w.values, o);
      o += w.values.length;
    }
    p = tf.loadLayersModel(tf.io.fromMemory({ modelTopology: m.tfjs_model_topology, weightSpecs, weightData: buf.buffer }));
    p.catch(() => perFile!.delete(key));
    perFile.set(key, p);
  }
  return p;
}

async function useBackend(backend: string): Promise<void> {
  if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() !== backend) {
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' could not be initialised`);
  }
  await tf.ready();
}

const GRADIENT_METHODS = new Set<AnyMethodName>(['GradCAM', 'HiResCAM', 'GradCAMElementWise', 'GradCAMPlusPlus', 'XGradCAM', 'LayerCAM', 'EigenCAM', 'EigenGradCAM']);

/** Every end-to-end check of one case, in a fixed order. */
export async function* e2eChecks(file: GoldenFile, c: GoldenCase, opts: E2EOptions): AsyncGenerator<CheckLine> {
  const check = (method: string, quantity: string, err: number, tol: number): CheckLine => ({ status: err <= tol ? 'PASS' : 'FAIL', caseId: c.id, method, quantity, err, tol });
  const skip = (method: string, quantity: string, reason: string): CheckLine => ({ status: 'SKIP', caseId: c.id, method, quantity, reason });
  const fail = (method: string, quantity: string, tol: number, e: unknown): CheckLine => ({ ...check(method, quantity, Infinity, tol), reason: String((e as Error)?.message ?? e) });

  const modelName = String(c.model ?? '');
  const image = (file.images as Record<string, { pixels?: GoldenArray }> | undefined)?.[String(c.image ?? '')]?.pixels;
  const layer = String(c.target_layer ?? '');
  const cls = c.target_class;
  if (!image || !image.shape || !layer || typeof cls !== 'number') {
    yield skip('-', '*', 'the case names no stored image, target layer or target class');
    return;
  }
  let model: tf.LayersModel;
  try {
    await useBackend(opts.backend);
    model = await loadModel(file, modelName, opts.backend);
  } catch (e) {
    yield fail('-', 'logits', E2E_TOLERANCES.logits, e);
    return;
  }
  const wanted = (name: AnyMethodName) => !opts.methods || opts.methods.includes(name);
  const adapter = createAdapter(model);
  const x = tf.tensor4d(image.values, image.shape as [number, number, number, number]);
  const size = inputSize(file, c);
  try {
    // Model-level quantities.
    const logits = tf.tidy(() => adapter.predict(x));
    const lv = await logits.data();
    logits.dispose();
    const refLogits = c.logits as number[] | undefined;
    if (Array.isArray(refLogits)) yield check('-', 'logits', absErr(lv, refLogits), E2E_TOLERANCES.logits);
    const score = (out: tf.Tensor): tf.Scalar => tf.sum(tf.mul(out, tf.oneHot(tf.fill([out.shape[0]!], cls, 'int32'), out.shape[1]!)));
    let A: Float32Array | null = null, G: Float32Array | null = null;
    try {
      const r = adapter.capture(x, layer, score);
      A = Float32Array.from((await r.activations.data()) as Float32Array);
      G = Float32Array.from((await r.gradients.data()) as Float32Array);
      tf.dispose([r.activations, r.gradients, r.output]);
    } catch (e) {
      yield fail('-', 'activations', E2E_TOLERANCES.activations, e);
    }
    if (A && G) {
      yield check('-', 'activations', relErr(A, f32(c.activations)!), E2E_TOLERANCES.activations);
      if (c.gradients) yield check('-', 'gradients', relErr(G, f32(c.gradients)!), E2E_TOLERANCES.gradients);
    }
    const shape = c.activations.shape;
    let gradcamMap: Float32Array | null = null;

    for (const [key, ref] of Object.entries(c.methods)) {
      const name = findMethodName(key);
      if (!name || !ref || !ref.grayscale_cam) continue;
      const gref = f32(ref.grayscale_cam)!;
      const extra = (ref.extra && !Array.isArray(ref.extra) ? ref.extra : {}) as Record<string, unknown>;
      if (GRADIENT_METHODS.has(name)) {
        if (!A || !G || !isCamMethod(name)) continue;
        let r: CamResult;
        try {
          r = computeCamSync(opts.runtime, name, { activations: { data: A, shape }, gradients: { data: G, shape }, inputSize: size });
        } catch (e) {
          if (wanted(name)) yield fail(key, 'grayscale_cam', E2E_TOLERANCES.grayscale_cam, e);
          continue;
        }
        if (name === 'GradCAM') gradcamMap = r.map;
        if (!wanted(name)) continue;
        let target: Float32Array | null = gref;
        if (name === 'EigenCAM' || name === 'EigenGradCAM') {
          // The principal component's sign is arbitrary: compare with the reference of the same sign.
          const low = ref.cam_lowres ? f32(ref.cam_lowres)! : null;
          let dot = 0;
          if (low) for (let i = 0; i < low.length; i++) dot += low[i] * r.lowres[i];
          if (dot < 0) target = Array.isArray(extra.grayscale_cam_if_sign_flipped) ? f32(extra.grayscale_cam_if_sign_flipped as number[]) : null;
        }
        if (target) yield check(key, 'grayscale_cam', absErr(r.map, target), E2E_TOLERANCES.grayscale_cam);
        else yield skip(key, 'grayscale_cam', 'opposite sign and no extra.grayscale_cam_if_sign_flipped');
      } else if (name === 'ScoreCAM' && wanted(name)) {
        try {
          const bs = typeof extra.batch_size === 'number' ? extra.batch_size : undefined;
          const r = await scoreCam(adapter, x, layer, { classIndex: cls, batchSize: bs, runtime: opts.runtime });
          if (Array.isArray(extra.scores)) yield check(key, 'scores', relErr(r.scores, extra.scores as number[]), E2E_TOLERANCES.scores);
          yield check(key, 'grayscale_cam', absErr(r.map, gref), E2E_TOLERANCES.grayscale_cam);
        } catch (e) {
          yield fail(key, 'scores', E2E_TOLERANCES.scores, e);
        }
      } else if (name === 'AblationCAM' && wanted(name)) {
        const mode = extra.ablation_mode;
        if (mode !== undefined && mode !== 'zero') {
          const reason = `ablation_mode ${String(mode)}: the reference lowers the replacement by another 1e7 per batch row (a batch-size-dependent quirk camkit does not copy)`;
          yield skip(key, 'scores', reason);
          yield skip(key, 'grayscale_cam', reason);
          continue;
        }
        try {
          const bs = typeof extra.batch_size === 'number' ? extra.batch_size : undefined;
          const r = await ablationCam(adapter, x, layer, { classIndex: cls, batchSize: bs, runtime: opts.runtime });
          if (Array.isArray(extra.ablated_scores)) yield check(key, 'scores', relErr(r.scores, extra.ablated_scores as number[]), E2E_TOLERANCES.scores);
          yield check(key, 'grayscale_cam', absErr(r.map, gref), E2E_TOLERANCES.grayscale_cam);
        } catch (e) {
          yield fail(key, 'scores', E2E_TOLERANCES.scores, e);
        }
      }
    }

    // Guided backprop (input gradient through guided ReLUs) and Guided Grad-CAM.
    if (c.guided_backprop && (wanted('GuidedBackprop') || wanted('GuidedGradCAM'))) {
      let gb: Float32Array | null = null;
      try {
        gb = (await guidedBackprop(adapter, x, { target: cls })).data;
      } catch (e) {
        yield fail('GuidedBackprop', 'guided_backprop', E2E_TOLERANCES.guided_backprop, e);
      }
      if (gb) {
        if (wanted('GuidedBackprop')) yield check('GuidedBackprop', 'guided_backprop', relErr(gb, f32(c.guided_backprop)!), E2E_TOLERANCES.guided_backprop);
        if (wanted('GuidedGradCAM') && gradcamMap && c.guided_gradcam) {
          const gbShape = c.guided_backprop.shape ?? [image.shape[1], image.shape[2], image.shape[3]];
          const fused = guidedGradCamSync(opts.runtime, { data: gb, shape: gbShape }, gradcamMap);
          yield check('GuidedGradCAM', 'guided_gradcam', relErr(fused, f32(c.guided_gradcam)!), E2E_TOLERANCES.guided_gradcam);
          if (c.guided_gradcam_deprocessed_uint8) {
            yield check('GuidedGradCAM', 'guided_gradcam_deprocessed_uint8', absErr(deprocessImage(fused), f32(c.guided_gradcam_deprocessed_uint8)!), E2E_TOLERANCES.guided_gradcam_deprocessed_uint8);
          }
        }
      }
    }
  } finally {
    x.dispose();
  }
}
