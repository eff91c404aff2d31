// Shared plumbing for the kernel tests: run one call on every flavor, compare, and fuzz inputs.
import fc from 'fast-check';
import type { AllKernels as KernelSet, TestRuntime as Runtime } from './flavors.js';
import type { KernelFlavor } from '../../src/kernels/types.js';

/** fast-check runs per property: small in `npm test`, FUZZ_RUNS (npm run fuzz) when set. */
export function fuzzRuns(dflt = 60): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isFinite(n) && n > 0 ? n : dflt;
}

export interface FlavorRun<R> {
  flavor: KernelFlavor;
  /** Copies of every arena view after the call, in the order of `sizes`. */
  views: Float32Array[];
  ret: R;
}

/**
 * Takes `sizes` float views from each runtime's arena, copies `inputs[i]` into view i (null = leave,
 * though views are pre-filled with a NaN canary so an unwritten output cannot pass), runs `call`.
 */
export function runFlavors<R>(
  rts: Record<KernelFlavor, Runtime>,
  sizes: readonly number[],
  inputs: readonly (ArrayLike<number> | null)[],
  call: (k: KernelSet, v: Float32Array[]) => R,
): FlavorRun<R>[] {
  return (Object.entries(rts) as [KernelFlavor, Runtime][]).map(([flavor, rt]) => {
    const { f } = rt.arena.take(sizes);
    f.forEach((v, i) => {
      const src = inputs[i];
      if (src) v.set(src);
      else v.fill(NaN);
    });
    const ret = call(rt.kernels, f);
    return { flavor, views: f.map((v) => Float32Array.from(v)), ret };
  });
}

/** Index of the first element where a and b are not the same float (NaN equals NaN, +0 ≠ −0), or −1. */
export function firstBitDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return i;
  return -1;
}

/**
 * Largest |a − b| / bound[i] where bound is a per-element scale (e.g. Σ|terms|) plus `abs` slack for
 * the f32 underflow of products (the twin forms them in f64). NaN must match NaN, ±Inf must match.
 */
export function boundedErr(a: ArrayLike<number>, b: ArrayLike<number>, bound: ArrayLike<number>, abs = 1e-43): number {
  if (a.length !== b.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) || Number.isNaN(b[i])) {
      if (!(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return Infinity;
      continue;
    }
    if (a[i] === b[i]) continue;
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / (bound[i] + abs / 1e-5));
  }
  return worst;
}

/** Odd, non-square and degenerate maps [h, w] used by the differential sweeps. */
export const MAPS: readonly (readonly [number, number])[] = [[1, 1], [3, 5], [7, 7], [11, 15], [12, 16]];

/**
 * f32 values from every corner: ordinary, ±0, denormals, tiny and huge magnitudes up to `max`,
 * which callers pick so that no sum of |terms| can overflow f32.
 */
export function wildF32(max = 1e18): fc.Arbitrary<number> {
  const m = Math.fround(max);
  return fc.oneof(
    { weight: 4, arbitrary: fc.float({ min: -1, max: 1, noNaN: true }) },
    { weight: 2, arbitrary: fc.float({ min: -m, max: m, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(0, -0, 1e-45, -1e-45, 1.1754942e-38, -5.9e-39, 1e-30, -1e-20, 1e15, -m, m) },
  );
}

export function f32Array(len: number, value: fc.Arbitrary<number> = wildF32()): fc.Arbitrary<Float32Array> {
  return fc.array(value, { minLength: len, maxLength: len }).map((a) => Float32Array.from(a));
}
