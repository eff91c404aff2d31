// Builds one private runtime per kernel flavor, so differential tests compare all three directly.
import { createRuntime, type Runtime } from '../../src/runtime/init.js';
import { allKernels } from '../../src/runtime/extension.js';
import type { KernelFlavor } from '../../src/kernels/types.js';
import type { KernelSet } from '../../src/kernels/registry.js';
import type { ExtensionKernels } from '../../src/kernels/extension-registry.js';

/** Every kernel, core and extension (the extension module instantiated on the runtime's memory). */
export type AllKernels = KernelSet & ExtensionKernels;
export type TestRuntime = Runtime & { readonly kernels: AllKernels };

export const FLAVORS: readonly KernelFlavor[] = ['simd', 'scalar', 'js'];

export async function allRuntimes(): Promise<Record<KernelFlavor, TestRuntime>> {
  const [simd, scalar, js] = await Promise.all(FLAVORS.map(async (f) => withAllKernels(await createRuntime(f))));
  return { simd, scalar, js };
}

/** The same runtime (same arena) whose `kernels` holds the extension kernels too. */
export async function withAllKernels(rt: Runtime): Promise<TestRuntime> {
  return { ...rt, kernels: await allKernels(rt) };
}

/** Deterministic pseudo-random floats in [lo, hi) (mulberry32). */
export function rand(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  let t = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    out[i] = lo + (hi - lo) * (((r ^ (r >>> 14)) >>> 0) / 4294967296);
  }
  return out;
}

/** max |a − b| / max(max |b|, tiny): the scale-relative error used throughout the golden README. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(b[i]));
  }
  return m > 0 ? d / m : d;
}

export function absErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}
