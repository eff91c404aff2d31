// End-to-end conformance: each case's model is rebuilt in TF.js from the file's topology and weights
// and run on the requested backend; what comes out (logits, activations, gradients, Score-CAM and
// Ablation-CAM scores, guided backprop, every map) is compared with the reference. Loaded by the
// runner only when --backend is given, so the stored-data checks never pull in TF.js.
import * as tf from '@tensorflow/tfjs';
import type { Runtime } from '../runtime/init.js';
import { computeCamSync, type CamResult } from '../compute.js';
import { findMethod, isCamMethod, METHODS } from '../methods/registry.js';
import type { CamMethod, MethodDescriptor } from '../methods/types.js';
import { deprocessImage, guidedGradCamSync } from '../methods/guided.js';
import { createAdapter } from '../capture/adapter.js';
import { ablationPlan, maskPlan } from '../capture/perturbation.js';
import { guidedBackprop } from '../capture/guided.js';
import { explain } from '../capture/explain.js';
import { caseSubject, f32, inputSize, type GoldenCase, type GoldenFile } from './golden.js';
import type { CheckLine, ModelFormat } from './runner.js';
import { graphify } from './graphify.js';
import { absErr, relErr } from '../core/compare.js';
import { CONFORMANCE_TOLERANCES } from './tolerances.js';
import { vitChecks } from './vit.js';
import { segmentationE2EChecks, targetE2EChecks } from './targets-e2e.js';

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
  /** 'graph': each model rewritten as tensorflowjs_converter's GraphModel (./graphify.ts); default 'layers'. */
  modelFormat?: ModelFormat;
  /** Only these methods (default: every method in the case). */
  methods?: readonly MethodDescriptor[];
  runtime: Runtime;
}

interface StoredModel {
  tfjs_model_topology: object;
  weights: { name: string; shape: number[]; values: number[] }[];
}

// Rebuilt models, per file, model name, backend and format (weights live on one backend).
const models = new WeakMap<object, Map<string, Promise<tf.LayersModel | tf.GraphModel>>>();

/** A file's model rebuilt with tf.loadLayersModel from its topology and weights (cached per file, name, backend). */
export function loadModel(file: Pick<GoldenFile, 'models'>, name: string, backend: string): Promise<tf.LayersModel>;
/** The same model as the GraphModel tensorflowjs_converter would make of it (cached too). */
export function loadModel(file: Pick<GoldenFile, 'models'>, name: string, backend: string, format: ModelFormat): Promise<tf.LayersModel | tf.GraphModel>;
export function loadModel(file: Pick<GoldenFile, 'models'>, name: string, backend: string, format: ModelFormat = 'layers'): Promise<tf.LayersModel | tf.GraphModel> {
  let perFile = models.get(file);
  if (!perFile) models.set(file, (perFile = new Map()));
  const key = `${name}|${backend}|${format}`;
  let p = perFile.get(key);
  if (!p) {
    if (format === 'graph') p = (loadModel(file, name, backend) as Promise<tf.LayersModel>).then((m) => graphify(m));
    else {
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
    }
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


/** Every end-to-end check of one case, in a fixed order. */
export async function* e2eChecks(file: GoldenFile, c: GoldenCase, opts: E2EOptions): AsyncGenerator<CheckLine> {
  const check = (method: string, quantity: string, err: number, tol: number): CheckLine => ({ status: err <= tol ? 'PASS' : 'FAIL', caseId: c.id, method, quantity, err, tol });
  const skip = (method: string, quantity: string, reason: string): CheckLine => ({ status: 'SKIP', caseId: c.id, method, quantity, reason });
  const fail = (method: string, quantity: string, tol: number, e: unknown): CheckLine => ({ ...check(method, quantity, Infinity, tol), reason: String((e as Error)?.message ?? e) });

  if (c.architecture === 'vit') {
    // No TF.js topology: ./vit.ts rebuilds the model from the documented forward pass.
    try {
      await useBackend(opts.backend);
    } catch (e) {
      yield fail('-', 'logits', E2E_TOLERANCES.logits, e);
      return;
    }
    yield* vitChecks(file, c, opts);
    return;
  }
  // Segmentation cases and stored targets: ./targets-e2e.ts.
  if (c.task === 'segmentation') {
    yield* segmentationE2EChecks(file, c, opts, (f, name, be) => useBackend(be).then(() => loadModel(f, name, be, opts.modelFormat ?? 'layers')));
    return;
  }
  const modelName = String(c.model ?? '');
  const subject = caseSubject(file, c);
  if (!subject) {
    yield skip('-', '*', 'the case names no stored image, target layer or target class');
    return;
  }
  const { image, layer, cls } = subject;
  let model: tf.LayersModel | tf.GraphModel;
  try {
    await useBackend(opts.backend);
    model = await loadModel(file, modelName, opts.backend, opts.modelFormat ?? 'layers');
  } catch (e) {
    yield fail('-', 'logits', E2E_TOLERANCES.logits, e);
    return;
  }
  const wanted = (m: MethodDescriptor) => !opts.methods || opts.methods.includes(m);
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
    const camOf = (m: CamMethod): CamResult =>
      computeCamSync(opts.runtime, m, { activations: { data: A!, shape }, gradients: { data: G!, shape }, inputSize: size });

    for (const [key, ref] of Object.entries(c.methods)) {
      const m = findMethod(key);
      if (!m || !ref || !ref.grayscale_cam || !wanted(m)) continue;
      const gref = f32(ref.grayscale_cam)!;
      const extra = (ref.extra && !Array.isArray(ref.extra) ? ref.extra : {}) as Record<string, unknown>;
      const plan = m.explain;
      const bs = typeof extra.batch_size === 'number' ? extra.batch_size : undefined;
      if (plan.via === 'layer') {
        if (!A || !G || !isCamMethod(m)) continue;
        let r: CamResult;
        try {
          r = camOf(m);
        } catch (e) {
          yield fail(key, 'grayscale_cam', E2E_TOLERANCES.grayscale_cam, e);
          continue;
        }
        let target: Float32Array | null = gref;
        if (m.signArbitrary) {
          // The principal component's sign is arbitrary: compare with the reference of the same sign.
          const low = ref.cam_lowres ? f32(ref.cam_lowres)! : null;
          let dot = 0;
          if (low) for (let i = 0; i < low.length; i++) dot += low[i] * r.lowres[i];
          if (dot < 0) target = Array.isArray(extra.grayscale_cam_if_sign_flipped) ? f32(extra.grayscale_cam_if_sign_flipped as number[]) : null;
        }
        if (target) yield check(key, 'grayscale_cam', absErr(r.map, target), E2E_TOLERANCES.grayscale_cam);
        else yield skip(key, 'grayscale_cam', 'opposite sign and no extra.grayscale_cam_if_sign_flipped');
      } else if (plan.via === 'masks') {
        try {
          const r = await maskPlan(m, plan, adapter, x, layer, { classIndex: cls, batchSize: bs, runtime: opts.runtime });
          if (Array.isArray(extra.scores)) yield check(key, 'scores', relErr(r.scores, extra.scores as number[]), E2E_TOLERANCES.scores);
          yield check(key, 'grayscale_cam', absErr(r.map, gref), E2E_TOLERANCES.grayscale_cam);
        } catch (e) {
          yield fail(key, 'scores', E2E_TOLERANCES.scores, e);
        }
      } else if (plan.via === 'ablation') {
        const mode = extra.ablation_mode;
        if (mode !== undefined && mode !== 'zero') {
          const reason = `ablation_mode ${String(mode)}: the reference lowers the replacement by another 1e7 per batch row (a batch-size-dependent quirk camkit does not copy)`;
          yield skip(key, 'scores', reason);
          yield skip(key, 'grayscale_cam', reason);
          continue;
        }
        try {
          const r = await ablationPlan(m, plan, adapter, x, layer, { classIndex: cls, batchSize: bs, runtime: opts.runtime });
          if (Array.isArray(extra.ablated_scores)) yield check(key, 'scores', relErr(r.scores, extra.ablated_scores as number[]), E2E_TOLERANCES.scores);
          yield check(key, 'grayscale_cam', absErr(r.map, gref), E2E_TOLERANCES.grayscale_cam);
        } catch (e) {
          yield fail(key, 'scores', E2E_TOLERANCES.scores, e);
        }
      } else if (plan.via === 'second-order' || plan.via === 'finer' || plan.via === 'refine' || plan.via === 'bias-gradients') {
        // Through explain() with the case's class, the layers the reference combined, the comparison target's alpha and positions.
        const layers = Array.isArray(extra.target_layers) ? (extra.target_layers as string[]) : undefined;
        const finer = plan.via === 'finer' ? { alpha: Number(extra.alpha ?? 1), comparisons: (extra.comparison_positions as number[] | undefined) ?? [1, 2, 3] } : undefined;
        try {
          const r = await explain(model, x, { method: m.name, ...(layers ? { layers } : { layer }), target: cls, finer, runtime: opts.runtime });
          yield check(key, 'grayscale_cam', absErr(r.map, gref), ref.precision_sensitive ? 1e-3 : E2E_TOLERANCES.grayscale_cam);
        } catch (e) {
          yield fail(key, 'grayscale_cam', E2E_TOLERANCES.grayscale_cam, e);
        }
      } else {
        yield skip(key, '*', `no end-to-end check for ${m.name} yet`);
      }
    }

    // Guided backprop (the schema's guided_backprop) and its fusion with a CAM (guided_gradcam).
    const gbMethod = METHODS.find((m) => m.explain.via === 'input-gradient' && m.explain.guided);
    const fusion = METHODS.find((m) => m.explain.via === 'guided-fusion');
    if (c.guided_backprop && ((gbMethod && wanted(gbMethod)) || (fusion && wanted(fusion)))) {
      let gb: Float32Array | null = null;
      try {
        gb = (await guidedBackprop(adapter, x, { target: cls })).data;
      } catch (e) {
        yield fail(gbMethod?.name ?? '-', 'guided_backprop', E2E_TOLERANCES.guided_backprop, e);
      }
      if (gb) {
        if (gbMethod && wanted(gbMethod)) yield check(gbMethod.name, 'guided_backprop', relErr(gb, f32(c.guided_backprop)!), E2E_TOLERANCES.guided_backprop);
        if (fusion && fusion.explain.via === 'guided-fusion' && wanted(fusion) && A && G && c.guided_gradcam) {
          const gbShape = c.guided_backprop.shape ?? [image.shape[1], image.shape[2], image.shape[3]];
          const fused = guidedGradCamSync(opts.runtime, { data: gb, shape: gbShape }, camOf(fusion.explain.base).map);
          yield check(fusion.name, 'guided_gradcam', relErr(fused, f32(c.guided_gradcam)!), E2E_TOLERANCES.guided_gradcam);
          if (c.guided_gradcam_deprocessed_uint8) {
            yield check(fusion.name, 'guided_gradcam_deprocessed_uint8', absErr(deprocessImage(fused), f32(c.guided_gradcam_deprocessed_uint8)!), E2E_TOLERANCES.guided_gradcam_deprocessed_uint8);
          }
        }
      }
    }
  } finally {
    x.dispose();
  }
  yield* targetE2EChecks(file, c, opts, (f, name, be) => useBackend(be).then(() => loadModel(f, name, be, opts.modelFormat ?? 'layers')));
}
