import { gauss, rng } from '../core/random.js';
import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/** Scratch floats `nmf_mu` needs in `tmp`: WᵀW, EᵀE, PᵀE (f64), two f64 rows of k, and Wᵀ (f32). */
export const nmfMuTmp = (c: number, k: number): number => 4 * k * k + 3 * k * c + 4 * k;

/**
 * Non-negative matrix factorisation by Lee–Seung multiplicative updates (Frobenius loss): the hot loop
 * of Deep Feature Factorization. P[n][c] ≈ E[n][k]·Wᵀ with P non-negative activations in NHWC order
 * (n = images × positions, c channels; see nmfPrepare), E the explanations (pytorch-grad-cam's H,
 * transposed: E[(b·hw + p)·k + l] is component l at position p of image b) and W[c][k] the concepts
 * (before the offset is added back). Each of `iters` iterations, in place:
 *   E ← E ⊙ (P·W) / (E·(WᵀW) + eps)      (row by row, one pass over P)
 *   W ← W ⊙ (Pᵀ·E) / (W·(EᵀE) + eps)     (PᵀE and EᵀE gathered in that same pass, with the new E)
 * f64 arithmetic, f32 storage. Returns ‖P − E·Wᵀ‖_F after the last iteration, from
 * ‖P‖² − 2⟨W, PᵀE⟩ + ⟨WᵀW, EᵀE⟩; iters ≤ 0 changes nothing and returns the current error.
 * In exact arithmetic every iteration leaves the error no larger (eps only guards 0/0: pass something
 * tiny against the data's scale, e.g. 1e-12 for data scaled to a maximum of 1). Zeros stay zero.
 * This is not pytorch-grad-cam's solver (sklearn NMF, coordinate descent): factors differ, the
 * objective is the same. tmp holds nmfMuTmp(c, k) floats. Cost per iteration ≈ 2·n·c·k multiply-adds.
 */
export function nmf_mu(e: F32, w: F32, p: F32, tmp: F32, n: number, c: number, k: number, iters: number, eps: number): number {
  void tmp;
  let pp = 0;
  for (let i = 0; i < n * c; i++) pp += p[i] * p[i];
  const G = gramOf(w, c, k);
  const F = new Float64Array(k * k), A = new Float64Array(k * c);
  const num = new Float64Array(k), den = new Float64Array(k);
  let err: number;
  let it = 0;
  do {
    const update = iters > 0;
    F.fill(0);
    A.fill(0);
    for (let i = 0; i < n; i++) {
      if (update) {
        for (let l = 0; l < k; l++) {
          let s = 0;
          for (let q = 0; q < c; q++) s += p[i * c + q] * w[q * k + l];
          num[l] = s;
          let d = 0;
          for (let j = 0; j < k; j++) d += e[i * k + j] * G[j * k + l];
          den[l] = d + eps;
        }
        for (let l = 0; l < k; l++) e[i * k + l] = (e[i * k + l] * num[l]) / den[l];
      }
      for (let a = 0; a < k; a++) {
        const ea = e[i * k + a];
        for (let b = 0; b < k; b++) F[a * k + b] += ea * e[i * k + b];
        for (let q = 0; q < c; q++) A[a * c + q] += ea * p[i * c + q];
      }
    }
    if (update) {
      for (let q = 0; q < c; q++) {
        for (let l = 0; l < k; l++) {
          let d = 0;
          for (let j = 0; j < k; j++) d += w[q * k + j] * F[j * k + l];
          den[l] = d + eps;
        }
        for (let l = 0; l < k; l++) w[q * k + l] = (w[q * k + l] * A[l * c + q]) / den[l];
      }
    }
    G.set(gramOf(w, c, k));
    let cross = 0;
    for (let l = 0; l < k; l++) for (let q = 0; q < c; q++) cross += w[q * k + l] * A[l * c + q];
    let quad = 0;
    for (let i = 0; i < k * k; i++) quad += G[i] * F[i];
    err = pp - 2 * cross + quad;
    it++;
  } while (it < iters);
  return Math.sqrt(Math.max(err, 0));
}

/** WᵀW in f64. */
function gramOf(w: F32, c: number, k: number): Float64Array {
  const G = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let s = 0;
      for (let q = 0; q < c; q++) s += w[q * k + a] * w[q * k + b];
      G[a * k + b] = G[b * k + a] = s;
    }
  }
  return G;
}

/**
 * pytorch-grad-cam's preprocessing for Deep Feature Factorization, in place on NHWC activations
 * p[n][c] (n = images × positions): NaN → 0, then each channel minus its minimum over all n rows.
 * Returns the per-channel minima (the offsets the concepts get back: concepts = W + offset).
 * Plain TypeScript: one pass, not a hot loop.
 */
export function nmfPrepare(p: F32, n: number, c: number): Float32Array {
  const off = new Float32Array(c).fill(Infinity);
  for (let i = 0; i < n * c; i++) {
    if (Number.isNaN(p[i])) p[i] = 0;
    const q = i % c;
    if (p[i] < off[q]) off[q] = p[i];
  }
  if (n === 0) off.fill(0);
  for (let i = 0; i < n * c; i++) p[i] -= off[i % c];
  return off;
}

/**
 * Seeded random start, as sklearn's init='random': every entry avg·|N(0, 1)| with
 * avg = √(mean(P)/k), E (pytorch-grad-cam's H, drawn first, component-major) then W. Deterministic
 * for a seed (src/core/random.ts), not sklearn's generator.
 */
export function nmfInit(e: F32, w: F32, p: F32, n: number, c: number, k: number, seed: number): void {
  let s = 0;
  for (let i = 0; i < n * c; i++) s += p[i];
  const avg = n * c > 0 ? Math.sqrt(s / (n * c) / k) : 0;
  const r = rng(seed);
  for (let l = 0; l < k; l++) for (let i = 0; i < n; i++) e[i * k + l] = avg * Math.abs(gauss(r));
  for (let q = 0; q < c; q++) for (let l = 0; l < k; l++) w[q * k + l] = avg * Math.abs(gauss(r));
}

export const nmf_mu_kernel: KernelDescriptor<typeof nmf_mu> = {
  name: 'nmf_mu',
  js: nmf_mu,
  wasm: (x: WasmExports) => (e, w, p, tmp, n, c, k, iters, eps) => x.nmf_mu(ptr(e), ptr(w), ptr(p), ptr(tmp), n, c, k, iters, eps) as number,
};
