import { ptr, type F32, type KernelDescriptor, type WasmExports } from './types.js';

/** out[i] = max(x[i], 0). out may alias x. NaN stays NaN (Math.max = f32.max semantics); -0 becomes +0. */
export function relu(out: F32, x: F32, len: number): void {
  for (let i = 0; i < len; i++) out[i] = Math.max(x[i], 0);
}

export const relu_kernel: KernelDescriptor<typeof relu> = {
  name: 'relu',
  js: relu,
  wasm: (x: WasmExports) => (out, v, len) => void x.relu(ptr(out), ptr(v), len),
};
