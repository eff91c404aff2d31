import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/**
 * Scratch floats `kpca_sigmoid` needs in `tmp`: three f64 vectors of hw, the centred activations
 * [hw·c] (f64) and the centred kernel matrix [hw·hw] (f32). The matrix dominates: 4·hw² bytes (2.4 MB at
 * 28×28 positions, 39 MB at 56×56, 629 MB at 112×112, beyond the default memory ceiling).
 */
export const kpcaSigmoidTmp = (hw: number, c: number): number => 6 * hw + 2 * hw * c + hw * hw;

/**
 * KPCA-CAM for ONE image: the first kernel principal component of the hw positions of NHWC activations
 * a[hw][c] with sklearn's sigmoid kernel (gamma = 1/c, coef0 = 1), as pytorch-grad-cam's
 * get_2d_projection_kernel (KernelPCA(n_components=1, kernel='sigmoid')):
 *   X = a (NaN → 0) with every channel centred; K = tanh(X·Xᵀ/c + 1); Kc = K double-centred;
 *   (λ, v) = the eigenpair of Kc with the largest ALGEBRAIC eigenvalue (Kc is not PSD in general);
 *   out = v·√λ, with v's entry of largest magnitude (first on ties) made positive (sklearn svd_flip).
 * Kc is stored in f32; tanh(1 + y) − tanh(1) is formed in f64 as t(1 − T²)/(1 + T·t), t = tanh(y),
 * T = tanh(1) (the constant cancels in the centring, and small y stay exact),
 * dot products and sums are f64, the eigenvector iterates f64. The eigenpair comes from power
 * iteration (≤ maxIter steps) until the step δ = |v' − ±v| and the error it implies, δ·r/(1 − r) with
 * r the ratio of the last two steps, are both below tol (or δ < tol/1000): a slow rate makes small
 * steps long before the vector is right. When the dominant eigenvalue is negative, or the iteration
 * does not converge (λmax ≈ −λmin), it restarts on Kc + σI with σ = the largest |Kc·v| seen (at most the
 * spectral radius, about |λmin| there), whose dominant eigenpair is (λmax + σ, v).
 *
 * Suggested: maxIter 5000, tol 1e-9 (f64 iterates: the floor is near 1e-15, keep tol ≥ 1e-12; with
 * eigengap ratios ≥ 2 the golden cases take about 25 steps). Cost: hw²·c/2 multiply-adds for K, hw² per
 * step (28×28 positions: 0.6 M per step).
 * Returns the steps used (≤ 2·maxIter: a caller may treat 2·maxIter as "did not converge").
 * λ = Σ out². tmp holds kpcaSigmoidTmp(hw, c) floats. c = 0, hw = 1 or constant channels give an
 * all-zero map and 0 steps; ±Inf anywhere in a gives an all-NaN map.
 */
export function kpca_sigmoid(out: F32, a: F32, tmp: F32, hw: number, c: number, maxIter: number, tol: number): number {
  if (hw <= 0) return 0;
  if (c <= 0) {
    out.fill(0, 0, hw);
    return 0;
  }
  const x = new Float32Array(hw * c);
  const K = tmp.subarray(6 * hw + 2 * hw * c, 6 * hw + 2 * hw * c + hw * hw);
  const len = hw * c;
  for (let i = 0; i < len; i++) {
    if (Math.abs(a[i]) === Infinity) {
      out.fill(NaN, 0, hw);
      return 0;
    }
    x[i] = Number.isNaN(a[i]) ? 0 : a[i];
  }
  for (let k = 0; k < c; k++) {
    let m = 0;
    for (let p = 0; p < hw; p++) m += x[p * c + k];
    m /= hw;
    for (let p = 0; p < hw; p++) x[p * c + k] -= m;
  }

  // The kernel matrix minus tanh(1), upper triangle mirrored: tanh(1 + y) − T = t(1 − T²)/(1 + Tt),
  // t = tanh(y), T = tanh(1), exact in small y.
  const T = Math.tanh(1);
  for (let i = 0; i < hw; i++) {
    for (let j = i; j < hw; j++) {
      let d = 0;
      for (let k = 0; k < c; k++) d += x[i * c + k] * x[j * c + k];
      const t = Math.tanh(d / c);
      K[i * hw + j] = K[j * hw + i] = (t * (1 - T * T)) / (1 + T * t);
    }
  }
  // Double centring (K is symmetric: column means = row means), and the Gershgorin bound of Kc.
  const rows = new Float64Array(hw);
  let g = 0;
  for (let i = 0; i < hw; i++) {
    let s = 0;
    for (let j = 0; j < hw; j++) s += K[i * hw + j];
    rows[i] = s / hw;
    g += rows[i];
  }
  g /= hw;
  for (let i = 0; i < hw; i++) for (let j = 0; j < hw; j++) K[i * hw + j] = K[i * hw + j] - (rows[i] - g) - rows[j];

  // Start from the row of Kc with the largest norm.
  let best = 0, bestNorm = 0;
  for (let i = 0; i < hw; i++) {
    let s = 0;
    for (let j = 0; j < hw; j++) s += K[i * hw + j] * K[i * hw + j];
    if (s > bestNorm) {
      bestNorm = s;
      best = i;
    }
  }
  if (!(bestNorm > 0)) {
    out.fill(0, 0, hw);
    return 0;
  }
  const v = new Float64Array(hw), w = new Float64Array(hw);
  const start = () => {
    const inv = 1 / Math.sqrt(bestNorm);
    for (let j = 0; j < hw; j++) v[j] = K[best * hw + j] * inv;
  };
  /** Power iteration on Kc + σI; returns [steps, last Rayleigh quotient, converged, largest |(Kc + σI)v|]. */
  const iterate = (sigma: number): [number, number, boolean, number] => {
    let it = 0, rq = 0, prev = Infinity, converged = false, normMax = 0;
    while (it < maxIter) {
      it++;
      let mu = 0, nn = 0;
      for (let i = 0; i < hw; i++) {
        let s = 0;
        for (let j = 0; j < hw; j++) s += K[i * hw + j] * v[j];
        s += sigma * v[i];
        w[i] = s;
        mu += s * v[i];
        nn += s * s;
      }
      rq = mu;
      if (!(nn > 0)) break;
      normMax = Math.max(normMax, Math.sqrt(nn));
      // v' = w/|w|, compared with v or −v (a negative dominant eigenvalue flips the sign every step).
      const inv = (mu < 0 ? -1 : 1) / Math.sqrt(nn);
      let d = 0;
      for (let i = 0; i < hw; i++) {
        const nv = w[i] * inv;
        d += (nv - v[i]) ** 2;
        v[i] = nv;
      }
      d = Math.sqrt(d);
      const r = d / prev;
      prev = d;
      if ((d < tol && r < 1 && d * r < tol * (1 - r)) || d < tol * 1e-3) {
        converged = true;
        break;
      }
    }
    return [it, rq, converged, normMax];
  };
  start();
  let [it, lambda, converged, normMax] = iterate(0);
  if (!converged || !(lambda > 0)) {
    // Dominant eigenvalue negative, or no convergence: shift so that λmax becomes the dominant one.
    const sigma = normMax;
    start();
    const [it2, rq] = iterate(sigma);
    it += it2;
    lambda = rq - sigma;
  }
  if (!(lambda > 0)) lambda = 0;

  let at = 0;
  for (let i = 1; i < hw; i++) if (Math.abs(v[i]) > Math.abs(v[at])) at = i;
  const scale = (v[at] < 0 ? -1 : 1) * Math.sqrt(lambda);
  for (let i = 0; i < hw; i++) out[i] = v[i] * scale;
  return it;
}

export const kpca_sigmoid_kernel: KernelDescriptor<typeof kpca_sigmoid> = {
  name: 'kpca_sigmoid',
  js: kpca_sigmoid,
  wasm: (x: WasmExports) => (out, a, tmp, hw, c, maxIter, tol) => x.kpca_sigmoid(ptr(out), ptr(a), ptr(tmp), hw, c, maxIter, tol) as number,
};
