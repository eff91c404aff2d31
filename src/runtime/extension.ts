// The extension kernels: the hot loops of the second-wave methods (kernel PCA, FEM thresholds, NMF
// updates, FullGrad bias maps). Methods reach them through extensionKernels(rt) after
// loadExtension(rt), so the script-tag widget, which renders maps and never runs these methods, does
// not have to carry them. computeCam and explain() load them before a method that declares
// `cam.extension` runs; computeCamSync needs them loaded already.
import { CamkitError } from '../errors.js';
import type { KernelSet } from '../kernels/registry.js';
import type { Runtime } from './init.js';

export type ExtensionKernelName = 'kpca_sigmoid' | 'fem_weights' | 'nmf_mu' | 'fullgrad_map';
export type ExtensionKernels = Pick<KernelSet, ExtensionKernelName>;

const loaded = new WeakMap<Runtime, ExtensionKernels>();

/** Loads (once per runtime) and returns the extension kernels of the runtime's flavor. */
export async function loadExtension(rt: Runtime): Promise<ExtensionKernels> {
  let k = loaded.get(rt);
  if (!k) {
    k = rt.kernels;
    loaded.set(rt, k);
  }
  return k;
}

/** The extension kernels of a runtime; E_INIT when loadExtension(rt) has not completed. */
export function extensionKernels(rt: Runtime): ExtensionKernels {
  const k = loaded.get(rt);
  if (!k) throw new CamkitError('E_INIT', 'This method needs camkit\'s extension kernels: use computeCam (async) or await loadExtension(runtime) before computeCamSync.');
  return k;
}
