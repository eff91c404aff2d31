// src/core/random.ts: the seeded generator is mulberry32 (its published sequence), and gauss is the
// cosine branch of Box–Muller.
import { describe, expect, it } from 'vitest';
import { gauss, rng } from '../../src/core/random.js';

describe('rng', () => {
  it("is mulberry32: the reference implementation's first values for seeds 1, 0xdeadbeef and −1", () => {
    const r = rng(1);
    expect([r(), r(), r()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
    const s = rng(0xdeadbeef);
    expect([s(), s()]).toEqual([0.9413696140982211, 0.26719574979506433]);
    // Seeds are taken as uint32.
    expect(rng(-1)()).toBe(0.8964226141106337);
    expect(rng(2 ** 32 - 1)()).toBe(0.8964226141106337);
  });

  it('stays in [0, 1) with a mean near 1/2', () => {
    const r = rng(7);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const v = r();
      expect(v >= 0 && v < 1).toBe(true);
      sum += v;
    }
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.01);
  });
});

describe('gauss', () => {
  const seq = (...v: number[]) => {
    let i = 0;
    return () => v[i++];
  };
  it('√(−2 ln u)·cos(2πv) of two uniforms, with u floored at 1e-12', () => {
    expect(gauss(seq(0.5, 0))).toBeCloseTo(Math.sqrt(2 * Math.LN2), 12);
    expect(gauss(seq(0.5, 1 / 8))).toBeCloseTo(Math.sqrt(2 * Math.LN2) * Math.SQRT1_2, 12);
    expect(gauss(seq(0.5, 1 / 3))).toBeCloseTo(-Math.sqrt(2 * Math.LN2) / 2, 12);
    expect(gauss(seq(0, 0))).toBeCloseTo(Math.sqrt(-2 * Math.log(1e-12)), 9);
  });

  it('has mean 0 and variance 1', () => {
    const r = rng(3);
    let s = 0, s2 = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const g = gauss(r);
      s += g;
      s2 += g * g;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });
});
