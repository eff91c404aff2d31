// Every kernel, imported explicitly. The runtime, the tests and the benchmarks iterate this list.
import type { KernelDescriptor, KernelFlavor, WasmExports } from './types.js';
import { pool_mean_kernel } from './pool_mean.js';
import { scorecam_masks_kernel } from './scorecam_masks.js';

export const kernelDescriptors = {
  pool_mean: pool_mean_kernel,
  scorecam_masks: scorecam_masks_kernel,
} as const;

type Descriptors = typeof kernelDescriptors;
export type KernelName = keyof Descriptors;
export type KernelSet = { readonly [K in KernelName]: Descriptors[K]['js'] } & { readonly flavor: KernelFlavor };

/** The kernels of one flavor: wasm-bound when `exports` is given, the TypeScript twins otherwise. */
export function buildKernelSet(flavor: KernelFlavor, exports?: WasmExports): KernelSet {
  const set: Record<string, unknown> = { flavor };
  for (const [name, d] of Object.entries(kernelDescriptors) as [string, KernelDescriptor<never>][]) {
    set[name] = exports ? d.wasm(exports) : d.js;
  }
  return set as KernelSet;
}
