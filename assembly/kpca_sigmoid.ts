import { hadd64, promoteHigh } from "./inline/simd";

// KPCA-CAM for one image: the first kernel principal component of the hw positions of NHWC
// activations a[hw][c] with sklearn's sigmoid kernel (gamma = 1/c, coef0 = 1), as pytorch-grad-cam's
// get_2d_projection_kernel:
//   X = a (NaN → 0) with every channel centred;  K = tanh(X Xᵀ/c + 1);  Kc = K double-centred;
//   (λ, v) = the eigenpair of Kc with the largest ALGEBRAIC eigenvalue;  out = v·√λ, with v's entry of
//   largest magnitude (first on ties) positive (sklearn's svd_flip).
// Kc is stored (f32, hw² floats): tanh(1 + d) − tanh(1) is formed in f64 (the constant falls out in the
// centring and keeps small d exact), dot products and sums in f64, eigenvector iterates in f64.
// Eigenpair: power iteration until the step δ = |v' − ±v| and the error it implies, δ·r/(1 − r) with r
// the ratio of the last two steps, are both below tol (a slow rate makes small steps long before the
// error is small). Kc is not PSD in general: if the dominant eigenvalue is negative, or the iteration
// does not converge (e.g. λmax ≈ −λmin), it restarts on Kc + σI with σ = the largest |Kc·v| seen (at
// most the spectral radius, at least about |λmin|), whose dominant eigenpair is (λmax + σ, v). Returns
// the iterations used in all (≤ 2·maxIter). λ = Σ out². Degenerate input (c = 0, hw = 1, constant
// channels): all-zero map, 0. ±Inf in a: all-NaN map.
// tmp (floats): v[2hw] w[2hw] rows[2hw] (f64), then X[2·hw·c] (f64), then Kc[hw·hw] (f32).
export function kpca_sigmoid(out: usize, a: usize, tmp: usize, hw: i32, c: i32, maxIter: i32, tol: f64): i32 {
  if (hw <= 0) return 0;
  const vh = tmp, wh = tmp + (<usize>hw << 3), rows = tmp + (<usize>hw << 4);
  const x = tmp + <usize>hw * 24;
  const K = x + (<usize>hw * <usize>c << 3);
  if (c <= 0) {
    memory.fill(out, 0, <usize>hw << 2);
    return 0;
  }
  if (!prepare(x, a, hw, c)) {
    for (let p = 0; p < hw; p++) store<f32>(out + (<usize>p << 2), NaN);
    return 0;
  }
  gram(K, x, hw, c);
  centre(K, rows, hw);

  // Start: the row of Kc with the largest norm (Kc·e_i, so it has every eigen-direction of that row).
  let best = 0;
  let bestNorm: f64 = 0;
  for (let i = 0; i < hw; i++) {
    const r = K + (<usize>i * <usize>hw << 2);
    let s: f64 = 0;
    for (let j = 0; j < hw; j++) {
      const q = <f64>load<f32>(r + (<usize>j << 2));
      s += q * q;
    }
    if (s > bestNorm) {
      bestNorm = s;
      best = i;
    }
  }
  if (!(bestNorm > 0)) {
    memory.fill(out, 0, <usize>hw << 2);
    return 0;
  }
  start(vh, K, best, hw, bestNorm);
  let it = iterate(vh, wh, K, hw, 0, maxIter, tol);
  let lambda = rayleigh;
  if (!converged || !(lambda > 0)) {
    // Dominant eigenvalue negative, or no convergence: shift so that λmax becomes the dominant one.
    const sigma = normMax;
    start(vh, K, best, hw, bestNorm);
    it += iterate(vh, wh, K, hw, sigma, maxIter, tol);
    lambda = rayleigh - sigma;
  }
  if (!(lambda > 0)) lambda = 0;

  let at = 0;
  let m: f64 = -1;
  for (let i = 0; i < hw; i++) {
    const q = abs<f64>(load<f64>(vh + (<usize>i << 3)));
    if (q > m) {
      m = q;
      at = i;
    }
  }
  const scale = (load<f64>(vh + (<usize>at << 3)) < 0 ? -1 : 1) * Math.sqrt(lambda);
  for (let i = 0; i < hw; i++) store<f32>(out + (<usize>i << 2), <f32>(load<f64>(vh + (<usize>i << 3)) * scale));
  return it;
}

// Set by iterate(): the last Rayleigh quotient vᵀ(Kc + σI)v, whether it converged, the largest |(Kc + σI)v|.
let rayleigh: f64 = 0;
let converged = false;
let normMax: f64 = 0;

// x = a with NaN → 0, each channel centred (f64 mean, position order), rounded to f32 and kept as f64
// (so the Gram products are exact and need no conversion). False if a holds ±Inf.
function prepare(x: usize, a: usize, hw: i32, c: i32): bool {
  const len = hw * c;
  for (let i = 0; i < len; i++) {
    const v = load<f32>(a + (<usize>i << 2));
    if (abs<f32>(v) == Infinity) return false;
    store<f64>(x + (<usize>i << 3), v != v ? 0 : <f64>v);
  }
  const stride = <usize>c << 3;
  for (let k = 0; k < c; k++) {
    let s: f64 = 0;
    let p = x + (<usize>k << 3);
    for (let i = 0; i < hw; i++) {
      s += load<f64>(p);
      p += stride;
    }
    s /= <f64>hw;
    p = x + (<usize>k << 3);
    for (let i = 0; i < hw; i++) {
      store<f64>(p, <f64><f32>(load<f64>(p) - s));
      p += stride;
    }
  }
  return true;
}

// K[i][j] = K[j][i] = f32(tanh(1 + x_i·x_j/c) − tanh(1)), dot products in f64, in 2×2 blocks of
// (i, j) pairs so that every row loaded serves two products. The upper triangle is written row by row,
// then mirrored tile by tile (writing the column as well cost a cache miss per element at 56×56 maps).
function gram(K: usize, x: usize, hw: i32, c: i32): void {
  const row = <usize>c << 3;
  let i = 0;
  for (; i + 2 <= hw; i += 2) {
    const x0 = x + <usize>i * row, x1 = x0 + row;
    let j = i;
    for (; j + 2 <= hw; j += 2) {
      const y0 = x + <usize>j * row;
      block(K, x0, x1, y0, y0 + row, c, hw, i, j);
    }
    if (j < hw) {
      const y = x + <usize>j * row;
      put(K, hw, i, j, dot(x0, y, c), c);
      put(K, hw, i + 1, j, dot(x1, y, c), c);
    }
  }
  if (i < hw) {
    const xi = x + <usize>i * row;
    put(K, hw, i, i, dot(xi, xi, c), c);
  }
  mirror(K, hw);
}

// Stores f32(tanh(1 + y) − tanh(1)), y = d/c, at (i, j), i ≤ j (the lower entry of a diagonal block
// too), as t·(1 − T²)/(1 + T·t) with t = tanh(y), T = tanh(1): no cancellation for small y.
@inline function put(K: usize, hw: i32, i: i32, j: i32, d: f64, c: i32): void {
  const t = tanh(d / <f64>c);
  store<f32>(K + ((<usize>i * <usize>hw + <usize>j) << 2), <f32>(t * 0.41997434161402614 / (1 + 0.7615941559557649 * t)));
}

// tanh(y) to a few f64 ulps, smaller than the std library's: u = expm1(−2|y|) from a Taylor series at
// −2|y|/2^m ≤ 1/64, doubled back m times with expm1(2a) = u·(u + 2) (relative error stays ~2ε per step),
// then tanh|y| = −u/(2 + u).
function tanh(y: f64): f64 {
  const z = abs<f64>(y);
  if (!(z < 20)) return z == z ? (y < 0 ? -1 : 1) : z; // |tanh| = 1 in f64 beyond 19.06; NaN stays
  let a = -2 * z;
  let m = 0;
  while (a < -0.015625) {
    a *= 0.5;
    m++;
  }
  let u = a * (1 + a * (0.5 + a * (1.0 / 6 + a * (1.0 / 24 + a * (1.0 / 120 + a * (1.0 / 720 + a * (1.0 / 5040)))))));
  for (; m > 0; m--) u = u * (u + 2);
  const t = -u / (2 + u);
  return y < 0 ? -t : t;
}

// K[j][i] = K[i][j] for j > i, in 32×32 tiles.
function mirror(K: usize, hw: i32): void {
  const T = 32;
  for (let bi = 0; bi < hw; bi += T) {
    const ie = min(bi + T, hw);
    for (let bj = bi; bj < hw; bj += T) {
      const je = min(bj + T, hw);
      for (let i = bi; i < ie; i++) {
        for (let j = max(bj, i + 1); j < je; j++) {
          store<f32>(K + ((<usize>j * <usize>hw + <usize>i) << 2), load<f32>(K + ((<usize>i * <usize>hw + <usize>j) << 2)));
        }
      }
    }
  }
}

// The four products of rows (x0, x1) with rows (y0, y1).
function block(K: usize, x0: usize, x1: usize, y0: usize, y1: usize, c: i32, hw: i32, i: i32, j: i32): void {
  let k = 0;
  let s00: f64 = 0, s01: f64 = 0, s10: f64 = 0, s11: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a00 = f64x2.splat(0), a01 = f64x2.splat(0), a10 = f64x2.splat(0), a11 = f64x2.splat(0);
    for (; k + 2 <= c; k += 2) {
      const o = <usize>k << 3;
      const u0 = v128.load(x0 + o), u1 = v128.load(x1 + o), w0 = v128.load(y0 + o), w1 = v128.load(y1 + o);
      a00 = f64x2.add(a00, f64x2.mul(u0, w0));
      a01 = f64x2.add(a01, f64x2.mul(u0, w1));
      a10 = f64x2.add(a10, f64x2.mul(u1, w0));
      a11 = f64x2.add(a11, f64x2.mul(u1, w1));
    }
    s00 = hadd64(a00); s01 = hadd64(a01); s10 = hadd64(a10); s11 = hadd64(a11);
  }
  for (; k < c; k++) {
    const o = <usize>k << 3;
    const u0 = load<f64>(x0 + o), u1 = load<f64>(x1 + o), w0 = load<f64>(y0 + o), w1 = load<f64>(y1 + o);
    s00 += u0 * w0; s01 += u0 * w1; s10 += u1 * w0; s11 += u1 * w1;
  }
  put(K, hw, i, j, s00, c);
  put(K, hw, i, j + 1, s01, c);
  put(K, hw, i + 1, j, s10, c);
  put(K, hw, i + 1, j + 1, s11, c);
}

// Σ_k x[k]·y[k] for two f64 rows.
function dot(x: usize, y: usize, c: i32): f64 {
  let k = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0);
    for (; k + 2 <= c; k += 2) a0 = f64x2.add(a0, f64x2.mul(v128.load(x + (<usize>k << 3)), v128.load(y + (<usize>k << 3))));
    s = hadd64(a0);
  }
  for (; k < c; k++) s += load<f64>(x + (<usize>k << 3)) * load<f64>(y + (<usize>k << 3));
  return s;
}

// Double centring in place: K − row means − column means + grand mean (K is symmetric, so the column
// means are the row means). rows[hw] (f64) holds the means.
function centre(K: usize, rows: usize, hw: i32): void {
  const krow = <usize>hw << 2;
  let g: f64 = 0;
  for (let i = 0; i < hw; i++) {
    const r = K + <usize>i * krow;
    let s: f64 = 0;
    for (let j = 0; j < hw; j++) s += <f64>load<f32>(r + (<usize>j << 2));
    s /= <f64>hw;
    store<f64>(rows + (<usize>i << 3), s);
    g += s;
  }
  g /= <f64>hw;
  for (let i = 0; i < hw; i++) {
    const r = K + <usize>i * krow;
    const ri = load<f64>(rows + (<usize>i << 3)) - g;
    for (let j = 0; j < hw; j++) {
      const o = r + (<usize>j << 2);
      store<f32>(o, <f32>(<f64>load<f32>(o) - ri - load<f64>(rows + (<usize>j << 3))));
    }
  }
}

// v = row `best` of K, normalised.
function start(v: usize, K: usize, best: i32, hw: i32, norm2: f64): void {
  const r = K + (<usize>best * <usize>hw << 2);
  const inv = 1 / Math.sqrt(norm2);
  for (let j = 0; j < hw; j++) store<f64>(v + (<usize>j << 3), <f64>load<f32>(r + (<usize>j << 2)) * inv);
}

// Power iteration on K + σI from the unit vector v until converged (see the header) or maxIter steps;
// v holds the last iterate. Sets rayleigh (vᵀ(K + σI)v of the last step's input), converged, normMax.
function iterate(v: usize, w: usize, K: usize, hw: i32, sigma: f64, maxIter: i32, tol: f64): i32 {
  const krow = <usize>hw << 2;
  let it = 0;
  let prev: f64 = Infinity;
  rayleigh = 0;
  converged = false;
  normMax = 0;
  while (it < maxIter) {
    it++;
    let mu: f64 = 0, nn: f64 = 0;
    for (let i = 0; i < hw; i++) {
      const vi = load<f64>(v + (<usize>i << 3));
      const s = rowDot(K + <usize>i * krow, v, hw) + sigma * vi;
      store<f64>(w + (<usize>i << 3), s);
      mu += s * vi;
      nn += s * s;
    }
    rayleigh = mu;
    if (!(nn > 0)) break;
    normMax = max<f64>(normMax, Math.sqrt(nn));
    // v' = w/|w|, compared with v or −v (a negative dominant eigenvalue flips the sign every step).
    const inv = (mu < 0 ? -1 : 1) / Math.sqrt(nn);
    let d: f64 = 0;
    for (let i = 0; i < hw; i++) {
      const o = <usize>i << 3;
      const nv = load<f64>(w + o) * inv;
      const e = nv - load<f64>(v + o);
      d += e * e;
      store<f64>(v + o, nv);
    }
    d = Math.sqrt(d);
    const r = d / prev;
    prev = d;
    if ((d < tol && r < 1 && d * r < tol * (1 - r)) || d < tol * 1e-3) {
      converged = true;
      break;
    }
  }
  return it;
}

// Σ_j K[j]·v[j]: an f32 row against an f64 vector, in f64.
@inline function rowDot(r: usize, v: usize, hw: i32): f64 {
  let j = 0;
  let s: f64 = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    for (; j + 4 <= hw; j += 4) {
      const k = v128.load(r + (<usize>j << 2));
      const o = v + (<usize>j << 3);
      a0 = f64x2.add(a0, f64x2.mul(f64x2.promote_low_f32x4(k), v128.load(o)));
      a1 = f64x2.add(a1, f64x2.mul(promoteHigh(k), v128.load(o, 16)));
    }
    s = hadd64(f64x2.add(a0, a1));
  }
  for (; j < hw; j++) s += <f64>load<f32>(r + (<usize>j << 2)) * load<f64>(v + (<usize>j << 3));
  return s;
}
