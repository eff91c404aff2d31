// The extension kernels: the hot loops of the second-wave methods (kernel PCA, FEM thresholds, NMF
// updates, FullGrad bias maps). This module and the wasm it inlines form a chunk that only
// runtime/extension.ts reaches, through a dynamic import.
import type { KernelFlavor, WasmExports } from './types.js';
import { bindKernels } from './registry.js';
import { fem_weights_kernel } from './fem_weights.js';
import { fullgrad_map_kernel } from './fullgrad_map.js';
import { kpca_sigmoid_kernel } from './kpca_sigmoid.js';
import { nmf_mu_kernel } from './nmf_mu.js';

export { WASM_EXT_PACKED, WASM_EXT_SCALAR_BYTES, WASM_EXT_SIMD_BYTES } from '../generated/wasm-ext.js';

export const extensionDescriptors = {
  fem_weights: fem_weights_kernel,
  fullgrad_map: fullgrad_map_kernel,
  kpca_sigmoid: kpca_sigmoid_kernel,
  nmf_mu: nmf_mu_kernel,
} as const;

type Descriptors = typeof extensionDescriptors;
export type ExtensionKernelName = keyof Descriptors;
export type ExtensionKernels = { readonly [K in ExtensionKernelName]: Descriptors[K]['js'] } & { readonly flavor: KernelFlavor };

/** The extension kernels of one flavor: wasm-bound when `exports` is given, the twins otherwise. */
export function buildExtensionKernels(flavor: KernelFlavor, exports?: WasmExports): ExtensionKernels {
  return bindKernels(extensionDescriptors, flavor, exports) as ExtensionKernels;
}
