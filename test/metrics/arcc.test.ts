// pytorch-grad-cam main's metrics: CamMultImageConfidenceChange, ROAD with percentile lists and
// 'auto' (Otsu) thresholds, ARCC (complexity, coherency, ROAD). No reference data exists for these
// in ../shared/golden: hand-computed small cases and brute-force formulations.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { OptionError } from '../../src/errors.js';
import { expectNoLeak as noLeak } from '../helpers/leaks.js';
import {
  arcc, arccScore, camMultImageConfidenceChange, complexity, otsuThreshold, pearson, road, roadKeep, toUint8,
} from '../../src/metrics/index.js';

const H = 8, W = 8;
const inR = (p: number) => Math.floor(p / W) < 2 && p % W < 4;
const rMask = tf.tensor4d(Float32Array.from({ length: H * W }, (_, p) => (inR(p) ? 1 : 0)), [1, H, W, 1]);
/** class 0 = mean of channel 0 over R (8 pixels), class 1 = mean of channel 0 outside R. */
const model = (x: tf.Tensor) =>
  tf.tidy(() => {
    const c0 = tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, 1]);
    const a = tf.div(tf.sum(tf.mul(c0, rMask), [1, 2, 3]), 8);
    const b = tf.div(tf.sum(tf.mul(c0, tf.sub(1, rMask)), [1, 2, 3]), H * W - 8);
    return tf.stack([a, b], 1);
  });
const mapOf = (f: (p: number) => number) => ({ width: W, height: H, values: Float32Array.from({ length: H * W }, (_, p) => f(p)) });

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('CamMultImageConfidenceChange', () => {
  it('score(x·cam) − score(x) per image, hand-computed; drop and increase as DropInConfidence / IncreaseInConfidence', async () => {
    const x = tf.ones([2, H, W, 3]);
    await noLeak(async () => {
      // image 0: map 0.5 on R → class 0 falls from 1 to 0.5; image 1: map 1 on R, 0 elsewhere → unchanged
      const maps = [mapOf((p) => (inR(p) ? 0.5 : 1)), mapOf((p) => (inR(p) ? 1 : 0))];
      const r = await camMultImageConfidenceChange(model, x, maps, { targets: [0, 0], scores: 'logits' });
      expect(Array.from(r.change)).toEqual([-0.5, 0]);
      expect(r.mean).toBeCloseTo(-0.25, 7);
      expect(Array.from(r.dropInConfidence)).toEqual([0.5, 0]);
      expect(Array.from(r.increaseInConfidence)).toEqual([0, 0]);
      // class 1 of image 1: every pixel outside R is zeroed → 1 → 0
      const r1 = await camMultImageConfidenceChange(model, x, maps, { targets: [1, 1], scores: 'logits' });
      expect(Array.from(r1.change)).toEqual([0, -1]);
    });
    x.dispose();
  });
});

describe('ROAD thresholds', () => {
  it("Otsu's threshold as OpenCV: hand cases and a brute-force between-class variance", () => {
    expect(otsuThreshold([10, 10, 10, 10, 200, 200, 200, 200])).toBe(10);
    // p(0) = .5, p(100) = p(200) = .25: t = 0 gives .25·150² = 5625 > t = 100's 5208.3
    expect(otsuThreshold([0, 0, 100, 200])).toBe(0);
    expect(otsuThreshold([7, 7, 7])).toBe(0);
    let s = 3;
    const r = () => ((s = (s * 16807) % 2147483647) / 2147483647);
    for (let trial = 0; trial < 20; trial++) {
      const u = Uint8Array.from({ length: 300 }, () => (r() < 0.5 ? 40 + r() * 60 : 150 + r() * 80) | 0);
      let best = -1, arg = 0;
      for (let t = 0; t < 255; t++) {
        const lo = Array.from(u).filter((v) => v <= t), hi = Array.from(u).filter((v) => v > t);
        if (!lo.length || !hi.length) continue;
        const m1 = lo.reduce((a, b) => a + b, 0) / lo.length, m2 = hi.reduce((a, b) => a + b, 0) / hi.length;
        const v = (lo.length / u.length) * (hi.length / u.length) * (m1 - m2) ** 2;
        if (v > best * (1 + 1e-12)) (best = v), (arg = t);
      }
      expect(otsuThreshold(u)).toBe(arg);
    }
  });

  it('8-bit maps truncate as numpy uint8(float32 · 255); keep sets for percentiles and both Otsu conventions', () => {
    expect(Array.from(toUint8([0, 0.2, 0.5, 0.999, 1, 1.2, -0.1]))).toEqual([0, 51, 127, 254, 255, 255, 0]);
    const v = [0.1, 0.1, 0.9, 0.8, 0.2, 0.95];
    expect(Array.from(roadKeep(v, 50))).toEqual([1, 1, 0, 0, 1, 0]);
    expect(Array.from(roadKeep(v, 'auto'))).toEqual([1, 1, 0, 0, 1, 0]);
    expect(Array.from(roadKeep(v, 'auto', 'pytorch-grad-cam'))).toEqual([0, 0, 1, 1, 0, 1]);
  });

  it("percentile lists with 'auto': per-image means, both conventions, validation", async () => {
    const v = new Float32Array(H * W * 3);
    for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) v[p * 3 + c] = inR(p) ? 1 : 0;
    const x = tf.tensor4d(v, [1, H, W, 3]);
    await noLeak(async () => {
      const good = mapOf((p) => (inR(p) ? 1 : 0.1 + p / 1000));
      const r = await road(model, x, [good], { targets: [0], scores: 'logits', percentiles: ['auto'], seed: 1 });
      // Otsu separates R: MoRF removes it (the class-0 score falls from 1 to ≈ 0), LeRF keeps it
      expect(r.morf).toBeLessThan(-0.9);
      expect(Math.abs(r.lerf)).toBeLessThan(0.05);
      expect(r.morfPerImage[0]).toBeCloseTo(r.morf, 6);
      expect(r.combinedPerImage[0]).toBeCloseTo(r.combined, 6);
      // pytorch-grad-cam's code keeps the pixels above the threshold: the orders swap
      const q = await road(model, x, [good], { targets: [0], scores: 'logits', percentiles: ['auto'], otsu: 'pytorch-grad-cam', seed: 1 });
      expect(Math.abs(q.morf)).toBeLessThan(0.05);
      expect(q.lerf).toBeLessThan(-0.9);
      const mixed = await road(model, x, [good], { targets: [0], scores: 'logits', percentiles: [20, 'auto', 80], seed: 1 });
      expect(mixed.percentiles).toEqual([20, 'auto', 80]);
      expect(mixed.morfByPercentile.length).toBe(3);
      expect(mixed.morf).toBeCloseTo((mixed.morfByPercentile[0] + mixed.morfByPercentile[1] + mixed.morfByPercentile[2]) / 3, 6);
      await expect(road(model, x, [good], { percentiles: ['median' as never] })).rejects.toBeInstanceOf(OptionError);
    });
    x.dispose();
  });
});

describe('ARCC', () => {
  it('complexity, Pearson (ddof 1) and the harmonic combination, by hand', () => {
    expect(Array.from(complexity(Float32Array.from([0, 0.5, 1, 0.5, 1, 1, 1, 1]), 2))).toEqual([0.5, 1]);
    expect(pearson(Float32Array.from([1, 2, 3]), Float32Array.from([2, 4, 7]), 1)[0]).toBeCloseTo(5 / Math.sqrt((2 * 114) / 9), 6);
    expect(arccScore(1, 0.5, 0.25)).toBeCloseTo(3 / (1 + 2 + 2), 6);
    // ROAD is clipped: 2·0.7 → 1, a negative ROAD → ε, which drives ARCC to ≈ 0
    expect(arccScore(1, 0, 0.7)).toBeCloseTo(1, 6);
    expect(arccScore(1, 0, -0.2)).toBeLessThan(1e-6);
  });

  it('re-explains image × map; combines its parts per image; the same map back gives coherency ≈ 1', async () => {
    const v = new Float32Array(2 * H * W * 3);
    for (let i = 0; i < 2; i++) for (let p = 0; p < H * W; p++) for (let c = 0; c < 3; c++) v[(i * H * W + p) * 3 + c] = inR(p) ? 1 : 0.5;
    const x = tf.tensor4d(v, [2, H, W, 3]);
    const maps = [mapOf((p) => (inR(p) ? 1 : 0.1 + p / 1000)), mapOf((p) => (inR(p) ? 0.05 : 0.5 + p / 1000))];
    await noLeak(async () => {
      const seen: Float32Array[] = [];
      const r = await arcc(model, x, maps, {
        targets: [0, 0], scores: 'logits', seed: 2,
        explain: async (xm) => {
          seen.push((await xm.data()) as Float32Array);
          return maps;
        },
      });
      // the masked images are image × map, broadcast over channels
      const m0 = maps[0].values;
      expect(seen[0][0]).toBeCloseTo(v[0] * m0[0], 6);
      expect(seen[0][(H * W + 20) * 3 + 2]).toBeCloseTo(v[(H * W + 20) * 3 + 2] * maps[1].values[20], 6);
      for (let i = 0; i < 2; i++) {
        expect(r.coherencyPerImage[i]).toBeCloseTo(1, 5);
        expect(r.arccPerImage[i]).toBeCloseTo(arccScore(r.coherencyPerImage[i], r.complexityPerImage[i], r.roadPerImage[i]), 6);
      }
      expect(r.complexityPerImage[0]).toBeCloseTo(maps[0].values.reduce((a, b) => a + b, 0) / (H * W), 6);
      // the good map scores a positive ROAD, the inverted one a negative: ARCC ranks them
      expect(r.roadPerImage[0]).toBeGreaterThan(0.2);
      expect(r.roadPerImage[1]).toBeLessThan(0);
      expect(r.arccPerImage[0]).toBeGreaterThan(r.arccPerImage[1]);
      // an explanation that changes the map lowers coherency
      const flipped = await arcc(model, x, maps, { targets: [0, 0], scores: 'logits', seed: 2, explain: async () => [maps[1], maps[0]] });
      expect(flipped.coherencyPerImage[0]).toBeLessThan(0.5);
      await expect(arcc(model, x, maps, {} as never)).rejects.toBeInstanceOf(OptionError);
    });
    x.dispose();
  });
});
