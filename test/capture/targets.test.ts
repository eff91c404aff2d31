// Score functions: the gradient of each target with respect to the output is the expected mask, on
// cpu and on wasm (no gather: wasm lacks UnsortedSegmentSum); resolveTargets names the same classes.
import { describe, expect, it, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { checkTarget, makeScore, resolveTargets, type Target } from '../../src/capture/index.js';
import { BACKENDS, useBackend } from '../helpers/tfmodels.js';

const OUT = [
  [0.1, 2.0, -1.0, 0.5],
  [3.0, -2.0, 0.2, 2.5],
];

function gradOf(target: Target, out: number[][], on: 'logits' | 'probabilities' = 'logits') {
  return tf.tidy(() => {
    const y = tf.tensor2d(out);
    const score = makeScore(target, y.shape, { on });
    const { value, grad } = tf.valueAndGrad((v: tf.Tensor) => score(v) as tf.Scalar)(y);
    return { value: value.dataSync()[0], grad: (grad.arraySync() as number[][]).map((r) => r.map((v) => v || 0)) };
  });
}

for (const backend of BACKENDS) {
  describe(`makeScore on ${backend}`, () => {
    beforeAll(() => useBackend(backend));

    it('class index, indices per sample, top1, {rank}, {topK}: the gradient is the one-hot mask', () => {
      const before = tf.memory().numTensors;
      expect(gradOf(3, OUT).grad).toEqual([
        [0, 0, 0, 1],
        [0, 0, 0, 1],
      ]);
      expect(gradOf([1, 2], OUT).grad).toEqual([
        [0, 1, 0, 0],
        [0, 0, 1, 0],
      ]);
      const top1 = gradOf('top1', OUT);
      expect(top1.grad).toEqual([
        [0, 1, 0, 0],
        [1, 0, 0, 0],
      ]);
      expect(top1.value).toBeCloseTo(5.0, 6);
      expect(gradOf({ rank: 2 }, OUT).grad).toEqual([
        [0, 0, 0, 1],
        [0, 0, 0, 1],
      ]);
      expect(gradOf({ topK: 2 }, OUT).grad).toEqual([
        [0, 1, 0, 1],
        [1, 0, 0, 1],
      ]);
      expect(tf.memory().numTensors).toBe(before);
    });

    it('probabilities, single-unit heads and custom per-sample scores', () => {
      const p = gradOf(0, OUT, 'probabilities');
      const e = OUT.map((r) => r.map(Math.exp));
      const want = e.reduce((a, r) => a + r[0] / r.reduce((s, v) => s + v, 0), 0);
      expect(p.value).toBeCloseTo(want, 5);
      const single = gradOf('top1', [[0.3], [-0.7]]);
      expect(single.value).toBeCloseTo(-0.4, 6);
      expect(single.grad).toEqual([[1], [1]]);
      const custom = gradOf((o) => tf.sum(tf.square(o), 1), OUT);
      expect(custom.grad[0][1]).toBeCloseTo(4.0, 5);
      expect(custom.grad[1][0]).toBeCloseTo(6.0, 5);
    });
  });
}

describe('checkTarget / resolveTargets', () => {
  it('rejects out-of-range classes, wrong batch lengths and unknown targets', () => {
    expect(() => checkTarget(4, [2, 4])).toThrow(/out of range/);
    expect(() => checkTarget(-1, [2, 4])).toThrow(/out of range/);
    expect(() => checkTarget(1.5, [2, 4])).toThrow(/out of range/);
    expect(() => checkTarget([0], [2, 4])).toThrow(/batch of 2/);
    expect(() => checkTarget({ topK: 5 }, [2, 4])).toThrow(/out of range/);
    expect(() => checkTarget('top2' as Target, [2, 4])).toThrow(/Unknown target/);
    expect(() => checkTarget(0, [2])).toThrow(/\[N, classes\]/);
    expect(() => checkTarget(3, [null, 4])).not.toThrow();
  });

  it('names the classes the score uses', () => {
    const flat = OUT.flat();
    expect(resolveTargets('top1', flat, 2, 4)).toEqual([[1], [0]]);
    expect(resolveTargets({ rank: 2 }, flat, 2, 4)).toEqual([[3], [3]]);
    expect(resolveTargets({ topK: 3 }, flat, 2, 4)).toEqual([
      [1, 3, 0],
      [0, 3, 2],
    ]);
    expect(resolveTargets([2, 1], flat, 2, 4)).toEqual([[2], [1]]);
    expect(resolveTargets(undefined, flat, 2, 4)).toEqual([[1], [0]]);
    expect(resolveTargets((o) => o, flat, 2, 4)).toEqual([[], []]);
  });
});
