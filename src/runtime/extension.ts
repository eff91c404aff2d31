// The extension kernels: the hot loops of the second-wave methods. They live in their own wasm module
// (assembly/extension.ts) inside a chunk reached only by the dynamic import below, so the script-tag
// widget, which renders maps and never runs these methods, does not carry them. The module imports
// the runtime's memory, so the arena's views are its pointers too. computeCam and explain() load it
// before a method that declares `cam.extension` runs; computeCamSync needs it loaded already.
import { CamkitError } from '../errors.js';
import type { ExtensionKernels } from '../kernels/extension-registry.js';
import type { WasmExports } from '../kernels/types.js';
import type { KernelSet } from '../kernels/registry.js';
import { moduleCompiler, type Runtime } from './init.js';

export type { ExtensionKernels, ExtensionKernelName } from '../kernels/extension-registry.js';

const pending = new WeakMap<Runtime, Promise<ExtensionKernels>>();
const loaded = new WeakMap<Runtime, ExtensionKernels>();
let compile: ((flavor: 'simd' | 'scalar') => Promise<WebAssembly.Module>) | null = null;

/** Loads (once per runtime) and returns the extension kernels of the runtime's flavor. */
export function loadExtension(rt: Runtime): Promise<ExtensionKernels> {
  let p = pending.get(rt);
  if (!p) {
    p = (async () => {
      const ext = await import('../kernels/extension-registry.js');
      const memory = rt.arena.memory;
      let k: ExtensionKernels;
      if (rt.flavor === 'js' || !memory) k = ext.buildExtensionKernels('js');
      else {
        compile ??= moduleCompiler(ext.WASM_EXT_PACKED, ext.WASM_EXT_SCALAR_BYTES, ext.WASM_EXT_SIMD_BYTES);
        const instance = await WebAssembly.instantiate(await compile(rt.flavor), { env: { memory } });
        k = ext.buildExtensionKernels(rt.flavor, instance.exports as unknown as WasmExports);
      }
      loaded.set(rt, k);
      return k;
    })();
    // A failure (e.g. the chunk could not be fetched) is not cached: a later call tries again.
    p.catch(() => pending.delete(rt));
    pending.set(rt, p);
  }
  return p;
}

/** The extension kernels of a runtime; E_INIT when loadExtension(rt) has not completed. */
export function extensionKernels(rt: Runtime): ExtensionKernels {
  const k = loaded.get(rt);
  if (!k) throw new CamkitError('E_INIT', 'This method needs camkit\'s extension kernels: use computeCam (async) or await loadExtension(runtime) before computeCamSync.');
  return k;
}

/** Every kernel of a runtime, core and extension, as one set (tests and benchmarks iterate them all). */
export async function allKernels(rt: Runtime): Promise<KernelSet & ExtensionKernels> {
  return { ...rt.kernels, ...(await loadExtension(rt)) };
}
