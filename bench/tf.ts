// tfjs for the baselines, loaded only when a tfjs row runs (a quick run of camkit rows never pays for it).
// The wasm backend in Node is single-threaded with SIMD (performance.md §1); the cpu backend is plain JS.
import type * as TF from '@tensorflow/tfjs';

export type Tf = typeof TF;
let tfp: Promise<Tf> | null = null;

export function loadTf(): Promise<Tf> {
  tfp ??= (async () => {
    const tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-wasm');
    // tfjs warns once per process about the missing tfjs-node; the benchmark knows.
    const warn = console.warn;
    console.warn = () => {};
    try {
      // The cpu backend prints its "install tfjs-node" banner on first use; use it once while muted.
      await tf.setBackend('cpu');
      tf.tensor1d([1]).dispose();
      await tf.setBackend('wasm');
      await tf.ready();
    } finally {
      console.warn = warn;
    }
    return tf;
  })();
  return tfp;
}

export type Backend = 'wasm' | 'cpu';

export async function useBackend(name: Backend): Promise<Tf> {
  const tf = await loadTf();
  if (tf.getBackend() !== name) {
    await tf.setBackend(name);
    await tf.ready();
  }
  return tf;
}

/** Bytes of tfjs-wasm's own WebAssembly heap (0 before the backend exists). */
export function tfWasmHeapBytes(tf: Tf): number {
  try {
    const b = tf.findBackend('wasm') as unknown as { wasm?: { HEAPU8: Uint8Array } } | null;
    return b?.wasm?.HEAPU8.buffer.byteLength ?? 0;
  } catch {
    return 0;
  }
}
