// ROAD: RemOve And Debias (Rong et al., 2022) as pytorch-grad-cam's ROADMostRelevantFirst /
// ROADLeastRelevantFirst with NoisyLinearImputer. Removed pixels are infilled with the solution of
// "each removed pixel = weighted mean of its 8 neighbours" (edges 1/6, diagonals 1/12; weights of
// neighbours outside the image drop out), solved here by conjugate gradients (the system is
// symmetric positive definite whenever some pixel is kept), plus noise·N(0,1).
import type * as tf from '@tensorflow/tfjs-core';
import { OptionError } from '../errors.js';
import { gauss, rng } from '../core/random.js';
import { Scorer, checkImages, checkTargets, mapsAt, mean, type MapsInput, type MetricModel, type ScoreOptions } from './common.js';

export interface RoadOptions extends ScoreOptions {
  targets?: readonly number[];
  /** Default [10, 20, …, 90]. */
  percentiles?: readonly number[];
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
  percentiles: number[];
  targets: Int32Array;
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
  if (!pcts.length || pcts.some((p) => !(p >= 0 && p <= 100))) throw new OptionError('percentiles must be numbers in [0, 100].');
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
  const thresholds = new Float64Array(n * 2 * pcts.length);
  for (let i = 0; i < n; i++) {
    const v = m.subarray(i * P, (i + 1) * P);
    const inv = Float32Array.from(v, (a) => 1 - a);
    pcts.forEach((p, j) => {
      thresholds[(i * 2 + 0) * pcts.length + j] = percentile(v, p);
      thresholds[(i * 2 + 1) * pcts.length + j] = percentile(inv, p);
    });
  }
  const res = await scorer.score(
    jobs.length,
    [H, W, C],
    (s, k) => {
      const out = new Float32Array(k * per);
      const keep = new Uint8Array(P);
      for (let q = 0; q < k; q++) {
        const [i, o, j] = jobs[s + q];
        const t = thresholds[(i * 2 + o) * pcts.length + j];
        // kept = value below the percentile (MoRF on the map, LeRF on 1 − map)
        for (let p = 0; p < P; p++) keep[p] = (o === 0 ? m[i * P + p] : 1 - m[i * P + p]) < t ? 1 : 0;
        const img = px.slice(i * per, (i + 1) * per);
        imputeLinear(img, keep, H, W, C, noise, rand);
        out.set(img, q * per);
      }
      return out;
    },
    jobs.map(([i]) => orig.target[i]),
  );
  const morfBy = new Float32Array(pcts.length), lerfBy = new Float32Array(pcts.length);
  jobs.forEach(([i, o, j], q) => {
    const diff = res.score[q] - orig.score[i];
    (o === 0 ? morfBy : lerfBy)[j] += diff / n;
  });
  const morf = mean(morfBy), lerf = mean(lerfBy);
  return { morf, lerf, combined: (lerf - morf) / 2, morfByPercentile: morfBy, lerfByPercentile: lerfBy, percentiles: pcts, targets: orig.target };
}
