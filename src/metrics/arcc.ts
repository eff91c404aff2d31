// ARCC (pytorch-grad-cam's metrics/arcc.py): the harmonic mean of Coherency, 1 − Complexity and the
// ROAD combined score (×2, clipped to [0, 1]), per image. Complexity = mean |map| (the L1 norm over the
// pixel count); Coherency = (Pearson(map of image × map, map) + 1)/2, where the second map comes from
// re-running the explanation on the masked image (you pass that function: camkit/metrics has no
// model plumbing of its own); ROAD with percentiles [20, 40, 60, 80] by default.
import * as tf from '@tensorflow/tfjs-core';
import { InputError, OptionError } from '../errors.js';
import { checkImages, checkTargets, mapsAt, mean, type MapsInput, type MetricModel } from './common.js';
import { road, type RoadOptions, type RoadPercentile } from './road.js';

/** Per image: mean |map| over its pixels (0 for an empty map, 1 for an all-ones map). */
export function complexity(maps: Float32Array, n: number): Float32Array {
  if (!(n >= 1) || maps.length % n !== 0) throw new InputError('E_SHAPE', `complexity: ${maps.length} values do not split into ${n} maps.`);
  const P = maps.length / n;
  return Float32Array.from({ length: n }, (_, i) => {
    let s = 0;
    for (let p = 0; p < P; p++) s += Math.abs(maps[i * P + p]);
    return s / P;
  });
}

/** Per image Pearson correlation of two map sets (sample std, ddof 1, +1e-8 in the denominator as the reference). */
export function pearson(a: Float32Array, b: Float32Array, n: number): Float32Array {
  if (a.length !== b.length || a.length % n !== 0) throw new InputError('E_SHAPE', 'pearson: the two map sets differ in size.');
  const P = a.length / n;
  return Float32Array.from({ length: n }, (_, i) => {
    let ma = 0, mb = 0;
    for (let p = 0; p < P; p++) (ma += a[i * P + p]), (mb += b[i * P + p]);
    ma /= P;
    mb /= P;
    let c = 0, va = 0, vb = 0;
    for (let p = 0; p < P; p++) {
      const x = a[i * P + p] - ma, y = b[i * P + p] - mb;
      c += x * y;
      va += x * x;
      vb += y * y;
    }
    const d = Math.max(P - 1, 1);
    return c / d / (Math.sqrt(va / d) * Math.sqrt(vb / d) + 1e-8);
  });
}

export interface ArccOptions extends Omit<RoadOptions, 'percentiles'> {
  /**
   * The explanation re-run on the masked images (image × map), with the same method and targets:
   * e.g. `(x) => explain(model, x, { method, target: classes })`. Its maps are resized to the image size.
   */
  explain: (masked: tf.Tensor4D) => Promise<MapsInput>;
  /** ROAD thresholds. Default [20, 40, 60, 80] (pytorch-grad-cam's ARCC). */
  percentiles?: readonly RoadPercentile[];
}

export interface ArccResult {
  /** Means over the images. */
  arcc: number;
  complexity: number;
  coherency: number;
  /** ROAD combined, (LeRF − MoRF)/2, before scaling. */
  road: number;
  /** Per image. */
  arccPerImage: Float32Array;
  complexityPerImage: Float32Array;
  coherencyPerImage: Float32Array;
  roadPerImage: Float32Array;
  targets: Int32Array;
}

/** 3 / (1/(coherency + ε) + 1/(1 − complexity + ε) + 1/(clip(2·road, 0, 1) + ε)), ε = 1e-8. */
export function arccScore(coherency: number, complexity: number, road: number): number {
  const r = Math.min(Math.max(2 * road, 0), 1);
  return 3 / (1 / (coherency + 1e-8) + 1 / (1 - complexity + 1e-8) + 1 / (r + 1e-8));
}

/** ARCC of `maps` for `images` on `model` (see the file comment). The model sees the ROAD images; `explain` the masked ones. */
export async function arcc(model: MetricModel, images: tf.Tensor, maps: MapsInput, opts: ArccOptions): Promise<ArccResult> {
  const [n, H, W, C] = checkImages(images);
  checkTargets(opts.targets, n);
  if (!opts || typeof opts.explain !== 'function') throw new OptionError('arcc needs `explain`: a function that explains the masked images with the same method and targets.');
  const m = await mapsAt(maps, n, H, W);
  const cx = complexity(m, n);
  // Coherency: the explanation of image × map (broadcast over channels).
  const px = (await images.data()) as Float32Array;
  const P = H * W;
  const masked = new Float32Array(px.length);
  for (let p = 0; p < n * P; p++) for (let c = 0; c < C; c++) masked[p * C + c] = px[p * C + c] * m[p];
  const xm = tf.tensor4d(masked, [n, H, W, C]);
  let m2: Float32Array;
  try {
    m2 = await mapsAt(await opts.explain(xm), n, H, W);
  } finally {
    xm.dispose();
  }
  const coh = Float32Array.from(pearson(m2, m, n), (r) => (r + 1) / 2);
  const { explain: _e, ...roadOpts } = opts;
  const rd = await road(model, images, { map: m, n, width: W, height: H }, { ...roadOpts, percentiles: opts.percentiles ?? [20, 40, 60, 80] });
  const per = Float32Array.from({ length: n }, (_, i) => arccScore(coh[i], cx[i], rd.combinedPerImage[i]));
  return {
    arcc: mean(per), complexity: mean(cx), coherency: mean(coh), road: mean(rd.combinedPerImage),
    arccPerImage: per, complexityPerImage: cx, coherencyPerImage: coh, roadPerImage: rd.combinedPerImage, targets: rd.targets,
  };
}
