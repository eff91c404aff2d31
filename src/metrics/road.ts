// ROAD: RemOve And Debias (Rong et al., 2022) as pytorch-grad-cam's ROADMostRelevantFirst /
// ROADLeastRelevantFirst with NoisyLinearImputer. Removed pixels are infilled with the solution of
// "each removed pixel = weighted mean of its 8 neighbours" (edges 1/6, diagonals 1/12; weights of
// neighbours outside the image drop out), solved here by conjugate gradients (the system is
// symmetric positive definite whenever some pixel is kept), plus noise·N(0,1).
import type * as tf from '@tensorflow/tfjs-core';
import { OptionError } from '../errors.js';
import { gauss, rng } from '../core/random.js';
import { Scorer, checkImages, checkTargets, mapsAt, mean, type MapsInput, type MetricModel, type ScoreOptions } from './common.js';

/** A ROAD threshold: a percentile of the map (0–100), or 'auto' for Otsu's threshold on the map as 8-bit values (as cv2.THRESH_OTSU). */
export type RoadPercentile = number | 'auto';

export interface RoadOptions extends ScoreOptions {
  targets?: readonly number[];
  /** Default [10, 20, …, 90]; 'auto' entries use Otsu's threshold (see `otsu`). */
  percentiles?: readonly RoadPercentile[];
  /**
   * With 'auto': which side of Otsu's threshold is removed. 'camkit' (default): the pixels above it
   * (most relevant first removes the most relevant, as the percentile thresholds do).
   * 'pytorch-grad-cam': as its code does, which keeps the pixels above the threshold (cv2's
   * THRESH_BINARY marks them, and the imputer keeps marked pixels), so the two orders swap.
   */
  otsu?: 'camkit' | 'pytorch-grad-cam';
  /** Imputation noise std. Default 0.01. */
  noise?: number;
  /** Seed of the noise. Default 0. */
  seed?: number;
}

export interface RoadResult {
  /** Mean over images and percentiles of score(imputed) − score(original), removing the most relevant first (lower is better). */
  morf: number;
  /** The same removing the least relevant first (higher is better). */
  lerf: number;
  /** (lerf − morf) / 2, pytorch-grad-cam's ROADCombined. */
  combined: number;
  /** Mean over images, per percentile. */
  morfByPercentile: Float32Array;
  lerfByPercentile: Float32Array;
  /** Per image, averaged over the percentiles: MoRF, LeRF and (LeRF − MoRF)/2. */
  morfPerImage: Float32Array;
  lerfPerImage: Float32Array;
  combinedPerImage: Float32Array;
  percentiles: RoadPercentile[];
  targets: Int32Array;
}

/**
 * Otsu's threshold of 8-bit values, as OpenCV's getThreshVal_Otsu_8u: the first level t that
 * maximises the between-class variance of {≤ t} and {> t} (0 when every value is the same).
 */
export function otsuThreshold(u: ArrayLike<number>): number {
  const h = new Float64Array(256);
  for (let i = 0; i < u.length; i++) h[u[i]]++;
  const scale = 1 / u.length;
  let mu = 0;
  for (let i = 0; i < 256; i++) mu += i * h[i] * scale;
  let mu1 = 0, q1 = 0, maxSigma = 0, maxVal = 0;
  const eps = 1.1920929e-7; // FLT_EPSILON
  for (let i = 0; i < 256; i++) {
    const p = h[i] * scale;
    mu1 *= q1;
    q1 += p;
    const q2 = 1 - q1;
    if (Math.min(q1, q2) < eps || Math.max(q1, q2) > 1 - eps) continue;
    mu1 = (mu1 + i * p) / q1;
    const mu2 = (mu - q1 * mu1) / q2;
    const sigma = q1 * q2 * (mu1 - mu2) * (mu1 - mu2);
    if (sigma > maxSigma) {
      maxSigma = sigma;
      maxVal = i;
    }
  }
  return maxVal;
}

/** A map in [0, 1] as numpy's uint8(map·255) in float32 (truncation; clamped to 0…255). */
export function toUint8(v: ArrayLike<number>): Uint8Array {
  return Uint8Array.from({ length: v.length }, (_, i) => Math.min(255, Math.max(0, Math.trunc(Math.fround(v[i] * 255)))));
}

/**
 * The pixels kept (1) for one ROAD threshold on `v` (the map for MoRF, 1 − map for LeRF): below the
 * percentile; or, for 'auto', at or below Otsu's threshold ('camkit') or above it ('pytorch-grad-cam').
 */
export function roadKeep(v: ArrayLike<number>, p: RoadPercentile, otsu: 'camkit' | 'pytorch-grad-cam' = 'camkit'): Uint8Array {
  const keep = new Uint8Array(v.length);
  if (p === 'auto') {
    const u = toUint8(v);
    const t = otsuThreshold(u);
    for (let i = 0; i < v.length; i++) keep[i] = (otsu === 'camkit' ? u[i] <= t : u[i] > t) ? 1 : 0;
    return keep;
  }
  const t = percentile(v, p);
  for (let i = 0; i < v.length; i++) keep[i] = v[i] < t ? 1 : 0;
  return keep;
}

const NEIGHBOURS: ReadonlyArray<readonly [number, number, number]> = [
  [1, 1, 1 / 12], [0, 1, 1 / 6], [-1, 1, 1 / 12], [1, -1, 1 / 12],
  [0, -1, 1 / 6], [-1, -1, 1 / 12], [1, 0, 1 / 6], [-1, 0, 1 / 6],
];

/** numpy.percentile with linear interpolation. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const s = Float64Array.from(values as ArrayLike<number>).sort();
  const r = (p / 100) * (s.length - 1);
  const lo = Math.floor(r), hi = Math.min(lo + 1, s.length - 1);
  return s[lo] + (s[hi] - s[lo]) * (r - lo);
}

/**
 * Noisy linear imputation of one HWC image in place: pixels with keep[p] = 0 are replaced.
 * Returns the number of conjugate-gradient iterations of the slowest channel.
 */
export function imputeLinear(img: Float32Array, keep: Uint8Array, H: number, W: number, C: number, noise: number, rand: () => number, tol = 1e-6): number {
  const P = H * W;
  const idx = new Int32Array(P).fill(-1);
  const unknown: number[] = [];
  for (let p = 0; p < P; p++) if (!keep[p]) idx[p] = unknown.push(p) - 1;
  const n = unknown.length;
  if (n === 0) return 0;
  if (n === P) {
    // nothing kept (e.g. a constant map at MoRF): the system is singular; use the channel means
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let p = 0; p < P; p++) s += img[p * C + c];
      for (let p = 0; p < P; p++) img[p * C + c] = s / P + (noise ? noise * gauss(rand) : 0);
    }
    return 0;
  }
  // sparse rows: diagonal s_i (sum of in-image neighbour weights), off-diagonals −w to unknown neighbours
  const diag = new Float64Array(n);
  const nbr = new Int32Array(n * 8).fill(-1);
  const nw = new Float64Array(n * 8);
  const rhs = new Float64Array(n * C);
  for (let i = 0; i < n; i++) {
    const p = unknown[i], y = Math.floor(p / W), x = p % W;
    for (let k = 0; k < 8; k++) {
      const [dy, dx, w] = NEIGHBOURS[k];
      const yy = y + dy, xx = x + dx;
      if (yy < 0 || xx < 0 || yy >= H || xx >= W) continue;
      diag[i] += w;
      const q = yy * W + xx;
      if (idx[q] >= 0) {
        nbr[i * 8 + k] = idx[q];
        nw[i * 8 + k] = w;
      } else for (let c = 0; c < C; c++) rhs[i * C + c] += w * img[q * C + c];
    }
  }
  let maxIt = 0;
  const x = new Float64Array(n), r = new Float64Array(n), d = new Float64Array(n), Ad = new Float64Array(n);
  const mul = (v: Float64Array, out: Float64Array) => {
    for (let i = 0; i < n; i++) {
      let s = diag[i] * v[i];
      for (let k = 0; k < 8; k++) {
        const j = nbr[i * 8 + k];
        if (j >= 0) s -= nw[i * 8 + k] * v[j];
      }
      out[i] = s;
    }
  };
  for (let c = 0; c < C; c++) {
    // start from b/s (each pixel = its known neighbours' share), then CG on (S − W) x = b
    let bnorm = 0;
    for (let i = 0; i < n; i++) {
      x[i] = rhs[i * C + c] / diag[i];
      bnorm += rhs[i * C + c] ** 2;
    }
    mul(x, Ad);
    let rr = 0;
    for (let i = 0; i < n; i++) {
      r[i] = rhs[i * C + c] - Ad[i];
      d[i] = r[i];
      rr += r[i] * r[i];
    }
    const stop = tol * tol * Math.max(bnorm, 1e-30);
    let it = 0;
    for (; it < 10 * n + 100 && rr > stop; it++) {
      mul(d, Ad);
      let dAd = 0;
      for (let i = 0; i < n; i++) dAd += d[i] * Ad[i];
      const a = rr / dAd;
      let rr2 = 0;
      for (let i = 0; i < n; i++) {
        x[i] += a * d[i];
        r[i] -= a * Ad[i];
        rr2 += r[i] * r[i];
      }
      const beta = rr2 / rr;
      rr = rr2;
      for (let i = 0; i < n; i++) d[i] = r[i] + beta * d[i];
    }
    maxIt = Math.max(maxIt, it);
    for (let i = 0; i < n; i++) img[unknown[i] * C + c] = x[i];
  }
  // noise per removed pixel and channel, after the solve (as the reference adds it to the solution)
  if (noise) for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) img[unknown[i] * C + c] += noise * gauss(rand);
  return maxIt;
}


/** Both ROAD orders over the percentiles; the model sees n·|percentiles|·2 imputed images. */
export async function road(model: MetricModel, images: tf.Tensor, maps: MapsInput, opts: RoadOptions = {}): Promise<RoadResult> {
  const [n, H, W, C] = checkImages(images);
  checkTargets(opts.targets, n);
  const pcts = [...(opts.percentiles ?? [10, 20, 30, 40, 50, 60, 70, 80, 90])];
  if (!pcts.length || pcts.some((p) => p !== 'auto' && !(typeof p === 'number' && p >= 0 && p <= 100))) throw new OptionError("percentiles must be numbers in [0, 100] or 'auto'.");
  const otsu = opts.otsu ?? 'camkit';
  if (otsu !== 'camkit' && otsu !== 'pytorch-grad-cam') throw new OptionError(`otsu must be 'camkit' or 'pytorch-grad-cam', got ${String(otsu)}.`);
  const noise = opts.noise ?? 0.01;
  if (!(noise >= 0)) throw new OptionError(`noise must be ≥ 0, got ${noise}.`);
  const scorer = new Scorer(model, opts);
  const m = await mapsAt(maps, n, H, W);
  const px = (await images.data()) as Float32Array;
  const P = H * W, per = P * C;
  const rand = rng(opts.seed ?? 0);
  const orig = await scorer.score(n, [H, W, C], (s, k) => px.slice(s * per, (s + k) * per), opts.targets);
  // jobs: (image, order 0 = MoRF / 1 = LeRF, percentile index); imputed lazily per batch
  const jobs: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++) for (let o = 0; o < 2; o++) for (let j = 0; j < pcts.length; j++) jobs.push([i, o, j]);
  // kept = value below the threshold, on the map (MoRF) or on 1 − map (LeRF)
  const views = (i: number, o: number) => {
    const v = m.subarray(i * P, (i + 1) * P);
    return o === 0 ? v : Float32Array.from(v, (a) => 1 - a);
  };
  const res = await scorer.score(
    jobs.length,
    [H, W, C],
    (s, k) => {
      const out = new Float32Array(k * per);
      for (let q = 0; q < k; q++) {
        const [i, o, j] = jobs[s + q];
        const keep = roadKeep(views(i, o), pcts[j], otsu);
        const img = px.slice(i * per, (i + 1) * per);
        imputeLinear(img, keep, H, W, C, noise, rand);
        out.set(img, q * per);
      }
      return out;
    },
    jobs.map(([i]) => orig.target[i]),
  );
  const morfBy = new Float32Array(pcts.length), lerfBy = new Float32Array(pcts.length);
  const morfI = new Float32Array(n), lerfI = new Float32Array(n);
  jobs.forEach(([i, o, j], q) => {
    const diff = res.score[q] - orig.score[i];
    (o === 0 ? morfBy : lerfBy)[j] += diff / n;
    (o === 0 ? morfI : lerfI)[i] += diff / pcts.length;
  });
  const morf = mean(morfBy), lerf = mean(lerfBy);
  return {
    morf, lerf, combined: (lerf - morf) / 2, morfByPercentile: morfBy, lerfByPercentile: lerfBy,
    morfPerImage: morfI, lerfPerImage: lerfI, combinedPerImage: Float32Array.from(morfI, (v, i) => (lerfI[i] - v) / 2),
    percentiles: pcts, targets: orig.target,
  };
}
