import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * EigenCAM / EigenGradCAM projection for ONE image: out[p] = Σ_k X[p][k]·v1[k], where X = a (or g⊙a
 * when g is given) with each channel centred over the hw positions, and v1 is the first right singular
 * vector of X. Power iteration on XᵀX without forming it (u = X v, v' = Xᵀ u, normalise), starting from
 * the row of X with the largest norm, until |v' − v| < tol or maxIter. Dot products accumulate in f64;
 * X is rescaled by powers of two (exact) so f32 scratch neither underflows nor overflows.
 * x[hw·c] and v[c] are caller scratch; on return v holds v1 (unit, same sign as the map).
 *
 * SIGN RULE: the sign of a singular vector is arbitrary (the reference, numpy's SVD, does not fix it).
 * camkit flips so that Σ_p out[p]·r[p] ≥ 0 with r[p] = Σ_k X[p][k] (centred row sums): the map
 * correlates positively with the channel-summed input. If that dot product is exactly 0, the entry of
 * largest magnitude (first one on ties) is made positive.
 *
 * MODE 1 (SegEigenCAM, pytorch-grad-cam's get_2d_projection_with_sign_correction): X = |g|⊙a (g is
 * required) and the reference's own sign correction replaces the rule above: the map is negated when
 * |min| > |max| (ties keep it). `mode` defaults to 0, the behaviour above.
 *
 * Suggested: maxIter 1000, tol 1e-6 (the golden cases converge in at most 25 iterations at 1e-7; the
 * f32 round-off floor of |v' − v| is about 1e-7, so a much smaller tol just runs to maxIter).
 *
 * Returns the number of iterations used (0 for a degenerate X: all-zero centred X or c = 0 gives an
 * all-zero map; a non-finite X gives an all-NaN map).
 */
export function eigen_pc(
  out: F32, a: F32, g: F32 | null, x: F32, v: F32, hw: number, c: number, maxIter: number, tol: number, mode = 0,
): number {
  if (hw <= 0) return 0;
  if (c <= 0) {
    out.fill(0, 0, hw);
    return 0;
  }
  const len = hw * c;
  let maxRaw = 0;
  for (let i = 0; i < len; i++) {
    x[i] = g ? a[i] * (mode === 1 ? Math.abs(g[i]) : g[i]) : a[i];
    maxRaw = Math.max(maxRaw, Math.abs(x[i])); // Math.max keeps NaN
  }
  if (!(maxRaw < Infinity)) {
    out.fill(NaN, 0, hw);
    v.fill(NaN, 0, c);
    return 0;
  }
  // Two exact power-of-two scalings: before centring (denormal or huge inputs keep every bit) and
  // after it (so u = X·v stays in the normal f32 range). Undone on the map at the end.
  let e = 0;
  if (maxRaw > 0) e = scaleToUnit(x, len, maxRaw);
  let maxAbs = 0;
  for (let k = 0; k < c; k++) {
    let m = 0;
    for (let p = 0; p < hw; p++) m += x[p * c + k];
    m /= hw;
    for (let p = 0; p < hw; p++) {
      const i = p * c + k;
      x[i] = x[i] - m;
      maxAbs = Math.max(maxAbs, Math.abs(x[i]));
    }
  }
  if (maxAbs === 0) {
    out.fill(0, 0, hw);
    v.fill(0, 0, c);
    return 0;
  }
  e += scaleToUnit(x, len, maxAbs);

  // Start from the row of largest norm.
  let best = 0, bestNorm = -1;
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += x[p * c + k] * x[p * c + k];
    if (s > bestNorm) {
      bestNorm = s;
      best = p;
    }
  }
  const inv = 1 / Math.sqrt(bestNorm);
  for (let k = 0; k < c; k++) v[k] = x[best * c + k] * inv;

  let it = 0;
  while (it < maxIter) {
    it++;
    project(out, x, v, hw, c);
    // v' = Xᵀu, column by column; the old v[k] is read before it is overwritten, which gives v'·v.
    let nn = 0, dot = 0, vv = 0;
    for (let k = 0; k < c; k++) {
      let s = 0;
      for (let p = 0; p < hw; p++) s += x[p * c + k] * out[p];
      nn += s * s;
      dot += s * v[k];
      vv += v[k] * v[k];
      v[k] = s;
    }
    if (!(nn > 0)) break;
    const nrm = Math.sqrt(nn);
    for (let k = 0; k < c; k++) v[k] /= nrm;
    // |v'/|v'| − v|² expanded; v (stored in f32) is only nearly unit, so its norm is kept exact.
    const delta = Math.sqrt(Math.max(0, 1 - 2 * (dot / nrm) + vv));
    if (delta < tol) break;
  }
  project(out, x, v, hw, c);

  let flip: boolean;
  if (mode === 1) {
    let lo = 0, hi = 0;
    for (let p = 0; p < hw; p++) {
      lo = Math.min(lo, out[p]);
      hi = Math.max(hi, out[p]);
    }
    flip = -lo > hi;
  } else {
    let d = 0;
    for (let p = 0; p < hw; p++) {
      let r = 0;
      for (let k = 0; k < c; k++) r += x[p * c + k];
      d += out[p] * r;
    }
    flip = d < 0;
    if (d === 0) {
      let at = 0;
      for (let p = 1; p < hw; p++) if (Math.abs(out[p]) > Math.abs(out[at])) at = p;
      flip = out[at] < 0;
    }
  }
  const back = (flip ? -1 : 1) * Math.pow(2, e);
  for (let p = 0; p < hw; p++) out[p] *= back;
  if (flip) for (let k = 0; k < c; k++) v[k] = -v[k];
  return it;
}

/**
 * Multiplies x by 2^−e, e the smallest integer with 2^e ≥ m (log2 is only a first guess; the loops
 * make it exact), so max|x| lands in (0.5, 1]. Returns e.
 */
function scaleToUnit(x: F32, len: number, m: number): number {
  let e = Math.ceil(Math.log2(m));
  while (Math.pow(2, e) < m) e++;
  while (Math.pow(2, e - 1) >= m) e--;
  const s = Math.pow(2, -e);
  for (let i = 0; i < len; i++) x[i] *= s;
  return e;
}

/** out = X·v with f64 accumulation. */
function project(out: F32, x: F32, v: F32, hw: number, c: number): void {
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < c; k++) s += x[p * c + k] * v[k];
    out[p] = s;
  }
}

export const eigen_pc_kernel: KernelDescriptor<typeof eigen_pc> = {
  name: 'eigen_pc',
  js: eigen_pc,
  wasm: (x: WasmExports) => (out, a, g, xs, v, hw, c, maxIter, tol, mode = 0) =>
    x.eigen_pc(ptr(out), ptr(a), ptr(g), ptr(xs), ptr(v), hw, c, maxIter, tol, mode) as number,
};
