// The rollout arithmetic (src/methods/rollout.ts) against a plain, independent formulation: dense
// matrices as arrays of rows, the discard done by sorting (value, index) pairs.
import { describe, expect, it } from 'vitest';
import { rng } from '../../src/core/random.js';
import { attentionRollout, discardLowest, fuseHeads, gradientRollout, rolloutRow } from '../../src/methods/rollout.js';
import type { HeadFusion } from '../../src/methods/types.js';

type M = number[][];
const eye = (t: number): M => Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, j) => (i === j ? 1 : 0)));
const mul = (a: M, b: M): M => a.map((row) => b[0].map((_, j) => row.reduce((s, v, k) => s + v * b[k][j], 0)));
const head = (a: ArrayLike<number>, h: number, t: number): M => Array.from({ length: t }, (_, i) => Array.from({ length: t }, (_, j) => a[h * t * t + i * t + j]));
const flat = (m: M) => m.flat();

function refFuse(a: ArrayLike<number>, heads: number, t: number, fusion: HeadFusion): M {
  const hs = Array.from({ length: heads }, (_, h) => head(a, h, t));
  return eye(t).map((row, i) => row.map((_, j) => {
    const vs = hs.map((m) => m[i][j]);
    return fusion === 'mean' ? vs.reduce((s, v) => s + v, 0) / heads : fusion === 'max' ? Math.max(...vs) : Math.min(...vs);
  }));
}

function refDiscard(f: M, ratio: number, keep: number): M {
  const t = f.length;
  const k = Math.floor(t * t * ratio);
  const order = flat(f).map((v, i) => [v, i]).sort((p, q) => p[0] - q[0] || p[1] - q[1]).slice(0, k);
  const out = f.map((r) => r.slice());
  for (const [, i] of order) if (i % t >= keep) out[Math.floor(i / t)][i % t] = 0;
  return out;
}

function refAttention(blocks: ArrayLike<number>[], heads: number, t: number, fusion: HeadFusion, ratio: number, keep: number): M {
  let r = eye(t);
  for (const a of blocks) {
    const f = refDiscard(refFuse(a, heads, t, fusion), ratio, keep);
    const n = f.map((row, i) => row.map((v, j) => (v + (i === j ? 1 : 0)) / 2));
    const norm = n.map((row) => row.map((v) => v / row.reduce((s, x) => s + x, 0)));
    r = mul(norm, r);
  }
  return r;
}

function refGradient(blocks: ArrayLike<number>[], grads: ArrayLike<number>[], heads: number, t: number): M {
  let r = eye(t);
  blocks.forEach((a, b) => {
    const m = eye(t).map((row, i) => row.map((_, j) => {
      let s = 0;
      for (let h = 0; h < heads; h++) s += Math.max(head(a, h, t)[i][j] * head(grads[b], h, t)[i][j], 0);
      return s / heads;
    }));
    const mr = mul(m, r);
    r = mr.map((row, i) => row.map((v, j) => v + r[i][j]));
  });
  return r;
}

const random = (n: number, seed: number, lo = 0, hi = 1) => {
  const r = rng(seed);
  return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
};
const close = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i], `index ${i}`).toBeCloseTo(b[i], 12);
};

describe('rollout arithmetic', () => {
  it('fuseHeads: mean, max and min over the heads', () => {
    for (const [heads, t] of [[1, 2], [3, 4], [2, 5]]) {
      const a = random(heads * t * t, heads + t, -1, 1);
      for (const fusion of ['mean', 'max', 'min'] as const) close(fuseHeads(a, heads, t, fusion), flat(refFuse(a, heads, t, fusion)));
    }
    // A hand-checked case: two heads of one 1×1 "matrix".
    expect(Array.from(fuseHeads([2, 6], 2, 1, 'mean'))).toEqual([4]);
    expect(Array.from(fuseHeads([2, 6], 2, 1, 'max'))).toEqual([6]);
    expect(Array.from(fuseHeads([2, 6], 2, 1, 'min'))).toEqual([2]);
  });

  it('discardLowest: floor(T²·ratio) smallest entries become 0, ties by index, the kept columns never', () => {
    for (const [t, ratio, keep] of [[3, 0.5, 0], [4, 0.9, 1], [5, 0.3, 2], [4, 0.05, 0], [3, 0, 0]] as const) {
      const f = random(t * t, t * 10 + keep);
      const m = Array.from({ length: t }, (_, i) => Array.from(f.subarray(i * t, i * t + t)));
      discardLowest(f, t, ratio, keep);
      close(f, flat(refDiscard(m, ratio, keep)));
    }
    const tie = Float64Array.from([1, 1, 1, 1]);
    discardLowest(tie, 2, 0.5, 0);
    expect(Array.from(tie)).toEqual([0, 0, 1, 1]);
    const kept = Float64Array.from([0.1, 0.2, 0.3, 0.4]);
    discardLowest(kept, 2, 0.75, 1);
    expect(Array.from(kept)).toEqual([0.1, 0, 0.3, 0.4]);
  });

  it('attentionRollout equals the product of the row-normalised (F + I)/2 matrices', () => {
    for (const [blocks, heads, t, ratio, keep] of [[1, 1, 2, 0, 0], [3, 2, 4, 0.5, 1], [2, 3, 5, 0.9, 1], [2, 2, 3, 0.2, 0]] as const) {
      const bs = Array.from({ length: blocks }, (_, b) => random(heads * t * t, 100 + b * 7 + t));
      for (const fusion of ['mean', 'max', 'min'] as const) {
        const r = attentionRollout(bs, heads, t, fusion, ratio, keep);
        close(r, flat(refAttention(bs, heads, t, fusion, ratio, keep)));
        // Rows of a product of row-stochastic matrices sum to 1.
        for (let i = 0; i < t; i++) expect(r.subarray(i * t, i * t + t).reduce((s, v) => s + v, 0)).toBeCloseTo(1, 12);
      }
    }
    close(attentionRollout([], 2, 3, 'mean', 0.5, 1), flat(eye(3)));
  });

  it('gradientRollout accumulates R + mean_h((∇A ⊙ A)⁺)·R', () => {
    for (const [blocks, heads, t] of [[1, 1, 2], [3, 2, 4], [2, 3, 3]] as const) {
      const bs = Array.from({ length: blocks }, (_, b) => random(heads * t * t, 200 + b + t));
      const gs = Array.from({ length: blocks }, (_, b) => random(heads * t * t, 300 + b + t, -1, 1));
      close(gradientRollout(bs, gs, heads, t), flat(refGradient(bs, gs, heads, t)));
    }
    // Negative products are dropped: a gradient of −1 everywhere leaves R = I.
    close(gradientRollout([[0.5, 0.5, 0.5, 0.5]], [[-1, -1, -1, -1]], 1, 2), [1, 0, 0, 1]);
  });

  it('rolloutRow: the first row after the leading tokens, or the mean row without them', () => {
    const t = 4;
    const r = Float64Array.from({ length: t * t }, (_, i) => i + 1);
    expect(Array.from(rolloutRow(r, t, 1, 3))).toEqual([2, 3, 4]);
    expect(Array.from(rolloutRow(r, t, 2, 2))).toEqual([3, 4]);
    // No leading token: column means over all t rows.
    expect(Array.from(rolloutRow(r, t, 0, 4))).toEqual([7, 8, 9, 10]);
    expect(Array.from(rolloutRow(r, t, 0, 2))).toEqual([7, 8]);
  });
});
