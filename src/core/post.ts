// The reference post-processing (golden README §3–4), as pytorch-grad-cam does it:
// ReLU → min-max (eps 1e-7) at layer resolution → half-pixel bilinear resize (cv2 INTER_LINEAR) →
// min-max (eps 1e-7) again. Normalising only before the resize is off by up to 0.13, skipping the
// ReLU by up to 1.0 and an align-corners resize by up to 0.45, so those are opt-in options only.
import { InputError, NameError, OptionError } from '../errors.js';
import type { F32 } from '../kernels/types.js';
import { runtimeSync, type Runtime } from '../runtime/init.js';

export type OutputMode = 'normalised' | 'raw' | 'signed';
export type Normalisation = 'minmax' | 'max' | 'none';
export type ResizeMode = 'bilinear' | 'bilinear-align-corners' | 'nearest' | 'none';

export interface PostOptions {
  /** Clamp the map at 0 first (default true; ignored for output 'signed'). */
  relu?: boolean;
  /**
   * 'normalised' (default): the reference chain. 'raw': ReLU (if on) and resize, no normalisation.
   * 'signed': resize without ReLU, then divide each map by its max |value| (keeps the sign).
   */
  output?: OutputMode;
  /** For output 'normalised': 'minmax' (default, x−min then /(max+1e-7)), 'max' (x/(max+1e-7)), or 'none'. */
  normalisation?: Normalisation;
  /** 'bilinear' (default, half-pixel), 'bilinear-align-corners', 'nearest' or 'none' (stay at layer size). */
  resize?: ResizeMode;
  /** [height, width] of the output; default: the input image size when known, else the layer size. */
  outputSize?: readonly [number, number];
}

/** The epsilon of pytorch-grad-cam's scale_cam_image. */
export const CAM_EPS = 1e-7;

const OUTPUTS: readonly OutputMode[] = ['normalised', 'raw', 'signed'];
const NORMS: readonly Normalisation[] = ['minmax', 'max', 'none'];
const RESIZES: readonly ResizeMode[] = ['bilinear', 'bilinear-align-corners', 'nearest', 'none'];

export interface ResolvedPost {
  relu: boolean;
  output: OutputMode;
  normalisation: Normalisation;
  resize: ResizeMode;
  oh: number;
  ow: number;
}

function pick<T extends string>(kind: string, v: T | undefined, valid: readonly T[], dflt: T): T {
  if (v === undefined) return dflt;
  const hit = valid.find((x) => x.toLowerCase() === String(v).toLowerCase());
  if (!hit) throw new NameError(kind, String(v), valid);
  return hit;
}

/** Validates options and fixes the output size; throws before any allocation. */
export function resolvePost(h: number, w: number, opts: PostOptions = {}, inputSize?: readonly [number, number]): ResolvedPost {
  const output = pick('output', opts.output, OUTPUTS, 'normalised');
  const normalisation = pick('normalisation', opts.normalisation, NORMS, 'minmax');
  const resize = pick('resize mode', opts.resize, RESIZES, 'bilinear');
  const size = opts.outputSize ?? inputSize;
  if (size !== undefined) {
    if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) {
      throw new OptionError(`outputSize must be [height, width] of positive integers, got ${JSON.stringify(size)}.`);
    }
  }
  let [oh, ow] = size ?? [h, w];
  if (resize === 'none') {
    if (opts.outputSize && (oh !== h || ow !== w)) {
      throw new OptionError(`resize 'none' keeps the layer size ${h}×${w}; it cannot produce outputSize ${oh}×${ow}.`);
    }
    [oh, ow] = [h, w];
  }
  return { relu: opts.relu ?? true, output, normalisation, resize, oh, ow };
}

/** Float counts of the arena buffers postProcess needs: [work n·h·w, out n·oh·ow, resize tmp 2·(h + 1)·ow + 2·oh]. */
export function postBuffers(n: number, h: number, w: number, p: ResolvedPost): number[] {
  return [n * h * w, n * p.oh * p.ow, p.resize.startsWith('bilinear') ? 2 * (h + 1) * p.ow + 2 * p.oh : 0];
}

/**
 * Writes the final maps of `src` ([n][h][w], left unchanged) into `out` ([n][oh][ow]).
 * `work`, `out` and `tmp` are the arena views planned by postBuffers.
 */
export function postProcess(rt: Runtime, src: F32, work: F32, out: F32, tmp: F32, n: number, h: number, w: number, p: ResolvedPost): void {
  const k = rt.kernels, len = n * h * w;
  if (p.relu && p.output !== 'signed') k.relu(work, src, len);
  else work.set(src);
  const norm = p.output === 'normalised' ? p.normalisation : 'none';
  normalise(rt, work, n, h * w, norm);
  if (norm === 'minmax' && p.resize.startsWith('bilinear') && (p.oh !== h || p.ow !== w)) {
    // The default chain's last two steps in one kernel: the output is written once, not three times.
    k.resize_bilinear_minmax(out, work, tmp, n, h, w, p.oh, p.ow, p.resize === 'bilinear-align-corners' ? 1 : 0, CAM_EPS);
  } else {
    resizeMaps(rt, out, work, tmp, n, h, w, p);
    normalise(rt, out, n, p.oh * p.ow, norm);
  }
  if (p.output === 'signed') scaleMaps(out, n, p.oh * p.ow, 'maxabs');
}

function resizeMaps(rt: Runtime, out: F32, x: F32, tmp: F32, n: number, h: number, w: number, p: ResolvedPost): void {
  const k = rt.kernels;
  if (p.resize === 'none' || (p.oh === h && p.ow === w && p.resize !== 'nearest')) {
    // Both bilinear conventions are the identity at equal size.
    out.set(x);
  } else if (p.resize === 'nearest') {
    k.resize_nearest(out, x, n, h, w, p.oh, p.ow);
  } else {
    k.resize_bilinear(out, x, tmp, n, h, w, p.oh, p.ow, p.resize === 'bilinear-align-corners' ? 1 : 0);
  }
}

function normalise(rt: Runtime, x: F32, n: number, len: number, mode: Normalisation): void {
  if (mode === 'minmax') rt.kernels.minmax_normalize(x, n, len, CAM_EPS);
  else if (mode === 'max') scaleMaps(x, n, len, 'max');
}

// Per-map scaling by one factor: a pass over values that are already in cache; not worth a kernel.
function scaleMaps(x: F32, n: number, len: number, by: 'max' | 'maxabs'): void {
  for (let i = 0; i < n; i++) {
    const m = x.subarray(i * len, (i + 1) * len);
    let s = by === 'max' ? -Infinity : 0;
    for (let j = 0; j < len; j++) s = by === 'max' ? Math.max(s, m[j]) : Math.max(s, Math.abs(m[j]));
    // 'max' keeps a non-positive map as it is (no division by ~eps); an all-zero map stays zero.
    if (!(s > 0)) continue;
    const d = by === 'max' ? s + CAM_EPS : s;
    for (let j = 0; j < len; j++) m[j] /= d;
  }
}

export type FuseMode = 'mean' | 'max-tanh';

/**
 * Fuses maps of several target layers, all of one size (n maps each).
 * 'mean' is pytorch-grad-cam's aggregate_multi_layers: ReLU → mean over layers → min-max (eps 1e-7);
 * pass the per-layer normalised maps. 'max-tanh' is torchcam's Layer-CAM fusion: tanh(2·map), then
 * the element-wise max over layers. Runs on `opts.runtime`, else the initialised one (runtimeSync()).
 */
export function fuseMaps(maps: readonly Float32Array[], mode: FuseMode = 'mean', opts: { n?: number; runtime?: Runtime } = {}): Float32Array {
  const n = opts.n ?? 1;
  const m = pick<FuseMode>('fusion mode', mode, ['mean', 'max-tanh'], 'mean');
  if (maps.length === 0) throw new InputError('E_EMPTY', 'fuseMaps needs at least one map.');
  const len = maps[0].length;
  if (!Number.isInteger(n) || n < 1 || len % n !== 0) throw new InputError('E_SHAPE', `fuseMaps: ${len} values do not split into ${n} maps.`);
  for (const [i, x] of maps.entries()) {
    if (!(x instanceof Float32Array)) throw new InputError('E_DTYPE', `fuseMaps: map ${i} must be a Float32Array.`);
    if (x.length !== len) throw new InputError('E_SHAPE', `fuseMaps: map ${i} has ${x.length} values, map 0 has ${len}; resize them to one size first.`);
  }
  if (len === 0) throw new InputError('E_EMPTY', 'fuseMaps: the maps are empty.');
  const rt = opts.runtime ?? runtimeSync();
  const { f: [acc, t] } = rt.arena.take([len, len]);
  for (const [i, x] of maps.entries()) {
    if (m === 'mean') {
      t.set(x);
      rt.kernels.relu(t, t, len);
      if (i === 0) acc.set(t);
      else for (let j = 0; j < len; j++) acc[j] += t[j];
    } else {
      for (let j = 0; j < len; j++) {
        const v = Math.tanh(2 * x[j]);
        acc[j] = i === 0 ? v : Math.max(acc[j], v);
      }
    }
  }
  if (m === 'mean') {
    const inv = 1 / maps.length;
    for (let j = 0; j < len; j++) acc[j] *= inv;
    rt.kernels.minmax_normalize(acc, n, len / n, CAM_EPS);
  }
  return Float32Array.from(acc);
}

/**
 * Maps of h×w resized to H×W with the resize_bilinear kernel (half-pixel centres unless
 * alignCorners), into a fresh array: for metrics and files that need a map at another size.
 */
export function resizeMapsSync(rt: Runtime, values: ArrayLike<number>, n: number, h: number, w: number, H: number, W: number, alignCorners = false): Float32Array {
  const { f: [src, dst, tmp] } = rt.arena.take([n * h * w, n * H * W, h * W]);
  src.set(values);
  rt.kernels.resize_bilinear(dst, src, tmp, n, h, w, H, W, alignCorners ? 1 : 0);
  return new Float32Array(dst);
}
