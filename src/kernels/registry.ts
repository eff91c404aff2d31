// Every core kernel, imported explicitly. The runtime, the tests and the benchmarks iterate this list;
// the second-wave methods' kernels are in extension-registry.ts (a chunk loaded on demand).
import type { KernelDescriptor, KernelFlavor, WasmExports } from './types.js';
import { pool_mean_kernel } from './pool_mean.js';
import { channel_wsum_kernel } from './channel_wsum.js';
import { channel_reduce_kernel } from './channel_reduce.js';
import { gradcampp_weights_kernel } from './gradcampp_weights.js';
import { xgrad_weights_kernel } from './xgrad_weights.js';
import { eigen_pc_kernel } from './eigen_pc.js';
import { relu_kernel } from './relu.js';
import { minmax_normalize_kernel } from './minmax_normalize.js';
import { resize_bilinear_kernel } from './resize_bilinear.js';
import { resize_bilinear_minmax_kernel } from './resize_bilinear_minmax.js';
import { resize_nearest_kernel } from './resize_nearest.js';
import { fuse_guided_kernel } from './fuse_guided.js';
import { scorecam_masks_kernel } from './scorecam_masks.js';
import { colormap_kernel } from './colormap.js';
import { overlay_kernel } from './overlay.js';
import { first_nonfinite_kernel } from './first_nonfinite.js';

export const kernelDescriptors = {
  pool_mean: pool_mean_kernel,
  channel_wsum: channel_wsum_kernel,
  channel_reduce: channel_reduce_kernel,
  gradcampp_weights: gradcampp_weights_kernel,
  xgrad_weights: xgrad_weights_kernel,
  eigen_pc: eigen_pc_kernel,
  relu: relu_kernel,
  minmax_normalize: minmax_normalize_kernel,
  resize_bilinear: resize_bilinear_kernel,
  resize_bilinear_minmax: resize_bilinear_minmax_kernel,
  resize_nearest: resize_nearest_kernel,
  fuse_guided: fuse_guided_kernel,
  scorecam_masks: scorecam_masks_kernel,
  colormap: colormap_kernel,
  overlay: overlay_kernel,
  first_nonfinite: first_nonfinite_kernel,
} as const;

type Descriptors = typeof kernelDescriptors;
export type KernelName = keyof Descriptors;
export type KernelSet = { readonly [K in KernelName]: Descriptors[K]['js'] } & { readonly flavor: KernelFlavor };

/** The kernels of one flavor: wasm-bound when `exports` is given, the TypeScript twins otherwise. */
export function buildKernelSet(flavor: KernelFlavor, exports?: WasmExports): KernelSet {
  return bindKernels(kernelDescriptors, flavor, exports) as KernelSet;
}

/** Binds each descriptor to `exports` (or takes its twin) under its name, with the flavor. */
export function bindKernels(descriptors: object, flavor: KernelFlavor, exports?: WasmExports): Record<string, unknown> {
  const set: Record<string, unknown> = { flavor };
  for (const [name, d] of Object.entries(descriptors) as [string, KernelDescriptor<() => void>][]) set[name] = exports ? d.wasm(exports) : d.js;
  return set;
}
