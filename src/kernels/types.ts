// The kernel ABI. Each kernel is one file in assembly/ (AssemblyScript, built SIMD and scalar) and one
// file of the same name here holding its TypeScript twin and a descriptor that binds the wasm export.
// Twins and wasm wrappers have the same signature: typed arrays in, results written to `out`.
// Wasm wrappers require every array to be a view into the runtime's wasm memory (the arena hands
// those out), and pass `byteOffset` as the pointer.

import type { WasmAbi } from './abi.js';

export type F32 = Float32Array;
export type U8 = Uint8Array | Uint8ClampedArray;
export type KernelFlavor = 'simd' | 'scalar' | 'js';

/** The raw exports of a camkit wasm module, typed from assembly/ (src/kernels/abi.ts is generated). */
export type WasmExports = WasmAbi;

export interface KernelDescriptor<F extends (...args: never[]) => unknown> {
  readonly name: string;
  /** The readable TypeScript twin: the test oracle and the fallback without WebAssembly. */
  readonly js: F;
  /** Binds the same kernel to an instantiated wasm module. */
  readonly wasm: (x: WasmExports) => F;
}

/** Byte pointer of an arena view (null means "absent" for optional inputs). */
export const ptr = (a: ArrayBufferView | null): number => (a === null ? 0 : a.byteOffset);
