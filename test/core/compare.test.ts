// The one error measure (src/core/compare.ts) that conformance, tests and benchmarks share.
import { describe, expect, it } from 'vitest';
import { absErr, relErr } from '../../src/core/compare.js';

describe('relErr / absErr', () => {
  it('relErr is the largest |a − b| over the largest |b|', () => {
    expect(relErr([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(relErr([1, 2.5, 3], [1, 2, 4])).toBe(0.25); // max diff 1 (at 3 vs 4) / max |b| 4
    expect(relErr([0, 0], [-2, 1])).toBe(1); // |b| uses magnitudes
    expect(relErr([], [])).toBe(0);
  });

  it('relErr is absolute when the reference is all zero, and sign = −1 compares against −b', () => {
    expect(relErr([0.5, -0.25], [0, 0])).toBe(0.5);
    expect(relErr([-1, -2], [1, 2], -1)).toBe(0);
    expect(relErr([1, 2], [1, 2], -1)).toBe(2);
  });

  it('a length mismatch or a NaN anywhere is Infinity (never a pass)', () => {
    expect(relErr([1], [1, 2])).toBe(Infinity);
    expect(relErr([NaN, 1], [1, 1])).toBe(Infinity);
    expect(relErr([1, NaN, 1], [1, 1, 1])).toBe(Infinity);
    expect(relErr([1, 1], [1, NaN])).toBe(Infinity);
    expect(absErr([1], [])).toBe(Infinity);
    // A shorter a: without the length check the loop would stop at a's end and find no difference.
    expect(absErr([1], [1, 2])).toBe(Infinity);
    expect(absErr([NaN, 0], [0, 0])).toBe(Infinity);
    expect(absErr([0, 5, NaN, 0], [0, 0, 0, 9])).toBe(Infinity);
  });

  it('absErr is the largest |a − b|', () => {
    expect(absErr([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(absErr([1, -2, 3], [1.5, 2, 3])).toBe(4);
    expect(absErr([0, 3], [1, 0])).toBe(3);
    expect(absErr([], [])).toBe(0);
  });
});
