// Builds one private runtime per kernel flavor, so differential tests compare all three directly.
import { createRuntime, type Runtime } from '../../src/runtime/init.js';
import { allKernels } from '../../src/runtime/extension.js';
import type { KernelFlavor } from '../../src/kernels/types.js';
import type { KernelSet } from '../../src/kernels/registry.js';
import type { ExtensionKernels } from '../../src/kernels/extension-registry.js';
import { rng } from '../../src/core/random.js';
import { absErr, relErr } from '../../src/core/compare.js';

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

/** Deterministic pseudo-random floats in [lo, hi) (src/core/random.ts's generator). */
export function rand(n: number, seed = 1, lo = -1, hi = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

/** The error measures of src/core/compare.ts (max |a − b| relative to max |b|, and absolute). */
export { absErr, relErr };
