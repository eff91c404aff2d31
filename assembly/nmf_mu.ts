import { hadd64, promoteHigh } from "./inline/simd";

// Non-negative matrix factorisation by Lee–Seung multiplicative updates (Frobenius loss), the hot loop
// of Deep Feature Factorization. P[n][c] ≈ E[n][k] · Wᵀ, with P the non-negative activations in NHWC
// order (n = images·positions rows, c channels), E the explanations (pytorch-grad-cam's Hᵀ) and
// W[c][k] the concepts. One iteration:
//   E ← E ⊙ (P W) / (E (WᵀW) + eps)        row by row, streaming P once
//   W ← W ⊙ (Pᵀ E) / (W (EᵀE) + eps)       with PᵀE and EᵀE gathered in the same pass (new E)
// Arithmetic in f64 (exact f32 products), E and W stored f32. Returns ‖P − E Wᵀ‖_F after the last
// iteration, from ‖P‖² − 2⟨W, PᵀE⟩ + ⟨WᵀW, EᵀE⟩ (no n×c residual is formed); iters ≤ 0 only measures.
// tmp (floats): G[2k²] F[2k²] A[2kc] (f64: WᵀW, EᵀE, PᵀE as [k][c]), num[2k] den[2k] (f64), Wt[kc] (f32).
export function nmf_mu(e: usize, w: usize, p: usize, tmp: usize, n: i32, c: i32, k: i32, iters: i32, eps: f64): f64 {
  const kk = <usize>k * <usize>k;
  const G = tmp, F = tmp + (kk << 3), A = tmp + (kk << 4);
  const num = A + (<usize>k * <usize>c << 3), den = num + (<usize>k << 3);
  const Wt = den + (<usize>k << 3);
  let pp: f64 = 0;
  const len = n * c;
  for (let i = 0; i < len; i++) {
    const q = <f64>load<f32>(p + (<usize>i << 2));
    pp += q * q;
  }
  gramW(G, Wt, w, c, k);
  let err: f64 = 0;
  let it = 0;
  do {
    const update = iters > 0;
    rowPass(e, p, G, F, A, num, den, Wt, n, c, k, eps, update);
    // ⟨W, PᵀE⟩ needs W as it was in the pass only when W is not updated; otherwise the new W.
    if (update) updateW(w, A, F, den, c, k, eps);
    gramW(G, Wt, w, c, k);
    let cross: f64 = 0;
    for (let l = 0; l < k; l++) {
      const ar = A + (<usize>l * <usize>c << 3);
      for (let q = 0; q < c; q++) cross += <f64>load<f32>(w + ((<usize>q * <usize>k + <usize>l) << 2)) * load<f64>(ar + (<usize>q << 3));
    }
    let quad: f64 = 0;
    for (let i: usize = 0; i < kk; i++) quad += load<f64>(G + (i << 3)) * load<f64>(F + (i << 3));
    err = pp - 2 * cross + quad;
    it++;
  } while (it < iters);
  return Math.sqrt(max<f64>(err, 0));
}

// G = WᵀW (f64) and Wt = Wᵀ (f32, rows of c for contiguous dot products).
function gramW(G: usize, Wt: usize, w: usize, c: i32, k: i32): void {
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let s: f64 = 0;
      for (let q = 0; q < c; q++) {
        const r = w + (<usize>q * <usize>k << 2);
        s += <f64>load<f32>(r + (<usize>a << 2)) * <f64>load<f32>(r + (<usize>b << 2));
      }
      store<f64>(G + ((<usize>a * <usize>k + <usize>b) << 3), s);
      store<f64>(G + ((<usize>b * <usize>k + <usize>a) << 3), s);
    }
  }
  for (let q = 0; q < c; q++) {
    for (let l = 0; l < k; l++) {
      store<f32>(Wt + ((<usize>l * <usize>c + <usize>q) << 2), load<f32>(w + ((<usize>q * <usize>k + <usize>l) << 2)));
    }
  }
}

// For every row i of P: the E update (if `update`), then A += E_iᵀ P_i and F += E_iᵀ E_i with the new E_i.
function rowPass(
  e: usize, p: usize, G: usize, F: usize, A: usize, num: usize, den: usize, Wt: usize,
  n: i32, c: i32, k: i32, eps: f64, update: bool,
): void {
  const kk = <usize>k * <usize>k;
  memory.fill(F, 0, kk << 3);
  memory.fill(A, 0, <usize>k * <usize>c << 3);
  const prow = <usize>c << 2;
  for (let i = 0; i < n; i++) {
    const pi = p + <usize>i * prow;
    const ei = e + (<usize>i * <usize>k << 2);
    if (update) {
      for (let l = 0; l < k; l++) {
        store<f64>(num + (<usize>l << 3), dot(pi, Wt + <usize>l * prow, c));
        let s: f64 = 0;
        for (let j = 0; j < k; j++) s += <f64>load<f32>(ei + (<usize>j << 2)) * load<f64>(G + ((<usize>j * <usize>k + <usize>l) << 3));
        store<f64>(den + (<usize>l << 3), s + eps);
      }
      for (let l = 0; l < k; l++) {
        const o = ei + (<usize>l << 2);
        store<f32>(o, <f32>(<f64>load<f32>(o) * load<f64>(num + (<usize>l << 3)) / load<f64>(den + (<usize>l << 3))));
      }
    }
    for (let a = 0; a < k; a++) {
      const ea = <f64>load<f32>(ei + (<usize>a << 2));
      for (let b = 0; b < k; b++) {
        const o = F + ((<usize>a * <usize>k + <usize>b) << 3);
        store<f64>(o, load<f64>(o) + ea * <f64>load<f32>(ei + (<usize>b << 2)));
      }
      if (ea != 0) axpy(A + (<usize>a * <usize>c << 3), pi, ea, c);
    }
  }
}

// Σ_q x[q]·y[q] for two f32 rows, in f64.
@inline function dot(x: usize, y: usize, c: i32): f64 {
  let q = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; q + 4 <= c; q += 4) {
      const o = <usize>q << 2;
      const u = v128.load(x + o), v = v128.load(y + o);
      a0 = f64x2.add(a0, f64x2.mul(f64x2.promote_low_f32x4(u), f64x2.promote_low_f32x4(v)));
      a1 = f64x2.add(a1, f64x2.mul(promoteHigh(u), promoteHigh(v)));
    }
    s = hadd64(f64x2.add(a0, a1));
  }
  for (; q < c; q++) {
    const o = <usize>q << 2;
    s += <f64>load<f32>(x + o) * <f64>load<f32>(y + o);
  }
  return s;
}

// acc[q] += s·x[q]: an f64 row plus an f32 row times an f64 scalar.
@inline function axpy(acc: usize, x: usize, s: f64, c: i32): void {
  let q = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f64x2.splat(s);
    for (; q + 4 <= c; q += 4) {
      const v = v128.load(x + (<usize>q << 2));
      const o = acc + (<usize>q << 3);
      v128.store(o, f64x2.add(v128.load(o), f64x2.mul(f64x2.promote_low_f32x4(v), vs)));
      v128.store(o, f64x2.add(v128.load(o, 16), f64x2.mul(promoteHigh(v), vs)), 16);
    }
  }
  for (; q < c; q++) {
    const o = acc + (<usize>q << 3);
    store<f64>(o, load<f64>(o) + <f64>load<f32>(x + (<usize>q << 2)) * s);
  }
}

// W[q][l] ← W[q][l]·A[l][q] / (Σ_j W[q][j]·F[j][l] + eps), one row of W at a time (den[] holds the row's
// denominators, taken from the old row).
function updateW(w: usize, A: usize, F: usize, den: usize, c: i32, k: i32, eps: f64): void {
  for (let q = 0; q < c; q++) {
    const r = w + (<usize>q * <usize>k << 2);
    for (let l = 0; l < k; l++) {
      let s: f64 = 0;
      for (let j = 0; j < k; j++) s += <f64>load<f32>(r + (<usize>j << 2)) * load<f64>(F + ((<usize>j * <usize>k + <usize>l) << 3));
      store<f64>(den + (<usize>l << 3), s + eps);
    }
    for (let l = 0; l < k; l++) {
      const o = r + (<usize>l << 2);
      const a = load<f64>(A + ((<usize>l * <usize>c + <usize>q) << 3));
      store<f32>(o, <f32>(<f64>load<f32>(o) * a / load<f64>(den + (<usize>l << 3))));
    }
  }
}
