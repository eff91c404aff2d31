// Average Drop and Increase in Confidence (Chattopadhay et al., Grad-CAM++, 2018): the image is
// multiplied by its map and fed back; Y = score of the original, O = score of image × map.
import type * as tf from '@tensorflow/tfjs-core';
import { NameError } from '../errors.js';
import { Scorer, checkImages, checkTargets, mapsAt, mean, type MapsInput, type MetricModel, type ScoreOptions } from './common.js';

/**
 * 'gradcampp' (default, the paper): drop = max(0, Y − O) / Y, increase = O > Y.
 * 'torchcam' (ClassificationMetric): drop = relu(Y − O) / (Y + 1e-7), increase = Y < O.
 * 'pytorch-grad-cam' (DropInConfidence / IncreaseInConfidence): drop = max(0, Y − O) (not divided), increase = O − Y > 0.
 */
export type ConfidenceVariant = 'gradcampp' | 'torchcam' | 'pytorch-grad-cam';

export interface ConfidenceOptions extends ScoreOptions {
  /** One class per image; default the arg max of each original image's scores. */
  targets?: readonly number[];
  variant?: ConfidenceVariant;
}

export interface ConfidenceResult {
  /** Mean drop over the images (a fraction; the paper prints it ×100). Lower is better. */
  averageDrop: number;
  /** Share of images whose score rose. Higher is better. */
  increaseInConfidence: number;
  /** Per image: original score Y, masked score O, drop, increase (0/1), target class. */
  original: Float32Array;
  masked: Float32Array;
  drop: Float32Array;
  increase: Uint8Array;
  targets: Int32Array;
}

const VARIANTS: readonly ConfidenceVariant[] = ['gradcampp', 'torchcam', 'pytorch-grad-cam'];

export async function confidenceChange(model: MetricModel, images: tf.Tensor, maps: MapsInput, opts: ConfidenceOptions = {}): Promise<ConfidenceResult> {
  const [n, H, W, C] = checkImages(images);
  checkTargets(opts.targets, n);
  const variant = opts.variant ?? 'gradcampp';
  if (!VARIANTS.includes(variant)) throw new NameError('variant', String(variant), VARIANTS);
  const scorer = new Scorer(model, opts);
  const m = await mapsAt(maps, n, H, W);
  const px = (await images.data()) as Float32Array;
  const per = H * W * C;
  const base = await scorer.score(n, [H, W, C], (s, k) => px.slice(s * per, (s + k) * per), opts.targets);
  const masked = await scorer.score(
    n,
    [H, W, C],
    (s, k) => {
      const out = px.slice(s * per, (s + k) * per);
      for (let i = 0; i < k; i++)
        for (let p = 0; p < H * W; p++) {
          const v = m[(s + i) * H * W + p];
          for (let c = 0; c < C; c++) out[(i * H * W + p) * C + c] *= v;
        }
      return out;
    },
    Array.from(base.target),
  );
  const drop = new Float32Array(n);
  const increase = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const Y = base.score[i], O = masked.score[i];
    const d = Math.max(0, Y - O);
    drop[i] = variant === 'gradcampp' ? d / Y : variant === 'torchcam' ? d / (Y + 1e-7) : d;
    increase[i] = O > Y ? 1 : 0;
  }
  return { averageDrop: mean(drop), increaseInConfidence: mean(increase), original: base.score, masked: masked.score, drop, increase, targets: base.target };
}

export interface ConfidenceChangeResult {
  /** Mean over images of score(image × map) − score(image). */
  mean: number;
  /** Per image: score(image × map) − score(image) (pytorch-grad-cam's CamMultImageConfidenceChange). */
  change: Float32Array;
  /** Per image: max(−change, 0) (DropInConfidence) and change > 0 (IncreaseInConfidence). */
  dropInConfidence: Float32Array;
  increaseInConfidence: Uint8Array;
  original: Float32Array;
  masked: Float32Array;
  targets: Int32Array;
}

/**
 * pytorch-grad-cam's CamMultImageConfidenceChange: each image multiplied by its map (broadcast over
 * channels, at the image size), fed back; the signed change of the target score, per image.
 * Scores as the other metrics (`scores`, default softmax probabilities; 'logits' for the raw output,
 * pytorch-grad-cam's ClassifierOutputTarget).
 */
export async function camMultImageConfidenceChange(model: MetricModel, images: tf.Tensor, maps: MapsInput, opts: ConfidenceOptions = {}): Promise<ConfidenceChangeResult> {
  const r = await confidenceChange(model, images, maps, { ...opts, variant: 'pytorch-grad-cam' });
  const change = Float32Array.from(r.masked, (o, i) => o - r.original[i]);
  return {
    mean: mean(change),
    change,
    dropInConfidence: Float32Array.from(change, (d) => Math.max(-d, 0)),
    increaseInConfidence: Uint8Array.from(change, (d) => (d > 0 ? 1 : 0)),
    original: r.original,
    masked: r.masked,
    targets: r.targets,
  };
}
