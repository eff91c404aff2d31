// The conformance runner: checks camkit against any file of the golden schema, from the stored
// activations, gradients and scores. One line per compared quantity:
//   PASS|FAIL <TAB> case id <TAB> method <TAB> quantity <TAB> err=… <TAB> tol=…
//   SKIP      <TAB> case id <TAB> method <TAB> quantity <TAB> reason
// End-to-end checks through a TF.js model live in ./e2e.ts, loaded only when a backend is asked for.
import { CamkitError, NameError } from '../errors.js';
import type { Runtime } from '../runtime/init.js';
import { extensionKernels, loadExtension } from '../runtime/extension.js';
import { postBuffers, postProcess, resolvePost } from '../core/post.js';
import { refineMaps } from '../methods/refinecam.js';
import { camSample, computeCamSync, type CamArrays, type CamResult } from '../compute.js';
import { findMethod, isCamMethod, methodDescriptor, METHODS, METHOD_NAMES } from '../methods/registry.js';
import type { CamMethod, MethodDescriptor } from '../methods/types.js';
import { deprocessImage, guidedGradCamSync } from '../methods/guided.js';
import { f32, inputSize, type GoldenArray, type GoldenCase, type GoldenFile, type GoldenMethodRef } from './golden.js';
import { CONFORMANCE_TOLERANCES as TOL } from './tolerances.js';
import { absErr, relErr } from '../core/compare.js';

export { absErr, relErr };
import { storedTargetChecks } from './targets.js';

export type CheckStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface CheckLine {
  status: CheckStatus;
  caseId: string;
  method: string;
  quantity: string;
  err?: number;
  tol?: number;
  reason?: string;
}

export interface ConformanceOptions {
  /** Only these methods (any case, canonical names resolved); default: every method in each case. */
  methods?: readonly string[];
  /** Kernels to run on (a runtime from createRuntime or getRuntime). */
  runtime: Runtime;
  /** 'cpu' | 'wasm': also run the end-to-end checks of ./e2e.ts through a TF.js model. */
  backend?: string;
  /** The end-to-end checks' model: 'layers' (default) or the GraphModel the converter would make of it. */
  modelFormat?: ModelFormat;
}

/** The contract of ./e2e.ts (written separately). */
export interface E2EModule {
  e2eChecks(file: GoldenFile, caseObj: GoldenCase, opts: { backend: string; methods?: readonly MethodDescriptor[]; runtime: Runtime; modelFormat?: ModelFormat }): AsyncIterable<CheckLine>;
}

export const BACKENDS = ['cpu', 'wasm'] as const;

const fmtErr = (e: number) => (e === 0 ? '0' : Number.isFinite(e) ? e.toExponential(2) : String(e));
const fmtTol = (t: number) => (Number.isInteger(t) ? String(t) : t.toExponential());

export function formatLine(l: CheckLine): string {
  const head = `${l.status}\t${l.caseId}\t${l.method}\t${l.quantity}`;
  return l.status === 'SKIP' ? `${head}\t${l.reason ?? ''}` : `${head}\terr=${fmtErr(l.err ?? NaN)}\ttol=${fmtTol(l.tol ?? NaN)}`;
}


const check = (c: GoldenCase, method: string, quantity: string, err: number, tol: number): CheckLine => ({
  status: err <= tol ? 'PASS' : 'FAIL',
  caseId: c.id,
  method,
  quantity,
  err,
  tol,
});
const skip = (c: GoldenCase, method: string, quantity: string, reason: string): CheckLine => ({ status: 'SKIP', caseId: c.id, method, quantity, reason });

/** How the end-to-end checks load a case's model: as stored (a LayersModel), or rewritten as tensorflowjs_converter's GraphModel (./graphify.ts). */
export const MODEL_FORMATS = ['layers', 'graph'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

/** The methods named by --methods; NameError on an unknown one. */
export function resolveMethods(names: readonly string[]): MethodDescriptor[] {
  return names.map((n) => methodDescriptor(n.trim()));
}

/** Runs every check of the file and yields its lines in order. */
export async function* runConformance(g: GoldenFile, opts: ConformanceOptions): AsyncGenerator<CheckLine> {
  const wanted = opts.methods ? resolveMethods(opts.methods) : undefined;
  // Stored-data checks run synchronously: the extension kernels are loaded up front.
  await loadExtension(opts.runtime);
  let e2e: E2EModule | undefined;
  if (opts.backend !== undefined) e2e = await loadE2E(opts.backend);
  for (const c of g.cases) {
    yield* caseChecks(g, c, opts.runtime, wanted);
    yield* storedTargetChecks(g, c, opts.runtime, wanted, caseChecks);
    if (e2e) for await (const l of e2e.e2eChecks(g, c, { backend: opts.backend!, methods: wanted, runtime: opts.runtime, modelFormat: opts.modelFormat })) yield l;
  }
}

async function loadE2E(backend: string): Promise<E2EModule> {
  if (!(BACKENDS as readonly string[]).includes(backend)) throw new NameError('backend', backend, BACKENDS);
  // A variable specifier: the module is optional and is not bundled with the core.
  const spec = './e2e.js';
  let mod: Partial<E2EModule>;
  try {
    mod = (await import(/* @vite-ignore */ spec)) as Partial<E2EModule>;
  } catch (cause) {
    const code = (cause as { code?: string })?.code;
    const missing = code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load|not find/i.test(String((cause as Error)?.message));
    throw new CamkitError(
      'E_INIT',
      missing
        ? `--backend ${backend} needs the end-to-end checks (src/conformance/e2e.ts), which are not in this build yet; run without --backend for the stored-data checks.`
        : `the end-to-end checks (src/conformance/e2e.ts) failed to load: ${String((cause as Error)?.message ?? cause)}`,
      { cause },
    );
  }
  if (typeof mod.e2eChecks !== 'function') throw new CamkitError('E_INIT', 'src/conformance/e2e.ts does not export e2eChecks().');
  return mod as E2EModule;
}

/** The (file key, method) pairs to check in one case. */
interface MethodRow {
  key: string | null;
  m: MethodDescriptor | null;
  label: string;
}

// The schema stores guided backprop and its fusion with a CAM outside `methods`.
const guidedFusion = () => METHODS.find((m) => m.explain.via === 'guided-fusion');
const inputGradient = () => METHODS.find((m) => m.explain.via === 'input-gradient');

function methodsOf(c: GoldenCase, wanted?: MethodDescriptor[]): MethodRow[] {
  const inFile: MethodRow[] = Object.keys(c.methods).map((key) => ({ key, m: findMethod(key), label: key }));
  const f = guidedFusion();
  const guided: MethodRow[] = c.guided_gradcam != null && f ? [{ key: null, m: f, label: f.name }] : [];
  if (!wanted) return [...inFile, ...guided];
  return wanted.flatMap((m): MethodRow[] => {
    if (m === f) return guided;
    const hit = inFile.find((r) => r.m === m);
    return [hit ?? { key: null, m, label: m.name }];
  });
}

function* caseChecks(g: GoldenFile, c: GoldenCase, rt: Runtime, wanted?: MethodDescriptor[]): Generator<CheckLine> {
  const A = f32(c.activations)!;
  const G = c.gradients ? f32(c.gradients) : null;
  const size = inputSize(g, c);
  for (const { key, m, label } of methodsOf(c, wanted)) {
    if (m && m === guidedFusion()) {
      yield* guidedChecks(c, rt, m);
      continue;
    }
    if (m && m === inputGradient()) {
      yield skip(c, label, 'guided_backprop', 'needs the model: run with --backend');
      continue;
    }
    if (m === null) {
      yield skip(c, label, '*', 'method not supported by camkit');
      continue;
    }
    if (key === null) {
      yield skip(c, label, '*', 'no reference for this method in the case');
      continue;
    }
    if (key !== null && m.explain.via === 'refine' && c.methods[key]) {
      yield* refineChecks(g, c, rt, label, m.explain.base, c.methods[key]);
      continue;
    }
    if (key !== null && m.explain.via === 'bias-gradients' && c.methods[key]) {
      yield* fullGradChecks(g, c, rt, label, c.methods[key]);
      continue;
    }
    if (!isCamMethod(m)) {
      yield skip(c, label, '*', `${m.name} is computed from a model only: run with --backend`);
      continue;
    }
    const ref = c.methods[key];
    if (!ref || typeof ref !== 'object') {
      yield skip(c, label, '*', 'reference is null');
      continue;
    }
    const arrays: CamArrays = { activations: { data: A, shape: c.activations.shape }, inputSize: refSize(ref) ?? size };
    if (G) arrays.gradients = { data: G, shape: c.gradients!.shape };
    const extra = (ref.extra && !Array.isArray(ref.extra) ? ref.extra : {}) as Record<string, unknown>;
    // Inputs a method's reference stores itself: the gradients of its own target (extra.gradients),
    // the second-order term (extra.hvp; null: zero).
    const own = stored(extra.gradients, c.activations.shape);
    if (own) arrays.gradients = { data: own, shape: c.activations.shape };
    const hvp = stored(extra.hvp, c.activations.shape);
    if (hvp) arrays.hvp = { data: hvp, shape: c.activations.shape };
    // The schema's stored inputs for each need: masked scores (extra.scores) or ablated scores
    // (extra.ablated_scores with extra.original_score), the model's dense kernel for CAM.
    const needs = new Set(m.needs);
    if (needs.has('scores') && needs.has('originalScore')) {
      if (!Array.isArray(extra.ablated_scores) || typeof extra.original_score !== 'number') {
        yield skip(c, label, '*', 'no stored extra.ablated_scores / original_score');
        continue;
      }
      arrays.scores = extra.ablated_scores as number[];
      arrays.originalScore = extra.original_score;
    } else if (needs.has('scores')) {
      if (!Array.isArray(extra.scores)) {
        yield skip(c, label, '*', 'no stored extra.scores');
        continue;
      }
      arrays.scores = extra.scores as number[];
    }
    if (needs.has('classifierWeights')) {
      const cw = classifierFor(g, c);
      if (!cw) {
        yield skip(c, label, '*', 'no dense kernel [C, classes] in the model to take classifier weights from');
        continue;
      }
      arrays.classifierWeights = cw;
      arrays.classIndex = c.target_class ?? 0;
    }
    if (needs.has('gradients') && !G) {
      yield skip(c, label, '*', 'no stored gradients');
      continue;
    }
    let r: CamResult;
    try {
      r = computeCamSync(rt, m, arrays);
    } catch (e) {
      // The case's data cannot be computed on (NaN, bad shapes): every quantity of it fails.
      const msg = e instanceof CamkitError ? e.code : 'error';
      for (const q of ['weights', 'cam_lowres', 'grayscale_cam'] as const) {
        if (q === 'weights' ? ref.weights != null : ref[q] != null) yield { ...check(c, label, q, Infinity, tolFor(m, q)), reason: msg };
      }
      continue;
    }
    // References describe batch index 0 (the library returns that map); compare image 0 of a batch.
    if (r.n > 1) r = { ...r, n: 1, ...camSample(r, 0) };
    yield* compare(c, label, m, ref, r, extra);
  }
}

/** A stored NHWC array of this shape, or null. */
function stored(x: unknown, shape: readonly number[]): Float32Array | null {
  const a = x as GoldenArray | null | undefined;
  if (!a || !Array.isArray(a.values) || !Array.isArray(a.shape) || a.shape.join() !== shape.join()) return null;
  return f32(a);
}

/** One map [n = 1] through the reference chain (ReLU, normalise, resize, normalise) to `size`. */
function postChain(rt: Runtime, low: Float32Array, h: number, w: number, size: [number, number]): Float32Array {
  const post = resolvePost(h, w, {}, size);
  const { f: [src, work, out, tmp] } = rt.arena.take([h * w, ...postBuffers(1, h, w, post)]);
  src.set(low);
  postProcess(rt, src, work, out, tmp, 1, h, w, post);
  return Float32Array.from(out);
}

/**
 * RefineCAM from stored data: the base method at the case's layer (weights, cam_lowres against the
 * per-layer entry of that layer), and the product of the stored per-layer maps through the chain.
 */
function* refineChecks(g: GoldenFile, c: GoldenCase, rt: Runtime, label: string, base: CamMethod, ref: GoldenMethodRef): Generator<CheckLine> {
  const extra = (ref.extra && !Array.isArray(ref.extra) ? ref.extra : {}) as { per_layer?: { layer: string; weights?: number[]; cam_lowres?: GoldenArray }[] };
  const per = extra.per_layer;
  const size = refSize(ref) ?? inputSize(g, c);
  if (!Array.isArray(per) || !per.length || !size || !ref.grayscale_cam) {
    yield skip(c, label, '*', 'no stored extra.per_layer maps');
    return;
  }
  const mine = per.find((p) => p.layer === c.target_layer);
  if (mine && c.gradients) {
    const r = computeCamSync(rt, base, { activations: { data: f32(c.activations)!, shape: c.activations.shape }, gradients: { data: f32(c.gradients)!, shape: c.gradients.shape }, inputSize: size });
    if (mine.weights) yield check(c, label, `${mine.layer}.weights`, r.weights ? relErr(r.weights, mine.weights) : Infinity, TOL.weights);
    if (mine.cam_lowres) yield check(c, label, `${mine.layer}.cam_lowres`, relErr(r.lowres, f32(mine.cam_lowres)!), TOL.cam_lowres);
  }
  const maps = per.map((p) => postChain(rt, f32(p.cam_lowres!)!, p.cam_lowres!.shape![0], p.cam_lowres!.shape![1], size));
  yield check(c, label, 'grayscale_cam', absErr(refineMaps(maps, 1), f32(ref.grayscale_cam)!), TOL.grayscale_cam);
}

/**
 * FullGrad from stored data (cases with detail_stored): the input map from the stored input gradient
 * and pixels, each layer's map from its stored bias gradient and bias, and the final map.
 */
function* fullGradChecks(g: GoldenFile, c: GoldenCase, rt: Runtime, label: string, ref: GoldenMethodRef): Generator<CheckLine> {
  type L = { layer: string; bias: number[]; bias_gradient?: GoldenArray | null; map?: GoldenArray | null };
  const e = (ref.extra && !Array.isArray(ref.extra) ? ref.extra : {}) as { input_gradient?: GoldenArray | null; input_map?: GoldenArray | null; layers?: L[]; same_as_case?: string };
  const px = (g.images as Record<string, { pixels?: GoldenArray }> | undefined)?.[String(c.image ?? '')]?.pixels;
  if (!e.input_gradient || !Array.isArray(e.layers) || !px?.shape || !ref.grayscale_cam) {
    yield skip(c, label, '*', 'intermediates not stored for this case: its map is checked end to end (--backend)');
    return;
  }
  const k = extensionKernels(rt);
  const [, H, W, C] = px.shape;
  const HW = H * W;
  const total = new Float32Array(HW);
  {
    const { f: [gv, sv, tmp, m] } = rt.arena.take([HW * C, HW * C, 2 * C, HW]);
    gv.set(f32(e.input_gradient)!);
    sv.set(f32(px)!);
    k.fullgrad_map(m, gv, sv, tmp, 1, HW, C, 1);
    if (e.input_map) yield check(c, label, 'input_map', relErr(m, f32(e.input_map)!), TOL.cam_lowres);
    total.set(m);
  }
  for (const l of e.layers) {
    const s = l.bias_gradient?.shape;
    if (!l.bias_gradient || !s) {
      yield skip(c, label, `${l.layer}.map`, 'no stored bias gradient');
      return;
    }
    const [, h, w, ch] = s;
    const { f: [gv, bv, tmp, m, rtmp, up] } = rt.arena.take([h * w * ch, ch, 2 * ch, h * w, h * W, HW]);
    gv.set(f32(l.bias_gradient)!);
    bv.set(l.bias);
    k.fullgrad_map(m, gv, bv, tmp, 1, h * w, ch, 0);
    rt.kernels.resize_bilinear(up, m, rtmp, 1, h, w, H, W, 0);
    if (l.map) yield check(c, label, `${l.layer}.map`, relErr(up, f32(l.map)!), TOL.cam_lowres);
    for (let i = 0; i < HW; i++) total[i] += up[i];
  }
  const { f: [t] } = rt.arena.take([HW]);
  t.set(total);
  rt.kernels.minmax_normalize(t, 1, HW, 1e-7);
  yield check(c, label, 'grayscale_cam', absErr(t, f32(ref.grayscale_cam)!), TOL.grayscale_cam);
}

function refSize(ref: GoldenMethodRef): [number, number] | undefined {
  const s = ref.grayscale_cam?.shape;
  return Array.isArray(s) && s.length === 2 ? [s[0], s[1]] : undefined;
}

function tolFor(m: MethodDescriptor, q: 'weights' | 'cam_lowres' | 'grayscale_cam'): number {
  if (q === 'cam_lowres' && m.signArbitrary) return TOL.eigen_cam_lowres;
  return TOL[q];
}

function* compare(c: GoldenCase, label: string, m: MethodDescriptor, ref: GoldenMethodRef, r: CamResult, extra: Record<string, unknown>): Generator<CheckLine> {
  if (ref.weights != null) {
    yield check(c, label, 'weights', r.weights ? relErr(r.weights, f32(ref.weights)!) : Infinity, TOL.weights);
  }
  const lowRef = ref.cam_lowres ? f32(ref.cam_lowres)! : null;
  let sign = 1;
  if (m.signArbitrary && lowRef) {
    // The principal component's sign is arbitrary: align with the reference, then compare.
    let dot = 0;
    for (let i = 0; i < Math.min(lowRef.length, r.lowres.length); i++) dot += r.lowres[i] * lowRef[i];
    sign = dot < 0 ? -1 : 1;
  }
  if (lowRef) yield check(c, label, 'cam_lowres', relErr(r.lowres, lowRef, sign), tolFor(m, 'cam_lowres'));
  if (ref.grayscale_cam != null) {
    let gref: Float32Array | null = f32(ref.grayscale_cam);
    if (sign < 0) {
      const flipped = extra.grayscale_cam_if_sign_flipped;
      gref = Array.isArray(flipped) ? f32(flipped as number[]) : null;
    }
    if (gref) yield check(c, label, 'grayscale_cam', absErr(r.map, gref), TOL.grayscale_cam);
    else yield skip(c, label, 'grayscale_cam', 'opposite sign and no extra.grayscale_cam_if_sign_flipped');
  }
}

function* guidedChecks(c: GoldenCase, rt: Runtime, fusion: MethodDescriptor): Generator<CheckLine> {
  const label = fusion.name;
  const gb = c.guided_backprop;
  const base = fusion.explain.via === 'guided-fusion' ? fusion.explain.base : null;
  const camRef = Object.entries(c.methods).find(([k]) => base !== null && findMethod(k) === base)?.[1]?.grayscale_cam;
  if (!gb || !camRef) {
    yield skip(c, label, 'guided_gradcam', !gb ? 'no stored guided_backprop' : `no stored ${base?.name} grayscale_cam`);
    return;
  }
  let fused: Float32Array;
  try {
    // The stored GradCAM map isolates the fusion from the GradCAM check above.
    fused = guidedGradCamSync(rt, { data: f32(gb)!, shape: gb.shape ?? [] }, f32(camRef)!);
  } catch (e) {
    yield { ...check(c, label, 'guided_gradcam', Infinity, TOL.guided_gradcam), reason: (e as CamkitError).code };
    return;
  }
  if (c.guided_gradcam) yield check(c, label, 'guided_gradcam', relErr(fused, f32(c.guided_gradcam)!), TOL.guided_gradcam);
  if (c.guided_gradcam_deprocessed_uint8) {
    yield check(c, label, 'guided_gradcam_deprocessed_uint8', absErr(deprocessImage(fused), f32(c.guided_gradcam_deprocessed_uint8)!), TOL.guided_gradcam_deprocessed_uint8);
  }
}

/** CAM weights: the model's dense kernel [C, classes] (valid when the target layer feeds GAP → dense). */
function classifierFor(g: GoldenFile, c: GoldenCase): { data: Float32Array; shape: number[] } | null {
  const model = (g.models as Record<string, { weights?: { name?: string; shape?: number[]; values?: number[] }[] }> | undefined)?.[String(c.model)];
  const C = c.activations.shape[3];
  const k = model?.weights?.filter((w) => /kernel$/.test(String(w.name)) && w.shape?.length === 2 && w.shape[0] === C).pop();
  return k && Array.isArray(k.values) ? { data: Float32Array.from(k.values), shape: k.shape! } : null;
}

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

export function summary(t: Tally): string {
  return `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`;
}

export { METHOD_NAMES };
