// The arithmetic of attention rollout, on plain arrays of one image (float64 accumulation). Every
// block's attention is [heads][T][T], row i holding token i's attention over the keys; R is [T][T].
//
// Attention rollout (Abnar & Zuidema 2020, with jacobgil/vit-explain's discard convention):
//   F = fuse_h(A) (mean, max or min over the heads);
//   discard: the floor(T²·r) smallest entries of F (ties: lower flat index first) are set to 0,
//     except those in the columns of the leading tokens (CLS), which are never discarded;
//   a = (F + I)/2, each row divided by its sum; R ← a · R (R starts as I).
// Gradient-weighted rollout (Chefer et al. 2021, "Generic attention-model explainability"):
//   Ā = mean_h((∇A ⊙ A)⁺); R ← R + Ā · R (R starts as I).
// The map is R's first row (the CLS token's) over the patch columns; with no leading token, the
// mean of all rows.
import type { HeadFusion } from './types.js';

/** One block's heads fused: [T][T]. */
export function fuseHeads(a: ArrayLike<number>, heads: number, t: number, fusion: HeadFusion): Float64Array {
  const tt = t * t;
  const f = new Float64Array(tt);
  for (let j = 0; j < tt; j++) {
    let v = a[j];
    for (let h = 1; h < heads; h++) {
      const x = a[h * tt + j];
      v = fusion === 'mean' ? v + x : fusion === 'max' ? Math.max(v, x) : Math.min(v, x);
    }
    f[j] = fusion === 'mean' ? v / heads : v;
  }
  return f;
}

/** Zeroes the floor(T²·ratio) smallest entries of f, except in the first `keepCols` columns. */
export function discardLowest(f: Float64Array, t: number, ratio: number, keepCols: number): void {
  const k = Math.floor(t * t * ratio);
  if (k <= 0) return;
  const idx = Array.from({ length: t * t }, (_, i) => i).sort((p, q) => f[p] - f[q] || p - q);
  for (let i = 0; i < k; i++) if (idx[i] % t >= keepCols) f[idx[i]] = 0;
}

/** c = a · b for [t][t] matrices. */
function matmul(a: Float64Array, b: Float64Array, t: number): Float64Array {
  const c = new Float64Array(t * t);
  for (let i = 0; i < t; i++) {
    const ci = i * t;
    for (let k = 0; k < t; k++) {
      const v = a[ci + k];
      if (v === 0) continue;
      const bk = k * t;
      for (let j = 0; j < t; j++) c[ci + j] += v * b[bk + j];
    }
  }
  return c;
}

function identity(t: number): Float64Array {
  const r = new Float64Array(t * t);
  for (let i = 0; i < t; i++) r[i * t + i] = 1;
  return r;
}

/** Attention rollout of one image's blocks (each [heads][T][T]); returns R [T][T]. */
export function attentionRollout(blocks: readonly ArrayLike<number>[], heads: number, t: number, fusion: HeadFusion, discardRatio: number, keepCols: number): Float64Array {
  let r = identity(t);
  for (const a of blocks) {
    const f = fuseHeads(a, heads, t, fusion);
    discardLowest(f, t, discardRatio, keepCols);
    for (let i = 0; i < t; i++) {
      f[i * t + i] += 1;
      let s = 0;
      for (let j = 0; j < t; j++) s += f[i * t + j];
      // (F + I)/2 row-normalised: the halving cancels, the rows sum to 1.
      for (let j = 0; j < t; j++) f[i * t + j] /= s;
    }
    r = matmul(f, r, t);
  }
  return r;
}

/** Gradient-weighted rollout of one image's blocks and their gradients (each [heads][T][T]); returns R [T][T]. */
export function gradientRollout(blocks: readonly ArrayLike<number>[], grads: readonly ArrayLike<number>[], heads: number, t: number): Float64Array {
  let r = identity(t);
  const tt = t * t;
  blocks.forEach((a, b) => {
    const g = grads[b];
    const m = new Float64Array(tt);
    for (let h = 0; h < heads; h++) {
      for (let j = 0; j < tt; j++) {
        const v = a[h * tt + j] * g[h * tt + j];
        if (v > 0) m[j] += v;
      }
    }
    for (let j = 0; j < tt; j++) m[j] /= heads;
    const mr = matmul(m, r, t);
    for (let j = 0; j < tt; j++) mr[j] += r[j];
    r = mr;
  });
  return r;
}

/** The map: R's first row (or the mean row when there is no leading token) over the h·w patch columns. */
export function rolloutRow(r: Float64Array, t: number, prefix: number, hw: number): Float32Array {
  const out = new Float32Array(hw);
  if (prefix > 0) {
    for (let j = 0; j < hw; j++) out[j] = r[prefix + j];
    return out;
  }
  for (let j = 0; j < hw; j++) {
    let s = 0;
    for (let i = 0; i < t; i++) s += r[i * t + j];
    out[j] = s / t;
  }
  return out;
}
