// Known-answer tests of camkit/metrics on tiny function models whose scores are simple pixel sums.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CamkitError } from '../../src/errors.js';
import { expectNoLeak as noLeak } from '../helpers/leaks.js';
import { confidenceChange, deletionInsertion, energyPointingGame, imputeLinear, percentile, pointingGame, road, type Box } from '../../src/metrics/index.js';
import tol from '../tolerances.json' with { type: 'json' };

const H = 8, W = 8;
/** Region R: rows 0–1, columns 0–3 (8 pixels). */
const inR = (p: number) => Math.floor(p / W) < 2 && p % W < 4;
const rMask = tf.tensor4d(Float32Array.from({ length: H * W }, (_, p) => (inR(p) ? 1 : 0)), [1, H, W, 1]);
/** Two "classes": class 0 = mean of channel 0 over R, class 1 = mean of channel 0 outside R. */
const model = (x: tf.Tensor) =>
  tf.tidy(() => {
    const c0 = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]);
    const a = tf.div(tf.sum(tf.mul(c0, rMask), [1, 2, 3]), 8);
    const b = tf.div(tf.sum(tf.mul(c0, tf.sub(1, rMask)), [1, 2, 3]), H * W - 8);
    return tf.stack([a, b], 1);
  });
const mapOf = (f: (p: number) => number) => ({ width: W, height: H, values: Float32Array.from({ length: H * W }, (_, p) => f(p)) });
const ones = () => tf.ones([1, H, W, 3]);
const boxR: Box = { x0: 0, y0: 0, x1: 4, y1: 2 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('pointing game', () => {
  it('a map equal to the box scores 1, its inverse 0', async () => {
    const box = mapOf((p) => (inR(p) ? 1 : 0));
    const inv = mapOf((p) => (inR(p) ? 0 : 1));
    expect((await pointingGame([box], [[boxR]])).accuracy).toBe(1);
    expect((await pointingGame([inv], [[boxR]])).accuracy).toBe(0);
    expect((await energyPointingGame([box], [[boxR]])).energy).toBeCloseTo(1, 6);
    expect((await energyPointingGame([inv], [[boxR]])).energy).toBe(0);
    // uniform map: the energy share is the box's area share
    expect((await energyPointingGame([mapOf(() => 0.3)], [[boxR]])).energy).toBeCloseTo(8 / 64, 6);
  });

  it('counts hits per map, with tolerance, any of several boxes, and resizes maps to the box grid', async () => {
    const peak = (x: number, y: number) => mapOf((p) => (p === y * W + x ? 1 : 0));
    const far: Box = { x0: 6, y0: 6, x1: 8, y1: 8 };
    // default tolerance: Zhang et al.'s 15 px at 224², i.e. 15·8/224 ≈ 0.54 px on this 8×8 grid
    const r = await pointingGame([peak(1, 1), peak(6, 0), peak(7, 7), peak(5, 1)], [[boxR], [boxR], [boxR, far], [boxR]]);
    expect(r.tolerance).toBeCloseTo(15 * 8 / 224, 9);
    expect(Array.from(r.hits)).toEqual([1, 0, 1, 0]);
    expect(r.accuracy).toBe(0.5);
    expect(r.points[1]).toEqual([6, 0]);
    // (5,1) is 2 px right of the box's last column (x = 3)
    expect((await pointingGame([peak(5, 1)], [[boxR]], { tolerance: 2 })).accuracy).toBe(1);
    expect((await pointingGame([peak(5, 1)], [[boxR]], { tolerance: 1.5 })).accuracy).toBe(0);
    // a 4×4 map evaluated on the 8×8 grid of the boxes
    const small = { width: 4, height: 4, values: Float32Array.from({ length: 16 }, (_, p) => (p === 0 ? 1 : 0)) };
    expect((await pointingGame([small], [[{ x0: 0, y0: 0, x1: 2, y1: 2 }]], { width: 8, height: 8 })).accuracy).toBe(1);
  });

  it('rejects bad boxes and counts with typed errors', async () => {
    await expect(pointingGame([mapOf(() => 0)], [])).rejects.toMatchObject({ code: 'E_SHAPE' });
    await expect(pointingGame([mapOf(() => 0)], [[{ x0: 3, y0: 0, x1: 3, y1: 2 }]])).rejects.toBeInstanceOf(CamkitError);
    await expect(energyPointingGame([mapOf(() => 0)], [[]])).rejects.toMatchObject({ code: 'E_EMPTY' });
  });
});

describe('Average Drop / Increase in Confidence', () => {
  it('known answers for the three variants (logit scores)', async () => {
    const x = ones();
    const x4 = tf.mul(x, 4) as tf.Tensor;
    await noLeak(async () => {
      const keep = mapOf((p) => (inR(p) ? 1 : 0));
      const half = mapOf(() => 0.5);
      const kill = mapOf((p) => (inR(p) ? 0 : 1));
      const r = await confidenceChange(model, x, [keep], { targets: [0], scores: 'logits' });
      expect(r.original[0]).toBeCloseTo(1, 6);
      expect(r.averageDrop).toBeCloseTo(0, 6);
      expect(r.increaseInConfidence).toBe(0);
      expect((await confidenceChange(model, x, [half], { targets: [0], scores: 'logits' })).averageDrop).toBeCloseTo(0.5, 6);
      expect((await confidenceChange(model, x, [kill], { targets: [0], scores: 'logits' })).averageDrop).toBeCloseTo(1, 6);
      // torchcam divides by Y + 1e-7; pytorch-grad-cam does not divide at all
      const tc = await confidenceChange(model, x4, [half], { targets: [0], scores: 'logits', variant: 'torchcam' });
      expect(tc.averageDrop).toBeCloseTo(2 / (4 + 1e-7), 6);
      const pg = await confidenceChange(model, x4, [half], { targets: [0], scores: 'logits', variant: 'pytorch-grad-cam' });
      expect(pg.averageDrop).toBeCloseTo(2, 5);
    });
    tf.dispose([x, x4]);
  });

  it('increase counts images whose score rose; default target is the arg max; batching does not change results', async () => {
    // image 0: R dark, outside bright → top class 1; a map that keeps only outside raises nothing, a map
    // dimming R raises class-1 share under softmax
    const v = new Float32Array(2 * H * W * 3);
    for (let i = 0; i < 2; i++) for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) v[(i * H * W + p) * 3 + c] = inR(p) ? (i === 0 ? 0.2 : 1) : i === 0 ? 1 : 0.1;
    const x = tf.tensor4d(v, [2, H, W, 3]);
    const maps = [mapOf((p) => (inR(p) ? 0 : 1)), mapOf((p) => (inR(p) ? 1 : 0))];
    await noLeak(async () => {
      const a = await confidenceChange(model, x, maps, { batchSize: 1 });
      const b = await confidenceChange(model, x, maps, { batchSize: 32 });
      expect(Array.from(a.targets)).toEqual([1, 0]);
      // softmax of [0, 1] → [0.2·…]: removing the competitor's evidence raises the target probability
      expect(Array.from(a.increase)).toEqual([1, 1]);
      expect(a.increaseInConfidence).toBe(1);
      expect(a.averageDrop).toBe(0);
      expect(Array.from(a.masked)).toEqual(Array.from(b.masked));
    });
    x.dispose();
  });

  it('validates before allocating and never leaks, also when the target is out of range', async () => {
    const x = ones();
    await noLeak(async () => {
      await expect(confidenceChange(model, x, [mapOf(() => 1)], { targets: [0, 1] })).rejects.toMatchObject({ code: 'E_SHAPE' });
      await expect(confidenceChange(model, x, [mapOf(() => 1)], { targets: [5] })).rejects.toMatchObject({ code: 'E_TARGET' });
      await expect(confidenceChange(model, x, [mapOf(() => 1)], { variant: 'nope' as never })).rejects.toMatchObject({ code: 'E_UNKNOWN_NAME' });
      await expect(confidenceChange(model, x, [{ width: 3, height: 3, values: new Float32Array(4) }])).rejects.toMatchObject({ code: 'E_SHAPE' });
    });
    x.dispose();
  });
});

describe('deletion / insertion (torchcam conventions)', () => {
  const good = mapOf((p) => (inR(p) ? 2 : 1 - p / 100));
  const bad = mapOf((p) => (inR(p) ? -1 : p / 100));

  it('known curves: 64 positions, 4 steps of 16; R holds 8 of the first 16', async () => {
    const x = ones();
    await noLeak(async () => {
      const g = await deletionInsertion(model, x, [good], { targets: [0], scores: 'logits', steps: 4 });
      expect(Array.from(g.fractions)).toEqual([0, 0.25, 0.5, 0.75, 1]);
      // deleting the top 16 removes all of R at once
      expect(Array.from(g.deletionCurve)).toEqual([1, 0, 0, 0, 0]);
      expect(Array.from(g.insertionCurve)).toEqual([0, 1, 1, 1, 1]);
      expect(g.deletion).toBeCloseTo(0.125, 6);
      expect(g.insertion).toBeCloseTo(0.875, 6);
      const b = await deletionInsertion(model, x, [bad], { targets: [0], scores: 'logits', steps: 4 });
      expect(Array.from(b.deletionCurve)).toEqual([1, 1, 1, 1, 0]);
      expect(b.deletion).toBeCloseTo(0.875, 6);
      expect(b.insertion).toBeCloseTo(0.125, 6);
      // a constant baseline of 0.5 halves what is removed
      const c = await deletionInsertion(model, x, [good], { targets: [0], scores: 'logits', steps: 4, baseline: 0.5 });
      expect(Array.from(c.deletionCurve)).toEqual([1, 0.5, 0.5, 0.5, 0.5]);
      // a callable baseline is disposed after use
      const d = await deletionInsertion(model, x, [good], { targets: [0], scores: 'logits', steps: 4, baseline: (im) => tf.mul(im, 0.25) });
      expect(d.deletionCurve[1]).toBeCloseTo(0.25, 6);
    });
    x.dispose();
  });

  it('defaults to ≤ 20 steps (ceil(P/20) positions each) and agrees across batch sizes', async () => {
    const x = ones();
    await noLeak(async () => {
      const a = await deletionInsertion(model, x, [good], { targets: [0], scores: 'logits', batchSize: 3 });
      const b = await deletionInsertion(model, x, [good], { targets: [0], scores: 'logits' });
      expect(a.fractions.length).toBe(Math.ceil(64 / Math.ceil(64 / 20)) + 1);
      expect(Array.from(a.deletionCurve)).toEqual(Array.from(b.deletionCurve));
      expect(a.deletion).toBeLessThan(b.insertion);
    });
    x.dispose();
  });
});

describe('ROAD', () => {
  it('percentile matches numpy (linear interpolation)', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile(Array.from({ length: 10 }, (_, i) => i + 1), 10)).toBeCloseTo(1.9, 12);
    expect(percentile([5], 90)).toBe(5);
  });

  it('linear imputation reproduces a linear image exactly (no noise) and converges on a random mask', () => {
    const h = 12, w = 15, C = 2;
    const img = new Float32Array(h * w * C);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < C; c++) img[(y * w + x) * C + c] = 0.1 * x - 0.05 * y + c;
    const keep = new Uint8Array(h * w).fill(1);
    // an interior block and a few scattered interior pixels are removed
    for (let y = 3; y < 9; y++) for (let x = 4; x < 11; x++) keep[y * w + x] = 0;
    keep[1 * w + 13] = 0;
    keep[10 * w + 2] = 0;
    const got = img.slice();
    for (let p = 0; p < h * w; p++) if (!keep[p]) for (let c = 0; c < C; c++) got[p * C + c] = 99;
    imputeLinear(got, keep, h, w, C, 0, Math.random);
    let err = 0;
    for (let i = 0; i < img.length; i++) err = Math.max(err, Math.abs(got[i] - img[i]));
    expect(err).toBeLessThan(tol.metrics_road_impute_abs);
  });

  it('each removed pixel equals the weighted mean of its 8 neighbours (edges 1/6, diagonals 1/12, border renormalised)', () => {
    const h = 9, w = 7;
    let s = 7;
    const rand = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    const img = Float32Array.from({ length: h * w }, () => rand());
    const keep = Uint8Array.from({ length: h * w }, () => (rand() < 0.5 ? 1 : 0));
    keep[0] = 0; // a corner: only 3 neighbours inside the image
    keep[h * w - 1] = 1;
    imputeLinear(img, keep, h, w, 1, 0, rand);
    let worst = 0;
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        if (keep[y * w + x]) continue;
        let num = 0, den = 0;
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            if (!dx && !dy) continue;
            const yy = y + dy, xx = x + dx;
            if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
            const wt = dx && dy ? 1 / 12 : 1 / 6;
            num += wt * img[yy * w + xx];
            den += wt;
          }
        worst = Math.max(worst, Math.abs(img[y * w + x] - num / den));
      }
    expect(worst).toBeLessThan(tol.metrics_road_impute_abs);
  });

  it('removing the evidence first (MoRF) hurts more than removing the rest (LeRF)', async () => {
    const v = new Float32Array(H * W * 3);
    for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) v[p * 3 + c] = inR(p) ? 1 : 0;
    const x = tf.tensor4d(v, [1, H, W, 3]);
    await noLeak(async () => {
      const good = mapOf((p) => (inR(p) ? 1 + p / 1000 : 0.1 + p / 1000));
      const r = await road(model, x, [good], { targets: [0], scores: 'logits', seed: 1 });
      expect(r.percentiles).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
      // MoRF removes R from p = 10 to 80 (it is the top 12.5%): the score falls to about the noise
      expect(r.morf).toBeLessThan(-0.6);
      // LeRF keeps R except at p = 10, where only the top 10% of positions stay
      expect(r.lerf).toBeGreaterThan(-0.15);
      expect(r.lerfByPercentile[8]).toBeCloseTo(0, 1);
      expect(r.combined).toBeCloseTo((r.lerf - r.morf) / 2, 6);
      const inv = mapOf((p) => (inR(p) ? 0 : 0.5 + p / 1000));
      const ri = await road(model, x, [inv], { targets: [0], scores: 'logits', seed: 1 });
      expect(ri.combined).toBeLessThan(r.combined);
      // same seed, same noise, same result
      const again = await road(model, x, [good], { targets: [0], scores: 'logits', seed: 1 });
      expect(again.morf).toBe(r.morf);
    });
    x.dispose();
  });
});
