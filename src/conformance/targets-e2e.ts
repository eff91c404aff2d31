// End-to-end conformance of the target library (golden v2): each stored target is rebuilt from the
// camkit helper that equals it (V2_TARGETS, also the table of docs/targets.md), on the case's model
// rebuilt in TF.js on the requested backend; its value, ∂T/∂z at the logits and gradients at the
// layer are compared with the reference, then every stored map through explain() with that target.
// Segmentation cases (seg_s3): the output, the model's own arg-max mask (exactly), the target value,
// activations, gradients and every map. Methods not registered yet print SKIP.
import * as tf from '@tensorflow/tfjs';
import type { Runtime } from '../runtime/init.js';
import { findMethod, unsupportedReason } from '../methods/registry.js';
import type { MethodDescriptor } from '../methods/types.js';
import { CamkitError } from '../errors.js';
import { createAdapter, type ModelAdapter } from '../capture/adapter.js';
import { explain } from '../capture/explain.js';
import { firstOrderHvp, targetHessian } from '../capture/shapley.js';
import {
  binaryTarget, classTarget, finerTarget, rawScoresTarget, restTarget, segmentationMask, segmentationTarget, softmaxTarget,
  type TargetFn,
} from '../capture/target-library.js';
import { f32, type GoldenArray, type GoldenCase, type GoldenFile, type GoldenMethodRef, type GoldenTargetRef } from './golden.js';
import type { CheckLine } from './runner.js';
import { absErr, relErr } from '../core/compare.js';
import { targetCaseId, targetGradients } from './targets.js';
import { TARGET_TOLERANCES as TOL } from './tolerances.js';

/** The end-to-end logits tolerance (golden README): the largest drift the gradient tolerance follows. */
const E2E_LOGITS = 1e-4;

export interface TargetE2EOptions {
  backend: string;
  methods?: readonly MethodDescriptor[];
  runtime: Runtime;
}

/** The rebuilt model of a case (./e2e.ts caches it per file, name and backend). */
export type LoadModel = (file: GoldenFile, name: string, backend: string) => Promise<tf.LayersModel | tf.GraphModel>;

/** The output of a one-unit head made of logit k of a [N, C] output (what pgc applied its one-output targets to). */
function unitHead(k: number): (o: tf.Tensor) => tf.Tensor {
  return (o) => tf.slice(o, [0, k], [-1, 1]);
}

const on = (head: (o: tf.Tensor) => tf.Tensor, t: TargetFn): TargetFn => (o, s) => tf.tidy(() => t(head(o), s));

/**
 * Every target name the v2 file stores → the camkit helper that equals it, for the case's class.
 * The one-output targets (binary, raw scores) were applied by pgc to logits[:, c:c+1]: the same head here.
 */
export const V2_TARGETS: Readonly<Record<string, { helper: string; make: (c: number) => TargetFn; logitSensitive?: boolean }>> = {
  ClassifierOutputTarget: { helper: 'classTarget(c)', make: (c) => classTarget(c) },
  ClassifierOutputSoftmaxTarget: { helper: 'softmaxTarget(c)', make: (c) => softmaxTarget(c), logitSensitive: true },
  ClassifierOutputReST: { helper: 'restTarget(c)', make: (c) => restTarget(c), logitSensitive: true },
  'BinaryClassifierOutputTarget(1)': { helper: 'binaryTarget(1, c)', make: (c) => binaryTarget(1, c) },
  'BinaryClassifierOutputTarget(0)': { helper: 'binaryTarget(0, c)', make: (c) => binaryTarget(0, c) },
  RawScoresOutputTarget: { helper: 'rawScoresTarget() on the one-unit head', make: (c) => on(unitHead(c), rawScoresTarget()) },
  SemanticSegmentationTarget: { helper: 'segmentationTarget(category)', make: (c) => segmentationTarget(c) },
  FinerWeightedTarget: { helper: 'finerTarget(c, {alpha, comparisons})', make: (c) => finerTarget(c), logitSensitive: true },
};

type Check = (caseId: string, method: string, quantity: string, err: number, tol: number) => CheckLine;
const check: Check = (caseId, method, quantity, err, tol) => ({ status: err <= tol ? 'PASS' : 'FAIL', caseId, method, quantity, err, tol });
const skip = (caseId: string, method: string, quantity: string, reason: string): CheckLine => ({ status: 'SKIP', caseId, method, quantity, reason });
const fail = (caseId: string, method: string, quantity: string, tol: number, e: unknown): CheckLine => ({ ...check(caseId, method, quantity, Infinity, tol), reason: String((e as Error)?.message ?? e) });

/** v rounded up to 2 significant digits (a tolerance that prints short). */
const roundUp = (v: number): number => {
  if (!(v > 0)) return 0;
  const e = 10 ** (Math.floor(Math.log10(v)) - 1);
  return Number((Math.ceil(v / e) * e).toPrecision(2));
};

/** |ours − ref| (Infinity when ours is not finite). */
const valueErr = (a: number, b: number): number => (Number.isFinite(a) ? Math.abs(a - b) : Infinity);

interface Ctx {
  file: GoldenFile;
  c: GoldenCase;
  opts: TargetE2EOptions;
  adapter: ModelAdapter;
  x: tf.Tensor4D;
  layer: string;
}

function imageOf(file: GoldenFile, c: GoldenCase): GoldenArray & { shape: number[] } | null {
  const px = (file.images as Record<string, { pixels?: GoldenArray }> | undefined)?.[String(c.image ?? '')]?.pixels;
  return px && Array.isArray(px.shape) ? (px as GoldenArray & { shape: number[] }) : null;
}

/** Runs `body` with the case's rebuilt model and image, disposing the image whatever happens. */
async function* run(file: GoldenFile, c: GoldenCase, opts: TargetE2EOptions, load: LoadModel, body: (ctx: Ctx) => AsyncGenerator<CheckLine>): AsyncGenerator<CheckLine> {
  const px = imageOf(file, c);
  const layer = String(c.target_layer ?? '');
  if (!px || !layer) {
    yield skip(c.id, '-', '*', 'the case names no stored image or target layer');
    return;
  }
  let model: tf.LayersModel | tf.GraphModel;
  try {
    model = await load(file, String(c.model ?? ''), opts.backend);
  } catch (e) {
    yield fail(c.id, '-', 'output', TOL.output, e);
    return;
  }
  const x = tf.tensor4d(px.values, px.shape as [number, number, number, number]);
  try {
    yield* body({ file, c, opts, adapter: createAdapter(model), x, layer });
  } finally {
    x.dispose();
  }
}

/** The target's value on the model output (sample 0), the output, and the activations and gradients at the layer. */
async function targetArrays(ctx: Ctx, fn: TargetFn): Promise<{ value: number; output: Float32Array; outputShape: number[]; activations: Float32Array; gradients: Float32Array }> {
  const { adapter, x, layer } = ctx;
  const [value, out] = tf.tidy(() => {
    const y = adapter.predict(x);
    return [tf.sum(fn(y)), y];
  });
  const cap = (() => {
    try {
      return adapter.capture(x, layer, (o) => tf.sum(fn(o)));
    } catch (e) {
      tf.dispose([value, out]);
      throw e;
    }
  })();
  try {
    const [v, o, a, g] = await Promise.all([value.data(), out.data(), cap.activations.data(), cap.gradients.data()]);
    return { value: v[0], output: Float32Array.from(o), outputShape: out.shape.slice(), activations: Float32Array.from(a), gradients: Float32Array.from(g) };
  } finally {
    tf.dispose([value, out, cap.activations, cap.gradients, cap.output]);
  }
}

/** ∂T/∂z of the target alone, at the stored logits (the reference's z): independent of the model's drift. */
async function dTdz(fn: TargetFn, logits: readonly number[]): Promise<Float32Array> {
  const g = tf.tidy(() => tf.grad((o: tf.Tensor) => tf.sum(fn(o)))(tf.tensor2d([logits as number[]])));
  try {
    return Float32Array.from((await g.data()) as Float32Array);
  } finally {
    g.dispose();
  }
}

/** Each method reference: the map explain() gives with this target, or SKIP with the reason. */
async function* mapChecks(ctx: Ctx, id: string, fn: TargetFn, refs: Record<string, GoldenMethodRef>): AsyncGenerator<CheckLine> {
  for (const [key, ref] of Object.entries(refs)) {
    if (!ref || !ref.grayscale_cam) continue;
    const m = findMethod(key);
    if (ctx.opts.methods && (!m || !ctx.opts.methods.includes(m))) continue;
    if (!m) {
      yield skip(id, key, '*', 'method not supported by camkit');
      continue;
    }
    const why = unsupportedReason(m);
    if (why) {
      yield skip(id, key, 'grayscale_cam', why);
      continue;
    }
    if (m.explain.via === 'second-order') yield* hvpCheck(ctx, id, key, fn, ref);
    const tol = ref.precision_sensitive ? TOL.precision_sensitive : TOL.grayscale_cam;
    try {
      const r = await explain(ctx.adapter, ctx.x, { method: m.name, layer: ctx.layer, target: fn, runtime: ctx.opts.runtime });
      yield check(id, key, 'grayscale_cam', absErr(r.map, f32(ref.grayscale_cam)!), tol);
    } catch (e) {
      yield fail(id, key, 'grayscale_cam', tol, e);
    }
  }
}

/** The second-order term explain() uses (first-order recipe, ../capture/shapley.ts) against the stored extra.hvp. */
async function* hvpCheck(ctx: Ctx, id: string, key: string, fn: TargetFn, ref: GoldenMethodRef): AsyncGenerator<CheckLine> {
  const extra = ref.extra && !Array.isArray(ref.extra) ? (ref.extra as Record<string, unknown>) : {};
  const stored = f32(extra.hvp as GoldenArray | null | undefined);
  const cls = ctx.c.target_class;
  if (!stored || typeof cls !== 'number') return;
  try {
    const [out, A] = tf.tidy(() => [ctx.adapter.predict(ctx.x), ctx.adapter.activations(ctx.x, ctx.layer)]);
    const [o, a] = [(await out.data()) as Float32Array, Float32Array.from((await A.data()) as Float32Array)];
    tf.dispose([out, A]);
    const K = o.length;
    const H = targetHessian(fn, false, o, 1, K, [[cls]]);
    const hvp = H ? await firstOrderHvp(ctx.adapter, ctx.x, ctx.layer, a, H, K) : new Float32Array(a.length);
    yield check(id, key, 'hvp', relErr(hvp, stored), TOL.hvp);
  } catch (e) {
    yield fail(id, key, 'hvp', TOL.hvp, e);
  }
}

/** The stored target's gradients and references resolved; the key of the target whose maps it shares. */
function identicalTo(t: GoldenTargetRef): string | null {
  const s = typeof t.methods_identical_to === 'string' ? t.methods_identical_to : null;
  return s ? s.split(/\s/)[0] : null;
}

/** Every end-to-end check of the case's stored targets (and of its FinerCAM target), in a fixed order. */
export async function* targetE2EChecks(file: GoldenFile, c: GoldenCase, opts: TargetE2EOptions, load: LoadModel): AsyncGenerator<CheckLine> {
  const finer = finerRef(c);
  if (!c.targets && !finer) return;
  const cls = c.target_class;
  if (typeof cls !== 'number') {
    yield skip(c.id, '-', '*', 'the case names no target class');
    return;
  }
  yield* run(file, c, opts, load, async function* (ctx) {
    for (const [key, t] of Object.entries(c.targets ?? {})) {
      if (!t) continue;
      const id = targetCaseId(c, key);
      const entry = V2_TARGETS[key];
      if (!entry) {
        yield skip(id, '-', '*', 'no camkit helper is mapped to this target name');
        continue;
      }
      if (key === 'RawScoresOutputTarget') {
        // pgc fails on the five-logit model (a non-scalar loss); camkit refuses it too, with E_TARGET.
        let refused: string | null = null;
        try {
          tf.tidy(() => rawScoresTarget()(tf.zeros([1, c.logits?.length ?? 5])));
        } catch (e) {
          refused = e instanceof CamkitError && e.code === 'E_TARGET' ? e.message : null;
        }
        if (refused) yield skip(id, '-', 'five_logit_model', `pgc fails there (${String(t.on_five_logit_model ?? 'non-scalar output')}); camkit refuses it too: ${refused}`);
        else yield check(id, '-', 'five_logit_model', Infinity, 0);
      }
      yield* targetChecks(ctx, id, entry.make(cls), t, entry.logitSensitive === true);
    }
    if (finer) {
      const e = finer.extra;
      const fn = finerTarget(Number(e.target_idx), { alpha: Number(e.alpha), comparisons: e.comparison_positions as number[] });
      const t: GoldenTargetRef = { value: Number(e.target_value), dtarget_dlogits_float64: e.dtarget_dlogits_float64, gradients: e.gradients as GoldenTargetRef['gradients'] };
      yield* targetChecks(ctx, targetCaseId(c, 'FinerWeightedTarget'), fn, t, true);
    }
  });
}

function finerRef(c: GoldenCase): { extra: Record<string, unknown> } | null {
  const e = c.methods?.FinerCAM?.extra;
  if (!e || Array.isArray(e) || typeof e.target_value !== 'number' || !Array.isArray(e.comparison_positions)) return null;
  return { extra: e };
}

/**
 * One target's checks. `logitSensitive`: ∂T/∂z depends on z (softmax weights), so the model's own
 * logit drift Δ (checked at 1e-4 abs) moves the layer gradients by up to 2Δ relative (d log p_c =
 * Δz_c − Σ p_k Δz_k): their tolerance is max(1e-5, 2Δ), printed on the line.
 */
async function* targetChecks(ctx: Ctx, id: string, fn: TargetFn, t: GoldenTargetRef, logitSensitive: boolean): AsyncGenerator<CheckLine> {
  const sensitive = t.gradients_precision_sensitive === true;
  let r;
  try {
    r = await targetArrays(ctx, fn);
  } catch (e) {
    yield fail(id, '-', 'target_value', TOL.value, e);
    return;
  }
  if (typeof t.value === 'number') yield check(id, '-', 'target_value', valueErr(r.value, t.value), sensitive ? TOL.precision_sensitive : TOL.value);
  const dref = t.dtarget_dlogits_float64;
  const logits = ctx.c.logits;
  if (Array.isArray(dref) && Array.isArray(logits)) {
    try {
      yield check(id, '-', 'dtarget_dlogits', relErr(await dTdz(fn, logits), dref as number[]), sensitive ? TOL.precision_sensitive : TOL.dtarget_dlogits);
    } catch (e) {
      yield fail(id, '-', 'dtarget_dlogits', TOL.dtarget_dlogits, e);
    }
  }
  const d = logitSensitive && Array.isArray(logits) ? absErr(r.output, logits) : 0;
  // A drift beyond the logits tolerance (or a shape mismatch) widens nothing: the logits line fails.
  const drift = d <= E2E_LOGITS ? d : 0;
  const gtol = sensitive ? TOL.precision_sensitive : Math.max(TOL.gradients, roundUp(2 * drift));
  const g = targetGradients(ctx.c, t);
  if (typeof g === 'string') yield skip(id, '-', 'gradients', g);
  else yield check(id, '-', 'gradients', relErr(r.gradients, f32(g)!), gtol);
  const same = identicalTo(t);
  const refs = t.methods ?? (same ? ctx.c.targets?.[same]?.methods : null);
  if (refs) yield* mapChecks(ctx, id, fn, refs);
}

/** Every end-to-end check of a segmentation case (task "segmentation"), in a fixed order. */
export async function* segmentationE2EChecks(file: GoldenFile, c: GoldenCase, opts: TargetE2EOptions, load: LoadModel): AsyncGenerator<CheckLine> {
  const target = c.target as { type?: string; category?: number; mask?: GoldenArray; value?: number } | undefined;
  const category = target?.category;
  if (typeof category !== 'number' || target?.type !== 'SemanticSegmentationTarget') {
    yield skip(c.id, '-', '*', `no camkit helper for the case target ${JSON.stringify(target?.type)}`);
    return;
  }
  yield* run(file, c, opts, load, async function* (ctx) {
    const fn = segmentationTarget(category);
    let r;
    try {
      r = await targetArrays(ctx, fn);
    } catch (e) {
      yield fail(c.id, '-', 'output', TOL.output, e);
      return;
    }
    if (c.output) yield check(c.id, '-', 'output', absErr(r.output, f32(c.output)!), TOL.output);
    if (target.mask) {
      // The helper's mask on the model's own output (read back bit for bit).
      const m = tf.tidy(() => segmentationMask(tf.tensor(r.output, r.outputShape), category));
      const ours = (await m.data()) as Float32Array;
      m.dispose();
      const ref = target.mask.values;
      let diff = ours.length === ref.length ? 0 : Infinity;
      for (let i = 0; i < Math.min(ours.length, ref.length); i++) if (ours[i] !== ref[i]) diff++;
      yield check(c.id, '-', 'mask', diff, TOL.mask);
    }
    if (typeof target.value === 'number') yield check(c.id, '-', 'target_value', valueErr(r.value, target.value), TOL.value);
    yield check(c.id, '-', 'activations', relErr(r.activations, f32(c.activations)!), TOL.gradients);
    if (c.gradients) yield check(c.id, '-', 'gradients', relErr(r.gradients, f32(c.gradients)!), TOL.gradients);
    yield* mapChecks(ctx, c.id, fn, c.methods);
  });
}
